/* tools.c: the task tools the assistant calls: checked arguments, the store, results and notes. */
#include "tools.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "jfield.h"
#include "log.h"
#include "req.h"
#include "tasks.h"
#include "xalloc.h"

#define TOOLS_LIST_MAX	100	/* tasks in one list_tasks result: bounds what goes back to the model */
#define TOOLS_CANDIDATES 10	/* tasks offered when several match a title */

/*
 * The schema the model sees. Kept as JSON text so it reads like the
 * documentation it is; the names and parameters are fixed by DESIGN.md.
 */
static const char tools_schema[] =
"["
"{\"type\":\"function\",\"function\":{\"name\":\"add_task\","
 "\"description\":\"Add a task to the user's todo list.\","
 "\"parameters\":{\"type\":\"object\",\"properties\":{"
  "\"title\":{\"type\":\"string\",\"description\":\"A short title, for example \\\"Buy groceries\\\".\"},"
  "\"description\":{\"type\":\"string\",\"description\":\"Optional longer notes.\"}},"
 "\"required\":[\"title\"]}}},"
"{\"type\":\"function\",\"function\":{\"name\":\"list_tasks\","
 "\"description\":\"List the user's tasks, pending ones first. Each has an id, title, description and completed flag.\","
 "\"parameters\":{\"type\":\"object\",\"properties\":{"
  "\"status\":{\"type\":\"string\",\"enum\":[\"all\",\"pending\",\"completed\"],"
   "\"description\":\"Which tasks to list; all when left out.\"}}}}},"
"{\"type\":\"function\",\"function\":{\"name\":\"complete_task\","
 "\"description\":\"Mark one task as done, by id or by words of its title. If several tasks match, nothing changes and the candidates are returned: ask the user which one.\","
 "\"parameters\":{\"type\":\"object\",\"properties\":{"
  "\"task_id\":{\"type\":\"string\",\"description\":\"The task's id, from list_tasks.\"},"
  "\"title\":{\"type\":\"string\",\"description\":\"Words of the task's title, when the id is not known.\"}}}}},"
"{\"type\":\"function\",\"function\":{\"name\":\"delete_task\","
 "\"description\":\"Delete one task, by id or by words of its title. If several tasks match, nothing changes and the candidates are returned: ask the user which one.\","
 "\"parameters\":{\"type\":\"object\",\"properties\":{"
  "\"task_id\":{\"type\":\"string\",\"description\":\"The task's id, from list_tasks.\"},"
  "\"title\":{\"type\":\"string\",\"description\":\"Words of the task's title, when the id is not known.\"}}}}},"
"{\"type\":\"function\",\"function\":{\"name\":\"update_task\","
 "\"description\":\"Change a task's title, description or completed flag. Get the id from list_tasks.\","
 "\"parameters\":{\"type\":\"object\",\"properties\":{"
  "\"task_id\":{\"type\":\"string\",\"description\":\"The task's id.\"},"
  "\"title\":{\"type\":\"string\",\"description\":\"The new title.\"},"
  "\"description\":{\"type\":\"string\",\"description\":\"The new description; an empty string removes it.\"},"
  "\"completed\":{\"type\":\"boolean\",\"description\":\"true when done, false when not.\"}},"
 "\"required\":[\"task_id\"]}}}"
"]";

static const char *const tool_names[] = {
	"add_task", "list_tasks", "complete_task", "delete_task", "update_task", NULL
};

bool
tools_known(const char *name)
{
	for (const char *const *n = tool_names; *n != NULL; n++)
		if (name != NULL && strcmp(name, *n) == 0)
			return true;
	return false;
}

struct json_object *
tools_openai_schema(void)
{
	struct json_object *o = json_tokener_parse(tools_schema);

	/* A constant that does not parse is a bug caught by the unit tests. */
	return o != NULL ? o : json_object_new_array();
}

/* Result helpers: each returns the JSON text and releases o. */
static char *
finish(struct json_object *o)
{
	char *s = xstrdup(json_object_to_json_string_ext(o,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));

	json_object_put(o);
	return s;
}

static struct json_object *
failure(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static struct json_object *
failure(const char *fmt, ...)
{
	struct json_object *o = json_object_new_object();
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "error", json_object_new_string(msg));
	return o;
}

static struct json_object *
db_failure(const char *tool, enum db_err e)
{
	switch (e) {
	case DB_NOTFOUND:
		return failure("No task has this id.");
	case DB_UNAVAILABLE:
		log_warn("tools: %s: the database is unavailable", tool);
		return failure("The task list is unavailable right now; try again in a moment.");
	default:
		log_warn("tools: %s: %s", tool, db_strerror(e));
		return failure("The task list could not be changed because of an internal error.");
	}
}

/* A task as the model sees it: no owner, no timestamps. Takes t. */
static struct json_object *
slim(struct json_object *t)
{
	static const char *const keep[] = { "id", "title", "description", "completed" };
	struct json_object *o = json_object_new_object(), *v;

	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		if (json_object_object_get_ex(t, keep[i], &v))
			json_object_object_add(o, keep[i], json_object_get(v));
	json_object_put(t);
	return o;
}

static struct json_object *
success(struct json_object *task)
{
	struct json_object *o = json_object_new_object();

	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "task", slim(task));
	return o;
}

/* A task's text field for a note; "" when it has none. */
static const char *
task_str(struct json_object *t, const char *key)
{
	const char *s = jfield_str(t, key);

	return s != NULL ? s : "";
}

/* Tasks come from the store, whose "completed" is always a JSON boolean. */
static bool
task_done(struct json_object *t)
{
	return jfield_bool(t, "completed");
}

/*
 * Argument readers. A missing key and a JSON null are both "absent"; any
 * other type than the one asked for is an error the model can correct.
 */
enum arg { ARG_ABSENT, ARG_OK, ARG_BAD };

static enum arg
arg_str(struct json_object *args, const char *key, const char **out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(args, key, &v) || v == NULL)
		return ARG_ABSENT;
	if (!json_object_is_type(v, json_type_string))
		return ARG_BAD;
	*out = json_object_get_string(v);
	return ARG_OK;
}

static enum arg
arg_bool(struct json_object *args, const char *key, bool *out)
{
	struct json_object *v;

	if (!json_object_object_get_ex(args, key, &v) || v == NULL)
		return ARG_ABSENT;
	if (!json_object_is_type(v, json_type_boolean))
		return ARG_BAD;
	*out = json_object_get_boolean(v);
	return ARG_OK;
}

static bool
blank(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != ' ' && *s != '\t' && *s != '\n' && *s != '\r')
			return false;
	return true;
}

static struct json_object *
run_add(struct worker *w, const char *uid, struct json_object *args, char **note)
{
	const char *title = NULL, *desc = NULL, *why;
	struct json_object *task;
	enum db_err e;

	if (arg_str(args, "title", &title) != ARG_OK)
		return failure("add_task needs \"title\", a string.");
	if (arg_str(args, "description", &desc) == ARG_BAD)
		return failure("\"description\" must be a string.");
	if ((why = task_invalid(title, true, desc)) != NULL)
		return failure("%s", why);
	if ((e = tasks_add(w->db, uid, title, desc, &task)) != DB_OK)
		return db_failure("add_task", e);
	*note = xasprintf("Added task: %s", task_str(task, "title"));
	return success(task);
}

static struct json_object *
run_list(struct worker *w, const char *uid, struct json_object *args)
{
	const char *status = "all";
	enum task_filter f;
	struct json_object *items, *o, *list;
	size_t n;
	enum db_err e;

	if (arg_str(args, "status", &status) == ARG_BAD)
		return failure("\"status\" must be \"all\", \"pending\" or \"completed\".");
	if (task_filter_parse(status, &f) == -1)
		return failure("\"status\" must be \"all\", \"pending\" or \"completed\".");
	if ((e = tasks_list(w->db, uid, f, &items)) != DB_OK)
		return db_failure("list_tasks", e);
	n = json_object_array_length(items);
	list = json_object_new_array();
	for (size_t i = 0; i < n && i < TOOLS_LIST_MAX; i++)
		json_object_array_add(list, slim(json_object_get(json_object_array_get_idx(items, i))));
	json_object_put(items);
	o = json_object_new_object();
	json_object_object_add(o, "ok", json_object_new_boolean(1));
	json_object_object_add(o, "status", json_object_new_string(task_filter_name(f)));
	json_object_object_add(o, "count", json_object_new_int64((int64_t)n));
	json_object_object_add(o, "tasks", list);
	json_object_object_add(o, "truncated", json_object_new_boolean(n > TOOLS_LIST_MAX));
	return o;
}

/*
 * The one task that task_id or title names. With a title: exact titles
 * first, else titles holding every word; among several, the only one whose
 * completed flag is prefer (when prefer_set) wins. On DB_OK either *task
 * (caller puts) or *fail (a result for the model: not found, or the
 * candidates) is set.
 */
static enum db_err
find_one(struct worker *w, const char *uid, struct json_object *args, const char *tool,
    bool prefer_set, bool prefer, struct json_object **task, struct json_object **fail)
{
	const char *id = NULL, *title = NULL;
	enum arg ai, at;
	struct json_object *items, *pool, *cands;
	size_t nexact = 0, n, i;
	enum db_err e;

	*task = *fail = NULL;
	ai = arg_str(args, "task_id", &id);
	at = arg_str(args, "title", &title);
	if (ai == ARG_BAD || at == ARG_BAD) {
		*fail = failure("\"task_id\" and \"title\" must be strings.");
		return DB_OK;
	}
	if (ai == ARG_OK && !blank(id)) {
		e = tasks_get(w->db, uid, id, task);
		if (e == DB_NOTFOUND) {
			*fail = failure("No task has the id \"%.64s\".", id);
			json_object_object_add(*fail, "not_found", json_object_new_boolean(1));
			return DB_OK;
		}
		return e;
	}
	if (at != ARG_OK || blank(title)) {
		*fail = failure("%s needs \"task_id\" or \"title\".", tool);
		return DB_OK;
	}
	if ((e = tasks_find_by_title(w->db, uid, title, TASK_ALL, &items, &nexact)) != DB_OK)
		return e;

	/* Exact titles come first in items; when there are some, only they count. */
	n = json_object_array_length(items);
	pool = json_object_new_array();
	for (i = 0; i < (nexact > 0 ? nexact : n); i++)
		json_object_array_add(pool, json_object_get(json_object_array_get_idx(items, i)));
	json_object_put(items);
	n = json_object_array_length(pool);
	if (n > 1 && prefer_set) {
		struct json_object *pick = NULL;
		size_t k = 0;

		for (i = 0; i < n; i++) {
			struct json_object *t = json_object_array_get_idx(pool, i);

			if (task_done(t) == prefer) {
				pick = t;
				k++;
			}
		}
		if (k == 1) {
			*task = json_object_get(pick);
			json_object_put(pool);
			return DB_OK;
		}
	}
	if (n == 1) {
		*task = json_object_get(json_object_array_get_idx(pool, 0));
	} else if (n == 0) {
		*fail = failure("No task matches \"%.200s\".", title);
		json_object_object_add(*fail, "not_found", json_object_new_boolean(1));
	} else {
		*fail = failure("%zu tasks match \"%.200s\"; nothing was changed. Ask the user which one "
		    "they mean, then call %s again with its task_id.", n, title, tool);
		cands = json_object_new_array();
		for (i = 0; i < n && i < TOOLS_CANDIDATES; i++)
			json_object_array_add(cands,
			    slim(json_object_get(json_object_array_get_idx(pool, i))));
		json_object_object_add(*fail, "candidates", cands);
	}
	json_object_put(pool);
	return DB_OK;
}

static struct json_object *
run_complete(struct worker *w, const char *uid, struct json_object *args, char **note)
{
	struct json_object *task, *fail, *after, *o;
	enum db_err e;
	char *id;

	if ((e = find_one(w, uid, args, "complete_task", true, false, &task, &fail)) != DB_OK)
		return db_failure("complete_task", e);
	if (fail != NULL)
		return fail;
	if (task_done(task)) {
		o = success(task);
		json_object_object_add(o, "already_completed", json_object_new_boolean(1));
		return o;
	}
	id = xstrdup(task_str(task, "id"));
	json_object_put(task);
	e = tasks_set_completed(w->db, uid, id, true, &after);
	free(id);
	if (e != DB_OK)
		return db_failure("complete_task", e);
	*note = xasprintf("Completed task: %s", task_str(after, "title"));
	return success(after);
}

static struct json_object *
run_delete(struct worker *w, const char *uid, struct json_object *args, char **note)
{
	struct json_object *task, *fail, *before;
	enum db_err e;
	char *id;

	if ((e = find_one(w, uid, args, "delete_task", false, false, &task, &fail)) != DB_OK)
		return db_failure("delete_task", e);
	if (fail != NULL)
		return fail;
	id = xstrdup(task_str(task, "id"));
	json_object_put(task);
	e = tasks_delete(w->db, uid, id, &before);
	free(id);
	if (e != DB_OK)
		return db_failure("delete_task", e);
	*note = xasprintf("Deleted task: %s", task_str(before, "title"));
	return success(before);
}

static struct json_object *
run_update(struct worker *w, const char *uid, struct json_object *args, char **note)
{
	struct task_change ch = TASK_CHANGE_INIT;
	const char *id = NULL, *title = NULL, *desc = NULL, *why;
	struct json_object *before, *after, *dv;
	enum arg at, ad, ac;
	bool completed = false, renamed, flipped, redescribed;
	char *old_title, *old_desc;
	bool old_done;
	enum db_err e;

	if (arg_str(args, "task_id", &id) != ARG_OK || blank(id))
		return failure("update_task needs \"task_id\", a string (from list_tasks).");
	at = arg_str(args, "title", &title);
	ac = arg_bool(args, "completed", &completed);
	/* A null description is a request to clear it, unlike a missing one. */
	if (json_object_object_get_ex(args, "description", &dv) && dv == NULL) {
		ad = ARG_OK;
		desc = NULL;
	} else
		ad = arg_str(args, "description", &desc);
	if (at == ARG_BAD)
		return failure("\"title\" must be a string.");
	if (ad == ARG_BAD)
		return failure("\"description\" must be a string or null.");
	if (ac == ARG_BAD)
		return failure("\"completed\" must be true or false.");
	if (at == ARG_ABSENT && ad == ARG_ABSENT && ac == ARG_ABSENT)
		return failure("update_task needs at least one of \"title\", \"description\" "
		    "and \"completed\".");
	if ((why = task_invalid(at == ARG_OK ? title : NULL, false, desc)) != NULL)
		return failure("%s", why);

	if ((e = tasks_get(w->db, uid, id, &before)) != DB_OK) {
		if (e == DB_NOTFOUND) {
			struct json_object *f = failure("No task has the id \"%.64s\".", id);

			json_object_object_add(f, "not_found", json_object_new_boolean(1));
			return f;
		}
		return db_failure("update_task", e);
	}
	old_title = xstrdup(task_str(before, "title"));
	old_desc = xstrdup(task_str(before, "description"));
	old_done = task_done(before);
	json_object_put(before);

	if (at == ARG_OK)
		ch.title = title;
	if (ad == ARG_OK) {
		ch.set_description = true;
		ch.description = desc;
	}
	if (ac == ARG_OK) {
		ch.set_completed = true;
		ch.completed = completed;
	}
	if ((e = tasks_update(w->db, uid, id, &ch, &after)) != DB_OK) {
		free(old_title);
		free(old_desc);
		return db_failure("update_task", e);
	}

	renamed = strcmp(old_title, task_str(after, "title")) != 0;
	flipped = task_done(after) != old_done;
	redescribed = strcmp(old_desc, task_str(after, "description")) != 0;
	if (renamed && !flipped && !redescribed)
		*note = xasprintf("Renamed task: %s → %s", old_title, task_str(after, "title"));
	else if (flipped && !renamed && !redescribed)
		*note = xasprintf("%s task: %s", task_done(after) ? "Completed" : "Reopened",
		    task_str(after, "title"));
	else if (renamed || flipped || redescribed)
		*note = xasprintf("Updated task: %s", task_str(after, "title"));
	free(old_title);
	free(old_desc);
	return success(after);
}

char *
tools_run(struct worker *w, const char *user_id, const char *name,
    struct json_object *args, char **note)
{
	char *n = NULL;
	struct json_object *r;

	if (note != NULL)
		*note = NULL;
	if (!tools_known(name))
		return finish(failure("There is no tool named \"%.64s\".", name != NULL ? name : ""));
	if (args == NULL)
		args = json_object_new_object();	/* a call without arguments */
	else
		json_object_get(args);
	if (!json_object_is_type(args, json_type_object)) {
		json_object_put(args);
		return finish(failure("The arguments of %s must be a JSON object.", name));
	}
	if (w == NULL || w->db == NULL || user_id == NULL || user_id[0] == '\0') {
		json_object_put(args);
		return finish(failure("The task list is not available here."));
	}

	if (strcmp(name, "add_task") == 0)
		r = run_add(w, user_id, args, &n);
	else if (strcmp(name, "list_tasks") == 0)
		r = run_list(w, user_id, args);
	else if (strcmp(name, "complete_task") == 0)
		r = run_complete(w, user_id, args, &n);
	else if (strcmp(name, "delete_task") == 0)
		r = run_delete(w, user_id, args, &n);
	else
		r = run_update(w, user_id, args, &n);
	json_object_put(args);

	if (note != NULL)
		*note = n;
	else
		free(n);
	return finish(r);
}
