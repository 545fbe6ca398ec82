/* prose.h: reading people's free text: lists split into entries, whole words, number words (tidying is text.h's). */
#ifndef PARLEY_PROSE_H
#define PARLEY_PROSE_H

#include <stdbool.h>
#include <stddef.h>

#include "text.h"	/* tidy, tidy_n: prose is read tidied */

#define ITEMS_MAX	50	/* list entries taken from one answer */

/* A list of strings taken from an answer; owns its strings. Start it as { .n = 0 }. */
struct items {
	char	*v[ITEMS_MAX];
	size_t	 n;
};

void		 items_free(struct items *it);	/* frees the strings; it is empty again */

/*
 * Adds s[0..n), tidied and without trailing punctuation, unless that leaves
 * it empty or it is full (ITEMS_MAX): more entries are dropped.
 */
void		 items_add(struct items *it, const char *s, size_t n);

/*
 * The entries of a list answer into out (emptied first, without freeing):
 * one per line; a single line is split at semicolons, else (when commas is
 * set) at commas, with a final "and" ("A, B and C", "A, B, and C") split off
 * too. List markers ("- ", "* ", "1. ", ...) are dropped. NULL reads as "".
 */
void		 split_list(const char *text, bool commas, struct items *out);

/* Drops trailing . , ; : and white space, in place. */
void		 strip_end_punct(char *s);

/* The first place needle is a whole word of s, ignoring ASCII case; NULL if none. */
const char	*find_word(const char *s, const char *needle);

/* "zero" to "twelve" for 0..12; NULL past twelve. */
const char	*number_word(size_t n);

#endif
