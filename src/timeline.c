/* timeline.c: the proposal wizard's timeline answer read as a plan of milestones, and its durations written back. */
#include "timeline.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "xalloc.h"

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

void
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
	for (size_t k = 1; number_word(k) != NULL; k++) {
		size_t n = strlen(number_word(k));
		if (strncasecmp(s, number_word(k), n) == 0 && !isalpha((unsigned char)s[n])) {
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

void
plan_read(const char *timeline, struct plan *p)
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
		for (size_t j = 0; j < parts.n && p->n < ITEMS_MAX; j++) {
			if (read_stage(parts.v[j], &p->m[p->n]))
				p->with_period++;
			p->n++;
		}
		items_free(&parts);
	}
	items_free(&stages);
}

int
plan_common_unit(const struct plan *p)
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

long
plan_days(const struct plan *p)
{
	long d = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->m[i].lo > 0)
			d += (long)p->m[i].hi * units[p->m[i].ui].days;
	return d;
}

void
plan_put_total(struct buf *b, const struct plan *p)
{
	int u = plan_common_unit(p);
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

void
plan_put_duration(struct buf *b, const struct milestone *m)
{
	if (m->lo != m->hi)
		buf_printf(b, "%d\xe2\x80\x93%d %s", m->lo, m->hi, units[m->ui].many);
	else
		buf_printf(b, "%d %s", m->lo, m->lo == 1 ? units[m->ui].one : units[m->ui].many);
}

const char *
plan_count_word(int u)
{
	if (units[u].unit == U_SPRINT || units[u].unit == U_YEAR)
		return NULL;
	return units[u].one;
}
