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
#include "db_json.h"
#include "form.h"
#include "jfield.h"
#include "llm.h"
#include "log.h"
#include "prefetch.h"
#include "req.h"
#include "response.h"
#include "template.h"
#include "view.h"
#include "xalloc.h"

/* Conversations shown in a list (the sidebar, /chat, search results). */
#define LIST_LIMIT	100
/* How long a Stop without JavaScript waits for the writer to store the end. */
#define STOP_WAIT_MS	3000

/* Confirmations after a POST/redirect/GET, chosen by ?msg= from a fixed list. */
static const struct view_flash flashes[] = {
	{ "deleted",	"success", "Conversation deleted." },
	{ "renamed",	"success", "Conversation renamed." },
	{ "model",	"success", "Default model changed." },
	{ "stopped",	"success", "The answer was stopped." },
	{ NULL, NULL, NULL },
};

/* ---- shared ---- */

/* A store's conflict here is always an answer still being written. */
static const struct view_conflict writing = {
	"conflict",
	"An answer is still being written in this conversation. Wait for it or stop it first.",
};

/*
 * 303 to /chat/{conv}, with ?msg=KEY and #ANCHOR when given. Both come
 * from this file's fixed words or the store's UUIDs, checked again here.
 */
static void
back_to_conversation(struct req *r, const char *conv_id, const char *msg, const char *anchor)
{
	char path[64];

	if (!chat_id_valid(conv_id)) {
		resp_redirect(r, "/chat");
		return;
	}
	snprintf(path, sizeof path, "/chat/%s", conv_id);
	view_redirect(r, path, msg, anchor != NULL && chat_id_valid(anchor) ? anchor : NULL);
}

/*
 * A conversation as chat/conversations.mustache reads it (the names listed
 * there), answered straight from its row.
 */
struct conv_view {
	const struct chat_conv	*c;
	bool			 current;
	char			 updated_at[DB_TIMESTAMP_LEN], updated_label[DB_TIMESTAMP_LEN + 8];
};

struct conv_views {
	struct conv_view	*v;
	size_t			 n;
};

/* A timestamp's text as the JSON shows it (ISO 8601, UTC); "" for NULL. */
static void
iso_time(const char *pg, char out[DB_TIMESTAMP_LEN])
{
	if (pg == NULL)
		out[0] = '\0';
	else if (db_timestamp_iso(pg, out) != 0)
		snprintf(out, DB_TIMESTAMP_LEN, "%s", pg);
}

static bool
conv_view_member(const void *self, const char *name, struct tmpl_val *out)
{
	const struct conv_view *cv = self;
	const struct chat_conv *c = cv->c;

	/* Every name of the row is answered, null or not, so none falls through to the page's. */
	if (strcmp(name, "id") == 0)
		*out = tmpl_text(c->id);
	else if (strcmp(name, "title") == 0)
		*out = tmpl_text(c->title);
	else if (strcmp(name, "default_model") == 0)
		*out = tmpl_text(c->default_model);
	else if (strcmp(name, "updated_at") == 0)
		*out = tmpl_text(c->updated_at != NULL ? cv->updated_at : NULL);
	else if (strcmp(name, "updated_label") == 0)
		*out = tmpl_text(cv->updated_label);
	else if (strcmp(name, "message_count") == 0)
		*out = tmpl_int(c->message_count >= 0 ? c->message_count : 0);
	else if (strcmp(name, "one_message") == 0)
		*out = tmpl_bool(c->message_count == 1);
	else if (strcmp(name, "current") == 0)
		*out = tmpl_bool(cv->current);
	else if (strcmp(name, "snippet") == 0)
		*out = tmpl_text(c->snippet);
	else if (strcmp(name, "created_at") == 0 || strcmp(name, "last_message_at") == 0)
		*out = (struct tmpl_val){ .kind = TMPL_NONE };	/* not shown by any page */
	else
		return false;
	return true;
}

static const struct tmpl_src conv_view_src = { .member = conv_view_member };

static size_t
conv_views_count(const void *self)
{
	return ((const struct conv_views *)self)->n;
}

static void
conv_views_item(const void *self, size_t i, struct tmpl_val *out)
{
	*out = tmpl_object(&conv_view_src, &((const struct conv_views *)self)->v[i]);
}

static const struct tmpl_src conv_views_src = { .count = conv_views_count, .item = conv_views_item };

static void
conv_view_init(struct conv_view *cv, const struct chat_conv *c, const char *current)
{
	cv->c = c;
	cv->current = current != NULL && c->id != NULL && strcmp(c->id, current) == 0;
	iso_time(c->updated_at, cv->updated_at);
	view_short_time(c->updated_at != NULL ? cv->updated_at : NULL, cv->updated_label,
	    sizeof cv->updated_label);
}

/* The views of convs (which must outlive them); current: the id shown as the current one. */
static void
conv_views_init(struct conv_views *vs, const struct chat_convs *convs, const char *current)
{
	vs->n = convs->n;
	vs->v = xcalloc(convs->n > 0 ? convs->n : 1, sizeof *vs->v);
	for (size_t i = 0; i < convs->n; i++)
		conv_view_init(&vs->v[i], &convs->v[i], current);
}

/*
 * A message as chat/message.mustache reads it (the names listed there),
 * answered straight from its row: a page of 50 answers renders without a
 * json-c object per message and receipt. Free with msg_views_free.
 */
struct msg_view {
	const struct chat_msg	*m;
	bool			 user, streaming, stopped, error, has_html, show_plain;
	char			 created_at[DB_TIMESTAMP_LEN], created_label[DB_TIMESTAMP_LEN + 8];
	char			 ttft[32], total_time[32], speed[48];
	struct json_object	*actions;	/* the row's actions when it has any */
};

struct msg_views {
	struct msg_view		*v;
	size_t			 n;
};

static const struct tmpl_src msg_view_src, receipt_src;

/* The figures a receipt shows, and what the template asks of a message. */
static void
msg_view_init(struct msg_view *mv, const struct chat_msg *m)
{
	const char *role = m->role != NULL ? m->role : "assistant";
	const char *status = m->status != NULL ? m->status : "complete";
	long ms = m->r_completion_time_ms;

	memset(mv, 0, sizeof *mv);
	mv->m = m;
	mv->user = strcmp(role, "user") == 0;
	mv->streaming = !mv->user && strcmp(status, "streaming") == 0;
	mv->stopped = !mv->user && strcmp(status, "stopped") == 0;
	mv->error = !mv->user && strcmp(status, "error") == 0;
	mv->has_html = !mv->user && !mv->streaming && m->content_html != NULL &&
	    *m->content_html != '\0';
	/* While it streams (and in the odd answer stored without HTML): the text as written. */
	mv->show_plain = !mv->user && !mv->has_html &&
	    (mv->streaming || (m->content != NULL && *m->content != '\0'));
	iso_time(m->created_at, mv->created_at);
	view_short_time(m->created_at != NULL ? mv->created_at : NULL, mv->created_label,
	    sizeof mv->created_label);
	if (m->actions != NULL && strcmp(m->actions, "[]") != 0) {
		mv->actions = json_tokener_parse(m->actions);
		if (!json_object_is_type(mv->actions, json_type_array)) {
			json_object_put(mv->actions);
			mv->actions = NULL;
		}
	}
	view_duration_ms(mv->ttft, sizeof mv->ttft, m->r_time_to_first_token_ms);
	view_duration_ms(mv->total_time, sizeof mv->total_time, ms);
	if (ms > 0 && m->r_tokens_completion >= 0)
		snprintf(mv->speed, sizeof mv->speed, "%.1f tokens/s",
		    (double)m->r_tokens_completion * 1000.0 / (double)ms);
	else
		snprintf(mv->speed, sizeof mv->speed, "–");
}

static bool
msg_view_member(const void *self, const char *name, struct tmpl_val *out)
{
	const struct msg_view *mv = self;
	const struct chat_msg *m = mv->m;

	/* Every name of the template is answered, null or not, so none falls through to the page's. */
	if (strncmp(name, "is_", 3) == 0) {
		const char *is = name + 3;

		if (strcmp(is, "user") == 0)
			*out = tmpl_bool(mv->user);
		else if (strcmp(is, "assistant") == 0)
			*out = tmpl_bool(!mv->user);
		else if (strcmp(is, "streaming") == 0)
			*out = tmpl_bool(mv->streaming);
		else if (strcmp(is, "stopped") == 0)
			*out = tmpl_bool(mv->stopped);
		else if (strcmp(is, "error") == 0)
			*out = tmpl_bool(mv->error);
		else
			return false;
	} else if (strcmp(name, "id") == 0)
		*out = tmpl_text(m->id);
	else if (strcmp(name, "content") == 0)
		*out = tmpl_text(m->content);
	else if (strcmp(name, "content_html") == 0)
		*out = tmpl_text(m->content_html);
	else if (strcmp(name, "has_html") == 0)
		*out = tmpl_bool(mv->has_html);
	else if (strcmp(name, "show_plain") == 0)
		*out = tmpl_bool(mv->show_plain);
	else if (strcmp(name, "model") == 0)
		*out = tmpl_text(m->model);
	else if (strcmp(name, "status") == 0)
		*out = tmpl_text(m->status);
	else if (strcmp(name, "role") == 0)
		*out = tmpl_text(m->role);
	else if (strcmp(name, "created_at") == 0)
		*out = tmpl_text(m->created_at != NULL ? mv->created_at : NULL);
	else if (strcmp(name, "created_label") == 0)
		*out = tmpl_text(mv->created_label);
	else if (strcmp(name, "conversation_id") == 0)
		*out = tmpl_text(m->conversation_id);
	else if (strcmp(name, "error") == 0)
		*out = tmpl_text(m->error);
	else if (strcmp(name, "has_actions") == 0)
		*out = tmpl_bool(mv->actions != NULL && json_object_array_length(mv->actions) > 0);
	else if (strcmp(name, "actions") == 0)
		*out = (struct tmpl_val){ .kind = TMPL_JSON, .u.json = mv->actions };
	else if (strcmp(name, "receipt") == 0)
		*out = !mv->user && m->has_response ? tmpl_object(&receipt_src, mv) :
		    (struct tmpl_val){ .kind = TMPL_NONE };
	else
		return false;
	return true;
}

/* The receipt under an answer: {model, tokens_*, estimated, ttft, total_time, speed}. */
static bool
receipt_member(const void *self, const char *name, struct tmpl_val *out)
{
	const struct msg_view *mv = self;
	const struct chat_msg *m = mv->m;

	if (strcmp(name, "model") == 0)
		*out = tmpl_text(m->r_model_used);
	else if (strcmp(name, "tokens_prompt") == 0)
		*out = tmpl_int(m->r_tokens_prompt);
	else if (strcmp(name, "tokens_completion") == 0)
		*out = tmpl_int(m->r_tokens_completion);
	else if (strcmp(name, "tokens_total") == 0)
		*out = tmpl_int(m->r_tokens_total);
	else if (strcmp(name, "estimated") == 0)
		*out = tmpl_bool(m->r_tokens_estimated);
	else if (strcmp(name, "ttft") == 0)
		*out = tmpl_text(mv->ttft);
	else if (strcmp(name, "total_time") == 0)
		*out = tmpl_text(mv->total_time);
	else if (strcmp(name, "speed") == 0)
		*out = tmpl_text(mv->speed);
	else
		return false;
	return true;
}

static size_t
msg_views_count(const void *self)
{
	return ((const struct msg_views *)self)->n;
}

static void
msg_views_item(const void *self, size_t i, struct tmpl_val *out)
{
	*out = tmpl_object(&msg_view_src, &((const struct msg_views *)self)->v[i]);
}

static const struct tmpl_src msg_view_src = { .member = msg_view_member };
static const struct tmpl_src receipt_src = { .member = receipt_member };
static const struct tmpl_src msg_views_src = { .count = msg_views_count, .item = msg_views_item };

/* The views of msgs (which must outlive them). */
static void
msg_views_init(struct msg_views *vs, const struct chat_msgs *msgs)
{
	vs->n = msgs->n;
	vs->v = xcalloc(msgs->n > 0 ? msgs->n : 1, sizeof *vs->v);
	for (size_t i = 0; i < msgs->n; i++)
		msg_view_init(&vs->v[i], &msgs->v[i]);
}

static void
msg_views_free(struct msg_views *vs)
{
	for (size_t i = 0; i < vs->n; i++)
		json_object_put(vs->v[i].actions);
	free(vs->v);
	vs->v = NULL;
	vs->n = 0;
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
	struct json_object *d, *form;
	struct chat_convs convs;
	struct conv_views views;
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
		e = chat_conv_search_rows(r->w->db, r->user->id, words, LIST_LIMIT, 0, &convs);
	else
		e = chat_conv_rows(r->w->db, r->user->id, LIST_LIMIT, 0, &convs);
	if (e != DB_OK) {
		free(words);
		view_store_failed(r, e, "conversation", &writing);
		return;
	}
	conv_views_init(&views, &convs, NULL);
	n = views.n;

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
	json_object_object_add(d, "models",
	    view_models(r->cfg, model != NULL ? model : llm_default_model(r->cfg), NULL,
	    " (no longer offered)"));
	form = json_object_new_object();
	jfield_set_str(form, "title", title != NULL ? title : "");
	json_object_object_add(d, "form", form);
	if (fe != NULL)
		form_errors_to_page(fe, d);
	else
		view_flash_query(r, d, flashes);
	{
		const struct tmpl_member over[] = {
			{ "conversations", tmpl_list(&conv_views_src, &views) },
			{ NULL, { .kind = TMPL_NONE } },
		};
		const struct tmpl_val extra = tmpl_object(&tmpl_members_src, over);

		resp_page_with(r, status, words != NULL ? "Search chats" : "Chat", "chat", d,
		    &extra);
	}
	free(views.v);
	chat_convs_free(&convs);
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
		view_store_failed(r, e, "conversation", &writing);
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
	const char *id = req_param(r, "id"), *before = req_query_set(r, "before");
	struct json_object *d, *form;
	struct chat_convs convs, one = { 0 };
	struct conv_views sidebar;
	struct conv_view conv;
	struct chat_msgs msgs;
	struct msg_views views;
	const struct chat_conv *c = NULL;
	const struct msg_view *last = NULL;
	const char *streaming_id = NULL;
	size_t i;
	enum db_err e;

	if ((e = chat_conv_page(r->w->db, r->user->id, id, LIST_LIMIT, CHAT_PAGE_DEFAULT, before,
	    &convs, &msgs)) != DB_OK) {
		view_store_failed(r, e, "conversation", &writing);
		return;
	}
	/* The sidebar usually holds the conversation itself: one query fewer. */
	for (i = 0; i < convs.n && c == NULL; i++)
		if (convs.v[i].id != NULL && strcmp(convs.v[i].id, id) == 0)
			c = &convs.v[i];
	if (c == NULL) {
		if ((e = chat_conv_one(r->w->db, r->user->id, id, &one)) != DB_OK) {
			chat_msgs_free(&msgs);
			chat_convs_free(&convs);
			view_store_failed(r, e, "conversation", &writing);
			return;
		}
		c = &one.v[0];
	}
	conv_views_init(&sidebar, &convs, id);
	conv_view_init(&conv, c, id);
	msg_views_init(&views, &msgs);
	for (i = 0; i < views.n; i++) {
		if (views.v[i].streaming)
			streaming_id = views.v[i].m->id;
		last = &views.v[i];
	}

	d = json_object_new_object();
	jfield_set_bool(d, "nav_chat", true);
	json_object_object_add(d, "models", view_models(r->cfg,
	    cf != NULL && cf->model != NULL && *cf->model != '\0' ? cf->model : c->default_model,
	    NULL, " (no longer offered)"));
	jfield_set_bool(d, "has_messages", views.n > 0);
	jfield_set_bool(d, "has_more", msgs.has_more);
	if (msgs.has_more && views.n > 0)
		jfield_set_str(d, "earlier_id", msgs.v[0].id);
	jfield_set_bool(d, "paged", before != NULL);
	jfield_set_bool(d, "streaming", streaming_id != NULL);
	jfield_set_str(d, "streaming_id", streaming_id != NULL ? streaming_id : "");
	/* Regenerating replaces the newest answer, so only when that is what is shown. */
	jfield_set_bool(d, "can_regenerate", before == NULL && streaming_id == NULL && last != NULL &&
	    !last->user);
	form = json_object_new_object();
	jfield_set_str(form, "title", cf != NULL && cf->title != NULL ? cf->title : c->title);
	json_object_object_add(d, "form", form);
	jfield_set_str(d, "composer_content", cf != NULL && cf->content != NULL ? cf->content : "");
	jfield_set_bool(d, "settings_open", cf != NULL && cf->settings_open);
	if (cf != NULL && cf->fe != NULL)
		form_errors_to_page(cf->fe, d);
	else
		view_flash_query(r, d, flashes);
	{
		/* The rows' values, above the page's own. */
		const struct tmpl_member over[] = {
			{ "messages", tmpl_list(&msg_views_src, &views) },
			{ "conversations", tmpl_list(&conv_views_src, &sidebar) },
			{ "conversation", tmpl_object(&conv_view_src, &conv) },
			{ NULL, { .kind = TMPL_NONE } },
		};
		const struct tmpl_val extra = tmpl_object(&tmpl_members_src, over);

		resp_page_with(r, status, c->title != NULL ? c->title : "Chat", "chat/conversation", d,
		    &extra);
	}
	msg_views_free(&views);
	chat_msgs_free(&msgs);
	free(sidebar.v);
	chat_convs_free(&one);
	chat_convs_free(&convs);
}

void
prefetch_chat_conversation(const struct req *r, const char *user_id, struct prefetch *pf)
{
	pf->n = chat_conv_page_reads(user_id, req_param(r, "id"), LIST_LIMIT, CHAT_PAGE_DEFAULT,
	    req_query_set(r, "before"), pf->calls, pf->args);
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
		view_store_failed(r, e, "message", &writing);
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
		view_store_failed(r, e, "conversation", &writing);
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
		view_store_failed(r, e, "conversation", &writing);
		return;
	}
	finish_answer(r, id, a);
}

void
h_chat_message(struct req *r)
{
	const char *id = req_param(r, "id"), *mid = req_param(r, "mid");
	const char *frag = req_query(r, "fragment");
	struct chat_msgs msgs;
	struct msg_view mv;
	struct tmpl_val top;
	struct buf out = BUF_INIT;
	enum db_err e;

	if ((e = chat_msg_one(r->w->db, r->user->id, id, mid, &msgs)) != DB_OK) {
		view_store_failed(r, e, "message", &writing);
		return;
	}
	if (frag == NULL || strcmp(frag, "1") != 0) {
		chat_msgs_free(&msgs);
		back_to_conversation(r, id, NULL, mid);
		return;
	}
	msg_view_init(&mv, &msgs.v[0]);
	top = tmpl_object(&msg_view_src, &mv);
	if (tmpl_set_render_frames(r->w->app->tmpl, "chat/message", &top, 1, &out) == -1) {
		log_error("request %s: template chat/message failed to render", r->request_id);
		resp_error(r, 500, "internal", "Something went wrong on our side.");
	} else {
		resp_header(r, "Cache-Control", "no-store");
		resp_send(r, 200, "text/html; charset=utf-8", buf_cstr(&out), out.len);
	}
	buf_free(&out);
	json_object_put(mv.actions);
	chat_msgs_free(&msgs);
}

void
h_chat_stop(struct req *r)
{
	const char *id = req_param(r, "id"), *mid = req_param(r, "mid");
	bool ended = false;
	enum db_err e;

	e = answer_stop(r->w, r->user->id, id, mid, STOP_WAIT_MS, NULL, &ended);
	if (e != DB_OK) {
		view_store_failed(r, e, "message", &writing);
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
			view_store_failed(r, e, "conversation", &writing);
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
			view_store_failed(r, e, "conversation", &writing);
			return;
		}
		json_object_put(conv);
		form_error(&fe, "default_model", "Choose one of the models offered.");
		render_conversation(r, 422, &cf);
		return;
	}
	e = chat_conv_update(r->w->db, r->user->id, id, NULL, model, NULL);
	if (e != DB_OK) {
		view_store_failed(r, e, "conversation", &writing);
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
		view_store_failed(r, e, "conversation", &writing);
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
		view_store_failed(r, e, "conversation", &writing);
		return;
	}
	finish_answer(r, id, a);
}
