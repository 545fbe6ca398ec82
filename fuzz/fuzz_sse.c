/* fuzz_sse.c: libFuzzer harness for the model client's Server-Sent Events parser. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "sse.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: MAX STOP SEED STREAM. The stream is parsed twice, once in one
 * piece and once cut at places SEED picks; both must see the same events
 * and end the same way, since a network can cut anywhere (even between
 * "\r" and "\n").
 */

struct run {
	struct buf	 log;		/* every event, written out unambiguously */
	size_t		 max;
	unsigned	 events;
	unsigned	 stop_after;	/* 0: never stop */
};

static int
on_event(void *ctx, const struct sse_event *ev)
{
	struct run *r = ctx;

	FUZZ_CHECK(ev->event != NULL && ev->data != NULL && ev->id != NULL);
	FUZZ_CHECK(ev->data[ev->data_len] == '\0');
	FUZZ_CHECK(ev->data_len < r->max);
	FUZZ_CHECK(strpbrk(ev->event, "\r\n") == NULL);
	FUZZ_CHECK(strpbrk(ev->id, "\r\n") == NULL);
	FUZZ_CHECK(memchr(ev->data, '\r', ev->data_len) == NULL);
	buf_printf(&r->log, "event %zu:%s id %zu:%s data %zu:", strlen(ev->event),
	    ev->event, strlen(ev->id), ev->id, ev->data_len);
	buf_append(&r->log, ev->data, ev->data_len);
	buf_putc(&r->log, '\n');
	r->events++;
	if (r->stop_after != 0 && r->events == r->stop_after)
		return 7;
	return 0;
}

static int
parse(struct run *r, const uint8_t *s, size_t len, uint32_t seed, bool *pending)
{
	struct sse_parser p;
	size_t off = 0, n;
	int rc = 0;

	sse_init(&p, r->max);
	while (off < len) {
		if (seed == 0)
			n = len - off;
		else {
			seed = seed * 1103515245u + 12345u;
			n = 1 + (seed >> 16) % 17;
			if (n > len - off)
				n = len - off;
		}
		rc = sse_feed(&p, (const char *)s + off, n, on_event, r);
		off += n;
		if (rc != 0)
			break;
	}
	if (rc != 0) {
		/* Once stopped, it stays stopped and calls nothing. */
		unsigned before = r->events;

		FUZZ_CHECK(sse_feed(&p, "data: x\n\n", 9, on_event, r) == rc);
		FUZZ_CHECK(r->events == before);
	}
	*pending = sse_pending(&p);
	sse_free(&p);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t maxes[] = { 0, 1, 8, 16, 64, 4096 };
	struct run one, cut;
	uint8_t bmax = fuzz_byte(&data, &size);
	uint8_t bstop = fuzz_byte(&data, &size);
	uint8_t bseed = fuzz_byte(&data, &size);
	bool pend1, pend2;
	int rc1, rc2;

	memset(&one, 0, sizeof one);
	buf_init(&one.log);
	one.max = maxes[bmax % (sizeof maxes / sizeof maxes[0])];
	one.stop_after = bstop % 8;
	cut = one;
	buf_init(&cut.log);
	if (one.max == 0)
		one.max = cut.max = 1024 * 1024;	/* what 0 means */

	rc1 = parse(&one, data, size, 0, &pend1);
	rc2 = parse(&cut, data, size, (uint32_t)bseed + 1, &pend2);
	FUZZ_CHECK(rc1 == 0 || rc1 == SSE_TOO_LONG || rc1 == 7);
	FUZZ_CHECK(rc1 == rc2);
	FUZZ_CHECK(one.events == cut.events);
	FUZZ_CHECK(one.log.len == cut.log.len);
	FUZZ_CHECK(memcmp(buf_cstr(&one.log), buf_cstr(&cut.log), one.log.len) == 0);
	if (rc1 == 0)
		FUZZ_CHECK(pend1 == pend2);
	buf_free(&one.log);
	buf_free(&cut.log);
	return 0;
}
