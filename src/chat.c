/* chat.c: the chat store: every query filtered by its owner, SQL only through parameters. */
#include "chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "parse.h"
#include "text.h"
#include "utf8.h"
#include "xalloc.h"

/* A conversation as the store returns it. */
#define CONV_COLS \
	"c.id, c.title, c.default_model, c.created_at, c.updated_at"

/*
 * Lists add when the conversation last changed hands and how long it is:
 * kept on the row by triggers on messages (migration 0004), since counting
 * on every list cost more than the rest of a page.
 */
#define CONV_LIST_COLS CONV_COLS ", c.last_message_at, c.message_count"

/*
 * A message with its receipt; the r_ columns are folded into "response"
 * (see msg_json). stop_requested is the engine's business and stays out.
 * Every statement that returns messages selects these columns first, in
 * this order (enum msg_col).
 */
#define MSG_COLS \
	"m.id, m.conversation_id, m.role, m.content, m.content_html, m.model," MSG_COLS_REST
#define MSG_COLS_REST \
	" m.status, m.error, m.created_at, m.actions," \
	" r.id AS r_id, r.model_used AS r_model_used, r.tokens_prompt AS r_tokens_prompt," \
	" r.tokens_completion AS r_tokens_completion, r.tokens_total AS r_tokens_total," \
	" r.completion_time_ms AS r_completion_time_ms," \
	" r.time_to_first_token_ms AS r_time_to_first_token_ms," \
	" r.tokens_estimated AS r_tokens_estimated, r.created_at AS r_created_at"

/*
 * MSG_COLS for the pages: an answer shown from its stored HTML does not
 * need its Markdown too (a third less to read and send for a page of
 * answers). content is NULL for those rows.
 */
#define MSG_PAGE_COLS \
	"m.id, m.conversation_id, m.role," \
	" CASE WHEN m.role = 'assistant' AND m.status <> 'streaming'" \
	"  AND coalesce(m.content_html, '') <> '' THEN NULL ELSE m.content END AS content," \
	" m.content_html, m.model," MSG_COLS_REST

enum msg_col {
	MC_ID, MC_CONVERSATION_ID, MC_ROLE, MC_CONTENT, MC_CONTENT_HTML, MC_MODEL,
	MC_STATUS, MC_ERROR, MC_CREATED_AT, MC_ACTIONS,
	MC_R_ID, MC_R_FIRST = MC_R_ID + 1,
	MC_N = MC_R_FIRST + 8
};

/* The message's own fields, in the order the API shows them (columns 0 to MC_R_ID - 1). */
static const char *const msg_fields[MC_R_ID] = {
	"id", "conversation_id", "role", "content", "content_html", "model", "status",
	"error", "created_at", "actions",
};

/* The receipt's fields, in the order the API shows them (columns from MC_R_FIRST). */
static const char *const response_fields[MC_N - MC_R_FIRST] = {
	"model_used", "tokens_prompt", "tokens_completion", "tokens_total",
	"completion_time_ms", "time_to_first_token_ms", "tokens_estimated", "created_at",
};

bool
chat_id_valid(const char *s)
{
	return parse_is_uuid(s);
}

static const char *
invalid_trimmed_title(const char *t)
{
	if (t == NULL || t[0] == '\0')
		return "The title is required.";
	if (utf8_chars(t) > CHAT_TITLE_MAX)
		return "The title can be at most 200 characters long.";
	for (const char *p = t; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\t')
			return "The title must be one line.";
	return NULL;
}

const char *
chat_title_invalid(const char *title)
{
	char *t = trimmed(title);
	const char *why = invalid_trimmed_title(t);

	free(t);
	return why;
}

#define TITLE_WORDS	6
#define TITLE_CHARS	60

/* True for punctuation a title should not end with. */
static bool
trailing_punct(char c)
{
	return strchr(".,;:!?-([{\"'", c) != NULL;
}

char *
chat_title_from(const char *text)
{
	struct buf b = BUF_INIT;
	const char *p = text != NULL ? text : "";
	size_t words = 0, nchars = 0;
	bool cut = false;

	while (*p != '\0') {
		const char *w;
		size_t wlen, wchars;

		while (*p != '\0' && (is_space((unsigned char)*p) || (unsigned char)*p < 0x20))
			p++;
		if (*p == '\0')
			break;
		if (words == TITLE_WORDS) {
			cut = true;
			break;
		}
		w = p;
		while (*p != '\0' && !is_space((unsigned char)*p) && (unsigned char)*p >= 0x20)
			p++;
		wlen = (size_t)(p - w);
		wchars = utf8_chars_n(w, wlen);
		if (nchars + wchars + (words > 0) > TITLE_CHARS) {
			cut = true;
			if (words == 0) {
				/* One very long word: keep its first characters. */
				buf_append(&b, w, utf8_prefix(w, wlen, TITLE_CHARS - 1));
				words++;
			}
			break;
		}
		if (words > 0)
			buf_putc(&b, ' ');
		buf_append(&b, w, wlen);
		nchars += wchars + (words > 0);
		words++;
	}
	while (b.len > 0 && trailing_punct(b.data[b.len - 1])) {
		b.len--;
		b.data[b.len] = '\0';
	}
	if (b.len == 0) {
		buf_free(&b);
		return xstrdup(CHAT_DEFAULT_TITLE);
	}
	if (cut)
		buf_puts(&b, "\xe2\x80\xa6");	/* … */
	return buf_detach(&b);
}

void
chat_channel(const char *prefix, const char *msg_id, char out[64])
{
	size_t n = 0;

	n = (size_t)snprintf(out, 64, "%s_", prefix);
	for (const char *p = msg_id; *p != '\0' && n < 63; p++)
		if (*p != '-')
			out[n++] = (char)(*p >= 'A' && *p <= 'F' ? *p - 'A' + 'a' : *p);
	out[n] = '\0';
}

/* ---- rows to JSON ---- */

/* Row i of res (MSG_COLS) as a message with its "response". Caller puts. */
static struct json_object *
msg_json(const PGresult *res, int i)
{
	struct json_object *m = json_object_new_object(), *resp = NULL;

	for (int c = 0; c < MC_R_ID; c++)
		json_object_object_add(m, msg_fields[c], db_value_json(res, i, c));
	if (!PQgetisnull(res, i, MC_R_ID)) {
		resp = json_object_new_object();
		for (int c = MC_R_FIRST; c < MC_N; c++)
			json_object_object_add(resp, response_fields[c - MC_R_FIRST],
			    db_value_json(res, i, c));
	}
	json_object_object_add(m, "response", resp);
	return m;
}

/* Row i of res (MSG_COLS) as msg_json's object in JSON text. */
static void
msg_write(struct buf *b, const PGresult *res, int i)
{
	for (int c = 0; c < MC_R_ID; c++) {
		buf_putc(b, c == 0 ? '{' : ',');
		db_json_string(b, msg_fields[c], strlen(msg_fields[c]));
		buf_putc(b, ':');
		db_value_write(b, res, i, c);
	}
	buf_puts(b, ",\"response\":");
	if (PQgetisnull(res, i, MC_R_ID)) {
		buf_puts(b, "null}");
		return;
	}
	for (int c = MC_R_FIRST; c < MC_N; c++) {
		buf_putc(b, c == MC_R_FIRST ? '{' : ',');
		db_json_string(b, response_fields[c - MC_R_FIRST],
		    strlen(response_fields[c - MC_R_FIRST]));
		buf_putc(b, ':');
		db_value_write(b, res, i, c);
	}
	buf_puts(b, "}}");
}

/* The single row of res (a conversation), or DB_NOTFOUND. Clears res. */
static enum db_err
one_row(PGresult *res, struct json_object **out, bool message)
{
	if (PQntuples(res) < 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	if (out != NULL)
		*out = message ? msg_json(res, 0) : db_row_json(res, 0);
	PQclear(res);
	return DB_OK;
}

/* ---- conversations ---- */

enum db_err
chat_conv_create(struct db *db, const char *user_id, const char *title,
    const char *default_model, struct json_object **out)
{
	char *t = trimmed(title);
	PGresult *res;
	enum db_err e;

	if (t != NULL && t[0] == '\0') {
		free(t);
		t = NULL;
	}
	if (t != NULL && invalid_trimmed_title(t) != NULL) {
		free(t);
		return DB_INVALID;
	}
	e = db_query(db, "chat_conv_create",
	    "INSERT INTO conversations AS c (user_id, title, default_model)"
	    " VALUES ($1, coalesce($2, '" CHAT_DEFAULT_TITLE "'), $3)"
	    " RETURNING " CONV_COLS,
	    DB_P(user_id, t, default_model), &res);
	free(t);
	if (e != DB_OK)
		return e;
	return one_row(res, out, false);
}

static void
int_text(char *out, size_t len, long v)
{
	snprintf(out, len, "%ld", v);
}

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

/* Column c of row i as a number; -1 for NULL. */
static long
col_long(const PGresult *res, int i, int c)
{
	return PQgetisnull(res, i, c) ? -1 : strtol(PQgetvalue(res, i, c), NULL, 10);
}

/* Column c of row i; NULL for SQL NULL. */
static const char *
col_str(const PGresult *res, int i, int c)
{
	return PQgetisnull(res, i, c) ? NULL : PQgetvalue(res, i, c);
}

/* The statement of the owner's conversations, newest activity first (CONV_LIST_COLS). */
static enum db_err
conv_list_call(const char *user_id, int limit, int offset, struct db_args *a,
    struct db_call *call)
{
	if (limit < 1 || limit > CHAT_LIST_MAX || offset < 0)
		return DB_INVALID;
	int_text(a->num[0], sizeof a->num[0], limit);
	int_text(a->num[1], sizeof a->num[1], offset);
	a->params[0] = user_id;
	a->params[1] = a->num[0];
	a->params[2] = a->num[1];
	call->name = "chat_conv_list";
	call->sql = "SELECT " CONV_LIST_COLS " FROM conversations c WHERE c.user_id = $1"
	    " ORDER BY c.updated_at DESC, c.id DESC LIMIT $2 OFFSET $3";
	call->nparams = 3;
	call->params = a->params;
	call->res = NULL;
	return DB_OK;
}

/* The owner's conversations (conv_list_call); *res, caller clears. */
static enum db_err
conv_list_query(struct db *db, const char *user_id, int limit, int offset, PGresult **res)
{
	struct db_args a;
	struct db_call call;
	enum db_err e;

	if ((e = conv_list_call(user_id, limit, offset, &a, &call)) != DB_OK)
		return e;
	return db_query(db, call.name, call.sql, call.nparams, call.params, res);
}

enum db_err
chat_conv_list(struct db *db, const char *user_id, int limit, int offset,
    struct json_object **items)
{
	PGresult *res;
	enum db_err e;

	if ((e = conv_list_query(db, user_id, limit, offset, &res)) != DB_OK)
		return e;
	*items = db_rows_json(res);
	PQclear(res);
	return DB_OK;
}

/* res's rows (CONV_LIST_COLS, then maybe "snippet") into out, which takes res. */
static void
conv_rows(PGresult *res, struct chat_convs *out)
{
	int n = PQntuples(res), snippet = PQfnumber(res, "snippet");

	out->res = res;
	out->v = xcalloc(n > 0 ? (size_t)n : 1, sizeof *out->v);
	for (int i = 0; i < n; i++) {
		struct chat_conv *c = &out->v[i];

		c->id = col_str(res, i, 0);
		c->title = col_str(res, i, 1);
		c->default_model = col_str(res, i, 2);
		c->created_at = col_str(res, i, 3);
		c->updated_at = col_str(res, i, 4);
		c->last_message_at = col_str(res, i, 5);
		c->message_count = col_long(res, i, 6);
		c->snippet = snippet >= 0 ? col_str(res, i, snippet) : NULL;
	}
	out->n = (size_t)n;
}

enum db_err
chat_conv_rows(struct db *db, const char *user_id, int limit, int offset,
    struct chat_convs *out)
{
	PGresult *res;
	enum db_err e;

	memset(out, 0, sizeof *out);
	if ((e = conv_list_query(db, user_id, limit, offset, &res)) != DB_OK)
		return e;
	conv_rows(res, out);
	return DB_OK;
}

void
chat_convs_free(struct chat_convs *c)
{
	PQclear(c->res);
	free(c->v);
	memset(c, 0, sizeof *c);
}

/* True when q holds something the search could match: a letter, a digit or any non-ASCII byte. */
static bool
has_word(const char *q)
{
	for (; q != NULL && *q; q++) {
		unsigned char c = (unsigned char)*q;

		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    c >= 0x80)
			return true;
	}
	return false;
}

/* The search's rows (CONV_LIST_COLS and snippet); *res NULL when q has no words. */
static enum db_err
conv_search_query(struct db *db, const char *user_id, const char *q, int limit,
    int offset, PGresult **res)
{
	char lim[24], off[24];

	*res = NULL;
	if (limit < 1 || limit > CHAT_LIST_MAX || offset < 0)
		return DB_INVALID;
	if (!has_word(q))
		return DB_OK;
	int_text(lim, sizeof lim, limit);
	int_text(off, sizeof off, offset);
	/*
	 * Both tests use the GIN indexes on parley_search_vector(); the
	 * snippet is the newest matching message, cut to a preview.
	 */
	return db_query(db, "chat_conv_search",
	    "WITH q AS (SELECT plainto_tsquery('simple', $2) AS q)"
	    " SELECT " CONV_LIST_COLS ","
	    " (SELECT left(sm.content, 200) FROM messages sm, q"
	    "   WHERE sm.conversation_id = c.id AND parley_search_vector(sm.content) @@ q.q"
	    "   ORDER BY sm.created_at DESC LIMIT 1) AS snippet"
	    " FROM conversations c, q WHERE c.user_id = $1"
	    " AND (parley_search_vector(c.title) @@ q.q OR EXISTS"
	    "  (SELECT 1 FROM messages em WHERE em.conversation_id = c.id"
	    "   AND parley_search_vector(em.content) @@ q.q))"
	    " ORDER BY c.updated_at DESC, c.id DESC LIMIT $3 OFFSET $4",
	    DB_P(user_id, q, lim, off), res);
}

enum db_err
chat_conv_search(struct db *db, const char *user_id, const char *q, int limit,
    int offset, struct json_object **items)
{
	PGresult *res;
	enum db_err e;

	if ((e = conv_search_query(db, user_id, q, limit, offset, &res)) != DB_OK)
		return e;
	*items = res != NULL ? db_rows_json(res) : json_object_new_array();
	PQclear(res);
	return DB_OK;
}

enum db_err
chat_conv_search_rows(struct db *db, const char *user_id, const char *q, int limit,
    int offset, struct chat_convs *out)
{
	PGresult *res;
	enum db_err e;

	memset(out, 0, sizeof *out);
	if ((e = conv_search_query(db, user_id, q, limit, offset, &res)) != DB_OK)
		return e;
	if (res != NULL)
		conv_rows(res, out);
	return DB_OK;
}

enum db_err
chat_conv_one(struct db *db, const char *user_id, const char *id, struct chat_convs *out)
{
	PGresult *res;
	enum db_err e;

	memset(out, 0, sizeof *out);
	if (!chat_id_valid(id))
		return DB_NOTFOUND;
	e = db_query(db, "chat_conv_one",
	    "SELECT " CONV_LIST_COLS " FROM conversations c WHERE c.id = $2 AND c.user_id = $1",
	    DB_P(user_id, id), &res);
	if (e != DB_OK)
		return e;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	conv_rows(res, out);
	return DB_OK;
}

enum db_err
chat_conv_get(struct db *db, const char *user_id, const char *id, struct json_object **out)
{
	PGresult *res;
	enum db_err e;

	if (!chat_id_valid(id))
		return DB_NOTFOUND;
	e = db_query(db, "chat_conv_get",
	    "SELECT " CONV_COLS " FROM conversations c WHERE c.id = $2 AND c.user_id = $1",
	    DB_P(user_id, id), &res);
	if (e != DB_OK)
		return e;
	return one_row(res, out, false);
}

enum db_err
chat_conv_update(struct db *db, const char *user_id, const char *id,
    const char *title, const char *default_model, struct json_object **out)
{
	char *t = trimmed(title);
	PGresult *res;
	enum db_err e;

	if (!chat_id_valid(id)) {
		free(t);
		return DB_NOTFOUND;
	}
	if (t != NULL && invalid_trimmed_title(t) != NULL) {
		free(t);
		return DB_INVALID;
	}
	e = db_query(db, "chat_conv_update",
	    "UPDATE conversations c SET title = coalesce($3, title),"
	    " default_model = coalesce($4, default_model)"
	    " WHERE c.id = $2 AND c.user_id = $1 RETURNING " CONV_COLS,
	    DB_P(user_id, id, t, default_model), &res);
	free(t);
	if (e != DB_OK)
		return e;
	return one_row(res, out, false);
}

enum db_err
chat_conv_delete(struct db *db, const char *user_id, const char *id)
{
	PGresult *res;
	enum db_err e;

	if (!chat_id_valid(id))
		return DB_NOTFOUND;
	e = db_query(db, "chat_conv_delete",
	    "DELETE FROM conversations WHERE id = $2 AND user_id = $1 RETURNING id",
	    DB_P(user_id, id), &res);
	if (e != DB_OK)
		return e;
	return one_row(res, NULL, false);
}

/* ---- messages ---- */

/* DB_OK when conversation conv_id is the owner's, DB_NOTFOUND when not. */
static enum db_err
conv_owned(struct db *db, const char *user_id, const char *conv_id)
{
	PGresult *res;
	enum db_err e;

	if (!chat_id_valid(conv_id))
		return DB_NOTFOUND;
	e = db_query(db, "chat_conv_owned",
	    "SELECT 1 FROM conversations WHERE id = $2 AND user_id = $1",
	    DB_P(user_id, conv_id), &res);
	if (e != DB_OK)
		return e;
	return one_row(res, NULL, false);
}

/* The message id of the owner's conversation (MSG_COLS), zero or one row (*res, caller clears). */
static enum db_err
msg_get_query(struct db *db, const char *user_id, const char *conv_id, const char *id,
    PGresult **res)
{
	return db_query(db, "chat_msg_get",
	    "SELECT " MSG_COLS " FROM messages m"
	    " JOIN conversations c ON c.id = m.conversation_id AND c.user_id = $1"
	    " LEFT JOIN responses r ON r.message_id = m.id"
	    " WHERE m.id = $3 AND m.conversation_id = $2",
	    DB_P(user_id, conv_id, id), res);
}

/* A page's rows with the columns cols, newest first: the newest, or those before $4. */
#define MSG_PAGE_SQL(cols) \
	"SELECT " cols " FROM (SELECT p.* FROM messages p" \
	"  JOIN conversations c ON c.id = p.conversation_id AND c.user_id = $1" \
	"  WHERE p.conversation_id = $2" \
	"  ORDER BY p.created_at DESC, p.id DESC LIMIT $3) m" \
	" LEFT JOIN responses r ON r.message_id = m.id" \
	" ORDER BY m.created_at DESC, m.id DESC"
#define MSG_PAGE_BEFORE_SQL(cols) \
	"SELECT " cols " FROM (SELECT p.* FROM messages p" \
	"  JOIN conversations c ON c.id = p.conversation_id AND c.user_id = $1" \
	"  WHERE p.conversation_id = $2 AND (p.created_at, p.id) <" \
	"   (SELECT b.created_at, b.id FROM messages b" \
	"    WHERE b.id = $4 AND b.conversation_id = $2)" \
	"  ORDER BY p.created_at DESC, p.id DESC LIMIT $3) m" \
	" LEFT JOIN responses r ON r.message_id = m.id" \
	" ORDER BY m.created_at DESC, m.id DESC"

/*
 * The statement of a page's rows (see msg_page); a holds its parameters.
 * for_page: MSG_PAGE_COLS (for the HTML pages) instead of MSG_COLS.
 */
static enum db_err
msg_page_call(const char *user_id, const char *conv_id, int limit, const char *before,
    bool for_page, struct db_args *a, struct db_call *call)
{
	if (limit < 1 || limit > CHAT_PAGE_MAX)
		return DB_INVALID;
	if (!chat_id_valid(conv_id) || (before != NULL && !chat_id_valid(before)))
		return DB_NOTFOUND;
	/* One more than asked: whether there is an older page. */
	int_text(a->num[0], sizeof a->num[0], (long)limit + 1);
	a->params[0] = user_id;
	a->params[1] = conv_id;
	a->params[2] = a->num[0];
	a->params[3] = before;
	call->params = a->params;
	call->nparams = before == NULL ? 3 : 4;
	call->res = NULL;
	/*
	 * The page's messages first, then their receipts: joined before the
	 * LIMIT, PostgreSQL read and sorted the whole conversation and all
	 * receipts (half the time of the query on the bench's data).
	 */
	if (for_page) {
		call->name = before == NULL ? "chat_msg_page" : "chat_msg_page_before";
		call->sql = before == NULL ? MSG_PAGE_SQL(MSG_PAGE_COLS) :
		    MSG_PAGE_BEFORE_SQL(MSG_PAGE_COLS);
	} else {
		call->name = before == NULL ? "chat_msg_list" : "chat_msg_list_before";
		call->sql = before == NULL ? MSG_PAGE_SQL(MSG_COLS) : MSG_PAGE_BEFORE_SQL(MSG_COLS);
	}
	return DB_OK;
}

/*
 * The page's statement answered res (taken): *out is res when it has rows;
 * else NULL for an empty page of the owner's conversation, or DB_NOTFOUND
 * when there is nothing of theirs to page through.
 */
static enum db_err
msg_page_done(struct db *db, const char *user_id, const char *conv_id, const char *before,
    PGresult *res, PGresult **out)
{
	enum db_err e;

	*out = NULL;
	if (PQntuples(res) > 0) {
		*out = res;
		return DB_OK;
	}
	PQclear(res);
	if ((e = conv_owned(db, user_id, conv_id)) != DB_OK)
		return e;
	if (before != NULL) {
		e = db_query(db, "chat_msg_exists",
		    "SELECT 1 FROM messages WHERE id = $2 AND conversation_id = $1",
		    DB_P(conv_id, before), &res);
		if (e != DB_OK)
			return e;
		if ((e = one_row(res, NULL, false)) != DB_OK)
			return e;
	}
	return DB_OK;
}

/*
 * The page's rows, newest first, one more than limit when there are older
 * ones (*res, caller clears); *res is NULL for an empty page of the owner's
 * conversation.
 */
static enum db_err
msg_page(struct db *db, const char *user_id, const char *conv_id, int limit,
    const char *before, bool for_page, PGresult **out)
{
	struct db_args a;
	struct db_call call;
	PGresult *res;
	enum db_err e;

	*out = NULL;
	if ((e = msg_page_call(user_id, conv_id, limit, before, for_page, &a, &call)) != DB_OK)
		return e;
	if ((e = db_query(db, call.name, call.sql, call.nparams, call.params, &res)) != DB_OK)
		return e;
	return msg_page_done(db, user_id, conv_id, before, res, out);
}

/* Row i of res (MSG_COLS) into *m, pointing into res. */
static void
msg_row(const PGresult *res, int i, struct chat_msg *m)
{
	m->id = col_str(res, i, MC_ID);
	m->conversation_id = col_str(res, i, MC_CONVERSATION_ID);
	m->role = col_str(res, i, MC_ROLE);
	m->content = col_str(res, i, MC_CONTENT);
	m->content_html = col_str(res, i, MC_CONTENT_HTML);
	m->model = col_str(res, i, MC_MODEL);
	m->status = col_str(res, i, MC_STATUS);
	m->error = col_str(res, i, MC_ERROR);
	m->created_at = col_str(res, i, MC_CREATED_AT);
	m->actions = col_str(res, i, MC_ACTIONS);
	m->has_response = !PQgetisnull(res, i, MC_R_ID);
	m->r_model_used = col_str(res, i, MC_R_FIRST + 0);
	m->r_tokens_prompt = col_long(res, i, MC_R_FIRST + 1);
	m->r_tokens_completion = col_long(res, i, MC_R_FIRST + 2);
	m->r_tokens_total = col_long(res, i, MC_R_FIRST + 3);
	m->r_completion_time_ms = col_long(res, i, MC_R_FIRST + 4);
	m->r_time_to_first_token_ms = col_long(res, i, MC_R_FIRST + 5);
	m->r_tokens_estimated = !PQgetisnull(res, i, MC_R_FIRST + 6) &&
	    PQgetvalue(res, i, MC_R_FIRST + 6)[0] == 't';
}

/* res's rows (MSG_COLS, newest first, maybe one past limit) into out, which takes res (may be NULL). */
static void
msg_rows(PGresult *res, int limit, struct chat_msgs *out)
{
	int n = res != NULL ? PQntuples(res) : 0, shown = n > limit ? limit : n;

	out->res = res;
	out->v = xcalloc(shown > 0 ? (size_t)shown : 1, sizeof *out->v);
	/* Newest first from the index; the page reads oldest first. */
	for (int i = shown - 1; i >= 0; i--)
		msg_row(res, i, &out->v[out->n++]);
	out->has_more = n > limit;
}

/* The page's two statements (chat_conv_page); DB_INVALID or DB_NOTFOUND as it answers. */
static enum db_err
conv_page_calls(const char *user_id, const char *conv_id, int list_limit, int limit,
    const char *before, struct db_call calls[2], struct db_args args[2])
{
	enum db_err e;

	if ((e = conv_list_call(user_id, list_limit, 0, &args[0], &calls[0])) != DB_OK)
		return e;
	return msg_page_call(user_id, conv_id, limit, before, true, &args[1], &calls[1]);
}

size_t
chat_conv_page_reads(const char *user_id, const char *conv_id, int list_limit, int limit,
    const char *before, struct db_call calls[2], struct db_args args[2])
{
	return conv_page_calls(user_id, conv_id, list_limit, limit, before, calls, args) ==
	    DB_OK ? 2 : 0;
}

enum db_err
chat_conv_page(struct db *db, const char *user_id, const char *conv_id, int list_limit,
    int limit, const char *before, struct chat_convs *convs, struct chat_msgs *msgs)
{
	struct db_args args[2];
	struct db_call calls[2];
	PGresult *res;
	enum db_err e;

	memset(convs, 0, sizeof *convs);
	memset(msgs, 0, sizeof *msgs);
	if ((e = conv_page_calls(user_id, conv_id, list_limit, limit, before, calls, args)) != DB_OK)
		return e;
	/* Both reads in one round trip: a wake-up of PostgreSQL and of this thread fewer. */
	if ((e = db_query_all(db, calls, 2)) != DB_OK)
		return e;
	if ((e = msg_page_done(db, user_id, conv_id, before, calls[1].res, &res)) != DB_OK) {
		PQclear(calls[0].res);
		return e;
	}
	conv_rows(calls[0].res, convs);
	msg_rows(res, limit, msgs);
	return DB_OK;
}

enum db_err
chat_msg_one(struct db *db, const char *user_id, const char *conv_id,
    const char *id, struct chat_msgs *out)
{
	PGresult *res;
	enum db_err e;

	memset(out, 0, sizeof *out);
	if (!chat_id_valid(conv_id) || !chat_id_valid(id))
		return DB_NOTFOUND;
	if ((e = msg_get_query(db, user_id, conv_id, id, &res)) != DB_OK)
		return e;
	if (PQntuples(res) != 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	out->res = res;
	out->v = xcalloc(1, sizeof *out->v);
	msg_row(res, 0, &out->v[0]);
	out->n = 1;
	return DB_OK;
}

void
chat_msgs_free(struct chat_msgs *m)
{
	PQclear(m->res);
	free(m->v);
	memset(m, 0, sizeof *m);
}

size_t
chat_msg_list_reads(const char *user_id, const char *conv_id, int limit, const char *before,
    struct db_call *call, struct db_args *args)
{
	return msg_page_call(user_id, conv_id, limit, before, false, args, call) == DB_OK ? 1 : 0;
}

enum db_err
chat_msg_list_write(struct db *db, const char *user_id, const char *conv_id,
    int limit, const char *before, struct buf *out)
{
	PGresult *res;
	enum db_err e;
	int n, shown;

	if ((e = msg_page(db, user_id, conv_id, limit, before, false, &res)) != DB_OK)
		return e;
	n = res != NULL ? PQntuples(res) : 0;
	shown = n > limit ? limit : n;
	/* The text of {"items": [...], "has_more": ...} without building it first. */
	buf_puts(out, "{\"items\":[");
	for (int i = shown - 1; i >= 0; i--) {
		if (i != shown - 1)
			buf_putc(out, ',');
		msg_write(out, res, i);
	}
	buf_puts(out, n > limit ? "],\"has_more\":true}" : "],\"has_more\":false}");
	PQclear(res);
	return DB_OK;
}

enum db_err
chat_msg_get(struct db *db, const char *user_id, const char *conv_id,
    const char *id, struct json_object **out)
{
	PGresult *res;
	enum db_err e;

	if (!chat_id_valid(conv_id) || !chat_id_valid(id))
		return DB_NOTFOUND;
	if ((e = msg_get_query(db, user_id, conv_id, id, &res)) != DB_OK)
		return e;
	return one_row(res, out, true);
}

enum db_err
chat_msg_status(struct db *db, const char *user_id, const char *conv_id,
    const char *id, char out[16])
{
	PGresult *res;
	enum db_err e;

	if (!chat_id_valid(conv_id) || !chat_id_valid(id))
		return DB_NOTFOUND;
	e = db_query(db, "chat_msg_status",
	    "SELECT m.status FROM messages m"
	    " JOIN conversations c ON c.id = m.conversation_id AND c.user_id = $1"
	    " WHERE m.id = $3 AND m.conversation_id = $2",
	    DB_P(user_id, conv_id, id), &res);
	if (e != DB_OK)
		return e;
	if (PQntuples(res) < 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	snprintf(out, 16, "%s", PQgetvalue(res, 0, 0));
	PQclear(res);
	return DB_OK;
}

enum db_err
chat_msg_tail(struct db *db, const char *user_id, const char *conv_id,
    const char *id, long skip, char status[16], char **more, long *nchars)
{
	char sk[24];
	PGresult *res;
	enum db_err e;

	if (!chat_id_valid(conv_id) || !chat_id_valid(id))
		return DB_NOTFOUND;
	int_text(sk, sizeof sk, skip < 0 ? 0 : skip);
	e = db_query(db, "chat_msg_tail",
	    "SELECT m.status, substr(m.content, $4::int + 1), char_length(m.content)"
	    " FROM messages m"
	    " JOIN conversations c ON c.id = m.conversation_id AND c.user_id = $1"
	    " WHERE m.id = $3 AND m.conversation_id = $2",
	    DB_P(user_id, conv_id, id, sk), &res);
	if (e != DB_OK)
		return e;
	if (PQntuples(res) < 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	snprintf(status, 16, "%s", PQgetvalue(res, 0, 0));
	*more = xstrdup(PQgetvalue(res, 0, 1));
	*nchars = strtol(PQgetvalue(res, 0, 2), NULL, 10);
	PQclear(res);
	return DB_OK;
}

/* ---- the engine's writes ---- */

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
	*user_msg = msg_json(res, 0);
	*asst_msg = msg_json(res, 1);
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
    struct db_call *also, char **default_model, struct json_object **msgs, char **name)
{
	struct db_args args;
	struct db_call calls[2];
	struct json_object *arr;
	PGresult *res;
	enum db_err e;
	int n;

	if (also != NULL)
		also->res = NULL;
	if (!chat_id_valid(conv_id))
		return DB_NOTFOUND;
	chat_exchange_context_call(user_id, conv_id, &args, &calls[0]);
	if (also == NULL) {
		e = db_query(db, calls[0].name, calls[0].sql, calls[0].nparams, calls[0].params,
		    &res);
	} else {
		calls[1] = *also;
		e = db_query_all(db, calls, 2);
		res = calls[0].res;
		also->res = calls[1].res;
		/* The other read failing is the caller's concern, not the context's. */
		if (e != DB_OK)
			e = db_query(db, calls[0].name, calls[0].sql, calls[0].nparams,
			    calls[0].params, &res);
	}
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
	*user_msg = msg_json(res, 0);
	*final = msg_json(res, 1);
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
	um = msg_json(res, 0);
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
	am = msg_json(res, 0);
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
		*final = msg_json(res, 0);
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

	int_text(age, sizeof age, max_age_s);
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

/* ---- usage ---- */

/*
 * Every request the owner ($1) made of a model: chat answers (their
 * receipts, owned through the conversation) and proposal sections (owned
 * directly), one row each, with ok false for the ones that failed.
 */
#define USAGE_ROWS \
	"SELECT 'chat' AS source, r.model_used, m.status <> 'error' AS ok," \
	" r.tokens_prompt, r.tokens_completion, r.tokens_total, r.completion_time_ms," \
	" r.time_to_first_token_ms, r.tokens_estimated, r.created_at" \
	" FROM responses r JOIN messages m ON m.id = r.message_id" \
	" JOIN conversations c ON c.id = m.conversation_id" \
	" WHERE c.user_id = $1" \
	" UNION ALL" \
	" SELECT 'proposals', p.model_used, p.status <> 'error'," \
	" p.tokens_prompt, p.tokens_completion, p.tokens_total, p.completion_time_ms," \
	" p.time_to_first_token_ms, p.tokens_estimated, p.created_at" \
	" FROM proposal_usage p WHERE p.user_id = $1"

/* Per source: answers (the ok ones), errors and tokens, as columns <src>_answers ... */
#define USAGE_SOURCE_COLS(src, name) \
	" count(*) FILTER (WHERE ok AND source = '" src "') AS " name "_answers," \
	" count(*) FILTER (WHERE NOT ok AND source = '" src "') AS " name "_errors," \
	" coalesce(sum(tokens_total) FILTER (WHERE source = '" src "'), 0)::bigint" \
	"  AS " name "_tokens_total"

static const char *const usage_sources[] = { "chat", "proposals" };
#define NUSAGE_SOURCES	(sizeof usage_sources / sizeof usage_sources[0])
/* The figures of each source, in the order usage_source() takes them. */
static const char *const usage_source_keys[3] = { "answers", "errors", "tokens_total" };

static struct json_object *
usage_source(long answers, long errors, long tokens)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "answers", json_object_new_int64(answers));
	json_object_object_add(o, "errors", json_object_new_int64(errors));
	json_object_object_add(o, "tokens_total", json_object_new_int64(tokens));
	return o;
}

/* A number column of res (0 when absent or null). */
static long
usage_num(const PGresult *res, int row, const char *col)
{
	const char *v = db_get(res, row, col);

	return v != NULL ? strtol(v, NULL, 10) : 0;
}

enum db_err
chat_usage(struct db *db, const char *user_id, struct json_object **out)
{
	struct json_object *o, *items, *totals, *tsrc;
	PGresult *res;
	enum db_err e;
	long answers = 0, tp = 0, tc = 0, tt = 0;
	long sums[NUSAGE_SOURCES][3] = { { 0 } };
	char col[64];

	e = db_query(db, "chat_usage_models",
	    "WITH u AS (" USAGE_ROWS ")"
	    " SELECT model_used AS model,"
	    " count(*) FILTER (WHERE ok) AS answers,"
	    " count(*) FILTER (WHERE NOT ok) AS errors,"
	    " coalesce(sum(tokens_prompt), 0)::bigint AS tokens_prompt,"
	    " coalesce(sum(tokens_completion), 0)::bigint AS tokens_completion,"
	    " coalesce(sum(tokens_total), 0)::bigint AS tokens_total,"
	    " coalesce(round(avg(completion_time_ms) FILTER (WHERE ok)), 0)::bigint"
	    "  AS avg_completion_time_ms,"
	    " coalesce(round(percentile_cont(0.95) WITHIN GROUP (ORDER BY completion_time_ms)"
	    "  FILTER (WHERE ok))::bigint, 0) AS p95_completion_time_ms,"
	    " round(avg(time_to_first_token_ms) FILTER (WHERE ok))::bigint"
	    "  AS avg_time_to_first_token_ms,"
	    " bool_or(tokens_estimated) AS estimated,"
	    USAGE_SOURCE_COLS("chat", "chat") ","
	    USAGE_SOURCE_COLS("proposals", "proposals")
	    " FROM u GROUP BY model_used"
	    " ORDER BY tokens_total DESC, model_used",
	    DB_P(user_id), &res);
	if (e != DB_OK)
		return e;
	o = json_object_new_object();
	items = db_rows_json(res);
	json_object_object_add(o, "items", items);
	for (int i = 0; i < PQntuples(res); i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		struct json_object *src = json_object_new_object();

		answers += usage_num(res, i, "answers");
		tp += usage_num(res, i, "tokens_prompt");
		tc += usage_num(res, i, "tokens_completion");
		tt += usage_num(res, i, "tokens_total");
		/* The flat columns become {"sources": {"chat": {...}, "proposals": {...}}}. */
		for (size_t k = 0; k < NUSAGE_SOURCES; k++) {
			long v[3];

			for (int j = 0; j < 3; j++) {
				snprintf(col, sizeof col, "%s_%s", usage_sources[k],
				    usage_source_keys[j]);
				v[j] = usage_num(res, i, col);
				sums[k][j] += v[j];
				json_object_object_del(it, col);
			}
			json_object_object_add(src, usage_sources[k], usage_source(v[0], v[1], v[2]));
		}
		json_object_object_add(it, "sources", src);
	}
	PQclear(res);
	totals = json_object_new_object();
	json_object_object_add(totals, "answers", json_object_new_int64(answers));
	json_object_object_add(totals, "tokens_prompt", json_object_new_int64(tp));
	json_object_object_add(totals, "tokens_completion", json_object_new_int64(tc));
	json_object_object_add(totals, "tokens_total", json_object_new_int64(tt));
	tsrc = json_object_new_object();
	for (size_t k = 0; k < NUSAGE_SOURCES; k++)
		json_object_object_add(tsrc, usage_sources[k],
		    usage_source(sums[k][0], sums[k][1], sums[k][2]));
	json_object_object_add(totals, "sources", tsrc);
	json_object_object_add(o, "totals", totals);

	/* Days in UTC whatever the session's time zone, as the usage page draws them. */
	e = db_query(db, "chat_usage_daily",
	    "WITH u AS (" USAGE_ROWS ")"
	    " SELECT to_char(d.day, 'YYYY-MM-DD') AS date,"
	    " coalesce(sum(x.tokens_total), 0)::bigint AS tokens_total,"
	    " count(*) FILTER (WHERE x.ok) AS answers"
	    " FROM generate_series((now() AT TIME ZONE 'UTC')::date - 29,"
	    "  (now() AT TIME ZONE 'UTC')::date, interval '1 day') AS d(day)"
	    " LEFT JOIN (SELECT (u.created_at AT TIME ZONE 'UTC')::date AS day,"
	    "   u.tokens_total, u.ok FROM u"
	    "   WHERE u.created_at >= ((now() AT TIME ZONE 'UTC')::date - 29) AT TIME ZONE 'UTC') x"
	    "  ON x.day = d.day::date"
	    " GROUP BY d.day ORDER BY d.day",
	    DB_P(user_id), &res);
	if (e != DB_OK) {
		json_object_put(o);
		return e;
	}
	json_object_object_add(o, "daily", db_rows_json(res));
	PQclear(res);
	*out = o;
	return DB_OK;
}
