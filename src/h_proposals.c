/* h_proposals.c: what the proposal pages and API share; data work is in proposals.c, writing in proposal_writer.c. */
#include "h_proposals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "form.h"
#include "jfield.h"
#include "llm.h"
#include "proposal_writer.h"
#include "proposals.h"
#include "req.h"
#include "response.h"

bool
hp_is_completed(struct json_object *p)
{
	const char *s = jfield_str(p, "status");

	return s != NULL && strcmp(s, "completed") == 0;
}

bool
hp_all_answered(struct json_object *p)
{
	struct json_object *v;

	return json_object_object_get_ex(p, "next_question", &v) && v == NULL;
}

const struct view_conflict hp_completed = {
	"completed", "This proposal is completed. Reopen it before you change it.",
};

struct json_object *
hp_load(struct req *r)
{
	struct json_object *p;
	enum db_err e;

	if ((e = proposals_get(r->w->db, r->user->id, req_param(r, "id"), &p)) != DB_OK) {
		view_store_failed(r, e, "proposal", &hp_completed);
		return NULL;
	}
	return p;
}

int
hp_section_param(struct req *r)
{
	int s = proposal_section_parse(req_param(r, "name"));

	if (s < 0)
		resp_error(r, 422, "invalid",
		    "There is no section called \u201c%.60s\u201d. The sections are executive_summary, "
		    "objectives, scope_and_deliverables, timeline, technology and next_steps.",
		    req_param(r, "name") != NULL ? req_param(r, "name") : "");
	return s;
}

unsigned
hp_written_mask(struct json_object *sections)
{
	unsigned m = 0;
	size_t n = json_object_array_length(sections);

	for (size_t i = 0; i < n; i++) {
		int s = proposal_section_parse(jfield_str(json_object_array_get_idx(sections, i),
		    "section_name"));
		if (s >= 0)
			m |= 1u << s;
	}
	return m;
}

int
hp_read_text(const struct req *r, struct form_errors *fe, const char *name, const char *label,
    size_t max, char **out)
{
	size_t n = 0;

	if (form_text(r, fe, name, label, true, 1, 2 * max, out) == -1)
		return -1;
	for (const char *p = *out; *p; p++)
		if (((unsigned char)*p & 0xC0) != 0x80 && *p != '\r')
			n++;
	if (n > max) {
		form_error(fe, name, "%s must be at most %zu characters (it has %zu).", label, max, n);
		free(*out);
		*out = NULL;
		return -1;
	}
	return 0;
}

int
hp_write_sections(struct req *r, struct json_object *p, unsigned which, char *err, size_t errlen)
{
	struct pw_result res;
	size_t n;

	if (which == 0)
		return 0;
	if (proposal_write_sections(r->w, r->user->id, p, which, &n, &res) == PW_OK)
		return 0;
	if (res.status == PW_STORE_FAILED)
		snprintf(err, errlen, "%s", res.db == DB_CONFLICT ?
		    "This proposal is completed. Reopen it before you change it." :
		    "The sections could not be saved. Please try again in a moment.");
	else
		snprintf(err, errlen, "%s The previous text is kept; try again in a moment.",
		    res.error);
	return -1;
}

unsigned
hp_sections_written(struct req *r, struct json_object *p)
{
	struct json_object *sections;
	unsigned m = 0;

	if (proposals_sections_list(r->w->db, r->user->id, jfield_str(p, "id"), &sections) == DB_OK) {
		m = hp_written_mask(sections);
		json_object_put(sections);
	}
	return m;
}

void
hp_read_settings(struct req *r, struct form_errors *fe, struct proposal_change *ch,
    char **title, bool *has_model)
{
	bool wrong = false;
	const char *model;

	*title = NULL;
	*has_model = false;
	if (form_has(r, "title")) {
		if (form_str(r, "title", &wrong) == NULL && !wrong)
			form_error(fe, "title", "Title must be a string.");
		else
			(void)form_text(r, fe, "title", "Title", true, 1, PROPOSAL_TITLE_MAX, title);
	}
	ch->title = *title;
	if (form_has(r, "model")) {
		model = form_str(r, "model", &wrong);
		if (wrong)
			form_error(fe, "model", "Model must be a string or null.");
		else if (model != NULL && model[0] != '\0' && !llm_model_known(r->cfg, model))
			form_error(fe, "model", "The model \u201c%.100s\u201d is not available here. "
			    "See /api/v1/models for the models you can use.", model);
		else {
			ch->set_model = true;
			ch->model = model != NULL && model[0] != '\0' ? model : NULL;
			*has_model = true;
		}
	}
}
