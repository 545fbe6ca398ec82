/* utf8.h: UTF-8 text: whether bytes are well-formed, and counting and cutting by code point. */
#ifndef PARLEY_UTF8_H
#define PARLEY_UTF8_H

#include <stdbool.h>
#include <stddef.h>

/* True when s[0..len) is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
bool		 utf8_valid(const char *s, size_t len);

/*
 * The counters and the cut take text already known to be valid UTF-8 (every
 * byte that does not continue a sequence starts a code point); they never
 * read past the NUL or len.
 */

/* Code points in a NUL-terminated string. */
size_t		 utf8_chars(const char *s);

/* Code points in s[0..len). */
size_t		 utf8_chars_n(const char *s, size_t len);

/* Bytes of s[0..len) that hold its first max code points: a cut on a character boundary. */
size_t		 utf8_prefix(const char *s, size_t len, size_t max);

#endif
