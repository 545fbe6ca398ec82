/* view.c: what the page and API handlers show the same way: store failures, times, durations, flash messages, model menus, redirects. */
#include "view.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "jfield.h"
#include "llm.h"
#include "req.h"
#include "response.h"
#include "xalloc.h"

void
view_store_failed(struct req *r, enum db_err e, const char *what,
    const struct view_conflict *conflict)
{
	if (e == DB_CONFLICT && conflict != NULL)
		resp_error(r, 409, conflict->code, "%s", conflict->message);
	else
		resp_store_error(r, e, what);
}

void
view_short_time(const char *iso, char *out, size_t outlen)
{
	if (iso == NULL || strlen(iso) < 16 || iso[10] != 'T') {
		snprintf(out, outlen, "%s", iso != NULL ? iso : "");
		return;
	}
	snprintf(out, outlen, "%.10s %.5s UTC", iso, iso + 11);
}

void
view_duration_ms(char *out, size_t outlen, double ms)
{
	/* "%.0f" of a whole number of milliseconds prints what "%ld" would. */
	if (ms < 0)
		snprintf(out, outlen, "–");
	else if (ms < 1000)
		snprintf(out, outlen, "%.0f ms", ms);
	else
		snprintf(out, outlen, "%.1f s", ms / 1000.0);
}

void
view_flash(struct json_object *d, const char *kind, const char *text)
{
	struct json_object *fl = json_object_new_object();

	json_object_object_add(fl, "kind", json_object_new_string(kind));
	json_object_object_add(fl, "message", json_object_new_string(text));
	json_object_object_add(d, "flash", fl);
}

void
view_flash_query(struct req *r, struct json_object *d, const struct view_flash *list)
{
	const char *msg = req_query(r, "msg");

	if (msg == NULL)
		return;
	for (; list->key != NULL; list++) {
		if (strcmp(msg, list->key) == 0) {
			view_flash(d, list->kind, list->text);
			return;
		}
	}
}

/* Appends {id, label, selected} to out. */
static void
add_model(struct json_object *out, const char *id, const char *label, bool selected)
{
	struct json_object *o = json_object_new_object();

	jfield_set_str(o, "id", id);
	jfield_set_str(o, "label", label);
	jfield_set_bool(o, "selected", selected);
	json_object_array_add(out, o);
}

struct json_object *
view_models(const struct config *cfg, const char *selected, const char *default_label,
    const char *gone)
{
	struct json_object *all = llm_models_json(cfg), *items, *out = json_object_new_array();
	bool found = false;

	if (default_label != NULL)
		add_model(out, "", default_label, selected == NULL);
	if (json_object_object_get_ex(all, "items", &items)) {
		for (size_t i = 0; i < json_object_array_length(items); i++) {
			const char *id = jfield_str(json_object_array_get_idx(items, i), "id");
			bool sel;

			if (id == NULL)
				continue;
			sel = selected != NULL && strcmp(id, selected) == 0;
			found = found || sel;
			add_model(out, id, id, sel);
		}
	}
	/* Listed models are exactly the known ones, so "not found" is "not offered". */
	if (selected != NULL && *selected != '\0' && !found) {
		char *label = xasprintf("%s%s", selected, gone);

		add_model(out, selected, label, true);
		free(label);
	}
	json_object_put(all);
	return out;
}

void
view_redirect(struct req *r, const char *path, const char *msg, const char *anchor)
{
	struct buf loc = BUF_INIT;

	buf_puts(&loc, path);
	if (msg != NULL)
		buf_printf(&loc, "%cmsg=%s", strchr(path, '?') != NULL ? '&' : '?', msg);
	if (anchor != NULL)
		buf_printf(&loc, "#%s", anchor);
	resp_redirect(r, buf_cstr(&loc));
	buf_free(&loc);
}
