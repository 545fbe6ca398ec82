/* h_accounts.c: what the account pages and API share: registering, signing in, creating tokens.
 *
 * Registering and signing in are written once (ha_register, ha_login) and
 * presented twice: as a page with the form and its errors
 * (h_accounts_pages.c), or as JSON (h_accounts_api.c). Their outcome carries
 * the HTTP status and the messages by field. Status codes: 422 for input
 * that breaks a rule, 409 for an email or username already taken, 401 for a
 * wrong login, 429 when throttled, 503 when the database or the password
 * hasher cannot serve now. */
#include "h_accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>
#include <sodium.h>

#include "log.h"
#include "req.h"
#include "response.h"
#include "session.h"
#include "users.h"

#define TOKEN_NAME_MAX		100

const char ha_msg_unavailable[] = "The database is not answering; try again in a moment.";
static const char msg_wrong_login[] = "Wrong email or password.";
static const char msg_busy[] =
	"Too many people are signing in right now; try again in a moment.";

static void
fail(struct ha_outcome *o, int status, const char *code, const char *field, const char *msg)
{
	o->status = status;
	o->code = code;
	form_error(&o->fe, field, "%s", msg);
}

void
ha_fail_db(struct ha_outcome *o, enum db_err e)
{
	int st = db_err_status(e);

	if (st == 503) {
		o->retry_after = 5;
		fail(o, 503, "unavailable", "form", ha_msg_unavailable);
	} else {
		fail(o, st >= 400 ? st : 500, "internal", "form",
		    "Something went wrong on our side; try again.");
	}
}

void
ha_fail_busy(struct ha_outcome *o)
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

void
ha_set_retry_after(struct req *r, long seconds)
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
sign_in(struct req *r, struct ha_outcome *o, const char *id)
{
	enum db_err e;

	/* A person's own dead sessions go at each login; everyone's now and then. */
	if (users_sessions_purge(r->w->db, id) != DB_OK)
		log_warn("request %s: could not purge expired sessions", r->request_id);
	if (randombytes_uniform(64) == 0 && users_sessions_purge(r->w->db, NULL) != DB_OK)
		log_warn("request %s: could not purge expired sessions", r->request_id);
	if (session_start(r, id) == -1) {
		ha_fail_db(o, DB_UNAVAILABLE);
		return;
	}
	if ((e = users_get(r->w->db, id, &o->user)) != DB_OK)
		ha_fail_db(o, e);
}

/* The password field, not trimmed (spaces are part of a password). */
const char *
ha_read_password(const struct req *r, struct form_errors *fe, const char *field, const char *label)
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

void
ha_register(struct req *r, struct ha_outcome *o)
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
	if ((password = ha_read_password(r, &o->fe, "password", "Password")) != NULL &&
	    (problem = auth_password_problem(password)) != NULL)
		form_error(&o->fe, "password", "%s", problem);
	if (o->fe.n > 0) {
		o->status = 422;
		o->code = "invalid";
		goto out;
	}

	/* Ask first, so a taken email costs no 64 MiB hash; the insert checks again. */
	if ((e = users_email_taken(db, email, &taken)) != DB_OK) {
		ha_fail_db(o, e);
		goto out;
	}
	if (taken) {
		fail(o, 409, "email_taken", "email", "An account with this email already exists.");
		goto out;
	}
	if (username != NULL) {
		if ((e = users_username_taken(db, username, &taken)) != DB_OK) {
			ha_fail_db(o, e);
			goto out;
		}
		if (taken) {
			fail(o, 409, "username_taken", "username", "This username is already taken.");
			goto out;
		}
	}
	(void)db_release(r->w->db);	/* hashing takes a while and needs no connection */
	if (auth_hash_password(r->w->app->hash_gate, password, hash) == -1) {
		ha_fail_busy(o);
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
		ha_fail_db(o, e);
		goto out;
	}
	struct json_object *id;
	if (!json_object_object_get_ex(user, "id", &id)) {
		ha_fail_db(o, DB_ERROR);
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
enum auth_check
ha_recheck_password(struct req *r, struct ha_outcome *o, const char *field, const char *password)
{
	char key[321], *hash = NULL;
	enum auth_check chk;
	enum db_err e;
	long wait;

	ascii_lower(key, sizeof key, r->user->email);
	switch (auth_throttle_check(r->w->db, key, r->remote_addr, &wait)) {
	case -1:
		ha_fail_db(o, DB_UNAVAILABLE);
		return AUTH_BUSY;
	case 1:
		o->retry_after = wait;
		fail(o, 429, "throttled", field,
		    "Too many wrong passwords. Wait a few minutes and try again.");
		return AUTH_BUSY;
	}
	if ((e = users_password_hash(r->w->db, r->user->id, &hash)) != DB_OK) {
		ha_fail_db(o, e);
		return AUTH_BUSY;
	}
	(void)db_release(r->w->db);	/* hashing takes a while and needs no connection */
	chk = strlen(password) > AUTH_PASSWORD_MAX ? AUTH_NO_MATCH :
	    auth_verify_password(r->w->app->hash_gate, hash, password);
	free(hash);
	if (chk == AUTH_BUSY) {
		ha_fail_busy(o);
	} else if (chk == AUTH_NO_MATCH) {
		(void)auth_throttle_note(r->w->db, key, r->remote_addr, false);
		fail(o, 422, "wrong_password", field, "The password is not right.");
	}
	return chk;
}

void
ha_login(struct req *r, struct ha_outcome *o)
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
	password = ha_read_password(r, &o->fe, "password", "Password");
	if (o->fe.n > 0) {
		o->status = 422;
		o->code = "invalid";
		goto out;
	}

	e = users_for_login(db, login, &acct);
	if (e != DB_OK && e != DB_NOTFOUND) {
		ha_fail_db(o, e);
		goto out;
	}
	found = e == DB_OK;
	/* One key per account, whichever name was typed; unknown names count on their own. */
	ascii_lower(key, sizeof key, found ? acct.email : login);
	switch (auth_throttle_check(db, key, r->remote_addr, &wait)) {
	case -1:
		ha_fail_db(o, DB_UNAVAILABLE);
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
		ha_fail_busy(o);
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

/* Creates an API token for the signed-in user; o says why not. *out: {id, name, token, created_at}. */
void
ha_create_token(struct req *r, struct ha_outcome *o, const char *field, struct json_object **out)
{
	char *name = NULL, token[HA_TOKEN_LEN + 1], hash[65];
	struct json_object *t = NULL;
	enum db_err e;

	*out = NULL;
	if (form_text(r, &o->fe, field, "Token name", true, 1, TOKEN_NAME_MAX, &name) == -1) {
		o->status = 422;
		o->code = "invalid";
		return;
	}
	auth_random_token(HA_TOKEN_PREFIX, token, sizeof token);
	session_hash_token(token, hash);
	e = users_token_create(r->w->db, r->user->id, name, hash, &t);
	free(name);
	if (e != DB_OK) {
		sodium_memzero(token, sizeof token);
		ha_fail_db(o, e);
		return;
	}
	json_object_object_del(t, "last_used_at");
	json_object_object_add(t, "token", json_object_new_string(token));
	sodium_memzero(token, sizeof token);
	*out = t;
}

bool
ha_revoke_token(struct req *r)
{
	const char *id = req_param(r, "id");
	enum db_err e;

	if (id == NULL || !parse_is_uuid(id) ||
	    (e = users_token_revoke(r->w->db, r->user->id, id)) == DB_NOTFOUND) {
		resp_error(r, 404, "not_found", "There is no such token.");
		return false;
	}
	if (e != DB_OK) {
		resp_error(r, db_err_status(e) == 503 ? 503 : 500, "unavailable", "%s",
		    ha_msg_unavailable);
		return false;
	}
	return true;
}
