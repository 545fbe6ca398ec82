/* test_form.c: reading and checking fields, from a urlencoded form (pages) and a JSON body (API). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "form.h"
#include "parse.h"
#include "req.h"
#include "../tap.h"

/* A request whose body was the form lit (parsed as the worker does). */
#define FORM_REQ(r, lit)	form_req(r, lit, sizeof lit - 1)
/* A request whose body was the JSON document lit. */
#define JSON_REQ(r, lit)	json_req(r, lit, sizeof lit - 1)

static enum parse_err
form_req(struct req *r, const char *body, size_t len)
{
	memset(r, 0, sizeof *r);
	kvlist_init(&r->form);
	return parse_urlencoded(body, len, &r->form);
}

static void
json_req(struct req *r, const char *body, size_t len)
{
	memset(r, 0, sizeof *r);
	kvlist_init(&r->form);
	if (parse_json(body, len, &r->json) != PARSE_OK)
		abort();
}

static void
req_done(struct req *r)
{
	kvlist_free(&r->form);
	if (r->json != NULL)
		json_object_put(r->json);
	r->json = NULL;
}

/* The decoding a form field goes through before anyone reads it. */
static void
test_form_fields(void)
{
	struct req r;

	is_int(FORM_REQ(&r, "title=Buy+milk%21&note=caf%C3%A9"), PARSE_OK, "form: a body with + and %%XX parses");
	is_str(form_str(&r, "title", NULL), "Buy milk!", "form: + is a space and %%21 is !");
	is_str(form_str(&r, "note", NULL), "caf\xc3\xa9", "form: %%C3%%A9 is é");
	ok(form_str(&r, "nothing", NULL) == NULL, "form: an absent field is NULL");
	req_done(&r);

	FORM_REQ(&r, "title=first&title=second");
	is_str(form_str(&r, "title", NULL), "first", "form: of a field given twice, the first wins");
	req_done(&r);

	FORM_REQ(&r, "title=&done");
	ok(form_has(&r, "title"), "form: an empty field is present");
	is_str(form_str(&r, "title", NULL), "", "form: ... and reads as empty");
	ok(form_has(&r, "done"), "form: a field without = is present");
	ok(!form_has(&r, "other"), "form: an absent one is not");
	req_done(&r);

	is_int(FORM_REQ(&r, "title=100%"), PARSE_BAD_ENCODING, "form: a broken escape is refused");
	ok(form_str(&r, "title", NULL) == NULL, "form: ... and nothing of that body is read");
	req_done(&r);
	is_int(FORM_REQ(&r, "title=caf%E9"), PARSE_BAD_UTF8, "form: Latin-1 (not UTF-8) is refused");
	req_done(&r);
	is_int(FORM_REQ(&r, "title=a%00b"), PARSE_BAD_UTF8, "form: an escaped NUL byte is refused");
	req_done(&r);
}

static void
test_json_fields(void)
{
	struct req r;
	bool wrong = true;

	JSON_REQ(&r, "{\"title\": \"Buy milk\", \"n\": 3, \"gone\": null, \"flag\": true}");
	is_str(form_str(&r, "title", &wrong), "Buy milk", "json: a string field is read");
	ok(!wrong, "json: ... and is of the right type");
	ok(form_str(&r, "n", &wrong) == NULL, "json: a number is no string");
	ok(wrong, "json: ... and says it has the wrong type");
	ok(form_str(&r, "gone", &wrong) == NULL && !wrong, "json: null counts as absent, not as a wrong type");
	ok(form_str(&r, "missing", &wrong) == NULL && !wrong, "json: an absent field is NULL");
	ok(form_str(&r, "n", NULL) == NULL, "json: wrong_type may be NULL");
	ok(form_has(&r, "gone"), "json: a null field is present");
	ok(form_has(&r, "n"), "json: a field of the wrong type is present");
	ok(!form_has(&r, "missing"), "json: an absent one is not");
	req_done(&r);

	/* A JSON body wins over the form: an API call never reads form fields. */
	JSON_REQ(&r, "[\"title\"]");
	kvlist_add(&r.form, "title", "from the form", 13);
	ok(form_str(&r, "title", NULL) == NULL, "json: an array body has no fields (nor the form's)");
	ok(!form_has(&r, "title"), "json: ... none present");
	req_done(&r);
}

static void
test_text(void)
{
	struct form_errors fe = { 0 };
	struct req r;
	char *out = (char *)"untouched";

	FORM_REQ(&r, "title=++Buy+milk+%0A&blank=+%09+&short=ab&accents=%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9"
	    "&six=%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9%C3%A9");
	is_int(form_text(&r, &fe, "title", "Title", true, 1, 500, &out), 0, "text: a good title is taken");
	is_str(out, "Buy milk", "text: ... trimmed of spaces and line breaks");
	free(out);
	is_int(fe.n, 0, "text: no error for it");

	is_int(form_text(&r, &fe, "missing", "Title", true, 1, 500, &out), -1, "text: a required field that is absent fails");
	ok(out == NULL, "text: ... with no value");
	is_str(form_error_for(&fe, "missing"), "Title is required.", "text: ... and says it is required");

	is_int(form_text(&r, &fe, "blank", "Name", true, 1, 500, &out), -1, "text: white space alone is empty");
	is_str(form_error_for(&fe, "blank"), "Name is required.", "text: ... so a required field fails");

	fe.n = 0;
	is_int(form_text(&r, &fe, "missing", "Note", false, 1, 500, &out), 0, "text: an optional field may be absent");
	ok(out == NULL, "text: ... and gives NULL");
	is_int(form_text(&r, &fe, "blank", "Note", false, 3, 500, &out), 0,
	    "text: an optional field may be empty, below its minimum");
	is_str(out, "", "text: ... and gives the empty string");
	free(out);

	is_int(form_text(&r, &fe, "short", "Name", true, 3, 500, &out), -1, "text: below the minimum fails");
	is_str(form_error_for(&fe, "short"), "Name must be at least 3 characters.", "text: ... saying the minimum");

	is_int(form_text(&r, &fe, "accents", "Name", true, 1, 5, &out), 0,
	    "text: 5 two-byte characters fit a maximum of 5 (characters, not bytes)");
	free(out);
	is_int(form_text(&r, &fe, "six", "Name", true, 1, 5, &out), -1, "text: 6 characters do not");
	is_str(form_error_for(&fe, "six"), "Name must be at most 5 characters (it has 6).",
	    "text: ... saying the maximum and the count");
	ok(out == NULL, "text: a refused value is not given back");
	req_done(&r);

	fe.n = 0;
	JSON_REQ(&r, "{\"title\": 12}");
	is_int(form_text(&r, &fe, "title", "Title", true, 1, 500, &out), -1, "text: a JSON number is refused");
	is_str(form_error_for(&fe, "title"), "Title must be a string.", "text: ... as not a string");
	req_done(&r);
}

/*
 * form_bool on the field "done" of body, a form or (json) a JSON document; the result
 * as "ok:true", "ok:false", "absent", or "error" when refused with the right message.
 */
static const char *
bool_of(const char *body, bool json)
{
	struct form_errors fe = { 0 };
	struct req r;
	bool present = false, out = false;
	const char *res;

	if (json)
		json_req(&r, body, strlen(body));
	else if (form_req(&r, body, strlen(body)) != PARSE_OK)
		abort();
	if (form_bool(&r, &fe, "done", "Done", &present, &out) == -1)
		res = present && fe.n == 1 && strcmp(fe.e[0].msg, "Done must be true or false.") == 0 ?
		    "error" : "bad error";
	else if (!present)
		res = "absent";
	else
		res = out ? "ok:true" : "ok:false";
	req_done(&r);
	return res;
}

static void
test_bool(void)
{
	static const char *const yes[] = { "done=1", "done=true", "done=TRUE", "done=on", "done=Yes" };
	static const char *const no[] = { "done=0", "done=false", "done=Off", "done=no", "done=" };

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		is_str(bool_of(yes[i], false), "ok:true", "bool: form %s is true", yes[i]);
	for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
		is_str(bool_of(no[i], false), "ok:false", "bool: form %s is false", no[i]);
	is_str(bool_of("done=maybe", false), "error", "bool: form done=maybe is refused, with a message");
	is_str(bool_of("done=2", false), "error", "bool: form done=2 is refused");
	is_str(bool_of("other=1", false), "absent", "bool: an absent form field is absent");

	is_str(bool_of("{\"done\": true}", true), "ok:true", "bool: JSON true");
	is_str(bool_of("{\"done\": false}", true), "ok:false", "bool: JSON false");
	is_str(bool_of("{\"done\": \"true\"}", true), "error", "bool: the JSON string \"true\" is refused");
	is_str(bool_of("{\"done\": 1}", true), "error", "bool: the JSON number 1 is refused");
	is_str(bool_of("{\"done\": null}", true), "absent", "bool: JSON null is absent");
	is_str(bool_of("{}", true), "absent", "bool: no field is absent");
}

static void
test_errors(void)
{
	struct form_errors fe = { 0 };
	struct json_object *data, *v;
	char field[60];

	form_error(&fe, "title", "Title is %s.", "required");
	form_error(&fe, "title", "A second message.");
	is_str(form_error_for(&fe, "title"), "Title is required.", "errors: the message is formatted");
	is_int(fe.n, 2, "errors: every error is kept");
	ok(form_error_for(&fe, "other") == NULL, "errors: a field without one has none");

	for (int i = 0; i < FORM_MAX_ERRORS + 4; i++) {
		snprintf(field, sizeof field, "f%d", i);
		form_error(&fe, field, "message %d", i);
	}
	is_int(fe.n, FORM_MAX_ERRORS, "errors: at most FORM_MAX_ERRORS are kept, the first ones");
	ok(form_error_for(&fe, "f13") != NULL && form_error_for(&fe, "f14") == NULL,
	    "errors: the ones past the limit are dropped");

	fe.n = 0;
	memset(field, 'k', sizeof field - 1);
	field[sizeof field - 1] = '\0';
	form_error(&fe, field, "%0300d", 7);
	is_int(strlen(fe.e[0].field), sizeof fe.e[0].field - 1, "errors: a long field name is cut to fit");
	is_int(strlen(fe.e[0].msg), sizeof fe.e[0].msg - 1, "errors: a long message is cut to fit");

	/* What page templates get. */
	fe.n = 0;
	form_error(&fe, "title", "Title is required.");
	form_error(&fe, "description", "Too long.");
	data = json_object_new_object();
	form_errors_to_page(&fe, data);
	ok(json_object_object_get_ex(data, "errors", &v) && json_object_object_get_ex(v, "title", &v) &&
	    strcmp(json_object_get_string(v), "Title is required.") == 0,
	    "page: errors.title holds the title's message");
	ok(json_object_object_get_ex(data, "error_list", &v) && json_object_array_length(v) == 2,
	    "page: error_list has both, for a summary");
	v = json_object_array_get_idx(v, 1);
	is_str(json_object_get_string(json_object_object_get(v, "field")), "description",
	    "page: ... in the order they were found");
	ok(json_object_get_boolean(json_object_object_get(data, "invalid_title")) &&
	    json_object_get_boolean(json_object_object_get(data, "invalid_description")),
	    "page: invalid_NAME is set for each field with an error (for aria-invalid)");
	ok(json_object_get_boolean(json_object_object_get(data, "has_errors")), "page: has_errors is set");
	json_object_put(data);

	fe.n = 0;
	data = json_object_new_object();
	form_errors_to_page(&fe, data);
	ok(!json_object_object_get_ex(data, "has_errors", NULL), "page: no has_errors without errors");
	ok(json_object_object_get_ex(data, "errors", &v) && json_object_object_length(v) == 0,
	    "page: ... and an empty errors object");
	json_object_put(data);
}

int
main(void)
{
	test_form_fields();
	test_json_fields();
	test_text();
	test_bool();
	test_errors();
	return done_testing();
}
