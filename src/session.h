/* session.h: who is asking: login sessions in PostgreSQL, API tokens, and CSRF tokens. */
#ifndef PARLEY_SESSION_H
#define PARLEY_SESSION_H

#include <stdbool.h>

#include "req.h"

#define SESSION_COOKIE	"parley_session"
#define CSRF_COOKIE	"parley_csrf"

/*
 * Sets r->user from an Authorization: Bearer token or the session cookie,
 * and r->csrf_token for forms. Returns 0, or -1 after answering (503 when
 * the database is unreachable, 401 for a bearer token that is not valid).
 */
int	 session_load(struct req *r);

/* Answers a request that needs a login: 401 for the API, a redirect to /login?next= for pages. */
void	 session_require_login(struct req *r);

/* True when the request carries the right CSRF token (X-CSRF-Token header or csrf_token field). */
bool	 session_csrf_ok(const struct req *r);

/*
 * Starts a new login session for user_id: a fresh token in the cookie, only
 * its hash stored, a new CSRF token in r->csrf_token. Returns 0, or -1 on a
 * database failure (nothing set).
 */
int	 session_start(struct req *r, const char *user_id);

/* Ends the current login session (row deleted, cookie cleared). */
void	 session_end(struct req *r);

/* Hex BLAKE2b-256 of a token, as stored (out must hold 65 bytes). */
void	 session_hash_token(const char *token, char out[65]);

/* Frees a user loaded by session_load (accepts NULL). */
void	 session_user_free(struct user *u);

#endif
