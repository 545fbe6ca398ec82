/* tools.h: the assistant's task tools: add_task, list_tasks, complete_task, delete_task, update_task. */
#ifndef PARLEY_TOOLS_H
#define PARLEY_TOOLS_H

#include <stdbool.h>

#include "tasks.h"

struct json_object;
struct worker;

/*
 * Runs the tool name with the model's arguments for the owner user_id,
 * through the task store on w->db. Arguments are checked here: a missing or
 * mistyped one, an unknown tool or a task that cannot be found gives an
 * error result for the model, never a crash, and changes nothing.
 *
 * Returns the result as JSON text (caller frees), always an object:
 *	{"ok": true, "task": {...}}			add, complete, delete, update
 *	{"ok": true, "task": {...}, "already_completed": true}	complete
 *	{"ok": true, "status": "all", "count": N, "tasks": [...], "truncated": false}	list
 *	{"ok": false, "error": "No task matches \"x\".", "not_found": true}
 *	{"ok": false, "error": "Several tasks match ...", "candidates": [...]}
 *	{"ok": false, "error": "..."}
 * A task is {"id", "title", "description" (or null), "completed"}. When
 * several tasks match a title, nothing is done: the candidates let the
 * model (or person) choose.
 *
 * *note (if note is not NULL) is set to a line for people about a change
 * made ("Added task: Buy groceries", "Completed task: X", "Deleted task: X",
 * "Renamed task: X → Y", "Reopened task: X", "Updated task: X"; caller
 * frees), or NULL when nothing changed.
 */
char	*tools_run(struct worker *w, const char *user_id, const char *name,
	    struct json_object *args, char **note);

/* True for the five tool names. */
bool	 tools_known(const char *name);

/* The "tools" array of a Chat Completions request (function tools with JSON Schemas). Caller puts. */
struct json_object *tools_openai_schema(void);

#endif
