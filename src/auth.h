/* auth.h: password hashing (Argon2id), the rules for account fields, and login throttling. */
#ifndef PARLEY_AUTH_H
#define PARLEY_AUTH_H

#include <stdbool.h>
#include <stddef.h>

struct db;

#define AUTH_PASSWORD_MIN	8	/* bytes */
#define AUTH_PASSWORD_MAX	1024	/* bytes */
#define AUTH_HASH_MAX		128	/* crypto_pwhash_STRBYTES, with the NUL */
#define AUTH_EMAIL_MAX		254
#define AUTH_USERNAME_MAX	64
#define AUTH_NAME_MAX		200

/* Throttling: failures allowed within the window before 429. */
#define AUTH_THROTTLE_WINDOW	(15 * 60)	/* seconds */
#define AUTH_THROTTLE_ACCOUNT	5
#define AUTH_THROTTLE_IP	20

/*
 * A counting semaphore that bounds the Argon2id hashes running at once in
 * one process: each takes 64 MiB, and a burst of logins must not take the
 * host's memory with it. Shared by every thread of a worker.
 */
struct hash_gate;

/* A gate letting n hashes run at once (n < 1 counts as 1). Never NULL. */
struct hash_gate *hash_gate_new(long n);
void		 hash_gate_free(struct hash_gate *g);	/* accepts NULL */

enum auth_check {
	AUTH_MATCH,		/* the password is right */
	AUTH_MATCH_REHASH,	/* right, and the stored hash should be redone with today's parameters */
	AUTH_NO_MATCH,		/* wrong password, or a stored hash that is not one of ours */
	AUTH_BUSY,		/* no hashing slot came free in time, or out of memory: try later */
};

/*
 * Hashes password into out (a "$argon2id$..." string). Returns 0, or -1 when
 * no slot came free in time or memory ran out (out is then "").
 */
int		 auth_hash_password(struct hash_gate *g, const char *password,
		    char out[AUTH_HASH_MAX]);

/* Checks password against a stored hash, in constant time for its length. */
enum auth_check	 auth_verify_password(struct hash_gate *g, const char *hash,
		    const char *password);

/*
 * Spends the time of one verification without any account to check, so a
 * login for an unknown name takes as long as one with a wrong password.
 */
void		 auth_burn_time(struct hash_gate *g, const char *password);

/*
 * Field rules, shared by the pages, the API and `parley user`. Each returns
 * NULL when the value is acceptable, or a message for people.
 */
const char	*auth_password_problem(const char *password);
const char	*auth_email_problem(const char *email);
const char	*auth_username_problem(const char *username);

/* True for a login name that is an email rather than a username. */
bool		 auth_login_is_email(const char *login);

/*
 * A new random secret: prefix then 64 hex digits (32 bytes from libsodium).
 * out must hold strlen(prefix) + 65 bytes.
 */
void		 auth_random_token(const char *prefix, char *out, size_t outlen);

/*
 * Login throttling, kept in PostgreSQL so every worker and host agrees.
 * key is the account's lower-cased email (or the login as typed, lower-cased,
 * when no account has it); ip the client's address.
 * Returns 0 when an attempt may go ahead, 1 when it must wait *retry_after
 * seconds, -1 on a database failure.
 */
int		 auth_throttle_check(struct db *db, const char *key, const char *ip,
		    long *retry_after);

/*
 * Records an attempt's outcome. A success clears the account's failures
 * (not the address's: one's own account must not reset a guesser's count).
 * Returns 0, or -1 on a database failure (logged).
 */
int		 auth_throttle_note(struct db *db, const char *key, const char *ip,
		    bool succeeded);

#endif
