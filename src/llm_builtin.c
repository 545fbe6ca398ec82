/* llm_builtin.c: builtin/parley: task requests in plain English, carried out through the task tools. */
#include "llm_builtin.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "jfield.h"
#include "xalloc.h"

/*
 * The matcher works on a normalised copy of the message (white space runs
 * made one space, curly quotes made straight, trimmed) and on a lower-cased
 * twin of it with the same length, so a phrase is found in the twin and the
 * words the person typed are cut, with their case, from the original.
 */

#define BI_MAX_INPUT	4096	/* bytes of a message the matcher looks at */
#define BI_LIST_SHOWN	50	/* tasks listed in one answer */
#define BI_CANDIDATES	10	/* tasks offered when several match */
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

static bool
title_has_words(const char *title, const char *ref)
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

static bool
title_equals(const char *title, const char *ref)
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
		if (titles[i] != NULL && title_equals(titles[i], ref))
			return 3;
	for (size_t i = 0; i < n; i++)
		if (titles[i] != NULL && title_has_words(titles[i], ref))
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

/*
 * Answers
 */

/* Task titles and the person's words go into Markdown as text, never as markup. */
static void
md_text(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\n' || *s == '\r' || *s == '\t') {
			buf_putc(b, ' ');
			continue;
		}
		if (strchr("\\`*_{}[]()<>#+-.!|~&", *s) != NULL)
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
}

static void
md_bold(struct buf *b, const char *s)
{
	buf_puts(b, "**");
	md_text(b, s);
	buf_puts(b, "**");
}

static void
md_em(struct buf *b, const char *s)
{
	buf_putc(b, '*');
	md_text(b, s);
	buf_putc(b, '*');
}

static struct json_object *
jget(struct json_object *o, const char *key, json_type type)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, type))
		return NULL;
	return v;
}

/* Runs one tool through the sink (takes args). The parsed result, or NULL (caller puts). */
static struct json_object *
call_tool(const struct llm_sink *sink, const char *name, struct json_object *args)
{
	char *note = NULL, *text;
	struct json_object *r = NULL;

	/* The sink records the note for the conversation; the answer says it in its own words. */
	text = sink->tool(sink->ctx, name, args, &note);
	json_object_put(args);
	free(note);
	if (text != NULL) {
		r = json_tokener_parse(text);
		free(text);
	}
	if (r != NULL && !json_object_is_type(r, json_type_object)) {
		json_object_put(r);
		r = NULL;
	}
	return r;
}

static void
say_tool_failed(struct buf *b, struct json_object *r, const char *what)
{
	const char *err = jfield_str(r, "error");

	buf_printf(b, "Sorry, I couldn't %s", what);
	if (err != NULL) {
		buf_puts(b, ": ");
		md_text(b, err);
	} else
		buf_puts(b, ": your task list could not be reached. Please try again in a moment.");
}

static void
say_help(struct buf *b, bool greet)
{
	if (greet)
		buf_puts(b, "Hello! ");
	buf_puts(b,
	    "I'm Parley's built-in assistant. I work offline, so I can't answer general "
	    "questions, but I can look after your **tasks**. Try:\n\n"
	    "- *add a task to buy groceries*\n"
	    "- *what are my tasks?* or *what's left?*\n"
	    "- *mark buy groceries as done*\n"
	    "- *rename buy groceries to buy food for the week*\n"
	    "- *delete the task buy groceries*\n\n"
	    "For anything else, pick another model in the model menu if one is available.");
}

/* The example a person can copy to name one of several tasks. */
static void
say_example(struct buf *b, enum builtin_intent intent, const char *title)
{
	switch (intent) {
	case BI_COMPLETE:
		buf_puts(b, "*mark ");
		md_text(b, title);
		buf_puts(b, " as done*");
		break;
	case BI_REOPEN:
		buf_puts(b, "*mark ");
		md_text(b, title);
		buf_puts(b, " as not done*");
		break;
	case BI_DELETE:
		buf_puts(b, "*delete the task ");
		md_text(b, title);
		buf_putc(b, '*');
		break;
	default:
		buf_puts(b, "*rename ");
		md_text(b, title);
		buf_puts(b, " to …*");
		break;
	}
}

static void
say_candidates(struct buf *b, enum builtin_intent intent, const char *ref,
    struct json_object *cands)
{
	size_t n = json_object_array_length(cands), i;
	const char *first = NULL;

	buf_puts(b, "More than one task matches ");
	md_em(b, ref);
	buf_puts(b, ". Which one did you mean?\n\n");
	for (i = 0; i < n && i < BI_CANDIDATES; i++) {
		struct json_object *t = json_object_array_get_idx(cands, i);
		const char *title = jfield_str(t, "title");

		if (title == NULL)
			continue;
		if (first == NULL)
			first = title;
		buf_puts(b, "- ");
		md_bold(b, title);
		if (jfield_bool(t, "completed"))
			buf_puts(b, " (done)");
		buf_putc(b, '\n');
	}
	if (n > BI_CANDIDATES)
		buf_printf(b, "- …and %zu more\n", n - BI_CANDIDATES);
	if (first != NULL) {
		buf_puts(b, "\nSay it again with the full title, for example: ");
		say_example(b, intent, first);
		buf_putc(b, '.');
	}
}

static void
say_not_found(struct buf *b, const char *ref)
{
	buf_puts(b, "I couldn't find a task matching ");
	md_em(b, ref);
	buf_puts(b, ". Say *show my tasks* to see your list.");
}

static void
act_add(const struct llm_sink *sink, const struct builtin_parse *p, struct buf *b)
{
	struct json_object *args, *r, *task;
	const char *title;

	if (p->title[0] == '\0') {
		buf_puts(b, "What should the task say? For example: *add a task to buy groceries*.");
		return;
	}
	args = json_object_new_object();
	json_object_object_add(args, "title", json_object_new_string(p->title));
	if (p->description != NULL)
		json_object_object_add(args, "description", json_object_new_string(p->description));
	r = call_tool(sink, "add_task", args);
	task = jget(r, "task", json_type_object);
	if (jfield_bool(r, "ok") && task != NULL) {
		title = jfield_str(task, "title");
		buf_puts(b, "Done — I added ");
		md_bold(b, title != NULL ? title : p->title);
		buf_puts(b, " to your tasks");
		if (jfield_str(task, "description") != NULL)
			buf_puts(b, ", with its description");
		buf_putc(b, '.');
	} else
		say_tool_failed(b, r, "add that task");
	json_object_put(r);
}

static void
list_section(struct buf *b, struct json_object *tasks, bool completed, size_t *shown)
{
	size_t n = json_object_array_length(tasks);

	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(tasks, i);
		const char *title = jfield_str(t, "title");

		if (title == NULL || jfield_bool(t, "completed") != completed)
			continue;
		if (*shown >= BI_LIST_SHOWN)
			continue;
		(*shown)++;
		buf_puts(b, "- ");
		md_text(b, title);
		buf_putc(b, '\n');
	}
}

static size_t
count_state(struct json_object *tasks, bool completed)
{
	size_t n = json_object_array_length(tasks), c = 0;

	for (size_t i = 0; i < n; i++)
		if (jfield_bool(json_object_array_get_idx(tasks, i), "completed") == completed)
			c++;
	return c;
}

static void
act_list(const struct llm_sink *sink, const struct builtin_parse *p, struct buf *b)
{
	struct json_object *args, *r, *tasks;
	size_t npend, ndone, shown = 0;
	long total;

	args = json_object_new_object();
	json_object_object_add(args, "status", json_object_new_string(p->filter));
	r = call_tool(sink, "list_tasks", args);
	tasks = jget(r, "tasks", json_type_array);
	if (!jfield_bool(r, "ok") || tasks == NULL) {
		say_tool_failed(b, r, "read your tasks");
		json_object_put(r);
		return;
	}
	npend = count_state(tasks, false);
	ndone = count_state(tasks, true);
	total = json_object_get_int64(jget(r, "count", json_type_int));
	if (npend + ndone == 0) {
		if (strcmp(p->filter, "pending") == 0)
			buf_puts(b, "Nothing left to do: you have no pending tasks.");
		else if (strcmp(p->filter, "completed") == 0)
			buf_puts(b, "You haven't completed any tasks yet.");
		else
			buf_puts(b, "Your task list is empty. Try *add a task to buy groceries*.");
		json_object_put(r);
		return;
	}
	if (strcmp(p->filter, "pending") == 0) {
		buf_printf(b, "You have %zu pending task%s:\n\n", npend, npend == 1 ? "" : "s");
		list_section(b, tasks, false, &shown);
	} else if (strcmp(p->filter, "completed") == 0) {
		buf_printf(b, "You have completed %zu task%s:\n\n", ndone, ndone == 1 ? "" : "s");
		list_section(b, tasks, true, &shown);
	} else {
		buf_puts(b, "Here are your tasks.\n\n");
		if (npend > 0) {
			buf_printf(b, "**To do (%zu)**\n\n", npend);
			list_section(b, tasks, false, &shown);
		}
		if (ndone > 0 && shown < BI_LIST_SHOWN) {
			buf_printf(b, "%s**Done (%zu)**\n\n", npend > 0 ? "\n" : "", ndone);
			list_section(b, tasks, true, &shown);
		}
	}
	if (total > (long)shown)
		buf_printf(b, "\n…and %ld more on the Tasks page.", total - (long)shown);
	json_object_put(r);
}

/* complete_task or delete_task by title, through the store's own matching. */
static void
act_by_title(const struct llm_sink *sink, const struct builtin_parse *p, struct buf *b)
{
	bool del = p->intent == BI_DELETE;
	struct json_object *args, *r, *task, *cands;
	const char *title;

	if (p->title[0] == '\0') {
		buf_puts(b, del ? "Which task should I delete? For example: "
		    "*delete the task buy groceries*." :
		    "Which task did you finish? For example: *mark buy groceries as done*.");
		return;
	}
	args = json_object_new_object();
	json_object_object_add(args, "title", json_object_new_string(p->title));
	r = call_tool(sink, del ? "delete_task" : "complete_task", args);
	task = jget(r, "task", json_type_object);
	cands = jget(r, "candidates", json_type_array);
	title = jfield_str(task, "title");
	if (jfield_bool(r, "ok") && title != NULL) {
		if (del) {
			buf_puts(b, "I deleted ");
			md_bold(b, title);
			buf_puts(b, " from your tasks.");
		} else if (jfield_bool(r, "already_completed")) {
			md_bold(b, title);
			buf_puts(b, " was already done.");
		} else {
			buf_puts(b, "Nice work — I marked ");
			md_bold(b, title);
			buf_puts(b, " as done.");
		}
	} else if (cands != NULL && json_object_array_length(cands) > 1)
		say_candidates(b, p->intent, p->title, cands);
	else if (jfield_bool(r, "not_found"))
		say_not_found(b, p->title);
	else
		say_tool_failed(b, r, del ? "delete that task" : "mark that task as done");
	json_object_put(r);
}

/*
 * Rename and reopen need a task id (update_task takes one), so they read
 * the list and match titles here, the same way the store does.
 */
static void
act_by_id(const struct llm_sink *sink, const struct builtin_parse *p, struct buf *b)
{
	bool rename = p->intent == BI_RENAME;
	struct json_object *args, *r, *tasks, *cands = NULL, *u, *task;
	const char **titles = NULL;
	char *from = NULL, *to = NULL;
	size_t n, nexact = 0, nwords = 0, i;
	const char *id = NULL, *old = NULL;

	if (p->title[0] == '\0') {
		buf_puts(b, rename ? "Which task should I rename? For example: "
		    "*rename buy milk to buy oat milk*." :
		    "Which task should I mark as not done? For example: "
		    "*mark buy groceries as not done*.");
		return;
	}
	if (rename && p->new_title[0] == '\0') {
		buf_puts(b, "What should the new title be? For example: *rename ");
		md_text(b, p->title);
		buf_puts(b, " to …*.");
		return;
	}
	args = json_object_new_object();
	json_object_object_add(args, "status", json_object_new_string("all"));
	r = call_tool(sink, "list_tasks", args);
	tasks = jget(r, "tasks", json_type_array);
	if (!jfield_bool(r, "ok") || tasks == NULL) {
		say_tool_failed(b, r, "read your tasks");
		json_object_put(r);
		return;
	}
	n = json_object_array_length(tasks);
	titles = xcalloc(n + 1, sizeof *titles);
	for (i = 0; i < n; i++)
		titles[i] = jfield_str(json_object_array_get_idx(tasks, i), "title");

	if (rename && builtin_rename_split(p->rename_rest, titles, n, &from, &to) == 0) {
		/* Split again now that the titles are known: "rename talk to bob to call bob". */
	} else {
		from = xstrdup(p->title);
		to = xstrdup(rename ? p->new_title : "");
	}

	/* Exact titles first, then titles holding every word; reopen prefers done tasks. */
	cands = json_object_new_array();
	for (i = 0; i < n; i++)
		if (titles[i] != NULL && title_equals(titles[i], from))
			nexact++;
	for (i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(tasks, i);
		bool hit = nexact > 0 ? (titles[i] != NULL && title_equals(titles[i], from)) :
		    (titles[i] != NULL && title_has_words(titles[i], from));

		if (hit)
			json_object_array_add(cands, json_object_get(t));
	}
	nwords = json_object_array_length(cands);
	if (!rename && nwords > 1) {
		struct json_object *done = json_object_new_array();

		for (i = 0; i < nwords; i++) {
			struct json_object *t = json_object_array_get_idx(cands, i);

			if (jfield_bool(t, "completed"))
				json_object_array_add(done, json_object_get(t));
		}
		if (json_object_array_length(done) == 1) {
			json_object_put(cands);
			cands = done;
			nwords = 1;
		} else
			json_object_put(done);
	}

	if (nwords == 0)
		say_not_found(b, from);
	else if (nwords > 1)
		say_candidates(b, p->intent, from, cands);
	else {
		task = json_object_array_get_idx(cands, 0);
		id = jfield_str(task, "id");
		old = jfield_str(task, "title");
		if (!rename && !jfield_bool(task, "completed")) {
			md_bold(b, old != NULL ? old : from);
			buf_puts(b, " isn't marked as done, so there is nothing to reopen.");
			goto out;
		}
		args = json_object_new_object();
		json_object_object_add(args, "task_id", json_object_new_string(id != NULL ? id : ""));
		if (rename)
			json_object_object_add(args, "title", json_object_new_string(to));
		else
			json_object_object_add(args, "completed", json_object_new_boolean(0));
		u = call_tool(sink, "update_task", args);
		task = jget(u, "task", json_type_object);
		if (jfield_bool(u, "ok") && task != NULL) {
			const char *now = jfield_str(task, "title");

			if (rename) {
				buf_puts(b, "I renamed ");
				md_bold(b, old != NULL ? old : from);
				buf_puts(b, " to ");
				md_bold(b, now != NULL ? now : to);
				buf_putc(b, '.');
			} else {
				buf_puts(b, "I marked ");
				md_bold(b, now != NULL ? now : from);
				buf_puts(b, " as not done yet.");
			}
		} else
			say_tool_failed(b, u, rename ? "rename that task" : "reopen that task");
		json_object_put(u);
	}
out:
	json_object_put(cands);
	json_object_put(r);
	free(titles);
	free(from);
	free(to);
}

/* The text of the message being answered: the last one from the person. */
static const char *
question(const struct llm_request *req)
{
	for (size_t i = req->nmsgs; i > 0; i--) {
		const struct llm_message *m = &req->msgs[i - 1];

		if (m->role != NULL && strcmp(m->role, "user") == 0)
			return m->content != NULL ? m->content : "";
	}
	return "";
}

int
llm_builtin_complete(struct worker *w, const char *name, const struct llm_request *req,
    const struct llm_sink *sink, struct llm_result *res)
{
	struct builtin_parse p;
	struct buf ans = BUF_INIT, out = BUF_INIT;
	bool tools = req->tools && sink != NULL && sink->tool != NULL;
	const char *s;
	long prompt = 0;

	(void)w;
	(void)name;
	builtin_parse(question(req), &p);
	switch (p.intent) {
	case BI_GREET:
		say_help(&ans, true);
		break;
	case BI_THANKS:
		buf_puts(&ans, "You're welcome! Anything else for your task list?");
		break;
	case BI_ADD:
	case BI_LIST:
	case BI_COMPLETE:
	case BI_REOPEN:
	case BI_DELETE:
	case BI_RENAME:
		if (!tools) {
			buf_puts(&ans, "I can't change your tasks from here. Open a chat to "
			    "manage them, or use the Tasks page.");
			break;
		}
		if (p.intent == BI_ADD)
			act_add(sink, &p, &ans);
		else if (p.intent == BI_LIST)
			act_list(sink, &p, &ans);
		else if (p.intent == BI_COMPLETE || p.intent == BI_DELETE)
			act_by_title(sink, &p, &ans);
		else
			act_by_id(sink, &p, &ans);
		break;
	default:
		say_help(&ans, false);
		break;
	}
	builtin_parse_free(&p);

	/* Word by word, so the page streams it the way it streams a remote model. */
	res->status = LLM_OK;
	s = buf_cstr(&ans);
	while (*s != '\0') {
		size_t k = strcspn(s, " \n");

		k += strspn(s + k, " \n");
		if (sink != NULL && sink->cancelled != NULL && sink->cancelled(sink->ctx)) {
			res->status = LLM_STOPPED;
			break;
		}
		if (sink != NULL && sink->delta != NULL)
			sink->delta(sink->ctx, s, k);
		buf_append(&out, s, k);
		s += k;
	}
	buf_free(&ans);

	for (size_t i = 0; i < req->nmsgs; i++)
		prompt += llm_estimate_tokens(req->msgs[i].content) + 4;
	res->text = buf_detach(&out);
	res->tokens_prompt = prompt;
	res->tokens_completion = llm_estimate_tokens(res->text);
	res->tokens_total = res->tokens_prompt + res->tokens_completion;
	res->tokens_estimated = true;
	return 0;
}
