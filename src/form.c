/* form.c: reading and checking input fields from forms (pages) and JSON bodies (API). */
#include "form.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <json-c/json.h>

#include "response.h"
#include "text.h"
#include "utf8.h"
#include "xalloc.h"

const char *
form_str(const struct req *r, const char *name, bool *wrong_type)
{
	struct json_object *v;

	if (wrong_type != NULL)
		*wrong_type = false;
	if (r->json != NULL) {
		if (!json_object_is_type(r->json, json_type_object) ||
		    !json_object_object_get_ex(r->json, name, &v) || v == NULL)
			return NULL;
		if (!json_object_is_type(v, json_type_string)) {
			if (wrong_type != NULL)
				*wrong_type = true;
			return NULL;
		}
		return json_object_get_string(v);
	}
	return kvlist_get(&r->form, name);
}

bool
form_has(const struct req *r, const char *name)
{
	if (r->json != NULL)
		return json_object_is_type(r->json, json_type_object) &&
		    json_object_object_get_ex(r->json, name, NULL);
	return kvlist_get(&r->form, name) != NULL;
}

void
form_error(struct form_errors *fe, const char *field, const char *fmt, ...)
{
	va_list ap;

	if (fe->n >= FORM_MAX_ERRORS)
		return;
	snprintf(fe->e[fe->n].field, sizeof fe->e[fe->n].field, "%s", field);
	va_start(ap, fmt);
	vsnprintf(fe->e[fe->n].msg, sizeof fe->e[fe->n].msg, fmt, ap);
	va_end(ap);
	fe->n++;
}

const char *
form_error_for(const struct form_errors *fe, const char *field)
{
	for (size_t i = 0; i < fe->n; i++)
		if (strcmp(fe->e[i].field, field) == 0)
			return fe->e[i].msg;
	return NULL;
}

int
form_text(const struct req *r, struct form_errors *fe, const char *name,
    const char *label, bool required, size_t min, size_t max, char **out)
{
	bool wrong = false;
	const char *v = form_str(r, name, &wrong);
	char *t;
	size_t n;

	*out = NULL;
	if (wrong) {
		form_error(fe, name, "%s must be a string.", label);
		return -1;
	}
	if (v == NULL) {
		if (required) {
			form_error(fe, name, "%s is required.", label);
			return -1;
		}
		return 0;
	}
	t = trimmed(v);
	n = utf8_chars(t);
	if (n == 0 && required) {
		form_error(fe, name, "%s is required.", label);
		free(t);
		return -1;
	}
	if (n > 0 && n < min) {
		form_error(fe, name, "%s must be at least %zu characters.", label, min);
		free(t);
		return -1;
	}
	if (n > max) {
		form_error(fe, name, "%s must be at most %zu characters (it has %zu).",
		    label, max, n);
		free(t);
		return -1;
	}
	*out = t;
	return 0;
}

int
form_bool(const struct req *r, struct form_errors *fe, const char *name,
    const char *label, bool *present, bool *out)
{
	struct json_object *v;
	const char *s;

	*present = false;
	if (r->json != NULL) {
		if (!json_object_is_type(r->json, json_type_object) ||
		    !json_object_object_get_ex(r->json, name, &v) || v == NULL)
			return 0;
		*present = true;
		if (!json_object_is_type(v, json_type_boolean)) {
			form_error(fe, name, "%s must be true or false.", label);
			return -1;
		}
		*out = json_object_get_boolean(v);
		return 0;
	}
	if ((s = kvlist_get(&r->form, name)) == NULL)
		return 0;
	*present = true;
	if (!strcmp(s, "1") || !strcasecmp(s, "true") || !strcasecmp(s, "on") ||
	    !strcasecmp(s, "yes"))
		*out = true;
	else if (!strcmp(s, "0") || !strcasecmp(s, "false") || !strcasecmp(s, "off") ||
	    !strcasecmp(s, "no") || *s == '\0')
		*out = false;
	else {
		form_error(fe, name, "%s must be true or false.", label);
		return -1;
	}
	return 0;
}

void
form_errors_respond(struct req *r, const struct form_errors *fe)
{
	struct json_object *j = json_object_new_object();
	struct json_object *e = json_object_new_object();
	struct json_object *fields = json_object_new_object();

	for (size_t i = 0; i < fe->n; i++)
		json_object_object_add(fields, fe->e[i].field,
		    json_object_new_string(fe->e[i].msg));
	json_object_object_add(e, "code", json_object_new_string("invalid"));
	json_object_object_add(e, "message",
	    json_object_new_string(fe->n > 0 ? fe->e[0].msg : "The input is not valid."));
	json_object_object_add(e, "fields", fields);
	json_object_object_add(j, "error", e);
	resp_json(r, 422, j);
}

void
form_errors_to_page(const struct form_errors *fe, struct json_object *data)
{
	struct json_object *errors = json_object_new_object();
	struct json_object *list = json_object_new_array();

	for (size_t i = 0; i < fe->n; i++) {
		struct json_object *item = json_object_new_object();
		char key[64];

		json_object_object_add(errors, fe->e[i].field,
		    json_object_new_string(fe->e[i].msg));
		json_object_object_add(item, "field", json_object_new_string(fe->e[i].field));
		json_object_object_add(item, "message", json_object_new_string(fe->e[i].msg));
		json_object_array_add(list, item);
		snprintf(key, sizeof key, "invalid_%s", fe->e[i].field);
		json_object_object_add(data, key, json_object_new_boolean(1));
	}
	json_object_object_add(data, "errors", errors);
	json_object_object_add(data, "error_list", list);
	if (fe->n > 0)
		json_object_object_add(data, "has_errors", json_object_new_boolean(1));
}
