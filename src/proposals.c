/* proposals.c: the proposal store: every query filtered by its owner, SQL only through parameters. */
#include "proposals.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "db_json.h"
#include "jfield.h"
#include "parse.h"
#include "text.h"
#include "utf8.h"
#include "xalloc.h"

/*
 * The wizard's questions. The first three wordings match what `parley seed`
 * stores in its half-done proposal's history, so the demo reads the same.
 */
static const struct proposal_question questions[PF__MAX] = {
	{ "client_name", "Client", "Who is the proposal for?",
	  "The client's name or company, as it should appear on the proposal.",
	  "Acme Bakery", false },
	{ "project_title", "Project title", "What is the project called?",
	  "A short name for the work. Together with the client it becomes the proposal's title.",
	  "Website redesign", false },
	{ "project_goals", "Goals", "What should the project achieve?",
	  "The outcomes the client wants, in a few sentences or one per line. "
	  "Each becomes an objective.",
	  "A faster, mobile-friendly site\n"
	  "Customers can order cakes online\n"
	  "Opening hours and prices are easy to find", true },
	{ "timeline", "Timeline", "What is the timeline?",
	  "When the work happens and in which stages, one per line or separated by commas. "
	  "Stages with a period, like \u201c2 weeks\u201d, \u201cQ3\u201d or \u201cphase 2\u201d, "
	  "become milestones.",
	  "Discovery 2 weeks, design 3 weeks, build 6 weeks, launch in Q3", true },
	{ "deliverables", "Deliverables", "What will you deliver?",
	  "The concrete results the client receives, one per line or separated by commas.",
	  "Designs for the home and menu pages\n"
	  "Online ordering for custom cakes\n"
	  "Training for the shop's staff", true },
	{ "technologies", "Technologies", "Which technologies will you use?",
	  "Languages, frameworks, platforms and services, separated by commas or one per line.",
	  "WordPress, WooCommerce, Stripe, Cloudflare", true },
};

#define F(x)	(1u << (x))
#define ALL_FIELDS	(F(PF__MAX) - 1)

/*
 * Sections and the answers each is written from: a later change to one of
 * those answers makes the section outdated. The builtin writer
 * (proposal_writer.c) uses exactly these answers for each section.
 */
static const struct {
	struct proposal_section_info	 info;
	unsigned			 deps;
} sections[PS__MAX] = {
	{ { "executive_summary", "Executive summary" }, ALL_FIELDS },
	{ { "objectives", "Objectives" },
	  F(PF_CLIENT_NAME) | F(PF_PROJECT_TITLE) | F(PF_PROJECT_GOALS) },
	{ { "scope_and_deliverables", "Scope and deliverables" },
	  F(PF_CLIENT_NAME) | F(PF_PROJECT_TITLE) | F(PF_DELIVERABLES) },
	{ { "timeline", "Timeline and milestones" },
	  F(PF_CLIENT_NAME) | F(PF_PROJECT_TITLE) | F(PF_TIMELINE) },
	{ { "technology", "Technology approach" },
	  F(PF_CLIENT_NAME) | F(PF_PROJECT_TITLE) | F(PF_TECHNOLOGIES) },
	{ { "next_steps", "Next steps" },
	  F(PF_CLIENT_NAME) | F(PF_PROJECT_TITLE) | F(PF_TIMELINE) },
};

/* The section names in document order, as a PostgreSQL array literal. */
#define SECTION_ORDER \
	"{executive_summary,objectives,scope_and_deliverables,timeline,technology,next_steps}"

/*
 * The columns of a proposal as every statement returns it; dp is the
 * parameter holding deps_param(). outdated_sections: the sections written
 * before a later answer to a field they are written from.
 */
#define PROPOSAL_COLS(dp) \
	"p.id, p.user_id, p.title, p.progress, p.client_name, p.project_title," \
	" p.project_goals, p.timeline, p.deliverables, p.technologies, p.history," \
	" p.status, p.model, p.created_at, p.updated_at," \
	" (SELECT coalesce(jsonb_agg(s.section_name" \
	"   ORDER BY array_position('" SECTION_ORDER "'::text[], s.section_name)), '[]')" \
	"  FROM proposal_sections s WHERE s.session_id = p.id AND EXISTS" \
	"  (SELECT 1 FROM jsonb_array_elements(p.history) h" \
	"   WHERE s.section_name || ':' || (h->>'field') = ANY (" dp "::text[])" \
	"   AND (CASE WHEN h->>'answered_at' ~" \
	"    '^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}'" \
	"    THEN (h->>'answered_at')::timestamptz END) > s.last_updated))" \
	" AS outdated_sections"

/* The time a history entry records, in the form the JSON timestamps use. */
#define NOW_ISO	"to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

/* One UPDATE per field: column names cannot be parameters. */
#define ANSWER_SQL(col) \
	"UPDATE proposal_sessions SET " col " = $3, title = $4, progress = $5::integer," \
	" history = history || jsonb_build_array(jsonb_build_object('field', $6::text," \
	" 'question', $7::text, 'answer', $3::text, 'answered_at', " NOW_ISO "))" \
	" WHERE id = $1 AND user_id = $2"

static const struct {
	const char	*name;
	const char	*sql;
} answer_sql[PF__MAX] = {
	{ "proposal_answer_client_name", ANSWER_SQL("client_name") },
	{ "proposal_answer_project_title", ANSWER_SQL("project_title") },
	{ "proposal_answer_project_goals", ANSWER_SQL("project_goals") },
	{ "proposal_answer_timeline", ANSWER_SQL("timeline") },
	{ "proposal_answer_deliverables", ANSWER_SQL("deliverables") },
	{ "proposal_answer_technologies", ANSWER_SQL("technologies") },
};

const struct proposal_question *
proposal_question(enum proposal_field f)
{
	if ((unsigned)f >= PF__MAX)
		return NULL;
	return &questions[f];
}

int
proposal_field_parse(const char *s)
{
	if (s == NULL)
		return -1;
	for (int i = 0; i < PF__MAX; i++)
		if (strcmp(s, questions[i].field) == 0)
			return i;
	return -1;
}

const struct proposal_section_info *
proposal_section(enum proposal_section s)
{
	if ((unsigned)s >= PS__MAX)
		return NULL;
	return &sections[s].info;
}

int
proposal_section_parse(const char *s)
{
	if (s == NULL)
		return -1;
	for (int i = 0; i < PS__MAX; i++)
		if (strcmp(s, sections[i].info.name) == 0)
			return i;
	return -1;
}

unsigned
proposal_section_deps(enum proposal_section s)
{
	if ((unsigned)s >= PS__MAX)
		return 0;
	return sections[s].deps;
}

bool
proposal_id_valid(const char *s)
{
	return parse_is_uuid(s);
}

bool
proposal_status_parse(const char *s, bool *completed)
{
	if (s == NULL)
		return false;
	if (strcmp(s, "active") == 0)
		*completed = false;
	else if (strcmp(s, "completed") == 0)
		*completed = true;
	else
		return false;
	return true;
}

/* s cut to at most max code points, on a character boundary. Caller frees. */
static char *
cut_chars(const char *s, size_t max)
{
	return xstrndup(s, utf8_prefix(s, strlen(s), max));
}

/*
 * s with "\r\n" and lone "\r" made "\n": browsers send text areas with
 * CRLF, and Markdown and the export should not carry them. Caller frees.
 */
static char *
unix_lines(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	for (; *s; s++) {
		if (*s == '\r') {
			*o++ = '\n';
			if (s[1] == '\n')
				s++;
		} else
			*o++ = *s;
	}
	*o = '\0';
	return out;
}

char *
proposal_auto_title(const char *client_name, const char *project_title)
{
	char *c = trimmed(client_name), *p = trimmed(project_title), *t, *out;

	if (!blank(p) && !blank(c))
		t = xasprintf("%s for %s", p, c);
	else if (!blank(p))
		t = xstrdup(p);
	else if (!blank(c))
		t = xasprintf("Proposal for %s", c);
	else
		t = xstrdup(PROPOSAL_DEFAULT_TITLE);
	free(c);
	free(p);
	/* A title is one line. */
	for (char *q = t; *q; q++)
		if (*q == '\n' || *q == '\r' || *q == '\t')
			*q = ' ';
	out = cut_chars(t, PROPOSAL_TITLE_MAX);
	free(t);
	return out;
}

/*
 * "{executive_summary:client_name,...}": every (section, field) pair where the
 * section is written from the field, for PROPOSAL_COLS.
 */
static char *
deps_param(void)
{
	struct buf b = BUF_INIT;

	buf_putc(&b, '{');
	for (int s = 0; s < PS__MAX; s++)
		for (int f = 0; f < PF__MAX; f++)
			if (sections[s].deps & F(f))
				buf_printf(&b, "%s%s:%s", b.len > 1 ? "," : "",
				    sections[s].info.name, questions[f].field);
	buf_putc(&b, '}');
	return buf_detach(&b);
}

/* Adds next_question: the first question without an answer, or null. */
static void
add_next_question(struct json_object *p)
{
	for (int i = 0; i < PF__MAX; i++) {
		if (blank(jfield_str(p, questions[i].field))) {
			struct json_object *q = json_object_new_object();

			json_object_object_add(q, "field", json_object_new_string(questions[i].field));
			json_object_object_add(q, "question",
			    json_object_new_string(questions[i].question));
			json_object_object_add(p, "next_question", q);
			return;
		}
	}
	json_object_object_add(p, "next_question", NULL);
}

enum db_err
proposals_get(struct db *db, const char *user_id, const char *id, struct json_object **out)
{
	PGresult *res;
	enum db_err e;
	char *deps;

	if (!proposal_id_valid(id))
		return DB_NOTFOUND;
	deps = deps_param();
	e = db_query(db, "proposals_get",
	    "SELECT " PROPOSAL_COLS("$3")
	    " FROM proposal_sessions p WHERE p.id = $1 AND p.user_id = $2",
	    DB_P(id, user_id, deps), &res);
	free(deps);
	if (e != DB_OK)
		return e;
	if (PQntuples(res) < 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	if (out != NULL) {
		*out = db_row_json(res, 0);
		add_next_question(*out);
	}
	PQclear(res);
	return DB_OK;
}

enum db_err
proposals_list(struct db *db, const char *user_id, struct json_object **items)
{
	PGresult *res;
	enum db_err e;
	char *deps = deps_param();
	size_t n;

	e = db_query(db, "proposals_list",
	    "SELECT " PROPOSAL_COLS("$2") " FROM proposal_sessions p WHERE p.user_id = $1"
	    " ORDER BY p.updated_at DESC, p.id DESC",
	    DB_P(user_id, deps), &res);
	free(deps);
	if (e != DB_OK)
		return e;
	*items = db_rows_json(res);
	PQclear(res);
	n = json_object_array_length(*items);
	for (size_t i = 0; i < n; i++)
		add_next_question(json_object_array_get_idx(*items, i));
	return DB_OK;
}

enum db_err
proposals_create(struct db *db, const char *user_id, const char *title, const char *model,
    struct json_object **out)
{
	PGresult *res;
	enum db_err e;
	char *t = trimmed(title), *id;

	if (t != NULL && (t[0] == '\0' || utf8_chars(t) > PROPOSAL_TITLE_MAX)) {
		free(t);
		return DB_INVALID;
	}
	e = db_query(db, "proposals_create",
	    "INSERT INTO proposal_sessions (user_id, title, model)"
	    " VALUES ($1, coalesce($2, '" PROPOSAL_DEFAULT_TITLE "'), $3) RETURNING id",
	    DB_P(user_id, t, model), &res);
	free(t);
	if (e != DB_OK)
		return e;
	id = xstrdup(PQgetvalue(res, 0, 0));
	PQclear(res);
	e = proposals_get(db, user_id, id, out);
	free(id);
	return e;
}

/* The proposal's row locked for a change, or DB_NOTFOUND. Caller PQclear()s. */
static enum db_err
lock_row(struct db *db, const char *user_id, const char *id, PGresult **res)
{
	enum db_err e;

	e = db_query(db, "proposals_lock",
	    "SELECT client_name, project_title, project_goals, timeline, deliverables,"
	    " technologies, title, status, model FROM proposal_sessions"
	    " WHERE id = $1 AND user_id = $2 FOR UPDATE",
	    DB_P(id, user_id), res);
	if (e != DB_OK)
		return e;
	if (PQntuples(*res) < 1) {
		PQclear(*res);
		return DB_NOTFOUND;
	}
	return DB_OK;
}

/* Null-safe string equality (NULL equals only NULL). */
static bool
same(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a == b;
	return strcmp(a, b) == 0;
}

enum db_err
proposals_update(struct db *db, const char *user_id, const char *id,
    const struct proposal_change *ch, struct json_object **out)
{
	PGresult *res;
	enum db_err e;
	bool was_done, done;
	char *title = trimmed(ch->title);
	const char *model;

	if (!proposal_id_valid(id)) {
		free(title);
		return DB_NOTFOUND;
	}
	if ((title != NULL && (title[0] == '\0' || utf8_chars(title) > PROPOSAL_TITLE_MAX)) ||
	    (ch->status != NULL && !proposal_status_parse(ch->status, &done))) {
		free(title);
		return DB_INVALID;
	}
	if ((e = db_begin(db)) != DB_OK) {
		free(title);
		return e;
	}
	if ((e = lock_row(db, user_id, id, &res)) != DB_OK)
		goto fail;
	was_done = strcmp(PQgetvalue(res, 0, 7), "completed") == 0;
	done = was_done;
	if (ch->status != NULL)
		(void)proposal_status_parse(ch->status, &done);
	model = PQgetisnull(res, 0, 8) ? NULL : PQgetvalue(res, 0, 8);
	/* A finished proposal is frozen: only reopening it allows changes. */
	if (was_done && done &&
	    ((title != NULL && strcmp(title, PQgetvalue(res, 0, 6)) != 0) ||
	    (ch->set_model && !same(ch->model, model)))) {
		PQclear(res);
		e = DB_CONFLICT;
		goto fail;
	}
	PQclear(res);
	e = db_query(db, "proposals_update",
	    "UPDATE proposal_sessions SET title = coalesce($3, title),"
	    " status = coalesce($4, status),"
	    " model = CASE WHEN $5::boolean THEN $6 ELSE model END"
	    " WHERE id = $1 AND user_id = $2",
	    DB_P(id, user_id, title, ch->status, ch->set_model ? "true" : "false", ch->model),
	    NULL);
	if (e != DB_OK)
		goto fail;
	if ((e = db_commit(db)) != DB_OK)
		goto fail;
	free(title);
	return proposals_get(db, user_id, id, out);
fail:
	db_rollback(db);
	free(title);
	return e;
}

enum db_err
proposals_delete(struct db *db, const char *user_id, const char *id)
{
	PGresult *res;
	enum db_err e;
	int n;

	if (!proposal_id_valid(id))
		return DB_NOTFOUND;
	e = db_query(db, "proposals_delete",
	    "DELETE FROM proposal_sessions WHERE id = $1 AND user_id = $2 RETURNING id",
	    DB_P(id, user_id), &res);
	if (e != DB_OK)
		return e;
	n = PQntuples(res);
	PQclear(res);
	return n > 0 ? DB_OK : DB_NOTFOUND;
}

enum db_err
proposals_answer(struct db *db, const char *user_id, const char *id,
    enum proposal_field field, const char *answer, bool *created, bool *changed,
    struct json_object **out)
{
	const char *vals[PF__MAX];
	char *a, *old_auto = NULL, *new_auto = NULL, progress[16];
	const char *title;
	PGresult *res;
	enum db_err e;
	int answered = 0;

	if ((unsigned)field >= PF__MAX || answer == NULL)
		return DB_INVALID;
	if (!proposal_id_valid(id))
		return DB_NOTFOUND;
	{
		char *u = unix_lines(answer);
		a = trimmed(u);
		free(u);
	}
	if (a[0] == '\0' || utf8_chars(a) > PROPOSAL_ANSWER_MAX) {
		free(a);
		return DB_INVALID;
	}
	if ((e = db_begin(db)) != DB_OK) {
		free(a);
		return e;
	}
	if ((e = lock_row(db, user_id, id, &res)) != DB_OK)
		goto fail;
	if (strcmp(PQgetvalue(res, 0, 7), "completed") == 0) {
		PQclear(res);
		e = DB_CONFLICT;
		goto fail;
	}
	for (int i = 0; i < PF__MAX; i++)
		vals[i] = PQgetisnull(res, 0, i) ? NULL : PQgetvalue(res, 0, i);
	*created = blank(vals[field]);
	if (same(vals[field], a)) {
		/* Nothing new to record: Back and Next over an unchanged step. */
		PQclear(res);
		*changed = false;
		if ((e = db_commit(db)) != DB_OK)
			goto fail;
		free(a);
		return proposals_get(db, user_id, id, out);
	}
	*changed = true;
	old_auto = proposal_auto_title(vals[PF_CLIENT_NAME], vals[PF_PROJECT_TITLE]);
	vals[field] = a;
	new_auto = proposal_auto_title(vals[PF_CLIENT_NAME], vals[PF_PROJECT_TITLE]);
	for (int i = 0; i < PF__MAX; i++)
		if (!blank(vals[i]))
			answered++;
	/* The share of the six answered, rounded: 17, 33, 50, 67, 83, 100. */
	snprintf(progress, sizeof progress, "%d", (answered * 100 + PF__MAX / 2) / PF__MAX);
	/* A title the person chose stays; one the answers gave follows them. */
	title = PQgetvalue(res, 0, 6);
	if (strcmp(title, PROPOSAL_DEFAULT_TITLE) == 0 || strcmp(title, old_auto) == 0)
		title = new_auto;
	e = db_query(db, answer_sql[field].name, answer_sql[field].sql,
	    DB_P(id, user_id, a, title, progress, questions[field].field,
	    questions[field].question), NULL);
	PQclear(res);
	if (e != DB_OK)
		goto fail;
	if ((e = db_commit(db)) != DB_OK)
		goto fail;
	free(a);
	free(old_auto);
	free(new_auto);
	return proposals_get(db, user_id, id, out);
fail:
	db_rollback(db);
	free(a);
	free(old_auto);
	free(new_auto);
	return e;
}

/* The section columns; s is proposal_sections, p its proposal. */
#define SECTION_COLS	"s.section_name, s.content, s.last_updated, s.model_used"

enum db_err
proposals_sections_list(struct db *db, const char *user_id, const char *id,
    struct json_object **items)
{
	PGresult *res;
	enum db_err e;
	int n;

	if (!proposal_id_valid(id))
		return DB_NOTFOUND;
	/* The LEFT JOIN keeps a row for a proposal without sections: found, but empty. */
	e = db_query(db, "proposals_sections_list",
	    "SELECT " SECTION_COLS " FROM proposal_sessions p"
	    " LEFT JOIN proposal_sections s ON s.session_id = p.id"
	    " WHERE p.id = $1 AND p.user_id = $2"
	    " ORDER BY array_position('" SECTION_ORDER "'::text[], s.section_name)",
	    DB_P(id, user_id), &res);
	if (e != DB_OK)
		return e;
	n = PQntuples(res);
	if (n < 1) {
		PQclear(res);
		return DB_NOTFOUND;
	}
	*items = json_object_new_array();
	for (int i = 0; i < n; i++)
		if (!PQgetisnull(res, i, 0))
			json_object_array_add(*items, db_row_json(res, i));
	PQclear(res);
	return DB_OK;
}

enum db_err
proposals_section_get(struct db *db, const char *user_id, const char *id,
    enum proposal_section s, struct json_object **out)
{
	PGresult *res;
	enum db_err e;

	if (!proposal_id_valid(id) || (unsigned)s >= PS__MAX)
		return DB_NOTFOUND;
	e = db_query(db, "proposals_section_get",
	    "SELECT " SECTION_COLS " FROM proposal_sections s"
	    " JOIN proposal_sessions p ON p.id = s.session_id"
	    " WHERE p.id = $1 AND p.user_id = $2 AND s.section_name = $3",
	    DB_P(id, user_id, sections[s].info.name), &res);
	if (e != DB_OK)
		return e;
	return db_one_json(res, out);
}

/* Why a write to the owner's proposal id touched nothing: DB_NOTFOUND or DB_CONFLICT. */
static enum db_err
why_untouched(struct db *db, const char *user_id, const char *id)
{
	struct json_object *p;
	enum db_err e;
	const char *st;

	if ((e = proposals_get(db, user_id, id, &p)) != DB_OK)
		return e;
	st = jfield_str(p, "status");
	e = (st != NULL && strcmp(st, "completed") == 0) ? DB_CONFLICT : DB_NOTFOUND;
	json_object_put(p);
	return e;
}

enum db_err
proposals_section_put(struct db *db, const char *user_id, const char *id,
    enum proposal_section s, const char *content, const char *model_used,
    bool *created, struct json_object **out)
{
	PGresult *res;
	enum db_err e;
	char *text;

	if (!proposal_id_valid(id) || (unsigned)s >= PS__MAX)
		return DB_NOTFOUND;
	if (content == NULL || utf8_chars(content) > PROPOSAL_SECTION_MAX)
		return DB_INVALID;
	text = unix_lines(content);
	/* The proposal's updated_at moves too: the list shows its last change. */
	e = db_query(db, "proposals_section_put",
	    "WITH p AS (UPDATE proposal_sessions SET updated_at = now()"
	    " WHERE id = $1 AND user_id = $2 AND status = 'active' RETURNING id)"
	    " INSERT INTO proposal_sections AS s (session_id, section_name, content, model_used)"
	    " SELECT p.id, $3, $4, $5 FROM p"
	    " ON CONFLICT (session_id, section_name) DO UPDATE"
	    " SET content = EXCLUDED.content, model_used = EXCLUDED.model_used,"
	    " last_updated = now()"
	    " RETURNING " SECTION_COLS ", (s.xmax = 0) AS created",
	    DB_P(id, user_id, sections[s].info.name, text, model_used), &res);
	free(text);
	if (e != DB_OK)
		return e;
	if (PQntuples(res) < 1) {
		PQclear(res);
		return why_untouched(db, user_id, id);
	}
	if (created != NULL)
		*created = PQgetvalue(res, 0, 4)[0] == 't';
	if (out != NULL) {
		*out = db_row_json(res, 0);
		json_object_object_del(*out, "created");
	}
	PQclear(res);
	return DB_OK;
}

enum db_err
proposals_usage_add(struct db *db, const char *user_id, const char *id,
    enum proposal_section s, const struct proposal_usage *u)
{
	char tp[24], tc[24], tt[24], ms[24], ttft[24], *err = NULL;
	enum db_err e;

	if (!proposal_id_valid(id) || (unsigned)s >= PS__MAX)
		return DB_NOTFOUND;
	snprintf(tp, sizeof tp, "%ld", u->tokens_prompt > 0 ? u->tokens_prompt : 0);
	snprintf(tc, sizeof tc, "%ld", u->tokens_completion > 0 ? u->tokens_completion : 0);
	snprintf(tt, sizeof tt, "%ld", u->tokens_total > 0 ? u->tokens_total : 0);
	snprintf(ms, sizeof ms, "%ld", u->completion_time_ms > 0 ? u->completion_time_ms : 0);
	snprintf(ttft, sizeof ttft, "%ld", u->time_to_first_token_ms);
	if (u->error != NULL)
		err = cut_chars(u->error, 1000);
	e = db_query(db, "proposals_usage_add",
	    "INSERT INTO proposal_usage (session_id, user_id, section_name, model_used, status,"
	    " error, tokens_prompt, tokens_completion, tokens_total, completion_time_ms,"
	    " time_to_first_token_ms, tokens_estimated)"
	    " SELECT p.id, p.user_id, $3, $4, CASE WHEN $5::text IS NULL THEN 'ok' ELSE 'error' END,"
	    " $5, $6, $7, $8, $9, nullif($10::integer, -1), $11::boolean"
	    " FROM proposal_sessions p WHERE p.id = $1 AND p.user_id = $2",
	    DB_P(id, user_id, sections[s].info.name, u->model_used, err, tp, tc, tt, ms,
	    u->time_to_first_token_ms >= 0 ? ttft : "-1", u->tokens_estimated ? "true" : "false"),
	    NULL);
	free(err);
	return e;
}
