/* h_chat_pages.c: the chat's pages: the conversation list, one conversation, and their forms. */
#include "h_chat_pages.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "answer.h"
#include "buf.h"
#include "chat.h"
#include "db.h"
#include "form.h"
#include "jfield.h"
#include "llm.h"
#include "log.h"
#include "req.h"
#include "response.h"
#include "template.h"
#include "xalloc.h"

/* Conversations shown in a list (the sidebar, /chat, search results). */
#define LIST_LIMIT	100
/* How long a Stop without JavaScript waits for the writer to store the end. */
#define STOP_WAIT_MS	3000

/* Confirmations after a POST/redirect/GET, chosen by ?msg= from a fixed list. */
static const struct {
	const char	*key;
	const char	*text;
} flashes[] = {
	{ "deleted",	"Conversation deleted." },
	{ "renamed",	"Conversation renamed." },
	{ "model",	"Default model changed." },
	{ "stopped",	"The answer was stopped." },
};

/* ---- shared ---- */

/* Answers a failed store call; a conflict here is always an answer still being written. */
static void
store_failed(struct req *r, enum db_err e, const char *what)
{
	if (e == DB_CONFLICT)
		resp_error(r, 409, "conflict",
		    "An answer is still being written in this conversation. Wait for it or stop it first.");
	else
		resp_store_error(r, e, what);
}

/* "2024-05-01T12:34:56.123456Z" -> "2024-05-01 12:34 UTC" into out. */
static void
short_time(const char *iso, char *out, size_t outlen)
{
	if (iso == NULL || strlen(iso) < 16 || iso[10] != 'T') {
		snprintf(out, outlen, "%s", iso != NULL ? iso : "");
		return;
	}
	snprintf(out, outlen, "%.10s %.5s UTC", iso, iso + 11);
}

/* A duration for people: "850 ms", "2.4 s", "–" when unknown. */
static void
fmt_ms(char *out, size_t outlen, long ms)
{
	if (ms < 0)
		snprintf(out, outlen, "–");
	else if (ms < 1000)
		snprintf(out, outlen, "%ld ms", ms);
	else
		snprintf(out, outlen, "%.1f s", (double)ms / 1000.0);
}

static void
add_flash(struct req *r, struct json_object *d)
{
	const char *msg = req_query(r, "msg");

	if (msg == NULL)
		return;
	for (size_t i = 0; i < sizeof flashes / sizeof flashes[0]; i++) {
		if (strcmp(msg, flashes[i].key) == 0) {
			struct json_object *fl = json_object_new_object();
			jfield_set_str(fl, "kind", "success");
			jfield_set_str(fl, "message", flashes[i].text);
			json_object_object_add(d, "flash", fl);
			return;
		}
	}
}

/*
 * 303 to /chat/{conv}, with ?msg=KEY and #ANCHOR when given. Both come
 * from this file's fixed words or the store's UUIDs, checked again here.
 */
static void
back_to_conversation(struct req *r, const char *conv_id, const char *msg, const char *anchor)
{
	struct buf loc = BUF_INIT;

	if (!chat_id_valid(conv_id)) {
		resp_redirect(r, "/chat");
		return;
	}
	buf_printf(&loc, "/chat/%s", conv_id);
	if (msg != NULL)
		buf_printf(&loc, "?msg=%s", msg);
	if (anchor != NULL && chat_id_valid(anchor))
		buf_printf(&loc, "#%s", anchor);
	resp_redirect(r, buf_cstr(&loc));
	buf_free(&loc);
}

/*
 * The models offered, as [{id, label, selected}], selected being
 * `selected`; a conversation's model that is no longer offered is kept in
 * the list (marked) so the form shows the truth.
 */
static struct json_object *
models_view(const struct config *cfg, const char *selected)
{
	struct json_object *all = llm_models_json(cfg), *items, *out = json_object_new_array();
	bool found = false;
	size_t i, n;

	if (!json_object_object_get_ex(all, "items", &items))
		items = NULL;
	n = items != NULL ? json_object_array_length(items) : 0;
	for (i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(items, i), *v;
		const char *id = jfield_str(m, "id");
		bool sel;

		if (id == NULL)
			continue;
		sel = selected != NULL && strcmp(id, selected) == 0;
		found = found || sel;
		v = json_object_new_object();
		jfield_set_str(v, "id", id);
		jfield_set_str(v, "label", id);
		jfield_set_bool(v, "selected", sel);
		json_object_array_add(out, v);
	}
	if (selected != NULL && *selected != '\0' && !found) {
		struct json_object *v = json_object_new_object();
		char *label = xasprintf("%s (no longer offered)", selected);

		jfield_set_str(v, "id", selected);
		jfield_set_str(v, "label", label);
		jfield_set_bool(v, "selected", true);
		json_object_array_add(out, v);
		free(label);
	}
	json_object_put(all);
	return out;
}

/* Adds labels to the conversations of a list; current marks the one on screen. */
static void
decorate_conversations(struct json_object *items, const char *current)
{
	size_t n = json_object_array_length(items);
	char when[64];

	for (size_t i = 0; i < n; i++) {
		struct json_object *c = json_object_array_get_idx(items, i);
		const char *id = jfield_str(c, "id");

		short_time(jfield_str(c, "updated_at"), when, sizeof when);
		jfield_set_str(c, "updated_label", when);
		jfield_set_bool(c, "one_message", jfield_long(c, "message_count", -1) == 1);
		jfield_set_bool(c, "current", current != NULL && id != NULL && strcmp(id, current) == 0);
		/* Present, so a list without snippets never finds the page's. */
		if (!json_object_object_get_ex(c, "snippet", NULL))
			json_object_object_add(c, "snippet", NULL);
		if (!json_object_object_get_ex(c, "message_count", NULL))
			json_object_object_add(c, "message_count", json_object_new_int(0));
	}
}

/* The receipt under an answer, from its response row; NULL while there is none. */
static struct json_object *
receipt_view(struct json_object *resp)
{
	struct json_object *rc;
	long completion, ms;
	char num[64];

	if (resp == NULL || !json_object_is_type(resp, json_type_object))
		return NULL;
	rc = json_object_new_object();
	jfield_set_str(rc, "model", jfield_str(resp, "model_used"));
	json_object_object_add(rc, "tokens_prompt",
	    json_object_new_int64(jfield_long(resp, "tokens_prompt", -1)));
	completion = jfield_long(resp, "tokens_completion", -1);
	json_object_object_add(rc, "tokens_completion", json_object_new_int64(completion));
	json_object_object_add(rc, "tokens_total",
	    json_object_new_int64(jfield_long(resp, "tokens_total", -1)));
	jfield_set_bool(rc, "estimated", jfield_bool(resp, "tokens_estimated"));
	fmt_ms(num, sizeof num, jfield_long(resp, "time_to_first_token_ms", -1));
	jfield_set_str(rc, "ttft", num);
	ms = jfield_long(resp, "completion_time_ms", -1);
	fmt_ms(num, sizeof num, ms);
	jfield_set_str(rc, "total_time", num);
	if (ms > 0 && completion >= 0)
		snprintf(num, sizeof num, "%.1f tokens/s", (double)completion * 1000.0 / (double)ms);
	else
		snprintf(num, sizeof num, "–");
	jfield_set_str(rc, "speed", num);
	return rc;
}

/* Adds what the message template needs beyond the stored fields (see chat/message.mustache). */
static void
decorate_message(struct json_object *m)
{
	const char *role = jfield_str(m, "role"), *status = jfield_str(m, "status");
	const char *html = jfield_str(m, "content_html"), *content = jfield_str(m, "content");
	struct json_object *actions, *resp = NULL;
	bool user, streaming, has_html;
	char when[64];

	if (role == NULL)
		role = "assistant";
	if (status == NULL)
		status = "complete";
	user = strcmp(role, "user") == 0;
	streaming = !user && strcmp(status, "streaming") == 0;
	has_html = !user && !streaming && html != NULL && *html != '\0';

	short_time(jfield_str(m, "created_at"), when, sizeof when);
	jfield_set_str(m, "created_label", when);
	jfield_set_bool(m, "is_user", user);
	jfield_set_bool(m, "is_assistant", !user);
	jfield_set_bool(m, "is_streaming", streaming);
	jfield_set_bool(m, "is_stopped", !user && strcmp(status, "stopped") == 0);
	jfield_set_bool(m, "is_error", !user && strcmp(status, "error") == 0);
	jfield_set_bool(m, "has_html", has_html);
	/* While it streams (and in the odd answer stored without HTML): the text as written. */
	jfield_set_bool(m, "show_plain", !user && !has_html &&
	    (streaming || (content != NULL && *content != '\0')));
	if (!json_object_object_get_ex(m, "model", NULL))
		json_object_object_add(m, "model", NULL);
	if (!json_object_object_get_ex(m, "error", NULL))
		json_object_object_add(m, "error", NULL);
	if (!json_object_object_get_ex(m, "actions", &actions) ||
	    !json_object_is_type(actions, json_type_array))
		actions = NULL;
	jfield_set_bool(m, "has_actions", actions != NULL && json_object_array_length(actions) > 0);
	if (!user)
		(void)json_object_object_get_ex(m, "response", &resp);
	json_object_object_add(m, "receipt", user ? NULL : receipt_view(resp));
}

/* ---- the list: /chat ---- */

/*
 * Renders /chat: the conversations (or the search results for ?q=) and the
 * "New chat" form; fe, model and title are the form after a failed POST.
 */
static void
render_list(struct req *r, int status, const struct form_errors *fe, const char *model,
    const char *title)
{
	struct json_object *d, *items, *form;
	const char *q = req_query(r, "q");
	char *words = NULL;
	enum db_err e;
	size_t n;

	if (q != NULL) {
		size_t len;

		while (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r')
			q++;
		words = xstrdup(q);
		len = strlen(words);
		while (len > 0 && (words[len - 1] == ' ' || words[len - 1] == '\t' ||
		    words[len - 1] == '\n' || words[len - 1] == '\r'))
			words[--len] = '\0';
		if (len == 0) {
			free(words);
			words = NULL;
		}
	}
	if (words != NULL)
		e = chat_conv_search(r->w->db, r->user->id, words, LIST_LIMIT, 0, &items);
	else
		e = chat_conv_list(r->w->db, r->user->id, LIST_LIMIT, 0, &items);
	if (e != DB_OK) {
		free(words);
		store_failed(r, e, "conversation");
		return;
	}
	decorate_conversations(items, NULL);
	n = json_object_array_length(items);

	d = json_object_new_object();
	jfield_set_bool(d, "nav_chat", true);
	jfield_set_bool(d, "searching", words != NULL);
	jfield_set_str(d, "q", words != NULL ? words : "");
	if (words != NULL) {
		char *label;

		if (n == 0)
			label = xasprintf("No conversation matches “%s”.", words);
		else
			label = xasprintf("%zu conversation%s match%s “%s”.", n,
			    n == 1 ? "" : "s", n == 1 ? "es" : "", words);
		jfield_set_str(d, "result_label", label);
		free(label);
	}
	jfield_set_bool(d, "has_conversations", n > 0);
	jfield_set_bool(d, "no_results", words != NULL && n == 0);
	jfield_set_bool(d, "first_use", words == NULL && n == 0);
	json_object_object_add(d, "conversations", items);
	json_object_object_add(d, "models",
	    models_view(r->cfg, model != NULL ? model : llm_default_model(r->cfg)));
	form = json_object_new_object();
	jfield_set_str(form, "title", title != NULL ? title : "");
	json_object_object_add(d, "form", form);
	if (fe != NULL)
		form_errors_to_page(fe, d);
	else
		add_flash(r, d);
	resp_page(r, status, words != NULL ? "Search chats" : "Chat", "chat", d);
	free(words);
}

void
h_chat_page(struct req *r)
{
	render_list(r, 200, NULL, NULL, NULL);
}

void
h_chat_create(struct req *r)
{
	struct form_errors fe = { 0 };
	struct json_object *conv;
	const char *model = req_form(r, "model");
	char *title = NULL;
	enum db_err e;

	if (model == NULL || *model == '\0')
		model = llm_default_model(r->cfg);
	else if (!llm_model_known(r->cfg, model))
		form_error(&fe, "model", "Choose one of the models offered.");
	(void)form_text(r, &fe, "title", "Title", false, 0, CHAT_TITLE_MAX, &title);
	if (fe.n > 0) {
		render_list(r, 422, &fe, req_form(r, "model"), req_form(r, "title"));
		goto done;
	}
	e = chat_conv_create(r->w->db, r->user->id, title, model, &conv);
	if (e != DB_OK) {
		store_failed(r, e, "conversation");
		goto done;
	}
	back_to_conversation(r, jfield_str(conv, "id"), NULL, NULL);
	json_object_put(conv);
done:
	free(title);
}

/* ---- one conversation: /chat/{id} ---- */

/* What a page render carries over from a failed POST; all may be NULL. */
struct conv_form {
	const struct form_errors	*fe;
	const char			*title;		/* the rename field as typed */
	const char			*content;	/* the composer as typed */
	const char			*model;		/* the composer's model as chosen */
	bool				 settings_open;
};

static void
render_conversation(struct req *r, int status, const struct conv_form *cf)
{
	const char *id = req_param(r, "id"), *before = req_query(r, "before");
	struct json_object *conv, *msgs, *convs, *d, *form, *last = NULL;
	const char *streaming_id = NULL, *def;
	bool has_more = false;
	size_t i, n;
	enum db_err e;

	if (before != NULL && *before == '\0')
		before = NULL;
	/* The sidebar usually holds the conversation itself: one query fewer. */
	if ((e = chat_conv_list(r->w->db, r->user->id, LIST_LIMIT, 0, &convs)) != DB_OK) {
		store_failed(r, e, "conversation");
		return;
	}
	conv = NULL;
	n = json_object_array_length(convs);
	for (i = 0; i < n && conv == NULL && chat_id_valid(id); i++) {
		struct json_object *c = json_object_array_get_idx(convs, i);
		const char *cid = jfield_str(c, "id");

		if (cid != NULL && strcmp(cid, id) == 0)
			conv = json_object_get(c);
	}
	if (conv == NULL && (e = chat_conv_get(r->w->db, r->user->id, id, &conv)) != DB_OK) {
		json_object_put(convs);
		store_failed(r, e, "conversation");
		return;
	}
	if ((e = chat_msg_list(r->w->db, r->user->id, id, CHAT_PAGE_DEFAULT, before, &msgs,
	    &has_more)) != DB_OK) {
		json_object_put(conv);
		json_object_put(convs);
		store_failed(r, e, "conversation");
		return;
	}
	decorate_conversations(convs, id);
	n = json_object_array_length(msgs);
	for (i = 0; i < n; i++) {
		struct json_object *m = json_object_array_get_idx(msgs, i);

		decorate_message(m);
		if (jfield_bool(m, "is_streaming"))
			streaming_id = jfield_str(m, "id");
		last = m;
	}

	d = json_object_new_object();
	jfield_set_bool(d, "nav_chat", true);
	def = jfield_str(conv, "default_model");
	json_object_object_add(d, "models", models_view(r->cfg,
	    cf != NULL && cf->model != NULL && *cf->model != '\0' ? cf->model : def));
	jfield_set_bool(d, "has_messages", n > 0);
	jfield_set_bool(d, "has_more", has_more);
	if (has_more && n > 0)
		jfield_set_str(d, "earlier_id", jfield_str(json_object_array_get_idx(msgs, 0), "id"));
	jfield_set_bool(d, "paged", before != NULL);
	jfield_set_bool(d, "streaming", streaming_id != NULL);
	jfield_set_str(d, "streaming_id", streaming_id != NULL ? streaming_id : "");
	/* Regenerating replaces the newest answer, so only when that is what is shown. */
	jfield_set_bool(d, "can_regenerate", before == NULL && streaming_id == NULL && last != NULL &&
	    jfield_bool(last, "is_assistant"));
	form = json_object_new_object();
	jfield_set_str(form, "title", cf != NULL && cf->title != NULL ? cf->title : jfield_str(conv, "title"));
	json_object_object_add(d, "form", form);
	jfield_set_str(d, "composer_content", cf != NULL && cf->content != NULL ? cf->content : "");
	jfield_set_bool(d, "settings_open", cf != NULL && cf->settings_open);
	if (cf != NULL && cf->fe != NULL)
		form_errors_to_page(cf->fe, d);
	else
		add_flash(r, d);
	json_object_object_add(d, "messages", msgs);
	json_object_object_add(d, "conversations", convs);
	json_object_object_add(d, "conversation", conv);
	/* The conversation stays alive in d for the title. */
	resp_page(r, status, jfield_str(conv, "title") != NULL ? jfield_str(conv, "title") : "Chat",
	    "conversation", d);
}

void
h_chat_conversation(struct req *r)
{
	render_conversation(r, 200, NULL);
}

/*
 * The composer's model as an override: NULL when it is empty or the
 * conversation's own default (so the message is not marked as asking for
 * another model). DB_NOTFOUND when the conversation is not the person's.
 */
static enum db_err
composer_model(struct req *r, const char *conv_id, const char *model, const char **override)
{
	struct json_object *conv;
	const char *def;
	enum db_err e;

	*override = NULL;
	if ((e = chat_conv_get(r->w->db, r->user->id, conv_id, &conv)) != DB_OK)
		return e;
	def = jfield_str(conv, "default_model");
	if (model != NULL && *model != '\0' && (def == NULL || strcmp(model, def) != 0))
		*override = model;
	json_object_put(conv);
	return DB_OK;
}

/* Runs an answer that was begun to its end, then 303 to it. Frees a. */
static void
finish_answer(struct req *r, const char *conv_id, struct answer *a)
{
	struct json_object *final = NULL;
	char mid[37];
	enum db_err e;

	/* No delta callback: this request only wants the end. */
	e = answer_run(a, NULL, NULL, &final);
	/* Known from here on: answer_begin_whole stores the rows at the end. */
	snprintf(mid, sizeof mid, "%s", answer_id(a));
	answer_free(a);
	json_object_put(final);
	if (e == DB_NOTFOUND) {
		/* Deleted while it was being written (from another tab). */
		resp_redirect(r, "/chat?msg=deleted");
		return;
	}
	if (e != DB_OK && mid[0] == '\0') {
		/* Stored whole at its end, and that failed: nothing was kept, so say so. */
		store_failed(r, e, "message");
		return;
	}
	if (e != DB_OK)
		log_warn("request %s: answer %s: its end was not stored (%s)", r->request_id, mid,
		    db_strerror(e));
	back_to_conversation(r, conv_id, NULL, mid);
}

void
h_chat_send(struct req *r)
{
	struct form_errors fe = { 0 };
	const char *id = req_param(r, "id"), *content = req_form(r, "content");
	const char *model = req_form(r, "model"), *override = NULL, *field = NULL, *why;
	struct answer *a = NULL;
	enum db_err e;

	/* Someone else's conversation is a 404 before any word about the fields. */
	if ((e = composer_model(r, id, model, &override)) != DB_OK) {
		store_failed(r, e, "conversation");
		return;
	}
	why = answer_invalid(r->cfg, content != NULL ? content : "", override, &field);
	if (why != NULL) {
		struct conv_form cf = { &fe, NULL, content, model, false };

		form_error(&fe, field != NULL ? field : "content", "%s", why);
		render_conversation(r, 422, &cf);
		return;
	}
	e = answer_begin_whole(r->w, r->user->id, id, content, override, &a);
	if (e != DB_OK) {
		store_failed(r, e, "conversation");
		return;
	}
	finish_answer(r, id, a);
}

void
h_chat_message(struct req *r)
{
	const char *id = req_param(r, "id"), *mid = req_param(r, "mid");
	const char *frag = req_query(r, "fragment");
	struct json_object *m;
	struct buf out = BUF_INIT;
	enum db_err e;

	if ((e = chat_msg_get(r->w->db, r->user->id, id, mid, &m)) != DB_OK) {
		store_failed(r, e, "message");
		return;
	}
	if (frag == NULL || strcmp(frag, "1") != 0) {
		json_object_put(m);
		back_to_conversation(r, id, NULL, mid);
		return;
	}
	decorate_message(m);
	if (tmpl_set_render(r->w->app->tmpl, "chat/message", m, &out) == -1) {
		log_error("request %s: template chat/message failed to render", r->request_id);
		resp_error(r, 500, "internal", "Something went wrong on our side.");
	} else {
		resp_header(r, "Cache-Control", "no-store");
		resp_send(r, 200, "text/html; charset=utf-8", buf_cstr(&out), out.len);
	}
	buf_free(&out);
	json_object_put(m);
}

void
h_chat_stop(struct req *r)
{
	const char *id = req_param(r, "id"), *mid = req_param(r, "mid");
	bool ended = false;
	enum db_err e;

	e = answer_stop(r->w, r->user->id, id, mid, STOP_WAIT_MS, NULL, &ended);
	if (e != DB_OK) {
		store_failed(r, e, "message");
		return;
	}
	back_to_conversation(r, id, "stopped", mid);
}

void
h_chat_rename(struct req *r)
{
	struct form_errors fe = { 0 };
	const char *id = req_param(r, "id");
	char *title = NULL;
	enum db_err e;

	(void)form_text(r, &fe, "title", "Title", true, 1, CHAT_TITLE_MAX, &title);
	if (fe.n == 0) {
		e = chat_conv_update(r->w->db, r->user->id, id, title, NULL, NULL);
		if (e == DB_INVALID)
			form_error(&fe, "title", "%s", chat_title_invalid(title) != NULL ?
			    chat_title_invalid(title) : "This title cannot be used.");
		else if (e != DB_OK) {
			store_failed(r, e, "conversation");
			goto done;
		}
	}
	if (fe.n > 0) {
		struct conv_form cf = { &fe, req_form(r, "title"), NULL, NULL, true };

		render_conversation(r, 422, &cf);
		goto done;
	}
	back_to_conversation(r, id, "renamed", NULL);
done:
	free(title);
}

void
h_chat_model(struct req *r)
{
	struct form_errors fe = { 0 };
	const char *id = req_param(r, "id"), *model = req_form(r, "model");
	struct conv_form cf = { &fe, NULL, NULL, NULL, true };
	struct json_object *conv;
	enum db_err e;

	if (model == NULL || !llm_model_known(r->cfg, model)) {
		/* Someone else's conversation is a 404 before any word about the fields. */
		if ((e = chat_conv_get(r->w->db, r->user->id, id, &conv)) != DB_OK) {
			store_failed(r, e, "conversation");
			return;
		}
		json_object_put(conv);
		form_error(&fe, "default_model", "Choose one of the models offered.");
		render_conversation(r, 422, &cf);
		return;
	}
	e = chat_conv_update(r->w->db, r->user->id, id, NULL, model, NULL);
	if (e != DB_OK) {
		store_failed(r, e, "conversation");
		return;
	}
	back_to_conversation(r, id, "model", NULL);
}

void
h_chat_delete(struct req *r)
{
	enum db_err e;

	e = chat_conv_delete(r->w->db, r->user->id, req_param(r, "id"));
	if (e != DB_OK) {
		store_failed(r, e, "conversation");
		return;
	}
	resp_redirect(r, "/chat?msg=deleted");
}

void
h_chat_regenerate(struct req *r)
{
	const char *id = req_param(r, "id"), *model = req_form(r, "model");
	struct answer *a = NULL;
	enum db_err e;

	if (model != NULL && *model != '\0' && !llm_model_known(r->cfg, model)) {
		resp_error(r, 422, "invalid", "Choose one of the models offered.");
		return;
	}
	e = answer_regenerate(r->w, r->user->id, id, model, &a);
	if (e == DB_NOTFOUND) {
		struct json_object *conv;

		/* A conversation without a question to answer again is not an unknown one. */
		if (chat_conv_get(r->w->db, r->user->id, id, &conv) == DB_OK) {
			json_object_put(conv);
			resp_error(r, 422, "invalid", "There is no message to answer again yet.");
			return;
		}
	}
	if (e != DB_OK) {
		store_failed(r, e, "conversation");
		return;
	}
	finish_answer(r, id, a);
}
