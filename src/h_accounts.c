/* h_accounts.c: accounts: register, sign in and out, the account page, tokens, the auth API.
 *
 * Registering and signing in are written once (do_register, do_login) and
 * presented twice: as a page with the form and its errors, or as JSON. Their
 * outcome carries the HTTP status and the messages by field. Status codes:
 * 422 for input that breaks a rule, 409 for an email or username already
 * taken, 401 for a wrong login, 429 when throttled, 503 when the database or
 * the password hasher cannot serve now. */
#include "h_accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "users.h"
#include "escape.h"
#include "form.h"
#include "log.h"
#include "parse.h"
#include "response.h"
#include "session.h"
#include "view.h"
#include "xalloc.h"

/* Where a new API token waits for the page after the redirect that follows its creation. */
#define NEW_TOKEN_COOKIE	"parley_new_token"
#define TOKEN_PREFIX		"pat_"
#define TOKEN_LEN		(sizeof TOKEN_PREFIX - 1 + 64)
#define TOKEN_NAME_MAX		100

static const char msg_wrong_login[] = "Wrong email or password.";
static const char msg_unavailable[] =
	"The database is not answering; try again in a moment.";
static const char msg_busy[] =
	"Too many people are signing in right now; try again in a moment.";

/* What registering or signing in came to; presented as a page or as JSON. */
struct outcome {
	int			 status;	/* 0 on success, else the HTTP status */
	const char		*code;		/* the API's error code */
	long			 retry_after;	/* seconds, for 429 and 503; 0: none */
	struct form_errors	 fe;		/* messages by field ("form": the whole form) */
	struct json_object	*user;		/* on success: the user (owned) */
};

static void
fail(struct outcome *o, int status, const char *code, const char *field, const char *msg)
{
	o->status = status;
	o->code = code;
	form_error(&o->fe, field, "%s", msg);
}

static void
fail_db(struct outcome *o, enum db_err e)
{
	int st = db_err_status(e);

	if (st == 503) {
		o->retry_after = 5;
		fail(o, 503, "unavailable", "form", msg_unavailable);
	} else {
		fail(o, st >= 400 ? st : 500, "internal", "form",
		    "Something went wrong on our side; try again.");
	}
}

static void
fail_busy(struct outcome *o)
{
	o->retry_after = 5;
	fail(o, 503, "busy", "form", msg_busy);
}

/* ASCII lower-case copy of s into out (cut to outlen - 1 bytes). */
static void
ascii_lower(char *out, size_t outlen, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0' && i + 1 < outlen; i++)
		out[i] = (s[i] >= 'A' && s[i] <= 'Z') ? (char)(s[i] - 'A' + 'a') : s[i];
	out[i] = '\0';
}

const char *
accounts_safe_next(const char *next)
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
	return accounts_safe_next(n);
}

static void
set_retry_after(struct req *r, long seconds)
{
	char v[24];

	if (seconds <= 0)
		return;
	snprintf(v, sizeof v, "%ld", seconds);
	resp_header(r, "Retry-After", v);
}

/* ---- the shared steps ---- */

/* Starts the login session for id and loads the user into o->user. */
static void
sign_in(struct req *r, struct outcome *o, const char *id)
{
	enum db_err e;

	/* A person's own dead sessions go at each login; everyone's now and then. */
	if (users_sessions_purge(r->w->db, id) != DB_OK)
		log_warn("request %s: could not purge expired sessions", r->request_id);
	if (randombytes_uniform(64) == 0 && users_sessions_purge(r->w->db, NULL) != DB_OK)
		log_warn("request %s: could not purge expired sessions", r->request_id);
	if (session_start(r, id) == -1) {
		fail_db(o, DB_UNAVAILABLE);
		return;
	}
	if ((e = users_get(r->w->db, id, &o->user)) != DB_OK)
		fail_db(o, e);
}

/* The password field, not trimmed (spaces are part of a password). */
static const char *
read_password(const struct req *r, struct form_errors *fe, const char *field, const char *label)
{
	bool wrong = false;
	const char *pw = form_str(r, field, &wrong);

	if (wrong) {
		form_error(fe, field, "%s must be a string.", label);
		return NULL;
	}
	if (pw == NULL || *pw == '\0') {
		form_error(fe, field, "%s is required.", label);
		return NULL;
	}
	return pw;
}

static void
do_register(struct req *r, struct outcome *o)
{
	struct db *db = r->w->db;
	char *email = NULL, *name = NULL, *username = NULL;
	char hash[AUTH_HASH_MAX];
	const char *password, *problem;
	struct json_object *user = NULL;
	bool taken;
	enum db_err e;

	memset(o, 0, sizeof *o);
	if (form_text(r, &o->fe, "email", "Email", true, 1, 1000, &email) == 0 &&
	    (problem = auth_email_problem(email)) != NULL)
		form_error(&o->fe, "email", "%s", problem);
	(void)form_text(r, &o->fe, "name", "Name", true, 1, AUTH_NAME_MAX, &name);
	if (form_text(r, &o->fe, "username", "Username", false, 0, 1000, &username) == 0 &&
	    username != NULL) {
		if (*username == '\0') {
			free(username);
			username = NULL;
		} else if ((problem = auth_username_problem(username)) != NULL) {
			form_error(&o->fe, "username", "%s", problem);
		}
	}
	if ((password = read_password(r, &o->fe, "password", "Password")) != NULL &&
	    (problem = auth_password_problem(password)) != NULL)
		form_error(&o->fe, "password", "%s", problem);
	if (o->fe.n > 0) {
		o->status = 422;
		o->code = "invalid";
		goto out;
	}

	/* Ask first, so a taken email costs no 64 MiB hash; the insert checks again. */
	if ((e = users_email_taken(db, email, &taken)) != DB_OK) {
		fail_db(o, e);
		goto out;
	}
	if (taken) {
		fail(o, 409, "email_taken", "email", "An account with this email already exists.");
		goto out;
	}
	if (username != NULL) {
		if ((e = users_username_taken(db, username, &taken)) != DB_OK) {
			fail_db(o, e);
			goto out;
		}
		if (taken) {
			fail(o, 409, "username_taken", "username", "This username is already taken.");
			goto out;
		}
	}
	(void)db_release(r->w->db);	/* hashing takes a while and needs no connection */
	if (auth_hash_password(r->w->app->hash_gate, password, hash) == -1) {
		fail_busy(o);
		goto out;
	}
	e = users_create(db, email, username, name, hash, &user);
	sodium_memzero(hash, sizeof hash);
	if (e == DB_CONFLICT) {
		if (strcmp(db_constraint(db), "users_username_key") == 0)
			fail(o, 409, "username_taken", "username", "This username is already taken.");
		else
			fail(o, 409, "email_taken", "email",
			    "An account with this email already exists.");
		goto out;
	}
	if (e != DB_OK) {
		fail_db(o, e);
		goto out;
	}
	struct json_object *id;
	if (!json_object_object_get_ex(user, "id", &id)) {
		fail_db(o, DB_ERROR);
		goto out;
	}
	sign_in(r, o, json_object_get_string(id));
out:
	json_object_put(user);
	free(email);
	free(name);
	free(username);
}

/* Checks a signed-in person's password again (account changes), with the login throttle. */
static enum auth_check
recheck_password(struct req *r, struct outcome *o, const char *field, const char *password)
{
	char key[321], *hash = NULL;
	enum auth_check chk;
	enum db_err e;
	long wait;

	ascii_lower(key, sizeof key, r->user->email);
	switch (auth_throttle_check(r->w->db, key, r->remote_addr, &wait)) {
	case -1:
		fail_db(o, DB_UNAVAILABLE);
		return AUTH_BUSY;
	case 1:
		o->retry_after = wait;
		fail(o, 429, "throttled", field,
		    "Too many wrong passwords. Wait a few minutes and try again.");
		return AUTH_BUSY;
	}
	if ((e = users_password_hash(r->w->db, r->user->id, &hash)) != DB_OK) {
		fail_db(o, e);
		return AUTH_BUSY;
	}
	(void)db_release(r->w->db);	/* hashing takes a while and needs no connection */
	chk = strlen(password) > AUTH_PASSWORD_MAX ? AUTH_NO_MATCH :
	    auth_verify_password(r->w->app->hash_gate, hash, password);
	free(hash);
	if (chk == AUTH_BUSY) {
		fail_busy(o);
	} else if (chk == AUTH_NO_MATCH) {
		(void)auth_throttle_note(r->w->db, key, r->remote_addr, false);
		fail(o, 422, "wrong_password", field, "The password is not right.");
	}
	return chk;
}

static void
do_login(struct req *r, struct outcome *o)
{
	struct db *db = r->w->db;
	struct hash_gate *gate = r->w->app->hash_gate;
	struct user_login acct;
	char *login = NULL, key[321], hash[AUTH_HASH_MAX];
	const char *password;
	enum auth_check chk;
	enum db_err e;
	bool found;
	long wait;

	memset(o, 0, sizeof *o);
	memset(&acct, 0, sizeof acct);
	(void)form_text(r, &o->fe, "email", "Email or username", true, 1, 320, &login);
	password = read_password(r, &o->fe, "password", "Password");
	if (o->fe.n > 0) {
		o->status = 422;
		o->code = "invalid";
		goto out;
	}

	e = users_for_login(db, login, &acct);
	if (e != DB_OK && e != DB_NOTFOUND) {
		fail_db(o, e);
		goto out;
	}
	found = e == DB_OK;
	/* One key per account, whichever name was typed; unknown names count on their own. */
	ascii_lower(key, sizeof key, found ? acct.email : login);
	switch (auth_throttle_check(db, key, r->remote_addr, &wait)) {
	case -1:
		fail_db(o, DB_UNAVAILABLE);
		goto out;
	case 1: {
		char msg[160];
		long min = (wait + 59) / 60;
		snprintf(msg, sizeof msg, "Too many failed sign-in attempts. Try again in %ld minute%s.",
		    min, min == 1 ? "" : "s");
		o->retry_after = wait;
		fail(o, 429, "throttled", "form", msg);
		goto out;
	}
	}

	(void)db_release(db);	/* hashing takes a while and needs no connection */
	if (strlen(password) > AUTH_PASSWORD_MAX) {
		chk = AUTH_NO_MATCH;		/* no password that long was ever accepted */
	} else if (found) {
		chk = auth_verify_password(gate, acct.password_hash, password);
	} else {
		auth_burn_time(gate, password);
		chk = AUTH_NO_MATCH;
	}
	if (chk == AUTH_BUSY) {
		fail_busy(o);
		goto out;
	}
	if (chk == AUTH_NO_MATCH) {
		(void)auth_throttle_note(db, key, r->remote_addr, false);
		fail(o, 401, "wrong_login", "password", msg_wrong_login);
		goto out;
	}
	/* Only someone who knows the password learns that the account is disabled. */
	if (!acct.is_active) {
		(void)auth_throttle_note(db, key, r->remote_addr, false);
		fail(o, 403, "account_disabled", "form",
		    "This account is disabled. Ask the administrator of this Parley to enable it.");
		goto out;
	}
	if (chk == AUTH_MATCH_REHASH) {
		if (auth_hash_password(gate, password, hash) == 0 &&
		    users_set_password(db, acct.id, hash) == DB_OK)
			log_info("auth: password hash of user %s upgraded", acct.id);
		sodium_memzero(hash, sizeof hash);
	}
	(void)auth_throttle_note(db, key, r->remote_addr, true);
	sign_in(r, o, acct.id);
out:
	user_login_clear(&acct);
	free(login);
}

/* ---- presenting an outcome ---- */

/* {"error": {code, message, fields}} with o's status (fields: the real ones only). */
static void
api_fail(struct req *r, const struct outcome *o)
{
	struct json_object *j, *err, *fields;

	if (o->status == 422 && strcmp(o->code, "invalid") == 0) {
		form_errors_respond(r, &o->fe);
		return;
	}
	set_retry_after(r, o->retry_after);
	if (o->status == 401)
		resp_header(r, "WWW-Authenticate", "Bearer");
	j = json_object_new_object();
	err = json_object_new_object();
	fields = json_object_new_object();
	for (size_t i = 0; i < o->fe.n; i++)
		if (strcmp(o->fe.e[i].field, "form") != 0)
			json_object_object_add(fields, o->fe.e[i].field,
			    json_object_new_string(o->fe.e[i].msg));
	json_object_object_add(err, "code", json_object_new_string(o->code));
	json_object_object_add(err, "message",
	    json_object_new_string(o->fe.n > 0 ? o->fe.e[0].msg : "The request failed."));
	if (json_object_object_length(fields) > 0)
		json_object_object_add(err, "fields", fields);
	else
		json_object_put(fields);
	json_object_object_add(j, "error", err);
	resp_json(r, o->status, j);
}

/* {"user": {...}, "csrf_token": "..."}: what registering and signing in answer. */
static void
api_signed_in(struct req *r, int status, struct outcome *o)
{
	struct json_object *j = json_object_new_object();

	json_object_object_add(j, "user", o->user);
	o->user = NULL;
	json_object_object_add(j, "csrf_token", json_object_new_string(r->csrf_token));
	resp_json(r, status, j);
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
auth_page(struct req *r, const char *tmpl, const char *title, const struct outcome *o)
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
		set_retry_after(r, o->retry_after);
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
	struct outcome o;

	do_register(r, &o);
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
	struct outcome o;

	do_login(r, &o);
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
	if (strlen(tok) != TOKEN_LEN || strncmp(tok, TOKEN_PREFIX, sizeof TOKEN_PREFIX - 1) != 0)
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
		    msg_unavailable);
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
account_fail(struct req *r, const struct outcome *o, struct json_object *values)
{
	if (o->status == 503) {
		json_object_put(values);
		set_retry_after(r, o->retry_after);
		resp_error(r, 503, o->code, "%s", o->fe.n > 0 ? o->fe.e[0].msg : msg_unavailable);
		return;
	}
	set_retry_after(r, o->retry_after);
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
	struct outcome o;
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
		fail_db(&o, e);
		account_fail(r, &o, NULL);
		return;
	}
	resp_redirect(r, "/account?saved=name#profile");
}

/* POST /account/password: current_password, new_password. Ends every other session. */
void
h_account_password(struct req *r)
{
	struct outcome o;
	const char *cur, *neu, *problem;
	char hash[AUTH_HASH_MAX];
	enum db_err e;
	int n;

	memset(&o, 0, sizeof o);
	cur = read_password(r, &o.fe, "current_password", "Your current password");
	if ((neu = read_password(r, &o.fe, "new_password", "The new password")) != NULL &&
	    (problem = auth_password_problem(neu)) != NULL)
		form_error(&o.fe, "new_password", "%s", problem);
	if (o.fe.n > 0) {
		o.status = 422;
		account_fail(r, &o, NULL);
		return;
	}
	switch (recheck_password(r, &o, "current_password", cur)) {
	case AUTH_MATCH:
	case AUTH_MATCH_REHASH:
		break;
	default:
		account_fail(r, &o, NULL);
		return;
	}
	(void)db_release(r->w->db);	/* hashing takes a while and needs no connection */
	if (auth_hash_password(r->w->app->hash_gate, neu, hash) == -1) {
		fail_busy(&o);
		account_fail(r, &o, NULL);
		return;
	}
	e = users_set_password(r->w->db, r->user->id, hash);
	sodium_memzero(hash, sizeof hash);
	if (e == DB_OK)
		e = users_sessions_end(r->w->db, r->user->id, r->session_hash, &n);
	if (e != DB_OK) {
		fail_db(&o, e);
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
		resp_error(r, db_err_status(e), "unavailable", "%s", msg_unavailable);
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
		resp_error(r, db_err_status(e), "unavailable", "%s", msg_unavailable);
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

/* Creates an API token for the signed-in user; o says why not. *out: {id, name, token, created_at}. */
static void
create_token(struct req *r, struct outcome *o, const char *field, struct json_object **out)
{
	char *name = NULL, token[TOKEN_LEN + 1], hash[65];
	struct json_object *t = NULL;
	enum db_err e;

	*out = NULL;
	if (form_text(r, &o->fe, field, "Token name", true, 1, TOKEN_NAME_MAX, &name) == -1) {
		o->status = 422;
		o->code = "invalid";
		return;
	}
	auth_random_token(TOKEN_PREFIX, token, sizeof token);
	session_hash_token(token, hash);
	e = users_token_create(r->w->db, r->user->id, name, hash, &t);
	free(name);
	if (e != DB_OK) {
		sodium_memzero(token, sizeof token);
		fail_db(o, e);
		return;
	}
	json_object_object_del(t, "last_used_at");
	json_object_object_add(t, "token", json_object_new_string(token));
	sodium_memzero(token, sizeof token);
	*out = t;
}

/* POST /account/tokens: token_name. The token waits in a short-lived cookie for the page. */
void
h_account_token_create(struct req *r)
{
	struct outcome o;
	struct json_object *t, *v, *values;

	memset(&o, 0, sizeof o);
	create_token(r, &o, "token_name", &t);
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
	const char *id = req_param(r, "id");
	enum db_err e;

	if (id == NULL || !parse_is_uuid(id) ||
	    (e = users_token_revoke(r->w->db, r->user->id, id)) == DB_NOTFOUND) {
		resp_error(r, 404, "not_found", "There is no such token.");
		return;
	}
	if (e != DB_OK) {
		resp_error(r, db_err_status(e), "unavailable", "%s", msg_unavailable);
		return;
	}
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
		    msg_unavailable);
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
	struct outcome o;
	const char *pw;
	enum db_err e;

	memset(&o, 0, sizeof o);
	if ((pw = read_password(r, &o.fe, "password", "Your password")) == NULL) {
		o.status = 422;
		account_fail(r, &o, NULL);
		return;
	}
	switch (recheck_password(r, &o, "password", pw)) {
	case AUTH_MATCH:
	case AUTH_MATCH_REHASH:
		break;
	default:
		account_fail(r, &o, NULL);
		return;
	}
	if ((e = users_delete(r->w->db, r->user->id)) != DB_OK) {
		fail_db(&o, e);
		account_fail(r, &o, NULL);
		return;
	}
	log_info("request %s: user %s deleted their account", r->request_id, r->user->id);
	r->session_hash[0] = '\0';	/* gone with the user */
	session_end(r);
	resp_redirect(r, "/login?deleted=1");
}

/* ---- JSON API ---- */

/* True when the request carried a JSON object; else answers 415 or 400. */
static bool
api_body(struct req *r)
{
	if (r->json != NULL && json_object_is_type(r->json, json_type_object))
		return true;
	if (strcmp(r->media_type, "application/json") != 0)
		resp_error(r, 415, "unsupported_media_type",
		    "Send the request body as application/json.");
	else
		resp_error(r, 400, "bad_request", "The request body must be a JSON object.");
	return false;
}

/* POST /api/v1/auth/register {email, name, password, username?}: 201 {user, csrf_token} */
void
h_api_register(struct req *r)
{
	struct outcome o;

	if (!api_body(r))
		return;
	do_register(r, &o);
	if (o.status != 0) {
		api_fail(r, &o);
		return;
	}
	api_signed_in(r, 201, &o);
}

/* POST /api/v1/auth/login {email, password}: 200 {user, csrf_token} */
void
h_api_login(struct req *r)
{
	struct outcome o;

	if (!api_body(r))
		return;
	do_login(r, &o);
	if (o.status != 0) {
		api_fail(r, &o);
		return;
	}
	api_signed_in(r, 200, &o);
}

/* POST /api/v1/auth/logout: 204. With a bearer token there is no session to end. */
void
h_api_logout(struct req *r)
{
	if (!r->via_bearer)
		session_end(r);
	resp_no_content(r);
}

/* GET /api/v1/me: the user object itself. */
void
h_api_me(struct req *r)
{
	struct json_object *u;
	enum db_err e;

	if ((e = users_get(r->w->db, r->user->id, &u)) != DB_OK) {
		resp_error(r, db_err_status(e) == 503 ? 503 : 500, "unavailable", "%s",
		    msg_unavailable);
		return;
	}
	resp_json(r, 200, u);
}

/* GET /api/v1/tokens: {"items": [{id, name, created_at, last_used_at}]} */
void
h_api_tokens_list(struct req *r)
{
	struct json_object *items, *j;
	enum db_err e;

	if ((e = users_tokens_list(r->w->db, r->user->id, &items)) != DB_OK) {
		resp_error(r, db_err_status(e) == 503 ? 503 : 500, "unavailable", "%s",
		    msg_unavailable);
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "items", items);
	resp_json(r, 200, j);
}

/* POST /api/v1/tokens {name}: 201 {id, name, token, created_at}, the only time the token shows. */
void
h_api_tokens_create(struct req *r)
{
	struct outcome o;
	struct json_object *t;

	if (!api_body(r))
		return;
	memset(&o, 0, sizeof o);
	create_token(r, &o, "name", &t);
	if (t == NULL) {
		api_fail(r, &o);
		return;
	}
	resp_json(r, 201, t);
}

/* DELETE /api/v1/tokens/{id}: 204; another user's token is not found. */
void
h_api_token_revoke(struct req *r)
{
	const char *id = req_param(r, "id");
	enum db_err e;

	if (id == NULL || !parse_is_uuid(id) ||
	    (e = users_token_revoke(r->w->db, r->user->id, id)) == DB_NOTFOUND) {
		resp_error(r, 404, "not_found", "There is no such token.");
		return;
	}
	if (e != DB_OK) {
		resp_error(r, db_err_status(e) == 503 ? 503 : 500, "unavailable", "%s",
		    msg_unavailable);
		return;
	}
	resp_no_content(r);
}
