/* h_chat_api.c: the chat JSON API: conversations, messages (JSON or Server-Sent Events), models, usage. */
#include "h_chat_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "answer.h"
#include "buf.h"
#include "chat.h"
#include "clock.h"
#include "db.h"
#include "form.h"
#include "jfield.h"
#include "llm.h"
#include "log.h"
#include "prefetch.h"
#include "req.h"
#include "response.h"
#include "usage.h"
#include "view.h"
#include "xalloc.h"

#define STOP_WAIT_MS	5000	/* how long POST .../stop waits for the writer to store the end */
#define KEEPALIVE_MS	15000	/* an SSE comment after this long without an event */

/* ---- shared ---- */

/* A store's conflict here is always an answer still being written. */
static const struct view_conflict writing = {
	"conflict",
	"An answer is still being written in this conversation. Stop it or wait for it.",
};

/* An integer query parameter in lo..hi, def when absent. Returns 0, or -1 when it is not. */
static int
query_long(const struct req *r, const char *name, long lo, long hi, long def, long *out)
{
	const char *s = req_query(r, name);
	char *end;
	long v;

	if (s == NULL) {
		*out = def;
		return 0;
	}
	v = strtol(s, &end, 10);
	if (s[0] == '\0' || *end != '\0' || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

/* As query_long; -1 after answering 422. */
static int
query_int(struct req *r, const char *name, long lo, long hi, long def, long *out)
{
	if (query_long(r, name, lo, hi, def, out) != 0) {
		resp_error(r, 422, "invalid", "The %s parameter must be a whole number from %ld to %ld.",
		    name, lo, hi);
		return -1;
	}
	return 0;
}

/* A model field: NULL when absent or empty; -1 (error added) when not a string or unknown. */
static int
model_field(const struct req *r, struct form_errors *fe, const char *name, const char **out)
{
	bool wrong = false;
	const char *m = form_str(r, name, &wrong);

	*out = NULL;
	if (wrong) {
		form_error(fe, name, "The model must be a model id such as builtin/parley.");
		return -1;
	}
	if (m == NULL || m[0] == '\0')
		return 0;
	if (!llm_model_known(r->cfg, m)) {
		form_error(fe, name, "That model is not available.");
		return -1;
	}
	*out = m;
	return 0;
}

static bool
body_is_object(const struct req *r)
{
	return r->json == NULL || json_object_is_type(r->json, json_type_object);
}

/* ---- Server-Sent Events ---- */

struct sse {
	struct req		*r;
	struct timespec		 last;	/* the last write */
};

static void
sse_init_state(struct sse *s, struct req *r)
{
	s->r = r;
	clock_gettime(CLOCK_MONOTONIC, &s->last);
}

/* Writes one event; -1 once the client is gone (which changes nothing for the answer). */
static int
sse_send(struct sse *s, const char *event, struct json_object *data)
{
	struct buf b = BUF_INIT;
	int rc;

	buf_printf(&b, "event: %s\ndata: %s\n\n", event,
	    json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN |
	    JSON_C_TO_STRING_NOSLASHESCAPE));
	rc = resp_stream_write(s->r, b.data, b.len);
	buf_free(&b);
	clock_gettime(CLOCK_MONOTONIC, &s->last);
	return rc;
}

static int
sse_delta(struct sse *s, const char *text, size_t len)
{
	struct json_object *d = json_object_new_object();
	int rc;

	json_object_object_add(d, "content", json_object_new_string_len(text, (int)len));
	rc = sse_send(s, "delta", d);
	json_object_put(d);
	return rc;
}

static int
sse_keepalive(struct sse *s)
{
	static const char ka[] = ": keep-alive\n\n";

	clock_gettime(CLOCK_MONOTONIC, &s->last);
	return resp_stream_write(s->r, ka, sizeof ka - 1);
}

/* {"error": {"code", "message"}, "assistant_message": msg} as an error event. */
static void
sse_error(struct sse *s, const char *code, const char *message, struct json_object *msg)
{
	struct json_object *d = json_object_new_object(), *e = json_object_new_object();

	json_object_object_add(e, "code", json_object_new_string(code));
	json_object_object_add(e, "message", json_object_new_string(message));
	json_object_object_add(d, "error", e);
	json_object_object_add(d, "assistant_message", json_object_get(msg));
	(void)sse_send(s, "error", d);
	json_object_put(d);
}

/* True when the client asked for a stream: "stream": true, or Accept: text/event-stream. */
static int
wants_stream(const struct req *r, struct form_errors *fe, bool *stream)
{
	bool present = false, v = false;

	*stream = r->accept != NULL && strstr(r->accept, "text/event-stream") != NULL;
	if (form_bool(r, fe, "stream", "Stream", &present, &v) != 0)
		return -1;
	if (present)
		*stream = *stream || v;
	return 0;
}

/* ---- writing an answer for a request ---- */

static void
on_delta(void *ctx, const char *text, size_t len)
{
	/* A client that went away only stops hearing; the answer goes on. */
	(void)sse_delta(ctx, text, len);
}

static void
on_tick(void *ctx)
{
	struct sse *s = ctx;

	if (ms_since(&s->last) >= KEEPALIVE_MS)
		(void)sse_keepalive(s);
}

/*
 * Runs answer a for request r: as SSE when stream, else waiting for the
 * whole answer and answering 201 (a may come from answer_begin_whole then).
 * Frees a.
 */
static void
respond_answer(struct req *r, struct answer *a, bool stream)
{
	struct json_object *final = NULL, *o;
	struct sse s;
	enum db_err e;
	char *loc;

	if (!stream) {
		/* Begun with answer_begin_whole: the rows may exist only from here on. */
		e = answer_run(a, NULL, NULL, &final);
		if (e != DB_OK) {
			view_store_failed(r, e, "conversation", &writing);
			loc = NULL;
			goto out;
		}
		loc = xasprintf("/api/v1/conversations/%s/messages/%s",
		    jfield_str(final, "conversation_id"), jfield_str(final, "id"));
		o = json_object_new_object();
		json_object_object_add(o, "user_message", json_object_get(answer_user_message(a)));
		json_object_object_add(o, "assistant_message", final);
		resp_header(r, "Location", loc);
		resp_json(r, 201, o);
		goto out;
	}

	loc = xasprintf("/api/v1/conversations/%s/messages/%s",
	    jfield_str(answer_assistant_message(a), "conversation_id"), answer_id(a));
	sse_init_state(&s, r);
	resp_header(r, "Location", loc);
	(void)resp_stream_begin(r, 200, "text/event-stream; charset=utf-8");
	o = json_object_new_object();
	json_object_object_add(o, "user_message", json_object_get(answer_user_message(a)));
	json_object_object_add(o, "assistant_message",
	    json_object_get(answer_assistant_message(a)));
	(void)sse_send(&s, "start", o);
	json_object_put(o);

	answer_set_tick(a, on_tick, &s);
	e = answer_run(a, on_delta, &s, &final);
	if (e != DB_OK)
		sse_error(&s, e == DB_NOTFOUND ? "not_found" : "internal",
		    e == DB_NOTFOUND ? "The conversation was deleted while the answer was written." :
		    "The answer could not be stored.", answer_assistant_message(a));
	else if (strcmp(jfield_str(final, "status") != NULL ? jfield_str(final, "status") : "", "error") == 0)
		sse_error(&s, "model_error", jfield_str(final, "error") != NULL ? jfield_str(final, "error") :
		    "The model could not answer.", final);
	else
		(void)sse_send(&s, "done", final);
	json_object_put(final);
	if (r->client_gone)
		log_info("answer %s: the client left; the answer was still stored", answer_id(a));
out:
	free(loc);
	answer_free(a);
}

/* ---- models and usage ---- */

void
h_api_models(struct req *r)
{
	resp_json(r, 200, llm_models_json(r->cfg));
}

void
h_api_usage(struct req *r)
{
	struct json_object *u;
	enum db_err e;

	if ((e = usage_by_model(r->w->db, r->user->id, &u)) != DB_OK) {
		view_store_failed(r, e, "usage", &writing);
		return;
	}
	resp_json(r, 200, u);
}

/* ---- conversations ---- */

void
h_api_conv_list(struct req *r)
{
	const char *q = req_query(r, "q");
	struct json_object *items, *j;
	long limit, offset;
	enum db_err e;

	if (query_int(r, "limit", 1, CHAT_LIST_MAX, 50, &limit) != 0 ||
	    query_int(r, "offset", 0, 1000000, 0, &offset) != 0)
		return;
	if (q != NULL)
		e = chat_conv_search(r->w->db, r->user->id, q, (int)limit, (int)offset, &items);
	else
		e = chat_conv_list(r->w->db, r->user->id, (int)limit, (int)offset, &items);
	if (e != DB_OK) {
		view_store_failed(r, e, "conversation", &writing);
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "items", items);
	resp_json(r, 200, j);
}

void
h_api_conv_create(struct req *r)
{
	struct form_errors fe = { 0 };
	struct json_object *c;
	const char *model = NULL;
	char *title = NULL, *loc;
	enum db_err e;

	if (!body_is_object(r)) {
		resp_error(r, 422, "invalid", "The body must be a JSON object.");
		return;
	}
	(void)form_text(r, &fe, "title", "Title", false, 0, CHAT_TITLE_MAX, &title);
	(void)model_field(r, &fe, "default_model", &model);
	if (fe.n > 0) {
		form_errors_respond(r, &fe);
		goto done;
	}
	if (model == NULL)
		model = llm_default_model(r->cfg);
	e = chat_conv_create(r->w->db, r->user->id, title, model, &c);
	if (e != DB_OK) {
		view_store_failed(r, e, "conversation", &writing);
		goto done;
	}
	loc = xasprintf("/api/v1/conversations/%s", jfield_str(c, "id"));
	resp_header(r, "Location", loc);
	free(loc);
	resp_json(r, 201, c);
done:
	free(title);
}

void
h_api_conv_get(struct req *r)
{
	struct json_object *c;
	enum db_err e;

	if ((e = chat_conv_get(r->w->db, r->user->id, req_param(r, "id"), &c)) != DB_OK) {
		view_store_failed(r, e, "conversation", &writing);
		return;
	}
	resp_json(r, 200, c);
}

void
h_api_conv_update(struct req *r)
{
	struct form_errors fe = { 0 };
	const char *id = req_param(r, "id"), *model = NULL;
	struct json_object *c;
	char *title = NULL;
	enum db_err e;

	if (r->json == NULL || !json_object_is_type(r->json, json_type_object)) {
		resp_error(r, 422, "invalid", "The body must be a JSON object.");
		return;
	}
	/* Only a real conversation gets a word about its fields. */
	if ((e = chat_conv_get(r->w->db, r->user->id, id, NULL)) != DB_OK) {
		view_store_failed(r, e, "conversation", &writing);
		return;
	}
	if (form_has(r, "title"))
		(void)form_text(r, &fe, "title", "Title", true, 1, CHAT_TITLE_MAX, &title);
	if (form_has(r, "default_model")) {
		if (model_field(r, &fe, "default_model", &model) == 0 && model == NULL)
			form_error(&fe, "default_model", "The default model cannot be empty.");
	}
	if (fe.n > 0) {
		form_errors_respond(r, &fe);
		goto done;
	}
	e = chat_conv_update(r->w->db, r->user->id, id, title, model, &c);
	if (e != DB_OK) {
		view_store_failed(r, e, "conversation", &writing);
		goto done;
	}
	resp_json(r, 200, c);
done:
	free(title);
}

void
h_api_conv_delete(struct req *r)
{
	enum db_err e;

	if ((e = chat_conv_delete(r->w->db, r->user->id, req_param(r, "id"))) != DB_OK) {
		view_store_failed(r, e, "conversation", &writing);
		return;
	}
	resp_no_content(r);
}

/* ---- messages ---- */

void
prefetch_api_msg_list(const struct req *r, const char *user_id, struct prefetch *pf)
{
	long limit;

	if (query_long(r, "limit", 1, CHAT_PAGE_MAX, CHAT_PAGE_DEFAULT, &limit) != 0)
		return;
	pf->n = chat_msg_list_reads(user_id, req_param(r, "id"), (int)limit,
	    req_query_set(r, "before"), pf->calls, pf->args);
}

void
h_api_msg_list(struct req *r)
{
	const char *before = req_query_set(r, "before");
	struct buf out = BUF_INIT;
	long limit;
	enum db_err e;

	if (query_int(r, "limit", 1, CHAT_PAGE_MAX, CHAT_PAGE_DEFAULT, &limit) != 0)
		return;
	/* Written straight from the rows: the most read answer of the API. */
	e = chat_msg_list_write(r->w->db, r->user->id, req_param(r, "id"), (int)limit, before,
	    &out);
	if (e != DB_OK) {
		buf_free(&out);
		view_store_failed(r, e, before != NULL ? "conversation or message" : "conversation",
		    &writing);
		return;
	}
	resp_header(r, "Cache-Control", "no-store");
	resp_send(r, 200, "application/json", buf_cstr(&out), out.len);
	buf_free(&out);
}

void
h_api_msg_get(struct req *r)
{
	struct json_object *m;
	enum db_err e;

	e = chat_msg_get(r->w->db, r->user->id, req_param(r, "id"), req_param(r, "mid"), &m);
	if (e != DB_OK) {
		view_store_failed(r, e, "message", &writing);
		return;
	}
	resp_json(r, 200, m);
}

/* A new message's fields, as both its handler and its prefetch read them. */
struct msg_fields {
	const char	*content;
	const char	*model;		/* NULL: the conversation's default */
	bool		 stream;
};

/* 0 with f set, or -1: the body is not a JSON object. Bad fields go into fe. */
static int
msg_fields(const struct req *r, struct form_errors *fe, struct msg_fields *f)
{
	const char *why, *field;
	bool wrong = false;

	memset(f, 0, sizeof *f);
	if (!body_is_object(r))
		return -1;
	f->content = form_str(r, "content", &wrong);
	if (wrong)
		form_error(fe, "content", "The message must be text.");
	else if ((why = answer_invalid(r->cfg, f->content, NULL, &field)) != NULL)
		form_error(fe, field, "%s", why);
	(void)model_field(r, fe, "model", &f->model);
	(void)wants_stream(r, fe, &f->stream);
	return 0;
}

void
prefetch_api_msg_create(const struct req *r, const char *user_id, struct prefetch *pf)
{
	struct form_errors fe = { 0 };
	struct msg_fields f;

	/* Only an answer written at once starts with reads: not a stream, nor a 422. */
	if (msg_fields(r, &fe, &f) != 0 || fe.n > 0 || f.stream)
		return;
	prefetch_builtin_answer(pf, user_id, req_param(r, "id"), f.content, f.model);
}

void
h_api_msg_create(struct req *r)
{
	struct form_errors fe = { 0 };
	const char *conv = req_param(r, "id");
	struct msg_fields f;
	struct answer *a = NULL;
	enum db_err e;

	if (msg_fields(r, &fe, &f) != 0) {
		resp_error(r, 422, "invalid", "The body must be a JSON object.");
		return;
	}
	if (fe.n > 0) {
		form_errors_respond(r, &fe);
		return;
	}
	/* Without a stream, the builtin model's answer is stored with its question at once. */
	e = f.stream ? answer_begin(r->w, r->user->id, conv, f.content, f.model, &a) :
	    answer_begin_whole(r->w, r->user->id, conv, f.content, f.model, &a);
	if (e != DB_OK) {
		view_store_failed(r, e, "conversation", &writing);
		return;
	}
	respond_answer(r, a, f.stream);
}

void
h_api_regenerate(struct req *r)
{
	struct form_errors fe = { 0 };
	const char *model = NULL;
	struct answer *a = NULL;
	bool stream = false;
	enum db_err e;

	if (!body_is_object(r)) {
		resp_error(r, 422, "invalid", "The body must be a JSON object.");
		return;
	}
	(void)model_field(r, &fe, "model", &model);
	(void)wants_stream(r, &fe, &stream);
	if (fe.n > 0) {
		form_errors_respond(r, &fe);
		return;
	}
	e = answer_regenerate(r->w, r->user->id, req_param(r, "id"), model, &a);
	if (e == DB_NOTFOUND) {
		/* Say which: a conversation of theirs with nothing to answer is not a 404 of it. */
		if (chat_conv_get(r->w->db, r->user->id, req_param(r, "id"), NULL) == DB_OK)
			resp_error(r, 409, "conflict", "There is no message to answer yet.");
		else
			view_store_failed(r, e, "conversation", &writing);
		return;
	}
	if (e != DB_OK) {
		view_store_failed(r, e, "conversation", &writing);
		return;
	}
	respond_answer(r, a, stream);
}

/* Following: the SSE stream starts only once the message is known to be theirs. */
struct follow {
	struct sse	 s;
	bool		 begun;
};

static int
follow_start(void *ctx, struct json_object *msg)
{
	struct follow *f = ctx;
	struct json_object *o = json_object_new_object();
	int rc;

	f->begun = true;
	(void)resp_stream_begin(f->s.r, 200, "text/event-stream; charset=utf-8");
	json_object_object_add(o, "assistant_message", json_object_get(msg));
	rc = sse_send(&f->s, "start", o);
	json_object_put(o);
	return rc;
}

static int
follow_delta(void *ctx, const char *text, size_t len)
{
	struct follow *f = ctx;

	return sse_delta(&f->s, text, len);
}

static int
follow_keepalive(void *ctx)
{
	struct follow *f = ctx;

	return sse_keepalive(&f->s);
}

static int
follow_done(void *ctx, struct json_object *msg)
{
	struct follow *f = ctx;
	const char *st = jfield_str(msg, "status");

	if (st != NULL && strcmp(st, "error") == 0) {
		sse_error(&f->s, "model_error", jfield_str(msg, "error") != NULL ? jfield_str(msg, "error") :
		    "The model could not answer.", msg);
		return 0;
	}
	return sse_send(&f->s, "done", msg);
}

void
h_api_msg_events(struct req *r)
{
	struct follow f;
	struct answer_follow_cb cb = {
		.ctx = &f, .start = follow_start, .delta = follow_delta,
		.keepalive = follow_keepalive, .done = follow_done,
	};
	enum db_err e;

	memset(&f, 0, sizeof f);
	sse_init_state(&f.s, r);
	e = answer_follow(r->w, r->user->id, req_param(r, "id"), req_param(r, "mid"), &cb);
	if (e == DB_OK)
		return;
	if (!f.begun)
		view_store_failed(r, e, "message", &writing);
	else
		sse_error(&f.s, "internal", "The answer could not be read.", NULL);
}

void
h_api_msg_stop(struct req *r)
{
	struct json_object *m;
	bool ended = false;
	enum db_err e;

	e = answer_stop(r->w, r->user->id, req_param(r, "id"), req_param(r, "mid"),
	    STOP_WAIT_MS, &m, &ended);
	if (e != DB_OK) {
		view_store_failed(r, e, "message", &writing);
		return;
	}
	resp_json(r, ended ? 200 : 202, m);
}
