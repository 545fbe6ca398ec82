/* test_parse.c: unit tests for the input parsers (UTF-8, percent-decoding, forms, cookies, JSON). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "parse.h"
#include "../tap.h"
#include "xalloc.h"

/* Parsers over a string literal, its length counted by the compiler. */
#define PARSE_JSON(lit, o)	parse_json(lit, sizeof lit - 1, o)
#define PARSE_FORM(lit, l)	parse_urlencoded(lit, sizeof lit - 1, l)

/* A pointer no parser would produce, to see that failures leave outputs alone. */
static char sentinel_byte;
#define SENTINEL	((void *)&sentinel_byte)

static void
utf8_is(const char *s, size_t len, bool want, const char *desc)
{
	ok(utf8_valid(s, len) == want, "utf8: %s is %s", desc, want ? "valid" : "refused");
}

static void
test_utf8(void)
{
	char buf[64];

	utf8_is("", 0, true, "empty");
	utf8_is("hello, world", 12, true, "ASCII");
	utf8_is("caf\xc3\xa9", 5, true, "2-byte e-acute");
	utf8_is("\xe2\x82\xac", 3, true, "3-byte euro sign");
	utf8_is("\xf0\x9f\x98\x80", 4, true, "4-byte emoji");
	utf8_is("\xf4\x8f\xbf\xbf", 4, true, "U+10FFFF, the 4-byte maximum");
	utf8_is("\xed\x9f\xbf", 3, true, "U+D7FF just below the surrogates");
	utf8_is("\xee\x80\x80", 3, true, "U+E000 just above the surrogates");
	utf8_is("\xc2\x80", 2, true, "U+0080, smallest 2-byte");
	utf8_is("\xe0\xa0\x80", 3, true, "U+0800, smallest 3-byte");
	utf8_is("\xf0\x90\x80\x80", 4, true, "U+10000, smallest 4-byte");
	utf8_is("a\0b", 3, true, "NUL is well-formed UTF-8 (callers refuse it separately)");

	utf8_is("\xc0\xaf", 2, false, "overlong '/' \\xc0\\xaf");
	utf8_is("\xc1\xbf", 2, false, "overlong \\xc1\\xbf");
	utf8_is("\xe0\x80\xaf", 3, false, "overlong 3-byte '/'");
	utf8_is("\xe0\x9f\xbf", 3, false, "overlong 3-byte U+07FF");
	utf8_is("\xf0\x80\x80\xaf", 4, false, "overlong 4-byte '/'");
	utf8_is("\xf0\x8f\xbf\xbf", 4, false, "overlong 4-byte U+FFFF");
	utf8_is("\xed\xa0\x80", 3, false, "surrogate U+D800 \\xed\\xa0\\x80");
	utf8_is("\xed\xbf\xbf", 3, false, "surrogate U+DFFF");
	utf8_is("\xed\xa0\xbd\xed\xb8\x80", 6, false, "CESU-8 surrogate pair");
	utf8_is("\xf4\x90\x80\x80", 4, false, "U+110000, past the maximum");
	utf8_is("\xf5\x80\x80\x80", 4, false, "lead byte \\xf5");
	utf8_is("\xff", 1, false, "byte \\xff");
	utf8_is("\xfe\xff", 2, false, "bytes \\xfe\\xff");
	utf8_is("\x80", 1, false, "lone continuation byte");
	utf8_is("a\xbf" "b", 3, false, "continuation byte between ASCII");
	utf8_is("\xc3", 1, false, "truncated 2-byte");
	utf8_is("\xe2\x82", 2, false, "truncated 3-byte");
	utf8_is("\xf0\x9f\x98", 3, false, "truncated 4-byte");
	utf8_is("\xc3\x28", 2, false, "2-byte with ASCII as continuation");
	utf8_is("\xe2\x28\xa1", 3, false, "3-byte with bad second byte");
	utf8_is("\xf0\x9f\x98\x28", 4, false, "4-byte with bad last byte");
	utf8_is("caf\xc3\xa9", 4, false, "length cuts a sequence in two");

	/* Past the eight-bytes-at-a-time ASCII path. */
	memset(buf, 'x', sizeof buf);
	memcpy(buf + 17, "\xc3\xa9", 2);
	utf8_is(buf, sizeof buf, true, "e-acute inside a long ASCII run");
	buf[18] = 'x';
	utf8_is(buf, sizeof buf, false, "truncated sequence inside a long ASCII run");
	memset(buf, 'x', sizeof buf);
	buf[sizeof buf - 1] = '\xc3';
	utf8_is(buf, sizeof buf, false, "truncated sequence at the end of a long ASCII run");
	buf[sizeof buf - 1] = '\x80';
	utf8_is(buf, sizeof buf, false, "continuation byte at the end of a long ASCII run");
}

static void
decode_is(const char *in, bool plus, const char *want, size_t wantlen, const char *desc)
{
	char *out = NULL;
	size_t len = 0;
	enum parse_err e;

	e = url_decode(in, strlen(in), plus, &out, &len);
	is_int(e, PARSE_OK, "url_decode %s: accepted", desc);
	is_str(out, want, "url_decode %s: text", desc);
	is_int(len, wantlen, "url_decode %s: length", desc);
	free(out);
}

static void
decode_fails(const char *in, enum parse_err want, const char *desc)
{
	char *out = SENTINEL;
	size_t len = 12345;

	is_int(url_decode(in, strlen(in), true, &out, &len), want, "url_decode %s: refused", desc);
	ok(out == SENTINEL && len == 12345, "url_decode %s: outputs untouched", desc);
}

static void
test_url_decode(void)
{
	char *out = NULL;
	size_t len = 0;

	decode_is("plain", true, "plain", 5, "plain text");
	decode_is("", true, "", 0, "empty");
	decode_is("%C3%A9", true, "\xc3\xa9", 2, "%C3%A9");
	decode_is("%c3%a9t%C3%A9", true, "\xc3\xa9t\xc3\xa9", 5, "lower and upper case hex");
	decode_is("a+b", true, "a b", 3, "plus as space");
	decode_is("a+b", false, "a+b", 3, "plus kept in paths");
	decode_is("a%2Bb", true, "a+b", 3, "%2B is a literal plus");
	decode_is("100%25", true, "100%", 4, "%25 is a percent sign");
	decode_is("caf\xc3\xa9", true, "caf\xc3\xa9", 5, "raw UTF-8 passes through");
	decode_is("%2F%3F%26%3D", true, "/?&=", 4, "reserved characters");

	decode_fails("%zz", PARSE_BAD_ENCODING, "%zz");
	decode_fails("%4", PARSE_BAD_ENCODING, "%4 at the end");
	decode_fails("%4g", PARSE_BAD_ENCODING, "%4g");
	decode_fails("abc%", PARSE_BAD_ENCODING, "trailing %");
	decode_fails("%", PARSE_BAD_ENCODING, "lone %");
	decode_fails("%00", PARSE_BAD_UTF8, "%00");
	decode_fails("a%00b", PARSE_BAD_UTF8, "%00 in the middle");
	decode_fails("%C3", PARSE_BAD_UTF8, "a truncated sequence %C3");
	decode_fails("%C0%AF", PARSE_BAD_UTF8, "overlong %C0%AF");
	decode_fails("%ED%A0%80", PARSE_BAD_UTF8, "surrogate %ED%A0%80");
	decode_fails("%FF", PARSE_BAD_UTF8, "%FF");
	decode_fails("\xff", PARSE_BAD_UTF8, "raw \\xff");

	is_int(url_decode("a\0b", 3, true, &out, &len), PARSE_BAD_UTF8, "url_decode: raw NUL byte refused");
	is_int(url_decode("abcdef", 3, true, &out, &len), PARSE_OK, "url_decode: reads only len bytes");
	is_str(out, "abc", "url_decode: stops at len");
	free(out);
	is_int(url_decode("a%4142", 3, true, &out, &len), PARSE_BAD_ENCODING,
	    "url_decode: an escape cut by len is malformed");
}

static void
test_kvlist(void)
{
	struct kvlist l;

	kvlist_init(&l);
	ok(kvlist_get(&l, "a") == NULL, "kvlist: empty list has no 'a'");
	is_int(kvlist_count(&l, "a"), 0, "kvlist: empty count");
	kvlist_add(&l, "a", "1", 1);
	kvlist_add(&l, "b", "two", 3);
	kvlist_add(&l, "a", "x\0y", 3);
	is_int(l.len, 3, "kvlist: three items");
	is_str(kvlist_get(&l, "a"), "1", "kvlist: get returns the first value");
	is_int(kvlist_count(&l, "a"), 2, "kvlist: count of a duplicated key");
	is_int(l.items[2].val_len, 3, "kvlist_add: copies val_len bytes");
	ok(memcmp(l.items[2].val, "x\0y", 4) == 0, "kvlist_add: copy is NUL-terminated");
	kvlist_free(&l);
	is_int(l.len, 0, "kvlist_free: list is empty again");
	ok(l.items == NULL, "kvlist_free: storage released");
	kvlist_free(&l);
	ok(1, "kvlist_free: a freed list can be freed again");
}

static void
test_urlencoded(void)
{
	struct kvlist l;
	struct buf b = BUF_INIT;
	char key[400];
	size_t i;

	kvlist_init(&l);
	is_int(PARSE_FORM("a=1&b=2", &l), PARSE_OK, "form: a=1&b=2");
	is_int(l.len, 2, "form: two pairs");
	is_str(kvlist_get(&l, "a"), "1", "form: a");
	is_str(kvlist_get(&l, "b"), "2", "form: b");
	kvlist_free(&l);

	is_int(PARSE_FORM("name=J%C3%B6rg+M%C3%BCller&first+name=x", &l), PARSE_OK,
	    "form: encoded UTF-8 and plus");
	is_str(kvlist_get(&l, "name"), "J\xc3\xb6rg M\xc3\xbcller", "form: value decoded with plus as space");
	is_int(l.items[0].val_len, 13, "form: val_len counts decoded bytes");
	is_str(kvlist_get(&l, "first name"), "x", "form: key decoded too");
	kvlist_free(&l);

	is_int(PARSE_FORM("a=1&&b=2&", &l), PARSE_OK, "form: empty pairs");
	is_int(l.len, 2, "form: empty pairs skipped");
	is_str(l.items[1].key, "b", "form: pair after an empty one kept");
	kvlist_free(&l);

	is_int(PARSE_FORM("&&&", &l), PARSE_OK, "form: only separators");
	is_int(l.len, 0, "form: only separators gives nothing");
	is_int(PARSE_FORM("", &l), PARSE_OK, "form: empty input");
	is_int(l.len, 0, "form: empty input gives nothing");

	is_int(PARSE_FORM("flag&x=", &l), PARSE_OK, "form: key without '='");
	is_str(kvlist_get(&l, "flag"), "", "form: key without '=' has the empty value");
	is_str(kvlist_get(&l, "x"), "", "form: 'x=' has the empty value");
	is_int(l.items[1].val_len, 0, "form: empty value length 0");
	kvlist_free(&l);

	is_int(PARSE_FORM("a=1=2&=v", &l), PARSE_OK, "form: '=' inside a value");
	is_str(kvlist_get(&l, "a"), "1=2", "form: value keeps later '='");
	is_str(kvlist_get(&l, ""), "v", "form: empty key is kept as \"\"");
	kvlist_free(&l);

	is_int(PARSE_FORM("tag=a&x=1&tag=b&tag=c", &l), PARSE_OK, "form: duplicates");
	is_int(kvlist_count(&l, "tag"), 3, "form: duplicates all kept");
	is_str(kvlist_get(&l, "tag"), "a", "form: get gives the first duplicate");
	ok(strcmp(l.items[0].val, "a") == 0 && strcmp(l.items[2].val, "b") == 0 &&
	    strcmp(l.items[3].val, "c") == 0, "form: duplicates in input order");
	is_int(kvlist_count(&l, "nope"), 0, "form: count of an absent key");
	ok(kvlist_get(&l, "nope") == NULL, "form: get of an absent key is NULL");
	kvlist_free(&l);

	is_int(parse_urlencoded("a=1&b=2xyz", 7, &l), PARSE_OK, "form: reads only len bytes");
	is_str(kvlist_get(&l, "b"), "2", "form: value ends at len");
	kvlist_free(&l);

	/* Errors leave the list as it was, including pairs already parsed in the same call. */
	kvlist_add(&l, "keep", "me", 2);
	is_int(PARSE_FORM("a=1&b=%zz", &l), PARSE_BAD_ENCODING, "form: bad escape refused");
	is_int(l.len, 1, "form: bad escape leaves the list unchanged");
	is_int(PARSE_FORM("a=1&b=%4", &l), PARSE_BAD_ENCODING, "form: short escape refused");
	is_int(PARSE_FORM("a=%FF", &l), PARSE_BAD_UTF8, "form: invalid UTF-8 value refused");
	is_int(PARSE_FORM("%C0%AF=1", &l), PARSE_BAD_UTF8, "form: overlong in a key refused");
	is_int(PARSE_FORM("a=x%00y", &l), PARSE_BAD_UTF8, "form: %%00 refused");
	is_int(PARSE_FORM("a=x\xffy", &l), PARSE_BAD_UTF8, "form: raw invalid byte refused");
	is_int(l.len, 1, "form: failures left the list unchanged");
	is_str(kvlist_get(&l, "keep"), "me", "form: earlier item intact");
	kvlist_free(&l);

	/* PARSE_MAX_FIELDS pairs pass, one more does not. */
	for (i = 0; i < PARSE_MAX_FIELDS; i++)
		buf_printf(&b, "%sf%zu=%zu", i ? "&" : "", i, i);
	is_int(parse_urlencoded(b.data, b.len, &l), PARSE_OK, "form: %d fields accepted", PARSE_MAX_FIELDS);
	is_int(l.len, PARSE_MAX_FIELDS, "form: all %d fields kept", PARSE_MAX_FIELDS);
	is_str(kvlist_get(&l, "f255"), "255", "form: last field present");
	kvlist_free(&l);
	/* Empty pairs are not fields. */
	buf_puts(&b, "&&&&");
	is_int(parse_urlencoded(b.data, b.len, &l), PARSE_OK, "form: empty pairs do not count as fields");
	kvlist_free(&l);
	buf_puts(&b, "extra=");
	kvlist_add(&l, "keep", "me", 2);
	is_int(parse_urlencoded(b.data, b.len, &l), PARSE_TOO_MANY, "form: %d fields refused",
	    PARSE_MAX_FIELDS + 1);
	is_int(l.len, 1, "form: too many fields leaves the list unchanged");
	is_str(l.items[0].key, "keep", "form: too many fields keeps earlier items");
	kvlist_free(&l);
	buf_free(&b);

	/* Key length limit, on decoded bytes. */
	memset(key, 'k', PARSE_MAX_KEY);
	strcpy(key + PARSE_MAX_KEY, "=v");
	is_int(parse_urlencoded(key, strlen(key), &l), PARSE_OK, "form: %d-byte key accepted", PARSE_MAX_KEY);
	is_int(strlen(l.items[0].key), PARSE_MAX_KEY, "form: long key kept whole");
	kvlist_free(&l);
	memset(key, 'k', PARSE_MAX_KEY + 1);
	strcpy(key + PARSE_MAX_KEY + 1, "=v");
	is_int(parse_urlencoded(key, strlen(key), &l), PARSE_TOO_LONG, "form: %d-byte key refused",
	    PARSE_MAX_KEY + 1);
	is_int(l.len, 0, "form: long key adds nothing");
	memset(key, 'k', PARSE_MAX_KEY + 1);
	strcpy(key + PARSE_MAX_KEY + 1, "");
	is_int(parse_urlencoded(key, strlen(key), &l), PARSE_TOO_LONG, "form: long key without '=' refused");
	for (i = 0; i < PARSE_MAX_KEY; i++)
		memcpy(key + 3 * i, "%41", 3);
	strcpy(key + 3 * PARSE_MAX_KEY, "=v");
	is_int(parse_urlencoded(key, strlen(key), &l), PARSE_OK,
	    "form: key of %d escapes (%d decoded bytes) accepted", PARSE_MAX_KEY, PARSE_MAX_KEY);
	kvlist_free(&l);
	memcpy(key + 3 * PARSE_MAX_KEY, "%41=v", 6);
	is_int(parse_urlencoded(key, strlen(key), &l), PARSE_TOO_LONG,
	    "form: key of %d escapes refused", PARSE_MAX_KEY + 1);
	kvlist_free(&l);
	memset(key, 'v', 300);
	memcpy(key, "k=", 2);
	is_int(parse_urlencoded(key, 300, &l), PARSE_OK, "form: long values are not limited here");
	is_int(l.items[0].val_len, 298, "form: long value kept whole");
	kvlist_free(&l);
}

static void
test_cookies(void)
{
	struct kvlist l;
	char *h;
	size_t i, off;

	kvlist_init(&l);
	is_int(parse_cookies("a=1; b=2", &l), PARSE_OK, "cookies: a=1; b=2");
	is_int(l.len, 2, "cookies: two pairs");
	is_str(kvlist_get(&l, "a"), "1", "cookies: a");
	is_str(kvlist_get(&l, "b"), "2", "cookies: b");
	kvlist_free(&l);

	is_int(parse_cookies("  a = 1 ;b=2;;  c=3  ;", &l), PARSE_OK, "cookies: odd spacing");
	is_str(kvlist_get(&l, "a"), "1", "cookies: spaces around name and value trimmed");
	is_str(kvlist_get(&l, "c"), "3", "cookies: trailing spaces trimmed");
	is_int(l.len, 3, "cookies: empty segments skipped");
	kvlist_free(&l);

	parse_cookies("q=\"hello world\"; e=\"\"; one=\"; t=a\"b\"", &l);
	is_str(kvlist_get(&l, "q"), "hello world", "cookies: surrounding quotes removed");
	is_str(kvlist_get(&l, "e"), "", "cookies: empty quoted value");
	is_str(kvlist_get(&l, "one"), "\"", "cookies: a lone quote is kept");
	is_str(kvlist_get(&l, "t"), "a\"b\"", "cookies: inner quotes kept");
	kvlist_free(&l);

	parse_cookies("x=a%20b; y=a+b; z=a=b", &l);
	is_str(kvlist_get(&l, "x"), "a%20b", "cookies: no percent-decoding");
	is_str(kvlist_get(&l, "y"), "a+b", "cookies: plus stays a plus");
	is_str(kvlist_get(&l, "z"), "a=b", "cookies: value keeps later '='");
	kvlist_free(&l);

	is_int(parse_cookies("junk; a=1; =nokey; b=2; e=", &l), PARSE_OK, "cookies: malformed pairs are no error");
	is_int(l.len, 3, "cookies: malformed pairs skipped");
	is_str(l.items[0].key, "a", "cookies: first good pair");
	is_str(l.items[1].key, "b", "cookies: second good pair");
	is_str(kvlist_get(&l, "e"), "", "cookies: empty value kept");
	kvlist_free(&l);

	parse_cookies("x=\xff\xfe; \xc0\xaf=1; y=caf\xc3\xa9", &l);
	is_int(l.len, 1, "cookies: pairs with invalid UTF-8 skipped");
	is_str(kvlist_get(&l, "y"), "caf\xc3\xa9", "cookies: valid UTF-8 value kept");
	kvlist_free(&l);

	parse_cookies("s=1; s=2", &l);
	is_int(kvlist_count(&l, "s"), 2, "cookies: duplicate names kept");
	is_str(kvlist_get(&l, "s"), "1", "cookies: first duplicate wins in get");
	kvlist_free(&l);

	is_int(parse_cookies(NULL, &l), PARSE_OK, "cookies: no header");
	is_int(parse_cookies("", &l), PARSE_OK, "cookies: empty header");
	is_int(parse_cookies(" ; ;", &l), PARSE_OK, "cookies: separators only");
	is_int(l.len, 0, "cookies: nothing from empty headers");

	h = xmalloc(PARSE_MAX_KEY + 16);
	memset(h, 'n', PARSE_MAX_KEY + 1);
	strcpy(h + PARSE_MAX_KEY + 1, "=1; a=2");
	parse_cookies(h, &l);
	is_int(l.len, 1, "cookies: name over %d bytes skipped", PARSE_MAX_KEY);
	kvlist_free(&l);
	strcpy(h + PARSE_MAX_KEY, "=1");
	parse_cookies(h, &l);
	is_int(l.len, 1, "cookies: %d-byte name kept", PARSE_MAX_KEY);
	kvlist_free(&l);
	free(h);

	h = xmalloc(16 * (PARSE_MAX_FIELDS + 2));
	off = 0;
	for (i = 0; i < PARSE_MAX_FIELDS; i++)
		off += (size_t)sprintf(h + off, "c%zu=%zu; ", i, i);
	is_int(parse_cookies(h, &l), PARSE_OK, "cookies: %d cookies accepted", PARSE_MAX_FIELDS);
	is_int(l.len, PARSE_MAX_FIELDS, "cookies: all %d kept", PARSE_MAX_FIELDS);
	kvlist_free(&l);
	sprintf(h + off, "one=more");
	kvlist_add(&l, "keep", "me", 2);
	is_int(parse_cookies(h, &l), PARSE_TOO_MANY, "cookies: %d cookies reported", PARSE_MAX_FIELDS + 1);
	is_int(l.len, 1 + PARSE_MAX_FIELDS, "cookies: the first %d are kept", PARSE_MAX_FIELDS);
	is_str(kvlist_get(&l, "c0"), "0", "cookies: the first cookie survives a cookie bomb");
	ok(kvlist_get(&l, "one") == NULL, "cookies: the extra one is dropped");
	kvlist_free(&l);
	free(h);
}

static void
json_fails(const char *s, size_t len, enum parse_err want, const char *desc)
{
	struct json_object *o = SENTINEL;

	is_int(parse_json(s, len, &o), want, "json: %s refused", desc);
	ok(o == SENTINEL, "json: %s leaves out alone", desc);
}

#define JSON_FAILS(lit, want, desc)	json_fails(lit, sizeof lit - 1, want, desc)

/* "[[...1...]]", "[[...]]" or {"a":{"a":...1...}}, nested depth levels. */
enum nest { NEST_ARRAYS, NEST_EMPTY_ARRAYS, NEST_OBJECTS };

static char *
nested(int depth, enum nest kind)
{
	size_t n = (size_t)depth * 6 + 8, off = 0;
	bool objects = kind == NEST_OBJECTS;
	char *s = xmalloc(n);
	int i;

	for (i = 0; i < depth; i++)
		off += (size_t)sprintf(s + off, objects ? "{\"a\":" : "[");
	if (kind != NEST_EMPTY_ARRAYS)
		off += (size_t)sprintf(s + off, "1");
	for (i = 0; i < depth; i++)
		s[off++] = objects ? '}' : ']';
	s[off] = '\0';
	return s;
}

static void
test_json(void)
{
	struct json_object *o = NULL, *v;
	struct buf b = BUF_INIT;
	char *s;
	int i;

	is_int(PARSE_JSON("{\"a\":1,\"b\":[true,null,\"x\"],\"c\":{\"d\":-1.5e3}}", &o),
	    PARSE_OK, "json: valid object");
	ok(json_object_is_type(o, json_type_object), "json: result is an object");
	ok(json_object_object_get_ex(o, "a", &v) && json_object_get_int(v) == 1, "json: member a is 1");
	json_object_put(o);

	is_int(PARSE_JSON(" \t\r\n{\"a\":\"b\"} \n\t\r ", &o), PARSE_OK, "json: whitespace around");
	json_object_put(o);
	is_int(PARSE_JSON("[1,2,3]", &o), PARSE_OK, "json: top-level array");
	is_int(json_object_array_length(o), 3, "json: array length");
	json_object_put(o);
	is_int(PARSE_JSON("42", &o), PARSE_OK, "json: a bare number ending the input");
	is_int(json_object_get_int(o), 42, "json: bare number value");
	json_object_put(o);
	is_int(parse_json("4217", 2, &o), PARSE_OK, "json: reads only len bytes");
	is_int(json_object_get_int(o), 42, "json: number ends at len");
	json_object_put(o);
	is_int(parse_json("[1]]]]", 3, &o), PARSE_OK, "json: input not NUL-terminated at len");
	json_object_put(o);
	is_int(PARSE_JSON("\"caf\xc3\xa9\"", &o), PARSE_OK, "json: UTF-8 string");
	is_str(json_object_get_string(o), "caf\xc3\xa9", "json: UTF-8 string value");
	json_object_put(o);
	is_int(PARSE_JSON("\"\\u00e9\\ud83d\\ude00\"", &o), PARSE_OK, "json: \\u escapes and a surrogate pair");
	is_str(json_object_get_string(o), "\xc3\xa9\xf0\x9f\x98\x80", "json: escapes decoded to UTF-8");
	json_object_put(o);
	is_int(PARSE_JSON("\"a\\\"b\\\\\"", &o), PARSE_OK, "json: escaped quote and backslash");
	is_str(json_object_get_string(o), "a\"b\\", "json: escaped quote and backslash value");
	json_object_put(o);
	is_int(PARSE_JSON("\"\\\\u0000\"", &o), PARSE_OK, "json: an escaped backslash before u0000 is text");
	is_str(json_object_get_string(o), "\\u0000", "json: literal backslash-u0000 text");
	json_object_put(o);
	is_int(PARSE_JSON("[1e5,-0,0.5,1E+2,true,false]", &o), PARSE_OK, "json: number forms and literals");
	json_object_put(o);
	o = SENTINEL;
	is_int(PARSE_JSON("null", &o), PARSE_OK, "json: top-level null parses");
	ok(o == NULL, "json: top-level null gives NULL");

	JSON_FAILS("{} x", PARSE_BAD_JSON, "trailing garbage");
	JSON_FAILS("{}{}", PARSE_BAD_JSON, "two documents");
	JSON_FAILS("[1]]", PARSE_BAD_JSON, "extra bracket");
	JSON_FAILS("1 2", PARSE_BAD_JSON, "two numbers");
	JSON_FAILS("", PARSE_BAD_JSON, "empty body");
	JSON_FAILS("   ", PARSE_BAD_JSON, "whitespace only");
	JSON_FAILS("{\"a\":}", PARSE_BAD_JSON, "missing value");
	JSON_FAILS("[1,]", PARSE_BAD_JSON, "trailing comma in array");
	JSON_FAILS("{\"a\":1,}", PARSE_BAD_JSON, "trailing comma in object");
	JSON_FAILS("{'a':1}", PARSE_BAD_JSON, "single-quoted name");
	JSON_FAILS("{\"a\":'b'}", PARSE_BAD_JSON, "single-quoted value");
	JSON_FAILS("{a:1}", PARSE_BAD_JSON, "bare name");
	JSON_FAILS("NaN", PARSE_BAD_JSON, "NaN");
	JSON_FAILS("[Infinity]", PARSE_BAD_JSON, "Infinity");
	JSON_FAILS("[-Infinity]", PARSE_BAD_JSON, "-Infinity");
	JSON_FAILS("[nan]", PARSE_BAD_JSON, "nan");
	JSON_FAILS("[1.]", PARSE_BAD_JSON, "1.");
	JSON_FAILS("[.5]", PARSE_BAD_JSON, ".5");
	JSON_FAILS("[01]", PARSE_BAD_JSON, "leading zero");
	JSON_FAILS("[+1]", PARSE_BAD_JSON, "leading plus");
	JSON_FAILS("[0x10]", PARSE_BAD_JSON, "hex number");
	JSON_FAILS("[True]", PARSE_BAD_JSON, "True");
	JSON_FAILS("[tru]", PARSE_BAD_JSON, "tru");
	JSON_FAILS("\"tab\there\"", PARSE_BAD_JSON, "raw tab in a string");
	JSON_FAILS("\"line\nbreak\"", PARSE_BAD_JSON, "raw newline in a string");
	JSON_FAILS("\"\\x41\"", PARSE_BAD_JSON, "\\x escape");
	JSON_FAILS("\"abc", PARSE_BAD_JSON, "unterminated string");
	JSON_FAILS("/*c*/{}", PARSE_BAD_JSON, "comment");
	JSON_FAILS("\xef\xbb\xbf{}", PARSE_BAD_JSON, "byte order mark");
	JSON_FAILS("\v{}", PARSE_BAD_JSON, "vertical tab as whitespace");

	JSON_FAILS("{\"a\":\"\xff\"}", PARSE_BAD_UTF8, "\\xff in a string");
	JSON_FAILS("{\"a\":\"\xc0\xaf\"}", PARSE_BAD_UTF8, "overlong in a string");
	JSON_FAILS("{\"a\":\"\xed\xa0\x80\"}", PARSE_BAD_UTF8, "surrogate in a string");
	JSON_FAILS("{\"\xc3\":1}", PARSE_BAD_UTF8, "truncated sequence in a name");
	JSON_FAILS("{\"a\":\"x\0y\"}", PARSE_BAD_UTF8, "raw NUL in a string");
	JSON_FAILS("{\"a\":1}\0", PARSE_BAD_UTF8, "NUL after the document");
	JSON_FAILS("\"a\\u0000b\"", PARSE_BAD_UTF8, "\\u0000 in a string");
	JSON_FAILS("{\"a\\u0000b\":1}", PARSE_BAD_UTF8, "\\u0000 in a name");

	s = nested(PARSE_MAX_JSON_DEPTH, NEST_ARRAYS);
	is_int(parse_json(s, strlen(s), &o), PARSE_OK, "json: arrays nested %d deep accepted",
	    PARSE_MAX_JSON_DEPTH);
	json_object_put(o);
	free(s);
	s = nested(PARSE_MAX_JSON_DEPTH + 1, NEST_ARRAYS);
	json_fails(s, strlen(s), PARSE_TOO_DEEP, "arrays nested 33 deep");
	free(s);
	s = nested(PARSE_MAX_JSON_DEPTH, NEST_EMPTY_ARRAYS);
	is_int(parse_json(s, strlen(s), &o), PARSE_OK, "json: empty arrays nested %d deep accepted",
	    PARSE_MAX_JSON_DEPTH);
	json_object_put(o);
	free(s);
	s = nested(PARSE_MAX_JSON_DEPTH + 1, NEST_EMPTY_ARRAYS);
	json_fails(s, strlen(s), PARSE_TOO_DEEP, "empty arrays nested 33 deep");
	free(s);
	s = nested(PARSE_MAX_JSON_DEPTH, NEST_OBJECTS);
	is_int(parse_json(s, strlen(s), &o), PARSE_OK, "json: objects nested %d deep accepted",
	    PARSE_MAX_JSON_DEPTH);
	json_object_put(o);
	free(s);
	s = nested(PARSE_MAX_JSON_DEPTH + 1, NEST_OBJECTS);
	json_fails(s, strlen(s), PARSE_TOO_DEEP, "objects nested 33 deep");
	free(s);
	s = nested(1000, NEST_ARRAYS);
	json_fails(s, strlen(s), PARSE_TOO_DEEP, "arrays nested 1000 deep");
	free(s);
	s = xmalloc(4 * PARSE_MAX_JSON_DEPTH + 16);
	memset(s, '[', PARSE_MAX_JSON_DEPTH);
	strcpy(s + PARSE_MAX_JSON_DEPTH, "\"[{[{\"");
	memset(s + PARSE_MAX_JSON_DEPTH + 6, ']', PARSE_MAX_JSON_DEPTH);
	s[2 * PARSE_MAX_JSON_DEPTH + 6] = '\0';
	o = NULL;
	is_int(parse_json(s, strlen(s), &o), PARSE_OK, "json: brackets inside strings do not count as nesting");
	json_object_put(o);
	free(s);
	buf_puts(&b, "[");
	for (i = 0; i < 2 * PARSE_MAX_JSON_DEPTH; i++)
		buf_puts(&b, "[{}],");
	buf_puts(&b, "[]]");
	is_int(parse_json(b.data, b.len, &o), PARSE_OK, "json: many siblings are not depth");
	json_object_put(o);
	buf_free(&b);
}

static void
media_is(const char *h, size_t outlen, const char *want, const char *desc)
{
	char out[64];

	memset(out, 'Z', sizeof out);
	parse_media_type(h, out, outlen);
	is_str(out, want, "media type: %s", desc);
}

static void
test_media_type(void)
{
	char out[4] = "xyz";

	media_is("application/json", 64, "application/json", "plain");
	media_is("application/json; charset=utf-8", 64, "application/json", "parameters dropped");
	media_is("Application/JSON;Charset=UTF-8", 64, "application/json", "lowercased");
	media_is("  text/html ; charset=utf-8", 64, "text/html", "spaces trimmed");
	media_is("multipart/form-data; boundary=----x", 64, "multipart/form-data", "multipart with boundary");
	media_is("application/x-www-form-urlencoded", 64, "application/x-www-form-urlencoded", "form type");
	media_is("", 64, "", "empty header");
	media_is(NULL, 64, "", "no header");
	media_is("; charset=utf-8", 64, "", "parameters only");
	media_is("application/json", 17, "application/json", "exact fit");
	media_is("application/json", 16, "", "too long for the buffer gives empty");
	media_is("application/jsonx", 17, "", "a longer type is not cut to a shorter one");
	parse_media_type("text/html", out, 0);
	is_str(out, "xyz", "media type: zero-size buffer untouched");
}

static void
test_uuid(void)
{
	ok(parse_is_uuid("123e4567-e89b-12d3-a456-426614174000"), "uuid: lowercase");
	ok(parse_is_uuid("123E4567-E89B-12D3-A456-426614174000"), "uuid: uppercase");
	ok(parse_is_uuid("00000000-0000-0000-0000-000000000000"), "uuid: nil");
	ok(!parse_is_uuid("123e4567e89b12d3a456426614174000"), "uuid: without hyphens refused");
	ok(!parse_is_uuid("123e4567-e89b-12d3-a456-42661417400"), "uuid: 35 characters refused");
	ok(!parse_is_uuid("123e4567-e89b-12d3-a456-4266141740000"), "uuid: 37 characters refused");
	ok(!parse_is_uuid("123e4567-e89b-12d3-a456-42661417400g"), "uuid: non-hex refused");
	ok(!parse_is_uuid("123e4567-e89b-12d3a-456-426614174000"), "uuid: hyphen misplaced refused");
	ok(!parse_is_uuid("{123e4567-e89b-12d3-a456-426614174000}"), "uuid: braces refused");
	ok(!parse_is_uuid(" 123e4567-e89b-12d3-a456-42661417400"), "uuid: leading space refused");
	ok(!parse_is_uuid(""), "uuid: empty refused");
	ok(!parse_is_uuid(NULL), "uuid: NULL refused");
	ok(!parse_is_uuid("new"), "uuid: a word refused");
}

static void
test_strerror(void)
{
	int e, f, distinct = 1;

	is_str(parse_strerror(PARSE_BAD_JSON), "the request body is not valid JSON", "strerror: bad JSON");
	ok(strstr(parse_strerror(PARSE_BAD_UTF8), "UTF-8") != NULL, "strerror: UTF-8 message names UTF-8");
	ok(strstr(parse_strerror(PARSE_TOO_MANY), "256") != NULL, "strerror: too many names the limit");
	ok(strstr(parse_strerror(PARSE_TOO_LONG), "128") != NULL, "strerror: too long names the limit");
	ok(strstr(parse_strerror(PARSE_TOO_DEEP), "32") != NULL, "strerror: too deep names the limit");
	for (e = 1; e < PARSE__MAX; e++)
		for (f = e + 1; f < PARSE__MAX; f++)
			if (strcmp(parse_strerror(e), parse_strerror(f)) == 0)
				distinct = 0;
	ok(distinct, "strerror: every error has its own message");
	ok(parse_strerror(PARSE__MAX) != NULL && parse_strerror((enum parse_err)-1) != NULL,
	    "strerror: out-of-range values still give a message");
}

int
main(void)
{
	test_utf8();
	test_url_decode();
	test_kvlist();
	test_urlencoded();
	test_cookies();
	test_json();
	test_media_type();
	test_uuid();
	test_strerror();
	return done_testing();
}
