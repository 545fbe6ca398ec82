/* text.c: white space in plain text: the one definition of a space, and trimming. */
#include "text.h"

#include <string.h>

#include "buf.h"
#include "xalloc.h"

bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

bool
is_hspace(unsigned char c)
{
	return c == ' ' || c == '\t';
}

bool
blank(const char *s)
{
	if (s == NULL)
		return true;
	for (; *s; s++)
		if (!is_space((unsigned char)*s))
			return false;
	return true;
}

char *
trimmed(const char *s)
{
	size_t len;

	if (s == NULL)
		return NULL;
	while (is_space((unsigned char)*s))
		s++;
	len = strlen(s);
	while (len > 0 && is_space((unsigned char)s[len - 1]))
		len--;
	return xstrndup(s, len);
}

char *
tidy_n(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	bool gap = false;

	for (size_t i = 0; i < n; i++) {
		if (is_space(s[i])) {
			gap = b.len > 0;
			continue;
		}
		if (gap)
			buf_putc(&b, ' ');
		gap = false;
		buf_putc(&b, s[i]);
	}
	return buf_detach(&b);
}

char *
tidy(const char *s)
{
	return tidy_n(s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}
