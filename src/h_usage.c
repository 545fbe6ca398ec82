/* h_usage.c: the usage page: the store's figures per model, and tokens per day drawn as SVG. */
#include "h_usage.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "chart.h"
#include "db.h"
#include "escape.h"
#include "jfield.h"
#include "req.h"
#include "response.h"
#include "usage.h"
#include "view.h"
#include "xalloc.h"

#define DAYS	USAGE_DAYS

static const char *const months[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun",
	"Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
};

/* A number field (int or double); -1 when absent or null. */
static double
jnum(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return -1;
	return json_object_get_double(v);
}

static void
add_str(struct json_object *o, const char *key, const char *v)
{
	json_object_object_add(o, key, json_object_new_string(v != NULL ? v : ""));
}

/* Replaces the number at key with "12,345" (0 when absent). */
static void
count_label(struct json_object *o, const char *key)
{
	char s[48];
	double v = jnum(o, key);

	chart_fmt_count(s, sizeof s, v > 0 ? (long)(v + 0.5) : 0);
	add_str(o, key, s);
}

/* "2024-05-03" -> "May 3, 2024". */
static void
day_label(char *out, size_t outlen, const char *date)
{
	int y, m, d;

	if (date != NULL && sscanf(date, "%4d-%2d-%2d", &y, &m, &d) == 3 && m >= 1 && m <= 12)
		snprintf(out, outlen, "%s %d, %d", months[m - 1], d, y);
	else
		snprintf(out, outlen, "%s", date != NULL ? date : "");
}

/* The model the chart is for: ?model= when it is one of the table's, else NULL (all). */
static const char *
chosen_model(struct req *r, struct json_object *items)
{
	const char *want = req_query(r, "model");
	size_t n = json_object_array_length(items);

	if (want == NULL || *want == '\0')
		return NULL;
	for (size_t i = 0; i < n; i++) {
		const char *m = jfield_str(json_object_array_get_idx(items, i), "model");

		if (m != NULL && strcmp(m, want) == 0)
			return m;
	}
	return NULL;
}

/* [{label, href, current}]: "All models" and one link per model. */
static struct json_object *
chart_filters(struct json_object *items, const char *model)
{
	struct json_object *out = json_object_new_array(), *f;
	size_t n = json_object_array_length(items);

	f = json_object_new_object();
	add_str(f, "label", "All models");
	add_str(f, "href", "/usage#per-day-heading");
	json_object_object_add(f, "current", json_object_new_boolean(model == NULL));
	json_object_array_add(out, f);
	for (size_t i = 0; i < n; i++) {
		const char *m = jfield_str(json_object_array_get_idx(items, i), "model");
		struct buf href = BUF_INIT;

		if (m == NULL)
			continue;
		buf_puts(&href, "/usage?model=");
		esc_url(&href, m, strlen(m));
		buf_puts(&href, "#per-day-heading");
		f = json_object_new_object();
		add_str(f, "label", m);
		add_str(f, "href", buf_cstr(&href));
		json_object_object_add(f, "current",
		    json_object_new_boolean(model != NULL && strcmp(m, model) == 0));
		json_object_array_add(out, f);
		buf_free(&href);
	}
	return out;
}

/*
 * Adds the chart, its summary and the per-day table to d for model (NULL:
 * all). DB_OK, or the store's error.
 */
static enum db_err
add_chart(struct req *r, struct json_object *d, const char *model)
{
	struct chart_bar bars[DAYS];
	struct chart c = { 0 };
	struct json_object *days, *rows;
	struct buf svg = BUF_INIT;
	enum db_err e;
	long total = 0, answers = 0, best = -1;
	size_t n, i, best_i = 0;
	char *heading, *summary, tot[48], best_s[48], ans[48], label[48];

	if ((e = usage_daily(r->w->db, r->user->id, model, &rows)) != DB_OK)
		return e;
	n = json_object_array_length(rows);
	if (n > DAYS)
		n = DAYS;

	days = json_object_new_array();
	for (i = 0; i < n; i++) {
		struct json_object *row = json_object_array_get_idx(rows, i), *day;
		const char *date = jfield_str(row, "date");
		long p = (long)jnum(row, "tokens_prompt"), q = (long)jnum(row, "tokens_completion");
		long t = (long)jnum(row, "tokens_total");

		snprintf(bars[i].label, sizeof bars[i].label, "%s", date != NULL ? date : "");
		bars[i].a = p > 0 ? p : 0;
		bars[i].b = q > 0 ? q : 0;
		total += t > 0 ? t : 0;
		answers += (long)jnum(row, "answers");
		if (t > best) {
			best = t;
			best_i = i;
		}
		/* Newest first in the table: the day people look for is today. */
		day = json_object_new_object();
		add_str(day, "date", date);
		day_label(label, sizeof label, date);
		add_str(day, "label", label);
		json_object_object_add(day, "answers",
		    json_object_new_int64((long)jnum(row, "answers")));
		json_object_object_add(day, "tokens_prompt", json_object_new_int64(p));
		json_object_object_add(day, "tokens_completion", json_object_new_int64(q));
		json_object_object_add(day, "tokens_total", json_object_new_int64(t));
		count_label(day, "answers");
		count_label(day, "tokens_prompt");
		count_label(day, "tokens_completion");
		count_label(day, "tokens_total");
		json_object_array_put_idx(days, n - 1 - i, day);
	}

	heading = xasprintf("Tokens per day, last %d days%s%s", DAYS,
	    model != NULL ? ": " : "", model != NULL ? model : "");
	chart_fmt_count(tot, sizeof tot, total);
	chart_fmt_count(ans, sizeof ans, answers);
	if (best > 0) {
		day_label(label, sizeof label, bars[best_i].label);
		chart_fmt_count(best_s, sizeof best_s, best);
		summary = xasprintf("%s tokens in %s answer%s over the last %d days (UTC)%s%s; "
		    "the busiest day was %s with %s tokens.", tot, ans, answers == 1 ? "" : "s",
		    DAYS, model != NULL ? " with " : "", model != NULL ? model : "", label, best_s);
	} else
		summary = xasprintf("No tokens in the last %d days (UTC)%s%s.", DAYS,
		    model != NULL ? " with " : "", model != NULL ? model : "");

	c.id = "usage-chart";
	c.title = heading;
	c.desc = summary;
	c.name_a = "prompt";
	c.name_b = "completion";
	c.unit = "tokens";
	c.bars = bars;
	c.nbars = n;
	chart_svg(&svg, &c);

	add_str(d, "chart_heading", heading);
	add_str(d, "chart_summary", summary);
	json_object_object_add(d, "chart_svg", json_object_new_string_len(buf_cstr(&svg),
	    (int)svg.len));
	json_object_object_add(d, "days", days);
	buf_free(&svg);
	free(heading);
	free(summary);
	json_object_put(rows);
	return DB_OK;
}

void
h_usage_page(struct req *r)
{
	struct json_object *u, *items, *totals, *d;
	const char *model;
	bool any_estimated = false;
	char s[48];
	size_t n, i;
	enum db_err e;

	if ((e = usage_by_model(r->w->db, r->user->id, &u)) != DB_OK) {
		resp_error(r, db_err_status(e) == 200 ? 500 : db_err_status(e), "unavailable",
		    "Your usage could not be read right now. Please try again in a moment.");
		return;
	}
	if (!json_object_object_get_ex(u, "items", &items) ||
	    !json_object_is_type(items, json_type_array)) {
		items = json_object_new_array();
		json_object_object_add(u, "items", items);
	}
	n = json_object_array_length(items);
	d = json_object_new_object();
	json_object_object_add(d, "nav_usage", json_object_new_boolean(1));
	json_object_object_add(d, "has_usage", json_object_new_boolean(n > 0));

	for (i = 0; i < n; i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		struct json_object *src = jfield_typed(it, "sources", json_type_object);
		long ps = (long)jnum(jfield_typed(src, "proposals", json_type_object), "answers");

		any_estimated = any_estimated || jfield_bool(it, "estimated");
		/* The answers column counts both; say how many were proposal sections. */
		if (ps > 0) {
			char cnt[48], *note;

			chart_fmt_count(cnt, sizeof cnt, ps);
			note = xasprintf("includes %s proposal section%s", cnt, ps == 1 ? "" : "s");
			add_str(it, "proposal_note", note);
			free(note);
		}
		json_object_object_add(it, "has_errors",
		    json_object_new_boolean(jnum(it, "errors") > 0));
		view_duration_ms(s, sizeof s, jnum(it, "avg_completion_time_ms"));
		add_str(it, "avg_time", s);
		view_duration_ms(s, sizeof s, jnum(it, "p95_completion_time_ms"));
		add_str(it, "p95_time", s);
		view_duration_ms(s, sizeof s, jnum(it, "avg_time_to_first_token_ms"));
		add_str(it, "avg_ttft", s);
		count_label(it, "answers");
		count_label(it, "errors");
		count_label(it, "tokens_prompt");
		count_label(it, "tokens_completion");
		count_label(it, "tokens_total");
	}
	json_object_object_add(d, "any_estimated", json_object_new_boolean(any_estimated));
	if (json_object_object_get_ex(u, "totals", &totals) &&
	    json_object_is_type(totals, json_type_object)) {
		count_label(totals, "answers");
		count_label(totals, "tokens_prompt");
		count_label(totals, "tokens_completion");
		count_label(totals, "tokens_total");
		json_object_object_add(d, "totals", json_object_get(totals));
	}

	if (n > 0) {
		model = chosen_model(r, items);
		if ((e = add_chart(r, d, model)) != DB_OK) {
			json_object_put(d);
			json_object_put(u);
			resp_error(r, db_err_status(e) == 200 ? 500 : db_err_status(e),
			    "unavailable",
			    "Your usage could not be read right now. Please try again in a moment.");
			return;
		}
		json_object_object_add(d, "chart_filters", chart_filters(items, model));
	}
	json_object_object_add(d, "items", json_object_get(items));
	resp_page(r, 200, "Usage", "usage", d);
	json_object_put(u);
}
