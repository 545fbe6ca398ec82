/* proposal_writer.c: proposal sections from the wizard's answers: composed offline, or asked of a model. */
#include "proposal_writer.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"
#include "config.h"
#include "jfield.h"
#include "llm.h"
#include "log.h"
#include "req.h"
#include "text.h"
#include "xalloc.h"

#define BUILTIN_MODEL	"builtin/parley"
#define MAX_ITEMS	50	/* list entries taken from one answer */

/* ---- small text tools ---- */

/* A list of strings taken from an answer. */
struct items {
	char	*v[MAX_ITEMS];
	size_t	 n;
};

static void
items_free(struct items *it)
{
	for (size_t i = 0; i < it->n; i++)
		free(it->v[i]);
	it->n = 0;
}

/* s[0..n) without surrounding white space, inner runs of white space made one space. Caller frees. */
static char *
tidy_n(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	bool gap = false;

	for (size_t i = 0; i < n; i++) {
		if (is_space(s[i])) {
			gap = b.len > 0;
			continue;
		}
		if (gap)
			buf_putc(&b, ' ');
		gap = false;
		buf_putc(&b, s[i]);
	}
	return buf_detach(&b);
}

static char *
tidy(const char *s)
{
	return tidy_n(s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

/* Drops trailing punctuation that ends a list entry or a sentence fragment. */
static void
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

static void
items_add(struct items *it, const char *s, size_t n)
{
	char *t;

	if (it->n >= MAX_ITEMS)
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

/* The first place needle is a whole word of s, ignoring ASCII case; NULL if none. */
static const char *
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

/*
 * The entries of a list answer: one per line; a single line is split at
 * semicolons, else (when commas is set) at commas, with a final "and"
 * ("A, B and C", "A, B, and C") split off too. List markers are dropped.
 */
static void
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
				if (and != NULL && and > last && and[-1] == ' ' && out->n < MAX_ITEMS) {
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

/* The goals: one per line or semicolon, and one per sentence; never split at commas. */
static void
split_goals(const char *text, struct items *out)
{
	struct items lines = { .n = 0 };

	split_list(text, false, &lines);
	out->n = 0;
	for (size_t i = 0; i < lines.n; i++) {
		const char *s, *start;

		start = s = lines.v[i];
		for (; *s; s++) {
			/* A sentence ends at . ! ? followed by a space and a capital letter. */
			if ((*s == '.' || *s == '!' || *s == '?') && s[1] == ' ' &&
			    isupper((unsigned char)s[2])) {
				items_add(out, start, (size_t)(s - start));
				start = s + 2;
			}
		}
		items_add(out, start, strlen(start));
	}
	items_free(&lines);
}

/* Backslash-escapes what Markdown would read as markup, so an answer shows as typed. */
static void
md_text(struct buf *b, const char *s)
{
	for (size_t i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (c == '\\' || c == '`' || c == '*' || c == '_' || c == '[' || c == ']' ||
		    c == '<' || c == '>' || c == '|' || c == '~' ||
		    (c == '#' && i == 0) ||
		    (c == '&' && (isalpha((unsigned char)s[i + 1]) || s[i + 1] == '#')))
			buf_putc(b, '\\');
		buf_putc(b, c);
	}
}

/* The first letter upper-cased (ASCII). */
static void
md_cap(struct buf *b, const char *s)
{
	char *t = xstrdup(s);

	if (islower((unsigned char)t[0]))
		t[0] = (char)toupper((unsigned char)t[0]);
	md_text(b, t);
	free(t);
}

/*
 * The first letter lower-cased for use inside a sentence, unless the first
 * word looks like a name or an acronym ("WordPress", "API", "I").
 */
static void
md_lower(struct buf *b, const char *s)
{
	char *t = xstrdup(s);
	bool name = false;
	size_t i;

	for (i = 1; t[i] != '\0' && !is_space(t[i]); i++)
		if (isupper((unsigned char)t[i]) || isdigit((unsigned char)t[i]))
			name = true;
	if (i == 1 && t[0] == 'I')
		name = true;		/* "I", but "A faster site" becomes "a faster site" */
	if (!name && isupper((unsigned char)t[0]))
		t[0] = (char)tolower((unsigned char)t[0]);
	md_text(b, t);
	free(t);
}

/* Ends a sentence that does not end in . ! or ? already. */
static void
end_sentence(struct buf *b)
{
	char c = b->len > 0 ? b->data[b->len - 1] : '.';

	if (c != '.' && c != '!' && c != '?')
		buf_putc(b, '.');
}

/* "a", "a and b", "a, b and c", each written with fn. */
static void
md_join(struct buf *b, const struct items *it, void (*fn)(struct buf *, const char *))
{
	for (size_t i = 0; i < it->n; i++) {
		if (i > 0)
			buf_puts(b, i == it->n - 1 ? " and " : ", ");
		fn(b, it->v[i]);
	}
}

static const char *const small_numbers[] = {
	"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
	"ten", "eleven", "twelve",
};

/* n in words up to twelve, else in digits. */
static void
put_count(struct buf *b, size_t n)
{
	if (n < sizeof small_numbers / sizeof small_numbers[0])
		buf_puts(b, small_numbers[n]);
	else
		buf_printf(b, "%zu", n);
}

/* ---- the timeline as milestones ---- */

enum unit { U_NONE = 0, U_DAY, U_WEEK, U_SPRINT, U_MONTH, U_YEAR };

static const struct {
	const char	*word;		/* singular; a trailing "s" is accepted */
	enum unit	 unit;
	int		 days;
	const char	*one, *many;	/* how it is written */
} units[] = {
	{ "day", U_DAY, 1, "day", "days" },
	{ "week", U_WEEK, 7, "week", "weeks" },
	{ "wk", U_WEEK, 7, "week", "weeks" },
	{ "sprint", U_SPRINT, 14, "sprint", "sprints" },
	{ "month", U_MONTH, 30, "month", "months" },
	{ "year", U_YEAR, 365, "year", "years" },
};

struct milestone {
	char		*name;		/* what happens, as typed, without the period ("" if nothing) */
	char		*label;		/* "Phase 2" when the answer numbered it; else NULL */
	char		*quarter;	/* "Q3" or "Q3 2025"; else NULL */
	int		 lo, hi;	/* a duration of lo..hi units (lo == hi: exact); 0: none */
	int		 ui;		/* index in units[] */
};

struct plan {
	struct milestone m[MAX_ITEMS];
	size_t		 n;
	size_t		 with_period;	/* milestones that name a duration, quarter or phase */
};

static void
plan_free(struct plan *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->m[i].name);
		free(p->m[i].label);
		free(p->m[i].quarter);
	}
	p->n = 0;
}

/* A number at s: digits, or a word up to twelve, or "a"/"an" (one). Sets *len; -1 if none. */
static int
number_at(const char *s, size_t *len)
{
	int v = 0;
	size_t i = 0;

	if (isdigit((unsigned char)s[0])) {
		while (isdigit((unsigned char)s[i]) && i < 4)
			v = v * 10 + (s[i++] - '0');
		if (isalpha((unsigned char)s[i]) && strncasecmp(s + i, "wk", 2) != 0) {
			/* "6weeks" is fine; "3d" or "2nd" is not a number we read. */
			bool unit = false;
			for (size_t u = 0; u < sizeof units / sizeof units[0]; u++)
				if (strncasecmp(s + i, units[u].word, strlen(units[u].word)) == 0)
					unit = true;
			if (!unit)
				return -1;
		}
		*len = i;
		return v;
	}
	for (size_t k = 1; k < sizeof small_numbers / sizeof small_numbers[0]; k++) {
		size_t n = strlen(small_numbers[k]);
		if (strncasecmp(s, small_numbers[k], n) == 0 && !isalpha((unsigned char)s[n])) {
			*len = n;
			return (int)k;
		}
	}
	if (strncasecmp(s, "an ", 3) == 0) {
		*len = 2;
		return 1;
	}
	if (strncasecmp(s, "a ", 2) == 0) {
		*len = 1;
		return 1;
	}
	return -1;
}

/* A unit word at s ("weeks", "month"); its index, or -1. Sets *len. */
static int
unit_at(const char *s, size_t *len)
{
	for (size_t u = 0; u < sizeof units / sizeof units[0]; u++) {
		size_t n = strlen(units[u].word);

		if (strncasecmp(s, units[u].word, n) != 0)
			continue;
		if (s[n] == 's' || s[n] == 'S')
			n++;
		if (isalpha((unsigned char)s[n]))
			continue;
		*len = n;
		return (int)u;
	}
	return -1;
}

/* Skips spaces and one hyphen ("6-week", "6 weeks"). */
static size_t
skip_joiner(const char *s)
{
	size_t i = 0;

	while (s[i] == ' ')
		i++;
	if (s[i] == '-' && i == 0)
		i++;
	return i;
}

/*
 * A duration at s: "2 weeks", "2-3 weeks", "2 to 3 months", "six-week",
 * "a month". Fills lo, hi, ui and *len; false when there is none.
 */
static bool
duration_at(const char *s, struct milestone *m, size_t *len)
{
	size_t i = 0, n;
	int lo, hi, u;

	if ((lo = number_at(s, &n)) < 0)
		return false;
	i = n;
	hi = lo;
	/* A range: "2-3", "2 – 3", "2 to 3". */
	{
		size_t j = i;
		while (s[j] == ' ')
			j++;
		if (s[j] == '-' || strncmp(s + j, "\xe2\x80\x93", 3) == 0 ||
		    strncasecmp(s + j, "to ", 3) == 0) {
			j += s[j] == '-' ? 1 : 3;
			while (s[j] == ' ')
				j++;
			if (isdigit((unsigned char)s[j]) || isalpha((unsigned char)s[j])) {
				int h = number_at(s + j, &n);
				if (h >= lo) {
					hi = h;
					i = j + n;
				}
			}
		}
	}
	i += skip_joiner(s + i);
	if ((u = unit_at(s + i, &n)) < 0)
		return false;
	if (lo == 0 || hi > 999)
		return false;
	m->lo = lo;
	m->hi = hi;
	m->ui = u;
	*len = i + n;
	return true;
}

/* Blanks s[from..from+n) with spaces (the name is tidied afterwards). */
static void
blank_out(char *s, size_t from, size_t n)
{
	memset(s + from, ' ', n);
}

static bool
edge_word(const char *w, size_t n)
{
	static const char *const words[] = {
		"in", "by", "for", "of", "over", "within", "during", "lasting", "about",
		"around", "approximately", "approx", "roughly", "takes", "taking", "then",
		"and", "at", "until", "till", "~",
	};

	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strlen(words[i]) == n && strncasecmp(w, words[i], n) == 0)
			return true;
	return false;
}

/* Punctuation that may be left at the ends of a milestone's name. */
static bool
edge_punct(char c)
{
	return c == ' ' || c == ':' || c == '-' || c == ',' || c == '.' || c == ';' || c == '/';
}

/* Removes punctuation, empty or unpaired brackets and joining words left at the ends of a name. */
static char *
clean_name(const char *raw)
{
	char *t = tidy(raw), *s, *out;
	size_t n;
	bool again = true;

	/* Empty brackets left where a period was: "Research ( )" */
	for (char *p; (p = strstr(t, "( )")) != NULL || (p = strstr(t, "()")) != NULL;) {
		size_t k = p[1] == ' ' ? 3 : 2;
		memmove(p, p + k, strlen(p + k) + 1);
	}
	s = t;
	while (again) {
		again = false;
		while (edge_punct(*s) || *s == ')' || (*s == '(' && strchr(s, ')') == NULL)) {
			s++;
			again = true;
		}
		if (strncmp(s, "\xe2\x80\x93", 3) == 0 || strncmp(s, "\xe2\x80\x94", 3) == 0) {
			s += 3;		/* en and em dashes */
			again = true;
		}
		n = strlen(s);
		/* A name in brackets of its own: "(testing)". */
		if (n >= 2 && s[0] == '(' && s[n - 1] == ')' && strchr(s + 1, '(') == NULL) {
			s[--n] = '\0';
			s++;
			n--;
			again = true;
		}
		while (n > 0 && (edge_punct(s[n - 1]) || s[n - 1] == '(' ||
		    (s[n - 1] == ')' && strchr(s, '(') == NULL))) {
			s[--n] = '\0';
			again = true;
		}
		if (n >= 3 && (strcmp(s + n - 3, "\xe2\x80\x93") == 0 ||
		    strcmp(s + n - 3, "\xe2\x80\x94") == 0)) {
			s[n - 3] = '\0';
			again = true;
		}
		/* A joining word at either end: "2 weeks of discovery", "launch in Q3". */
		{
			size_t w = strcspn(s, " ");
			char *sp;

			if (s[w] == ' ' && edge_word(s, w)) {
				s += w + 1;
				again = true;
			}
			if ((sp = strrchr(s, ' ')) != NULL && edge_word(sp + 1, strlen(sp + 1))) {
				*sp = '\0';
				again = true;
			}
		}
	}
	out = tidy(s);
	free(t);
	return out;
}

/* Reads one stage of the timeline into m. True when it names a period. */
static bool
read_stage(const char *stage, struct milestone *m)
{
	char *work = xstrdup(stage);
	bool period = false;
	size_t len = strlen(work);

	memset(m, 0, sizeof *m);
	for (size_t i = 0; i < len; i++) {
		size_t n;
		const char *p = work + i;

		if (i > 0 && isalnum((unsigned char)p[-1]))
			continue;
		/* A quarter: "Q3", "Q3 2025". */
		if (m->quarter == NULL && (p[0] == 'Q' || p[0] == 'q') && p[1] >= '1' &&
		    p[1] <= '4' && !isalnum((unsigned char)p[2])) {
			n = 2;
			if (p[2] == ' ' && isdigit((unsigned char)p[3]) && isdigit((unsigned char)p[4]) &&
			    isdigit((unsigned char)p[5]) && isdigit((unsigned char)p[6]) &&
			    !isalnum((unsigned char)p[7]))
				n = 7;
			m->quarter = xstrndup(p, n);
			m->quarter[0] = 'Q';
			blank_out(work, i, n);
			period = true;
			continue;
		}
		/* A numbered phase or stage: "phase 2", "Stage one". */
		if (m->label == NULL) {
			size_t k = 0, nl;
			int v;

			if (strncasecmp(p, "phase ", 6) == 0 || strncasecmp(p, "stage ", 6) == 0)
				k = 6;
			else if (strncasecmp(p, "step ", 5) == 0)
				k = 5;
			if (k > 0 && (v = number_at(p + k, &nl)) > 0 &&
			    !isalnum((unsigned char)p[k + nl])) {
				char word[8];

				snprintf(word, sizeof word, "%.*s", (int)(k - 1), p);
				word[0] = (char)toupper((unsigned char)word[0]);
				for (size_t c = 1; word[c]; c++)
					word[c] = (char)tolower((unsigned char)word[c]);
				m->label = xasprintf("%s %d", word, v);
				blank_out(work, i, k + nl);
				period = true;
				continue;
			}
		}
		if (m->lo == 0 && duration_at(p, m, &n)) {
			blank_out(work, i, n);
			period = true;
		}
	}
	m->name = clean_name(work);
	free(work);
	return period;
}

/*
 * The timeline's stages: one per line, else split at semicolons, commas,
 * " then " and arrows. Stages that name a period are milestones.
 */
static void
read_plan(const char *timeline, struct plan *p)
{
	struct items stages = { .n = 0 }, parts;
	char *t = xstrdup(timeline != NULL ? timeline : "");

	/* Arrows and "then" separate stages like commas do. */
	for (char *q; (q = strstr(t, "->")) != NULL;) {
		q[0] = ',';
		q[1] = ' ';
	}
	for (char *q; (q = strstr(t, "\xe2\x86\x92")) != NULL;) {	/* U+2192 RIGHTWARDS ARROW */
		q[0] = ',';
		q[1] = ' ';
		q[2] = ' ';
	}
	split_list(t, true, &stages);
	free(t);
	p->n = 0;
	p->with_period = 0;
	for (size_t i = 0; i < stages.n; i++) {
		parts.n = 0;
		{
			/* " then " inside one stage. */
			const char *s = stages.v[i], *from = s, *q;

			while ((q = find_word(from, "then")) != NULL) {
				if (q > s && q[-1] == ' ')
					items_add(&parts, from, (size_t)(q - from));
				from = q + 4;
			}
			items_add(&parts, from, strlen(from));
		}
		for (size_t j = 0; j < parts.n && p->n < MAX_ITEMS; j++) {
			if (read_stage(parts.v[j], &p->m[p->n]))
				p->with_period++;
			p->n++;
		}
		items_free(&parts);
	}
	items_free(&stages);
}

/* All durations in one unit, so they can be laid end to end: that unit's index, or -1. */
static int
common_unit(const struct plan *p)
{
	int u = -1;

	for (size_t i = 0; i < p->n; i++) {
		if (p->m[i].lo == 0)
			continue;
		if (u == -1)
			u = p->m[i].ui;
		else if (units[u].unit != units[p->m[i].ui].unit)
			return -1;
	}
	return u;
}

/* The sum of the durations (upper ends) in days; 0 when none. */
static long
plan_days(const struct plan *p)
{
	long d = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->m[i].lo > 0)
			d += (long)p->m[i].hi * units[p->m[i].ui].days;
	return d;
}

/* "about 11 weeks" for the plan's total, in its common unit or the largest fitting one. */
static void
put_total(struct buf *b, const struct plan *p)
{
	int u = common_unit(p);
	long days = plan_days(p), n = 0;
	const char *one = "week", *many = "weeks";

	if (u >= 0) {
		for (size_t i = 0; i < p->n; i++)
			if (p->m[i].lo > 0)
				n += p->m[i].hi;
		one = units[u].one;
		many = units[u].many;
	} else if (days >= 120) {
		n = (days + 15) / 30;
		one = "month";
		many = "months";
	} else
		n = (days + 3) / 7;
	if (n < 1)
		n = 1;
	buf_printf(b, "about %ld %s", n, n == 1 ? one : many);
}

static void
put_duration(struct buf *b, const struct milestone *m)
{
	if (m->lo != m->hi)
		buf_printf(b, "%d\xe2\x80\x93%d %s", m->lo, m->hi, units[m->ui].many);
	else
		buf_printf(b, "%d %s", m->lo, m->lo == 1 ? units[m->ui].one : units[m->ui].many);
}

/* ---- the answers, read once for every section ---- */

struct answers {
	char		*client;	/* tidied, one line */
	char		*project;
	char		*timeline;
	struct items	 goals;
	struct items	 deliverables;
	struct items	 techs;
	struct plan	 plan;
	bool		 milestones;	/* the plan is worth a list: 2+ stages, one with a period */
};

static void
answers_read(struct json_object *p, struct answers *a)
{
	memset(a, 0, sizeof *a);
	a->client = tidy(jfield_str(p, "client_name"));
	a->project = tidy(jfield_str(p, "project_title"));
	a->timeline = tidy(jfield_str(p, "timeline"));
	strip_end_punct(a->timeline);
	if (a->client[0] == '\0') {
		free(a->client);
		a->client = xstrdup("the client");
	}
	if (a->project[0] == '\0') {
		free(a->project);
		a->project = xstrdup("the project");
	}
	split_goals(jfield_str(p, "project_goals"), &a->goals);
	split_list(jfield_str(p, "deliverables"), true, &a->deliverables);
	split_list(jfield_str(p, "technologies"), true, &a->techs);
	read_plan(jfield_str(p, "timeline"), &a->plan);
	a->milestones = a->plan.n >= 2 && a->plan.with_period > 0;
}

static void
answers_free(struct answers *a)
{
	free(a->client);
	free(a->project);
	free(a->timeline);
	items_free(&a->goals);
	items_free(&a->deliverables);
	items_free(&a->techs);
	plan_free(&a->plan);
}

/* **Project** */
static void
put_project(struct buf *b, const struct answers *a)
{
	buf_puts(b, "**");
	md_text(b, a->project);
	buf_puts(b, "**");
}

/* The client's name at the start of a sentence. */
static void
put_client_cap(struct buf *b, const struct answers *a)
{
	md_cap(b, a->client);
}

/* ---- the six sections ---- */

static void
write_summary(struct buf *b, const struct answers *a)
{
	put_client_cap(b, a);
	buf_puts(b, " has asked us for a proposal for ");
	put_project(b, a);
	buf_puts(b, ". This document sets out what the project will achieve, what we will "
	    "deliver, when, and how.\n\n");

	if (a->goals.n > 0) {
		buf_puts(b, "At its heart, the project is about one goal: ");
		md_lower(b, a->goals.v[0]);
		end_sentence(b);
		if (a->goals.n > 1) {
			buf_puts(b, " Alongside it we will work towards ");
			put_count(b, a->goals.n - 1);
			buf_puts(b, a->goals.n == 2 ? " further objective" : " further objectives");
			buf_puts(b, ", set out below.");
		}
		buf_puts(b, "\n\n");
	}

	buf_puts(b, "We will deliver ");
	if (a->deliverables.n == 0)
		buf_puts(b, "the agreed results");
	else if (a->deliverables.n <= 3)
		md_join(b, &a->deliverables, md_lower);
	else {
		put_count(b, a->deliverables.n);
		buf_puts(b, " deliverables, from ");
		md_lower(b, a->deliverables.v[0]);
		buf_puts(b, " to ");
		md_lower(b, a->deliverables.v[a->deliverables.n - 1]);
		buf_puts(b, ",");
	}
	if (a->plan.with_period > 0 && plan_days(&a->plan) > 0) {
		buf_puts(b, " over ");
		put_total(b, &a->plan);
	} else
		buf_puts(b, " on the schedule set out below");
	if (a->techs.n > 0) {
		buf_puts(b, ", using ");
		md_join(b, &a->techs, md_text);
	}
	buf_puts(b, ".\n\nThe sections that follow describe the objectives, the scope of the "
	    "work, the milestones, the technical approach and the next steps.\n");
}

static void
write_objectives(struct buf *b, const struct answers *a)
{
	buf_puts(b, "Together with ");
	md_text(b, a->client);
	if (a->goals.n <= 1)
		buf_puts(b, ", we will work towards one clear objective:\n\n");
	else {
		buf_puts(b, ", we will work towards these ");
		put_count(b, a->goals.n);
		buf_puts(b, " objectives:\n\n");
	}
	if (a->goals.n == 0)
		buf_puts(b, "1. The outcomes agreed at the kick-off meeting.\n");
	for (size_t i = 0; i < a->goals.n; i++) {
		buf_printf(b, "%zu. ", i + 1);
		md_cap(b, a->goals.v[i]);
		end_sentence(b);
		buf_putc(b, '\n');
	}
	buf_puts(b, "\nWe review ");
	buf_puts(b, a->goals.n <= 1 ? "this objective" : "these objectives");
	buf_puts(b, " with ");
	md_text(b, a->client);
	buf_puts(b, " at the end of every milestone, so that ");
	put_project(b, a);
	buf_puts(b, " stays focused on the results that matter.\n");
}

static void
write_scope(struct buf *b, const struct answers *a)
{
	buf_puts(b, "The scope of ");
	put_project(b, a);
	buf_puts(b, a->deliverables.n == 1 ? " covers one deliverable for " :
	    " covers the following deliverables for ");
	md_text(b, a->client);
	buf_puts(b, ":\n\n");
	if (a->deliverables.n == 0)
		buf_puts(b, "- The results agreed at the kick-off meeting\n");
	for (size_t i = 0; i < a->deliverables.n; i++) {
		buf_puts(b, "- ");
		md_cap(b, a->deliverables.v[i]);
		buf_putc(b, '\n');
	}
	buf_puts(b, "\nEach deliverable is reviewed and accepted by ");
	md_text(b, a->client);
	buf_puts(b, " before it is considered complete. Work that is not listed here is outside "
	    "the scope of this proposal; we are happy to add it through a short change request "
	    "with its own estimate.\n");
}

static void
write_timeline(struct buf *b, const struct answers *a)
{
	const struct plan *p = &a->plan;
	int u = common_unit(p);
	long at = 0;

	if (!a->milestones) {
		buf_puts(b, "We have planned ");
		put_project(b, a);
		buf_puts(b, " around the schedule agreed with ");
		md_text(b, a->client);
		buf_puts(b, ": ");
		md_lower(b, a->timeline[0] != '\0' ? a->timeline : "to be confirmed");
		end_sentence(b);
		buf_puts(b, "\n\nIn the first week we turn this into a detailed plan with dates, "
		    "and we review progress with ");
		md_text(b, a->client);
		buf_puts(b, " at the end of every stage.\n");
		return;
	}

	buf_puts(b, "We will deliver ");
	put_project(b, a);
	buf_puts(b, " in ");
	put_count(b, p->n);
	buf_puts(b, " milestones:\n\n");
	for (size_t i = 0; i < p->n; i++) {
		const struct milestone *m = &p->m[i];
		bool any = false;

		buf_printf(b, "%zu. **", i + 1);
		if (m->label != NULL) {
			md_text(b, m->label);
			if (m->name[0] != '\0')
				buf_puts(b, " \xe2\x80\x93 ");
		}
		if (m->name[0] != '\0')
			md_cap(b, m->name);
		else if (m->label == NULL)
			buf_printf(b, "Milestone %zu", i + 1);
		buf_puts(b, "**");
		if (m->lo > 0) {
			buf_puts(b, ": ");
			put_duration(b, m);
			any = true;
			if (u >= 0 && units[u].unit != U_SPRINT && units[u].unit != U_YEAR) {
				long from = at + 1, to = at + m->hi;
				const char *w = units[u].one;

				if (from == to)
					buf_printf(b, " (%s %ld)", w, from);
				else
					buf_printf(b, " (%ss %ld\xe2\x80\x93%ld)", w, from, to);
			}
			at += m->hi;
		}
		if (m->quarter != NULL) {
			buf_puts(b, any ? ", completed in " : ": completed in ");
			md_text(b, m->quarter);
		}
		buf_putc(b, '\n');
	}
	buf_putc(b, '\n');
	if (plan_days(p) > 0 && p->n > 1) {
		buf_puts(b, "Altogether that is ");
		put_total(b, p);
		buf_puts(b, " of work. ");
	}
	buf_puts(b, "Each milestone ends with a short review with ");
	md_text(b, a->client);
	buf_puts(b, ", so that feedback is taken in before the next one starts.\n");
}

/* What a technology does in a project, by the words in its name. */
static const struct {
	const char	*words;		/* keywords separated by '|', matched as whole words */
	const char	*does;		/* completes "**Name** ..." */
} tech_roles[] = {
	{ "react native|flutter|swift|swiftui|kotlin|ios|android|xamarin|ionic",
	  "powers the mobile app, so that it feels at home on phones and tablets." },
	{ "woocommerce|shopify|magento|bigcommerce|prestashop",
	  "runs the online shop: products, orders and stock in one place." },
	{ "wordpress|drupal|joomla|contentful|strapi|sanity|ghost|wagtail|craft|webflow|"
	  "squarespace|wix|directus",
	  "lets the team at %s update content without developer help." },
	{ "stripe|paypal|mollie|adyen|braintree|square|klarna",
	  "takes secure online payments, so card details never touch our servers." },
	{ "react|vue|vue.js|angular|svelte|sveltekit|next.js|nextjs|nuxt|remix|astro|ember|"
	  "htmx|alpine.js|jquery",
	  "drives a fast, accessible user interface built from reusable components." },
	{ "html|html5|css|css3|sass|scss|tailwind|tailwindcss|bootstrap|javascript|typescript",
	  "keeps the pages clean, responsive and quick on every screen size." },
	{ "node|node.js|nodejs|express|django|flask|fastapi|rails|ruby on rails|ruby|laravel|php|"
	  "symfony|spring|spring boot|java|go|golang|rust|.net|asp.net|c#|python|elixir|phoenix|"
	  "deno|nestjs|graphql|rest|api",
	  "runs the application logic on the server, covered by automated tests." },
	{ "postgres|postgresql|mysql|mariadb|sqlite|mongodb|redis|elasticsearch|supabase|"
	  "firebase|dynamodb|sql server",
	  "stores the data safely, with regular, tested backups." },
	{ "cloudflare|fastly|akamai|cdn",
	  "delivers pages quickly worldwide and shields the site from attacks." },
	{ "aws|amazon web services|azure|gcp|google cloud|heroku|vercel|netlify|digitalocean|"
	  "linode|hetzner|fly.io|render|ovh",
	  "hosts the service reliably, with room to grow." },
	{ "docker|kubernetes|k8s|terraform|ansible|github actions|gitlab|gitlab ci|jenkins|ci|"
	  "ci/cd|github",
	  "makes builds and deployments repeatable and automated." },
	{ "figma|sketch|adobe xd|xd|invision|framer",
	  "holds the designs and clickable prototypes, so that they can be reviewed early." },
	{ "google analytics|analytics|plausible|matomo|mixpanel|hotjar|posthog",
	  "measures how visitors use the site, to guide what to improve next." },
	{ "openai|gpt|chatgpt|llm|ai|machine learning|ml|tensorflow|pytorch",
	  "powers the intelligent features, with care for the quality and privacy of the data." },
	{ "mailchimp|sendgrid|postmark|mailgun|brevo|email",
	  "sends reliable email to customers." },
};

/* The role of tech, or NULL when no keyword matches. */
static const char *
tech_role(const char *tech)
{
	for (size_t i = 0; i < sizeof tech_roles / sizeof tech_roles[0]; i++) {
		const char *w = tech_roles[i].words;

		while (*w != '\0') {
			size_t n = strcspn(w, "|");
			char word[40];

			if (n < sizeof word) {
				memcpy(word, w, n);
				word[n] = '\0';
				if (find_word(tech, word) != NULL)
					return tech_roles[i].does;
			}
			w += n;
			if (*w == '|')
				w++;
		}
	}
	return NULL;
}

static void
write_technology(struct buf *b, const struct answers *a)
{
	buf_puts(b, "We will build ");
	put_project(b, a);
	buf_puts(b, " with a focused set of proven technologies:\n\n");
	if (a->techs.n == 0)
		buf_puts(b, "- The technology choices are confirmed at the kick-off meeting.\n");
	for (size_t i = 0; i < a->techs.n; i++) {
		const char *role = tech_role(a->techs.v[i]);

		buf_puts(b, "- **");
		md_text(b, a->techs.v[i]);
		buf_puts(b, "** ");
		if (role == NULL)
			buf_puts(b, "is part of the stack as a proven, well-supported choice.");
		else if (strstr(role, "%s") != NULL) {
			struct buf c = BUF_INIT;
			const char *at = strstr(role, "%s");

			md_text(&c, a->client);
			buf_append(b, role, (size_t)(at - role));
			buf_puts(b, buf_cstr(&c));
			buf_puts(b, at + 2);
			buf_free(&c);
		} else
			buf_puts(b, role);
		buf_putc(b, '\n');
	}
	buf_puts(b, "\nWe choose well-established, well-documented tools so that ");
	md_text(b, a->client);
	buf_puts(b, " is never tied to a single supplier. Security updates, automated tests "
	    "and code review are part of the work, and the code, its configuration and its "
	    "documentation are handed over at the end of the project.\n");
}

static void
write_next_steps(struct buf *b, const struct answers *a)
{
	const char *first = NULL;

	if (a->milestones) {
		const struct milestone *m = &a->plan.m[0];
		first = m->name[0] != '\0' ? m->name : m->label;
	}
	buf_puts(b, "1. ");
	put_client_cap(b, a);
	buf_puts(b, " reviews this proposal and sends us any questions or changes.\n");
	buf_puts(b, "2. We agree on the scope, the schedule and the budget, and both sides sign "
	    "off the proposal.\n");
	buf_puts(b, "3. We hold a kick-off meeting to plan the first milestone");
	if (first != NULL) {
		buf_puts(b, ", *");
		md_cap(b, first);
		buf_puts(b, "*,");
	}
	buf_puts(b, " in detail.\n");
	buf_puts(b, "4. Work begins, with a progress update at the end of every milestone.\n\n");
	buf_puts(b, "We look forward to working with ");
	md_text(b, a->client);
	buf_puts(b, " on ");
	put_project(b, a);
	buf_puts(b, ".\n");
}

char *
proposal_builtin_section(struct json_object *proposal, enum proposal_section s)
{
	struct buf b = BUF_INIT;
	struct answers a;

	answers_read(proposal, &a);
	switch (s) {
	case PS_EXECUTIVE_SUMMARY:
		write_summary(&b, &a);
		break;
	case PS_OBJECTIVES:
		write_objectives(&b, &a);
		break;
	case PS_SCOPE:
		write_scope(&b, &a);
		break;
	case PS_TIMELINE:
		write_timeline(&b, &a);
		break;
	case PS_TECHNOLOGY:
		write_technology(&b, &a);
		break;
	case PS_NEXT_STEPS:
	default:
		write_next_steps(&b, &a);
		break;
	}
	answers_free(&a);
	return buf_detach(&b);
}

/* ---- export ---- */

char *
proposal_markdown_document(struct json_object *proposal, struct json_object *sections)
{
	struct buf b = BUF_INIT;
	char *title = tidy(jfield_str(proposal, "title")), *client = tidy(jfield_str(proposal, "client_name"));
	char *project = tidy(jfield_str(proposal, "project_title"));
	const char *updated = jfield_str(proposal, "updated_at");
	size_t n = sections != NULL ? json_object_array_length(sections) : 0;

	buf_puts(&b, "# ");
	md_text(&b, title[0] != '\0' ? title : "Proposal");
	buf_puts(&b, "\n\n");
	/* Two spaces at the end of a line: a line break within the paragraph. */
	if (client[0] != '\0') {
		buf_puts(&b, "**Client:** ");
		md_text(&b, client);
		buf_puts(&b, "  \n");
	}
	if (project[0] != '\0') {
		buf_puts(&b, "**Project:** ");
		md_text(&b, project);
		buf_puts(&b, "  \n");
	}
	if (updated != NULL && strlen(updated) >= 10)
		buf_printf(&b, "**Date:** %.10s\n", updated);
	for (int s = 0; s < PS__MAX; s++) {
		const struct proposal_section_info *info = proposal_section((enum proposal_section)s);

		for (size_t i = 0; i < n; i++) {
			struct json_object *sec = json_object_array_get_idx(sections, i);
			const char *name = jfield_str(sec, "section_name"), *content = jfield_str(sec, "content");
			size_t len;

			if (name == NULL || strcmp(name, info->name) != 0)
				continue;
			buf_printf(&b, "\n## %s\n\n", info->title);
			content = content != NULL ? content : "";
			len = strlen(content);
			while (len > 0 && is_space(content[len - 1]))
				len--;
			buf_append(&b, content, len);
			buf_putc(&b, '\n');
		}
	}
	free(title);
	free(client);
	free(project);
	return buf_detach(&b);
}

/* ---- remote models ---- */

static const char *const section_asks[PS__MAX] = {
	/* PS_EXECUTIVE_SUMMARY */
	"In two or three short paragraphs, summarise who the proposal is for, what the project "
	"will achieve, what will be delivered, over what time, and with which technologies.",
	/* PS_OBJECTIVES */
	"Write one sentence of introduction, then the project's objectives as a numbered list: "
	"one per goal, each a clear and, where possible, measurable statement.",
	/* PS_SCOPE */
	"List the deliverables as a bulleted list, each with a short description, then one "
	"paragraph saying that work not listed is out of scope and can be added through a "
	"change request.",
	/* PS_TIMELINE */
	"Turn the timeline into a numbered list of milestones. Where it names periods (like "
	"\"2 weeks\", \"3 months\", \"Q1\" or \"phase 2\"), give each milestone its period and "
	"its place in the schedule. End with one sentence on how progress is reviewed.",
	/* PS_TECHNOLOGY */
	"List the technologies as a bulleted list, each with one sentence on how it is used in "
	"this project, then one short paragraph on the technical approach: quality, security "
	"and handover.",
	/* PS_NEXT_STEPS */
	"Write a short numbered list of the steps from receiving this proposal to starting the "
	"work, then one closing sentence.",
};

char *
proposal_section_prompt(struct json_object *proposal, enum proposal_section s)
{
	const struct proposal_section_info *info = proposal_section(s);
	struct buf b = BUF_INIT;

	if (info == NULL) {
		s = PS_EXECUTIVE_SUMMARY;
		info = proposal_section(s);
	}
	buf_puts(&b,
	    "You write clear, persuasive client proposals for freelancers and small agencies. "
	    "Write in plain, professional English, as \"we\" for the team sending the proposal, "
	    "and call the client by name. Answer with the section's text in Markdown only: no "
	    "heading with the section's title, no preamble, no remarks about the text. Use only "
	    "the facts given; do not invent prices, dates or names.\n\n");
	buf_printf(&b, "Write the \"%s\" section of a client proposal.\n\n%s\n\n"
	    "The facts, as the freelancer gave them:\n", info->title, section_asks[s]);
	for (int f = 0; f < PF__MAX; f++) {
		const struct proposal_question *q = proposal_question((enum proposal_field)f);
		const char *v = jfield_str(proposal, q->field);

		buf_printf(&b, "\n%s:\n", q->label);
		if (v == NULL || v[0] == '\0') {
			buf_puts(&b, "  (not given)\n");
			continue;
		}
		/* Indented, so an answer cannot pose as another heading of the request. */
		buf_puts(&b, "  ");
		for (const char *p = v; *p; p++) {
			if (*p == '\r')
				continue;
			buf_putc(&b, *p);
			if (*p == '\n')
				buf_puts(&b, "  ");
		}
		buf_putc(&b, '\n');
	}
	return buf_detach(&b);
}

const char *
proposal_writer_model(const struct config *cfg, struct json_object *proposal)
{
	const char *m = jfield_str(proposal, "model");

	if (m != NULL && m[0] != '\0')
		return m;
	return llm_default_model(cfg);
}

/* The model's text without a first line that only repeats the section's title. Caller frees. */
static char *
model_text(const char *text, const char *title)
{
	const char *s = text, *nl;
	char *line, *out;

	while (is_space(*s))
		s++;
	if (*s == '#' && (nl = strchr(s, '\n')) != NULL) {
		const char *h = s;
		while (*h == '#' || *h == ' ')
			h++;
		line = tidy_n(h, (size_t)(nl - h));
		{
			/* "**Executive summary**" and "Executive Summary:" count too. */
			char *p = line;
			size_t n;
			while (*p == '*')
				p++;
			n = strlen(p);
			while (n > 0 && (p[n - 1] == '*' || p[n - 1] == ':'))
				p[--n] = '\0';
			if (strcasecmp(p, title) == 0)
				s = nl + 1;
		}
		free(line);
	}
	/* Trim only the ends: inner line breaks are Markdown. */
	while (is_space(*s))
		s++;
	out = xstrdup(s);
	{
		size_t n = strlen(out);
		while (n > 0 && is_space(out[n - 1]))
			out[--n] = '\0';
	}
	return out;
}

static long
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (long)((b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000);
}

enum pw_status
proposal_write_section(struct worker *w, const char *user_id, struct json_object *proposal,
    enum proposal_section s, struct json_object **out, struct pw_result *res)
{
	const struct config *cfg = w->app != NULL ? w->app->cfg : NULL;
	const struct proposal_section_info *info = proposal_section(s);
	const char *model = proposal_writer_model(cfg, proposal), *id = jfield_str(proposal, "id");
	struct proposal_usage u;
	struct json_object *sec = NULL;
	char *text = NULL;
	enum db_err e;

	memset(res, 0, sizeof *res);
	memset(&u, 0, sizeof u);
	u.model_used = model;
	u.time_to_first_token_ms = -1;
	if (info == NULL || id == NULL) {
		res->status = PW_STORE_FAILED;
		res->db = DB_NOTFOUND;
		return res->status;
	}

	if (strcmp(model, BUILTIN_MODEL) == 0) {
		struct timespec t0, t1;
		char *ask;

		clock_gettime(CLOCK_MONOTONIC, &t0);
		text = proposal_builtin_section(proposal, s);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		/* Counted like the builtin chat model does: estimates, from what it read and wrote. */
		ask = proposal_section_prompt(proposal, s);
		u.tokens_prompt = llm_estimate_tokens(ask);
		u.tokens_completion = llm_estimate_tokens(text);
		u.tokens_total = u.tokens_prompt + u.tokens_completion;
		u.tokens_estimated = true;
		u.completion_time_ms = ms_between(&t0, &t1);
		u.time_to_first_token_ms = u.completion_time_ms;
		free(ask);
	} else {
		struct llm_message msg;
		struct llm_request rq;
		struct llm_result lr;
		char *ask = proposal_section_prompt(proposal, s);

		msg.role = "user";
		msg.content = ask;
		memset(&rq, 0, sizeof rq);
		rq.model = model;
		rq.msgs = &msg;
		rq.nmsgs = 1;
		rq.tools = false;
		(void)db_release(w->db);	/* no connection held while the model writes */
		(void)llm_complete(w, &rq, NULL, &lr);
		free(ask);
		u.tokens_prompt = lr.tokens_prompt;
		u.tokens_completion = lr.tokens_completion;
		u.tokens_total = lr.tokens_total;
		u.tokens_estimated = lr.tokens_estimated;
		u.completion_time_ms = lr.completion_time_ms;
		u.time_to_first_token_ms = lr.time_to_first_token_ms;
		if (lr.status == LLM_ERROR) {
			snprintf(res->error, sizeof res->error, "%s", lr.error);
		} else {
			text = model_text(lr.text, info->title);
			if (text[0] == '\0') {
				free(text);
				text = NULL;
				snprintf(res->error, sizeof res->error, "The model answered with no text.");
			}
		}
		free(lr.text);
	}

	if (text == NULL) {
		u.error = res->error;
		if (proposal_usage_add(w->db, user_id, id, s, &u) != DB_OK)
			log_warn("proposal %s: the usage of a failed %s request was not recorded",
			    id, info->name);
		log_info("proposal %s: %s could not be written with %s", id, info->name, model);
		res->status = PW_MODEL_FAILED;
		return res->status;
	}
	e = proposal_section_put(w->db, user_id, id, s, text, model, NULL, &sec);
	free(text);
	if (e != DB_OK) {
		res->status = PW_STORE_FAILED;
		res->db = e;
		return res->status;
	}
	if (proposal_usage_add(w->db, user_id, id, s, &u) != DB_OK)
		log_warn("proposal %s: the usage of writing %s was not recorded", id, info->name);
	if (out != NULL)
		*out = sec;
	else
		json_object_put(sec);
	res->status = PW_OK;
	return res->status;
}

enum pw_status
proposal_write_sections(struct worker *w, const char *user_id, struct json_object *proposal,
    unsigned which, size_t *written, struct pw_result *res)
{
	*written = 0;
	memset(res, 0, sizeof *res);
	for (int s = 0; s < PS__MAX; s++) {
		if (!(which & (1u << s)))
			continue;
		if (proposal_write_section(w, user_id, proposal, (enum proposal_section)s, NULL,
		    res) != PW_OK) {
			if (res->status == PW_MODEL_FAILED) {
				char why[sizeof res->error];

				snprintf(why, sizeof why, "%s", res->error);
				snprintf(res->error, sizeof res->error,
				    "The %.40s section could not be written: %.300s",
				    proposal_section((enum proposal_section)s)->title, why);
			}
			return res->status;
		}
		(*written)++;
	}
	return PW_OK;
}
