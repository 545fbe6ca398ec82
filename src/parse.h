/* parse.h: pure parsers for outside input: URL-encoding, forms, cookies and JSON bodies, all checked to be UTF-8. */
#ifndef PARLEY_PARSE_H
#define PARLEY_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "utf8.h"	/* the parsers refuse what utf8_valid refuses; their callers check with it */

struct json_object;

/* Hard limits: input past them is refused, never truncated silently. */
#define PARSE_MAX_FIELDS	256	/* pairs per query string, form or cookie header */
#define PARSE_MAX_KEY		128	/* bytes in a decoded field name */
#define PARSE_MAX_JSON_DEPTH	32	/* nesting of arrays/objects in a JSON body */

struct kv {
	char	*key;		/* decoded, NUL-terminated, valid UTF-8 */
	char	*val;		/* decoded, NUL-terminated, valid UTF-8, no NUL bytes inside */
	size_t	 val_len;
};

struct kvlist {
	struct kv	*items;
	size_t		 len;
	size_t		 cap;
};

enum parse_err {
	PARSE_OK = 0,
	PARSE_BAD_ENCODING,	/* malformed %XX escape */
	PARSE_BAD_UTF8,		/* decoded bytes are not valid UTF-8, or contain NUL */
	PARSE_TOO_MANY,		/* more than PARSE_MAX_FIELDS pairs */
	PARSE_TOO_LONG,		/* a key longer than PARSE_MAX_KEY */
	PARSE_BAD_JSON,		/* syntax error, trailing garbage, or not valid UTF-8 */
	PARSE_TOO_DEEP,		/* JSON nested deeper than PARSE_MAX_JSON_DEPTH */
	PARSE__MAX
};

/* A short English message for each error, for the 400 answer. */
const char	*parse_strerror(enum parse_err e);

void		 kvlist_init(struct kvlist *l);
void		 kvlist_free(struct kvlist *l);		/* accepts an empty or zeroed list */
void		 kvlist_add(struct kvlist *l, const char *key, const char *val, size_t val_len); /* copies both */
const char	*kvlist_get(const struct kvlist *l, const char *key);	/* first value or NULL */
size_t		 kvlist_count(const struct kvlist *l, const char *key);

/*
 * Decodes %XX escapes and, when plus_is_space, '+' as a space.
 * Writes a NUL-terminated result to a new string (caller frees) and its length.
 * Returns PARSE_OK, PARSE_BAD_ENCODING or PARSE_BAD_UTF8 (also for a decoded NUL).
 * *out is set only on PARSE_OK.
 */
enum parse_err	 url_decode(const char *s, size_t len, bool plus_is_space, char **out, size_t *outlen);

/*
 * Parses a query string or application/x-www-form-urlencoded body into out
 * (appended; out must be initialised). Empty pairs ("a=1&&b=2") are skipped;
 * a key without '=' gets the empty value. On error, out is left as it was.
 */
enum parse_err	 parse_urlencoded(const char *s, size_t len, struct kvlist *out);

/*
 * Parses a Cookie header ("a=1; b=2"). Values are taken as they are (no
 * percent-decoding), surrounding double quotes removed. Malformed pairs are
 * skipped, as browsers send what they were given. Past PARSE_MAX_FIELDS
 * pairs, the first ones are kept and PARSE_TOO_MANY is returned.
 */
enum parse_err	 parse_cookies(const char *header, struct kvlist *out);

/*
 * Parses a whole JSON document: strict syntax, nothing but whitespace after
 * it, valid UTF-8, depth at most PARSE_MAX_JSON_DEPTH. On PARSE_OK, *out is a
 * new reference the caller puts (json_object_put); a body of just `null`
 * gives PARSE_OK with *out NULL, so callers check for an object.
 */
enum parse_err	 parse_json(const char *s, size_t len, struct json_object **out);

/*
 * The media type of a Content-Type header, lowercased, without parameters,
 * into out ("application/json; charset=utf-8" -> "application/json").
 */
void		 parse_media_type(const char *header, char *out, size_t outlen);

/* True when s is a UUID in canonical 8-4-4-4-12 hex form (either case). */
bool		 parse_is_uuid(const char *s);

#endif
