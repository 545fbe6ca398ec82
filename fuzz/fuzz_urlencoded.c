/* fuzz_urlencoded.c: libFuzzer harness for query strings, form bodies, url_decode, utf8_valid, esc_url and the form readers. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "escape.h"
#include "form.h"
#include "parse.h"
#include "req.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * A second UTF-8 validator written the other way round (decode the code
 * point, then judge it), so utf8_valid is checked against an independent
 * reading rather than against itself.
 */
static bool
ref_utf8_valid(const uint8_t *s, size_t len)
{
	size_t i = 0, n, k;
	uint32_t cp, min;

	while (i < len) {
		uint8_t c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		}
		if ((c & 0xE0) == 0xC0) {
			n = 1;
			cp = c & 0x1F;
			min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			n = 2;
			cp = c & 0x0F;
			min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else
			return false;
		if (len - i <= n)
			return false;
		for (k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n + 1;
	}
	return true;
}

static int
ref_hex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The expected outcome of url_decode, computed plainly. */
static enum parse_err
ref_decode(const uint8_t *s, size_t len, bool plus, uint8_t *dst, size_t *n)
{
	size_t i;

	*n = 0;
	for (i = 0; i < len; i++) {
		uint8_t c = s[i];

		if (c == '%') {
			if (i + 2 >= len)
				return PARSE_BAD_ENCODING;
			if (ref_hex(s[i + 1]) < 0 || ref_hex(s[i + 2]) < 0)
				return PARSE_BAD_ENCODING;
			c = (uint8_t)(ref_hex(s[i + 1]) * 16 + ref_hex(s[i + 2]));
			i += 2;
		} else if (c == '+' && plus)
			c = ' ';
		if (c == 0)
			return PARSE_BAD_UTF8;
		dst[(*n)++] = c;
	}
	return ref_utf8_valid(dst, *n) ? PARSE_OK : PARSE_BAD_UTF8;
}

static void
check_decode(const uint8_t *data, size_t size, bool plus)
{
	uint8_t *want = xmalloc(size + 1);
	size_t wantlen = 0, outlen = 0;
	enum parse_err err, ref;
	char *out = NULL;

	err = url_decode((const char *)data, size, plus, &out, &outlen);
	ref = ref_decode(data, size, plus, want, &wantlen);
	FUZZ_CHECK(err == ref);
	if (err == PARSE_OK) {
		FUZZ_CHECK(out != NULL);
		FUZZ_CHECK(outlen == wantlen);
		FUZZ_CHECK(memcmp(out, want, outlen) == 0);
		FUZZ_CHECK(out[outlen] == '\0');
		free(out);
	}
	free(want);
}

static void
check_list(const struct kvlist *l, size_t from)
{
	size_t i;

	for (i = from; i < l->len; i++) {
		const struct kv *kv = &l->items[i];

		FUZZ_CHECK(strlen(kv->key) <= PARSE_MAX_KEY);
		FUZZ_CHECK(utf8_valid(kv->key, strlen(kv->key)));
		FUZZ_CHECK(strlen(kv->val) == kv->val_len);
		FUZZ_CHECK(utf8_valid(kv->val, kv->val_len));
	}
}

/* The form readers as a page handler uses them, on the decoded pairs. */
static void
check_form(const struct kvlist *l)
{
	static const char *const names[] = { "title", "description", "done", "q", "" };
	struct form_errors fe;
	struct req r;
	size_t i;

	memset(&r, 0, sizeof r);
	memset(&fe, 0, sizeof fe);
	r.form = *l;
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		bool present, b, wrong;
		char *s = NULL;

		(void)form_has(&r, names[i]);
		(void)form_str(&r, names[i], &wrong);
		FUZZ_CHECK(!wrong);
		if (form_text(&r, &fe, names[i], "Field", i % 2 == 0, 1, 200, &s) == 0) {
			if (s != NULL) {
				FUZZ_CHECK(utf8_chars(s) <= 200);
				FUZZ_CHECK(utf8_valid(s, strlen(s)));
			}
			free(s);
		} else
			FUZZ_CHECK(s == NULL);
		(void)form_bool(&r, &fe, names[i], "Flag", &present, &b);
	}
	if (l->len > 0) {
		char *s = NULL;

		if (form_text(&r, &fe, l->items[0].key, "First", true, 0, 10, &s) == 0)
			free(s);
	}
	FUZZ_CHECK(fe.n <= FORM_MAX_ERRORS);
	for (i = 0; i < fe.n; i++)
		FUZZ_CHECK(form_error_for(&fe, fe.e[i].field) != NULL);
}

/* esc_url must produce only unreserved bytes and %XX, and decode back to the input. */
static void
check_esc_url(const uint8_t *data, size_t size)
{
	struct buf b = BUF_INIT;
	char *back = NULL;
	size_t i, backlen = 0;

	esc_url(&b, (const char *)data, size);
	for (i = 0; i < b.len; i++) {
		char c = b.data[i];

		if (c == '%') {
			FUZZ_CHECK(i + 2 < b.len);
			FUZZ_CHECK(ref_hex((uint8_t)b.data[i + 1]) >= 0);
			FUZZ_CHECK(ref_hex((uint8_t)b.data[i + 2]) >= 0);
			i += 2;
			continue;
		}
		FUZZ_CHECK((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
		    c == '~');
	}
	if (memchr(data, '\0', size) == NULL && ref_utf8_valid(data, size)) {
		FUZZ_CHECK(url_decode(buf_cstr(&b), b.len, false, &back, &backlen) == PARSE_OK);
		FUZZ_CHECK(backlen == size && memcmp(back, data, size) == 0);
		free(back);
	}
	buf_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kvlist l;
	enum parse_err err;

	FUZZ_CHECK(utf8_valid((const char *)data, size) == ref_utf8_valid(data, size));
	check_decode(data, size, true);
	check_decode(data, size, false);

	/* A pair already there must survive a failed parse untouched. */
	kvlist_init(&l);
	kvlist_add(&l, "before", "kept", 4);
	err = parse_urlencoded((const char *)data, size, &l);
	FUZZ_CHECK(err >= PARSE_OK && err < PARSE__MAX);
	FUZZ_CHECK(parse_strerror(err) != NULL);
	FUZZ_CHECK(l.len >= 1);
	FUZZ_CHECK(strcmp(l.items[0].key, "before") == 0);
	FUZZ_CHECK(strcmp(l.items[0].val, "kept") == 0);
	if (err != PARSE_OK)
		FUZZ_CHECK(l.len == 1);
	else
		FUZZ_CHECK(l.len - 1 <= PARSE_MAX_FIELDS);
	check_list(&l, 0);
	FUZZ_CHECK(kvlist_count(&l, "before") >= 1);
	check_form(&l);
	kvlist_free(&l);

	check_esc_url(data, size);
	return 0;
}
