/* text.h: white space in plain text: the one definition of a space, and trimming. */
#ifndef PARLEY_TEXT_H
#define PARLEY_TEXT_H

#include <stdbool.h>

/*
 * True for the six ASCII white space bytes (space, \t, \n, \r, \v, \f), as
 * isspace in the C locale; never for a byte of a multi-byte UTF-8 sequence,
 * so no-break and other Unicode spaces are text.
 */
bool	 is_space(unsigned char c);

/* True for NULL, the empty string, or only is_space bytes. */
bool	 blank(const char *s);

/* A new copy of s without surrounding is_space bytes; NULL for NULL. Caller frees. */
char	*trimmed(const char *s);

#endif
