/* sse.h: an incremental Server-Sent Events parser: feed bytes as they come, get whole events. */
#ifndef PARLEY_SSE_H
#define PARLEY_SSE_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/*
 * Follows the HTML Living Standard's event stream rules: lines end with
 * "\n", "\r\n" or "\r" (also when a chunk boundary falls between "\r" and
 * "\n"); lines starting with ":" are comments; "field: value" loses one
 * space after the colon; several "data" lines are joined with "\n"; a blank
 * line dispatches the event unless no data was seen; a UTF-8 byte order
 * mark at the very start is skipped; "retry" and unknown fields are ignored.
 * A payload of "[DONE]" is an ordinary event here: the caller decides.
 *
 * Pure and allocation-bounded: no I/O, no globals, and neither one line
 * nor one event's data may pass the limit given to sse_init.
 */

#define SSE_TOO_LONG	(-1)	/* sse_feed: a line or an event passed the limit */

struct sse_event {
	const char	*event;		/* the "event" field, "" when none was given */
	const char	*data;		/* NUL-terminated; may hold NULs before data_len */
	size_t		 data_len;
	const char	*id;		/* the last "id" seen on the stream, "" when none */
};

/*
 * Called for each complete event; the strings live until the callback
 * returns. Return 0 to go on; any other value stops sse_feed, which
 * returns it.
 */
typedef int	(*sse_event_cb)(void *ctx, const struct sse_event *ev);

/* Fields are private; the struct is public so it can live on the stack. */
struct sse_parser {
	struct buf	 line;		/* the line being read */
	struct buf	 data;		/* the event being read */
	struct buf	 event;
	struct buf	 id;
	size_t		 max;
	bool		 after_cr;	/* the last byte was "\r": skip one "\n" */
	bool		 started;	/* past the first line (the BOM check) */
	bool		 has_data;	/* a "data" field was seen in this event */
	int		 err;		/* the value that stopped sse_feed, 0 */
};

/* max bounds one line and one event's data, in bytes (0: 1 MiB). */
void	 sse_init(struct sse_parser *p, size_t max);
void	 sse_free(struct sse_parser *p);		/* releases storage; accepts a zeroed parser */

/*
 * Parses len more bytes, calling cb for every event they complete.
 * Returns 0, SSE_TOO_LONG, or the callback's non-zero value; after a
 * non-zero return the parser refuses more input (returns it again).
 */
int	 sse_feed(struct sse_parser *p, const char *bytes, size_t len,
	    sse_event_cb cb, void *ctx);

/* True when a partial line or an undispatched event is pending: at end of stream, a cut. */
bool	 sse_pending(const struct sse_parser *p);

#endif
