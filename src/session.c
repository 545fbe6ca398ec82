/* session.c: login sessions kept in PostgreSQL, API tokens, and CSRF tokens.
 *
 * The browser holds a random 32-byte token; the database holds only its
 * BLAKE2b hash, so a leaked table does not leak live sessions. Each session
 * has its own CSRF secret, handed to forms and to the API at login. Before a
 * login, a separate random cookie plays that part (double submit), so the
 * login and register forms are protected too. */
#include "session.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>
#include <sodium.h>

#include "config.h"
#include "db.h"
#include "escape.h"
#include "log.h"
#include "prefetch.h"
#include "response.h"
#include "xalloc.h"

#define TOKEN_BYTES	32
#define TOKEN_HEX	(TOKEN_BYTES * 2)

/*
 * Only refresh last_seen_at (a write) once a minute per session, or sooner
 * when the idle limit is short ($2 seconds), so a session in use never lapses.
 */
static const char sql_session_get[] =
	"SELECT u.id, u.email, u.username, u.name, u.created_at, s.csrf_secret,"
	" s.last_seen_at < now() - LEAST(interval '1 minute',"
	"   make_interval(secs => $2::float8 / 2)) AS stale"
	" FROM auth_sessions s JOIN users u ON u.id = s.user_id"
	" WHERE s.token_hash = $1 AND s.expires_at > now() AND u.is_active";

static const char sql_session_touch[] =
	"UPDATE auth_sessions SET last_seen_at = now(),"
	" expires_at = LEAST(created_at + make_interval(secs => $2::int),"
	"                    now() + make_interval(secs => $3::int))"
	" WHERE token_hash = $1";

/*
 * A token is read on every API request; writing last_used_at each time cost
 * more than the request's own query and queued concurrent requests of one
 * token on its row lock. Like a session's last_seen_at, it is refreshed at
 * most once a minute (stale), so the tokens list is at most a minute behind.
 */
static const char sql_token_get[] =
	"SELECT u.id, u.email, u.username, u.name, u.created_at,"
	" t.last_used_at IS NULL OR t.last_used_at < now() - interval '1 minute' AS stale"
	" FROM api_tokens t JOIN users u ON u.id = t.user_id"
	" WHERE t.token_hash = $1 AND NOT t.revoked AND u.is_active";

static const char sql_token_touch[] =
	"UPDATE api_tokens SET last_used_at = now() WHERE token_hash = $1";

static const char sql_session_insert[] =
	"INSERT INTO auth_sessions (token_hash, user_id, csrf_secret, expires_at, user_agent, ip)"
	" VALUES ($1, $2, $3, now() + make_interval(secs => LEAST($4::int, $5::int)), $6, $7)";

static const char sql_session_delete[] =
	"DELETE FROM auth_sessions WHERE token_hash = $1";

void
session_hash_token(const char *token, char out[65])
{
	unsigned char h[32];

	crypto_generichash(h, sizeof h, (const unsigned char *)token, strlen(token), NULL, 0);
	sodium_bin2hex(out, 65, h, sizeof h);
}

static void
random_hex(char out[TOKEN_HEX + 1])
{
	unsigned char raw[TOKEN_BYTES];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(out, TOKEN_HEX + 1, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
}

static bool
is_token(const char *s)
{
	return s != NULL && strlen(s) == TOKEN_HEX &&
	    strspn(s, "0123456789abcdef") == TOKEN_HEX;
}

void
session_user_free(struct user *u)
{
	if (u == NULL)
		return;
	free(u->email);
	free(u->username);
	free(u->name);
	free(u->created_at);
	free(u);
}

/* A user from the first five columns of row 0: id, email, username, name, created_at. */
static struct user *
user_from_row(const PGresult *res)
{
	struct user *u = xcalloc(1, sizeof *u);
	const char *id = PQgetvalue(res, 0, 0);
	char *ts;

	snprintf(u->id, sizeof u->id, "%s", id);
	u->email = xstrdup(PQgetvalue(res, 0, 1));
	u->username = PQgetisnull(res, 0, 2) ? NULL : xstrdup(PQgetvalue(res, 0, 2));
	u->name = xstrdup(PQgetvalue(res, 0, 3));
	u->created_at = xstrdup(PQgetvalue(res, 0, 4));
	/* Same shape as the JSON the API shows: 2026-01-02T03:04:05.123Z */
	if ((ts = strchr(u->created_at, ' ')) != NULL)
		*ts = 'T';
	if ((ts = strstr(u->created_at, "+00")) != NULL)
		strcpy(ts, "Z");
	return u;
}

static int
load_bearer(struct req *r, const char *token)
{
	struct prefetch_signin ps;
	char hash[65];
	PGresult *res;
	enum db_err e;

	session_hash_token(token, hash);
	e = prefetch_signin(r, &ps, hash, &(struct db_call){ "token_get", sql_token_get, DB_P(hash),
	    NULL }, &res);
	if (e != DB_OK) {
		resp_error(r, db_err_status(e) == 503 ? 503 : 500, "unavailable",
		    "The database is not answering; try again in a moment.");
		return -1;
	}
	if (PQntuples(res) != 1) {
		PQclear(res);
		prefetch_signin_done(r, &ps, hash);
		resp_header(r, "WWW-Authenticate", "Bearer");
		resp_error(r, 401, "unauthorized", "The API token is not valid, or it was revoked.");
		return -1;
	}
	r->user = user_from_row(res);
	r->via_bearer = true;
	bool stale = PQgetvalue(res, 0, 5)[0] == 't';
	PQclear(res);
	if (stale) {
		e = db_query(r->w->db, "token_touch", sql_token_touch, DB_P(hash), NULL);
		if (e != DB_OK)
			log_warn("request %s: could not record a token's use: %s",
			    r->request_id, db_strerror(e));
	}
	prefetch_signin_done(r, &ps, hash);
	return 0;
}

static int
load_cookie_session(struct req *r, const char *token)
{
	struct prefetch_signin ps;
	char idle[24], absolute[24];
	PGresult *res;
	enum db_err e;

	session_hash_token(token, r->session_hash);
	snprintf(absolute, sizeof absolute, "%ld", r->cfg->session_absolute);
	snprintf(idle, sizeof idle, "%ld", r->cfg->session_idle);
	e = prefetch_signin(r, &ps, r->session_hash, &(struct db_call){ "session_get",
	    sql_session_get, DB_P(r->session_hash, idle), NULL }, &res);
	if (e != DB_OK) {
		r->session_hash[0] = '\0';
		resp_error(r, db_err_status(e) == 503 ? 503 : 500, "unavailable",
		    "The database is not answering; try again in a moment.");
		return -1;
	}
	if (PQntuples(res) != 1) {
		/* Expired, signed out elsewhere, or made up: forget it. */
		PQclear(res);
		prefetch_signin_done(r, &ps, r->session_hash);
		r->session_hash[0] = '\0';
		resp_cookie(r, SESSION_COOKIE, "", 0);
		return 0;
	}
	r->user = user_from_row(res);
	snprintf(r->csrf_token, sizeof r->csrf_token, "%s", PQgetvalue(res, 0, 5));
	bool stale = PQgetvalue(res, 0, 6)[0] == 't';
	PQclear(res);
	if (stale) {
		e = db_query(r->w->db, "session_touch", sql_session_touch,
		    DB_P(r->session_hash, absolute, idle), NULL);
		if (e != DB_OK)
			log_warn("request %s: could not refresh a session: %s",
			    r->request_id, db_strerror(e));
	}
	prefetch_signin_done(r, &ps, r->session_hash);
	return 0;
}

int
session_load(struct req *r)
{
	const char *auth = req_env(r, "HTTP_AUTHORIZATION");
	const char *token;

	if (auth != NULL && strncasecmp(auth, "Bearer ", 7) == 0) {
		token = auth + 7;
		while (*token == ' ')
			token++;
		return load_bearer(r, token);
	}
	token = kvlist_get(&r->cookies, SESSION_COOKIE);
	if (is_token(token) && load_cookie_session(r, token) == -1)
		return -1;
	if (r->user != NULL)
		return 0;

	/* Signed out: a per-browser CSRF token in its own cookie. */
	token = kvlist_get(&r->cookies, CSRF_COOKIE);
	if (is_token(token)) {
		memcpy(r->csrf_token, token, TOKEN_HEX + 1);
	} else {
		random_hex(r->csrf_token);
		resp_cookie(r, CSRF_COOKIE, r->csrf_token, -1);
	}
	return 0;
}

void
session_require_login(struct req *r)
{
	struct buf loc = BUF_INIT;

	if (req_wants_json(r)) {
		resp_error(r, 401, "unauthorized", "Sign in, or send an API token, to use this.");
		return;
	}
	buf_puts(&loc, "/login?next=");
	esc_url(&loc, r->path, strlen(r->path));
	if (r->query_string != NULL && *r->query_string != '\0' && strcmp(r->method, "GET") == 0) {
		struct buf pq = BUF_INIT;
		buf_printf(&pq, "?%s", r->query_string);
		esc_url(&loc, pq.data, pq.len);
		buf_free(&pq);
	}
	resp_redirect(r, buf_cstr(&loc));
	buf_free(&loc);
}

bool
session_csrf_ok(const struct req *r)
{
	const char *given = req_env(r, "HTTP_X_CSRF_TOKEN");

	if (given == NULL)
		given = kvlist_get(&r->form, "csrf_token");
	if (given == NULL || r->csrf_token[0] == '\0')
		return false;
	size_t n = strlen(r->csrf_token);
	if (strlen(given) != n)
		return false;
	return sodium_memcmp(given, r->csrf_token, n) == 0;
}

int
session_start(struct req *r, const char *user_id)
{
	char token[TOKEN_HEX + 1], hash[65], csrf[TOKEN_HEX + 1];
	char idle[24], absolute[24];
	enum db_err e;

	/* A new login never continues an old session (no fixation). */
	if (r->session_hash[0] != '\0')
		session_end(r);
	random_hex(token);
	random_hex(csrf);
	session_hash_token(token, hash);
	snprintf(absolute, sizeof absolute, "%ld", r->cfg->session_absolute);
	snprintf(idle, sizeof idle, "%ld", r->cfg->session_idle);
	e = db_query(r->w->db, "session_insert", sql_session_insert,
	    DB_P(hash, user_id, csrf, idle, absolute,
	    r->user_agent ? r->user_agent : "", r->remote_addr ? r->remote_addr : ""), NULL);
	if (e != DB_OK) {
		sodium_memzero(token, sizeof token);
		return -1;
	}
	resp_cookie(r, SESSION_COOKIE, token, r->cfg->session_absolute);
	sodium_memzero(token, sizeof token);
	memcpy(r->session_hash, hash, sizeof hash);
	memcpy(r->csrf_token, csrf, sizeof csrf);
	return 0;
}

void
session_end(struct req *r)
{
	if (r->session_hash[0] != '\0') {
		enum db_err e = db_query(r->w->db, "session_delete", sql_session_delete,
		    DB_P(r->session_hash), NULL);
		if (e != DB_OK)
			log_warn("request %s: could not delete a session: %s",
			    r->request_id, db_strerror(e));
		r->session_hash[0] = '\0';
	}
	resp_cookie(r, SESSION_COOKIE, "", 0);
}
