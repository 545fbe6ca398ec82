/* sse.c: the Server-Sent Events parser used by the model client (see sse.h for the rules). */
#include "sse.h"

#include <string.h>

#define SSE_DEFAULT_MAX	(1024 * 1024)

void
sse_init(struct sse_parser *p, size_t max)
{
	memset(p, 0, sizeof *p);
	buf_init(&p->line);
	buf_init(&p->data);
	buf_init(&p->event);
	buf_init(&p->id);
	p->max = max ? max : SSE_DEFAULT_MAX;
}

void
sse_free(struct sse_parser *p)
{
	buf_free(&p->line);
	buf_free(&p->data);
	buf_free(&p->event);
	buf_free(&p->id);
}

bool
sse_pending(const struct sse_parser *p)
{
	return p->line.len > 0 || p->has_data;
}

/* A blank line: hand the event over, then start a new one (the id persists). */
static int
sse_dispatch(struct sse_parser *p, sse_event_cb cb, void *ctx)
{
	struct sse_event ev;
	int rc = 0;

	if (p->has_data) {
		/* Every data line added a "\n"; the last one is not part of the data. */
		p->data.len--;
		p->data.data[p->data.len] = '\0';
		ev.event = buf_cstr(&p->event);
		ev.data = buf_cstr(&p->data);
		ev.data_len = p->data.len;
		ev.id = buf_cstr(&p->id);
		rc = cb(ctx, &ev);
	}
	buf_reset(&p->data);
	buf_reset(&p->event);
	p->has_data = false;
	return rc;
}

/* One complete line (without its ending) in p->line. */
static int
sse_line(struct sse_parser *p, sse_event_cb cb, void *ctx)
{
	const char *s = buf_cstr(&p->line);
	size_t len = p->line.len, namelen;
	const char *colon, *val;
	size_t vlen;

	if (!p->started) {
		p->started = true;
		if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0) {
			s += 3;
			len -= 3;
		}
	}
	if (len == 0)
		return sse_dispatch(p, cb, ctx);
	if (s[0] == ':')
		return 0;		/* a comment, often a keep-alive */

	colon = memchr(s, ':', len);
	if (colon != NULL) {
		namelen = (size_t)(colon - s);
		val = colon + 1;
		vlen = len - namelen - 1;
		if (vlen > 0 && *val == ' ') {
			val++;
			vlen--;
		}
	} else {
		/* A field with no colon has an empty value. */
		namelen = len;
		val = "";
		vlen = 0;
	}

	if (namelen == 4 && memcmp(s, "data", 4) == 0) {
		if (p->data.len + vlen + 1 > p->max)
			return SSE_TOO_LONG;
		buf_append(&p->data, val, vlen);
		buf_putc(&p->data, '\n');
		p->has_data = true;
	} else if (namelen == 5 && memcmp(s, "event", 5) == 0) {
		buf_reset(&p->event);
		buf_append(&p->event, val, vlen);
	} else if (namelen == 2 && memcmp(s, "id", 2) == 0) {
		/* The standard ignores ids containing NUL. */
		if (memchr(val, '\0', vlen) == NULL) {
			buf_reset(&p->id);
			buf_append(&p->id, val, vlen);
		}
	}
	/* "retry" only matters to reconnecting browsers; other names are ignored. */
	return 0;
}

int
sse_feed(struct sse_parser *p, const char *bytes, size_t len,
    sse_event_cb cb, void *ctx)
{
	const char *s = bytes, *end = bytes + len, *run;
	int rc;

	if (p->err != 0)
		return p->err;
	while (s < end) {
		if (p->after_cr) {
			p->after_cr = false;
			if (*s == '\n') {
				s++;
				continue;
			}
		}
		/* Copy the run up to the next line ending in one append. */
		run = s;
		while (s < end && *s != '\n' && *s != '\r')
			s++;
		if (s > run) {
			if (p->line.len + (size_t)(s - run) > p->max) {
				p->err = SSE_TOO_LONG;
				return p->err;
			}
			buf_append(&p->line, run, (size_t)(s - run));
		}
		if (s == end)
			break;
		if (*s == '\r')
			p->after_cr = true;
		s++;
		rc = sse_line(p, cb, ctx);
		buf_reset(&p->line);
		if (rc != 0) {
			p->err = rc;
			return rc;
		}
	}
	return 0;
}
