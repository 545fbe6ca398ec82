/* timeline.h: the proposal wizard's timeline answer read as a plan of milestones, and its durations written back. */
#ifndef PARLEY_TIMELINE_H
#define PARLEY_TIMELINE_H

#include <stdbool.h>
#include <stddef.h>

#include "prose.h"

struct buf;

/* One stage of the timeline ("Design: 2-3 weeks", "Phase 2: launch in Q3"). */
struct milestone {
	char		*name;		/* what happens, as typed, without the period ("" if nothing) */
	char		*label;		/* "Phase 2" when the answer numbered it; else NULL */
	char		*quarter;	/* "Q3" or "Q3 2025"; else NULL */
	int		 lo, hi;	/* a duration of lo..hi units (lo == hi: exact); 0: none */
	int		 ui;		/* its unit (timeline.c's units[]), for plan_common_unit and plan_count_word */
};

struct plan {
	struct milestone m[ITEMS_MAX];
	size_t		 n;
	size_t		 with_period;	/* milestones that name a duration, quarter or phase */
};

/*
 * The timeline's stages into p (its old contents are not freed): one per
 * line, else split at semicolons, commas, " then " and arrows; at most
 * ITEMS_MAX. Stages that name a period are milestones. NULL reads as "".
 * Pure and deterministic. Release with plan_free.
 */
void		 plan_read(const char *timeline, struct plan *p);
void		 plan_free(struct plan *p);

/* All durations in one unit, so they can be laid end to end: that unit (a ui), or -1. */
int		 plan_common_unit(const struct plan *p);

/* The sum of the durations (upper ends) in days; 0 when none. */
long		 plan_days(const struct plan *p);

/* Appends "about 11 weeks": the plan's total, in its common unit or the largest fitting one. */
void		 plan_put_total(struct buf *b, const struct plan *p);

/* Appends m's duration: "2 weeks", "1 month", "2-3 weeks" (with an en dash). */
void		 plan_put_duration(struct buf *b, const struct milestone *m);

/*
 * The word for one of unit u when a schedule is counted in it ("week" for
 * "(week 3)", "(weeks 2-4)"): days, weeks and months; NULL for sprints and
 * years, which are not counted that way.
 */
const char	*plan_count_word(int u);

#endif
