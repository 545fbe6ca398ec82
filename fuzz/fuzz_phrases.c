/* fuzz_phrases.c: libFuzzer harness for the builtin assistant's phrase matcher and rename splitter. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_parse.h"
#include "utf8.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Input: MESSAGE NUL TITLE NUL TITLE ... The message goes through
 * builtin_parse; the titles stand for the person's tasks when a rename
 * is split.
 */

#define MAX_TITLES	8
#define MAX_INPUT	4096	/* the matcher's documented reading limit */

/* A string the matcher hands out: bounded, and valid UTF-8 when the message was. */
static void
check_str(const char *s, bool utf8)
{
	size_t n;

	FUZZ_CHECK(s != NULL);
	n = strlen(s);
	FUZZ_CHECK(n <= MAX_INPUT);
	if (utf8)
		FUZZ_CHECK(utf8_valid(s, n));
}

static bool
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

/* Reads text into *out (caller frees) and checks the reading. */
static void
check_parse(const char *text, bool utf8, struct builtin_parse *out)
{
	struct builtin_parse p, q;

	builtin_parse(text, &p);
	FUZZ_CHECK(p.intent >= BI_HELP && p.intent < BI__MAX);
	FUZZ_CHECK(builtin_intent_name(p.intent) != NULL);
	switch (p.intent) {
	case BI_ADD:
	case BI_COMPLETE:
	case BI_REOPEN:
	case BI_DELETE:
	case BI_RENAME:
		check_str(p.title, utf8);
		break;
	default:
		FUZZ_CHECK(p.title == NULL);
	}
	if (p.description != NULL) {
		FUZZ_CHECK(p.intent == BI_ADD);
		check_str(p.description, utf8);
	}
	if (p.new_title != NULL) {
		FUZZ_CHECK(p.intent == BI_RENAME);
		check_str(p.new_title, utf8);
	}
	if (p.rename_rest != NULL) {
		FUZZ_CHECK(p.intent == BI_RENAME);
		check_str(p.rename_rest, utf8);
	}
	if (p.intent == BI_LIST) {
		FUZZ_CHECK(p.filter != NULL);
		FUZZ_CHECK(strcmp(p.filter, "all") == 0 || strcmp(p.filter, "pending") == 0 ||
		    strcmp(p.filter, "completed") == 0);
	} else
		FUZZ_CHECK(p.filter == NULL);

	/* Pure and deterministic: the same message reads the same way twice. */
	builtin_parse(text, &q);
	FUZZ_CHECK(p.intent == q.intent);
	FUZZ_CHECK(same(p.title, q.title));
	FUZZ_CHECK(same(p.description, q.description));
	FUZZ_CHECK(same(p.new_title, q.new_title));
	FUZZ_CHECK(same(p.rename_rest, q.rename_rest));
	FUZZ_CHECK(same(p.filter, q.filter));
	builtin_parse_free(&q);
	FUZZ_CHECK(q.title == NULL && q.description == NULL && q.new_title == NULL &&
	    q.rename_rest == NULL);
	builtin_parse_free(&q);		/* twice is harmless */
	*out = p;
}

static void
check_split(const char *rest, const char *const *titles, size_t n, bool utf8)
{
	char *from = (char *)1, *to = (char *)1;

	if (builtin_rename_split(rest, titles, n, &from, &to) == 0) {
		check_str(from, utf8);
		check_str(to, utf8);
		FUZZ_CHECK(from[0] != '\0' && to[0] != '\0');
		free(from);
		free(to);
	} else
		FUZZ_CHECK(from == (char *)1 && to == (char *)1);	/* outputs unchanged */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *titles[MAX_TITLES];
	char *text, *owned[MAX_TITLES];
	const uint8_t *rest;
	size_t restlen, n = 0, i;
	struct builtin_parse p;
	bool utf8;

	text = fuzz_split(data, size, &rest, &restlen);
	while (rest != NULL && n < MAX_TITLES) {
		owned[n] = fuzz_split(rest, restlen, &rest, &restlen);
		titles[n] = owned[n];
		n++;
	}
	utf8 = utf8_valid(text, strlen(text));
	for (i = 0; i < n; i++)
		utf8 = utf8 && utf8_valid(titles[i], strlen(titles[i]));

	check_parse(text, utf8, &p);
	/* Split what a rename hands over, else the whole message. */
	check_split(p.rename_rest != NULL ? p.rename_rest : text, titles, n, utf8);
	builtin_parse_free(&p);
	for (i = 0; i < n; i++)
		free(owned[i]);
	free(text);
	return 0;
}
