/* parse.c: pure parsers for outside input: URL-encoding, forms, cookies, JSON (UTF-8 checks: utf8.c). */
#include "parse.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json_object.h>
#include <json-c/json_tokener.h>

#include "text.h"
#include "xalloc.h"

#define STR_(x)	#x
#define STR(x)	STR_(x)

static const char *const parse_messages[] = {
	[PARSE_OK] = "no error",
	[PARSE_BAD_ENCODING] =
	    "the request contains a malformed percent-encoding (%XX) escape",
	[PARSE_BAD_UTF8] =
	    "the request contains text that is not valid UTF-8, or a NUL character",
	[PARSE_TOO_MANY] = "the request has too many fields (at most "
	    STR(PARSE_MAX_FIELDS) ")",
	[PARSE_TOO_LONG] = "a field name in the request is too long (at most "
	    STR(PARSE_MAX_KEY) " bytes)",
	[PARSE_BAD_JSON] = "the request body is not valid JSON",
	[PARSE_TOO_DEEP] = "the request body is JSON nested too deeply (at most "
	    STR(PARSE_MAX_JSON_DEPTH) " levels)",
};
_Static_assert(sizeof parse_messages / sizeof parse_messages[0] == PARSE__MAX,
    "parse_messages must have one entry per enum parse_err");

const char *
parse_strerror(enum parse_err e)
{
	if ((unsigned)e >= PARSE__MAX)
		return "the request could not be parsed";
	return parse_messages[e];
}

/*
 * kvlist
 */

void
kvlist_init(struct kvlist *l)
{
	l->items = NULL;
	l->len = 0;
	l->cap = 0;
}

/* Drops items past keep, so a failed parse leaves the list as it found it. */
static void
kvlist_truncate(struct kvlist *l, size_t keep)
{
	while (l->len > keep) {
		l->len--;
		free(l->items[l->len].key);
		free(l->items[l->len].val);
	}
}

void
kvlist_free(struct kvlist *l)
{
	kvlist_truncate(l, 0);
	free(l->items);
	kvlist_init(l);
}

/* Appends a pair; takes key and val (both already allocated). */
static void
kvlist_push(struct kvlist *l, char *key, char *val, size_t val_len)
{
	if (l->len == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;

		l->items = xrealloc(l->items, cap * sizeof l->items[0]);
		l->cap = cap;
	}
	l->items[l->len].key = key;
	l->items[l->len].val = val;
	l->items[l->len].val_len = val_len;
	l->len++;
}

void
kvlist_add(struct kvlist *l, const char *key, const char *val, size_t val_len)
{
	char *v;

	v = xmalloc(val_len + 1);
	if (val_len > 0)
		memcpy(v, val, val_len);
	v[val_len] = '\0';
	kvlist_push(l, xstrdup(key != NULL ? key : ""), v, val_len);
}

const char *
kvlist_get(const struct kvlist *l, const char *key)
{
	size_t i;

	for (i = 0; i < l->len; i++)
		if (strcmp(l->items[i].key, key) == 0)
			return l->items[i].val;
	return NULL;
}

size_t
kvlist_count(const struct kvlist *l, const char *key)
{
	size_t i, n = 0;

	for (i = 0; i < l->len; i++)
		if (strcmp(l->items[i].key, key) == 0)
			n++;
	return n;
}

/*
 * Percent-decoding
 */

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Decodes s[0..len) into dst, which has room for len + 1 bytes (decoding
 * never grows the text). dst is NUL-terminated even on failure.
 */
static enum parse_err
decode_into(const char *s, size_t len, bool plus_is_space, char *dst,
    size_t *dstlen)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i, n = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c == '%') {
			if (len - i < 3 || (hi = hexval(p[i + 1])) < 0 ||
			    (lo = hexval(p[i + 2])) < 0) {
				dst[n] = '\0';
				return PARSE_BAD_ENCODING;
			}
			c = (unsigned char)(hi << 4 | lo);
			i += 2;
		} else if (c == '+' && plus_is_space)
			c = ' ';
		if (c == '\0') {
			/* C strings downstream would silently cut the text. */
			dst[n] = '\0';
			return PARSE_BAD_UTF8;
		}
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	if (!utf8_valid(dst, n))
		return PARSE_BAD_UTF8;
	*dstlen = n;
	return PARSE_OK;
}

enum parse_err
url_decode(const char *s, size_t len, bool plus_is_space, char **out,
    size_t *outlen)
{
	enum parse_err err;
	char *dst;
	size_t n = 0;

	dst = xmalloc(len + 1);
	if ((err = decode_into(s, len, plus_is_space, dst, &n)) != PARSE_OK) {
		free(dst);
		return err;
	}
	*out = dst;
	if (outlen != NULL)
		*outlen = n;
	return PARSE_OK;
}

enum parse_err
parse_urlencoded(const char *s, size_t len, struct kvlist *out)
{
	const char *p = s, *end, *amp, *eq, *kend, *vstart;
	size_t mark = out->len, nfields = 0, klen, vlen;
	enum parse_err err = PARSE_OK;
	char *key, *val;

	if (s == NULL)
		return PARSE_OK;
	end = s + len;
	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp > p) {
			eq = memchr(p, '=', (size_t)(amp - p));
			kend = eq != NULL ? eq : amp;
			vstart = eq != NULL ? eq + 1 : amp;
			if (++nfields > PARSE_MAX_FIELDS) {
				err = PARSE_TOO_MANY;
				break;
			}
			/* Each decoded byte takes at most three input bytes. */
			if ((size_t)(kend - p) > 3 * (size_t)PARSE_MAX_KEY) {
				err = PARSE_TOO_LONG;
				break;
			}
			err = url_decode(p, (size_t)(kend - p), true, &key, &klen);
			if (err != PARSE_OK)
				break;
			if (klen > PARSE_MAX_KEY) {
				free(key);
				err = PARSE_TOO_LONG;
				break;
			}
			err = url_decode(vstart, (size_t)(amp - vstart), true, &val,
			    &vlen);
			if (err != PARSE_OK) {
				free(key);
				break;
			}
			kvlist_push(out, key, val, vlen);
		}
		if (amp == end)
			break;
		p = amp + 1;
	}
	if (err != PARSE_OK)
		kvlist_truncate(out, mark);
	return err;
}

/*
 * Cookies
 */

enum parse_err
parse_cookies(const char *header, struct kvlist *out)
{
	const char *p = header, *seg, *semi, *eq, *ne, *vs, *ve;
	size_t n = 0;

	if (header == NULL)
		return PARSE_OK;
	while (*p != '\0') {
		while (is_hspace((unsigned char)*p) || *p == ';')
			p++;
		if (*p == '\0')
			break;
		seg = p;
		if ((semi = strchr(seg, ';')) == NULL)
			semi = seg + strlen(seg);
		p = semi;
		/* Browsers skip pairs without '=' or with an empty name. */
		if ((eq = memchr(seg, '=', (size_t)(semi - seg))) == NULL)
			continue;
		ne = eq;
		while (ne > seg && is_hspace((unsigned char)ne[-1]))
			ne--;
		vs = eq + 1;
		ve = semi;
		while (vs < ve && is_hspace((unsigned char)*vs))
			vs++;
		while (ve > vs && is_hspace((unsigned char)ve[-1]))
			ve--;
		if (ve - vs >= 2 && *vs == '"' && ve[-1] == '"') {
			vs++;
			ve--;
		}
		if (ne == seg || (size_t)(ne - seg) > PARSE_MAX_KEY ||
		    !utf8_valid(seg, (size_t)(ne - seg)) ||
		    !utf8_valid(vs, (size_t)(ve - vs)))
			continue;
		/* Keep what came first: a cookie bomb should not log anyone out. */
		if (++n > PARSE_MAX_FIELDS)
			return PARSE_TOO_MANY;
		kvlist_push(out, xstrndup(seg, (size_t)(ne - seg)),
		    xstrndup(vs, (size_t)(ve - vs)), (size_t)(ve - vs));
	}
	return PARSE_OK;
}

/*
 * JSON
 */

/*
 * Bytes JSON allows outside strings (RFC 8259); the letters are those of
 * true, false, null and exponents.
 */
static const unsigned char json_outside_ok[256] = {
	[' '] = 1, ['\t'] = 1, ['\n'] = 1, ['\r'] = 1,
	['{'] = 1, ['}'] = 1, ['['] = 1, [']'] = 1, [','] = 1, [':'] = 1,
	['0'] = 1, ['1'] = 1, ['2'] = 1, ['3'] = 1, ['4'] = 1,
	['5'] = 1, ['6'] = 1, ['7'] = 1, ['8'] = 1, ['9'] = 1,
	['-'] = 1, ['+'] = 1, ['.'] = 1, ['e'] = 1, ['E'] = 1,
	['t'] = 1, ['r'] = 1, ['u'] = 1, ['f'] = 1, ['a'] = 1,
	['l'] = 1, ['s'] = 1, ['n'] = 1,
};

/*
 * json-c's strict mode still takes NaN, Infinity, single-quoted strings, raw
 * control characters in strings and "1."; one pass over the text refuses
 * those, as well as NUL bytes and \u0000 escapes, which C strings (and
 * PostgreSQL text) cannot hold. It also counts nesting, because json-c counts
 * a scalar inside the innermost array as one more level and we do not.
 */
static enum parse_err
json_prescan(const unsigned char *p, size_t len)
{
	size_t i, depth = 0;
	bool in_str = false;

	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (c == '\0')
			return PARSE_BAD_UTF8;
		if (in_str) {
			if (c == '"')
				in_str = false;
			else if (c < 0x20)
				return PARSE_BAD_JSON;
			else if (c == '\\' && i + 1 < len) {
				if (p[i + 1] == 'u' && len - i >= 6 &&
				    memcmp(p + i + 2, "0000", 4) == 0)
					return PARSE_BAD_UTF8;
				i++;	/* an escaped '"' does not end the string */
				if (p[i] == '\0')
					return PARSE_BAD_UTF8;
			}
		} else if (c == '"')
			in_str = true;
		else if (c == '[' || c == '{') {
			if (++depth > PARSE_MAX_JSON_DEPTH)
				return PARSE_TOO_DEEP;
		} else if (c == ']' || c == '}') {
			if (depth > 0)
				depth--;
		} else if (!json_outside_ok[c])
			return PARSE_BAD_JSON;
		else if (c == '.' && (i + 1 == len || p[i + 1] < '0' ||
		    p[i + 1] > '9'))
			return PARSE_BAD_JSON;
	}
	return PARSE_OK;
}

enum parse_err
parse_json(const char *s, size_t len, struct json_object **out)
{
	struct json_tokener *tok;
	struct json_object *obj;
	enum json_tokener_error jerr;
	enum parse_err err;
	size_t end, i;

	if (s == NULL || len == 0 || len > INT_MAX)
		return PARSE_BAD_JSON;
	if (!utf8_valid(s, len))
		return PARSE_BAD_UTF8;
	if ((err = json_prescan((const unsigned char *)s, len)) != PARSE_OK)
		return err;
	/* One level more for the innermost scalar; json_prescan holds ours. */
	if ((tok = json_tokener_new_ex(PARSE_MAX_JSON_DEPTH + 1)) == NULL)
		return PARSE_BAD_JSON;	/* only on out-of-memory */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	obj = json_tokener_parse_ex(tok, s, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (obj == NULL && jerr == json_tokener_continue) {
		/* A bare number at the very end needs to see the end. */
		obj = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
		end = len;
	}
	json_tokener_free(tok);
	if (jerr != json_tokener_success) {
		json_object_put(obj);
		return jerr == json_tokener_error_depth ? PARSE_TOO_DEEP :
		    PARSE_BAD_JSON;
	}
	for (i = end; i < len; i++) {
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' &&
		    s[i] != '\r') {
			json_object_put(obj);
			return PARSE_BAD_JSON;
		}
	}
	*out = obj;
	return PARSE_OK;
}

/*
 * Headers and identifiers
 */

void
parse_media_type(const char *header, char *out, size_t outlen)
{
	const char *p, *e;
	size_t n, i;

	if (outlen == 0)
		return;
	out[0] = '\0';
	if (header == NULL)
		return;
	p = header;
	while (is_hspace((unsigned char)*p))
		p++;
	e = p;
	while (*e != '\0' && *e != ';')
		e++;
	while (e > p && is_hspace((unsigned char)e[-1]))
		e--;
	n = (size_t)(e - p);
	/* Cut, "application/jsonx" would pass for "application/json". */
	if (n >= outlen)
		return;
	for (i = 0; i < n; i++) {
		char c = p[i];

		out[i] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
	}
	out[n] = '\0';
}

bool
parse_is_uuid(const char *s)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return false;
		} else if (hexval((unsigned char)s[i]) < 0)
			return false;	/* also stops at the terminating NUL */
	}
	return s[36] == '\0';
}
