/* escape.h: escapers named by the context they make text safe for. */
#ifndef PARLEY_ESCAPE_H
#define PARLEY_ESCAPE_H

#include <stddef.h>

#include "buf.h"

/* HTML text and attribute values: & < > " ' become entities. */
void	 esc_html(struct buf *out, const char *s, size_t len);
/* One URL component (a query value or path segment): all but unreserved bytes become %XX. */
void	 esc_url(struct buf *out, const char *s, size_t len);
/* JSON string contents (no quotes), also escaping < > & / so it is safe inside HTML. */
void	 esc_json(struct buf *out, const char *s, size_t len);

#endif
