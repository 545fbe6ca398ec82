/* users.h: the accounts store: users, API tokens, login sessions, data export, deletion.
 *
 * Every function that touches a person's data takes that person's user_id and
 * filters by it, so another user's row is simply not found (DB_NOTFOUND).
 * JSON results are new objects the caller puts. */
#ifndef PARLEY_USERS_H
#define PARLEY_USERS_H

#include <stdbool.h>

#include "db.h"

struct json_object;

/* A user as the API shows it: {id, email, username, name, is_active, created_at, updated_at}. */
enum db_err	 users_get(struct db *db, const char *user_id, struct json_object **out);

/*
 * Creates a user (username may be NULL). On DB_CONFLICT, db_constraint(db)
 * names the rule: "users_email_key" or "users_username_key".
 */
enum db_err	 users_create(struct db *db, const char *email, const char *username,
		    const char *name, const char *password_hash, struct json_object **out);

/* True in *taken when an account has this email (any letter case). */
enum db_err	 users_email_taken(struct db *db, const char *email, bool *taken);
enum db_err	 users_username_taken(struct db *db, const char *username, bool *taken);

/* What a login needs to know about the account named by an email or a username. */
struct user_login {
	char	 id[37];
	char	*email;		/* as stored */
	char	*password_hash;
	bool	 is_active;
};

/* Finds the account for login (an email when it has an '@', else a username). */
enum db_err	 users_for_login(struct db *db, const char *login, struct user_login *out);
void		 user_login_clear(struct user_login *l);	/* frees the strings */

/* The stored hash of user_id (caller frees *hash). */
enum db_err	 users_password_hash(struct db *db, const char *user_id, char **hash);
enum db_err	 users_set_password(struct db *db, const char *user_id, const char *hash);
enum db_err	 users_set_name(struct db *db, const char *user_id, const char *name);

/* Deletes the user and, through the cascades, everything they own. */
enum db_err	 users_delete(struct db *db, const char *user_id);

/* For operators: {"items": [user, ...]} in creation order. */
enum db_err	 users_list(struct db *db, struct json_object **out);
/* The id of the account with this email (any case); DB_NOTFOUND when none. */
enum db_err	 users_id_by_email(struct db *db, const char *email, char id[37]);
enum db_err	 users_set_active(struct db *db, const char *user_id, bool active);

/* Login sessions: id, created_at, last_seen_at, expires_at, user_agent, ip, current. */
enum db_err	 users_sessions_list(struct db *db, const char *user_id, const char *current_hash,
		    struct json_object **items);
/* Ends every session of user_id but the one with keep_hash (NULL or "": all). *n: how many. */
enum db_err	 users_sessions_end(struct db *db, const char *user_id, const char *keep_hash, int *n);
/* Ends one session by its id; DB_NOTFOUND when user_id has no such session. */
enum db_err	 users_session_end_id(struct db *db, const char *user_id, const char *session_id);
/* Deletes expired sessions: user_id's, or everyone's when user_id is NULL. */
enum db_err	 users_sessions_purge(struct db *db, const char *user_id);
/* True in *is_current when session_id is the session with token hash current_hash. */
enum db_err	 users_session_is(struct db *db, const char *session_id, const char *current_hash,
		    bool *is_current);

/* API tokens, never with their hashes: id, name, created_at, last_used_at. */
enum db_err	 users_tokens_list(struct db *db, const char *user_id, struct json_object **items);
enum db_err	 users_token_create(struct db *db, const char *user_id, const char *name,
		    const char *token_hash, struct json_object **out);
/* Revokes a live token of user_id; DB_NOTFOUND for another's, a revoked one, or none. */
enum db_err	 users_token_revoke(struct db *db, const char *user_id, const char *token_id);
/* The live token of user_id with this hash, as from users_tokens_list; DB_NOTFOUND if none. */
enum db_err	 users_token_by_hash(struct db *db, const char *user_id, const char *token_hash,
		    struct json_object **out);

/*
 * Everything user_id owns, as one JSON document: the account, sessions and
 * tokens (without secrets), conversations with messages and usage, tasks,
 * proposals with sections and usage.
 */
enum db_err	 users_export(struct db *db, const char *user_id, struct json_object **out);

#endif
