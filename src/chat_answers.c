/* chat_answers.c: the chat store's writes for the answer engine: exchanges, history, saves, stops and ends. */
#include "chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "chat_rows.h"
#include "xalloc.h"

/* v clamped to what an integer column holds, as text. */
static void
count_text(char *out, size_t len, long v)
{
	if (v < 0)
		v = 0;
	if (v > 2147483647L)
		v = 2147483647L;
	snprintf(out, len, "%ld", v);
}

/* Runs one statement of a transaction; rolls back on failure. *res as db_query. */
static enum db_err
tx_query(struct db *db, const char *name, const char *sql, int n, const char *const *p,
    PGresult **res)
{
	enum db_err e = db_query(db, name, sql, n, p, res);

	if (e != DB_OK)
		(void)db_rollback(db);
	return e;
}

/* Inserts the streaming assistant row; its model is resolved in SQL. */
#define INSERT_ASSISTANT_SQL \
	"WITH m AS (INSERT INTO messages (conversation_id, role, content, model, status)" \
	" VALUES ($1, 'assistant', '', $2, 'streaming') RETURNING *)" \
	" SELECT " MSG_COLS " FROM m LEFT JOIN responses r ON r.message_id = m.id"

/*
 * One statement, so one round trip and its own transaction: the row lock on
 * the conversation orders two messages sent at once to it; the question and
 * the answer are one INSERT, so the count trigger of migration 0004 runs
 * once and the conversation gets one new row version, not one per message;
 * their time is read once the lock is held (ts scans c), and the answer's is
 * a microsecond after the question's, so it sorts after it even within one
 * clock tick; the title ($5, made from the content) is taken
 * only by a conversation still called CHAT_DEFAULT_TITLE that had no message
 * yet (its message_count, exact under the row lock; a NOT EXISTS over
 * messages became a scan of the whole table in the generic plan). The
 * trigger also moves updated_at. No row: not the owner's conversation.
 */
static const char sql_exchange_begin[] =
	"WITH c AS (SELECT c.id, c.default_model, c.title = '" CHAT_DEFAULT_TITLE "'"
	"  AND c.message_count = 0 AS first"
	"  FROM conversations c WHERE c.id = $2 AND c.user_id = $1 FOR UPDATE),"
	" m AS (INSERT INTO messages (conversation_id, role, content, model, status, created_at)"
	"  SELECT c.id, v.role, v.content,"
	"  CASE v.i WHEN 0 THEN $4 ELSE coalesce($4, c.default_model) END, v.status,"
	"  ts.at + v.i * interval '1 microsecond'"
	"  FROM c, (SELECT clock_timestamp() AS at FROM c) ts,"
	"  (VALUES (0, 'user', $3, 'complete'), (1, 'assistant', '', 'streaming'))"
	"  v(i, role, content, status)"
	"  RETURNING *),"
	" t AS (UPDATE conversations x SET title = $5 FROM c WHERE x.id = c.id AND c.first)"
	" SELECT " MSG_COLS " FROM m"
	" LEFT JOIN responses r ON r.message_id = m.id ORDER BY m.created_at";

enum db_err
chat_exchange_begin(struct db *db, const char *user_id, const char *conv_id,
    const char *content, const char *override,
    struct json_object **user_msg, struct json_object **asst_msg)
{
	char *title;
	PGresult *res;
	enum db_err e;

	if (!chat_id_valid(conv_id))
		return DB_NOTFOUND;
	if (override != NULL && override[0] == '\0')
		override = NULL;
	title = chat_title_from(content);
	e = db_query(db, "chat_exchange_begin", sql_exchange_begin,
	    DB_P(user_id, conv_id, content, override, title), &res);
	free(title);
	if (e != DB_OK)
		return e;
	if (PQntuples(res) != 2) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	*user_msg = chat_row_msg(res, 0);
	*asst_msg = chat_row_msg(res, 1);
	PQclear(res);
	return DB_OK;
}

/*
 * A number in SQL text. The history's limit is written as a literal: given
 * as a parameter, PostgreSQL judged the generic plan dearer than planning
 * each time, and planned that statement anew on every post (0.2 ms).
 */
#define SQL_NUM_(n)	#n
#define SQL_NUM(n)	SQL_NUM_(n)

/*
 * One read: the conversation's default model (k 0, no row: not the owner's),
 * the owner's name (k 1), then the history as chat_history picks it (k 2).
 */
static const char sql_exchange_context[] =
	"SELECT x.k, x.role, x.content FROM ("
	" SELECT 0 AS k, NULL::text AS role, c.default_model AS content,"
	"  NULL::timestamptz AS created_at, NULL::uuid AS id"
	"  FROM conversations c WHERE c.id = $2 AND c.user_id = $1"
	" UNION ALL SELECT 1, NULL, u.name, NULL, NULL FROM users u WHERE u.id = $1"
	" UNION ALL SELECT 2, h.role, h.content, h.created_at, h.id FROM"
	"  (SELECT m.role, m.content, m.created_at, m.id FROM messages m"
	"   JOIN conversations c ON c.id = m.conversation_id AND c.user_id = $1"
	"   WHERE m.conversation_id = $2"
	"   AND NOT (m.role = 'assistant' AND (m.status = 'error' OR m.content = ''))"
	"   ORDER BY m.created_at DESC, m.id DESC LIMIT " SQL_NUM(CHAT_HISTORY_MAX) " - 1) h) x"
	" ORDER BY x.k, x.created_at, x.id";

void
chat_exchange_context_call(const char *user_id, const char *conv_id, struct db_args *args,
    struct db_call *call)
{
	args->params[0] = user_id;
	args->params[1] = conv_id;
	call->name = "chat_exchange_context";
	call->sql = sql_exchange_context;
	call->nparams = 2;
	call->params = args->params;
	call->res = NULL;
}

enum db_err
chat_exchange_context(struct db *db, const char *user_id, const char *conv_id,
    char **default_model, struct json_object **msgs, char **name)
{
	struct db_args args;
	struct db_call call;
	struct json_object *arr;
	PGresult *res;
	enum db_err e;
	int n;

	if (!chat_id_valid(conv_id))
		return DB_NOTFOUND;
	chat_exchange_context_call(user_id, conv_id, &args, &call);
	e = db_query(db, call.name, call.sql, call.nparams, call.params, &res);
	if (e != DB_OK)
		return e;
	n = PQntuples(res);
	if (n < 1 || strcmp(PQgetvalue(res, 0, 0), "0") != 0) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	*default_model = xstrdup(PQgetvalue(res, 0, 2));
	*name = NULL;
	arr = json_object_new_array_ext(n);
	for (int i = 1; i < n; i++) {
		struct json_object *o;

		if (PQgetvalue(res, i, 0)[0] == '1') {
			if (*name == NULL && !PQgetisnull(res, i, 2))
				*name = xstrdup(PQgetvalue(res, i, 2));
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "role", json_object_new_string(PQgetvalue(res, i, 1)));
		json_object_object_add(o, "content", json_object_new_string_len(
		    PQgetvalue(res, i, 2), PQgetlength(res, i, 2)));
		json_object_array_add(arr, o);
	}
	PQclear(res);
	*msgs = arr;
	return DB_OK;
}

/*
 * The whole exchange in one statement (its own transaction), as
 * chat_exchange_begin and chat_answer_finish would leave it together. The
 * question's row takes the columns' defaults for what it does not have.
 */
static const char sql_exchange_store[] =
	"WITH c AS (SELECT c.id, c.title = '" CHAT_DEFAULT_TITLE "'"
	"  AND c.message_count = 0 AS first"
	"  FROM conversations c WHERE c.id = $2 AND c.user_id = $1 FOR UPDATE),"
	" m AS (INSERT INTO messages (conversation_id, role, content, content_html, model,"
	"  status, error, actions, created_at)"
	"  SELECT c.id, v.role, v.content, v.content_html, v.model, v.status, v.error, v.actions,"
	"  ts.at + v.i * interval '1 microsecond'"
	"  FROM c, (SELECT clock_timestamp() AS at FROM c) ts,"
	"  (VALUES (0, 'user', $3, NULL, $4, 'complete', NULL, '[]'::jsonb),"
	"  (1, 'assistant', $6, $7, $8, $9, $10, $11::jsonb))"
	"  v(i, role, content, content_html, model, status, error, actions)"
	"  RETURNING *),"
	" r AS (INSERT INTO responses (message_id, model_used, tokens_prompt, tokens_completion,"
	"  tokens_total, completion_time_ms, time_to_first_token_ms, tokens_estimated)"
	"  SELECT m.id, $12, $13, $14, $15, $16, $17, $18 FROM m WHERE m.role = 'assistant'"
	"  RETURNING *),"
	" t AS (UPDATE conversations x SET title = $5 FROM c WHERE x.id = c.id AND c.first)"
	" SELECT " MSG_COLS " FROM m"
	" LEFT JOIN r ON r.message_id = m.id ORDER BY m.created_at";

enum db_err
chat_exchange_store(struct db *db, const char *user_id, const char *conv_id,
    const char *content, const char *override, const char *model,
    const struct chat_finish *f, struct json_object **user_msg, struct json_object **final)
{
	char tp[24], tc[24], tt[24], ct[24], ttft[24], *title;
	const char *acts = f->actions != NULL ?
	    json_object_to_json_string_ext(f->actions, JSON_C_TO_STRING_PLAIN) : "[]";
	PGresult *res;
	enum db_err e;

	if (!chat_id_valid(conv_id))
		return DB_NOTFOUND;
	if (override != NULL && override[0] == '\0')
		override = NULL;
	count_text(tp, sizeof tp, f->tokens_prompt);
	count_text(tc, sizeof tc, f->tokens_completion);
	count_text(tt, sizeof tt, f->tokens_total);
	count_text(ct, sizeof ct, f->completion_time_ms);
	count_text(ttft, sizeof ttft, f->time_to_first_token_ms);
	title = chat_title_from(content);
	e = db_query(db, "chat_exchange_store", sql_exchange_store,
	    DB_P(user_id, conv_id, content, override, title,
	    f->content, f->content_html, model, f->status, f->error, acts,
	    f->model_used, tp, tc, tt, ct, f->time_to_first_token_ms < 0 ? NULL : ttft,
	    f->tokens_estimated ? "true" : "false"), &res);
	free(title);
	if (e != DB_OK)
		return e;
	if (PQntuples(res) != 2) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	*user_msg = chat_row_msg(res, 0);
	*final = chat_row_msg(res, 1);
	PQclear(res);
	return DB_OK;
}

enum db_err
chat_regenerate_begin(struct db *db, const char *user_id, const char *conv_id,
    const char *model, struct json_object **user_msg, struct json_object **asst_msg)
{
	struct json_object *um = NULL, *am = NULL;
	char *use_model = NULL, *def = NULL;
	PGresult *res;
	enum db_err e;

	if (!chat_id_valid(conv_id))
		return DB_NOTFOUND;
	if (model != NULL && model[0] == '\0')
		model = NULL;
	if ((e = db_begin(db)) != DB_OK)
		return e;
	e = tx_query(db, "chat_regen_conv",
	    "SELECT default_model FROM conversations WHERE id = $2 AND user_id = $1 FOR UPDATE",
	    DB_P(user_id, conv_id), &res);
	if (e != DB_OK)
		return e;
	if (PQntuples(res) < 1) {
		PQclear(res);
		(void)db_rollback(db);
		return DB_NOTFOUND;
	}
	def = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);

	/* An answer whose writer fell silent is replaced like a finished one. */
	e = tx_query(db, "chat_regen_last",
	    "SELECT id, role, status = 'streaming' AND writer_seen_at >"
	    " now() - make_interval(secs => " CHAT_STALE_S_SQL ") FROM messages"
	    " WHERE conversation_id = $1 ORDER BY created_at DESC, id DESC LIMIT 1",
	    DB_P(conv_id), &res);
	if (e != DB_OK)
		goto out;
	if (PQntuples(res) < 1) {
		PQclear(res);
		e = DB_NOTFOUND;
		goto fail;
	}
	if (strcmp(PQgetvalue(res, 0, 1), "assistant") == 0) {
		char *last = xstrdup(PQgetvalue(res, 0, 0));

		if (PQgetvalue(res, 0, 2)[0] == 't') {
			PQclear(res);
			free(last);
			e = DB_CONFLICT;
			goto fail;
		}
		PQclear(res);
		/* Its response goes with it (ON DELETE CASCADE). */
		e = tx_query(db, "chat_regen_delete",
		    "DELETE FROM messages WHERE id = $1", DB_P(last), NULL);
		free(last);
		if (e != DB_OK)
			goto out;
	} else
		PQclear(res);

	e = tx_query(db, "chat_regen_user",
	    "SELECT " MSG_COLS " FROM messages m LEFT JOIN responses r ON r.message_id = m.id"
	    " WHERE m.conversation_id = $1 AND m.role = 'user'"
	    " ORDER BY m.created_at DESC, m.id DESC LIMIT 1",
	    DB_P(conv_id), &res);
	if (e != DB_OK)
		goto out;
	if (PQntuples(res) < 1) {
		PQclear(res);
		e = DB_NOTFOUND;
		goto fail;
	}
	um = chat_row_msg(res, 0);
	if (model != NULL)
		use_model = xstrdup(model);
	else if (!PQgetisnull(res, 0, PQfnumber(res, "model")))
		use_model = xstrdup(PQgetvalue(res, 0, PQfnumber(res, "model")));
	else
		use_model = xstrdup(def);
	PQclear(res);

	e = tx_query(db, "chat_exchange_assistant", INSERT_ASSISTANT_SQL,
	    DB_P(conv_id, use_model), &res);
	if (e != DB_OK)
		goto out;
	am = chat_row_msg(res, 0);
	PQclear(res);
	/* The new answer's insert moved updated_at (the trigger on messages). */
	if ((e = db_commit(db)) != DB_OK)
		goto out;
	*user_msg = um;
	*asst_msg = am;
	um = am = NULL;
	goto out;
fail:
	(void)db_rollback(db);
out:
	json_object_put(um);
	json_object_put(am);
	free(use_model);
	free(def);
	return e;
}

enum db_err
chat_history(struct db *db, const char *user_id, const char *conv_id,
    const char *before_id, struct json_object **msgs, char **name)
{
	struct json_object *arr;
	PGresult *res;
	enum db_err e;
	int n;

	if (!chat_id_valid(conv_id) || !chat_id_valid(before_id))
		return DB_NOTFOUND;
	/* The owner's name rides along: the first row, role NULL. */
	e = db_query(db, "chat_history",
	    "SELECT x.role, x.content FROM ("
	    " SELECT 0 AS k, NULL::text AS role, u.name AS content, NULL::timestamptz AS created_at,"
	    "  NULL::uuid AS id FROM users u WHERE u.id = $1"
	    " UNION ALL SELECT 1, h.role, h.content, h.created_at, h.id FROM"
	    "  (SELECT m.role, m.content, m.created_at, m.id FROM messages m"
	    "   JOIN conversations c ON c.id = m.conversation_id AND c.user_id = $1"
	    "   WHERE m.conversation_id = $2 AND (m.created_at, m.id) <"
	    "    (SELECT b.created_at, b.id FROM messages b WHERE b.id = $3)"
	    "   AND NOT (m.role = 'assistant' AND (m.status = 'error' OR m.content = ''))"
	    "   ORDER BY m.created_at DESC, m.id DESC LIMIT " SQL_NUM(CHAT_HISTORY_MAX) ") h) x"
	    " ORDER BY x.k, x.created_at, x.id",
	    DB_P(user_id, conv_id, before_id), &res);
	if (e != DB_OK)
		return e;
	n = PQntuples(res);
	arr = json_object_new_array_ext(n);
	*name = NULL;
	for (int i = 0; i < n; i++) {
		struct json_object *o;

		if (PQgetisnull(res, i, 0)) {
			if (*name == NULL && !PQgetisnull(res, i, 1))
				*name = xstrdup(PQgetvalue(res, i, 1));
			continue;
		}
		o = json_object_new_object();
		json_object_object_add(o, "role", json_object_new_string(PQgetvalue(res, i, 0)));
		json_object_object_add(o, "content", json_object_new_string_len(
		    PQgetvalue(res, i, 1), PQgetlength(res, i, 1)));
		json_object_array_add(arr, o);
	}
	PQclear(res);
	*msgs = arr;
	return DB_OK;
}

enum db_err
chat_answer_save(struct db *db, const char *msg_id, const char *content,
    struct json_object *actions, bool *stop)
{
	char chan[64];
	const char *acts = actions != NULL ?
	    json_object_to_json_string_ext(actions, JSON_C_TO_STRING_PLAIN) : NULL;
	PGresult *res;
	enum db_err e;

	chat_channel("msg", msg_id, chan);
	/* A row no longer streaming (reaped) or gone (deleted) tells the writer to stop. */
	e = db_query(db, "chat_answer_save",
	    "WITH u AS (UPDATE messages SET content = $2,"
	    " actions = coalesce($3::jsonb, actions), writer_seen_at = now()"
	    " WHERE id = $1 AND status = 'streaming' RETURNING stop_requested)"
	    " SELECT u.stop_requested, pg_notify($4, 'more') FROM u",
	    DB_P(msg_id, content, acts, chan), &res);
	if (e != DB_OK)
		return e;
	if (PQntuples(res) < 1) {
		PQclear(res);
		*stop = true;
		return DB_NOTFOUND;
	}
	*stop = PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return DB_OK;
}

enum db_err
chat_answer_stop_requested(struct db *db, const char *msg_id, bool *stop)
{
	PGresult *res;
	enum db_err e;

	e = db_query(db, "chat_answer_stop_requested",
	    "SELECT stop_requested OR status <> 'streaming' FROM messages WHERE id = $1",
	    DB_P(msg_id), &res);
	if (e != DB_OK)
		return e;
	*stop = PQntuples(res) < 1 || PQgetvalue(res, 0, 0)[0] == 't';
	PQclear(res);
	return DB_OK;
}

/*
 * The whole end in one statement (its own transaction): the message, its
 * receipt, the conversation's updated_at, and the notification, delivered at
 * commit so followers read the whole end. Returns the stored message with
 * its receipt, shaped as chat_msg_get's.
 */
static const char sql_answer_finish[] =
	"WITH m AS (UPDATE messages SET status = $2, content = $3, content_html = $4, error = $5,"
	"  actions = $6::jsonb WHERE id = $1 RETURNING *),"
	" r AS (INSERT INTO responses (message_id, model_used, tokens_prompt, tokens_completion,"
	"  tokens_total, completion_time_ms, time_to_first_token_ms, tokens_estimated)"
	"  SELECT m.id, $7, $8, $9, $10, $11, $12, $13 FROM m"
	"  ON CONFLICT (message_id) DO UPDATE SET model_used = EXCLUDED.model_used,"
	"  tokens_prompt = EXCLUDED.tokens_prompt,"
	"  tokens_completion = EXCLUDED.tokens_completion,"
	"  tokens_total = EXCLUDED.tokens_total,"
	"  completion_time_ms = EXCLUDED.completion_time_ms,"
	"  time_to_first_token_ms = EXCLUDED.time_to_first_token_ms,"
	"  tokens_estimated = EXCLUDED.tokens_estimated RETURNING *),"
	" t AS (UPDATE conversations c SET updated_at = now() FROM m"
	"  WHERE c.id = $14 AND c.id = m.conversation_id),"
	" n AS (SELECT pg_notify($15, 'end') FROM m)"
	" SELECT " MSG_COLS " FROM m LEFT JOIN r ON r.message_id = m.id, n";

enum db_err
chat_answer_finish(struct db *db, const char *conv_id, const char *msg_id,
    const struct chat_finish *f, struct json_object **final)
{
	char tp[24], tc[24], tt[24], ct[24], ttft[24], chan[64];
	const char *acts = f->actions != NULL ?
	    json_object_to_json_string_ext(f->actions, JSON_C_TO_STRING_PLAIN) : "[]";
	PGresult *res;
	enum db_err e;

	if (final != NULL)
		*final = NULL;
	count_text(tp, sizeof tp, f->tokens_prompt);
	count_text(tc, sizeof tc, f->tokens_completion);
	count_text(tt, sizeof tt, f->tokens_total);
	count_text(ct, sizeof ct, f->completion_time_ms);
	count_text(ttft, sizeof ttft, f->time_to_first_token_ms);
	chat_channel("msg", msg_id, chan);

	e = db_query(db, "chat_answer_finish", sql_answer_finish,
	    DB_P(msg_id, f->status, f->content, f->content_html, f->error, acts,
	    f->model_used, tp, tc, tt, ct, f->time_to_first_token_ms < 0 ? NULL : ttft,
	    f->tokens_estimated ? "true" : "false", conv_id, chan), &res);
	if (e != DB_OK)
		return e;
	if (PQntuples(res) < 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	if (final != NULL)
		*final = chat_row_msg(res, 0);
	PQclear(res);
	return DB_OK;
}

enum db_err
chat_answer_request_stop(struct db *db, const char *user_id, const char *conv_id,
    const char *id, bool *was_streaming)
{
	char chan[64], mchan[64];
	PGresult *res;
	enum db_err e;

	if (!chat_id_valid(conv_id) || !chat_id_valid(id))
		return DB_NOTFOUND;
	chat_channel("stop", id, chan);
	chat_channel("msg", id, mchan);
	e = db_query(db, "chat_request_stop",
	    "WITH u AS (UPDATE messages m SET stop_requested = (m.status = 'streaming')"
	    "  FROM conversations c"
	    "  WHERE m.id = $3 AND m.conversation_id = $2 AND c.id = m.conversation_id"
	    "  AND c.user_id = $1 RETURNING m.status)"
	    " SELECT u.status, pg_notify($4, 'stop'), pg_notify($5, 'stop') FROM u",
	    DB_P(user_id, conv_id, id, chan, mchan), &res);
	if (e != DB_OK)
		return e;
	if (PQntuples(res) < 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	*was_streaming = strcmp(PQgetvalue(res, 0, 0), "streaming") == 0;
	PQclear(res);
	return DB_OK;
}

enum db_err
chat_answer_reap(struct db *db, const char *msg_id, long max_age_s, bool *reaped)
{
	char age[24], chan[64];
	PGresult *res;
	enum db_err e;

	snprintf(age, sizeof age, "%ld", max_age_s);
	chat_channel("msg", msg_id, chan);
	e = db_query(db, "chat_answer_reap",
	    "WITH u AS (UPDATE messages SET status = 'error',"
	    " error = 'The answer was interrupted before it was finished.'"
	    " WHERE id = $1 AND status = 'streaming'"
	    " AND writer_seen_at < now() - make_interval(secs => $2::int) RETURNING id)"
	    " SELECT pg_notify($3, 'end') FROM u",
	    DB_P(msg_id, age, chan), &res);
	if (e != DB_OK)
		return e;
	*reaped = PQntuples(res) > 0;
	PQclear(res);
	return DB_OK;
}

enum db_err
chat_answer_set_html(struct db *db, const char *msg_id, const char *html)
{
	return db_query(db, "chat_answer_set_html",
	    "UPDATE messages SET content_html = $2 WHERE id = $1 AND content_html IS NULL",
	    DB_P(msg_id, html), NULL);
}
