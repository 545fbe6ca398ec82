/* builtin_parse.c: builtin/parley's reading of a message: the phrase matcher, the intents, and a rename's split. */
#include "builtin_parse.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "xalloc.h"

/*
 * The matcher works on a normalised copy of the message (white space runs
 * made one space, curly quotes made straight, trimmed) and on a lower-cased
 * twin of it with the same length, so a phrase is found in the twin and the
 * words the person typed are cut, with their case, from the original.
 * Pure: no I/O, no database, no tools (fuzz/fuzz_phrases.c links it alone).
 */

#define BI_MAX_INPUT	4096	/* bytes of a message the matcher looks at */
#define BI_MAX_SPLITS	16	/* " to " positions a rename tries */

static const char *const intent_names[BI__MAX] = {
	"help", "greet", "thanks", "add", "list", "complete", "reopen", "delete", "rename",
};
_Static_assert(sizeof intent_names / sizeof intent_names[0] == BI__MAX, "one name per intent");

const char *
builtin_intent_name(enum builtin_intent i)
{
	if ((unsigned)i >= BI__MAX)
		return NULL;
	return intent_names[i];
}

/* A window on the message: o (original) and l (lower case) point at the same offset. */
struct span {
	const char	*o;
	const char	*l;
	size_t		 n;
};

/*
 * Word bytes. Bytes of multi-byte characters count as letters, so "addé"
 * is not "add". A table, because the matcher asks this of nearly every byte.
 */
static const bool word_byte[256] = {
	['0' ... '9'] = true, ['A' ... 'Z'] = true, ['a' ... 'z'] = true, ['\''] = true,
	[0x80 ... 0xFF] = true,
};

static const bool space_byte[256] = {
	[' '] = true, ['\t'] = true, ['\n'] = true, ['\r'] = true, ['\v'] = true, ['\f'] = true,
};

static const bool upper_byte[256] = { ['A' ... 'Z'] = true };

static bool
is_alnum(unsigned char c)
{
	return word_byte[c];
}

/* ASCII lower case; other bytes as they are. */
static char
lower(char c)
{
	return (char)(c + (upper_byte[(unsigned char)c] ? 'a' - 'A' : 0));
}

static void
span_trim(struct span *s)
{
	while (s->n > 0 && s->l[0] == ' ') {
		s->o++;
		s->l++;
		s->n--;
	}
	while (s->n > 0 && s->l[s->n - 1] == ' ')
		s->n--;
}

static void
span_skip(struct span *s, size_t k)
{
	s->o += k;
	s->l += k;
	s->n -= k;
}

/*
 * Does the span start with the phrase w (lower case, never empty), ending on
 * a word boundary? Most phrases tried differ in the first byte, which is
 * checked before anything costlier.
 */
static bool
starts(const struct span *s, const char *w)
{
	size_t k;

	if (s->n == 0 || s->l[0] != w[0])
		return false;
	k = strlen(w);
	if (s->n < k || memcmp(s->l, w, k) != 0)
		return false;
	/* A phrase ending in punctuation ("todo:") needs no boundary after it. */
	return k == s->n || !is_alnum((unsigned char)w[k - 1]) ||
	    !is_alnum((unsigned char)s->l[k]);
}

/* Consumes w and the spaces after it. */
static bool
eat(struct span *s, const char *w)
{
	if (!starts(s, w))
		return false;
	span_skip(s, strlen(w));
	span_trim(s);
	return true;
}

/* Consumes the first phrase of the NULL-terminated list that the span starts with. */
static bool
eat_any(struct span *s, const char *const *ws)
{
	for (; *ws != NULL; ws++)
		if (eat(s, *ws))
			return true;
	return false;
}

/* Does the span end with w (which starts with a space or not), on a word boundary? */
static bool
ends(const struct span *s, const char *w)
{
	size_t k = strlen(w);

	if (s->n < k || s->l[s->n - 1] != w[k - 1] || memcmp(s->l + s->n - k, w, k) != 0)
		return false;
	return k == s->n || w[0] == ' ' || !is_alnum((unsigned char)s->l[s->n - k - 1]);
}

/* Removes the suffix w and the spaces before it. */
static bool
chop(struct span *s, const char *w)
{
	if (!ends(s, w))
		return false;
	s->n -= strlen(w);
	span_trim(s);
	return true;
}

static bool
chop_any(struct span *s, const char *const *ws)
{
	for (; *ws != NULL; ws++)
		if (chop(s, *ws))
			return true;
	return false;
}

static bool
span_is(const struct span *s, const char *w)
{
	if (s->n > 0 && s->l[0] != w[0])
		return false;
	return s->n == strlen(w) && memcmp(s->l, w, s->n) == 0;
}

static bool
span_is_any(const struct span *s, const char *const *ws)
{
	for (; *ws != NULL; ws++)
		if (span_is(s, *ws))
			return true;
	return false;
}

/* Offset of the first (or last) occurrence of w in the span, or -1. */
static long
span_find(const struct span *s, const char *w, bool last)
{
	size_t k = strlen(w);
	long found = -1;

	if (k == 0 || s->n < k)
		return -1;
	for (size_t i = 0; i + k <= s->n; i++) {
		/* Two bytes first: the phrases searched for start with a space. */
		if (s->l[i] != w[0] || (k > 1 && s->l[i + 1] != w[1]))
			continue;
		if (memcmp(s->l + i, w, k) == 0) {
			found = (long)i;
			if (!last)
				break;
		}
	}
	return found;
}

/*
 * Where the first marker of the list (in list order) that occurs in the span
 * occurs first, or -1: the same as trying span_find with each marker in
 * turn, in one pass. Every marker starts with a space and has a second byte.
 */
static long
find_first_mark(const struct span *s, const char *const *marks)
{
	bool second[256] = { false };
	size_t best = SIZE_MAX;
	long at = -1;

	for (size_t m = 0; marks[m] != NULL; m++)
		second[(unsigned char)marks[m][1]] = true;
	for (size_t i = 0; i + 1 < s->n && best > 0; i++) {
		if (s->l[i] != ' ' || !second[(unsigned char)s->l[i + 1]])
			continue;
		/* Only a marker earlier in the list than the best so far can win now. */
		for (size_t m = 0; m < best && marks[m] != NULL; m++) {
			size_t k;

			if (marks[m][1] != s->l[i + 1])
				continue;
			k = strlen(marks[m]);
			if (i + k <= s->n && memcmp(s->l + i, marks[m], k) == 0) {
				best = m;
				at = (long)i;
				break;
			}
		}
	}
	return at;
}

/*
 * Does one of the phrases occur as whole words anywhere in the span? One
 * pass: only where a word can start (after a non-word byte) and only the
 * phrases beginning with the byte found there are compared, so a 4 KiB
 * message costs a few thousand table lookups, not a comparison per phrase
 * per byte.
 */
static bool
has_any_word(const struct span *s, const char *const *ws)
{
	bool first[256] = { false };

	for (const char *const *w = ws; *w != NULL; w++)
		first[(unsigned char)(*w)[0]] = true;
	for (size_t i = 0; i < s->n; i++) {
		if ((i > 0 && is_alnum((unsigned char)s->l[i - 1])) ||
		    !first[(unsigned char)s->l[i]])
			continue;
		for (const char *const *w = ws; *w != NULL; w++) {
			size_t k;

			if ((*w)[0] != s->l[i])
				continue;
			k = strlen(*w);
			if (i + k <= s->n && memcmp(s->l + i, *w, k) == 0 &&
			    (i + k == s->n || !is_alnum((unsigned char)s->l[i + k])))
				return true;
		}
	}
	return false;
}

/* The original text of the span. Caller frees. */
static char *
span_dup(const struct span *s)
{
	return xstrndup(s->o, s->n);
}

static int	split_span(struct span all, const char *const *titles, size_t ntitles,
		    char **from, char **to);

/*
 * The message made matchable: at most BI_MAX_INPUT bytes (cut between
 * characters), curly quotes straightened, white space squeezed and trimmed.
 * *orig and *low are strings of the same length in one new block: the
 * caller frees *orig only.
 */
static void
normalize(const char *text, char **orig, char **low)
{
	size_t len = strlen(text), i, j = 0;
	char *o, *l;

	if (len > BI_MAX_INPUT) {
		len = BI_MAX_INPUT;
		while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--;
	}
	/* The lower-case twin goes after the original: it is never longer. */
	o = xmalloc(2 * len + 2);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == 0xE2 && i + 2 < len && (unsigned char)text[i + 1] == 0x80) {
			unsigned char c2 = (unsigned char)text[i + 2];

			if (c2 == 0x98 || c2 == 0x99) {
				c = '\'';
				i += 2;
			} else if (c2 == 0x9C || c2 == 0x9D) {
				c = '"';
				i += 2;
			}
		}
		if (space_byte[c]) {
			if (j > 0 && o[j - 1] != ' ')
				o[j++] = ' ';
			continue;
		}
		o[j++] = (char)c;
	}
	while (j > 0 && o[j - 1] == ' ')
		j--;
	o[j] = '\0';
	l = o + j + 1;
	for (i = 0; i <= j; i++)
		l[i] = lower(o[i]);
	*orig = o;
	*low = l;
}

static void
chop_punct(struct span *s)
{
	while (s->n > 0 && strchr(".!?,;: ", s->l[s->n - 1]) != NULL)
		s->n--;
}

/* Politeness and openers around a request: "hey parley, could you please ... for me, thanks!" */
static void
strip_fillers(struct span *s)
{
	static const char *const lead[] = {
		"hey parley", "hi parley", "hello parley", "ok parley", "okay parley", "parley",
		"hi there", "hello there", "hey there", "good morning", "good afternoon",
		"good evening",
		"can you please", "could you please", "would you please", "will you please",
		"can you", "could you", "would you", "will you", "can u", "could u",
		"i want you to", "i'd like you to", "id like you to", "i would like you to",
		"i need you to", "help me", "i want to", "i'd like to", "id like to",
		"i would like to", "let's", "lets", "go ahead and",
		"please", "pls", "plz", "kindly", "ok so", "ok", "okay", "so", "um", "uh",
		"well", "now", "also", "and", "then", "just", "quickly", "hey", "hi", "hello",
		"yes", "yeah", "great", "thanks", "thank you", NULL
	};
	static const char *const trail[] = {
		" please", " pls", " plz", " thanks", " thank you", " thx", " for me",
		" if you can", " if possible", " will you", " would you", " could you", NULL
	};
	bool again = true;

	span_trim(s);
	while (again) {
		again = false;
		for (const char *const *w = lead; *w != NULL; w++) {
			struct span t = *s;

			if (!starts(&t, *w))
				continue;
			span_skip(&t, strlen(*w));
			while (t.n > 0 && strchr(" ,.!", t.l[0]) != NULL)
				span_skip(&t, 1);
			/* A filler alone is the message ("hey", "thanks"): keep it. */
			if (t.n == 0)
				continue;
			*s = t;
			again = true;
			break;
		}
		chop_punct(s);
		if (chop_any(s, trail))
			again = true;
		chop_punct(s);
	}
}

/* Words that name the list itself, not a task in it. */
static bool
is_generic(const struct span *s)
{
	static const char *const words[] = {
		"all", "my", "the", "of", "tasks", "task", "todos", "todo", "to-dos", "to-do",
		"items", "item", "list", "everything", "ones", "them", "pending", "completed",
		"done", "finished", "open", "every", "each", "your", "our", NULL
	};
	size_t i = 0;

	if (s->n == 0)
		return false;
	while (i < s->n) {
		size_t k = i;
		bool known = false;

		while (k < s->n && s->l[k] != ' ')
			k++;
		for (const char *const *w = words; *w != NULL && !known; w++)
			if ((*w)[0] == s->l[i] && strlen(*w) == k - i &&
			    memcmp(s->l + i, *w, k - i) == 0)
				known = true;
		if (!known)
			return false;
		i = k + 1;
	}
	return true;
}

static bool
is_pronoun(const struct span *s)
{
	static const char *const words[] = {
		"it", "that", "this", "that one", "this one", "the last one", "the first one", NULL
	};

	return span_is_any(s, words);
}

/* Drops a quoted title's quotes: 'Write report', "Write report", `x`. */
static void
unquote(struct span *s)
{
	while (s->n >= 2 && strchr("'\"`", s->l[0]) != NULL && s->l[s->n - 1] == s->l[0]) {
		span_skip(s, 1);
		s->n--;
		span_trim(s);
	}
}

/*
 * Removes "to my list", "on my shopping list", "from the todo list", "off my
 * tasks" at the end: a preposition, then my/the/our/your, at most two more
 * words, and a list word. Returns the preposition's index in preps + 1, or 0.
 */
static int
chop_list_suffix(struct span *s)
{
	static const char *const preps[] = {
		"to", "on", "onto", "in", "into", "from", "off", "of", "for", NULL
	};
	static const char *const owners[] = { "my", "the", "our", "your", NULL };
	static const char *const nouns[] = {
		"list", "lists", "tasks", "todos", "to-dos", "todo", "to-do", "agenda", NULL
	};
	size_t starts_at[6], nw = 0, i = s->n;

	/* The starts of the last (up to) 6 words, last word first. */
	while (i > 0 && nw < 6) {
		while (i > 0 && s->l[i - 1] != ' ')
			i--;
		starts_at[nw++] = i;
		while (i > 0 && s->l[i - 1] == ' ')
			i--;
	}
	if (nw < 3)
		return 0;
	{
		struct span last = { s->o + starts_at[0], s->l + starts_at[0], s->n - starts_at[0] };

		if (!span_is_any(&last, nouns))
			return 0;
	}
	/* k: how many words the suffix has, from "to my list" (3) to 5. */
	for (size_t k = 3; k <= 5 && k <= nw; k++) {
		size_t p = starts_at[k - 1], q = starts_at[k - 2];
		struct span prep = { s->o + p, s->l + p, q - p };
		struct span owner = { s->o + q, s->l + q, starts_at[k - 3] - q };

		span_trim(&prep);
		span_trim(&owner);
		if (!span_is_any(&owner, owners))
			continue;
		for (int pi = 0; preps[pi] != NULL; pi++) {
			if (!span_is(&prep, preps[pi]))
				continue;
			if (p == 0)
				return 0;	/* nothing would be left */
			s->n = p;
			span_trim(s);
			return pi + 1;
		}
	}
	return 0;
}

/*
 * The words naming an existing task: quotes, "the task", "task called",
 * "my", a trailing "task" and "from my list" go.
 */
static void
clean_ref(struct span *s)
{
	static const char *const nouns[] = {
		"task", "todo", "to-do", "item", "reminder", "entry", NULL
	};
	static const char *const named[] = { "called", "named", "titled", "that says", NULL };
	bool article;

	span_trim(s);
	chop_punct(s);
	chop_list_suffix(s);
	unquote(s);
	article = eat(s, "the") || eat(s, "my") || eat(s, "a") || eat(s, "an");
	if (eat_any(s, nouns)) {
		eat_any(s, named);
		if (s->n > 0 && s->l[0] == ':') {
			span_skip(s, 1);
			span_trim(s);
		}
	} else if (article) {
		/* "the groceries task": the noun came last. */
		static const char *const tails[] = {
			" task", " todo", " to-do", " item", " reminder", NULL
		};
		chop_any(s, tails);
	}
	unquote(s);
	chop_punct(s);
}

/* A title to store: tidied, first letter capitalised ("buy milk" -> "Buy milk"). Caller frees. */
static char *
title_dup(struct span s)
{
	char *t;

	span_trim(&s);
	chop_punct(&s);
	unquote(&s);
	chop_punct(&s);
	t = span_dup(&s);
	/* "iPhone case" keeps its case: only a plain lower-case word is capitalised. */
	if (t[0] >= 'a' && t[0] <= 'z' && !(t[1] >= 'A' && t[1] <= 'Z'))
		t[0] = (char)(t[0] - 'a' + 'A');
	return t;
}

/* A quoted title at the start: 'Write report' to my list. Leaves *rest after the quote. */
static bool
take_quoted(struct span *s, struct span *title, struct span *rest)
{
	char q;

	if (s->n < 2 || strchr("'\"`", s->l[0]) == NULL)
		return false;
	q = s->l[0];
	/* The closing quote is one followed by the end, a space or punctuation (not "Bob's"). */
	for (size_t i = 1; i < s->n; i++) {
		if (s->l[i] != q)
			continue;
		if (i + 1 < s->n && is_alnum((unsigned char)s->l[i + 1]))
			continue;
		*title = (struct span){ s->o + 1, s->l + 1, i - 1 };
		*rest = (struct span){ s->o + i + 1, s->l + i + 1, s->n - i - 1 };
		span_trim(title);
		span_trim(rest);
		return title->n > 0;
	}
	return false;
}

/* 1: the span ended in "as done" (and the like), 2: "as not done", 0: neither. Chops it. */
static int
chop_done(struct span *s)
{
	static const char *const undone[] = {
		" as not done", " as not completed", " as not complete", " as not finished",
		" as undone", " as incomplete", " as uncompleted", " as unfinished", " as pending",
		" as open", " as to do", " as todo", " to not done", " to pending", " to incomplete",
		" to undone", " to open", " not done", " undone", " incomplete", " as active",
		" as not yet done", NULL
	};
	static const char *const done[] = {
		" as done", " as complete", " as completed", " as finished", " as checked",
		" as closed", " to done", " to complete", " to completed", " to finished",
		" done", " complete", " completed", " finished", " as done already", NULL
	};

	if (chop_any(s, undone))
		return 2;
	if (chop_any(s, done))
		return 1;
	return 0;
}

/* Fills p for a task-naming intent; false (p untouched) when the words name no task. */
static bool
set_ref(struct builtin_parse *p, enum builtin_intent intent, struct span s)
{
	clean_ref(&s);
	if (is_generic(&s))
		return false;
	p->intent = intent;
	p->title = is_pronoun(&s) ? xstrdup("") : span_dup(&s);
	return true;
}

static bool
parse_done(struct span s, struct builtin_parse *p)
{
	static const char *const off_verbs[] = {
		"check off", "tick off", "cross off", "cross out", "strike off", "strike out",
		"knock off", "mark off", "mark as done", "mark done", "mark as complete",
		"mark as completed", "mark complete", "mark completed", NULL
	};
	static const char *const reopen_verbs[] = {
		"uncheck", "untick", "unmark", "reopen", "re-open", "uncomplete", "un-complete",
		"mark as not done", "mark as undone", "mark as pending", "mark as incomplete", NULL
	};
	static const char *const done_verbs[] = {
		"complete", "completed", "finish", "finished", "close", "done with", "done:",
		"done", NULL
	};
	static const char *const i_forms[] = {
		"i've", "ive", "i have", "we've", "we have", "i", "we", NULL
	};
	static const char *const am_forms[] = { "i'm", "im", "i am", "we're", "we are", NULL };
	static const char *const adverbs[] = {
		"just", "already", "finally", "now", "also", "totally", "actually", NULL
	};
	static const char *const i_verbs[] = {
		"finished with", "finished", "completed", "done with", "done", "did", "complete",
		"ticked off", "checked off", "crossed off", NULL
	};
	static const char *const am_verbs[] = {
		"done with", "finished with", "through with", "done", "finished", NULL
	};
	static const char *const is_done[] = {
		" is done", " is finished", " is complete", " is completed", " is now done",
		" is now complete", " is now completed", " is now finished", " is done now",
		" has been done", " has been completed", " has been finished", " are done",
		" are finished", " are complete", " are completed", " is checked off",
		" is ticked off", " is all done", " got done", NULL
	};
	static const char *const is_undone[] = {
		" is not done", " isn't done", " isnt done", " is not finished", " isn't finished",
		" is not complete", " isn't complete", " is not completed", " isn't completed",
		" is not done yet", " isn't done yet", " still needs doing", NULL
	};
	struct span t = s;
	int d;

	if (eat_any(&t, reopen_verbs))
		return set_ref(p, BI_REOPEN, t);
	if (eat_any(&t, off_verbs))
		return set_ref(p, BI_COMPLETE, t);
	if (eat(&t, "mark") || eat(&t, "set") || eat(&t, "flag")) {
		chop_punct(&t);
		d = chop_done(&t);
		if (d == 0 && !starts(&s, "mark"))
			return false;	/* "set up a meeting" is no completion */
		return set_ref(p, d == 2 ? BI_REOPEN : BI_COMPLETE, t);
	}
	t = s;
	if (eat(&t, "check") || eat(&t, "tick") || eat(&t, "cross") || eat(&t, "strike")) {
		struct span u = t;

		if (chop_list_suffix(&u) != 0 || chop(&u, " off") || chop(&u, " out"))
			return set_ref(p, BI_COMPLETE, u);
		return false;
	}
	t = s;
	if (eat_any(&t, done_verbs))
		return set_ref(p, BI_COMPLETE, t);
	t = s;
	if (eat_any(&t, am_forms)) {
		while (eat_any(&t, adverbs))
			;
		if (eat_any(&t, am_verbs)) {
			if (t.n == 0) {
				p->intent = BI_COMPLETE;
				p->title = xstrdup("");
				return true;
			}
			return set_ref(p, BI_COMPLETE, t);
		}
	}
	t = s;
	if (eat_any(&t, i_forms)) {
		while (eat_any(&t, adverbs))
			;
		if (eat_any(&t, i_verbs) && t.n > 0)
			return set_ref(p, BI_COMPLETE, t);
	}
	/* "buy milk is done" */
	t = s;
	if (chop_any(&t, is_undone) && t.n > 0 && !is_pronoun(&t))
		return set_ref(p, BI_REOPEN, t);
	t = s;
	if (chop_any(&t, is_done) && t.n > 0 && !is_pronoun(&t))
		return set_ref(p, BI_COMPLETE, t);
	return false;
}

static bool
parse_delete(struct span s, struct builtin_parse *p)
{
	static const char *const verbs[] = {
		"delete", "remove", "erase", "drop", "trash", "discard", "scrap", "scratch",
		"get rid of", "cancel", "forget about", "forget", "take off", "throw away",
		"throw out", "bin", "nuke", "clear", NULL
	};
	struct span t = s;

	if (eat_any(&t, verbs))
		return set_ref(p, BI_DELETE, t);
	t = s;
	if (eat(&t, "take")) {
		/* "take X off my list" */
		if (chop_list_suffix(&t) != 0 || chop(&t, " off"))
			return set_ref(p, BI_DELETE, t);
	}
	return false;
}

static bool
parse_rename(struct span s, struct builtin_parse *p)
{
	static const char *const strong[] = { "rename", "retitle", "re-title", NULL };
	static const char *const weak[] = { "change", "update", "edit", "modify", "alter", NULL };
	static const char *const of[] = {
		"the title of", "the name of", "the title for", "the name for", "the wording of",
		"title of", "name of", NULL
	};
	struct span t = s;
	bool is_strong;
	char *from = NULL, *to = NULL;
	int d;

	if (eat_any(&t, strong))
		is_strong = true;
	else if (eat_any(&t, weak))
		is_strong = false;
	else
		return false;
	eat_any(&t, of);
	chop_punct(&t);

	/* "change X to done" is a completion, not a new title. */
	{
		struct span u = t;

		if ((d = chop_done(&u)) != 0 && (span_find(&t, " to ", false) >= 0 ||
		    span_find(&t, " as ", false) >= 0))
			return set_ref(p, d == 2 ? BI_REOPEN : BI_COMPLETE, u);
	}
	{
		char *rest = span_dup(&t);

		/* t is normalised text already: split it as it is. */
		if (split_span(t, NULL, 0, &from, &to) == -1) {
			if (!is_strong || t.n == 0) {
				free(rest);
				return false;
			}
			/* "rename buy milk": ask for the new title. */
			p->intent = BI_RENAME;
			p->rename_rest = rest;
			{
				struct span u = t;

				clean_ref(&u);
				p->title = span_dup(&u);
			}
			p->new_title = xstrdup("");
			return true;
		}
		p->intent = BI_RENAME;
		p->rename_rest = rest;
		p->title = from;
		p->new_title = to;
		return true;
	}
}

static bool
parse_add(struct span s, struct builtin_parse *p)
{
	static const char *const direct[] = {
		"remind me that i need to", "remind me that i have to", "remind me that i must",
		"remind me to", "remind me about", "remind me of", "remind me that", "remind me",
		"don't let me forget to", "dont let me forget to", "do not let me forget to",
		"don't let me forget", "dont let me forget", "don't forget to", "dont forget to",
		"do not forget to", "i need to remember to", "i have to remember to",
		"i must remember to", "i should remember to", "i want to remember to",
		"remember to", "note to self:", "note to self", "make a note to", "make a note of",
		"make a note:", "jot down", "write down", "note down", "new task:", "new todo:",
		"new to-do:", "new item:", "new reminder:", "new task", "new todo", "new to-do",
		"task:", "todo:", "to-do:", "to do:", "reminder:", "add:", "todo", "to-do", NULL
	};
	static const char *const verbs[] = {
		"add", "create", "make", "put", "insert", "save", "record", "set up", "start", NULL
	};
	static const char *const articles[] = {
		"another", "one more", "an", "a", "one", "the", "some", NULL
	};
	static const char *const nouns[] = {
		"todo item", "task item", "task", "todo", "to-do", "to do", "item", "reminder",
		"entry", "note", NULL
	};
	static const char *const lists[] = {
		"to my task list", "to my todo list", "to my to-do list", "to my to do list",
		"to my tasks list", "to my list", "to the task list", "to the todo list",
		"to the to-do list", "to the list", "to my tasks", "to my todos", "to tasks",
		"to the tasks", "on my list", "on the list", "to list", NULL
	};
	static const char *const named[] = {
		"called", "named", "titled", "that says", "which says", "saying", "with the title",
		"with title", NULL
	};
	static const char *const ref_preps[] = { "to", "for", "about", "that i need to", NULL };
	static const char *const desc_marks[] = {
		" with the description ", " with a description of ", " with a description ",
		" with description ", " with details ", " with the note ", " with a note ",
		" with note ", " description: ", " desc: ", " details: ", " notes: ", " note: ",
		NULL
	};
	struct span t = s, title, rest = { "", "", 0 };
	bool noun = false, need_list = false;

	if (!eat_any(&t, direct)) {
		const char *verb = NULL;

		for (const char *const *v = verbs; *v != NULL; v++)
			if (eat(&t, *v)) {
				verb = *v;
				break;
			}
		if (verb == NULL)
			return false;
		eat_any(&t, articles);
		eat(&t, "new");
		noun = eat_any(&t, nouns);
		if (strcmp(verb, "put") == 0)
			need_list = true;
		else if (strcmp(verb, "add") != 0 && !noun)
			return false;		/* "make me a sandwich" */
		/* "set up a task", not "set up the projector"; "start a task". */
	}
	while (t.n > 0 && (t.l[0] == ':' || t.l[0] == '-')) {
		span_skip(&t, 1);
		span_trim(&t);
	}
	if (eat_any(&t, lists)) {
		need_list = false;
		while (t.n > 0 && (t.l[0] == ':' || t.l[0] == '-' || t.l[0] == ',')) {
			span_skip(&t, 1);
			span_trim(&t);
		}
	}
	if (!eat_any(&t, named) && noun)
		eat_any(&t, ref_preps);
	while (t.n > 0 && t.l[0] == ':') {
		span_skip(&t, 1);
		span_trim(&t);
	}

	if (!take_quoted(&t, &title, &rest)) {
		title = t;
		rest = (struct span){ t.o + t.n, t.l + t.n, 0 };
		long at = find_first_mark(&title, desc_marks);

		if (at >= 0) {
			rest = (struct span){ title.o + at, title.l + at, title.n - (size_t)at };
			title.n = (size_t)at;
		}
		chop_punct(&title);
		if (chop_list_suffix(&title) != 0)
			need_list = false;
	} else if (chop_list_suffix(&rest) != 0 || eat_any(&rest, lists))
		need_list = false;
	if (need_list)
		return false;		/* "put the kettle on" */

	/* The description, if any, follows a marker at the start of rest. */
	span_trim(&rest);
	for (const char *const *m = desc_marks; *m != NULL && rest.n > 0; m++) {
		char w[64];
		size_t k = strlen(*m);
		struct span d = rest;

		/* The markers carry spaces for searching inside a title; not here. */
		if (k < 3 || k - 2 >= sizeof w)
			continue;
		memcpy(w, *m + 1, k - 2);
		w[k - 2] = '\0';
		if (!eat(&d, w))
			continue;
		chop_punct(&d);
		unquote(&d);
		if (d.n > 0)
			p->description = span_dup(&d);
		break;
	}

	p->intent = BI_ADD;
	p->title = title_dup(title);
	return true;
}

static bool
parse_list(struct span s, struct builtin_parse *p)
{
	static const char *const triggers[] = {
		"what's", "whats", "what is", "what are", "what do", "what did", "what have",
		"what should", "what", "which", "show", "list", "display", "view", "see", "give me",
		"tell me", "get me", "get my", "get all", "read", "print", "how many", "how much",
		"do i have", "did i", "have i", "any", "anything", "are there", "is there", "is",
		"are", "check my", "can i see", "let me see", "i want to see", "i'd like to see",
		"where are", "where's", "my", "all", "pending", "completed", "open", "outstanding",
		"remaining", "finished", "done", "current", "unfinished", "incomplete", "todo",
		"todos", "to-do", "to-dos", "task", "tasks", "remind me what", NULL
	};
	static const char *const nouns[] = {
		"task", "tasks", "todo", "todos", "to-do", "to-dos", "list", "agenda", "plate",
		"left", "remaining", "outstanding", "pending", "to do", "done", "finished",
		"completed", "should i do", "should i work on", "unfinished", "incomplete", NULL
	};
	static const char *const pending[] = {
		"pending", "open", "outstanding", "remaining", "left", "incomplete", "unfinished",
		"not done", "not yet done", "not finished", "not completed", "undone",
		"uncompleted", "still to do", "have to do", "need to do", "should i do",
		"should i work on", "to be done", "unchecked", "active", "due", "next", "to do",
		"still", NULL
	};
	static const char *const completed[] = {
		"completed", "complete", "done", "finished", "checked off", "ticked off", "closed",
		"accomplished", NULL
	};
	struct span t = s;
	bool pend, comp;

	if (!eat_any(&t, triggers))
		return false;
	if (!has_any_word(&s, nouns))
		return false;
	pend = has_any_word(&s, pending);
	/* "not done" also holds "done": only a completion word without a pending one counts. */
	comp = has_any_word(&s, completed) && !pend;
	p->intent = BI_LIST;
	p->filter = pend ? "pending" : comp ? "completed" : "all";
	return true;
}

static bool
parse_social(struct span s, struct builtin_parse *p)
{
	static const char *const greet[] = {
		"hi", "hello", "hey", "hey there", "hi there", "hello there", "hiya", "howdy", "yo",
		"greetings", "good morning", "good afternoon", "good evening", "good day",
		"morning", "hi parley", "hello parley", "hey parley", "sup", "what's up",
		"whats up", "hallo", "hola", "how are you", "how are you doing", "how's it going",
		"hows it going", "how do you do", NULL
	};
	static const char *const thanks[] = {
		"thanks", "thank you", "thx", "ty", "cheers", "great", "perfect", "awesome",
		"nice", "cool", "ok", "okay", "got it", "sounds good", "thanks a lot",
		"thank you very much", "thanks so much", "thank you so much", "much appreciated",
		"great thanks", "perfect thanks", "that's great", "brilliant", "excellent", NULL
	};

	if (span_is_any(&s, greet)) {
		p->intent = BI_GREET;
		return true;
	}
	if (span_is_any(&s, thanks) || starts(&s, "thank") || starts(&s, "thanks")) {
		p->intent = BI_THANKS;
		return true;
	}
	return false;
}

void
builtin_parse(const char *text, struct builtin_parse *out)
{
	char *orig, *low;
	struct span s;

	memset(out, 0, sizeof *out);
	out->intent = BI_HELP;
	normalize(text != NULL ? text : "", &orig, &low);
	s = (struct span){ orig, low, strlen(orig) };
	chop_punct(&s);
	/* "hi there!" and "thanks!" are whole messages, not openers to strip. */
	if (s.n > 0 && parse_social(s, out))
		goto out;
	strip_fillers(&s);
	if (s.n > 0 &&
	    !parse_rename(s, out) &&
	    !parse_done(s, out) &&
	    !parse_delete(s, out) &&
	    !parse_add(s, out) &&
	    !parse_list(s, out))
		parse_social(s, out);
out:
	free(orig);
}

void
builtin_parse_free(struct builtin_parse *p)
{
	if (p == NULL)
		return;
	free(p->title);
	free(p->description);
	free(p->new_title);
	free(p->rename_rest);
	memset(p, 0, sizeof *p);
	p->intent = BI_HELP;
}

/*
 * Task titles as the store matches them (tasks_find_by_title): every word
 * of the reference occurs in the title, ignoring case; a title equal to the
 * whole reference is an exact match. ASCII case folding is enough here: the
 * store does the authoritative matching for complete and delete.
 */
static bool
fold_eq(char a, char b)
{
	return lower(a) == lower(b);
}

static bool
title_contains(const char *title, const char *w, size_t k)
{
	char first = lower(w[0]);

	for (; *title != '\0'; title++) {
		size_t i;

		if (lower(*title) != first)
			continue;
		for (i = 1; i < k && title[i] != '\0' && fold_eq(title[i], w[i]); i++)
			;
		if (i == k)
			return true;
	}
	return false;
}

bool
builtin_title_has_words(const char *title, const char *ref)
{
	bool any = false;

	while (*ref != '\0') {
		size_t k = 0;

		while (*ref == ' ')
			ref++;
		while (ref[k] != '\0' && ref[k] != ' ')
			k++;
		if (k == 0)
			break;
		if (!title_contains(title, ref, k))
			return false;
		any = true;
		ref += k;
	}
	return any;
}

bool
builtin_title_equals(const char *title, const char *ref)
{
	for (;;) {
		while (*title == ' ' || *title == '\t' || *title == '\n' || *title == '\r')
			title++;
		while (*ref == ' ')
			ref++;
		if (*title == '\0' || *ref == '\0')
			return *title == '\0' && *ref == '\0';
		while (*title != '\0' && *ref != '\0' && !strchr(" \t\n\r", *title) &&
		    *ref != ' ') {
			if (!fold_eq(*title, *ref))
				return false;
			title++;
			ref++;
		}
		if ((*title != '\0' && !strchr(" \t\n\r", *title)) || (*ref != '\0' && *ref != ' '))
			return false;
	}
}

/* 3: a title equals ref, 2: one title holds its words, 1: several do, 0: none. */
static int
match_score(const char *ref, const char *const *titles, size_t n)
{
	size_t holders = 0;

	for (size_t i = 0; i < n; i++)
		if (titles[i] != NULL && builtin_title_equals(titles[i], ref))
			return 3;
	for (size_t i = 0; i < n; i++)
		if (titles[i] != NULL && builtin_title_has_words(titles[i], ref))
			holders++;
	return holders == 1 ? 2 : holders > 1 ? 1 : 0;
}

/* builtin_rename_split on text already normalised (all of it, trimmed). */
static int
split_span(struct span all, const char *const *titles, size_t ntitles, char **from, char **to)
{
	static const char *const seps[] = { " to ", " into ", " as ", NULL };
	static const char *const lead[] = {
		"say", "read", "be", "become", "now be", "the title", "the name", NULL
	};
	char *best_from = NULL, *best_to = NULL;
	int best = -1, tries = 0;

	/*
	 * Two titles and a separator fit in about 1 KiB; beyond that, or past
	 * BI_MAX_SPLITS separators, splits are not weighed against the titles,
	 * so "a to a to a ..." cannot make the matching quadratic.
	 */
	if (all.n > 2 * 500 + 100)
		ntitles = 0;
	for (size_t i = 0; i < all.n && tries < BI_MAX_SPLITS; i++) {
		/* Every separator starts with a space: most bytes stop here. */
		if (all.l[i] != ' ')
			continue;
		for (const char *const *sep = seps; *sep != NULL; sep++) {
			size_t k = strlen(*sep);
			struct span a, b;
			char *f, *t;
			int score;

			if (i + k > all.n || memcmp(all.l + i, *sep, k) != 0)
				continue;
			tries++;
			a = (struct span){ all.o, all.l, i };
			b = (struct span){ all.o + i + k, all.l + i + k, all.n - i - k };
			clean_ref(&a);
			span_trim(&b);
			eat_any(&b, lead);
			if (b.n > 0 && b.l[0] == ':') {
				span_skip(&b, 1);
				span_trim(&b);
			}
			chop_punct(&b);
			unquote(&b);
			if (a.n == 0 || b.n == 0)
				continue;
			f = span_dup(&a);
			t = title_dup(b);
			if (t[0] == '\0') {
				free(f);
				free(t);
				continue;
			}
			score = match_score(f, titles, ntitles);
			/* >=: on a tie the later split wins, so "A to B to C" renames "A to B". */
			if (score >= best) {
				free(best_from);
				free(best_to);
				best_from = f;
				best_to = t;
				best = score;
			} else {
				free(f);
				free(t);
			}
		}
	}
	if (best < 0)
		return -1;
	*from = best_from;
	*to = best_to;
	return 0;
}

int
builtin_rename_split(const char *rest, const char *const *titles, size_t ntitles,
    char **from, char **to)
{
	char *orig, *low;
	int rc;

	normalize(rest != NULL ? rest : "", &orig, &low);
	rc = split_span((struct span){ orig, low, strlen(orig) }, titles, ntitles, from, to);
	free(orig);
	return rc;
}
