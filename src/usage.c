/* usage.c: the usage store: what each person asked of the models, per model and per day, chat and proposals alike. */
#include "usage.h"

#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "db.h"
#include "db_json.h"

/*
 * Every request the owner ($1) made of a model: chat answers (their
 * receipts, owned through the conversation) and proposal sections (owned
 * directly), one row each, with ok false for the ones that failed.
 */
#define USAGE_ROWS \
	"SELECT 'chat' AS source, r.model_used, m.status <> 'error' AS ok," \
	" r.tokens_prompt, r.tokens_completion, r.tokens_total, r.completion_time_ms," \
	" r.time_to_first_token_ms, r.tokens_estimated, r.created_at" \
	" FROM responses r JOIN messages m ON m.id = r.message_id" \
	" JOIN conversations c ON c.id = m.conversation_id" \
	" WHERE c.user_id = $1" \
	" UNION ALL" \
	" SELECT 'proposals', p.model_used, p.status <> 'error'," \
	" p.tokens_prompt, p.tokens_completion, p.tokens_total, p.completion_time_ms," \
	" p.time_to_first_token_ms, p.tokens_estimated, p.created_at" \
	" FROM proposal_usage p WHERE p.user_id = $1"

/* Per source: answers (the ok ones), errors and tokens, as columns <src>_answers ... */
#define USAGE_SOURCE_COLS(src, name) \
	" count(*) FILTER (WHERE ok AND source = '" src "') AS " name "_answers," \
	" count(*) FILTER (WHERE NOT ok AND source = '" src "') AS " name "_errors," \
	" coalesce(sum(tokens_total) FILTER (WHERE source = '" src "'), 0)::bigint" \
	"  AS " name "_tokens_total"

static const char *const usage_sources[] = { "chat", "proposals" };
#define NUSAGE_SOURCES	(sizeof usage_sources / sizeof usage_sources[0])
/* The figures of each source, in the order usage_source() takes them. */
static const char *const usage_source_keys[3] = { "answers", "errors", "tokens_total" };

static struct json_object *
usage_source(long answers, long errors, long tokens)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "answers", json_object_new_int64(answers));
	json_object_object_add(o, "errors", json_object_new_int64(errors));
	json_object_object_add(o, "tokens_total", json_object_new_int64(tokens));
	return o;
}

/* A number column of res (0 when absent or null). */
static long
usage_num(const PGresult *res, int row, const char *col)
{
	const char *v = db_get(res, row, col);

	return v != NULL ? strtol(v, NULL, 10) : 0;
}

enum db_err
usage_by_model(struct db *db, const char *user_id, struct json_object **out)
{
	struct json_object *o, *items, *totals, *tsrc;
	PGresult *res;
	enum db_err e;
	long answers = 0, tp = 0, tc = 0, tt = 0;
	long sums[NUSAGE_SOURCES][3] = { { 0 } };
	char col[64];

	e = db_query(db, "usage_models",
	    "WITH u AS (" USAGE_ROWS ")"
	    " SELECT model_used AS model,"
	    " count(*) FILTER (WHERE ok) AS answers,"
	    " count(*) FILTER (WHERE NOT ok) AS errors,"
	    " coalesce(sum(tokens_prompt), 0)::bigint AS tokens_prompt,"
	    " coalesce(sum(tokens_completion), 0)::bigint AS tokens_completion,"
	    " coalesce(sum(tokens_total), 0)::bigint AS tokens_total,"
	    " coalesce(round(avg(completion_time_ms) FILTER (WHERE ok)), 0)::bigint"
	    "  AS avg_completion_time_ms,"
	    " coalesce(round(percentile_cont(0.95) WITHIN GROUP (ORDER BY completion_time_ms)"
	    "  FILTER (WHERE ok))::bigint, 0) AS p95_completion_time_ms,"
	    " round(avg(time_to_first_token_ms) FILTER (WHERE ok))::bigint"
	    "  AS avg_time_to_first_token_ms,"
	    " bool_or(tokens_estimated) AS estimated,"
	    USAGE_SOURCE_COLS("chat", "chat") ","
	    USAGE_SOURCE_COLS("proposals", "proposals")
	    " FROM u GROUP BY model_used"
	    " ORDER BY tokens_total DESC, model_used",
	    DB_P(user_id), &res);
	if (e != DB_OK)
		return e;
	o = json_object_new_object();
	items = db_rows_json(res);
	json_object_object_add(o, "items", items);
	for (int i = 0; i < PQntuples(res); i++) {
		struct json_object *it = json_object_array_get_idx(items, i);
		struct json_object *src = json_object_new_object();

		answers += usage_num(res, i, "answers");
		tp += usage_num(res, i, "tokens_prompt");
		tc += usage_num(res, i, "tokens_completion");
		tt += usage_num(res, i, "tokens_total");
		/* The flat columns become {"sources": {"chat": {...}, "proposals": {...}}}. */
		for (size_t k = 0; k < NUSAGE_SOURCES; k++) {
			long v[3];

			for (int j = 0; j < 3; j++) {
				snprintf(col, sizeof col, "%s_%s", usage_sources[k],
				    usage_source_keys[j]);
				v[j] = usage_num(res, i, col);
				sums[k][j] += v[j];
				json_object_object_del(it, col);
			}
			json_object_object_add(src, usage_sources[k], usage_source(v[0], v[1], v[2]));
		}
		json_object_object_add(it, "sources", src);
	}
	PQclear(res);
	totals = json_object_new_object();
	json_object_object_add(totals, "answers", json_object_new_int64(answers));
	json_object_object_add(totals, "tokens_prompt", json_object_new_int64(tp));
	json_object_object_add(totals, "tokens_completion", json_object_new_int64(tc));
	json_object_object_add(totals, "tokens_total", json_object_new_int64(tt));
	tsrc = json_object_new_object();
	for (size_t k = 0; k < NUSAGE_SOURCES; k++)
		json_object_object_add(tsrc, usage_sources[k],
		    usage_source(sums[k][0], sums[k][1], sums[k][2]));
	json_object_object_add(totals, "sources", tsrc);
	json_object_object_add(o, "totals", totals);

	/* Days in UTC whatever the session's time zone, as the usage page draws them. */
	e = db_query(db, "usage_daily_totals",
	    "WITH u AS (" USAGE_ROWS ")"
	    " SELECT to_char(d.day, 'YYYY-MM-DD') AS date,"
	    " coalesce(sum(x.tokens_total), 0)::bigint AS tokens_total,"
	    " count(*) FILTER (WHERE x.ok) AS answers"
	    " FROM generate_series((now() AT TIME ZONE 'UTC')::date - 29,"
	    "  (now() AT TIME ZONE 'UTC')::date, interval '1 day') AS d(day)"
	    " LEFT JOIN (SELECT (u.created_at AT TIME ZONE 'UTC')::date AS day,"
	    "   u.tokens_total, u.ok FROM u"
	    "   WHERE u.created_at >= ((now() AT TIME ZONE 'UTC')::date - 29) AT TIME ZONE 'UTC') x"
	    "  ON x.day = d.day::date"
	    " GROUP BY d.day ORDER BY d.day",
	    DB_P(user_id), &res);
	if (e != DB_OK) {
		json_object_put(o);
		return e;
	}
	json_object_object_add(o, "daily", db_rows_json(res));
	PQclear(res);
	*out = o;
	return DB_OK;
}

/*
 * Tokens per day (UTC) for the last USAGE_DAYS (30) days ending today, split into prompt
 * and completion, for one model or all ($2 NULL). As in usage_by_model's
 * table, the tokens of failed requests count, the requests themselves do not.
 */
static const char sql_daily[] =
	"SELECT to_char(d.day, 'YYYY-MM-DD') AS date,"
	" count(*) FILTER (WHERE u.ok)::bigint AS answers,"
	" coalesce(sum(u.tokens_prompt), 0)::bigint AS tokens_prompt,"
	" coalesce(sum(u.tokens_completion), 0)::bigint AS tokens_completion,"
	" coalesce(sum(u.tokens_total), 0)::bigint AS tokens_total"
	" FROM generate_series((now() AT TIME ZONE 'UTC')::date - 29,"
	"  (now() AT TIME ZONE 'UTC')::date, interval '1 day') AS d(day)"
	" LEFT JOIN (SELECT r.tokens_prompt, r.tokens_completion, r.tokens_total,"
	"  (r.created_at AT TIME ZONE 'UTC')::date AS day, m.status <> 'error' AS ok"
	"  FROM responses r"
	"  JOIN messages m ON m.id = r.message_id"
	"  JOIN conversations c ON c.id = m.conversation_id"
	"  WHERE c.user_id = $1"
	"  AND ($2::text IS NULL OR r.model_used = $2)"
	"  AND r.created_at >= ((now() AT TIME ZONE 'UTC')::date - 29) AT TIME ZONE 'UTC'"
	"  UNION ALL"
	"  SELECT p.tokens_prompt, p.tokens_completion, p.tokens_total,"
	"  (p.created_at AT TIME ZONE 'UTC')::date, p.status <> 'error'"
	"  FROM proposal_usage p"
	"  WHERE p.user_id = $1"
	"  AND ($2::text IS NULL OR p.model_used = $2)"
	"  AND p.created_at >= ((now() AT TIME ZONE 'UTC')::date - 29) AT TIME ZONE 'UTC'"
	" ) u ON u.day = d.day::date"
	" GROUP BY d.day ORDER BY d.day";

enum db_err
usage_daily(struct db *db, const char *user_id, const char *model, struct json_object **rows)
{
	PGresult *res;
	enum db_err e;

	*rows = NULL;
	e = db_query(db, "usage_daily", sql_daily, DB_P(user_id, model), &res);
	if (e != DB_OK)
		return e;
	*rows = db_rows_json(res);
	PQclear(res);
	return DB_OK;
}
