/* h_accounts_pages.c: the account pages: /register, /login, /logout, /account and its forms. */
#include "h_accounts_pages.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth.h"
#include "buf.h"
#include "db.h"
#include "escape.h"
#include "form.h"
#include "h_accounts.h"
#include "log.h"
#include "parse.h"
#include "req.h"
#include "response.h"
#include "session.h"
#include "users.h"
#include "view.h"

/* Where a new API token waits for the page after the redirect that follows its creation. */
#define NEW_TOKEN_COOKIE	"parley_new_token"

/*
 * The local path a login may return to: next itself when it is a path on
 * this site ("/x", not "//host" or "/\host"), else NULL.
 */
static const char *
safe_next(const char *next)
{
	if (next == NULL || next[0] != '/' || next[1] == '/' || next[1] == '\\' ||
	    strlen(next) > 2000)
		return NULL;
	/* No backslashes or controls anywhere: browsers read some of them as "//". */
	for (const char *p = next; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '\\')
			return NULL;
	return next;
}

/* The next= of this request: the form's on a POST, else the query's; NULL when not local. */
static const char *
req_next(const struct req *r)
{
	const char *n = req_form(r, "next");

	if (n == NULL)
		n = req_query(r, "next");
	return safe_next(n);
}

/* Adds the field text typed into the form (never a password) to values. */
static void
keep_value(const struct req *r, struct json_object *values, const char *field)
{
	const char *v = form_str(r, field, NULL);

	if (v != NULL)
		json_object_object_add(values, field, json_object_new_string(v));
}

/* The login or register page, with o's errors when o is not NULL. */
static void
auth_page(struct req *r, const char *tmpl, const char *title, const struct ha_outcome *o)
{
	struct json_object *data = json_object_new_object();
	struct json_object *values = json_object_new_object();
	const char *next = req_next(r);
	struct form_errors none = { 0 };
	int status = 200;

	if (o != NULL) {
		keep_value(r, values, "email");
		keep_value(r, values, "name");
		keep_value(r, values, "username");
		status = o->status;
		ha_set_retry_after(r, o->retry_after);
	}
	form_errors_to_page(o != NULL ? &o->fe : &none, data);
	json_object_object_add(data, "values", values);
	if (next != NULL) {
		struct buf q = BUF_INIT;
		buf_puts(&q, "?next=");
		esc_url(&q, next, strlen(next));
		json_object_object_add(data, "next", json_object_new_string(next));
		json_object_object_add(data, "next_query", json_object_new_string(buf_cstr(&q)));
		buf_free(&q);
	}
	if (o == NULL && strcmp(tmpl, "login") == 0) {
		const char *deleted = req_query(r, "deleted");
		if (deleted != NULL && strcmp(deleted, "1") == 0)
			view_flash(data, "success",
			    "Your account and everything in it were deleted.");
		else if (next != NULL)
			view_flash(data, "info", "Sign in to continue.");
	}
	resp_page(r, status, title, tmpl, data);
}

/* ---- pages: register, login, logout ---- */

/* Where to go once signed in. */
static void
redirect_after_login(struct req *r)
{
	const char *next = req_next(r);

	resp_redirect(r, next != NULL ? next : "/chat");
}

/* GET /register */
void
h_register_page(struct req *r)
{
	if (r->user != NULL) {
		redirect_after_login(r);
		return;
	}
	auth_page(r, "register", "Create an account", NULL);
}

/* POST /register: email, name, password, username (optional). */
void
h_register_submit(struct req *r)
{
	struct ha_outcome o;

	ha_register(r, &o);
	if (o.status != 0) {
		auth_page(r, "register", "Create an account", &o);
		return;
	}
	json_object_put(o.user);
	redirect_after_login(r);
}

/* GET /login */
void
h_login_page(struct req *r)
{
	if (r->user != NULL) {
		redirect_after_login(r);
		return;
	}
	auth_page(r, "login", "Sign in", NULL);
}

/* POST /login: email (or a username), password. */
void
h_login_submit(struct req *r)
{
	struct ha_outcome o;

	ha_login(r, &o);
	if (o.status != 0) {
		auth_page(r, "login", "Sign in", &o);
		return;
	}
	json_object_put(o.user);
	redirect_after_login(r);
}

/*
 * POST /logout. Routed without the dispatcher's CSRF check, so that someone
 * whose session already lapsed is simply sent to /login; a live session is
 * only ended with its own CSRF token.
 */
void
h_logout(struct req *r)
{
	if (r->user != NULL && !r->via_bearer && !session_csrf_ok(r)) {
		resp_error(r, 403, "csrf",
		    "This form has expired or did not come from Parley. Reload the page and try again.");
		return;
	}
	session_end(r);
	resp_redirect(r, "/login");
}

/* ---- the account page ---- */

/* "2026-01-02T03:04:05.678Z" as "2026-01-02 03:04" under key_text (pages say it is UTC). */
static void
add_time_text(struct json_object *o, const char *key)
{
	struct json_object *v;
	char text[32], k[64];
	const char *s;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL ||
	    (s = json_object_get_string(v)) == NULL || strlen(s) < 16)
		return;
	snprintf(text, sizeof text, "%.10s %.5s", s, s + 11);
	snprintf(k, sizeof k, "%s_text", key);
	json_object_object_add(o, k, json_object_new_string(text));
}

/* A short name for a browser from its User-Agent, for the sessions list. */
static const char *
ua_browser(const char *ua)
{
	if (ua == NULL || *ua == '\0')
		return "Unknown browser";
	if (strstr(ua, "curl/") != NULL)
		return "curl";
	if (strstr(ua, "Firefox/") != NULL)
		return "Firefox";
	if (strstr(ua, "Edg/") != NULL)
		return "Edge";
	if (strstr(ua, "OPR/") != NULL)
		return "Opera";
	if (strstr(ua, "Chrome/") != NULL || strstr(ua, "Chromium/") != NULL)
		return "Chrome";
	if (strstr(ua, "Safari/") != NULL)
		return "Safari";
	return "Other client";
}

static const char *
ua_system(const char *ua)
{
	if (ua == NULL)
		return NULL;
	if (strstr(ua, "Android") != NULL)
		return "Android";
	if (strstr(ua, "iPhone") != NULL || strstr(ua, "iPad") != NULL)
		return "iOS";
	if (strstr(ua, "Windows") != NULL)
		return "Windows";
	if (strstr(ua, "Mac OS X") != NULL || strstr(ua, "Macintosh") != NULL)
		return "macOS";
	if (strstr(ua, "Linux") != NULL || strstr(ua, "X11") != NULL)
		return "Linux";
	return NULL;
}

static void
decorate_sessions(struct json_object *items)
{
	size_t n = json_object_array_length(items);

	for (size_t i = 0; i < n; i++) {
		struct json_object *s = json_object_array_get_idx(items, i), *v;
		const char *ua = NULL, *sys;
		char device[96];

		if (json_object_object_get_ex(s, "user_agent", &v) && v != NULL)
			ua = json_object_get_string(v);
		sys = ua_system(ua);
		if (sys != NULL)
			snprintf(device, sizeof device, "%s on %s", ua_browser(ua), sys);
		else
			snprintf(device, sizeof device, "%s", ua_browser(ua));
		json_object_object_add(s, "device", json_object_new_string(device));
		add_time_text(s, "created_at");
		add_time_text(s, "last_seen_at");
	}
}

static void
decorate_tokens(struct json_object *items)
{
	size_t n = json_object_array_length(items);

	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(items, i);
		add_time_text(t, "created_at");
		add_time_text(t, "last_used_at");
	}
}

/* A token held by the new-token cookie, when it is a live token of this user; else NULL. */
static struct json_object *
pending_token(struct req *r)
{
	const char *tok = kvlist_get(&r->cookies, NEW_TOKEN_COOKIE);
	struct json_object *t = NULL;
	char hash[65];

	if (tok == NULL)
		return NULL;
	/* Shown once: whatever happens next, the cookie goes. */
	resp_cookie(r, NEW_TOKEN_COOKIE, "", 0);
	if (strlen(tok) != HA_TOKEN_LEN ||
	    strncmp(tok, HA_TOKEN_PREFIX, sizeof HA_TOKEN_PREFIX - 1) != 0)
		return NULL;
	session_hash_token(tok, hash);
	if (users_token_by_hash(r->w->db, r->user->id, hash, &t) != DB_OK)
		return NULL;
	json_object_object_add(t, "token", json_object_new_string(tok));
	return t;
}

static const struct {
	const char	*key;
	const char	*message;
} saved_messages[] = {
	{ "name", "Your name was saved." },
	{ "password", "Your password was changed, and every other session was signed out." },
	{ "sessions", "Every other session was signed out." },
	{ "session", "The session was signed out." },
	{ "token", "The token was created. Copy it now: it will not be shown again." },
	{ "revoked", "The token was revoked; it no longer works." },
};

/*
 * The account page. fe and values (taken; may be NULL) come from a form
 * that failed; status is the page's status then.
 */
static void
account_page(struct req *r, int status, const struct form_errors *fe, struct json_object *values)
{
	struct json_object *data, *account = NULL, *sessions = NULL, *tokens = NULL, *tok;
	struct form_errors none = { 0 };
	const char *saved;
	enum db_err e;

	if ((e = users_get(r->w->db, r->user->id, &account)) != DB_OK ||
	    (e = users_sessions_list(r->w->db, r->user->id, r->session_hash, &sessions)) != DB_OK ||
	    (e = users_tokens_list(r->w->db, r->user->id, &tokens)) != DB_OK) {
		json_object_put(account);
		json_object_put(sessions);
		json_object_put(values);
		resp_error(r, db_err_status(e) == 503 ? 503 : 500, "unavailable", "%s",
		    ha_msg_unavailable);
		return;
	}
	data = json_object_new_object();
	add_time_text(account, "created_at");
	decorate_sessions(sessions);
	decorate_tokens(tokens);
	if (json_object_array_length(sessions) > 1)
		json_object_object_add(data, "other_sessions", json_object_new_boolean(1));
	if (json_object_array_length(tokens) > 0)
		json_object_object_add(data, "has_tokens", json_object_new_boolean(1));
	json_object_object_add(data, "account", account);
	json_object_object_add(data, "sessions", sessions);
	json_object_object_add(data, "tokens", tokens);
	json_object_object_add(data, "nav_account", json_object_new_boolean(1));
	if (values == NULL)
		values = json_object_new_object();
	/* The name field shows what was typed, else the name on record. */
	struct json_object *name;
	if (!json_object_object_get_ex(values, "name", NULL) &&
	    json_object_object_get_ex(account, "name", &name))
		json_object_object_add(values, "name", json_object_get(name));
	json_object_object_add(data, "values", values);
	form_errors_to_page(fe != NULL ? fe : &none, data);
	if (status == 200 && (tok = pending_token(r)) != NULL)
		json_object_object_add(data, "new_token", tok);
	if (status == 200 && (saved = req_query(r, "saved")) != NULL) {
		for (size_t i = 0; i < sizeof saved_messages / sizeof saved_messages[0]; i++)
			if (strcmp(saved, saved_messages[i].key) == 0)
				view_flash(data, "success", saved_messages[i].message);
	}
	resp_page(r, status, "Account", "account", data);
}

/* A failed account form: its errors on the page, with the status they call for. */
static void
account_fail(struct req *r, const struct ha_outcome *o, struct json_object *values)
{
	if (o->status == 503) {
		json_object_put(values);
		ha_set_retry_after(r, o->retry_after);
		resp_error(r, 503, o->code, "%s",
		    o->fe.n > 0 ? o->fe.e[0].msg : ha_msg_unavailable);
		return;
	}
	ha_set_retry_after(r, o->retry_after);
	account_page(r, o->status, &o->fe, values);
}

/* GET /account */
void
h_account(struct req *r)
{
	account_page(r, 200, NULL, NULL);
}

/* POST /account/name: name */
void
h_account_name(struct req *r)
{
	struct ha_outcome o;
	struct json_object *values;
	char *name = NULL;
	enum db_err e;

	memset(&o, 0, sizeof o);
	if (form_text(r, &o.fe, "name", "Name", true, 1, AUTH_NAME_MAX, &name) == -1) {
		values = json_object_new_object();
		keep_value(r, values, "name");
		o.status = 422;
		account_fail(r, &o, values);
		return;
	}
	e = users_set_name(r->w->db, r->user->id, name);
	free(name);
	if (e != DB_OK) {
		ha_fail_db(&o, e);
		account_fail(r, &o, NULL);
		return;
	}
	resp_redirect(r, "/account?saved=name#profile");
}

/* POST /account/password: current_password, new_password. Ends every other session. */
void
h_account_password(struct req *r)
{
	struct ha_outcome o;
	const char *cur, *neu, *problem;
	char hash[AUTH_HASH_MAX];
	enum db_err e;
	int n;

	memset(&o, 0, sizeof o);
	cur = ha_read_password(r, &o.fe, "current_password", "Your current password");
	if ((neu = ha_read_password(r, &o.fe, "new_password", "The new password")) != NULL &&
	    (problem = auth_password_problem(neu)) != NULL)
		form_error(&o.fe, "new_password", "%s", problem);
	if (o.fe.n > 0) {
		o.status = 422;
		account_fail(r, &o, NULL);
		return;
	}
	switch (ha_recheck_password(r, &o, "current_password", cur)) {
	case AUTH_MATCH:
	case AUTH_MATCH_REHASH:
		break;
	default:
		account_fail(r, &o, NULL);
		return;
	}
	(void)db_release(r->w->db);	/* hashing takes a while and needs no connection */
	if (auth_hash_password(r->w->app->hash_gate, neu, hash) == -1) {
		ha_fail_busy(&o);
		account_fail(r, &o, NULL);
		return;
	}
	e = users_set_password(r->w->db, r->user->id, hash);
	sodium_memzero(hash, sizeof hash);
	if (e == DB_OK)
		e = users_sessions_end(r->w->db, r->user->id, r->session_hash, &n);
	if (e != DB_OK) {
		ha_fail_db(&o, e);
		account_fail(r, &o, NULL);
		return;
	}
	log_info("request %s: user %s changed their password; %d other sessions ended",
	    r->request_id, r->user->id, n);
	resp_redirect(r, "/account?saved=password#password");
}

/* POST /account/sessions/others: sign out everywhere else. */
void
h_account_sessions_end_others(struct req *r)
{
	enum db_err e;
	int n;

	if ((e = users_sessions_end(r->w->db, r->user->id, r->session_hash, &n)) != DB_OK) {
		resp_error(r, db_err_status(e), "unavailable", "%s", ha_msg_unavailable);
		return;
	}
	resp_redirect(r, "/account?saved=sessions#sessions");
}

/* POST /account/sessions/{id}/end: sign one session out (this one too). */
void
h_account_session_end(struct req *r)
{
	const char *id = req_param(r, "id");
	bool current = false;
	enum db_err e;

	if (id == NULL || !parse_is_uuid(id)) {
		resp_error(r, 404, "not_found", "There is no such session.");
		return;
	}
	if ((e = users_session_is(r->w->db, id, r->session_hash, &current)) == DB_OK)
		e = users_session_end_id(r->w->db, r->user->id, id);
	if (e == DB_NOTFOUND) {
		resp_error(r, 404, "not_found", "There is no such session.");
		return;
	}
	if (e != DB_OK) {
		resp_error(r, db_err_status(e), "unavailable", "%s", ha_msg_unavailable);
		return;
	}
	if (current) {
		r->session_hash[0] = '\0';	/* already deleted */
		session_end(r);
		resp_redirect(r, "/login");
		return;
	}
	resp_redirect(r, "/account?saved=session#sessions");
}

/* POST /account/tokens: token_name. The token waits in a short-lived cookie for the page. */
void
h_account_token_create(struct req *r)
{
	struct ha_outcome o;
	struct json_object *t, *v, *values;

	memset(&o, 0, sizeof o);
	ha_create_token(r, &o, "token_name", &t);
	if (t == NULL) {
		values = json_object_new_object();
		keep_value(r, values, "token_name");
		account_fail(r, &o, values);
		return;
	}
	if (json_object_object_get_ex(t, "token", &v))
		resp_cookie(r, NEW_TOKEN_COOKIE, json_object_get_string(v), 300);
	json_object_put(t);
	resp_redirect(r, "/account?saved=token#tokens");
}

/* POST /account/tokens/{id}/revoke */
void
h_account_token_revoke(struct req *r)
{
	if (ha_revoke_token(r))
		resp_redirect(r, "/account?saved=revoked#tokens");
}

/* GET /account/export: everything the person owns, as a JSON file to keep. */
void
h_account_export(struct req *r)
{
	struct json_object *doc, *at;
	char disp[128], date[11] = "export";
	const char *s;
	size_t len;
	enum db_err e;

	if ((e = users_export(r->w->db, r->user->id, &doc)) != DB_OK) {
		resp_error(r, db_err_status(e) == 503 ? 503 : 500, "unavailable", "%s",
		    ha_msg_unavailable);
		return;
	}
	if (json_object_object_get_ex(doc, "exported_at", &at) &&
	    (s = json_object_get_string(at)) != NULL && strlen(s) >= 10 &&
	    strspn(s, "0123456789-") >= 10)
		snprintf(date, sizeof date, "%.10s", s);
	snprintf(disp, sizeof disp, "attachment; filename=\"parley-data-%s.json\"", date);
	s = json_object_to_json_string_length(doc,
	    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE, &len);
	resp_header(r, "Content-Disposition", disp);
	resp_header(r, "Cache-Control", "no-store");
	resp_send(r, 200, "application/json; charset=utf-8", s, len);
	json_object_put(doc);
}

/* POST /account/delete: password. Deletes the account and everything it owns. */
void
h_account_delete(struct req *r)
{
	struct ha_outcome o;
	const char *pw;
	enum db_err e;

	memset(&o, 0, sizeof o);
	if ((pw = ha_read_password(r, &o.fe, "password", "Your password")) == NULL) {
		o.status = 422;
		account_fail(r, &o, NULL);
		return;
	}
	switch (ha_recheck_password(r, &o, "password", pw)) {
	case AUTH_MATCH:
	case AUTH_MATCH_REHASH:
		break;
	default:
		account_fail(r, &o, NULL);
		return;
	}
	if ((e = users_delete(r->w->db, r->user->id)) != DB_OK) {
		ha_fail_db(&o, e);
		account_fail(r, &o, NULL);
		return;
	}
	log_info("request %s: user %s deleted their account", r->request_id, r->user->id);
	r->session_hash[0] = '\0';	/* gone with the user */
	session_end(r);
	resp_redirect(r, "/login?deleted=1");
}
