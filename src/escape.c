/* escape.c: escapers for HTML text and attributes, URL components and JSON inside HTML. */
#include "escape.h"

#include <string.h>

/*
 * Each escaper copies runs of safe bytes with one append and only stops for
 * the bytes that need rewriting: templates pass whole paragraphs through
 * here, and most text has nothing to escape.
 */

void
esc_html(struct buf *out, const char *s, size_t len)
{
	const char *run = s, *end = s + len;
	const char *rep;

	for (; s < end; s++) {
		switch (*s) {
		case '&':
			rep = "&amp;";
			break;
		case '<':
			rep = "&lt;";
			break;
		case '>':
			rep = "&gt;";
			break;
		case '"':
			rep = "&quot;";
			break;
		case '\'':
			/* &#39; rather than &apos;, which HTML 4 lacks. */
			rep = "&#39;";
			break;
		default:
			continue;
		}
		if (s > run)
			buf_append(out, run, (size_t)(s - run));
		buf_puts(out, rep);
		run = s + 1;
	}
	if (end > run)
		buf_append(out, run, (size_t)(end - run));
}

/* RFC 3986 unreserved characters: the only ones safe in every URL component. */
static int
url_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

void
esc_url(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789ABCDEF";
	const char *run = s, *end = s + len;
	char pct[3];

	for (; s < end; s++) {
		unsigned char c = (unsigned char)*s;

		if (url_unreserved(c))
			continue;
		if (s > run)
			buf_append(out, run, (size_t)(s - run));
		pct[0] = '%';
		pct[1] = hex[c >> 4];
		pct[2] = hex[c & 0x0f];
		buf_append(out, pct, sizeof pct);
		run = s + 1;
	}
	if (end > run)
		buf_append(out, run, (size_t)(end - run));
}

void
esc_json(struct buf *out, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *run = p, *end = p + len;
	char u[6] = { '\\', 'u', '0', '0', '0', '0' };
	const char *rep;
	size_t skip;

	for (; p < end; p++) {
		skip = 1;
		rep = NULL;
		switch (*p) {
		case '"':
			rep = "\\\"";
			break;
		case '\\':
			rep = "\\\\";
			break;
		case '\n':
			rep = "\\n";
			break;
		case '\r':
			rep = "\\r";
			break;
		case '\t':
			rep = "\\t";
			break;
		case '<':	/* </script> and <!-- must not survive inside a script element */
		case '>':
		case '&':
		case '/':
		case '\'':	/* safe inside a single-quoted HTML attribute too */
			break;
		case 0xe2:
			/*
			 * U+2028 and U+2029 are valid in JSON but end a line
			 * in older JavaScript, breaking the script around it.
			 */
			if (end - p >= 3 && p[1] == 0x80 &&
			    (p[2] == 0xa8 || p[2] == 0xa9)) {
				rep = p[2] == 0xa8 ? "\\u2028" : "\\u2029";
				skip = 3;
				break;
			}
			continue;
		default:
			if (*p >= 0x20 && *p != 0x7f)
				continue;
			break;
		}
		if (p > run)
			buf_append(out, run, (size_t)(p - run));
		if (rep != NULL)
			buf_puts(out, rep);
		else {
			u[4] = hex[*p >> 4];
			u[5] = hex[*p & 0x0f];
			buf_append(out, u, sizeof u);
		}
		p += skip - 1;
		run = p + 1;
	}
	if (end > run)
		buf_append(out, run, (size_t)(end - run));
}
