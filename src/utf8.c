/* utf8.c: UTF-8 text: whether bytes are well-formed, and counting and cutting by code point. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

bool
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	const unsigned char *end = p + len;
	unsigned char c, lo, hi;

	if (len == 0)
		return true;
	while (p < end) {
		/* Most input is ASCII: skip it eight bytes at a time. */
		while (end - p >= 8) {
			uint64_t w;

			memcpy(&w, p, sizeof w);
			if (w & UINT64_C(0x8080808080808080))
				break;
			p += 8;
		}
		if (p == end)
			break;
		c = *p;
		if (c < 0x80) {
			p++;
			continue;
		}
		/*
		 * Byte ranges from RFC 3629 section 4: they exclude overlongs,
		 * surrogates and code points past U+10FFFF.
		 */
		if (c < 0xc2)
			return false;	/* continuation byte, or overlong 2-byte */
		if (c < 0xe0) {
			if (end - p < 2 || (p[1] & 0xc0) != 0x80)
				return false;
			p += 2;
		} else if (c < 0xf0) {
			lo = c == 0xe0 ? 0xa0 : 0x80;
			hi = c == 0xed ? 0x9f : 0xbf;
			if (end - p < 3 || p[1] < lo || p[1] > hi ||
			    (p[2] & 0xc0) != 0x80)
				return false;
			p += 3;
		} else if (c < 0xf5) {
			lo = c == 0xf0 ? 0x90 : 0x80;
			hi = c == 0xf4 ? 0x8f : 0xbf;
			if (end - p < 4 || p[1] < lo || p[1] > hi ||
			    (p[2] & 0xc0) != 0x80 || (p[3] & 0xc0) != 0x80)
				return false;
			p += 4;
		} else
			return false;
	}
	return true;
}

size_t
utf8_chars(const char *s)
{
	return utf8_chars_n(s, strlen(s));
}

size_t
utf8_chars_n(const char *s, size_t len)
{
	size_t n = 0;

	/* Every byte that does not continue a sequence starts a code point. */
	for (size_t i = 0; i < len; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			n++;
	return n;
}

size_t
utf8_prefix(const char *s, size_t len, size_t max)
{
	size_t n = 0, i;

	/* Stops on the first byte of the code point past max. */
	for (i = 0; i < len; i++) {
		if (((unsigned char)s[i] & 0xC0) != 0x80) {
			if (n == max)
				break;
			n++;
		}
	}
	return i;
}
