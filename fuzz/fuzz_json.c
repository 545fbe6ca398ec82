/* fuzz_json.c: libFuzzer harness for the JSON body reader and the form readers the API applies to it. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "form.h"
#include "parse.h"
#include "req.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Nesting of arrays and objects, counted the way PARSE_MAX_JSON_DEPTH is; -1 for a non-finite number. */
static int
depth_of(struct json_object *o)
{
	int d = 0, sub;
	size_t i, n;

	switch (json_object_get_type(o)) {
	case json_type_object: {
		json_object_object_foreach(o, k, v) {
			(void)k;
			if ((sub = depth_of(v)) < 0)
				return -1;
			if (sub > d)
				d = sub;
		}
		return d + 1;
	}
	case json_type_array:
		n = json_object_array_length(o);
		for (i = 0; i < n; i++) {
			if ((sub = depth_of(json_object_array_get_idx(o, i))) < 0)
				return -1;
			if (sub > d)
				d = sub;
		}
		return d + 1;
	case json_type_string:
		FUZZ_CHECK(strlen(json_object_get_string(o)) ==
		    (size_t)json_object_get_string_len(o));
		FUZZ_CHECK(utf8_valid(json_object_get_string(o),
		    (size_t)json_object_get_string_len(o)));
		return 0;
	case json_type_double:
		return isfinite(json_object_get_double(o)) ? 0 : -1;
	default:
		return 0;
	}
}

/* The API's field readers, as the task and account handlers call them. */
static void
check_form(struct json_object *j)
{
	static const char *const names[] = {
		"title", "description", "completed", "name", "email", "password", ""
	};
	struct form_errors fe;
	struct json_object *page;
	struct req r;
	size_t i;

	memset(&r, 0, sizeof r);
	memset(&fe, 0, sizeof fe);
	kvlist_init(&r.form);
	r.json = j;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		bool present = false, b = false, wrong = false;
		const char *v;
		char *s = NULL;

		v = form_str(&r, names[i], &wrong);
		FUZZ_CHECK(!(v != NULL && wrong));
		if (v != NULL)
			FUZZ_CHECK(form_has(&r, names[i]));
		if (form_text(&r, &fe, names[i], "Field", i % 2 == 0, 1, 200, &s) == 0) {
			if (s != NULL) {
				FUZZ_CHECK(utf8_chars(s) >= 1 || i % 2 == 1);
				FUZZ_CHECK(utf8_chars(s) <= 200);
			}
			free(s);
		} else
			FUZZ_CHECK(s == NULL);
		/* Absent and JSON null read the same: not there. */
		if (form_bool(&r, &fe, names[i], "Flag", &present, &b) == 0 && !present)
			FUZZ_CHECK(!json_object_is_type(j, json_type_object) ||
			    json_object_object_get(j, names[i]) == NULL);
	}
	FUZZ_CHECK(fe.n <= FORM_MAX_ERRORS);
	page = json_object_new_object();
	form_errors_to_page(&fe, page);
	FUZZ_CHECK(json_object_object_get_ex(page, "errors", NULL));
	json_object_put(page);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_object *j = NULL, *again = NULL;
	enum parse_err err;
	const char *text;
	int d;

	err = parse_json((const char *)data, size, &j);
	FUZZ_CHECK(err >= PARSE_OK && err < PARSE__MAX);
	if (err != PARSE_OK) {
		FUZZ_CHECK(j == NULL);
		return 0;
	}
	FUZZ_CHECK(memchr(data, '\0', size) == NULL);
	FUZZ_CHECK(utf8_valid((const char *)data, size));
	d = depth_of(j);
	FUZZ_CHECK(d <= PARSE_MAX_JSON_DEPTH);
	check_form(j);

	/* What we accepted, written back out by json-c, is accepted again the same. */
	if (j != NULL && d >= 0) {
		text = json_object_to_json_string_ext(j, JSON_C_TO_STRING_PLAIN);
		FUZZ_CHECK(parse_json(text, strlen(text), &again) == PARSE_OK);
		FUZZ_CHECK(json_object_equal(j, again));
		json_object_put(again);
	}
	json_object_put(j);
	return 0;
}
