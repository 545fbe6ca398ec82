/*
 * h_accounts.h: what the account pages (h_accounts_pages.c) and JSON API
 * (h_accounts_api.c) share: registering, signing in, checking a password
 * again and creating a token, written once, and the outcome each comes to.
 * Only those two include it (routes.c includes their headers); ha_ marks
 * these helpers.
 */
#ifndef PARLEY_H_ACCOUNTS_H
#define PARLEY_H_ACCOUNTS_H

#include "auth.h"
#include "db.h"
#include "form.h"

struct json_object;
struct req;

/* An API token: the prefix, then 64 random characters. */
#define HA_TOKEN_PREFIX		"pat_"
#define HA_TOKEN_LEN		(sizeof HA_TOKEN_PREFIX - 1 + 64)

/* What registering or signing in came to; presented as a page or as JSON. */
struct ha_outcome {
	int			 status;	/* 0 on success, else the HTTP status */
	const char		*code;		/* the API's error code */
	long			 retry_after;	/* seconds, for 429 and 503; 0: none */
	struct form_errors	 fe;		/* by field ("form": the whole form) */
	struct json_object	*user;		/* on success: the user (owned) */
};

/* "The database is not answering...": what a 503 from the store says to people. */
extern const char ha_msg_unavailable[];

/* Sets o to the failure a store error e calls for (503 with a Retry-After, else 500). */
void		 ha_fail_db(struct ha_outcome *o, enum db_err e);

/* Sets o to 503 "busy": too many password hashes at once. */
void		 ha_fail_busy(struct ha_outcome *o);

/* A Retry-After header of seconds; none when seconds is 0 or less. */
void		 ha_set_retry_after(struct req *r, long seconds);

/* The password field, not trimmed (spaces are part of a password); NULL with an error in fe. */
const char	*ha_read_password(const struct req *r, struct form_errors *fe, const char *field,
		    const char *label);

/* Registers from the fields email, name, password, username? and signs in; o says how it went. */
void		 ha_register(struct req *r, struct ha_outcome *o);

/* Signs in from the fields email (or a username) and password; o says how it went. */
void		 ha_login(struct req *r, struct ha_outcome *o);

/*
 * Checks a signed-in person's password again (account changes), with the
 * login throttle. Anything but a match leaves its failure in o, on field.
 */
enum auth_check	 ha_recheck_password(struct req *r, struct ha_outcome *o, const char *field,
		    const char *password);

/*
 * Creates an API token, named by the form's field, for the signed-in user.
 * *out: {id, name, token, created_at}, or NULL with o saying why not.
 */
/*
 * Revokes the signed-in person's token named by the path's {id}: true, or
 * false after answering (404 for another's, a revoked one or none; 503/500).
 */
bool		 ha_revoke_token(struct req *r);
void		 ha_create_token(struct req *r, struct ha_outcome *o, const char *field,
		    struct json_object **out);

#endif
