/* prose.c: reading people's free text: tidied strings, lists split into entries, whole words, number words. */
#include "prose.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "text.h"
#include "xalloc.h"

static const char *const small_numbers[] = {
	"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
	"ten", "eleven", "twelve",
};

const char *
number_word(size_t n)
{
	return n < sizeof small_numbers / sizeof small_numbers[0] ? small_numbers[n] : NULL;
}

void
items_free(struct items *it)
{
	for (size_t i = 0; i < it->n; i++)
		free(it->v[i]);
	it->n = 0;
}

void
strip_end_punct(char *s)
{
	size_t n = strlen(s);

	while (n > 0 && (s[n - 1] == '.' || s[n - 1] == ',' || s[n - 1] == ';' ||
	    s[n - 1] == ':' || is_space(s[n - 1])))
		s[--n] = '\0';
}

/* A leading list marker ("- ", "* ", "+ ", "• ", "1. ", "2) ") and what follows it. */
static const char *
skip_marker(const char *s)
{
	const char *p = s;

	while (is_space(*p))
		p++;
	if ((*p == '-' || *p == '*' || *p == '+') && is_space(p[1]))
		return p + 2;
	if (strncmp(p, "\xe2\x80\xa2", 3) == 0)		/* U+2022 BULLET */
		return p + 3;
	if (isdigit((unsigned char)*p)) {
		const char *q = p;
		while (isdigit((unsigned char)*q))
			q++;
		if ((*q == '.' || *q == ')') && is_space(q[1]))
			return q + 2;
	}
	return s;
}

void
items_add(struct items *it, const char *s, size_t n)
{
	char *t;

	if (it->n >= ITEMS_MAX)
		return;
	t = tidy_n(s, n);
	strip_end_punct(t);
	if (t[0] == '\0') {
		free(t);
		return;
	}
	it->v[it->n++] = t;
}

/* Splits s at every occurrence of sep (a string) into it. */
static void
split_on(struct items *it, const char *s, const char *sep)
{
	size_t k = strlen(sep);
	const char *p;

	while ((p = strstr(s, sep)) != NULL) {
		items_add(it, s, (size_t)(p - s));
		s = p + k;
	}
	items_add(it, s, strlen(s));
}

const char *
find_word(const char *s, const char *needle)
{
	size_t k = strlen(needle);

	for (const char *p = s; *p; p++) {
		if ((p == s || !isalnum((unsigned char)p[-1])) && strncasecmp(p, needle, k) == 0 &&
		    !isalnum((unsigned char)p[k]))
			return p;
	}
	return NULL;
}

void
split_list(const char *text, bool commas, struct items *out)
{
	struct items lines = { .n = 0 };
	const char *s = text != NULL ? text : "", *nl;

	out->n = 0;
	while ((nl = strchr(s, '\n')) != NULL) {
		const char *m = skip_marker(s);
		if (m < nl)
			items_add(&lines, m, (size_t)(nl - m));
		s = nl + 1;
	}
	s = skip_marker(s);
	items_add(&lines, s, strlen(s));
	if (lines.n != 1) {
		*out = lines;
		return;
	}
	if (strchr(lines.v[0], ';') != NULL)
		split_on(out, lines.v[0], ";");
	else if (commas && strchr(lines.v[0], ',') != NULL) {
		split_on(out, lines.v[0], ",");
		/* "A, B and C": the last entry holds two. */
		if (out->n >= 2) {
			char *last = out->v[out->n - 1];
			const char *and = NULL, *p = last;

			if (strncasecmp(last, "and ", 4) == 0 || strncasecmp(last, "& ", 2) == 0) {
				char *t = xstrdup(last + (last[0] == '&' ? 2 : 4));
				free(last);
				out->v[out->n - 1] = t;
			} else {
				while ((p = find_word(p, "and")) != NULL) {
					and = p;
					p += 3;
				}
				if (and != NULL && and > last && and[-1] == ' ' && out->n < ITEMS_MAX) {
					char *a = xstrndup(last, (size_t)(and - last));
					char *b = xstrdup(and + 3);
					free(last);
					out->n--;
					items_add(out, a, strlen(a));
					items_add(out, b, strlen(b));
					free(a);
					free(b);
				}
			}
		}
	} else {
		*out = lines;
		return;
	}
	items_free(&lines);
}
