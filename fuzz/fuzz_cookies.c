/* fuzz_cookies.c: libFuzzer harness for the Cookie header parser, Content-Type media types and UUID checks. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_cookies(const char *hdr)
{
	struct kvlist l;
	enum parse_err err;
	size_t i;

	kvlist_init(&l);
	err = parse_cookies(hdr, &l);
	FUZZ_CHECK(err == PARSE_OK || err == PARSE_TOO_MANY);
	if (err == PARSE_TOO_MANY)
		FUZZ_CHECK(l.len == PARSE_MAX_FIELDS);	/* the first ones are kept */
	FUZZ_CHECK(l.len <= PARSE_MAX_FIELDS);
	for (i = 0; i < l.len; i++) {
		const struct kv *kv = &l.items[i];
		size_t klen = strlen(kv->key);

		FUZZ_CHECK(klen > 0 && klen <= PARSE_MAX_KEY);
		FUZZ_CHECK(strpbrk(kv->key, ";=") == NULL);
		FUZZ_CHECK(kv->key[0] != ' ' && kv->key[0] != '\t');
		FUZZ_CHECK(kv->key[klen - 1] != ' ' && kv->key[klen - 1] != '\t');
		FUZZ_CHECK(utf8_valid(kv->key, klen));
		FUZZ_CHECK(strlen(kv->val) == kv->val_len);
		FUZZ_CHECK(strchr(kv->val, ';') == NULL);
		FUZZ_CHECK(utf8_valid(kv->val, kv->val_len));
		/* Every key found is also found by name (the first with it). */
		FUZZ_CHECK(kvlist_get(&l, kv->key) != NULL);
		FUZZ_CHECK(kvlist_count(&l, kv->key) >= 1);
	}
	kvlist_free(&l);
	/* Freeing twice is allowed: the list is left empty. */
	kvlist_free(&l);
}

static void
check_media_type(const char *hdr, size_t outlen)
{
	char out[80];
	size_t n, i;

	memset(out, 'X', sizeof out);
	parse_media_type(hdr, out, outlen);
	if (outlen == 0) {
		FUZZ_CHECK(out[0] == 'X');
		return;
	}
	n = strnlen(out, outlen);
	FUZZ_CHECK(n < outlen);			/* always terminated inside out */
	FUZZ_CHECK(out[outlen] == 'X' || outlen == sizeof out);	/* nothing written past */
	for (i = 0; i < n; i++) {
		FUZZ_CHECK(out[i] != ';');
		FUZZ_CHECK(!(out[i] >= 'A' && out[i] <= 'Z'));
	}
	if (n > 0) {
		FUZZ_CHECK(out[0] != ' ' && out[0] != '\t');
		FUZZ_CHECK(out[n - 1] != ' ' && out[n - 1] != '\t');
	}
}

static bool
ref_is_uuid(const char *s)
{
	size_t i;

	if (strlen(s) != 36)
		return false;
	for (i = 0; i < 36; i++) {
		char c = s[i];

		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (c != '-')
				return false;
		} else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
		    (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sel = fuzz_byte(&data, &size);
	char *hdr = fuzz_cstr(data, size);

	check_cookies(hdr);
	check_media_type(hdr, sel % 80);
	check_media_type(hdr, 64);
	FUZZ_CHECK(parse_is_uuid(hdr) == ref_is_uuid(hdr));
	free(hdr);
	return 0;
}
