/* fuzz.h: small helpers shared by the libFuzzer harnesses (not part of Parley itself). */
#ifndef PARLEY_FUZZ_H
#define PARLEY_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/*
 * A broken invariant is a finding like a crash: say which, then abort so
 * libFuzzer saves the input.
 */
#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s\n",	\
		    __FILE__, __LINE__, #cond);				\
		abort();						\
	}								\
} while (0)

/* A NUL-terminated copy of data (caller frees); stops at an inner NUL, as C strings do. */
static inline char *
fuzz_cstr(const uint8_t *data, size_t size)
{
	return xstrndup((const char *)data, size);
}

/*
 * Splits data at its first NUL byte: the part before is returned (a new
 * NUL-terminated string, caller frees) and *rest and *restlen are set to what
 * follows the NUL (NULL and 0 when there was none).
 */
static inline char *
fuzz_split(const uint8_t *data, size_t size, const uint8_t **rest, size_t *restlen)
{
	const uint8_t *nul = memchr(data, '\0', size);

	if (nul == NULL) {
		*rest = NULL;
		*restlen = 0;
		return xstrndup((const char *)data, size);
	}
	*rest = nul + 1;
	*restlen = size - (size_t)(nul - data) - 1;
	return xstrndup((const char *)data, (size_t)(nul - data));
}

/* Takes one byte off the front of the input (0 when it is empty). */
static inline uint8_t
fuzz_byte(const uint8_t **data, size_t *size)
{
	uint8_t b;

	if (*size == 0)
		return 0;
	b = **data;
	(*data)++;
	(*size)--;
	return b;
}

#endif
