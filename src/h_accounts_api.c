/* h_accounts_api.c: the accounts JSON API: /api/v1/auth/..., /api/v1/me, /api/v1/tokens. */
#include "h_accounts_api.h"

#include <stdbool.h>
#include <string.h>

#include <json-c/json.h>

#include "db.h"
#include "form.h"
#include "h_accounts.h"
#include "parse.h"
#include "req.h"
#include "response.h"
#include "session.h"
#include "users.h"

/* {"error": {code, message, fields}} with o's status (fields: the real ones only). */
static void
api_fail(struct req *r, const struct ha_outcome *o)
{
	struct json_object *j, *err, *fields;

	if (o->status == 422 && strcmp(o->code, "invalid") == 0) {
		form_errors_respond(r, &o->fe);
		return;
	}
	ha_set_retry_after(r, o->retry_after);
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
api_signed_in(struct req *r, int status, struct ha_outcome *o)
{
	struct json_object *j = json_object_new_object();

	json_object_object_add(j, "user", o->user);
	o->user = NULL;
	json_object_object_add(j, "csrf_token", json_object_new_string(r->csrf_token));
	resp_json(r, status, j);
}

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
	struct ha_outcome o;

	if (!api_body(r))
		return;
	ha_register(r, &o);
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
	struct ha_outcome o;

	if (!api_body(r))
		return;
	ha_login(r, &o);
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
		    ha_msg_unavailable);
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
		    ha_msg_unavailable);
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
	struct ha_outcome o;
	struct json_object *t;

	if (!api_body(r))
		return;
	memset(&o, 0, sizeof o);
	ha_create_token(r, &o, "name", &t);
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
	if (ha_revoke_token(r))
		resp_no_content(r);
}
