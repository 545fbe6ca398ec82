/* chart.h: small bar charts drawn as SVG by the server (the usage page's tokens per day). */
#ifndef PARLEY_CHART_H
#define PARLEY_CHART_H

#include <stddef.h>

#include "buf.h"

/* One bar: two stacked parts (for tokens: prompt below, completion on top). */
struct chart_bar {
	char	 label[16];	/* the x axis label, "2024-05-03"; escaped when drawn */
	long	 a;		/* the lower part, drawn with .chart-bar */
	long	 b;		/* the upper part, drawn with .chart-bar-alt */
};

struct chart {
	const char		*id;		/* prefix for element ids, [a-z0-9-] only */
	const char		*title;		/* the <title>: what the chart shows */
	const char		*desc;		/* the <desc>: the figures in a sentence */
	const char		*name_a;	/* "Prompt" */
	const char		*name_b;	/* "Completion" */
	const char		*unit;		/* "tokens" */
	const struct chart_bar	*bars;
	size_t			 nbars;
};

/*
 * Appends an <svg> element (inline in HTML, also well-formed XML) with a
 * bar per entry, a value axis with three or four grid lines at round
 * numbers, and a date label every few bars. Colours come only from classes
 * (.chart-bar, .chart-bar-alt, .chart-axis, .chart-grid, .chart-label) and
 * currentColor, so both colour schemes and print read it. Each bar carries
 * a <title> with its figures for pointer users; the caller still owes a
 * data table as the text alternative. All text is escaped.
 */
void	 chart_svg(struct buf *out, const struct chart *c);

/* The smallest 1, 2 or 5 times a power of ten that is >= v (1 for v <= 1). */
long	 chart_nice_ceiling(long v);

/* Writes v with thousands separators ("12,345") into out. */
void	 chart_fmt_count(char *out, size_t outlen, long v);

#endif
