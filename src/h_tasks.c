/* h_tasks.c: the todo list's pages and JSON API; all the data work is in tasks.c. */
#include "h_tasks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "db.h"
#include "form.h"
#include "jfield.h"
#include "req.h"
#include "response.h"
#include "tasks.h"
#include "view.h"
#include "xalloc.h"

/* Confirmations after a POST/redirect/GET, chosen by ?msg= from a fixed list. */
static const struct view_flash flashes[] = {
	{ "added",	"success", "Task added." },
	{ "saved",	"success", "Task saved." },
	{ "done",	"success", "Task marked as done." },
	{ "reopened",	"success", "Task marked as not done." },
	{ "deleted",	"success", "Task deleted." },
	{ NULL, NULL, NULL },
};

/* Indexed by enum task_filter. */
static const struct {
	const char	*label;
	const char	*empty_title;
	const char	*empty_text;
} filter_view[TASK__MAX] = {
	{ "All", "No tasks here", "Add one with the form above." },
	{ "Pending", "Nothing left to do",
	  "Every task on your list is done. Enjoy the moment, or add the next one above." },
	{ "Completed", "Nothing completed yet",
	  "Tasks you tick off show up here." },
};

/* ---- shared ---- */

/* The filter a page request asks for: the form's hidden field, else the query; "all" otherwise. */
static enum task_filter
page_filter(const struct req *r)
{
	enum task_filter f = TASK_ALL;
	const char *s = req_form(r, "filter");

	if (s == NULL)
		s = req_query(r, "filter");
	(void)task_filter_parse(s, &f);
	return f;
}

/* 303 back to the list, keeping the filter; msg picks a confirmation, anchor a task. */
static void
back_to_list(struct req *r, enum task_filter f, const char *msg, const char *anchor)
{
	char path[64], to[64];
	const char *at = NULL;

	snprintf(path, sizeof path, "/tasks%s%s", f != TASK_ALL ? "?filter=" : "",
	    f != TASK_ALL ? task_filter_name(f) : "");
	/* Only ids that came back from the store, so always a plain UUID. */
	if (anchor != NULL && task_id_valid(anchor)) {
		snprintf(to, sizeof to, "task-%s", anchor);
		at = to;
	}
	view_redirect(r, path, msg, at);
}

/* Adds what the templates need beyond the stored fields: readable times. */
static void
decorate(struct json_object *task)
{
	char when[64];

	view_short_time(jfield_str(task, "created_at"), when, sizeof when);
	json_object_object_add(task, "created_label", json_object_new_string(when));
	view_short_time(jfield_str(task, "updated_at"), when, sizeof when);
	json_object_object_add(task, "updated_label", json_object_new_string(when));
}

/* ---- the list page ---- */

/*
 * Renders /tasks with filter f. fe and the form values are for the add form
 * after a failed POST (NULL otherwise); status is 200 or 422.
 */
static void
render_list(struct req *r, int status, enum task_filter f, const struct form_errors *fe,
    const char *title, const char *description)
{
	struct task_counts c;
	struct json_object *items, *d, *counts, *filters, *form;
	long n[TASK__MAX];
	size_t i, len;
	enum db_err e;
	char key[32];

	if ((e = tasks_count(r->w->db, r->user->id, &c)) != DB_OK ||
	    (e = tasks_list(r->w->db, r->user->id, f, &items)) != DB_OK) {
		view_store_failed(r, e, "task", NULL);
		return;
	}
	len = json_object_array_length(items);
	for (i = 0; i < len; i++)
		decorate(json_object_array_get_idx(items, i));
	n[TASK_ALL] = c.all;
	n[TASK_PENDING] = c.pending;
	n[TASK_COMPLETED] = c.completed;

	d = json_object_new_object();
	json_object_object_add(d, "nav_tasks", json_object_new_boolean(1));
	json_object_object_add(d, "filter", json_object_new_string(task_filter_name(f)));
	snprintf(key, sizeof key, "filter_%s", task_filter_name(f));
	json_object_object_add(d, key, json_object_new_boolean(1));

	counts = json_object_new_object();
	filters = json_object_new_array();
	for (i = 0; i < TASK__MAX; i++) {
		struct json_object *fl = json_object_new_object();
		const char *name = task_filter_name((enum task_filter)i);

		json_object_object_add(counts, name, json_object_new_int64(n[i]));
		json_object_object_add(fl, "name", json_object_new_string(name));
		json_object_object_add(fl, "label", json_object_new_string(filter_view[i].label));
		json_object_object_add(fl, "count", json_object_new_int64(n[i]));
		json_object_object_add(fl, "href", json_object_new_string(i == TASK_ALL ?
		    "/tasks" : i == TASK_PENDING ? "/tasks?filter=pending" :
		    "/tasks?filter=completed"));
		if (i == (size_t)f)
			json_object_object_add(fl, "current", json_object_new_boolean(1));
		json_object_array_add(filters, fl);
	}
	json_object_object_add(d, "counts", counts);
	json_object_object_add(d, "filters", filters);

	json_object_object_add(d, "items", items);
	json_object_object_add(d, "has_items", json_object_new_boolean(len > 0));
	json_object_object_add(d, "empty_first", json_object_new_boolean(c.all == 0));
	json_object_object_add(d, "empty_filter", json_object_new_boolean(c.all > 0 && len == 0));
	json_object_object_add(d, "empty_title", json_object_new_string(filter_view[f].empty_title));
	json_object_object_add(d, "empty_text", json_object_new_string(filter_view[f].empty_text));

	form = json_object_new_object();
	if (title != NULL)
		json_object_object_add(form, "title", json_object_new_string(title));
	if (description != NULL)
		json_object_object_add(form, "description", json_object_new_string(description));
	json_object_object_add(d, "form", form);
	if (fe != NULL)
		form_errors_to_page(fe, d);
	else
		view_flash_query(r, d, flashes);
	resp_page(r, status, "Tasks", "tasks", d);
}

void
h_tasks_page(struct req *r)
{
	render_list(r, 200, page_filter(r), NULL, NULL, NULL);
}

void
h_tasks_create(struct req *r)
{
	struct form_errors fe = { 0 };
	enum task_filter f = page_filter(r);
	struct json_object *task;
	char *title = NULL, *description = NULL;
	enum db_err e;

	(void)form_text(r, &fe, "title", "Title", true, 1, TASK_TITLE_MAX, &title);
	(void)form_text(r, &fe, "description", "Description", false, 0, TASK_DESC_MAX,
	    &description);
	if (fe.n > 0) {
		/* The values as typed, so nothing the person wrote is lost. */
		render_list(r, 422, f, &fe, req_form(r, "title"), req_form(r, "description"));
		goto done;
	}
	e = tasks_add(r->w->db, r->user->id, title, description, &task);
	if (e != DB_OK) {
		view_store_failed(r, e, "task", NULL);
		goto done;
	}
	back_to_list(r, f, "added", jfield_str(task, "id"));
	json_object_put(task);
done:
	free(title);
	free(description);
}

/* ---- edit ---- */

static void
render_edit(struct req *r, int status, enum task_filter f, struct json_object *task,
    const struct form_errors *fe, const char *title, const char *description)
{
	struct json_object *d = json_object_new_object(), *form = json_object_new_object();

	decorate(task);
	json_object_object_add(d, "nav_tasks", json_object_new_boolean(1));
	json_object_object_add(d, "filter", json_object_new_string(task_filter_name(f)));
	json_object_object_add(d, "task", task);
	json_object_object_add(form, "title", json_object_new_string(title != NULL ? title : ""));
	json_object_object_add(form, "description",
	    json_object_new_string(description != NULL ? description : ""));
	json_object_object_add(d, "form", form);
	if (fe != NULL)
		form_errors_to_page(fe, d);
	resp_page(r, status, "Edit task", "tasks/edit", d);
}

void
h_tasks_edit_page(struct req *r)
{
	struct json_object *task;
	enum db_err e;

	e = tasks_get(r->w->db, r->user->id, req_param(r, "id"), &task);
	if (e != DB_OK) {
		view_store_failed(r, e, "task", NULL);
		return;
	}
	render_edit(r, 200, page_filter(r), task, NULL, jfield_str(task, "title"),
	    jfield_str(task, "description"));
}

void
h_tasks_edit(struct req *r)
{
	struct form_errors fe = { 0 };
	struct task_change ch = TASK_CHANGE_INIT;
	enum task_filter f = page_filter(r);
	const char *id = req_param(r, "id");
	struct json_object *task;
	char *title = NULL, *description = NULL;
	enum db_err e;

	(void)form_text(r, &fe, "title", "Title", true, 1, TASK_TITLE_MAX, &title);
	(void)form_text(r, &fe, "description", "Description", false, 0, TASK_DESC_MAX,
	    &description);
	if (fe.n > 0) {
		/* Someone else's task gets its 404 before any word about the fields. */
		if ((e = tasks_get(r->w->db, r->user->id, id, &task)) != DB_OK)
			view_store_failed(r, e, "task", NULL);
		else
			render_edit(r, 422, f, task, &fe, req_form(r, "title"),
			    req_form(r, "description"));
		goto done;
	}
	ch.title = title;
	/* The form always carries the description; an empty one clears it. */
	ch.set_description = true;
	ch.description = description;
	e = tasks_update(r->w->db, r->user->id, id, &ch, &task);
	if (e != DB_OK) {
		view_store_failed(r, e, "task", NULL);
		goto done;
	}
	back_to_list(r, f, "saved", jfield_str(task, "id"));
	json_object_put(task);
done:
	free(title);
	free(description);
}

/* ---- toggle ---- */

void
h_tasks_toggle(struct req *r)
{
	struct form_errors fe = { 0 };
	enum task_filter f = page_filter(r);
	const char *id = req_param(r, "id");
	struct json_object *task;
	bool present = false, completed = false;
	enum db_err e;

	/*
	 * The form says which state it wants, so a double submit does not
	 * flip the task back; without the field the task simply flips.
	 */
	if (form_bool(r, &fe, "completed", "Done", &present, &completed) == -1) {
		resp_error(r, 422, "invalid", "%s", fe.e[0].msg);
		return;
	}
	if (!present) {
		if ((e = tasks_get(r->w->db, r->user->id, id, &task)) != DB_OK) {
			view_store_failed(r, e, "task", NULL);
			return;
		}
		completed = !jfield_bool(task, "completed");
		json_object_put(task);
	}
	e = tasks_set_completed(r->w->db, r->user->id, id, completed, &task);
	if (e != DB_OK) {
		view_store_failed(r, e, "task", NULL);
		return;
	}
	back_to_list(r, f, completed ? "done" : "reopened", jfield_str(task, "id"));
	json_object_put(task);
}

/* ---- delete ---- */

void
h_tasks_delete_page(struct req *r)
{
	struct json_object *task, *d;
	enum db_err e;

	e = tasks_get(r->w->db, r->user->id, req_param(r, "id"), &task);
	if (e != DB_OK) {
		view_store_failed(r, e, "task", NULL);
		return;
	}
	decorate(task);
	d = json_object_new_object();
	json_object_object_add(d, "nav_tasks", json_object_new_boolean(1));
	json_object_object_add(d, "filter", json_object_new_string(task_filter_name(page_filter(r))));
	json_object_object_add(d, "task", task);
	resp_page(r, 200, "Delete task", "tasks/delete", d);
}

void
h_tasks_delete(struct req *r)
{
	enum db_err e;

	e = tasks_delete(r->w->db, r->user->id, req_param(r, "id"), NULL);
	if (e != DB_OK) {
		view_store_failed(r, e, "task", NULL);
		return;
	}
	back_to_list(r, page_filter(r), "deleted", NULL);
}

/* ---- API ---- */

void
h_api_tasks_list(struct req *r)
{
	const char *completed = req_query(r, "completed");
	const char *q = req_query(r, "q");
	enum task_filter f = TASK_ALL;
	struct json_object *items, *j;
	enum db_err e;

	if (completed != NULL) {
		if (strcmp(completed, "true") == 0)
			f = TASK_COMPLETED;
		else if (strcmp(completed, "false") == 0)
			f = TASK_PENDING;
		else {
			resp_error(r, 422, "invalid",
			    "The completed parameter must be true or false.");
			return;
		}
	}
	/* ?q=words: the same title search the assistant uses to find a task. */
	if (q != NULL)
		e = tasks_find_by_title(r->w->db, r->user->id, q, f, &items, NULL);
	else
		e = tasks_list(r->w->db, r->user->id, f, &items);
	if (e != DB_OK) {
		view_store_failed(r, e, "task", NULL);
		return;
	}
	j = json_object_new_object();
	json_object_object_add(j, "items", items);
	resp_json(r, 200, j);
}

void
h_api_tasks_create(struct req *r)
{
	struct form_errors fe = { 0 };
	struct json_object *task;
	char *title = NULL, *description = NULL, *loc;
	enum db_err e;

	(void)form_text(r, &fe, "title", "Title", true, 1, TASK_TITLE_MAX, &title);
	(void)form_text(r, &fe, "description", "Description", false, 0, TASK_DESC_MAX,
	    &description);
	if (fe.n > 0) {
		form_errors_respond(r, &fe);
		goto done;
	}
	e = tasks_add(r->w->db, r->user->id, title, description, &task);
	if (e != DB_OK) {
		view_store_failed(r, e, "task", NULL);
		goto done;
	}
	loc = xasprintf("/api/v1/tasks/%s", jfield_str(task, "id"));
	resp_header(r, "Location", loc);
	free(loc);
	resp_json(r, 201, task);
done:
	free(title);
	free(description);
}

void
h_api_task_get(struct req *r)
{
	struct json_object *task;
	enum db_err e;

	if ((e = tasks_get(r->w->db, r->user->id, req_param(r, "id"), &task)) != DB_OK) {
		view_store_failed(r, e, "task", NULL);
		return;
	}
	resp_json(r, 200, task);
}

void
h_api_task_update(struct req *r)
{
	struct form_errors fe = { 0 };
	struct task_change ch = TASK_CHANGE_INIT;
	const char *id = req_param(r, "id");
	struct json_object *task;
	char *title = NULL, *description = NULL;
	bool present = false, completed = false;
	enum db_err e;

	/* A body that is not an object has no fields to change. */
	if (r->json == NULL || !json_object_is_type(r->json, json_type_object)) {
		resp_error(r, 422, "invalid", "The body must be a JSON object.");
		return;
	}
	/* Only a real task gets a word about its fields. */
	if ((e = tasks_get(r->w->db, r->user->id, id, NULL)) != DB_OK) {
		view_store_failed(r, e, "task", NULL);
		return;
	}
	if (form_has(r, "title"))
		(void)form_text(r, &fe, "title", "Title", true, 1, TASK_TITLE_MAX, &title);
	if (form_has(r, "description")) {
		/* null or "" clears the description. */
		if (form_text(r, &fe, "description", "Description", false, 0,
		    TASK_DESC_MAX, &description) == 0)
			ch.set_description = true;
	}
	if (form_bool(r, &fe, "completed", "Completed", &present, &completed) == 0) {
		if (present) {
			ch.set_completed = true;
			ch.completed = completed;
		} else if (form_has(r, "completed"))
			form_error(&fe, "completed", "Completed must be true or false.");
	}
	if (fe.n > 0) {
		form_errors_respond(r, &fe);
		goto done;
	}
	ch.title = title;
	ch.description = description;
	e = tasks_update(r->w->db, r->user->id, id, &ch, &task);
	if (e != DB_OK) {
		view_store_failed(r, e, "task", NULL);
		goto done;
	}
	resp_json(r, 200, task);
done:
	free(title);
	free(description);
}

void
h_api_task_delete(struct req *r)
{
	enum db_err e;

	if ((e = tasks_delete(r->w->db, r->user->id, req_param(r, "id"), NULL)) != DB_OK) {
		view_store_failed(r, e, "task", NULL);
		return;
	}
	resp_no_content(r);
}
