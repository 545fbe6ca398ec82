/* test_timeline.c: unit tests for reading the proposal wizard's timeline answer as milestones (timeline.h). */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "timeline.h"
#include "../tap.h"

/* The plan's total ("about 11 weeks"), or one milestone's duration. */
static char *
total(const struct plan *p)
{
	struct buf b = BUF_INIT;

	plan_put_total(&b, p);
	return buf_detach(&b);
}

static char *
duration(const struct milestone *m)
{
	struct buf b = BUF_INIT;

	plan_put_duration(&b, m);
	return buf_detach(&b);
}

static void
test_weeks(void)
{
	struct plan p;
	char *s;
	int u;

	plan_read("Discovery 2 weeks, design 3 weeks, build 6 weeks, launch in Q3", &p);
	is_int(p.n, 4, "weeks: four stages");
	is_int(p.with_period, 4, "weeks: each names a period");
	is_str(p.m[0].name, "Discovery", "weeks: the name without its period");
	is_int(p.m[0].lo, 2, "weeks: 2 ...");
	is_int(p.m[0].hi, 2, "weeks: ... exactly");
	is_str(p.m[2].name, "build", "weeks: the name as typed");
	is_int(p.m[2].hi, 6, "weeks: 6");
	is_str(p.m[3].name, "launch", "weeks: a joining word is dropped");
	is_str(p.m[3].quarter, "Q3", "weeks: a quarter");
	is_int(p.m[3].lo, 0, "weeks: a quarter is no duration");
	u = plan_common_unit(&p);
	ok(u >= 0, "weeks: one common unit");
	is_str(u >= 0 ? plan_count_word(u) : NULL, "week", "weeks: counted in weeks");
	is_int(plan_days(&p), 77, "weeks: 11 weeks are 77 days");
	is_str(s = total(&p), "about 11 weeks", "weeks: the total");
	free(s);
	is_str(s = duration(&p.m[1]), "3 weeks", "weeks: a duration");
	free(s);
	plan_free(&p);
	is_int(p.n, 0, "plan_free empties the plan");
}

static void
test_phases(void)
{
	struct plan p;
	char *s;

	plan_read("Phase 1: research (4 weeks)\nPhase 2: build - 3 months\nPhase 3: rollout in Q1 2026",
	    &p);
	is_int(p.n, 3, "phases: one stage a line");
	is_str(p.m[0].label, "Phase 1", "phases: the label");
	is_str(p.m[0].name, "research", "phases: brackets around the period go");
	is_int(p.m[0].hi, 4, "phases: 4 weeks");
	is_str(p.m[1].name, "build", "phases: a dash before the period goes");
	is_str(s = duration(&p.m[1]), "3 months", "phases: 3 months");
	free(s);
	is_str(p.m[2].quarter, "Q1 2026", "phases: a quarter with its year");
	is_str(p.m[2].name, "rollout", "phases: the name around the quarter");
	is_int(plan_common_unit(&p), -1, "phases: weeks and months have no common unit");
	is_int(plan_days(&p), 28 + 90, "phases: days of both");
	is_str(s = total(&p), "about 17 weeks", "phases: the total in weeks under 120 days");
	free(s);
	plan_free(&p);
}

static void
test_forms(void)
{
	struct plan p;
	char *s;

	plan_read("Design 2-3 weeks; build: six-week sprint; a month of testing", &p);
	is_int(p.n, 3, "forms: split at semicolons");
	is_int(p.m[0].lo, 2, "forms: a range's low end");
	is_int(p.m[0].hi, 3, "forms: a range's high end");
	is_str(s = duration(&p.m[0]), "2\xe2\x80\x93" "3 weeks", "forms: a range with an en dash");
	free(s);
	is_int(p.m[1].hi, 6, "forms: a number in words, hyphenated");
	is_str(p.m[2].name, "testing", "forms: \"a month of\" goes");
	is_str(s = duration(&p.m[2]), "1 month", "forms: \"a month\" is one month");
	free(s);
	plan_free(&p);

	plan_read("Discovery -> build -> launch", &p);
	is_int(p.n, 3, "forms: arrows split stages");
	is_int(p.with_period, 0, "forms: no periods named");
	plan_free(&p);

	plan_read("About 3 weeks starting in March", &p);
	is_int(p.n, 1, "forms: one stage");
	plan_free(&p);

	plan_read(NULL, &p);
	is_int(p.n, 0, "forms: NULL reads as nothing");
	plan_free(&p);

	plan_read("Sprint one: 2 sprints, then 3 sprints", &p);
	ok(plan_common_unit(&p) >= 0 && plan_count_word(plan_common_unit(&p)) == NULL,
	    "forms: sprints are not counted as \"(sprint 1)\"");
	plan_free(&p);
}

int
main(void)
{
	test_weeks();
	test_phases();
	test_forms();
	return done_testing();
}
