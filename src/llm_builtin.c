/* llm_builtin.c: builtin/parley: task requests in plain English (read by builtin_parse.c), carried out through the task tools. */
#include "llm_builtin.h"

#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "buf.h"
#include "jfield.h"
#include "xalloc.h"

#define BI_LIST_SHOWN	50	/* tasks listed in one answer */
#define BI_CANDIDATES	10	/* tasks offered when several match */

/* Task titles and the person's words go into Markdown as text, never as markup. */
static void
md_text(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '\n' || *s == '\r' || *s == '\t') {
			buf_putc(b, ' ');
			continue;
		}
		if (strchr("\\`*_{}[]()<>#+-.!|~&", *s) != NULL)
			buf_putc(b, '\\');
		buf_putc(b, *s);
	}
}

static void
md_bold(struct buf *b, const char *s)
{
	buf_puts(b, "**");
	md_text(b, s);
	buf_puts(b, "**");
}

static void
md_em(struct buf *b, const char *s)
{
	buf_putc(b, '*');
	md_text(b, s);
	buf_putc(b, '*');
}

/* Runs one tool through the sink (takes args). The parsed result, or NULL (caller puts). */
static struct json_object *
call_tool(const struct llm_sink *sink, const char *name, struct json_object *args)
{
	char *note = NULL, *text;
	struct json_object *r = NULL;

	/* The sink records the note for the conversation; the answer says it in its own words. */
	text = sink->tool(sink->ctx, name, args, &note);
	json_object_put(args);
	free(note);
	if (text != NULL) {
		r = json_tokener_parse(text);
		free(text);
	}
	if (r != NULL && !json_object_is_type(r, json_type_object)) {
		json_object_put(r);
		r = NULL;
	}
	return r;
}

static void
say_tool_failed(struct buf *b, struct json_object *r, const char *what)
{
	const char *err = jfield_str(r, "error");

	buf_printf(b, "Sorry, I couldn't %s", what);
	if (err != NULL) {
		buf_puts(b, ": ");
		md_text(b, err);
	} else
		buf_puts(b, ": your task list could not be reached. Please try again in a moment.");
}

static void
say_help(struct buf *b, bool greet)
{
	if (greet)
		buf_puts(b, "Hello! ");
	buf_puts(b,
	    "I'm Parley's built-in assistant. I work offline, so I can't answer general "
	    "questions, but I can look after your **tasks**. Try:\n\n"
	    "- *add a task to buy groceries*\n"
	    "- *what are my tasks?* or *what's left?*\n"
	    "- *mark buy groceries as done*\n"
	    "- *rename buy groceries to buy food for the week*\n"
	    "- *delete the task buy groceries*\n\n"
	    "For anything else, pick another model in the model menu if one is available.");
}

/* The example a person can copy to name one of several tasks. */
static void
say_example(struct buf *b, enum builtin_intent intent, const char *title)
{
	switch (intent) {
	case BI_COMPLETE:
		buf_puts(b, "*mark ");
		md_text(b, title);
		buf_puts(b, " as done*");
		break;
	case BI_REOPEN:
		buf_puts(b, "*mark ");
		md_text(b, title);
		buf_puts(b, " as not done*");
		break;
	case BI_DELETE:
		buf_puts(b, "*delete the task ");
		md_text(b, title);
		buf_putc(b, '*');
		break;
	default:
		buf_puts(b, "*rename ");
		md_text(b, title);
		buf_puts(b, " to …*");
		break;
	}
}

static void
say_candidates(struct buf *b, enum builtin_intent intent, const char *ref,
    struct json_object *cands)
{
	size_t n = json_object_array_length(cands), i;
	const char *first = NULL;

	buf_puts(b, "More than one task matches ");
	md_em(b, ref);
	buf_puts(b, ". Which one did you mean?\n\n");
	for (i = 0; i < n && i < BI_CANDIDATES; i++) {
		struct json_object *t = json_object_array_get_idx(cands, i);
		const char *title = jfield_str(t, "title");

		if (title == NULL)
			continue;
		if (first == NULL)
			first = title;
		buf_puts(b, "- ");
		md_bold(b, title);
		if (jfield_bool(t, "completed"))
			buf_puts(b, " (done)");
		buf_putc(b, '\n');
	}
	if (n > BI_CANDIDATES)
		buf_printf(b, "- …and %zu more\n", n - BI_CANDIDATES);
	if (first != NULL) {
		buf_puts(b, "\nSay it again with the full title, for example: ");
		say_example(b, intent, first);
		buf_putc(b, '.');
	}
}

static void
say_not_found(struct buf *b, const char *ref)
{
	buf_puts(b, "I couldn't find a task matching ");
	md_em(b, ref);
	buf_puts(b, ". Say *show my tasks* to see your list.");
}

static void
act_add(const struct llm_sink *sink, const struct builtin_parse *p, struct buf *b)
{
	struct json_object *args, *r, *task;
	const char *title;

	if (p->title[0] == '\0') {
		buf_puts(b, "What should the task say? For example: *add a task to buy groceries*.");
		return;
	}
	args = json_object_new_object();
	json_object_object_add(args, "title", json_object_new_string(p->title));
	if (p->description != NULL)
		json_object_object_add(args, "description", json_object_new_string(p->description));
	r = call_tool(sink, "add_task", args);
	task = jfield_typed(r, "task", json_type_object);
	if (jfield_bool(r, "ok") && task != NULL) {
		title = jfield_str(task, "title");
		buf_puts(b, "Done — I added ");
		md_bold(b, title != NULL ? title : p->title);
		buf_puts(b, " to your tasks");
		if (jfield_str(task, "description") != NULL)
			buf_puts(b, ", with its description");
		buf_putc(b, '.');
	} else
		say_tool_failed(b, r, "add that task");
	json_object_put(r);
}

static void
list_section(struct buf *b, struct json_object *tasks, bool completed, size_t *shown)
{
	size_t n = json_object_array_length(tasks);

	for (size_t i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(tasks, i);
		const char *title = jfield_str(t, "title");

		if (title == NULL || jfield_bool(t, "completed") != completed)
			continue;
		if (*shown >= BI_LIST_SHOWN)
			continue;
		(*shown)++;
		buf_puts(b, "- ");
		md_text(b, title);
		buf_putc(b, '\n');
	}
}

static size_t
count_state(struct json_object *tasks, bool completed)
{
	size_t n = json_object_array_length(tasks), c = 0;

	for (size_t i = 0; i < n; i++)
		if (jfield_bool(json_object_array_get_idx(tasks, i), "completed") == completed)
			c++;
	return c;
}

static void
act_list(const struct llm_sink *sink, const struct builtin_parse *p, struct buf *b)
{
	struct json_object *args, *r, *tasks;
	size_t npend, ndone, shown = 0;
	long total;

	args = json_object_new_object();
	json_object_object_add(args, "status", json_object_new_string(p->filter));
	r = call_tool(sink, "list_tasks", args);
	tasks = jfield_typed(r, "tasks", json_type_array);
	if (!jfield_bool(r, "ok") || tasks == NULL) {
		say_tool_failed(b, r, "read your tasks");
		json_object_put(r);
		return;
	}
	npend = count_state(tasks, false);
	ndone = count_state(tasks, true);
	total = json_object_get_int64(jfield_typed(r, "count", json_type_int));
	if (npend + ndone == 0) {
		if (strcmp(p->filter, "pending") == 0)
			buf_puts(b, "Nothing left to do: you have no pending tasks.");
		else if (strcmp(p->filter, "completed") == 0)
			buf_puts(b, "You haven't completed any tasks yet.");
		else
			buf_puts(b, "Your task list is empty. Try *add a task to buy groceries*.");
		json_object_put(r);
		return;
	}
	if (strcmp(p->filter, "pending") == 0) {
		buf_printf(b, "You have %zu pending task%s:\n\n", npend, npend == 1 ? "" : "s");
		list_section(b, tasks, false, &shown);
	} else if (strcmp(p->filter, "completed") == 0) {
		buf_printf(b, "You have completed %zu task%s:\n\n", ndone, ndone == 1 ? "" : "s");
		list_section(b, tasks, true, &shown);
	} else {
		buf_puts(b, "Here are your tasks.\n\n");
		if (npend > 0) {
			buf_printf(b, "**To do (%zu)**\n\n", npend);
			list_section(b, tasks, false, &shown);
		}
		if (ndone > 0 && shown < BI_LIST_SHOWN) {
			buf_printf(b, "%s**Done (%zu)**\n\n", npend > 0 ? "\n" : "", ndone);
			list_section(b, tasks, true, &shown);
		}
	}
	if (total > (long)shown)
		buf_printf(b, "\n…and %ld more on the Tasks page.", total - (long)shown);
	json_object_put(r);
}

/* complete_task or delete_task by title, through the store's own matching. */
static void
act_by_title(const struct llm_sink *sink, const struct builtin_parse *p, struct buf *b)
{
	bool del = p->intent == BI_DELETE;
	struct json_object *args, *r, *task, *cands;
	const char *title;

	if (p->title[0] == '\0') {
		buf_puts(b, del ? "Which task should I delete? For example: "
		    "*delete the task buy groceries*." :
		    "Which task did you finish? For example: *mark buy groceries as done*.");
		return;
	}
	args = json_object_new_object();
	json_object_object_add(args, "title", json_object_new_string(p->title));
	r = call_tool(sink, del ? "delete_task" : "complete_task", args);
	task = jfield_typed(r, "task", json_type_object);
	cands = jfield_typed(r, "candidates", json_type_array);
	title = jfield_str(task, "title");
	if (jfield_bool(r, "ok") && title != NULL) {
		if (del) {
			buf_puts(b, "I deleted ");
			md_bold(b, title);
			buf_puts(b, " from your tasks.");
		} else if (jfield_bool(r, "already_completed")) {
			md_bold(b, title);
			buf_puts(b, " was already done.");
		} else {
			buf_puts(b, "Nice work — I marked ");
			md_bold(b, title);
			buf_puts(b, " as done.");
		}
	} else if (cands != NULL && json_object_array_length(cands) > 1)
		say_candidates(b, p->intent, p->title, cands);
	else if (jfield_bool(r, "not_found"))
		say_not_found(b, p->title);
	else
		say_tool_failed(b, r, del ? "delete that task" : "mark that task as done");
	json_object_put(r);
}

/*
 * Rename and reopen need a task id (update_task takes one), so they read
 * the list and match titles here, the same way the store does.
 */
static void
act_by_id(const struct llm_sink *sink, const struct builtin_parse *p, struct buf *b)
{
	bool rename = p->intent == BI_RENAME;
	struct json_object *args, *r, *tasks, *cands = NULL, *u, *task;
	const char **titles = NULL;
	char *from = NULL, *to = NULL;
	size_t n, nexact = 0, nwords = 0, i;
	const char *id = NULL, *old = NULL;

	if (p->title[0] == '\0') {
		buf_puts(b, rename ? "Which task should I rename? For example: "
		    "*rename buy milk to buy oat milk*." :
		    "Which task should I mark as not done? For example: "
		    "*mark buy groceries as not done*.");
		return;
	}
	if (rename && p->new_title[0] == '\0') {
		buf_puts(b, "What should the new title be? For example: *rename ");
		md_text(b, p->title);
		buf_puts(b, " to …*.");
		return;
	}
	args = json_object_new_object();
	json_object_object_add(args, "status", json_object_new_string("all"));
	r = call_tool(sink, "list_tasks", args);
	tasks = jfield_typed(r, "tasks", json_type_array);
	if (!jfield_bool(r, "ok") || tasks == NULL) {
		say_tool_failed(b, r, "read your tasks");
		json_object_put(r);
		return;
	}
	n = json_object_array_length(tasks);
	titles = xcalloc(n + 1, sizeof *titles);
	for (i = 0; i < n; i++)
		titles[i] = jfield_str(json_object_array_get_idx(tasks, i), "title");

	if (rename && builtin_rename_split(p->rename_rest, titles, n, &from, &to) == 0) {
		/* Split again now that the titles are known: "rename talk to bob to call bob". */
	} else {
		from = xstrdup(p->title);
		to = xstrdup(rename ? p->new_title : "");
	}

	/* Exact titles first, then titles holding every word; reopen prefers done tasks. */
	cands = json_object_new_array();
	for (i = 0; i < n; i++)
		if (titles[i] != NULL && builtin_title_equals(titles[i], from))
			nexact++;
	for (i = 0; i < n; i++) {
		struct json_object *t = json_object_array_get_idx(tasks, i);
		bool hit = nexact > 0 ? (titles[i] != NULL && builtin_title_equals(titles[i], from)) :
		    (titles[i] != NULL && builtin_title_has_words(titles[i], from));

		if (hit)
			json_object_array_add(cands, json_object_get(t));
	}
	nwords = json_object_array_length(cands);
	if (!rename && nwords > 1) {
		struct json_object *done = json_object_new_array();

		for (i = 0; i < nwords; i++) {
			struct json_object *t = json_object_array_get_idx(cands, i);

			if (jfield_bool(t, "completed"))
				json_object_array_add(done, json_object_get(t));
		}
		if (json_object_array_length(done) == 1) {
			json_object_put(cands);
			cands = done;
			nwords = 1;
		} else
			json_object_put(done);
	}

	if (nwords == 0)
		say_not_found(b, from);
	else if (nwords > 1)
		say_candidates(b, p->intent, from, cands);
	else {
		task = json_object_array_get_idx(cands, 0);
		id = jfield_str(task, "id");
		old = jfield_str(task, "title");
		if (!rename && !jfield_bool(task, "completed")) {
			md_bold(b, old != NULL ? old : from);
			buf_puts(b, " isn't marked as done, so there is nothing to reopen.");
			goto out;
		}
		args = json_object_new_object();
		json_object_object_add(args, "task_id", json_object_new_string(id != NULL ? id : ""));
		if (rename)
			json_object_object_add(args, "title", json_object_new_string(to));
		else
			json_object_object_add(args, "completed", json_object_new_boolean(0));
		u = call_tool(sink, "update_task", args);
		task = jfield_typed(u, "task", json_type_object);
		if (jfield_bool(u, "ok") && task != NULL) {
			const char *now = jfield_str(task, "title");

			if (rename) {
				buf_puts(b, "I renamed ");
				md_bold(b, old != NULL ? old : from);
				buf_puts(b, " to ");
				md_bold(b, now != NULL ? now : to);
				buf_putc(b, '.');
			} else {
				buf_puts(b, "I marked ");
				md_bold(b, now != NULL ? now : from);
				buf_puts(b, " as not done yet.");
			}
		} else
			say_tool_failed(b, u, rename ? "rename that task" : "reopen that task");
		json_object_put(u);
	}
out:
	json_object_put(cands);
	json_object_put(r);
	free(titles);
	free(from);
	free(to);
}

/* The text of the message being answered: the last one from the person. */
static const char *
question(const struct llm_request *req)
{
	for (size_t i = req->nmsgs; i > 0; i--) {
		const struct llm_message *m = &req->msgs[i - 1];

		if (m->role != NULL && strcmp(m->role, "user") == 0)
			return m->content != NULL ? m->content : "";
	}
	return "";
}

int
llm_builtin_complete(struct worker *w, const char *name, const struct llm_request *req,
    const struct llm_sink *sink, struct llm_result *res)
{
	struct builtin_parse p;
	struct buf ans = BUF_INIT, out = BUF_INIT;
	bool tools = req->tools && sink != NULL && sink->tool != NULL;
	const char *s;
	long prompt = 0;

	(void)w;
	(void)name;
	builtin_parse(question(req), &p);
	switch (p.intent) {
	case BI_GREET:
		say_help(&ans, true);
		break;
	case BI_THANKS:
		buf_puts(&ans, "You're welcome! Anything else for your task list?");
		break;
	case BI_ADD:
	case BI_LIST:
	case BI_COMPLETE:
	case BI_REOPEN:
	case BI_DELETE:
	case BI_RENAME:
		if (!tools) {
			buf_puts(&ans, "I can't change your tasks from here. Open a chat to "
			    "manage them, or use the Tasks page.");
			break;
		}
		if (p.intent == BI_ADD)
			act_add(sink, &p, &ans);
		else if (p.intent == BI_LIST)
			act_list(sink, &p, &ans);
		else if (p.intent == BI_COMPLETE || p.intent == BI_DELETE)
			act_by_title(sink, &p, &ans);
		else
			act_by_id(sink, &p, &ans);
		break;
	default:
		say_help(&ans, false);
		break;
	}
	builtin_parse_free(&p);

	/* Word by word, so the page streams it the way it streams a remote model. */
	res->status = LLM_OK;
	s = buf_cstr(&ans);
	while (*s != '\0') {
		size_t k = strcspn(s, " \n");

		k += strspn(s + k, " \n");
		if (sink != NULL && sink->cancelled != NULL && sink->cancelled(sink->ctx)) {
			res->status = LLM_STOPPED;
			break;
		}
		if (sink != NULL && sink->delta != NULL)
			sink->delta(sink->ctx, s, k);
		buf_append(&out, s, k);
		s += k;
	}
	buf_free(&ans);

	for (size_t i = 0; i < req->nmsgs; i++)
		prompt += llm_estimate_tokens(req->msgs[i].content) + 4;
	res->text = buf_detach(&out);
	res->tokens_prompt = prompt;
	res->tokens_completion = llm_estimate_tokens(res->text);
	res->tokens_total = res->tokens_prompt + res->tokens_completion;
	res->tokens_estimated = true;
	return 0;
}
