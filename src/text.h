/* text.h: white space in plain text: the one definition of a space, trimming and tidying. */
#ifndef PARLEY_TEXT_H
#define PARLEY_TEXT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * True for the six ASCII white space bytes (space, \t, \n, \r, \v, \f), as
 * isspace in the C locale; never for a byte of a multi-byte UTF-8 sequence,
 * so no-break and other Unicode spaces are text.
 */
bool	 is_space(unsigned char c);

/* True for a space or a tab: white space within a line (HTTP's "OWS", Mustache's indentation). */
bool	 is_hspace(unsigned char c);

/* True for NULL, the empty string, or only is_space bytes. */
bool	 blank(const char *s);

/* A new copy of s without surrounding is_space bytes; NULL for NULL. Caller frees. */
char	*trimmed(const char *s);

/* s[0..n) without surrounding white space, inner runs of it made one space. Caller frees. */
char	*tidy_n(const char *s, size_t n);

/* tidy_n on a whole string; "" for NULL. Caller frees. */
char	*tidy(const char *s);

#endif
