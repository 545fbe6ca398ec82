/* answer.c: writes one answer for the server, saves it as it grows, and lets anyone stop or follow it. */
#include "answer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"
#include "chat.h"
#include "clock.h"
#include "config.h"
#include "jfield.h"
#include "llm.h"
#include "log.h"
#include "markdown.h"
#include "notify.h"
#include "prefetch.h"
#include "req.h"
#include "text.h"
#include "tools.h"
#include "utf8.h"
#include "xalloc.h"

#define SAVE_EVERY_MS		200	/* the row is written at most this often while text grows */
#define HEARTBEAT_MS		5000	/* and at least this often, to show the writer is alive */
#define STOP_CHECK_MS		1000	/* the stop flag is read at least this often without a NOTIFY */
#define TICK_MS			1000	/* the caller's tick, at most this often */
#define FOLLOW_POLL_MS		1000	/* a follower re-reads at least this often */
#define KEEPALIVE_MS		15000	/* a follower's keep-alive when nothing new came */

struct answer {
	struct worker		*w;
	char			*user_id;
	char			*conv_id;
	char			 id[37];
	char			*model;
	struct json_object	*user_msg;
	struct json_object	*asst_msg;

	/* While answer_run writes. */
	answer_delta_fn		 delta;
	void			*delta_ctx;
	void			(*tick)(void *ctx);
	void			*tick_ctx;
	struct buf		 text;		/* the answer so far: valid UTF-8, no NULs */
	unsigned char		 pend[4];	/* an incomplete UTF-8 sequence from the model */
	size_t			 npend;
	size_t			 need;		/* its whole length */
	size_t			 saved;		/* bytes of text stored in the row */
	struct json_object	*actions;	/* [{"tool", "note"}] */
	bool			 actions_dirty;
	bool			 stop;
	char			 stop_chan[64];

	/*
	 * Written whole (answer_begin_whole): nothing is stored until the end,
	 * so there is no row to save to, stop or follow meanwhile.
	 */
	bool			 whole;
	char			*content;	/* the user's message, trimmed */
	char			*override;	/* its model override, or NULL */
	struct json_object	*hist;		/* the history before it */
	char			*name;		/* the owner's name, or NULL */
	struct timespec		 last_save;
	struct timespec		 last_check;
	struct timespec		 last_tick;
};

const char *
answer_invalid(const struct config *cfg, const char *content, const char *model,
    const char **field)
{
	const char *p;
	size_t n;

	if (field != NULL)
		*field = "content";
	if (content == NULL)
		return "The message is required.";
	for (p = content; is_space((unsigned char)*p); p++)
		;
	if (*p == '\0')
		return "The message is empty.";
	n = utf8_chars(content);
	if (n > CHAT_CONTENT_MAX)
		return "The message can be at most 32,000 characters long.";
	if (model != NULL && model[0] != '\0' && !llm_model_known(cfg, model)) {
		if (field != NULL)
			*field = "model";
		return "That model is not available.";
	}
	return NULL;
}

/* ---- starting ---- */

static struct answer *
answer_new(struct worker *w, const char *user_id, const char *conv_id,
    struct json_object *um, struct json_object *am)
{
	struct answer *a = xcalloc(1, sizeof *a);
	const char *id = jfield_str(am, "id"), *model = jfield_str(am, "model");

	a->w = w;
	a->user_id = xstrdup(user_id);
	a->conv_id = xstrdup(conv_id);
	snprintf(a->id, sizeof a->id, "%s", id != NULL ? id : "");
	a->model = xstrdup(model != NULL ? model : "");
	a->user_msg = um;
	a->asst_msg = am;
	a->actions = json_object_new_array();
	chat_channel("stop", a->id, a->stop_chan);
	return a;
}

enum db_err
answer_begin(struct worker *w, const char *user_id, const char *conv_id,
    const char *content, const char *model, struct answer **out)
{
	struct json_object *um, *am;
	char *text;
	enum db_err e;

	if (answer_invalid(w->app->cfg, content, model, NULL) != NULL)
		return DB_INVALID;
	if (!chat_id_valid(conv_id))
		return DB_NOTFOUND;
	text = trimmed(content);
	e = chat_exchange_begin(w->db, user_id, conv_id, text, model, &um, &am);
	free(text);
	if (e != DB_OK)
		return e;
	*out = answer_new(w, user_id, conv_id, um, am);
	return DB_OK;
}

enum db_err
answer_begin_whole(struct worker *w, const char *user_id, const char *conv_id,
    const char *content, const char *model, struct answer **out)
{
	struct json_object *hist = NULL;
	struct answer *a;
	struct prefetch pf = { 0 };
	char *def = NULL, *name = NULL, *text;
	enum db_err e;

	if (model != NULL && model[0] == '\0')
		model = NULL;
	if (model != NULL && !llm_model_is_builtin(model))
		return answer_begin(w, user_id, conv_id, content, model, out);
	if (answer_invalid(w->app->cfg, content, model, NULL) != NULL)
		return DB_INVALID;
	if (!chat_id_valid(conv_id))
		return DB_NOTFOUND;
	/*
	 * The new message is the 50th of the history. A question the builtin
	 * model answers with the task list has that list read in the same round
	 * trip, for the list tool (wasted only when the conversation turns out
	 * to use another model).
	 */
	prefetch_builtin_answer(&pf, user_id, conv_id, content, model);
	prefetch_now(w->db, &pf);
	e = chat_exchange_context(w->db, user_id, conv_id, &def, &hist, &name);
	if (e != DB_OK)
		return e;
	if (model == NULL && !llm_model_is_builtin(def)) {
		free(def);
		free(name);
		json_object_put(hist);
		return answer_begin(w, user_id, conv_id, content, NULL, out);
	}
	text = trimmed(content);
	a = xcalloc(1, sizeof *a);
	a->w = w;
	a->user_id = xstrdup(user_id);
	a->conv_id = xstrdup(conv_id);
	a->model = xstrdup(model != NULL ? model : def);
	a->actions = json_object_new_array();
	a->whole = true;
	a->content = text;
	a->override = model != NULL ? xstrdup(model) : NULL;
	a->hist = hist;
	a->name = name;
	free(def);
	*out = a;
	return DB_OK;
}

enum db_err
answer_regenerate(struct worker *w, const char *user_id, const char *conv_id,
    const char *model, struct answer **out)
{
	struct json_object *um, *am;
	enum db_err e;

	if (model != NULL && model[0] != '\0' && !llm_model_known(w->app->cfg, model))
		return DB_INVALID;
	if (!chat_id_valid(conv_id))
		return DB_NOTFOUND;
	e = chat_regenerate_begin(w->db, user_id, conv_id, model, &um, &am);
	if (e != DB_OK)
		return e;
	*out = answer_new(w, user_id, conv_id, um, am);
	return DB_OK;
}

struct json_object *
answer_user_message(const struct answer *a)
{
	return a->user_msg;
}

struct json_object *
answer_assistant_message(const struct answer *a)
{
	return a->asst_msg;
}

const char *
answer_id(const struct answer *a)
{
	return a->id;
}

void
answer_set_tick(struct answer *a, void (*tick)(void *ctx), void *ctx)
{
	a->tick = tick;
	a->tick_ctx = ctx;
}

void
answer_free(struct answer *a)
{
	if (a == NULL)
		return;
	free(a->user_id);
	free(a->conv_id);
	free(a->model);
	json_object_put(a->user_msg);
	json_object_put(a->asst_msg);
	json_object_put(a->actions);
	json_object_put(a->hist);
	free(a->content);
	free(a->override);
	free(a->name);
	buf_free(&a->text);
	free(a);
}

/* ---- writing ---- */

/* Appends bytes as they are, known to be whole valid UTF-8. */
static void
put_valid(struct answer *a, const void *p, size_t n)
{
	buf_append(&a->text, p, n);
}

#define REPLACEMENT	"\xef\xbf\xbd"

/*
 * Takes the model's bytes into the answer: whole characters only, invalid
 * sequences replaced by U+FFFD and NULs dropped, so the row (PostgreSQL
 * text) and every JSON event stay valid whatever the provider sent.
 */
static void
feed(struct answer *a, const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char b = (unsigned char)s[i];

		if (a->npend > 0) {
			bool ok = (b & 0xC0) == 0x80;

			if (ok && a->npend == 1) {
				/* Overlongs, surrogates and values past U+10FFFF. */
				unsigned char l = a->pend[0];
				if ((l == 0xE0 && b < 0xA0) || (l == 0xED && b > 0x9F) ||
				    (l == 0xF0 && b < 0x90) || (l == 0xF4 && b > 0x8F))
					ok = false;
			}
			if (ok) {
				a->pend[a->npend++] = b;
				if (a->npend == a->need) {
					put_valid(a, a->pend, a->npend);
					a->npend = 0;
				}
				continue;
			}
			put_valid(a, REPLACEMENT, 3);
			a->npend = 0;
			/* b starts afresh below. */
		}
		if (b < 0x80) {
			if (b != 0)
				put_valid(a, &b, 1);
		} else if (b >= 0xC2 && b <= 0xF4) {
			a->pend[0] = b;
			a->npend = 1;
			a->need = b < 0xE0 ? 2 : b < 0xF0 ? 3 : 4;
		} else
			put_valid(a, REPLACEMENT, 3);
	}
}

/*
 * Stores the text so far when it changed and the last save is old enough
 * (or force), and checks in every HEARTBEAT_MS even when nothing changed,
 * so that followers can tell a slow model from a writer that died.
 */
static void
maybe_save(struct answer *a, bool force)
{
	bool stop = false, changed = a->text.len != a->saved || a->actions_dirty;
	long age = ms_since(&a->last_save);
	enum db_err e;

	if (a->whole || (!changed && age < HEARTBEAT_MS))
		return;
	if (changed && !force && age < SAVE_EVERY_MS)
		return;
	e = chat_answer_save(a->w->db, a->id, buf_cstr(&a->text),
	    a->actions_dirty ? a->actions : NULL, &stop);
	clock_now(&a->last_save);
	if (e == DB_OK || e == DB_NOTFOUND) {
		a->saved = a->text.len;
		a->actions_dirty = false;
		a->last_check = a->last_save;
		if (stop)
			a->stop = true;
	} else
		log_warn("answer %s: saving failed (%s); still writing", a->id, db_strerror(e));
}

static void
sink_delta(void *ctx, const char *text, size_t len)
{
	struct answer *a = ctx;
	size_t before = a->text.len;

	feed(a, text, len);
	if (a->text.len > before && a->delta != NULL)
		a->delta(a->delta_ctx, a->text.data + before, a->text.len - before);
	maybe_save(a, false);
}

static char *
sink_tool(void *ctx, const char *name, struct json_object *args, char **note)
{
	struct answer *a = ctx;
	char *result, *n = NULL;

	result = tools_run(a->w, a->user_id, name, args, &n);
	if (n != NULL) {
		struct json_object *o = json_object_new_object();

		json_object_object_add(o, "tool", json_object_new_string(name));
		json_object_object_add(o, "note", json_object_new_string(n));
		json_object_array_add(a->actions, o);
		a->actions_dirty = true;
	}
	if (note != NULL)
		*note = n;
	else
		free(n);
	maybe_save(a, false);
	return result;
}

static bool
sink_cancelled(void *ctx)
{
	struct answer *a = ctx;
	if (a->tick != NULL && ms_since(&a->last_tick) >= TICK_MS) {
		clock_now(&a->last_tick);
		a->tick(a->tick_ctx);
	}
	if (a->stop)
		return true;
	/* The quick way: a NOTIFY on the connection this request listens on (notify.h). */
	if (notify_seen(a->w->db, a->stop_chan))
		a->stop = true;
	if (a->stop)
		return true;
	/* Text that came before a pause is stored now rather than at the next delta. */
	maybe_save(a, false);
	/* The sure way, for poolers that drop LISTEN: the row itself. */
	if (!a->stop && !a->whole && ms_since(&a->last_check) >= STOP_CHECK_MS) {
		bool stop = false;

		clock_now(&a->last_check);
		if (chat_answer_stop_requested(a->w->db, a->id, &stop) == DB_OK && stop)
			a->stop = true;
	}
	return a->stop;
}

/* The llm_message array for hist (a JSON array of {role, content}) after a system line. */
static struct llm_message *
build_messages(struct json_object *hist, const char *system, size_t *n)
{
	size_t len = json_object_array_length(hist), k = 0;
	struct llm_message *m = xcalloc(len + 1, sizeof *m);

	if (system != NULL) {
		m[k].role = "system";
		m[k].content = system;
		k++;
	}
	for (size_t i = 0; i < len; i++) {
		struct json_object *o = json_object_array_get_idx(hist, i);

		m[k].role = jfield_str(o, "role");
		m[k].content = jfield_str(o, "content");
		if (m[k].role != NULL && m[k].content != NULL)
			k++;
	}
	*n = k;
	return m;
}

/* Stores an answer written whole with its question; a->user_msg and a->id are then set. */
static enum db_err
store_whole(struct answer *a, const struct chat_finish *f, struct json_object **final)
{
	struct json_object *um = NULL, *fin = NULL;
	const char *id;
	enum db_err e;

	e = chat_exchange_store(a->w->db, a->user_id, a->conv_id, a->content, a->override,
	    a->model, f, &um, &fin);
	if (e != DB_OK)
		return e;
	json_object_put(a->user_msg);
	a->user_msg = um;
	id = jfield_str(fin, "id");
	snprintf(a->id, sizeof a->id, "%s", id != NULL ? id : "");
	if (final != NULL)
		*final = fin;
	else
		json_object_put(fin);
	return DB_OK;
}

enum db_err
answer_run(struct answer *a, answer_delta_fn delta, void *ctx, struct json_object **final)
{
	struct worker *w = a->w;
	struct json_object *hist = NULL;
	struct llm_message *msgs;
	struct llm_request req;
	struct llm_result res;
	struct llm_sink sink;
	struct chat_finish f;
	char *name = NULL, *system = NULL, *html;
	size_t nmsgs;
	bool listening;
	enum db_err e;

	if (final != NULL)
		*final = NULL;
	a->delta = delta;
	a->delta_ctx = ctx;
	clock_now(&a->last_save);
	a->last_check = a->last_tick = a->last_save;
	/*
	 * The builtin model answers in process within a millisecond: nobody can
	 * stop it in between, and a LISTEN/UNLISTEN pair (two round trips, and a
	 * listener every NOTIFY of the database wakes) would cost more than the
	 * answer. The row's stop flag is still read by every save.
	 */
	listening = !a->whole && !llm_model_is_builtin(a->model);
	if (listening)
		(void)notify_listen(w->db, a->stop_chan);

	if (a->whole) {
		struct json_object *o = json_object_new_object();

		/* Read by answer_begin_whole; the new message closes it. */
		hist = a->hist;
		a->hist = NULL;
		name = a->name;
		a->name = NULL;
		json_object_object_add(o, "role", json_object_new_string("user"));
		json_object_object_add(o, "content", json_object_new_string(a->content));
		json_object_array_add(hist, o);
		e = DB_OK;
	} else
		e = chat_history(w->db, a->user_id, a->conv_id, a->id, &hist, &name);
	if (e != DB_OK) {
		/* Still try to end the answer, so it does not look as if it were being written. */
		log_error("answer %s: cannot read the conversation: %s", a->id, db_strerror(e));
		hist = json_object_new_array();
	}
	if (name != NULL)
		system = xasprintf("The user's name is %s.", name);
	msgs = build_messages(hist, system, &nmsgs);

	if (e == DB_OK) {
		memset(&req, 0, sizeof req);
		req.model = a->model;
		req.msgs = msgs;
		req.nmsgs = nmsgs;
		req.tools = true;
		sink.ctx = a;
		sink.delta = sink_delta;
		sink.tool = sink_tool;
		sink.cancelled = sink_cancelled;
		(void)llm_complete(w, &req, &sink, &res);
	} else {
		memset(&res, 0, sizeof res);
		res.status = LLM_ERROR;
		res.time_to_first_token_ms = -1;
		res.text = xstrdup("");
		snprintf(res.error, sizeof res.error,
		    "The conversation could not be read. Please try again.");
	}

	/* What the model left half-written is not a character. */
	if (a->npend > 0) {
		size_t before = a->text.len;

		a->npend = 0;
		put_valid(a, REPLACEMENT, 3);
		if (a->delta != NULL)
			a->delta(a->delta_ctx, a->text.data + before, a->text.len - before);
	}
	/* A provider that gave its text only at the end. */
	if (a->text.len == 0 && res.text != NULL && res.text[0] != '\0') {
		feed(a, res.text, strlen(res.text));
		a->npend = 0;
		if (a->text.len > 0 && a->delta != NULL)
			a->delta(a->delta_ctx, a->text.data, a->text.len);
	}

	html = markdown_html(buf_cstr(&a->text));
	memset(&f, 0, sizeof f);
	switch (res.status) {
	case LLM_STOPPED:
		f.status = "stopped";
		break;
	case LLM_ERROR:
		f.status = "error";
		f.error = res.error[0] != '\0' ? res.error : "The model could not answer.";
		break;
	default:
		f.status = "complete";
		break;
	}
	f.content = buf_cstr(&a->text);
	f.content_html = html;
	f.actions = a->actions;
	f.model_used = a->model[0] != '\0' ? a->model : "builtin/parley";
	f.tokens_prompt = res.tokens_prompt;
	f.tokens_completion = res.tokens_completion;
	f.tokens_total = res.tokens_total;
	f.completion_time_ms = res.completion_time_ms;
	f.time_to_first_token_ms = res.time_to_first_token_ms;
	f.tokens_estimated = res.tokens_estimated;

	if (a->whole) {
		/*
		 * No retry here: the exchange is inserted whole, and a connection
		 * lost after the commit would store it twice. The caller answers
		 * with the error; nothing half-written is left.
		 */
		e = store_whole(a, &f, final);
	} else {
		e = chat_answer_finish(w->db, a->conv_id, a->id, &f, final);
		if (e == DB_UNAVAILABLE) {
			/* One more try on a fresh connection: a long answer outlived a restart. */
			log_warn("answer %s: storing the end failed; trying once more", a->id);
			e = chat_answer_finish(w->db, a->conv_id, a->id, &f, final);
		}
	}
	if (e != DB_OK && e != DB_NOTFOUND)
		log_error("answer %s: cannot store the end: %s", a->id, db_strerror(e));
	if (listening) {
		notify_unlisten(w->db, a->stop_chan);
	}

	free(html);
	free(res.text);
	free(msgs);
	free(system);
	free(name);
	json_object_put(hist);
	return e;
}

/* ---- stopping and following ---- */

/* Renders the kept text of an answer that was reaped, so pages show it like any other. */
static void
render_reaped(struct worker *w, const char *user_id, const char *conv_id, const char *id)
{
	struct json_object *m = NULL;
	const char *content;
	char *html;

	if (chat_msg_get(w->db, user_id, conv_id, id, &m) != DB_OK)
		return;
	content = jfield_str(m, "content");
	html = markdown_html(content);
	(void)chat_answer_set_html(w->db, id, html);
	free(html);
	json_object_put(m);
}

enum db_err
answer_stop(struct worker *w, const char *user_id, const char *conv_id,
    const char *id, long wait_ms, struct json_object **out, bool *ended)
{
	struct timespec t0;
	char chan[64], status[16] = "";
	bool streaming = false;
	enum db_err e;

	chat_channel("msg", id, chan);
	(void)notify_listen(w->db, chan);
	e = chat_answer_request_stop(w->db, user_id, conv_id, id, &streaming);
	clock_now(&t0);
	while (e == DB_OK && streaming && ms_since(&t0) < wait_ms) {
		long left = wait_ms - ms_since(&t0);

		(void)notify_wait(w->db, left < 250 ? left : 250);
		if ((e = chat_msg_status(w->db, user_id, conv_id, id, status)) != DB_OK)
			break;
		streaming = strcmp(status, "streaming") == 0;
	}
	if (e == DB_OK && streaming) {
		bool reaped = false;

		/* Nobody is writing it any more: end it here. */
		if (chat_answer_reap(w->db, id, CHAT_WRITER_STALE_S, &reaped) == DB_OK && reaped) {
			log_warn("answer %s: its writer vanished; marked as failed", id);
			render_reaped(w, user_id, conv_id, id);
			streaming = false;
		}
	}
	notify_unlisten(w->db, chan);
	if (e != DB_OK)
		return e;
	if (ended != NULL)
		*ended = !streaming;
	if (out != NULL)
		e = chat_msg_get(w->db, user_id, conv_id, id, out);
	return e;
}

enum db_err
answer_follow(struct worker *w, const char *user_id, const char *conv_id,
    const char *id, const struct answer_follow_cb *cb)
{
	struct json_object *m = NULL;
	struct timespec last_read, last_sent;
	const char *status, *content;
	char chan[64], st[16];
	long sent;
	bool reaped;
	enum db_err e;

	if (!chat_id_valid(conv_id) || !chat_id_valid(id))
		return DB_NOTFOUND;
	chat_channel("msg", id, chan);
	/* Listen first, then read: nothing written in between is missed. */
	(void)notify_listen(w->db, chan);
	if ((e = chat_msg_get(w->db, user_id, conv_id, id, &m)) != DB_OK)
		goto out;
	status = jfield_str(m, "status");
	content = jfield_str(m, "content");
	if (content == NULL)
		content = "";
	sent = (long)utf8_chars(content);
	if (cb->start != NULL && cb->start(cb->ctx, m) != 0)
		goto out;
	if (content[0] != '\0' && cb->delta != NULL &&
	    cb->delta(cb->ctx, content, strlen(content)) != 0)
		goto out;
	clock_now(&last_sent);
	last_read = last_sent;
	while (status != NULL && strcmp(status, "streaming") == 0) {
		char *more = NULL;
		long n = 0;
		int got;

		got = notify_wait(w->db, FOLLOW_POLL_MS);
		if (got == 0 && ms_since(&last_read) < FOLLOW_POLL_MS)
			continue;
		clock_now(&last_read);
		if ((e = chat_msg_tail(w->db, user_id, conv_id, id, sent, st, &more, &n)) != DB_OK)
			goto out;
		if (more[0] != '\0') {
			int rc = cb->delta != NULL ? cb->delta(cb->ctx, more, strlen(more)) : 0;

			clock_now(&last_sent);
			sent = n;
			free(more);
			if (rc != 0)
				goto out;
		} else
			free(more);
		if (strcmp(st, "streaming") != 0)
			break;
		if (chat_answer_reap(w->db, id, CHAT_WRITER_STALE_S, &reaped) == DB_OK && reaped) {
			log_warn("answer %s: its writer vanished; marked as failed", id);
			render_reaped(w, user_id, conv_id, id);
			break;
		}
		if (ms_since(&last_sent) >= KEEPALIVE_MS) {
			clock_now(&last_sent);
			if (cb->keepalive != NULL && cb->keepalive(cb->ctx) != 0)
				goto out;
		}
	}
	if (status != NULL && strcmp(status, "streaming") == 0) {
		/* It ended while followed: send the stored end. */
		json_object_put(m);
		m = NULL;
		if ((e = chat_msg_get(w->db, user_id, conv_id, id, &m)) != DB_OK)
			goto out;
	}
	if (cb->done != NULL)
		(void)cb->done(cb->ctx, m);
out:
	notify_unlisten(w->db, chan);
	json_object_put(m);
	return e;
}
