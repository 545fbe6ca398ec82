/* tasks.c: the todo list store: every query filtered by its owner, SQL only through parameters. */
#include "tasks.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "db_json.h"
#include "parse.h"
#include "text.h"
#include "utf8.h"
#include "xalloc.h"

/* The columns of a task as the store returns it, in every statement. */
#define TASK_COLS \
	"id, user_id, title, description, completed, created_at, updated_at"

/* Indexed by enum task_filter. */
static const char *const filter_names[TASK__MAX] = {
	"all",		/* TASK_ALL */
	"pending",	/* TASK_PENDING */
	"completed",	/* TASK_COMPLETED */
};

/*
 * One statement per filter rather than one with "$2 IS NULL OR ...", so that
 * each prepared plan can use the (user_id, completed, created_at) index.
 */
static const struct {
	const char	*name;
	const char	*sql;
} list_sql[TASK__MAX] = {
	{ "tasks_list_all",
	  "SELECT " TASK_COLS " FROM tasks WHERE user_id = $1"
	  " ORDER BY completed, created_at DESC, id DESC" },
	{ "tasks_list_pending",
	  "SELECT " TASK_COLS " FROM tasks WHERE user_id = $1 AND NOT completed"
	  " ORDER BY created_at DESC, id DESC" },
	{ "tasks_list_completed",
	  "SELECT " TASK_COLS " FROM tasks WHERE user_id = $1 AND completed"
	  " ORDER BY created_at DESC, id DESC" },
};

const char *
task_filter_name(enum task_filter f)
{
	if ((unsigned)f >= TASK__MAX)
		return NULL;
	return filter_names[f];
}

int
task_filter_parse(const char *s, enum task_filter *out)
{
	size_t i;

	if (s == NULL)
		return -1;
	for (i = 0; i < TASK__MAX; i++) {
		if (strcmp(s, filter_names[i]) == 0) {
			*out = (enum task_filter)i;
			return 0;
		}
	}
	return -1;
}

bool
task_id_valid(const char *s)
{
	return parse_is_uuid(s);
}

/* The checks on already trimmed values. */
static const char *
invalid_trimmed(const char *title, bool title_required, const char *description)
{
	if (title == NULL) {
		if (title_required)
			return "The title is required.";
	} else if (title[0] == '\0')
		return "The title is required.";
	else if (utf8_chars(title) > TASK_TITLE_MAX)
		return "The title can be at most 500 characters long.";
	if (description != NULL && utf8_chars(description) > TASK_DESC_MAX)
		return "The description can be at most 10,000 characters long.";
	return NULL;
}

const char *
task_invalid(const char *title, bool title_required, const char *description)
{
	char *t = trimmed(title), *d = trimmed(description);
	const char *why = invalid_trimmed(t, title_required, d);

	free(t);
	free(d);
	return why;
}

enum db_err
tasks_add(struct db *db, const char *user_id, const char *title,
    const char *description, struct json_object **out)
{
	char *t = trimmed(title), *d = trimmed(description);
	PGresult *res;
	enum db_err e;

	if (invalid_trimmed(t, true, d) != NULL) {
		e = DB_INVALID;
		goto done;
	}
	if (d != NULL && d[0] == '\0') {
		free(d);
		d = NULL;
	}
	e = db_query(db, "tasks_add",
	    "INSERT INTO tasks (user_id, title, description) VALUES ($1, $2, $3)"
	    " RETURNING " TASK_COLS,
	    DB_P(user_id, t, d), &res);
	if (e == DB_OK)
		e = db_one_json(res, out);
done:
	free(t);
	free(d);
	return e;
}

enum db_err
tasks_list(struct db *db, const char *user_id, enum task_filter filter,
    struct json_object **items)
{
	PGresult *res;
	enum db_err e;

	if ((unsigned)filter >= TASK__MAX)
		return DB_INVALID;
	e = db_query(db, list_sql[filter].name, list_sql[filter].sql, DB_P(user_id), &res);
	if (e != DB_OK)
		return e;
	*items = tasks_list_rows(res);
	PQclear(res);
	return DB_OK;
}

void
tasks_list_call(enum task_filter filter, const char *const *params, struct db_call *call)
{
	if ((unsigned)filter >= TASK__MAX)
		filter = TASK_ALL;
	call->name = list_sql[filter].name;
	call->sql = list_sql[filter].sql;
	call->nparams = 1;
	call->params = params;
	call->res = NULL;
}

struct json_object *
tasks_list_rows(const PGresult *res)
{
	return db_rows_json(res);
}

enum db_err
tasks_count(struct db *db, const char *user_id, struct task_counts *out)
{
	PGresult *res;
	enum db_err e;

	e = db_query(db, "tasks_count",
	    "SELECT count(*), count(*) FILTER (WHERE NOT completed),"
	    " count(*) FILTER (WHERE completed) FROM tasks WHERE user_id = $1",
	    DB_P(user_id), &res);
	if (e != DB_OK)
		return e;
	if (PQntuples(res) != 1 || PQnfields(res) != 3) {
		PQclear(res);
		return DB_ERROR;
	}
	out->all = strtol(PQgetvalue(res, 0, 0), NULL, 10);
	out->pending = strtol(PQgetvalue(res, 0, 1), NULL, 10);
	out->completed = strtol(PQgetvalue(res, 0, 2), NULL, 10);
	PQclear(res);
	return DB_OK;
}

enum db_err
tasks_get(struct db *db, const char *user_id, const char *id, struct json_object **out)
{
	PGresult *res;
	enum db_err e;

	if (!task_id_valid(id))
		return DB_NOTFOUND;
	e = db_query(db, "tasks_get",
	    "SELECT " TASK_COLS " FROM tasks WHERE id = $1 AND user_id = $2",
	    DB_P(id, user_id), &res);
	if (e != DB_OK)
		return e;
	return db_one_json(res, out);
}

enum db_err
tasks_find_by_title(struct db *db, const char *user_id, const char *words,
    enum task_filter filter, struct json_object **items, size_t *nexact)
{
	const char *completed;
	char *q;
	PGresult *res;
	enum db_err e;
	size_t n = 0;
	int i, ntup;

	if ((unsigned)filter >= TASK__MAX)
		return DB_INVALID;
	q = tidy(words);
	if (q[0] == '\0') {
		free(q);
		*items = json_object_new_array();
		if (nexact != NULL)
			*nexact = 0;
		return DB_OK;
	}
	completed = filter == TASK_PENDING ? "f" : filter == TASK_COMPLETED ? "t" : NULL;
	/*
	 * Every word must occur in the title; strpos on lower() rather than
	 * LIKE so that the words need no escaping of % and _.
	 */
	e = db_query(db, "tasks_find_by_title",
	    "SELECT " TASK_COLS ","
	    " lower(regexp_replace(btrim(title), '\\s+', ' ', 'g')) = lower($2) AS exact"
	    " FROM tasks"
	    " WHERE user_id = $1 AND ($3::boolean IS NULL OR completed = $3::boolean)"
	    " AND NOT EXISTS (SELECT 1 FROM regexp_split_to_table(lower($2), ' ') AS w(word)"
	    "  WHERE strpos(lower(tasks.title), w.word) = 0)"
	    " ORDER BY exact DESC, completed, created_at DESC, id DESC",
	    DB_P(user_id, q, completed), &res);
	free(q);
	if (e != DB_OK)
		return e;
	*items = json_object_new_array();
	ntup = PQntuples(res);
	for (i = 0; i < ntup; i++) {
		struct json_object *t = db_row_json(res, i);
		const char *exact = db_get(res, i, "exact");

		if (exact != NULL && exact[0] == 't')
			n++;
		json_object_object_del(t, "exact");
		json_object_array_add(*items, t);
	}
	PQclear(res);
	if (nexact != NULL)
		*nexact = n;
	return DB_OK;
}

enum db_err
tasks_set_completed(struct db *db, const char *user_id, const char *id,
    bool completed, struct json_object **out)
{
	struct task_change ch = TASK_CHANGE_INIT;

	ch.set_completed = true;
	ch.completed = completed;
	return tasks_update(db, user_id, id, &ch, out);
}

enum db_err
tasks_update(struct db *db, const char *user_id, const char *id,
    const struct task_change *ch, struct json_object **out)
{
	char *t = trimmed(ch->title), *d = NULL;
	PGresult *res;
	enum db_err e;

	if (!task_id_valid(id)) {
		free(t);
		return DB_NOTFOUND;
	}
	if (ch->set_description)
		d = trimmed(ch->description);
	if (invalid_trimmed(t, false, d) != NULL) {
		e = DB_INVALID;
		goto done;
	}
	if (d != NULL && d[0] == '\0') {
		free(d);
		d = NULL;
	}
	/*
	 * The row is only written when a value really changes, so that
	 * updated_at (moved by the tasks_touch trigger) means "last changed".
	 * No row back means no such task, or nothing to change: tasks_get
	 * tells which.
	 */
	e = db_query(db, "tasks_update",
	    "UPDATE tasks SET title = COALESCE($3, title),"
	    " description = CASE WHEN $4::boolean THEN $5 ELSE description END,"
	    " completed = COALESCE($6::boolean, completed)"
	    " WHERE id = $1 AND user_id = $2"
	    " AND (title, description, completed) IS DISTINCT FROM"
	    " (COALESCE($3, title), CASE WHEN $4::boolean THEN $5 ELSE description END,"
	    "  COALESCE($6::boolean, completed))"
	    " RETURNING " TASK_COLS,
	    DB_P(id, user_id, t, ch->set_description ? "t" : "f", d,
	    ch->set_completed ? (ch->completed ? "t" : "f") : NULL), &res);
	if (e != DB_OK)
		goto done;
	if (PQntuples(res) == 0) {
		PQclear(res);
		e = tasks_get(db, user_id, id, out);
		goto done;
	}
	e = db_one_json(res, out);
done:
	free(t);
	free(d);
	return e;
}

enum db_err
tasks_delete(struct db *db, const char *user_id, const char *id, struct json_object **out)
{
	PGresult *res;
	enum db_err e;

	if (!task_id_valid(id))
		return DB_NOTFOUND;
	e = db_query(db, "tasks_delete",
	    "DELETE FROM tasks WHERE id = $1 AND user_id = $2 RETURNING " TASK_COLS,
	    DB_P(id, user_id), &res);
	if (e != DB_OK)
		return e;
	return db_one_json(res, out);
}
