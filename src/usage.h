/* usage.h: the usage store: tokens, answers and times per model and per day, always per owner. */
#ifndef PARLEY_USAGE_H
#define PARLEY_USAGE_H

#include "db.h"

struct json_object;

/* How many days the daily figures cover, ending today (UTC); the SQL says 29 days before today. */
#define USAGE_DAYS	30

/*
 * The owner's usage:
 *	{"items": [{"model", "answers", "errors", "tokens_prompt",
 *	   "tokens_completion", "tokens_total", "avg_completion_time_ms",
 *	   "p95_completion_time_ms", "avg_time_to_first_token_ms" (or null),
 *	   "estimated" (bool: some counts are estimates)}, ...] by tokens_total desc,
 *	 "totals": {"answers", "tokens_prompt", "tokens_completion", "tokens_total"},
 *	 "daily": [{"date": "YYYY-MM-DD", "tokens_total", "answers"}, ...]
 *	   30 entries, oldest first, ending today (UTC), days without answers as 0}
 * Answers that failed count in "errors" only; stopped ones count as answers.
 * Proposal section requests (proposal_usage) count alongside chat answers;
 * items and totals also carry "sources": {"chat": {...}, "proposals": {...}},
 * each with answers, errors and tokens_total. Failed requests of either kind
 * count in errors only and stay out of the times.
 */
enum db_err	 usage_by_model(struct db *db, const char *user_id, struct json_object **out);

/*
 * The owner's tokens per day (UTC) over the last USAGE_DAYS days, oldest
 * first, one row a day even when nothing was asked: [{"date", "answers",
 * "tokens_prompt", "tokens_completion", "tokens_total"}], for model or all
 * models (NULL). *rows: caller puts.
 */
enum db_err	 usage_daily(struct db *db, const char *user_id, const char *model,
		    struct json_object **rows);

#endif
