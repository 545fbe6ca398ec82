/* chat.c: the chat store: conversations, and messages as pages and the API read them; every query filtered by its owner (the answer engine's writes: chat_answers.c). */
#include "chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "chat_rows.h"
#include "db_json.h"
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

struct json_object *
chat_row_msg(const PGresult *res, int i)
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

/* The single row of res (a message), or DB_NOTFOUND. Clears res. */
static enum db_err
one_msg(PGresult *res, struct json_object **out)
{
	if (PQntuples(res) < 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	if (out != NULL)
		*out = chat_row_msg(res, 0);
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
	return db_one_json(res, out);
}

static void
int_text(char *out, size_t len, long v)
{
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
	return db_one_json(res, out);
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
	return db_one_json(res, out);
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
	return db_one_json(res, NULL);
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
	return db_one_json(res, NULL);
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
		if ((e = db_one_json(res, NULL)) != DB_OK)
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
	return one_msg(res, out);
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
