/* fuzz_template.c: libFuzzer harness for the Mustache engine (template and data) and the HTML and JSON escapers. */
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "escape.h"
#include "parse.h"
#include "template.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: TEMPLATE NUL PARTIAL NUL JSON. Every partial name resolves to
 * PARTIAL; the data is read with parse_json, as request bodies are.
 */

struct parts {
	const struct tmpl	*partial;
};

static const struct tmpl *
find_partial(void *ctx, const char *name)
{
	const struct parts *p = ctx;

	(void)name;
	return p->partial;
}

static size_t
count_byte(const char *s, char c)
{
	size_t n = 0;

	for (; *s != '\0'; s++)
		n += *s == c;
	return n;
}

/* The longest array anywhere in v: how many times one section can repeat. */
static size_t
widest(struct json_object *v)
{
	size_t w = 0, i, n, sub;

	if (json_object_is_type(v, json_type_array)) {
		n = json_object_array_length(v);
		w = n;
		for (i = 0; i < n; i++)
			if ((sub = widest(json_object_array_get_idx(v, i))) > w)
				w = sub;
	} else if (json_object_is_type(v, json_type_object)) {
		json_object_object_foreach(v, k, val) {
			(void)k;
			if ((sub = widest(val)) > w)
				w = sub;
		}
	}
	return w;
}

/*
 * Mustache is exponential by design (nested sections over lists, partials
 * that include themselves twice): templates are trusted files. Skip the
 * render when a rough bound on the output passes a few million bytes, so
 * the fuzzer looks for bugs rather than for slow templates.
 */
static bool
affordable(const char *a, const char *b, bool have_partial, size_t width, size_t datalen)
{
	double levels = 1, sections, calls, work;

	if (have_partial && count_byte(b, '>') > 0)
		levels = 64;	/* a partial including itself once: a chain, up to the depth limit */
	sections = (double)count_byte(a, '#') +
	    (have_partial ? (double)count_byte(b, '#') * levels : 0);
	calls = have_partial ? (double)count_byte(a, '>') * levels : 0;
	work = sections * log(width > 1 ? (double)width : 1.0) +
	    log((double)strlen(a) + calls * (double)strlen(b) + 1) +
	    log((double)datalen + 2);
	return work < log(4e6);
}

/* {{v}} must leave no markup, and decode back to the text it was given. */
static void
check_escaping(const char *s)
{
	static const char *const ents[] = { "&amp;", "&lt;", "&gt;", "&quot;", "&#39;" };
	static const char plain[] = "&<>\"'";
	struct json_object *data, *back = NULL;
	struct buf out = BUF_INIT, dec = BUF_INIT, js = BUF_INIT;
	struct tmpl *t;
	char err[256];
	size_t i, k;

	t = tmpl_parse("esc", "{{v}}", 5, err, sizeof err);
	FUZZ_CHECK(t != NULL);
	data = json_object_new_object();
	json_object_object_add(data, "v", json_object_new_string(s));
	FUZZ_CHECK(tmpl_render(t, data, NULL, NULL, &out) == 0);
	FUZZ_CHECK(strpbrk(buf_cstr(&out), "<>\"'") == NULL);
	for (i = 0; i < out.len;) {
		for (k = 0; k < 5; k++)
			if (strncmp(out.data + i, ents[k], strlen(ents[k])) == 0)
				break;
		if (k < 5) {
			buf_putc(&dec, plain[k]);
			i += strlen(ents[k]);
		} else {
			FUZZ_CHECK(out.data[i] != '&');
			buf_putc(&dec, out.data[i++]);
		}
	}
	FUZZ_CHECK(strcmp(buf_cstr(&dec), s) == 0);

	/* esc_json inside quotes is a JSON string equal to s, with no markup characters. */
	buf_putc(&js, '"');
	esc_json(&js, s, strlen(s));
	buf_putc(&js, '"');
	FUZZ_CHECK(strpbrk(buf_cstr(&js), "<>&'") == NULL);
	FUZZ_CHECK(strstr(buf_cstr(&js), "\xe2\x80\xa8") == NULL);
	FUZZ_CHECK(strstr(buf_cstr(&js), "\xe2\x80\xa9") == NULL);
	FUZZ_CHECK(parse_json(js.data, js.len, &back) == PARSE_OK);
	FUZZ_CHECK(back != NULL && json_object_is_type(back, json_type_string));
	FUZZ_CHECK(strcmp(json_object_get_string(back), s) == 0);
	json_object_put(back);
	json_object_put(data);
	buf_free(&out);
	buf_free(&dec);
	buf_free(&js);
	tmpl_free(t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *rest, *rest2;
	size_t restlen, rest2len;
	struct json_object *j = NULL;
	struct tmpl *ta, *tb = NULL;
	struct parts parts;
	struct buf out = BUF_INIT;
	char err[256], *a, *b = NULL;
	bool utf8;
	int rc;

	a = fuzz_split(data, size, &rest, &restlen);
	if (rest != NULL) {
		b = fuzz_split(rest, restlen, &rest2, &rest2len);
		if (rest2 != NULL && parse_json((const char *)rest2, rest2len, &j) != PARSE_OK)
			j = NULL;
	}
	utf8 = utf8_valid(a, strlen(a)) && (b == NULL || utf8_valid(b, strlen(b)));
	if (utf8)
		check_escaping(a);

	err[0] = '\0';
	ta = tmpl_parse("fuzz", a, strlen(a), err, sizeof err);
	if (ta == NULL) {
		FUZZ_CHECK(strncmp(err, "fuzz:", 5) == 0);
		goto done;
	}
	if (b != NULL) {
		tb = tmpl_parse("partial", b, strlen(b), err, sizeof err);
		if (tb == NULL)
			FUZZ_CHECK(strncmp(err, "partial:", 8) == 0);
	}
	parts.partial = tb;
	if (!affordable(a, b != NULL ? b : "", tb != NULL, widest(j),
	    rest2 != NULL ? rest2len : 0))
		goto done;
	rc = tmpl_render(ta, j, find_partial, &parts, &out);
	FUZZ_CHECK(rc == 0 || rc == -1);
	FUZZ_CHECK(strlen(buf_cstr(&out)) == out.len);	/* no NUL can come from template or data */
	if (utf8)
		FUZZ_CHECK(utf8_valid(buf_cstr(&out), out.len));
	/* A template is immutable: rendering it again gives the same text. */
	if (rc == 0) {
		struct buf again = BUF_INIT;

		FUZZ_CHECK(tmpl_render(ta, j, find_partial, &parts, &again) == 0);
		FUZZ_CHECK(again.len == out.len && memcmp(buf_cstr(&again), buf_cstr(&out), out.len) == 0);
		buf_free(&again);
	}
done:
	buf_free(&out);
	tmpl_free(ta);
	tmpl_free(tb);
	json_object_put(j);
	free(a);
	free(b);
	return 0;
}
