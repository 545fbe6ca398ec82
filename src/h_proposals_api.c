/* h_proposals_api.c: the proposal wizard's JSON API (/api/v1/proposals...); the pages are h_proposals_pages.c. */
#include "h_proposals_api.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "db.h"
#include "form.h"
#include "h_proposals.h"
#include "jfield.h"
#include "markdown.h"
#include "proposal_writer.h"
#include "proposals.h"
#include "req.h"
#include "response.h"
#include "xalloc.h"

/* A body that is not a JSON object has no fields: 422 (true when answered). */
static bool
not_an_object(struct req *r)
{
	if (r->json == NULL || !json_object_is_type(r->json, json_type_object)) {
		resp_error(r, 422, "invalid", "The body must be a JSON object.");
		return true;
	}
	return false;
}

void
h_api_proposals_list(struct req *r)
{
	struct json_object *items, *j;
	enum db_err e;

	if ((e = proposals_list(r->w->db, r->user->id, &items)) != DB_OK) {
		view_store_failed(r, e, "proposal", &hp_completed);
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "items", items);
	resp_json(r, 200, j);
}

void
h_api_proposals_create(struct req *r)
{
	struct form_errors fe = { 0 };
	struct proposal_change ch = PROPOSAL_CHANGE_INIT;
	struct json_object *p;
	char *title = NULL, *loc;
	bool has_model;
	enum db_err e;

	/* No body at all is fine: a new, untitled proposal. */
	if (r->json != NULL && not_an_object(r))
		return;
	hp_read_settings(r, &fe, &ch, &title, &has_model);
	if (fe.n > 0) {
		form_errors_respond(r, &fe);
		free(title);
		return;
	}
	e = proposals_create(r->w->db, r->user->id, title, ch.model, &p);
	free(title);
	if (e != DB_OK) {
		view_store_failed(r, e, "proposal", &hp_completed);
		return;
	}
	loc = xasprintf("/api/v1/proposals/%s", jfield_str(p, "id"));
	resp_header(r, "Location", loc);
	free(loc);
	resp_json(r, 201, p);
}

void
h_api_proposal_get(struct req *r)
{
	struct json_object *p = hp_load(r);

	if (p != NULL)
		resp_json(r, 200, p);
}

void
h_api_proposal_update(struct req *r)
{
	struct form_errors fe = { 0 };
	struct proposal_change ch = PROPOSAL_CHANGE_INIT;
	struct json_object *p, *after;
	char *title = NULL;
	bool has_model, wrong = false;
	const char *st;
	enum db_err e;

	if (not_an_object(r))
		return;
	if ((p = hp_load(r)) == NULL)
		return;
	hp_read_settings(r, &fe, &ch, &title, &has_model);
	if (form_has(r, "status")) {
		bool done;

		st = form_str(r, "status", &wrong);
		if (!proposal_status_parse(st, &done))
			form_error(&fe, "status", "Status must be \"active\" or \"completed\".");
		else
			ch.status = st;
	}
	if (fe.n > 0) {
		form_errors_respond(r, &fe);
		goto done;
	}
	e = proposals_update(r->w->db, r->user->id, jfield_str(p, "id"), &ch, &after);
	if (e == DB_CONFLICT) {
		resp_error(r, 409, "completed", "This proposal is completed. Reopen it "
		    "(\"status\": \"active\") before you change its title or model.");
		goto done;
	}
	if (e != DB_OK) {
		view_store_failed(r, e, "proposal", &hp_completed);
		goto done;
	}
	resp_json(r, 200, after);
done:
	free(title);
	json_object_put(p);
}

void
h_api_proposal_delete(struct req *r)
{
	enum db_err e;

	if ((e = proposals_delete(r->w->db, r->user->id, req_param(r, "id"))) != DB_OK) {
		view_store_failed(r, e, "proposal", &hp_completed);
		return;
	}
	resp_no_content(r);
}

void
h_api_proposal_answer(struct req *r)
{
	struct form_errors fe = { 0 };
	struct json_object *p, *after;
	const char *field;
	char *answer = NULL, err[512];
	bool wrong = false, created = false, changed = false;
	int f = -1;
	enum db_err e;

	if (not_an_object(r))
		return;
	if ((p = hp_load(r)) == NULL)
		return;
	if (hp_is_completed(p)) {
		resp_error(r, 409, "completed", "This proposal is completed. Reopen it "
		    "(PATCH {\"status\": \"active\"}) before you change its answers.");
		goto done;
	}
	field = form_str(r, "field", &wrong);
	if (wrong)
		form_error(&fe, "field", "Field must be a string.");
	else if (field == NULL)
		form_error(&fe, "field", "Field is required: one of client_name, project_title, "
		    "project_goals, timeline, deliverables, technologies.");
	else if ((f = proposal_field_parse(field)) < 0)
		form_error(&fe, "field", "There is no field called \u201c%.60s\u201d: use one of "
		    "client_name, project_title, project_goals, timeline, deliverables, "
		    "technologies.", field);
	(void)hp_read_text(r, &fe, "answer", "Answer", PROPOSAL_ANSWER_MAX, &answer);
	if (fe.n > 0) {
		form_errors_respond(r, &fe);
		goto done;
	}
	e = proposals_answer(r->w->db, r->user->id, jfield_str(p, "id"), (enum proposal_field)f, answer,
	    &created, &changed, &after);
	if (e != DB_OK) {
		view_store_failed(r, e, "proposal", &hp_completed);
		goto done;
	}
	if (created && hp_all_answered(after)) {
		unsigned missing = ALL_SECTIONS & ~hp_sections_written(r, after);
		int failed = hp_write_sections(r, after, missing, err, sizeof err);

		/* The proposal again, with its updated_at after the sections. */
		json_object_put(after);
		if ((e = proposals_get(r->w->db, r->user->id, jfield_str(p, "id"), &after)) != DB_OK) {
			view_store_failed(r, e, "proposal", &hp_completed);
			goto done;
		}
		if (failed == -1)
			json_object_object_add(after, "write_error", json_object_new_string(err));
	}
	resp_json(r, created ? 201 : 200, after);
done:
	free(answer);
	json_object_put(p);
}

void
h_api_proposal_sections(struct req *r)
{
	struct json_object *items, *j;
	enum db_err e;

	if ((e = proposals_sections_list(r->w->db, r->user->id, req_param(r, "id"), &items)) != DB_OK) {
		view_store_failed(r, e, "proposal", &hp_completed);
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "items", items);
	resp_json(r, 200, j);
}

void
h_api_proposal_section_get(struct req *r)
{
	struct json_object *p, *sec;
	enum db_err e;
	int s;

	if ((p = hp_load(r)) == NULL)
		return;
	json_object_put(p);
	if ((s = hp_section_param(r)) < 0)
		return;
	e = proposals_section_get(r->w->db, r->user->id, req_param(r, "id"),
	    (enum proposal_section)s, &sec);
	if (e == DB_NOTFOUND) {
		resp_error(r, 404, "not_found", "This section has not been written yet: it is "
		    "written when all six questions are answered.");
		return;
	}
	if (e != DB_OK) {
		view_store_failed(r, e, "proposal", &hp_completed);
		return;
	}
	resp_json(r, 200, sec);
}

void
h_api_proposal_section_put(struct req *r)
{
	struct form_errors fe = { 0 };
	struct json_object *p, *sec;
	char *content = NULL;
	bool created = false, wrong = false;
	const char *raw;
	enum db_err e;
	int s;

	if (not_an_object(r))
		return;
	if ((p = hp_load(r)) == NULL)
		return;
	if ((s = hp_section_param(r)) < 0)
		goto done;
	if (hp_is_completed(p)) {
		resp_error(r, 409, "completed", "This proposal is completed. Reopen it "
		    "(PATCH {\"status\": \"active\"}) before you change its sections.");
		goto done;
	}
	/* Markdown keeps its white space: only the check for an empty text trims. */
	raw = form_str(r, "content", &wrong);
	if (wrong)
		form_error(&fe, "content", "Content must be a string.");
	else if (hp_read_text(r, &fe, "content", "Content", PROPOSAL_SECTION_MAX, &content) == 0)
		free(content);
	if (fe.n > 0) {
		form_errors_respond(r, &fe);
		goto done;
	}
	e = proposals_section_put(r->w->db, r->user->id, jfield_str(p, "id"), (enum proposal_section)s,
	    raw, NULL, &created, &sec);
	if (e != DB_OK) {
		view_store_failed(r, e, "proposal", &hp_completed);
		goto done;
	}
	resp_json(r, created ? 201 : 200, sec);
done:
	json_object_put(p);
}

void
h_api_proposal_section_regenerate(struct req *r)
{
	struct json_object *p, *sec;
	struct pw_result res;
	int s;

	if ((p = hp_load(r)) == NULL)
		return;
	if ((s = hp_section_param(r)) < 0)
		goto done;
	if (hp_is_completed(p)) {
		resp_error(r, 409, "completed", "This proposal is completed. Reopen it "
		    "(PATCH {\"status\": \"active\"}) before you regenerate its sections.");
		goto done;
	}
	if (!hp_all_answered(p)) {
		resp_error(r, 409, "incomplete",
		    "Answer all six questions first: the sections are written from them.");
		goto done;
	}
	if (proposal_write_section(r->w, r->user->id, p, (enum proposal_section)s, &sec,
	    &res) != PW_OK) {
		if (res.status == PW_STORE_FAILED)
			view_store_failed(r, res.db, "proposal", &hp_completed);
		else
			resp_error(r, 502, "model_failed", "The %s section could not be written: %s "
			    "The previous text is kept.",
			    proposal_section((enum proposal_section)s)->title, res.error);
		goto done;
	}
	resp_json(r, 200, sec);
done:
	json_object_put(p);
}

void
h_api_proposal_preview(struct req *r)
{
	struct json_object *p, *j;
	const char *content;
	bool wrong = false;
	char *html;

	if (not_an_object(r))
		return;
	if ((p = hp_load(r)) == NULL)
		return;
	json_object_put(p);
	content = form_str(r, "content", &wrong);
	if (wrong || content == NULL) {
		resp_error(r, 422, "invalid", "Content is required, as a string.");
		return;
	}
	if (utf8_chars(content) > PROPOSAL_SECTION_MAX) {
		resp_error(r, 422, "invalid", "Content must be at most %d characters.",
		    PROPOSAL_SECTION_MAX);
		return;
	}
	html = markdown_html(content);
	j = json_object_new_object();
	json_object_object_add(j, "html", json_object_new_string(html));
	free(html);
	resp_json(r, 200, j);
}
