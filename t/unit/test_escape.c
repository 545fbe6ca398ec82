/* test_escape.c: the escapers, one context each: HTML, a URL component, JSON inside HTML. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "escape.h"
#include "../tap.h"

typedef void escaper(struct buf *, const char *, size_t);

/* What esc makes of the first len bytes of s, appended after prefix (caller frees). */
static char *
escaped_after(escaper *esc, const char *prefix, const char *s, size_t len)
{
	struct buf b = BUF_INIT;

	buf_puts(&b, prefix);
	esc(&b, s, len);
	return buf_detach(&b);
}

/* Checks what esc makes of the whole of s (a literal; NUL bytes inside count). */
#define ESC_IS(esc, lit, want, desc) do {					\
	char *got_ = escaped_after(esc, "", lit, sizeof lit - 1);		\
	is_str(got_, want, "%s", desc);						\
	free(got_);								\
} while (0)

static void
test_html(void)
{
	char *s;

	ESC_IS(esc_html, "&", "&amp;", "html: & becomes &amp;");
	ESC_IS(esc_html, "<", "&lt;", "html: < becomes &lt;");
	ESC_IS(esc_html, ">", "&gt;", "html: > becomes &gt;");
	ESC_IS(esc_html, "\"", "&quot;", "html: \" becomes &quot; (attribute values stay closed)");
	ESC_IS(esc_html, "'", "&#39;", "html: ' becomes &#39; (not &apos;, unknown to HTML 4)");
	ESC_IS(esc_html, "<script>alert('x')</script>",
	    "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;", "html: a script tag is inert");
	ESC_IS(esc_html, "\" onmouseover=\"x", "&quot; onmouseover=&quot;x",
	    "html: an attribute cannot be broken out of");
	ESC_IS(esc_html, "&amp;", "&amp;amp;", "html: an entity already there is escaped again (shown as typed)");
	ESC_IS(esc_html, "plain text, 100% safe / ok", "plain text, 100% safe / ok",
	    "html: text without specials is copied as it is");
	ESC_IS(esc_html, "caf\xc3\xa9 \xf0\x9f\x8d\x8e", "caf\xc3\xa9 \xf0\x9f\x8d\x8e",
	    "html: UTF-8 passes through untouched");
	ESC_IS(esc_html, "a\nb\tc", "a\nb\tc", "html: line breaks and tabs are kept");
	ESC_IS(esc_html, "", "", "html: nothing in, nothing out");
	ESC_IS(esc_html, "<<&&>>", "&lt;&lt;&amp;&amp;&gt;&gt;", "html: runs of specials, each replaced");
	ESC_IS(esc_html, "a<b", "a&lt;b", "html: text on both sides of a special is kept");

	s = escaped_after(esc_html, "", "<b>bold</b>", 3);
	is_str(s, "&lt;b&gt;", "html: only len bytes are read");
	free(s);
	s = escaped_after(esc_html, "x=", "a&b", 3);
	is_str(s, "x=a&amp;b", "html: appends to what the buffer holds");
	free(s);
}

static void
test_url(void)
{
	ESC_IS(esc_url, "AZaz09-._~", "AZaz09-._~", "url: unreserved characters stay");
	ESC_IS(esc_url, " ", "%20", "url: a space becomes %20 (never +)");
	ESC_IS(esc_url, "+", "%2B", "url: + is escaped, so it is not read as a space");
	ESC_IS(esc_url, "/tasks?filter=all&x=1#top", "%2Ftasks%3Ffilter%3Dall%26x%3D1%23top",
	    "url: / ? = & and the hash sign are escaped (one component cannot add another)");
	ESC_IS(esc_url, "%", "%25", "url: % itself is escaped");
	ESC_IS(esc_url, "caf\xc3\xa9", "caf%C3%A9", "url: UTF-8 bytes become upper-case %XX");
	ESC_IS(esc_url, "a\0b", "a%00b", "url: a NUL byte inside is escaped, not an end");
	ESC_IS(esc_url, "\r\n", "%0D%0A", "url: CR LF cannot split a header");
	ESC_IS(esc_url, "\x7f\xff", "%7F%FF", "url: DEL and high bytes");
	ESC_IS(esc_url, "<\"'>", "%3C%22%27%3E", "url: markup characters are escaped too");
	ESC_IS(esc_url, "", "", "url: nothing in, nothing out");
}

static void
test_json(void)
{
	ESC_IS(esc_json, "\"", "\\\"", "json: a quote is escaped");
	ESC_IS(esc_json, "\\", "\\\\", "json: a backslash is escaped");
	ESC_IS(esc_json, "\n\r\t", "\\n\\r\\t", "json: newline, CR and tab by their short names");
	ESC_IS(esc_json, "</script><!--", "\\u003c\\u002fscript\\u003e\\u003c!--",
	    "json: </script> and <!-- cannot end or hide the script element");
	ESC_IS(esc_json, "&'", "\\u0026\\u0027", "json: & and ' are escaped (safe in HTML attributes)");
	ESC_IS(esc_json, "\x01\x1f\x7f", "\\u0001\\u001f\\u007f", "json: other controls and DEL as \\u00XX");
	ESC_IS(esc_json, "a\0b", "a\\u0000b", "json: a NUL byte inside is escaped");
	ESC_IS(esc_json, "\xe2\x80\xa8|\xe2\x80\xa9", "\\u2028|\\u2029",
	    "json: U+2028 and U+2029 are escaped (line ends to old JavaScript)");
	ESC_IS(esc_json, "\xe2\x82\xac", "\xe2\x82\xac", "json: other characters starting 0xE2 stay (the euro sign)");
	ESC_IS(esc_json, "x\xe2\x80", "x\xe2\x80", "json: a cut-off sequence at the end is not read past");
	ESC_IS(esc_json, "caf\xc3\xa9 ok", "caf\xc3\xa9 ok", "json: UTF-8 and plain text pass through");
	ESC_IS(esc_json, "", "", "json: nothing in, nothing out");
}

int
main(void)
{
	test_html();
	test_url();
	test_json();
	return done_testing();
}
