/* text.c: white space in plain text: the one definition of a space, and trimming. */
#include "text.h"

#include <string.h>

#include "xalloc.h"

bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
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
