/* h_proposals_pages.c: the proposal wizard's pages (/proposals...); the JSON API is h_proposals_api.c. */
#include "h_proposals_pages.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "form.h"
#include "h_proposals.h"
#include "jfield.h"
#include "llm.h"
#include "markdown.h"
#include "proposal_writer.h"
#include "proposals.h"
#include "req.h"
#include "response.h"
#include "text.h"
#include "view.h"
#include "xalloc.h"

/* Confirmations after a POST/redirect/GET, chosen by ?msg= from a fixed list. */
static const struct view_flash flashes[] = {
	{ "saved", "success", "Your answers are saved. Come back any time to finish the proposal." },
	{ "written", "success", "All six answers are in: your proposal is written. "
	  "Read it through, and edit or regenerate any section." },
	{ "write_failed", "error", "Your answer is saved, but not every section could be written: "
	  "the model did not answer. Try again with \u201cWrite the missing sections\u201d." },
	{ "answer_saved", "success", "Answer saved." },
	{ "section_saved", "success", "Section saved." },
	{ "section_regenerated", "success", "Section regenerated from your answers." },
	{ "regenerated", "success", "Sections regenerated from your answers." },
	{ "nothing", "success", "Every section is up to date: nothing to regenerate." },
	{ "completed", "success", "Proposal marked completed." },
	{ "reopened", "success", "Proposal reopened: you can change it again." },
	{ "settings", "success", "Proposal settings saved." },
	{ "deleted", "success", "Proposal deleted." },
	{ "is_completed", "error", "This proposal is completed. Reopen it to change its answers." },
	{ NULL, NULL, NULL },
};

static bool
has_answer(struct json_object *p, enum proposal_field f)
{
	return !blank(jfield_str(p, proposal_question(f)->field));
}

static unsigned
outdated_mask(struct json_object *p)
{
	struct json_object *a;
	unsigned m = 0;

	if (!json_object_object_get_ex(p, "outdated_sections", &a) ||
	    !json_object_is_type(a, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(a); i++) {
		int s = proposal_section_parse(json_object_get_string(json_object_array_get_idx(a, i)));
		if (s >= 0)
			m |= 1u << s;
	}
	return m;
}

static void
add_label(struct json_object *o, const char *from, const char *to)
{
	char when[64];

	view_short_time(jfield_str(o, from), when, sizeof when);
	json_object_object_add(o, to, json_object_new_string(when));
}

/* Adds what templates need beyond the stored fields (a copy for pages; the API gets the plain object). */
static void
decorate(struct json_object *p)
{
	bool done = hp_is_completed(p);
	int pct = (int)jfield_long(p, "progress", 0);

	add_label(p, "updated_at", "updated_label");
	add_label(p, "created_at", "created_label");
	json_object_object_add(p, "completed", json_object_new_boolean(done));
	json_object_object_add(p, "status_label",
	    json_object_new_string(done ? "Completed" : "Active"));
	json_object_object_add(p, "status_badge",
	    json_object_new_string(done ? "success" : "accent"));
	json_object_object_add(p, "answered_all", json_object_new_boolean(pct >= 100));
	if (pct < 0 || pct > 100)
		json_object_object_add(p, "progress", json_object_new_int(pct < 0 ? 0 : 100));
}

/* 303 to a path under /proposals/{id} (suffix may be ""), with ?msg= and an anchor. */
static void
redirect_to(struct req *r, const char *id, const char *suffix, const char *msg,
    const char *anchor)
{
	char *path;

	/* Only ids that came back from the store, so always a plain UUID. */
	if (id != NULL && proposal_id_valid(id))
		path = xasprintf("/proposals/%s%s", id, suffix);
	else
		path = xstrdup("/proposals");
	view_redirect(r, path, msg, anchor);
	free(path);
}

/* The common page data: the decorated proposal, navigation, settings. Takes p. */
static struct json_object *
page_data(struct req *r, struct json_object *p)
{
	struct json_object *d = json_object_new_object();
	char *def;

	decorate(p);
	json_object_object_add(d, "nav_proposals", json_object_new_boolean(1));
	def = xasprintf("Default (%s)", llm_default_model(r->cfg));
	json_object_object_add(d, "models",
	    view_models(r->cfg, jfield_str(p, "model"), def, " (not available)"));
	free(def);
	json_object_object_add(d, "proposal_id", json_object_new_string(jfield_str(p, "id")));
	json_object_object_add(d, "proposal", p);
	return d;
}

/* ---- the list ---- */

void
h_proposals_page(struct req *r)
{
	struct json_object *items, *d;
	enum db_err e;
	size_t n;

	if ((e = proposals_list(r->w->db, r->user->id, &items)) != DB_OK) {
		view_store_failed(r, e, "proposal", &hp_completed);
		return;
	}
	n = json_object_array_length(items);
	for (size_t i = 0; i < n; i++)
		decorate(json_object_array_get_idx(items, i));
	d = json_object_new_object();
	json_object_object_add(d, "nav_proposals", json_object_new_boolean(1));
	json_object_object_add(d, "items", items);
	json_object_object_add(d, "has_items", json_object_new_boolean(n > 0));
	view_flash_query(r, d, flashes);
	resp_page(r, 200, "Proposals", "proposals", d);
}

void
h_proposals_create(struct req *r)
{
	struct json_object *p;
	enum db_err e;

	if ((e = proposals_create(r->w->db, r->user->id, NULL, NULL, &p)) != DB_OK) {
		view_store_failed(r, e, "proposal", &hp_completed);
		return;
	}
	redirect_to(r, jfield_str(p, "id"), "", NULL, NULL);
	json_object_put(p);
}

/* ---- the wizard ---- */

/* The step (1..6) a request asks for with ?step= or the form's step; 0 when none or out of range. */
static int
step_param(const struct req *r)
{
	const char *s = req_form(r, "step");
	char *end;
	long v;

	if (s == NULL)
		s = req_query(r, "step");
	if (s == NULL || *s == '\0')
		return 0;
	v = strtol(s, &end, 10);
	if (*end != '\0' || v < 1 || v > PF__MAX)
		return 0;
	return (int)v;
}

/* The first unanswered step (1-based), or 0 when all are answered. */
static int
first_open_step(struct json_object *p)
{
	for (int f = 0; f < PF__MAX; f++)
		if (!has_answer(p, (enum proposal_field)f))
			return f + 1;
	return 0;
}

/* The history for people: newest first, with readable times. */
static struct json_object *
history_view(struct json_object *p)
{
	struct json_object *h, *out = json_object_new_array();

	if (!json_object_object_get_ex(p, "history", &h) || !json_object_is_type(h, json_type_array))
		return out;
	for (size_t i = json_object_array_length(h); i-- > 0;) {
		struct json_object *e = json_object_array_get_idx(h, i), *o;
		char when[64];
		const char *at = jfield_str(e, "answered_at");

		if (!json_object_is_type(e, json_type_object))
			continue;
		o = json_object_new_object();
		json_object_object_add(o, "question",
		    json_object_new_string(jfield_str(e, "question") ? jfield_str(e, "question") : ""));
		json_object_object_add(o, "answer",
		    json_object_new_string(jfield_str(e, "answer") ? jfield_str(e, "answer") : ""));
		view_short_time(at, when, sizeof when);
		json_object_object_add(o, "answered_at", json_object_new_string(at ? at : ""));
		json_object_object_add(o, "when", json_object_new_string(when));
		json_object_array_add(out, o);
	}
	return out;
}

/*
 * Renders step n of the wizard. draft is the text to show in the box (the
 * stored answer when NULL); fe the problem with it. Takes p.
 */
static void
render_wizard(struct req *r, int status, struct json_object *p, int n, const char *draft,
    const struct form_errors *fe, unsigned written)
{
	const struct proposal_question *q = proposal_question((enum proposal_field)(n - 1));
	struct json_object *d, *steps, *step, *lines, *affects, *hist;
	const char *id = jfield_str(p, "id");
	bool complete = hp_all_answered(p);
	int open = first_open_step(p);
	char buf[64];
	const char *ex;
	size_t nh;

	d = page_data(r, json_object_get(p));
	steps = json_object_new_array();
	for (int i = 1; i <= PF__MAX; i++) {
		const struct proposal_question *qi = proposal_question((enum proposal_field)(i - 1));
		struct json_object *s = json_object_new_object();
		bool answered = has_answer(p, (enum proposal_field)(i - 1));

		json_object_object_add(s, "n", json_object_new_int(i));
		json_object_object_add(s, "label", json_object_new_string(qi->label));
		json_object_object_add(s, "done", json_object_new_boolean(answered));
		json_object_object_add(s, "current", json_object_new_boolean(i == n));
		/* Answered steps and the next open one can be opened; later ones wait. */
		if (i != n && (answered || i == open)) {
			snprintf(buf, sizeof buf, "/proposals/%s?step=%d", id, i);
			json_object_object_add(s, "href", json_object_new_string(buf));
		}
		json_object_array_add(steps, s);
	}
	json_object_object_add(d, "steps", steps);

	step = json_object_new_object();
	json_object_object_add(step, "n", json_object_new_int(n));
	json_object_object_add(step, "total", json_object_new_int(PF__MAX));
	json_object_object_add(step, "field", json_object_new_string(q->field));
	json_object_object_add(step, "label", json_object_new_string(q->label));
	json_object_object_add(step, "question", json_object_new_string(q->question));
	json_object_object_add(step, "hint", json_object_new_string(q->hint));
	json_object_object_add(step, "multiline", json_object_new_boolean(q->multiline));
	lines = json_object_new_array();
	ex = q->example;
	while (*ex != '\0') {
		size_t k = strcspn(ex, "\n");
		struct json_object *l = json_object_new_object();

		json_object_object_add(l, "text", json_object_new_string_len(ex, (int)k));
		json_object_object_add(l, "br", json_object_new_boolean(ex != q->example));
		json_object_array_add(lines, l);
		ex += k;
		if (*ex == '\n')
			ex++;
	}
	json_object_object_add(step, "example_lines", lines);
	if (draft == NULL)
		draft = jfield_str(p, q->field);
	json_object_object_add(step, "value", json_object_new_string(draft != NULL ? draft : ""));
	if (fe != NULL && fe->n > 0)
		json_object_object_add(step, "error", json_object_new_string(fe->e[0].msg));
	json_object_object_add(d, "step", step);

	json_object_object_add(d, "has_back", json_object_new_boolean(n > 1));
	json_object_object_add(d, "back_step", json_object_new_int(n - 1));
	/* The last open question finishes the wizard. */
	if (!complete && open == n && n == PF__MAX)
		json_object_object_add(d, "next_label",
		    json_object_new_string("Finish and write the proposal"));
	else if (complete && n == PF__MAX)
		json_object_object_add(d, "next_label", json_object_new_string("Save and view the proposal"));
	else
		json_object_object_add(d, "next_label", json_object_new_string("Next"));
	json_object_object_add(d, "save_label", json_object_new_string(complete ?
	    "Save and view the proposal" : "Save and finish later"));
	json_object_object_add(d, "reviewing", json_object_new_boolean(complete));

	/* Changing an answer of a written proposal: say which sections it touches. */
	affects = json_object_new_array();
	for (int s = 0; s < PS__MAX; s++) {
		if ((written & (1u << s)) &&
		    (proposal_section_deps((enum proposal_section)s) & (1u << (n - 1)))) {
			struct json_object *a = json_object_new_object();
			json_object_object_add(a, "title",
			    json_object_new_string(proposal_section((enum proposal_section)s)->title));
			json_object_array_add(affects, a);
		}
	}
	json_object_object_add(d, "has_affects",
	    json_object_new_boolean(json_object_array_length(affects) > 0));
	json_object_object_add(d, "affects", affects);

	hist = history_view(p);
	nh = json_object_array_length(hist);
	json_object_object_add(d, "history", hist);
	json_object_object_add(d, "has_history", json_object_new_boolean(nh > 0));
	json_object_object_add(d, "history_count", json_object_new_int((int)nh));

	json_object_object_add(d, "wizard", json_object_new_boolean(1));
	if (fe != NULL)
		form_errors_to_page(fe, d);
	else
		view_flash_query(r, d, flashes);
	snprintf(buf, sizeof buf, "Step %d of %d", n, PF__MAX);
	{
		char *title = xasprintf("%s \u00b7 %s", buf, jfield_str(p, "title") ? jfield_str(p, "title") : "");
		resp_page(r, status, title, "proposals/proposal", d);
		free(title);
	}
	json_object_put(p);
}

/* ---- the document ---- */

/* How the document page shows one section beyond its stored state. */
struct doc_opts {
	int			 open;		/* the section whose editor is open, or -1 */
	const char		*draft;		/* its text as typed (not saved) */
	bool			 preview;	/* show the draft rendered */
	const struct form_errors *fe;		/* the problem with the draft */
	const char		*flash_kind;	/* a message instead of ?msg= */
	const char		*flash_text;
};

/* Renders the whole proposal as a document. Takes p. */
static void
render_document(struct req *r, int status, struct json_object *p, const struct doc_opts *o)
{
	struct json_object *d, *sections, *secs, *by_name[PS__MAX] = { NULL };
	struct json_object *outdated_list, *missing_list;
	const char *id = jfield_str(p, "id");
	bool done = hp_is_completed(p);
	unsigned outdated = outdated_mask(p), written;
	enum db_err e;

	if ((e = proposals_sections_list(r->w->db, r->user->id, id, &sections)) != DB_OK) {
		json_object_put(p);
		view_store_failed(r, e, "proposal", &hp_completed);
		return;
	}
	written = hp_written_mask(sections);
	for (size_t i = 0; i < json_object_array_length(sections); i++) {
		struct json_object *s = json_object_array_get_idx(sections, i);
		int k = proposal_section_parse(jfield_str(s, "section_name"));
		if (k >= 0)
			by_name[k] = s;
	}

	d = page_data(r, json_object_get(p));
	secs = json_object_new_array();
	outdated_list = json_object_new_array();
	missing_list = json_object_new_array();
	for (int k = 0; k < PS__MAX; k++) {
		const struct proposal_section_info *info = proposal_section((enum proposal_section)k);
		struct json_object *v = json_object_new_object(), *s = by_name[k];
		const char *content = jfield_str(s, "content");
		bool is_open = o != NULL && o->open == k;
		char *html;

		json_object_object_add(v, "name", json_object_new_string(info->name));
		json_object_object_add(v, "title", json_object_new_string(info->title));
		json_object_object_add(v, "proposal_id", json_object_new_string(id));
		json_object_object_add(v, "written", json_object_new_boolean(s != NULL));
		json_object_object_add(v, "editable", json_object_new_boolean(!done));
		if (s != NULL) {
			const char *model = jfield_str(s, "model_used");

			html = markdown_html(content);
			json_object_object_add(v, "html", json_object_new_string(html));
			free(html);
			json_object_object_add(v, "last_updated",
			    json_object_new_string(jfield_str(s, "last_updated")));
			add_label(v, "last_updated", "updated_label");
			if (model != NULL)
				json_object_object_add(v, "model_used", json_object_new_string(model));
		} else {
			struct json_object *m = json_object_new_object();
			json_object_object_add(m, "title", json_object_new_string(info->title));
			json_object_array_add(missing_list, m);
		}
		if (outdated & (1u << k)) {
			struct json_object *m = json_object_new_object();
			json_object_object_add(v, "outdated", json_object_new_boolean(1));
			json_object_object_add(m, "title", json_object_new_string(info->title));
			json_object_array_add(outdated_list, m);
		}
		json_object_object_add(v, "content", json_object_new_string(
		    is_open && o->draft != NULL ? o->draft : content != NULL ? content : ""));
		if (is_open) {
			json_object_object_add(v, "open", json_object_new_boolean(1));
			if (o->preview && o->draft != NULL) {
				html = markdown_html(o->draft);
				json_object_object_add(v, "preview_html", json_object_new_string(html));
				free(html);
			}
			if (o->fe != NULL && o->fe->n > 0)
				json_object_object_add(v, "error",
				    json_object_new_string(o->fe->e[0].msg));
		}
		json_object_array_add(secs, v);
	}
	json_object_object_add(d, "sections", secs);
	json_object_object_add(d, "has_outdated",
	    json_object_new_boolean(!done && json_object_array_length(outdated_list) > 0));
	json_object_object_add(d, "outdated_list", outdated_list);
	json_object_object_add(d, "has_missing",
	    json_object_new_boolean(!done && written != ALL_SECTIONS));
	json_object_object_add(d, "missing_list", missing_list);
	json_object_object_add(d, "document", json_object_new_boolean(1));
	json_object_put(sections);

	if (o != NULL && o->flash_text != NULL)
		view_flash(d, o->flash_kind, o->flash_text);
	else
		view_flash_query(r, d, flashes);
	resp_page(r, status, jfield_str(p, "title") ? jfield_str(p, "title") : "Proposal", "proposals/proposal", d);
	json_object_put(p);
}

void
h_proposal_page(struct req *r)
{
	struct json_object *p = hp_load(r);
	int n;

	if (p == NULL)
		return;
	n = step_param(r);
	if (n > 0 && hp_is_completed(p)) {
		struct doc_opts o = { .open = -1, .flash_kind = "error",
		    .flash_text = "This proposal is completed. Reopen it to change its answers." };
		render_document(r, 200, p, &o);
		return;
	}
	/* A completed proposal is a document, even one finished before all six answers. */
	if (n == 0 && (hp_all_answered(p) || hp_is_completed(p))) {
		render_document(r, 200, p, NULL);
		return;
	}
	if (n == 0)
		n = first_open_step(p);
	render_wizard(r, 200, p, n, NULL, NULL, hp_sections_written(r, p));
}

void
h_proposal_answer(struct req *r)
{
	struct form_errors fe = { 0 };
	struct json_object *p, *after = NULL;
	const char *action = req_form(r, "action");
	char *answer = NULL, err[512], loc[64];
	int n, f;
	bool created = false, changed = false, finished;
	enum db_err e;

	if ((p = hp_load(r)) == NULL)
		return;
	if (hp_is_completed(p)) {
		json_object_put(p);
		resp_error(r, 409, "completed",
		    "This proposal is completed. Reopen it before you change its answers.");
		return;
	}
	f = proposal_field_parse(req_form(r, "field"));
	if (f < 0) {
		json_object_put(p);
		resp_error(r, 422, "invalid", "There is no such question in the wizard.");
		return;
	}
	n = f + 1;
	if (action == NULL)
		action = "next";

	/* Back and Save may leave an empty step empty; Next needs an answer. */
	if (!blank(req_form(r, "answer")))
		(void)hp_read_text(r, &fe, "answer", "Your answer", PROPOSAL_ANSWER_MAX, &answer);
	else if (strcmp(action, "next") == 0)
		form_error(&fe, "answer", "Please answer the question before you go on.");
	if (fe.n > 0) {
		render_wizard(r, 422, p, n, req_form(r, "answer"), &fe, hp_sections_written(r, p));
		free(answer);
		return;
	}
	if (answer != NULL && answer[0] != '\0') {
		e = proposals_answer(r->w->db, r->user->id, jfield_str(p, "id"), (enum proposal_field)f,
		    answer, &created, &changed, &after);
		if (e != DB_OK) {
			json_object_put(p);
			free(answer);
			view_store_failed(r, e, "proposal", &hp_completed);
			return;
		}
		json_object_put(p);
		p = after;
	}
	free(answer);

	/* The answer that completes the six writes the proposal. */
	finished = created && hp_all_answered(p);
	if (finished) {
		unsigned missing = ALL_SECTIONS & ~hp_sections_written(r, p);

		if (hp_write_sections(r, p, missing, err, sizeof err) == -1)
			redirect_to(r, jfield_str(p, "id"), "", "write_failed", NULL);
		else
			redirect_to(r, jfield_str(p, "id"), "", "written", NULL);
		json_object_put(p);
		return;
	}
	if (strcmp(action, "save") == 0) {
		if (hp_all_answered(p))
			redirect_to(r, jfield_str(p, "id"), "", changed ? "answer_saved" : NULL, NULL);
		else
			redirect_to(r, NULL, "", "saved", NULL);
	} else if (strcmp(action, "back") == 0) {
		snprintf(loc, sizeof loc, "?step=%d", n > 1 ? n - 1 : 1);
		redirect_to(r, jfield_str(p, "id"), loc, NULL, NULL);
	} else if (n < PF__MAX) {
		snprintf(loc, sizeof loc, "?step=%d", n + 1);
		redirect_to(r, jfield_str(p, "id"), loc, NULL, NULL);
	} else if (hp_all_answered(p))
		redirect_to(r, jfield_str(p, "id"), "", changed ? "answer_saved" : NULL, NULL);
	else {
		snprintf(loc, sizeof loc, "?step=%d", first_open_step(p));
		redirect_to(r, jfield_str(p, "id"), loc, NULL, NULL);
	}
	json_object_put(p);
}

void
h_proposal_settings(struct req *r)
{
	struct form_errors fe = { 0 };
	struct proposal_change ch = PROPOSAL_CHANGE_INIT;
	struct json_object *p, *after;
	char *title = NULL;
	bool has_model;
	enum db_err e;

	if ((p = hp_load(r)) == NULL)
		return;
	hp_read_settings(r, &fe, &ch, &title, &has_model);
	if (fe.n > 0) {
		struct doc_opts o = { .open = -1, .flash_kind = "error", .flash_text = fe.e[0].msg };
		if (hp_all_answered(p))
			render_document(r, 422, p, &o);
		else {
			json_object_put(p);
			resp_error(r, 422, "invalid", "%s", fe.e[0].msg);
		}
		free(title);
		return;
	}
	e = proposals_update(r->w->db, r->user->id, jfield_str(p, "id"), &ch, &after);
	free(title);
	if (e != DB_OK) {
		json_object_put(p);
		view_store_failed(r, e, "proposal", &hp_completed);
		return;
	}
	redirect_to(r, jfield_str(after, "id"), "", "settings", NULL);
	json_object_put(after);
	json_object_put(p);
}

void
h_proposal_status(struct req *r)
{
	struct proposal_change ch = PROPOSAL_CHANGE_INIT;
	struct json_object *p;
	const char *st = req_form(r, "status");
	bool done;
	enum db_err e;

	if (!proposal_status_parse(st, &done)) {
		/* Someone else's proposal is a 404 before any word about the form. */
		if ((p = hp_load(r)) != NULL) {
			json_object_put(p);
			resp_error(r, 422, "invalid", "The status must be active or completed.");
		}
		return;
	}
	ch.status = st;
	e = proposals_update(r->w->db, r->user->id, req_param(r, "id"), &ch, &p);
	if (e != DB_OK) {
		view_store_failed(r, e, "proposal", &hp_completed);
		return;
	}
	redirect_to(r, jfield_str(p, "id"), "", done ? "completed" : "reopened", NULL);
	json_object_put(p);
}

void
h_proposal_regenerate(struct req *r)
{
	struct json_object *p;
	const char *which = req_form(r, "which");
	unsigned mask;
	char err[512];

	if ((p = hp_load(r)) == NULL)
		return;
	if (hp_is_completed(p)) {
		json_object_put(p);
		view_store_failed(r, DB_CONFLICT, "proposal", &hp_completed);
		return;
	}
	if (!hp_all_answered(p)) {
		json_object_put(p);
		resp_error(r, 409, "incomplete",
		    "Answer all six questions first: the sections are written from them.");
		return;
	}
	if (which == NULL || strcmp(which, "missing") == 0)
		mask = ALL_SECTIONS & ~hp_sections_written(r, p);
	else if (strcmp(which, "outdated") == 0)
		mask = outdated_mask(p);
	else if (strcmp(which, "all") == 0)
		mask = ALL_SECTIONS;
	else {
		json_object_put(p);
		resp_error(r, 422, "invalid", "Choose which sections to write: missing, outdated or all.");
		return;
	}
	if (mask == 0) {
		redirect_to(r, jfield_str(p, "id"), "", "nothing", NULL);
		json_object_put(p);
		return;
	}
	if (hp_write_sections(r, p, mask, err, sizeof err) == -1) {
		struct json_object *fresh = hp_load(r);
		struct doc_opts o = { .open = -1, .flash_kind = "error", .flash_text = err };

		json_object_put(p);
		if (fresh != NULL)
			render_document(r, 502, fresh, &o);
		return;
	}
	redirect_to(r, jfield_str(p, "id"), "", "regenerated", NULL);
	json_object_put(p);
}

void
h_proposal_section_save(struct req *r)
{
	struct form_errors fe = { 0 };
	struct json_object *p;
	const char *action = req_form(r, "action");
	char *content = NULL, anchor[64];
	int s;
	enum db_err e;

	if ((p = hp_load(r)) == NULL)
		return;
	if ((s = hp_section_param(r)) < 0) {
		json_object_put(p);
		return;
	}
	if (hp_is_completed(p)) {
		json_object_put(p);
		view_store_failed(r, DB_CONFLICT, "proposal", &hp_completed);
		return;
	}
	snprintf(anchor, sizeof anchor, "section-%s", proposal_section((enum proposal_section)s)->name);
	(void)hp_read_text(r, &fe, "content", "The section's text", PROPOSAL_SECTION_MAX, &content);
	if (action != NULL && strcmp(action, "preview") == 0) {
		struct doc_opts o = { .open = s, .draft = req_form(r, "content"), .preview = true };

		render_document(r, 200, p, &o);
		free(content);
		return;
	}
	if (fe.n > 0) {
		struct doc_opts o = { .open = s, .draft = req_form(r, "content"), .fe = &fe };

		render_document(r, 422, p, &o);
		free(content);
		return;
	}
	e = proposals_section_put(r->w->db, r->user->id, jfield_str(p, "id"), (enum proposal_section)s,
	    content, NULL, NULL, NULL);
	free(content);
	if (e != DB_OK) {
		json_object_put(p);
		view_store_failed(r, e, "proposal", &hp_completed);
		return;
	}
	redirect_to(r, jfield_str(p, "id"), "", "section_saved", anchor);
	json_object_put(p);
}

void
h_proposal_section_regenerate(struct req *r)
{
	struct json_object *p;
	struct pw_result res;
	char anchor[64];
	int s;

	if ((p = hp_load(r)) == NULL)
		return;
	if ((s = hp_section_param(r)) < 0) {
		json_object_put(p);
		return;
	}
	if (hp_is_completed(p)) {
		json_object_put(p);
		view_store_failed(r, DB_CONFLICT, "proposal", &hp_completed);
		return;
	}
	if (!hp_all_answered(p)) {
		json_object_put(p);
		resp_error(r, 409, "incomplete",
		    "Answer all six questions first: the sections are written from them.");
		return;
	}
	snprintf(anchor, sizeof anchor, "section-%s", proposal_section((enum proposal_section)s)->name);
	if (proposal_write_section(r->w, r->user->id, p, (enum proposal_section)s, NULL,
	    &res) != PW_OK) {
		if (res.status == PW_STORE_FAILED) {
			json_object_put(p);
			view_store_failed(r, res.db, "proposal", &hp_completed);
		} else {
			char msg[600];
			struct doc_opts o = { .open = -1, .flash_kind = "error", .flash_text = msg };

			snprintf(msg, sizeof msg, "The %s section could not be regenerated: %s "
			    "The previous text is kept; try again in a moment.",
			    proposal_section((enum proposal_section)s)->title, res.error);
			render_document(r, 502, p, &o);
		}
		return;
	}
	redirect_to(r, jfield_str(p, "id"), "", "section_regenerated", anchor);
	json_object_put(p);
}

void
h_proposal_delete_page(struct req *r)
{
	struct json_object *p, *d;

	if ((p = hp_load(r)) == NULL)
		return;
	d = page_data(r, p);
	json_object_object_add(d, "confirm_delete", json_object_new_boolean(1));
	resp_page(r, 200, "Delete proposal", "proposals/proposal", d);
}

void
h_proposal_delete(struct req *r)
{
	enum db_err e;

	if ((e = proposals_delete(r->w->db, r->user->id, req_param(r, "id"))) != DB_OK) {
		view_store_failed(r, e, "proposal", &hp_completed);
		return;
	}
	redirect_to(r, NULL, "", "deleted", NULL);
}

/* A file name from the project: "Website Redesign!" -> "website-redesign" (ASCII, at most 60). */
static void
file_slug(const char *s, char *out, size_t outlen)
{
	size_t n = 0;
	bool dash = false;

	for (; s != NULL && *s != '\0' && n + 1 < outlen && n < 60; s++) {
		unsigned char c = (unsigned char)*s;

		if (isalnum(c) && c < 0x80) {
			if (dash && n > 0)
				out[n++] = '-';
			dash = false;
			if (n + 1 < outlen)
				out[n++] = (char)tolower(c);
		} else
			dash = true;
	}
	while (n > 0 && out[n - 1] == '-')
		n--;
	out[n] = '\0';
}

void
h_proposal_export(struct req *r)
{
	struct json_object *p, *sections;
	char slug[72], disp[128], *md;
	enum db_err e;

	if ((p = hp_load(r)) == NULL)
		return;
	if ((e = proposals_sections_list(r->w->db, r->user->id, jfield_str(p, "id"), &sections)) != DB_OK) {
		json_object_put(p);
		view_store_failed(r, e, "proposal", &hp_completed);
		return;
	}
	md = proposal_markdown_document(p, sections);
	file_slug(jfield_str(p, "project_title"), slug, sizeof slug);
	if (slug[0] == '\0')
		file_slug(jfield_str(p, "title"), slug, sizeof slug);
	if (slug[0] == '\0')
		snprintf(slug, sizeof slug, "proposal");
	snprintf(disp, sizeof disp, "attachment; filename=\"%s.md\"", slug);
	resp_header(r, "Content-Disposition", disp);
	resp_header(r, "Cache-Control", "no-store");
	resp_send(r, 200, "text/markdown; charset=utf-8", md, strlen(md));
	free(md);
	json_object_put(sections);
	json_object_put(p);
}
