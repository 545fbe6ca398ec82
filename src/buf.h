/* buf.h: a growable byte buffer, always kept NUL-terminated. */
#ifndef PARLEY_BUF_H
#define PARLEY_BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char	*data;	/* NUL-terminated once anything was added; may be NULL when empty */
	size_t	 len;
	size_t	 cap;
};

#define BUF_INIT { NULL, 0, 0 }

void	 buf_init(struct buf *b);
void	 buf_free(struct buf *b);			/* releases storage; b is empty again */
void	 buf_reset(struct buf *b);			/* len = 0, keeps storage */
void	 buf_reserve(struct buf *b, size_t extra);
void	 buf_append(struct buf *b, const void *p, size_t n);
void	 buf_puts(struct buf *b, const char *s);
void	 buf_putc(struct buf *b, char c);
void	 buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void	 buf_vprintf(struct buf *b, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
const char *buf_cstr(struct buf *b);			/* never NULL; "" when empty */
char	*buf_detach(struct buf *b);			/* caller frees; b is empty again; never NULL */

#endif
