/* chart.c: bar charts as SVG: geometry, round axis numbers, escaped labels. */
#include "chart.h"

#include <stdio.h>
#include <string.h>

#include "escape.h"

/* The drawing's own units (the viewBox); CSS scales it to the page. */
#define W		720.0
#define H		260.0
#define LEFT		56.0
#define RIGHT		12.0
#define TOP		14.0
#define BOTTOM		34.0
#define PLOT_W		(W - LEFT - RIGHT)
#define PLOT_H		(H - TOP - BOTTOM)
/* At most this many date labels fit under the bars without overlapping. */
#define MAX_XLABELS	8

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

static void
put_esc(struct buf *out, const char *s)
{
	esc_html(out, s != NULL ? s : "", s != NULL ? strlen(s) : 0);
}

long
chart_nice_ceiling(long v)
{
	long p = 1;

	if (v <= 1)
		return 1;
	/* Stops before p * 10 could overflow: counts here are far below that. */
	while (p <= v / 10)
		p *= 10;
	if (v <= p)
		return p;
	if (v <= 2 * p)
		return 2 * p;
	if (v <= 5 * p)
		return 5 * p;
	return 10 * p;
}

void
chart_fmt_count(char *out, size_t outlen, long v)
{
	char digits[32], tmp[48];
	size_t n, i, j = 0;
	int neg = v < 0;

	snprintf(digits, sizeof digits, "%lu", neg ? 0UL - (unsigned long)v : (unsigned long)v);
	n = strlen(digits);
	if (neg)
		tmp[j++] = '-';
	for (i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			tmp[j++] = ',';
		tmp[j++] = digits[i];
	}
	tmp[j] = '\0';
	snprintf(out, outlen, "%s", tmp);
}

/* Axis numbers: "0", "500", "2k", "1.5k", "3M". */
static void
fmt_short(char *out, size_t outlen, long v)
{
	if (v >= 1000000 && v % 1000000 == 0)
		snprintf(out, outlen, "%ldM", v / 1000000);
	else if (v >= 1000000)
		snprintf(out, outlen, "%.1fM", (double)v / 1e6);
	else if (v >= 1000 && v % 1000 == 0)
		snprintf(out, outlen, "%ldk", v / 1000);
	else if (v >= 1000)
		snprintf(out, outlen, "%.1fk", (double)v / 1e3);
	else
		snprintf(out, outlen, "%ld", v);
}

/* "2024-05-03" -> "May 3"; anything else is shown as it is. */
static void
fmt_day(char *out, size_t outlen, const char *label)
{
	int y, m, d;

	if (sscanf(label, "%4d-%2d-%2d", &y, &m, &d) == 3 && m >= 1 && m <= 12)
		snprintf(out, outlen, "%s %d", months[m - 1], d);
	else
		snprintf(out, outlen, "%s", label);
}

static void
draw_axes(struct buf *out, long max)
{
	long lead = max, step, v;
	char num[32];
	double y;

	/* max is 1, 2 or 5 x 10^k: steps of 2, 5 and 1 x 10^(k-1) read best. */
	while (lead >= 10)
		lead /= 10;
	step = max / (lead == 2 ? 4 : 5);
	if (step < 1 || step * (max / step) != max)
		step = 1;
	buf_puts(out, "<g class=\"chart-y\">");
	for (v = 0; v <= max; v += step) {
		y = TOP + PLOT_H - (double)v * PLOT_H / (double)max;
		if (v > 0)
			buf_printf(out, "<line class=\"chart-grid\" x1=\"%.1f\" y1=\"%.1f\" "
			    "x2=\"%.1f\" y2=\"%.1f\"/>", LEFT, y, W - RIGHT, y);
		fmt_short(num, sizeof num, v);
		buf_printf(out, "<text class=\"chart-label\" x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"end\" dominant-baseline=\"middle\">%s</text>",
		    LEFT - 6, y, num);
	}
	buf_puts(out, "</g>");
	buf_printf(out, "<line class=\"chart-axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
	    "y2=\"%.1f\"/>", LEFT, TOP + PLOT_H, W - RIGHT, TOP + PLOT_H);
	buf_printf(out, "<line class=\"chart-axis\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" "
	    "y2=\"%.1f\"/>", LEFT, TOP, LEFT, TOP + PLOT_H);
}

static void
draw_bar(struct buf *out, const struct chart *c, size_t i, long max, double slot)
{
	const struct chart_bar *b = &c->bars[i];
	char day[32], ta[32], tb[32], tt[32];
	double x, w, ha, hb, base = TOP + PLOT_H;

	x = LEFT + (double)i * slot + slot * 0.15;
	w = slot * 0.7;
	ha = (double)(b->a > 0 ? b->a : 0) * PLOT_H / (double)max;
	hb = (double)(b->b > 0 ? b->b : 0) * PLOT_H / (double)max;
	fmt_day(day, sizeof day, b->label);
	chart_fmt_count(ta, sizeof ta, b->a);
	chart_fmt_count(tb, sizeof tb, b->b);
	chart_fmt_count(tt, sizeof tt, b->a + b->b);

	buf_puts(out, "<g class=\"chart-day\"><title>");
	put_esc(out, day);
	buf_printf(out, ": %s ", tt);
	put_esc(out, c->unit);
	buf_puts(out, " (");
	put_esc(out, c->name_a);
	buf_printf(out, " %s, ", ta);
	put_esc(out, c->name_b);
	buf_printf(out, " %s)</title>", tb);
	if (ha > 0)
		buf_printf(out, "<rect class=\"chart-bar\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
		    "height=\"%.1f\"/>", x, base - ha, w, ha);
	if (hb > 0)
		buf_printf(out, "<rect class=\"chart-bar-alt\" x=\"%.1f\" y=\"%.1f\" "
		    "width=\"%.1f\" height=\"%.1f\"/>", x, base - ha - hb, w, hb);
	buf_puts(out, "</g>");
}

void
chart_svg(struct buf *out, const struct chart *c)
{
	const char *id = c->id != NULL ? c->id : "chart";
	long max = 0, every;
	double slot;
	size_t i;
	char day[32];

	for (i = 0; i < c->nbars; i++)
		if (c->bars[i].a + c->bars[i].b > max)
			max = c->bars[i].a + c->bars[i].b;
	max = chart_nice_ceiling(max);
	slot = c->nbars > 0 ? PLOT_W / (double)c->nbars : PLOT_W;

	buf_printf(out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %.0f %.0f\" "
	    "width=\"%.0f\" height=\"%.0f\" role=\"img\" aria-labelledby=\"%s-title %s-desc\">",
	    W, H, W, H, id, id);
	buf_printf(out, "<title id=\"%s-title\">", id);
	put_esc(out, c->title);
	buf_printf(out, "</title><desc id=\"%s-desc\">", id);
	put_esc(out, c->desc);
	buf_puts(out, "</desc>");

	draw_axes(out, max);
	buf_puts(out, "<g class=\"chart-bars\">");
	for (i = 0; i < c->nbars; i++)
		draw_bar(out, c, i, max, slot);
	buf_puts(out, "</g>");

	/* Date labels counted back from the last bar, so today is always named. */
	every = (long)((c->nbars + MAX_XLABELS - 1) / MAX_XLABELS);
	if (every < 1)
		every = 1;
	buf_puts(out, "<g class=\"chart-x\">");
	for (i = 0; i < c->nbars; i++) {
		if ((long)(c->nbars - 1 - i) % every != 0)
			continue;
		fmt_day(day, sizeof day, c->bars[i].label);
		buf_printf(out, "<text class=\"chart-label\" x=\"%.1f\" y=\"%.1f\" "
		    "text-anchor=\"middle\">", LEFT + ((double)i + 0.5) * slot, H - BOTTOM + 18);
		put_esc(out, day);
		buf_puts(out, "</text>");
	}
	buf_puts(out, "</g></svg>");
}
