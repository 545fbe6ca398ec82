/* tasks.h: the todo list store, shared by the tasks pages, the API and the assistant's tools. */
#ifndef PARLEY_TASKS_H
#define PARLEY_TASKS_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"

struct json_object;

/*
 * Every function here takes the owner's user id and touches only that
 * person's rows: another user's task is simply not found (DB_NOTFOUND), and
 * so is an id that is not a UUID, so callers answer 404 for both.
 *
 * A task is returned as a new JSON object (caller puts it):
 *	{"id", "user_id", "title", "description" (string or null),
 *	 "completed" (boolean), "created_at", "updated_at"}
 * with timestamps as "YYYY-MM-DDTHH:MM:SS.ffffffZ". Lists are JSON arrays
 * of such objects, pending tasks first, then completed ones, newest first
 * within each group.
 *
 * Titles and descriptions are trimmed of surrounding white space before they
 * are checked and stored; a description that is empty after trimming is
 * stored as null. The functions that write check their input themselves
 * (task_invalid) and return DB_INVALID without touching the database when
 * it is wrong, so the assistant's tools need no checks of their own.
 *
 * Errors are enum db_err (db.h): DB_NOTFOUND, DB_INVALID, DB_UNAVAILABLE,
 * DB_ERROR; db_err_status() gives the HTTP status. Outputs are set only on
 * DB_OK.
 */

#define TASK_TITLE_MAX	500	/* characters (code points), after trimming */
#define TASK_DESC_MAX	10000	/* characters (code points), after trimming */

/* Which tasks a list shows. */
enum task_filter {
	TASK_ALL = 0,
	TASK_PENDING,
	TASK_COMPLETED,
	TASK__MAX
};

struct task_counts {
	long	 all;
	long	 pending;
	long	 completed;
};

/*
 * The fields tasks_update changes; the others are left alone.
 * Start from TASK_CHANGE_INIT (nothing changes).
 */
struct task_change {
	const char	*title;		/* NULL: unchanged */
	bool		 set_description;
	const char	*description;	/* with set_description: NULL or "" clears it */
	bool		 set_completed;
	bool		 completed;
};
#define TASK_CHANGE_INIT { NULL, false, NULL, false, false }

/* "all", "pending", "completed"; NULL for a value out of range. */
const char	*task_filter_name(enum task_filter f);
/* Parses one of those names (exact, lower case). 0, or -1 with *out unchanged. */
int		 task_filter_parse(const char *s, enum task_filter *out);

/* True when s is a UUID in its 36-character text form (either case). */
bool		 task_id_valid(const char *s);

/*
 * Why a title and description cannot be stored, as a sentence for people
 * ("The title is required."), or NULL when they are fine. Either may be
 * NULL: an absent title is only checked when it is required.
 * Both are judged after trimming.
 */
const char	*task_invalid(const char *title, bool title_required,
		    const char *description);

/* Adds a pending task. description may be NULL. *out: the new task. */
enum db_err	 tasks_add(struct db *db, const char *user_id, const char *title,
		    const char *description, struct json_object **out);

/* The owner's tasks that pass filter. *items: a new array. */
enum db_err	 tasks_list(struct db *db, const char *user_id, enum task_filter filter,
		    struct json_object **items);

/*
 * tasks_list's read as one statement of db_query_all, for a caller that
 * sends it along with its own reads: params holds the owner's user id and
 * must outlive the call. prefetch.c sends it with a question's context; its
 * result then waits on the handle for tasks_list's own statement to take.
 * tasks_list_rows turns such a result into tasks_list's items (a new array;
 * the caller still clears res).
 */
void		 tasks_list_call(enum task_filter filter, const char *const *params,
		    struct db_call *call);
struct json_object *tasks_list_rows(const PGresult *res);

/* How many tasks the owner has in all, pending and completed. */
enum db_err	 tasks_count(struct db *db, const char *user_id, struct task_counts *out);

/* One task by id. DB_NOTFOUND for a malformed id or another user's task. */
enum db_err	 tasks_get(struct db *db, const char *user_id, const char *id,
		    struct json_object **out);

/*
 * The owner's tasks whose titles contain every word of words, matched
 * case-insensitively and in any order ("milk BUY" finds "Buy milk"),
 * restricted by filter. All matches are returned, so that a caller that
 * finds several can ask which one was meant. Tasks whose whole title equals
 * words (case-insensitively, ignoring surrounding and repeated spaces) come
 * first, and *nexact (if not NULL) says how many there are; the rest follow
 * in list order. words with no word in it matches nothing (an empty array).
 */
enum db_err	 tasks_find_by_title(struct db *db, const char *user_id, const char *words,
		    enum task_filter filter, struct json_object **items, size_t *nexact);

/* Marks a task completed or pending again. *out (if not NULL): the task after. */
enum db_err	 tasks_set_completed(struct db *db, const char *user_id, const char *id,
		    bool completed, struct json_object **out);

/*
 * Changes the fields ch names. A change that leaves every value as it was
 * writes nothing (updated_at stays); any real change moves updated_at.
 * *out (if not NULL): the task after.
 */
enum db_err	 tasks_update(struct db *db, const char *user_id, const char *id,
		    const struct task_change *ch, struct json_object **out);

/* Deletes a task. *out (if not NULL): the task as it was before. */
enum db_err	 tasks_delete(struct db *db, const char *user_id, const char *id,
		    struct json_object **out);

#endif
