/* users.c: the accounts store: users, API tokens, login sessions, data export, deletion.
 *
 * All SQL is in the table of statements below, each run with parameters
 * only and filtered by its owner. Secrets never leave this file's queries:
 * password hashes only for verification, token and session hashes never. */
#include "users.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "db_json.h"
#include "xalloc.h"

#define USER_COLS	"id, email, username, name, is_active, created_at, updated_at"

static const char sql_user_get[] =
	"SELECT " USER_COLS " FROM users WHERE id = $1";

static const char sql_user_create[] =
	"INSERT INTO users (email, username, name, password_hash) VALUES ($1, $2, $3, $4)"
	" RETURNING " USER_COLS;

static const char sql_email_taken[] =
	"SELECT 1 FROM users WHERE lower(email) = lower($1)";

static const char sql_username_taken[] =
	"SELECT 1 FROM users WHERE lower(username) = lower($1)";

static const char sql_login_by_email[] =
	"SELECT id, email, password_hash, is_active FROM users WHERE lower(email) = lower($1)";

static const char sql_login_by_username[] =
	"SELECT id, email, password_hash, is_active FROM users"
	" WHERE lower(username) = lower($1)";

static const char sql_password_hash[] =
	"SELECT password_hash FROM users WHERE id = $1";

static const char sql_set_password[] =
	"UPDATE users SET password_hash = $2 WHERE id = $1";

static const char sql_set_name[] =
	"UPDATE users SET name = $2 WHERE id = $1";

/* The throttling rows under the account's email are personal data too. */
static const char sql_user_delete[] =
	"WITH u AS (DELETE FROM users WHERE id = $1 RETURNING lower(email) AS login),"
	" a AS (DELETE FROM login_attempts WHERE login IN (SELECT login FROM u) RETURNING 1)"
	" SELECT count(*) FROM u";

static const char sql_user_list[] =
	"SELECT " USER_COLS " FROM users ORDER BY created_at, id";

static const char sql_id_by_email[] =
	"SELECT id FROM users WHERE lower(email) = lower($1)";

static const char sql_set_active[] =
	"UPDATE users SET is_active = $2::boolean WHERE id = $1";

static const char sql_sessions_list[] =
	"SELECT id, created_at, last_seen_at, expires_at, user_agent, ip,"
	" token_hash = $2 AS current"
	" FROM auth_sessions WHERE user_id = $1 AND expires_at > now()"
	" ORDER BY (token_hash = $2) DESC, last_seen_at DESC, id";

static const char sql_sessions_end[] =
	"DELETE FROM auth_sessions WHERE user_id = $1 AND token_hash <> $2";

static const char sql_session_end_id[] =
	"DELETE FROM auth_sessions WHERE user_id = $1 AND id = $2";

static const char sql_sessions_purge_user[] =
	"DELETE FROM auth_sessions WHERE user_id = $1 AND expires_at <= now()";

static const char sql_sessions_purge_all[] =
	"DELETE FROM auth_sessions WHERE expires_at <= now()";

static const char sql_session_is[] =
	"SELECT 1 FROM auth_sessions WHERE id = $1 AND token_hash = $2";

#define TOKEN_COLS	"id, name, created_at, last_used_at"

static const char sql_tokens_list[] =
	"SELECT " TOKEN_COLS " FROM api_tokens WHERE user_id = $1 AND NOT revoked"
	" ORDER BY created_at DESC, id";

static const char sql_token_create[] =
	"INSERT INTO api_tokens (user_id, name, token_hash) VALUES ($1, $2, $3)"
	" RETURNING " TOKEN_COLS;

static const char sql_token_revoke[] =
	"UPDATE api_tokens SET revoked = true WHERE user_id = $1 AND id = $2 AND NOT revoked";

static const char sql_token_by_hash[] =
	"SELECT " TOKEN_COLS " FROM api_tokens"
	" WHERE user_id = $1 AND token_hash = $2 AND NOT revoked";

/*
 * One document with everything the user owns. Whole rows (to_jsonb), so
 * columns added later are exported too; only owner ids and secrets are left
 * out, and what the messages make again: their HTML rendering, and the
 * conversations' message counts and last message times.
 */
static const char sql_user_export[] =
	"SELECT jsonb_build_object("
	" 'format', 'parley-export-1',"
	" 'exported_at', now(),"
	" 'user', (SELECT to_jsonb(x) FROM (SELECT " USER_COLS " FROM users WHERE id = $1) x),"
	" 'sessions', COALESCE((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at, x.id) FROM"
	"   (SELECT id, created_at, last_seen_at, expires_at, user_agent, ip"
	"    FROM auth_sessions WHERE user_id = $1) x), '[]'),"
	" 'api_tokens', COALESCE((SELECT jsonb_agg(to_jsonb(x) ORDER BY x.created_at, x.id) FROM"
	"   (SELECT id, name, created_at, last_used_at, revoked"
	"    FROM api_tokens WHERE user_id = $1) x), '[]'),"
	" 'conversations', COALESCE((SELECT jsonb_agg((to_jsonb(c) - 'user_id' - 'message_count'"
	"   - 'last_message_at') ||"
	"   jsonb_build_object('messages', COALESCE((SELECT jsonb_agg("
	"     (to_jsonb(m) - 'conversation_id' - 'content_html') || jsonb_build_object('response',"
	"       (SELECT to_jsonb(rs) - 'message_id' FROM responses rs WHERE rs.message_id = m.id))"
	"     ORDER BY m.created_at, m.id) FROM messages m WHERE m.conversation_id = c.id), '[]'))"
	"   ORDER BY c.created_at, c.id) FROM conversations c WHERE c.user_id = $1), '[]'),"
	" 'tasks', COALESCE((SELECT jsonb_agg(to_jsonb(t) - 'user_id' ORDER BY t.created_at, t.id)"
	"   FROM tasks t WHERE t.user_id = $1), '[]'),"
	" 'proposals', COALESCE((SELECT jsonb_agg((to_jsonb(p) - 'user_id') ||"
	"   jsonb_build_object('sections', COALESCE((SELECT jsonb_agg(to_jsonb(s) - 'session_id'"
	"     ORDER BY s.section_name) FROM proposal_sections s WHERE s.session_id = p.id), '[]'),"
	"   'usage', COALESCE((SELECT jsonb_agg(to_jsonb(pu) - 'session_id' - 'user_id'"
	"     ORDER BY pu.created_at, pu.id) FROM proposal_usage pu"
	"     WHERE pu.session_id = p.id AND pu.user_id = $1), '[]'))"
	"   ORDER BY p.created_at, p.id) FROM proposal_sessions p WHERE p.user_id = $1), '[]')"
	") AS export";

/* Runs a query expected to return at most one row; that row as JSON, or DB_NOTFOUND. */
static enum db_err
one_row(struct db *db, const char *name, const char *sql, int n, const char *const *p,
    struct json_object **out)
{
	PGresult *res;
	enum db_err e;

	*out = NULL;
	if ((e = db_query(db, name, sql, n, p, &res)) != DB_OK)
		return e;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	*out = db_row_json(res, 0);
	PQclear(res);
	return DB_OK;
}

/* Runs a query; *items the rows as a JSON array. */
static enum db_err
all_rows(struct db *db, const char *name, const char *sql, int n, const char *const *p,
    struct json_object **items)
{
	PGresult *res;
	enum db_err e;

	*items = NULL;
	if ((e = db_query(db, name, sql, n, p, &res)) != DB_OK)
		return e;
	*items = db_rows_json(res);
	PQclear(res);
	return DB_OK;
}

/* Runs a query expected to change rows; DB_NOTFOUND when it changed none. */
static enum db_err
change(struct db *db, const char *name, const char *sql, int n, const char *const *p, int *count)
{
	PGresult *res;
	enum db_err e;
	int k;

	if (count != NULL)
		*count = 0;
	if ((e = db_query(db, name, sql, n, p, &res)) != DB_OK)
		return e;
	k = atoi(PQcmdTuples(res));
	PQclear(res);
	if (count != NULL)
		*count = k;
	return k > 0 ? DB_OK : DB_NOTFOUND;
}

/* A query that answers whether a row exists. */
static enum db_err
exists(struct db *db, const char *name, const char *sql, const char *a, const char *b,
    bool *found)
{
	PGresult *res;
	enum db_err e;

	*found = false;
	e = b != NULL ? db_query(db, name, sql, DB_P(a, b), &res) :
	    db_query(db, name, sql, DB_P(a), &res);
	if (e != DB_OK)
		return e;
	*found = PQntuples(res) > 0;
	PQclear(res);
	return DB_OK;
}

enum db_err
users_get(struct db *db, const char *user_id, struct json_object **out)
{
	return one_row(db, "user_get", sql_user_get, DB_P(user_id), out);
}

enum db_err
users_create(struct db *db, const char *email, const char *username, const char *name,
    const char *password_hash, struct json_object **out)
{
	return one_row(db, "user_create", sql_user_create,
	    DB_P(email, username, name, password_hash), out);
}

enum db_err
users_email_taken(struct db *db, const char *email, bool *taken)
{
	return exists(db, "user_email_taken", sql_email_taken, email, NULL, taken);
}

enum db_err
users_username_taken(struct db *db, const char *username, bool *taken)
{
	return exists(db, "user_username_taken", sql_username_taken, username, NULL, taken);
}

enum db_err
users_for_login(struct db *db, const char *login, struct user_login *out)
{
	bool email = strchr(login, '@') != NULL;
	PGresult *res;
	enum db_err e;

	memset(out, 0, sizeof *out);
	e = email ? db_query(db, "user_login_email", sql_login_by_email, DB_P(login), &res) :
	    db_query(db, "user_login_username", sql_login_by_username, DB_P(login), &res);
	if (e != DB_OK)
		return e;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	snprintf(out->id, sizeof out->id, "%s", PQgetvalue(res, 0, 0));
	out->email = xstrdup(PQgetvalue(res, 0, 1));
	out->password_hash = xstrdup(PQgetvalue(res, 0, 2));
	out->is_active = PQgetvalue(res, 0, 3)[0] == 't';
	PQclear(res);
	return DB_OK;
}

void
user_login_clear(struct user_login *l)
{
	free(l->email);
	free(l->password_hash);
	l->email = NULL;
	l->password_hash = NULL;
}

enum db_err
users_password_hash(struct db *db, const char *user_id, char **hash)
{
	PGresult *res;
	enum db_err e;

	*hash = NULL;
	if ((e = db_query(db, "user_password_hash", sql_password_hash, DB_P(user_id), &res)) != DB_OK)
		return e;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	*hash = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	return DB_OK;
}

enum db_err
users_set_password(struct db *db, const char *user_id, const char *hash)
{
	return change(db, "user_set_password", sql_set_password, DB_P(user_id, hash), NULL);
}

enum db_err
users_set_name(struct db *db, const char *user_id, const char *name)
{
	return change(db, "user_set_name", sql_set_name, DB_P(user_id, name), NULL);
}

enum db_err
users_delete(struct db *db, const char *user_id)
{
	PGresult *res;
	enum db_err e;
	bool gone;

	if ((e = db_query(db, "user_delete", sql_user_delete, DB_P(user_id), &res)) != DB_OK)
		return e;
	gone = PQntuples(res) == 1 && atoi(PQgetvalue(res, 0, 0)) > 0;
	PQclear(res);
	return gone ? DB_OK : DB_NOTFOUND;
}

enum db_err
users_list(struct db *db, struct json_object **out)
{
	struct json_object *items;
	enum db_err e;

	*out = NULL;
	if ((e = all_rows(db, "user_list", sql_user_list, 0, NULL, &items)) != DB_OK)
		return e;
	*out = json_object_new_object();
	json_object_object_add(*out, "items", items);
	return DB_OK;
}

enum db_err
users_id_by_email(struct db *db, const char *email, char id[37])
{
	PGresult *res;
	enum db_err e;

	id[0] = '\0';
	if ((e = db_query(db, "user_id_by_email", sql_id_by_email, DB_P(email), &res)) != DB_OK)
		return e;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	snprintf(id, 37, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return DB_OK;
}

enum db_err
users_set_active(struct db *db, const char *user_id, bool active)
{
	return change(db, "user_set_active", sql_set_active,
	    DB_P(user_id, active ? "true" : "false"), NULL);
}

enum db_err
users_sessions_list(struct db *db, const char *user_id, const char *current_hash,
    struct json_object **items)
{
	return all_rows(db, "sessions_list", sql_sessions_list,
	    DB_P(user_id, current_hash != NULL ? current_hash : ""), items);
}

enum db_err
users_sessions_end(struct db *db, const char *user_id, const char *keep_hash, int *n)
{
	enum db_err e = change(db, "sessions_end", sql_sessions_end,
	    DB_P(user_id, keep_hash != NULL ? keep_hash : ""), n);

	/* None to end is not a failure here. */
	return e == DB_NOTFOUND ? DB_OK : e;
}

enum db_err
users_session_end_id(struct db *db, const char *user_id, const char *session_id)
{
	return change(db, "session_end_id", sql_session_end_id, DB_P(user_id, session_id), NULL);
}

enum db_err
users_sessions_purge(struct db *db, const char *user_id)
{
	if (user_id == NULL)
		return db_query(db, "sessions_purge_all", sql_sessions_purge_all, 0, NULL, NULL);
	return db_query(db, "sessions_purge_user", sql_sessions_purge_user, DB_P(user_id), NULL);
}

enum db_err
users_session_is(struct db *db, const char *session_id, const char *current_hash, bool *is_current)
{
	return exists(db, "session_is", sql_session_is, session_id,
	    current_hash != NULL ? current_hash : "", is_current);
}

enum db_err
users_tokens_list(struct db *db, const char *user_id, struct json_object **items)
{
	return all_rows(db, "tokens_list", sql_tokens_list, DB_P(user_id), items);
}

enum db_err
users_token_create(struct db *db, const char *user_id, const char *name, const char *token_hash,
    struct json_object **out)
{
	return one_row(db, "token_create", sql_token_create, DB_P(user_id, name, token_hash), out);
}

enum db_err
users_token_revoke(struct db *db, const char *user_id, const char *token_id)
{
	return change(db, "token_revoke", sql_token_revoke, DB_P(user_id, token_id), NULL);
}

enum db_err
users_token_by_hash(struct db *db, const char *user_id, const char *token_hash,
    struct json_object **out)
{
	return one_row(db, "token_by_hash", sql_token_by_hash, DB_P(user_id, token_hash), out);
}

enum db_err
users_export(struct db *db, const char *user_id, struct json_object **out)
{
	struct json_object *doc, *user;
	enum db_err e;

	*out = NULL;
	if ((e = one_row(db, "user_export", sql_user_export, DB_P(user_id), &doc)) != DB_OK)
		return e;
	/* db_row_json parsed the jsonb column: {"export": {...}}. */
	struct json_object *x = NULL;
	if (!json_object_object_get_ex(doc, "export", &x) ||
	    !json_object_object_get_ex(x, "user", &user) || user == NULL) {
		json_object_put(doc);
		return DB_NOTFOUND;
	}
	*out = json_object_get(x);
	json_object_put(doc);
	return DB_OK;
}
