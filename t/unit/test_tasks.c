/* test_tasks.c: the task store's pure rules: ids, filter names and the title/description checks. */
#include <stdlib.h>
#include <string.h>

#include "tasks.h"
#include "../tap.h"

/* n copies of s, joined (caller frees). */
static char *
repeat(const char *s, size_t n)
{
	size_t len = strlen(s);
	char *out = malloc(len * n + 1);

	if (out == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		memcpy(out + i * len, s, len);
	out[len * n] = '\0';
	return out;
}

int
main(void)
{
	enum task_filter f = TASK_PENDING;
	char *s;

	/* Ids: anything that is not a UUID is "not found" without asking the database. */
	ok(task_id_valid("0b6f3a52-9d0e-4c1f-8f4e-2a5b6c7d8e9f"), "a lower-case UUID is an id");
	ok(task_id_valid("0B6F3A52-9D0E-4C1F-8F4E-2A5B6C7D8E9F"), "an upper-case UUID is an id");
	ok(!task_id_valid("0b6f3a52-9d0e-4c1f-8f4e-2a5b6c7d8e9"), "one digit short is not");
	ok(!task_id_valid("0b6f3a52-9d0e-4c1f-8f4e-2a5b6c7d8e9f0"), "one digit long is not");
	ok(!task_id_valid("0b6f3a529d0e-4c1f-8f4e-2a5b6c7d8e9f0"), "a missing dash is not");
	ok(!task_id_valid("0b6f3a52-9d0e-4c1f-8f4e-2a5b6c7d8e9g"), "a non-hex digit is not");
	ok(!task_id_valid("42"), "a number is not");
	ok(!task_id_valid("'; DROP TABLE tasks; --"), "SQL is not");
	ok(!task_id_valid(""), "the empty string is not");
	ok(!task_id_valid(NULL), "NULL is not");

	/* Filters. */
	is_int(task_filter_parse("all", &f), 0, "\"all\" is a filter");
	is_int(f, TASK_ALL, "\"all\" means TASK_ALL");
	is_int(task_filter_parse("completed", &f), 0, "\"completed\" is a filter");
	is_int(f, TASK_COMPLETED, "\"completed\" means TASK_COMPLETED");
	is_int(task_filter_parse("pending", &f), 0, "\"pending\" is a filter");
	is_int(f, TASK_PENDING, "\"pending\" means TASK_PENDING");
	is_int(task_filter_parse("Pending", &f), -1, "filter names are lower case");
	is_int(task_filter_parse("done", &f), -1, "\"done\" is not a filter");
	is_int(task_filter_parse(NULL, &f), -1, "NULL is not a filter");
	is_int(f, TASK_PENDING, "a failed parse leaves the filter alone");
	is_str(task_filter_name(TASK_COMPLETED), "completed", "names round-trip");
	ok(task_filter_name(TASK__MAX) == NULL, "no name past the end");

	/* Titles. */
	ok(task_invalid("Buy milk", true, NULL) == NULL, "a plain title is fine");
	ok(task_invalid("  Buy milk \n", true, NULL) == NULL, "surrounding spaces are trimmed");
	is_str(task_invalid(NULL, true, NULL), "The title is required.",
	    "a missing title is refused when required");
	ok(task_invalid(NULL, false, NULL) == NULL, "a missing title is fine when optional");
	is_str(task_invalid("", false, NULL), "The title is required.",
	    "an empty title is refused even when optional (an update)");
	is_str(task_invalid(" \t\r\n ", true, NULL), "The title is required.",
	    "a title of white space is empty");
	s = repeat("a", 500);
	ok(task_invalid(s, true, NULL) == NULL, "500 characters are allowed");
	free(s);
	s = repeat("a", 501);
	ok(task_invalid(s, true, NULL) != NULL, "501 characters are not");
	free(s);
	s = repeat("\xc3\xa9", 500);	/* é: 1000 bytes, 500 characters */
	ok(task_invalid(s, true, NULL) == NULL, "the limit counts characters, not bytes");
	free(s);
	s = repeat("\xf0\x9f\x8d\x8e", 501);	/* a four-byte emoji */
	ok(task_invalid(s, true, NULL) != NULL, "501 four-byte characters are too many");
	free(s);

	/* Descriptions. */
	ok(task_invalid("t", true, "") == NULL, "an empty description is fine");
	s = repeat("d", 10000);
	ok(task_invalid("t", true, s) == NULL, "10,000 characters of description are allowed");
	free(s);
	s = repeat("d", 10001);
	is_str(task_invalid("t", true, s),
	    "The description can be at most 10,000 characters long.",
	    "10,001 are not");
	free(s);

	return done_testing();
}
