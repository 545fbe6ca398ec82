/* builtin_parse.h: builtin/parley's reading of a message: its intent and the titles it names. Pure: no I/O. */
#ifndef PARLEY_BUILTIN_PARSE_H
#define PARLEY_BUILTIN_PARSE_H

#include <stdbool.h>
#include <stddef.h>

/* What a message asks for. */
enum builtin_intent {
	BI_HELP = 0,		/* anything else: explain what it can do */
	BI_GREET,
	BI_THANKS,
	BI_ADD,
	BI_LIST,
	BI_COMPLETE,
	BI_REOPEN,		/* mark a done task as not done */
	BI_DELETE,
	BI_RENAME,
	BI__MAX
};

/* The phrase matcher's reading of one message. */
struct builtin_parse {
	enum builtin_intent	 intent;
	/*
	 * BI_ADD: the new task's title, tidied ("Buy groceries");
	 * BI_COMPLETE, BI_REOPEN, BI_DELETE: the words naming a task;
	 * BI_RENAME: the old title as split at the last " to ".
	 * "" when the message named none ("add a task"). NULL for other intents.
	 */
	char			*title;
	char			*description;	/* BI_ADD: "... with description D"; else NULL */
	char			*new_title;	/* BI_RENAME: the new title; else NULL */
	char			*rename_rest;	/* BI_RENAME: "X to Y" for builtin_rename_split; else NULL */
	const char		*filter;	/* BI_LIST: "all", "pending" or "completed"; else NULL */
};

/* "help", "add", ...; NULL out of range. */
const char	*builtin_intent_name(enum builtin_intent i);

/*
 * Reads one message (any bytes; only the first 4 KiB are considered).
 * Pure: no I/O, no globals, deterministic. Always fills out; release it
 * with builtin_parse_free.
 */
void	 builtin_parse(const char *text, struct builtin_parse *out);
void	 builtin_parse_free(struct builtin_parse *p);

/*
 * Splits a rename's "X to Y" (also " as ", " into ") where X best names one
 * of titles: an exact title first, then a single task holding all of X's
 * words; ties go to the rightmost split. *from and *to are new strings
 * (caller frees both). Returns 0, or -1 when no split leaves two non-empty
 * parts (outputs unchanged).
 */
int	 builtin_rename_split(const char *rest, const char *const *titles, size_t ntitles,
	    char **from, char **to);

/*
 * Task titles as the store matches them (tasks_find_by_title), ASCII case
 * folded: equals is the same words in the same order (title white space
 * runs count as one space); has_words is every word of ref somewhere in
 * title, and false for a ref with no words.
 */
bool	 builtin_title_equals(const char *title, const char *ref);
bool	 builtin_title_has_words(const char *title, const char *ref);

#endif
