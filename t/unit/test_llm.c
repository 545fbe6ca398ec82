/* test_llm.c: the model layer offline: SSE, the builtin assistant, Markdown safety, models, tools. */
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "../tap.h"
#include "buf.h"
#include "config.h"
#include "db.h"
#include "llm.h"
#include "llm_builtin.h"
#include "log.h"
#include "markdown.h"
#include "req.h"
#include "sse.h"
#include "tools.h"
#include "xalloc.h"

/*
 * SSE
 */

/* Events as "event|data|id" lines. */
struct collect {
	struct buf	 out;
	int		 n;
	int		 stop_after;	/* return 7 after this many events; 0: never */
};

static int
collect_cb(void *ctx, const struct sse_event *ev)
{
	struct collect *c = ctx;

	buf_printf(&c->out, "%s|", ev->event);
	buf_append(&c->out, ev->data, ev->data_len);
	buf_printf(&c->out, "|%s\n", ev->id);
	c->n++;
	return (c->stop_after > 0 && c->n >= c->stop_after) ? 7 : 0;
}

/* Parses s fed in pieces of step bytes (0: all at once); returns the events seen. */
static char *
sse_run(const char *s, size_t step, int *rc, bool *pending)
{
	struct sse_parser p;
	struct collect c = { BUF_INIT, 0, 0 };
	size_t len = strlen(s), off = 0;
	int r = 0;

	sse_init(&p, 64);
	if (step == 0)
		step = len ? len : 1;
	while (off < len && r == 0) {
		size_t k = len - off < step ? len - off : step;

		r = sse_feed(&p, s + off, k, collect_cb, &c);
		off += k;
	}
	if (rc != NULL)
		*rc = r;
	if (pending != NULL)
		*pending = sse_pending(&p);
	sse_free(&p);
	return buf_detach(&c.out);
}

static void
is_sse(const char *in, const char *want, const char *desc)
{
	static const size_t steps[] = { 0, 1, 2, 3, 7 };

	/* Every way of cutting the input must give the same events. */
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		char *got = sse_run(in, steps[i], NULL, NULL);

		is_str(got, want, "sse: %s (fed %zu at a time)", desc, steps[i]);
		free(got);
	}
}

static void
test_sse(void)
{
	struct sse_parser p;
	struct collect c = { BUF_INIT, 0, 0 };
	char *got, big[200];
	int rc;
	bool pending;

	is_sse("data: hello\n\n", "|hello|\n", "one event");
	is_sse("data: a\ndata: b\n\n", "|a\nb|\n", "data lines joined with a newline");
	is_sse("data: x\r\n\r\ndata: y\r\n\r\n", "|x|\n|y|\n", "CRLF line ends");
	is_sse("data: x\r\rdata: y\r\r", "|x|\n|y|\n", "CR line ends");
	is_sse("data: x\r\ndata: y\n\r\n", "|x\ny|\n", "mixed line ends");
	is_sse(": keep-alive\n\n:\n\ndata: z\n\n", "|z|\n", "comments and keep-alives ignored");
	is_sse("data:tight\n\n", "|tight|\n", "no space after the colon");
	is_sse("data:  two\n\n", "| two|\n", "only one space is removed");
	is_sse("data\n\n", "||\n", "a field without a colon has an empty value");
	is_sse("\n\n\n", "", "blank lines alone dispatch nothing");
	is_sse("event: ping\ndata: 1\nid: 7\n\ndata: 2\n\n", "ping|1|7\n|2|7\n",
	    "event names reset, ids persist");
	is_sse("\xef\xbb\xbf" "data: bom\n\n", "|bom|\n", "a byte order mark is skipped");
	is_sse("data: [DONE]\n\n", "|[DONE]|\n", "[DONE] is passed on as data");
	is_sse("retry: 100\nfoo: bar\ndata: k\n\n", "|k|\n", "retry and unknown fields ignored");
	is_sse("data: {\"a\": 1}\n\n", "|{\"a\": 1}|\n", "JSON payload intact");

	got = sse_run("data: partial", 0, &rc, &pending);
	ok(rc == 0 && pending && got[0] == '\0', "sse: a cut line is pending, not an event");
	free(got);
	got = sse_run("data: whole\n", 0, &rc, &pending);
	ok(rc == 0 && pending && got[0] == '\0', "sse: an event without its blank line is pending");
	free(got);
	got = sse_run("data: whole\n\n", 0, &rc, &pending);
	ok(rc == 0 && !pending, "sse: nothing pending after a complete event");
	free(got);

	memset(big, 'x', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	sse_init(&p, 64);
	rc = sse_feed(&p, "data: ", 6, collect_cb, &c);
	rc = rc ? rc : sse_feed(&p, big, strlen(big), collect_cb, &c);
	is_int(rc, SSE_TOO_LONG, "sse: a line over the limit is refused");
	is_int(sse_feed(&p, "\n\n", 2, collect_cb, &c), SSE_TOO_LONG,
	    "sse: and the parser stays refused");
	is_int(c.n, 0, "sse: no event from the overlong line");
	sse_free(&p);

	sse_init(&p, 64);
	c.n = 0;
	buf_reset(&c.out);
	rc = 0;
	for (int i = 0; i < 20 && rc == 0; i++)
		rc = sse_feed(&p, "data: 0123456789\n", 17, collect_cb, &c);
	is_int(rc, SSE_TOO_LONG, "sse: data lines adding up past the limit are refused");
	sse_free(&p);

	sse_init(&p, 0);
	c.n = 0;
	c.stop_after = 1;
	buf_reset(&c.out);
	rc = sse_feed(&p, "data: 1\n\ndata: 2\n\n", 18, collect_cb, &c);
	is_int(rc, 7, "sse: a callback's non-zero value stops the feed");
	is_int(c.n, 1, "sse: no event after the callback stopped");
	sse_free(&p);
	buf_free(&c.out);
}

/*
 * The builtin assistant's phrase matcher
 */

struct phrase {
	const char	*text;
	enum builtin_intent intent;
	const char	*title;		/* NULL: not checked */
	const char	*extra;		/* filter (list), new title (rename), description (add) */
};

static const struct phrase phrases[] = {
	/* add */
	{ "add a task to buy groceries", BI_ADD, "Buy groceries", NULL },
	{ "Add a task to buy groceries.", BI_ADD, "Buy groceries", NULL },
	{ "add task: call Alice", BI_ADD, "Call Alice", NULL },
	{ "ADD TASK: call Alice", BI_ADD, "Call Alice", NULL },
	{ "remind me to send the invoice", BI_ADD, "Send the invoice", NULL },
	{ "Remind me to call Bob", BI_ADD, "Call Bob", NULL },
	{ "remind me about the dentist", BI_ADD, "The dentist", NULL },
	{ "add 'Write report' to my list", BI_ADD, "Write report", NULL },
	{ "add \"Call Bob's mom\" to my list", BI_ADD, "Call Bob's mom", NULL },
	{ "add \xe2\x80\x9cPlan the trip\xe2\x80\x9d to my list", BI_ADD, "Plan the trip", NULL },
	{ "new task: Prepare slides", BI_ADD, "Prepare slides", NULL },
	{ "todo: water the plants", BI_ADD, "Water the plants", NULL },
	{ "to-do: renew passport", BI_ADD, "Renew passport", NULL },
	{ "can you please add a task to buy groceries for me?", BI_ADD, "Buy groceries", NULL },
	{ "Hey Parley, add milk to my shopping list", BI_ADD, "Milk", NULL },
	{ "add a new task: call the bank", BI_ADD, "Call the bank", NULL },
	{ "create a task to renew passport", BI_ADD, "Renew passport", NULL },
	{ "put milk on my list", BI_ADD, "Milk", NULL },
	{ "don't let me forget to pay rent", BI_ADD, "Pay rent", NULL },
	{ "I need to remember to call grandma", BI_ADD, "Call grandma", NULL },
	{ "jot down pick up the dry cleaning", BI_ADD, "Pick up the dry cleaning", NULL },
	{ "add iPhone case to my list", BI_ADD, "iPhone case", NULL },
	{ "add to my list: book flights", BI_ADD, "Book flights", NULL },
	{ "add a reminder to call mom", BI_ADD, "Call mom", NULL },
	{ "add a task called \"Call Alice\" with description ask about the invoice", BI_ADD,
	  "Call Alice", "ask about the invoice" },
	{ "add a task to email Sam with the description send the contract", BI_ADD,
	  "Email Sam", "send the contract" },
	{ "add", BI_ADD, "", NULL },
	{ "add a task", BI_ADD, "", NULL },
	/* list */
	{ "what are my tasks", BI_LIST, NULL, "all" },
	{ "What are my tasks?", BI_LIST, NULL, "all" },
	{ "show my todo list", BI_LIST, NULL, "all" },
	{ "list my tasks", BI_LIST, NULL, "all" },
	{ "list my pending tasks", BI_LIST, NULL, "pending" },
	{ "show completed tasks", BI_LIST, NULL, "completed" },
	{ "what's left", BI_LIST, NULL, "pending" },
	{ "What\xe2\x80\x99s left to do?", BI_LIST, NULL, "pending" },
	{ "what do I have to do today", BI_LIST, NULL, "pending" },
	{ "what have I done?", BI_LIST, NULL, "completed" },
	{ "how many tasks do I have", BI_LIST, NULL, "all" },
	{ "completed tasks", BI_LIST, NULL, "completed" },
	{ "pending tasks", BI_LIST, NULL, "pending" },
	{ "good morning! what are my tasks?", BI_LIST, NULL, "all" },
	{ "show me my open tasks please", BI_LIST, NULL, "pending" },
	{ "which tasks are not done yet", BI_LIST, NULL, "pending" },
	/* complete */
	{ "mark buy groceries as done", BI_COMPLETE, "buy groceries", NULL },
	{ "Mark Buy Groceries As Done!", BI_COMPLETE, "Buy Groceries", NULL },
	{ "complete the task call Alice", BI_COMPLETE, "call Alice", NULL },
	{ "I finished the report", BI_COMPLETE, "report", NULL },
	{ "I've finished writing the report", BI_COMPLETE, "writing the report", NULL },
	{ "check off buy milk", BI_COMPLETE, "buy milk", NULL },
	{ "check buy milk off my list", BI_COMPLETE, "buy milk", NULL },
	{ "tick off call mom", BI_COMPLETE, "call mom", NULL },
	{ "mark the groceries task as complete", BI_COMPLETE, "groceries", NULL },
	{ "buy milk is done", BI_COMPLETE, "buy milk", NULL },
	{ "I'm done with the slides", BI_COMPLETE, "slides", NULL },
	{ "done with laundry", BI_COMPLETE, "laundry", NULL },
	{ "finish the slides", BI_COMPLETE, "slides", NULL },
	{ "set buy milk as done", BI_COMPLETE, "buy milk", NULL },
	{ "mark 'Write report' as completed", BI_COMPLETE, "Write report", NULL },
	/* reopen */
	{ "mark buy milk as not done", BI_REOPEN, "buy milk", NULL },
	{ "uncheck buy milk", BI_REOPEN, "buy milk", NULL },
	{ "reopen the task write report", BI_REOPEN, "write report", NULL },
	/* delete */
	{ "delete the task buy groceries", BI_DELETE, "buy groceries", NULL },
	{ "remove the task buy groceries", BI_DELETE, "buy groceries", NULL },
	{ "remove buy milk from my list", BI_DELETE, "buy milk", NULL },
	{ "get rid of the dentist task", BI_DELETE, "dentist", NULL },
	{ "please delete 'Call Bob'", BI_DELETE, "Call Bob", NULL },
	{ "take buy milk off my list", BI_DELETE, "buy milk", NULL },
	{ "delete it", BI_DELETE, "", NULL },
	/* rename */
	{ "rename task X to Y", BI_RENAME, "X", "Y" },
	{ "rename buy milk to buy oat milk", BI_RENAME, "buy milk", "Buy oat milk" },
	{ "change buy milk to buy bread", BI_RENAME, "buy milk", "Buy bread" },
	{ "change the title of buy milk to buy almond milk", BI_RENAME, "buy milk",
	  "Buy almond milk" },
	{ "rename the task 'Call Bob' to 'Call Robert'", BI_RENAME, "Call Bob", "Call Robert" },
	{ "update buy milk to say buy soy milk", BI_RENAME, "buy milk", "Buy soy milk" },
	{ "rename buy milk", BI_RENAME, "buy milk", "" },
	/* the rest */
	{ "hello", BI_GREET, NULL, NULL },
	{ "Hi there!", BI_GREET, NULL, NULL },
	{ "how are you?", BI_GREET, NULL, NULL },
	{ "thanks!", BI_THANKS, NULL, NULL },
	{ "Thank you so much.", BI_THANKS, NULL, NULL },
	{ "what can you do?", BI_HELP, NULL, NULL },
	{ "tell me a joke", BI_HELP, NULL, NULL },
	{ "what is the capital of France?", BI_HELP, NULL, NULL },
	{ "make me a sandwich", BI_HELP, NULL, NULL },
	{ "put the kettle on", BI_HELP, NULL, NULL },
	{ "show me the weather", BI_HELP, NULL, NULL },
	{ "complete all tasks", BI_HELP, NULL, NULL },
	{ "", BI_HELP, NULL, NULL },
	{ "   ", BI_HELP, NULL, NULL },
	{ "addendum to the contract", BI_HELP, NULL, NULL },
	{ "listen to this", BI_HELP, NULL, NULL },
	/* Words are whole words: inside a longer word, also one with non-ASCII letters, no. */
	{ "show my taskbar settings", BI_HELP, NULL, NULL },
	{ "show my tasks\xc3\xa9", BI_HELP, NULL, NULL },
	{ "show the uncompleted tasks", BI_LIST, NULL, "pending" },
	{ "show my done tasks", BI_LIST, NULL, "completed" },
	{ "multitasking is done", BI_COMPLETE, "multitasking", NULL },
	/* Of two description markers, the one first in the matcher's list wins. */
	{ "add buy milk with note skim with description for the cafe", BI_ADD,
	    "Buy milk with note skim", "for the cafe" },
	/* Case and white space do not matter to the separator; the words keep their case. */
	{ "RENAME Buy Milk TO oat milk", BI_RENAME, "Buy Milk", "Oat milk" },
	{ "rename\tbuy milk\n   to   oat milk", BI_RENAME, "buy milk", "Oat milk" },
};

/* ok() for an int comparison without printing: used to branch on a failure. */
static int
is_int_ok(long got, long want)
{
	return got == want;
}

static void
test_phrases(void)
{
	struct builtin_parse p;
	char *from, *to;
	const char *titles[] = { "Talk to Bob", "Buy milk", "Buy milk to go" };

	for (size_t i = 0; i < sizeof phrases / sizeof phrases[0]; i++) {
		const struct phrase *ph = &phrases[i];
		const char *extra = NULL;

		builtin_parse(ph->text, &p);
		if (!is_int_ok(p.intent, ph->intent)) {
			ok(0, "builtin: \"%s\" is %s (got %s)", ph->text,
			    builtin_intent_name(ph->intent), builtin_intent_name(p.intent));
			builtin_parse_free(&p);
			continue;
		}
		if (ph->intent == BI_LIST)
			extra = p.filter;
		else if (ph->intent == BI_RENAME)
			extra = p.new_title;
		else if (ph->intent == BI_ADD)
			extra = p.description;
		ok((ph->title == NULL || (p.title != NULL && strcmp(p.title, ph->title) == 0)) &&
		    ((ph->extra == NULL && (ph->intent != BI_ADD || extra == NULL)) ||
		    (ph->extra != NULL && extra != NULL && strcmp(extra, ph->extra) == 0)),
		    "builtin: \"%s\" is %s \"%s\" \"%s\" (got \"%s\" \"%s\")", ph->text,
		    builtin_intent_name(ph->intent), ph->title ? ph->title : "",
		    ph->extra ? ph->extra : "", p.title ? p.title : "", extra ? extra : "");
		builtin_parse_free(&p);
	}

	/* The rename split looks at the person's titles. */
	ok(builtin_rename_split("talk to bob to call bob", titles, 3, &from, &to) == 0 &&
	    strcmp(from, "talk to bob") == 0 && strcmp(to, "Call bob") == 0,
	    "rename split: the title holding \" to \" is found");
	free(from);
	free(to);
	ok(builtin_rename_split("buy milk to go to buy bread", titles, 3, &from, &to) == 0 &&
	    strcmp(from, "buy milk to go") == 0 && strcmp(to, "Buy bread") == 0,
	    "rename split: the exact title wins over a shorter match");
	free(from);
	free(to);
	ok(builtin_rename_split("buy milk to buy oat milk", titles, 3, &from, &to) == 0 &&
	    strcmp(from, "buy milk") == 0, "rename split: a plain rename");
	free(from);
	free(to);
	ok(builtin_rename_split("BUY MILK to x", titles, 3, &from, &to) == 0 &&
	    strcmp(from, "BUY MILK") == 0 && strcmp(to, "X") == 0,
	    "rename split: an exact title in other case");
	free(from);
	free(to);
	ok(builtin_rename_split("bob to go to x", titles, 3, &from, &to) == 0 &&
	    strcmp(from, "bob") == 0 && strcmp(to, "Go to x") == 0,
	    "rename split: the split whose words one title holds, in any case");
	free(from);
	free(to);
	ok(builtin_rename_split("no separator here", titles, 3, &from, &to) == -1,
	    "rename split: no \" to \", no split");

	/* Hostile input is just text: bounded, no crash. */
	{
		char *huge = xmalloc(100001);

		memset(huge, 'a', 100000);
		memcpy(huge, "add ", 4);
		huge[100000] = '\0';
		builtin_parse(huge, &p);
		ok(p.intent == BI_ADD && p.title != NULL && strlen(p.title) <= 4096,
		    "builtin: a 100 kB message is read up to 4 KiB");
		builtin_parse_free(&p);
		free(huge);
	}
	builtin_parse(NULL, &p);
	ok(p.intent == BI_HELP, "builtin: NULL is a help request");
	builtin_parse_free(&p);
}

/*
 * The builtin assistant end to end, with tools that answer from a script
 */

struct fake {
	struct buf	 streamed;
	int		 deltas;
	struct buf	 calls;		/* "name args;" for each tool call */
	const char	*reply[4];	/* the tool results, in order */
	int		 nreply;
	int		 stop_after;	/* cancelled() says yes before this delta; 0: never */
};

static void
fake_delta(void *ctx, const char *s, size_t n)
{
	struct fake *f = ctx;

	buf_append(&f->streamed, s, n);
	f->deltas++;
}

static char *
fake_tool(void *ctx, const char *name, struct json_object *args, char **note)
{
	struct fake *f = ctx;
	const char *r = f->nreply < 4 && f->reply[f->nreply] ? f->reply[f->nreply] :
	    "{\"ok\":false,\"error\":\"unexpected\"}";

	f->nreply++;
	buf_printf(&f->calls, "%s %s;", name, json_object_to_json_string_ext(args,
	    JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
	*note = xstrdup("a note");
	return xstrdup(r);
}

static bool
fake_cancelled(void *ctx)
{
	struct fake *f = ctx;

	return f->stop_after > 0 && f->deltas + 1 >= f->stop_after;
}

/* Asks builtin/parley q with the scripted tool replies; returns the result (free res->text). */
static int
ask(struct fake *f, const char *q, bool tools, struct llm_result *res)
{
	struct llm_message m[2] = { { "assistant", "Hello" }, { "user", q } };
	struct llm_request req = { "builtin/parley", m, 2, tools };
	struct llm_sink sink = { f, fake_delta, fake_tool, fake_cancelled };

	buf_init(&f->streamed);
	buf_init(&f->calls);
	f->deltas = 0;
	f->nreply = 0;
	return llm_complete(NULL, &req, &sink, res);
}

static void
fake_free(struct fake *f, struct llm_result *res)
{
	buf_free(&f->streamed);
	buf_free(&f->calls);
	free(res->text);
}

static void
test_builtin(void)
{
	struct fake f;
	struct llm_result res;
	char *html;
	int rc;

	memset(&f, 0, sizeof f);
	f.reply[0] = "{\"ok\":true,\"task\":{\"id\":\"1\",\"title\":\"Buy groceries\","
	    "\"description\":null,\"completed\":false}}";
	rc = ask(&f, "add a task to buy groceries", true, &res);
	is_int(rc, 0, "builtin add: llm_complete succeeds");
	is_str(buf_cstr(&f.calls), "add_task {\"title\":\"Buy groceries\"};",
	    "builtin add: one add_task call with the title");
	is_str(res.text, "Done — I added **Buy groceries** to your tasks.",
	    "builtin add: the answer says what it did");
	is_str(buf_cstr(&f.streamed), res.text, "builtin add: the deltas make the answer");
	ok(f.deltas >= 5, "builtin add: streamed word by word (%d deltas)", f.deltas);
	ok(res.tokens_estimated && res.tokens_prompt > 0 && res.tokens_completion > 0 &&
	    res.tokens_total == res.tokens_prompt + res.tokens_completion,
	    "builtin add: token counts are estimated");
	ok(res.time_to_first_token_ms >= 0 && res.completion_time_ms >= res.time_to_first_token_ms,
	    "builtin add: times are measured");
	fake_free(&f, &res);

	memset(&f, 0, sizeof f);
	f.reply[0] = "{\"ok\":true,\"status\":\"all\",\"count\":3,\"tasks\":["
	    "{\"id\":\"1\",\"title\":\"Buy milk\",\"completed\":false},"
	    "{\"id\":\"2\",\"title\":\"<script>alert(1)</script>\",\"completed\":false},"
	    "{\"id\":\"3\",\"title\":\"Write report\",\"completed\":true}],\"truncated\":false}";
	ask(&f, "what are my tasks?", true, &res);
	is_str(buf_cstr(&f.calls), "list_tasks {\"status\":\"all\"};",
	    "builtin list: list_tasks with status all");
	ok(strstr(res.text, "**To do (2)**") != NULL && strstr(res.text, "- Buy milk\n") != NULL &&
	    strstr(res.text, "**Done (1)**") != NULL && strstr(res.text, "- Write report") != NULL,
	    "builtin list: a Markdown list in two groups");
	html = markdown_html(res.text);
	ok(strstr(html, "<script>") == NULL && strstr(html, "&lt;script&gt;alert(1)") != NULL,
	    "builtin list: a title is text, never markup");
	free(html);
	fake_free(&f, &res);

	memset(&f, 0, sizeof f);
	f.reply[0] = "{\"ok\":true,\"status\":\"pending\",\"count\":0,\"tasks\":[]}";
	ask(&f, "what's left?", true, &res);
	ok(strstr(res.text, "no pending tasks") != NULL, "builtin list: nothing pending said so");
	fake_free(&f, &res);

	memset(&f, 0, sizeof f);
	f.reply[0] = "{\"ok\":false,\"error\":\"2 tasks match\",\"candidates\":["
	    "{\"id\":\"1\",\"title\":\"Call Bob\",\"completed\":false},"
	    "{\"id\":\"2\",\"title\":\"Call Bobby\",\"completed\":false}]}";
	ask(&f, "mark call bob as done", true, &res);
	is_str(buf_cstr(&f.calls), "complete_task {\"title\":\"call bob\"};",
	    "builtin complete: complete_task by title");
	ok(strstr(res.text, "Which one did you mean?") != NULL &&
	    strstr(res.text, "**Call Bob**") != NULL && strstr(res.text, "**Call Bobby**") != NULL,
	    "builtin complete: several matches are listed with a question");
	fake_free(&f, &res);

	memset(&f, 0, sizeof f);
	f.reply[0] = "{\"ok\":false,\"error\":\"No task matches\",\"not_found\":true}";
	ask(&f, "delete the task fly to the moon", true, &res);
	ok(strstr(res.text, "couldn't find a task matching *fly to the moon*") != NULL,
	    "builtin delete: a friendly not-found");
	fake_free(&f, &res);

	memset(&f, 0, sizeof f);
	f.reply[0] = "{\"ok\":true,\"status\":\"all\",\"count\":2,\"tasks\":["
	    "{\"id\":\"a1\",\"title\":\"Talk to Bob\",\"completed\":false},"
	    "{\"id\":\"b2\",\"title\":\"Buy milk\",\"completed\":false}]}";
	f.reply[1] = "{\"ok\":true,\"task\":{\"id\":\"a1\",\"title\":\"Call Bob\","
	    "\"completed\":false}}";
	ask(&f, "rename talk to bob to call Bob", true, &res);
	is_str(buf_cstr(&f.calls), "list_tasks {\"status\":\"all\"};"
	    "update_task {\"task_id\":\"a1\",\"title\":\"Call Bob\"};",
	    "builtin rename: found by title, updated by id");
	is_str(res.text, "I renamed **Talk to Bob** to **Call Bob**.", "builtin rename: the answer");
	fake_free(&f, &res);

	memset(&f, 0, sizeof f);
	ask(&f, "tell me a joke", true, &res);
	ok(f.calls.len == 0 && strstr(res.text, "add a task to buy groceries") != NULL,
	    "builtin help: no tool, a help text with examples");
	fake_free(&f, &res);

	memset(&f, 0, sizeof f);
	ask(&f, "hello", true, &res);
	ok(strncmp(res.text, "Hello!", 6) == 0, "builtin greet: says hello");
	fake_free(&f, &res);

	memset(&f, 0, sizeof f);
	ask(&f, "add a task to buy groceries", false, &res);
	ok(f.calls.len == 0 && strstr(res.text, "can't change your tasks") != NULL,
	    "builtin: without tools, nothing is changed");
	fake_free(&f, &res);

	/* cancelled() is asked at most every 200 ms, so only a stop at the start shows here. */
	memset(&f, 0, sizeof f);
	f.stop_after = 1;
	ask(&f, "tell me a joke", true, &res);
	ok(res.status == LLM_STOPPED && f.deltas == 0 && res.text != NULL && res.text[0] == '\0',
	    "builtin: a stop ends the answer");
	fake_free(&f, &res);
}

/*
 * Markdown
 */

static void
test_markdown(void)
{
	static const struct {
		const char	*md;
		const char	*absent;
		const char	*present;
		const char	*desc;
	} cases[] = {
		{ "<script>alert(1)</script>", "<script", NULL, "a script block is dropped" },
		{ "hi <script>alert(1)</script> there", "<script", "hi", "an inline script is dropped" },
		{ "<img src=x onerror=alert(1)>", "onerror", NULL, "an onerror attribute is dropped" },
		{ "<a href=\"javascript:alert(1)\">x</a>", "javascript:", NULL, "a raw HTML link is dropped" },
		{ "[x](javascript:alert(1))", "javascript:", "<a href=\"\">x</a>", "a javascript: link is emptied" },
		{ "[x](JavaScript:alert(1))", "avaScript", "href=\"\"", "the scheme is matched in any case" },
		{ "[x](<java\tscript:alert(1)>)", "script:", NULL, "a tab inside the scheme does not help" },
		{ "[x](&#106;avascript:alert(1))", "avascript:", "href=\"\"", "an entity does not help" },
		{ "[x](vbscript:msgbox)", "vbscript", NULL, "vbscript: is emptied" },
		{ "[x](data:text/html;base64,PHNjcmlwdD4=)", "data:", NULL, "data: is emptied" },
		{ "[x](file:///etc/passwd)", "file:", NULL, "file: is emptied" },
		{ "<javascript:alert(1)>", "href=\"javascript", NULL, "an autolink with javascript: is emptied" },
		{ "![pic](https://evil.example/t.png)", "<img", "<a href=\"https://evil.example/t.png\">pic</a>",
		  "an image becomes a link, fetched by nobody" },
		{ "[ok](https://example.com/a?b=1)", NULL, "<a href=\"https://example.com/a?b=1\">ok</a>",
		  "an https link is kept" },
		{ "[rel](/tasks)", NULL, "<a href=\"/tasks\">rel</a>", "a relative link is kept" },
		{ "[mail](mailto:a@example.com)", NULL, "href=\"mailto:a@example.com\"", "mailto: is kept" },
		{ "# Title\n\n- one\n- two\n\n```\ncode <b>\n```", NULL,
		  "<pre><code>code &lt;b&gt;\n</code></pre>", "code blocks are escaped" },
		{ "**bold** and *em*", NULL, "<strong>bold</strong> and <em>em</em>", "emphasis works" },
		{ "\"quotes\" stay plain", NULL, "&quot;quotes&quot; stay plain", "quotes are not made smart" },
		{ "bad \xff utf-8", "\xff", NULL, "invalid UTF-8 is replaced" },
	};

	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *html = markdown_html(cases[i].md);

		ok((cases[i].absent == NULL || strstr(html, cases[i].absent) == NULL) &&
		    (cases[i].present == NULL || strstr(html, cases[i].present) != NULL),
		    "markdown: %s", cases[i].desc);
		if (!((cases[i].absent == NULL || strstr(html, cases[i].absent) == NULL) &&
		    (cases[i].present == NULL || strstr(html, cases[i].present) != NULL)))
			printf("# html: %s\n", html);
		free(html);
	}
	{
		char *html = markdown_html(NULL);

		is_str(html, "", "markdown: NULL is empty");
		free(html);
	}
	ok(markdown_url_safe("https://x.example") && markdown_url_safe("/a:b") &&
	    markdown_url_safe("page.html#x:y") && markdown_url_safe("averyveryverylongfilename.html") &&
	    markdown_url_safe("") && markdown_url_safe(NULL),
	    "markdown_url_safe: http(s) and relative URLs pass");
	ok(!markdown_url_safe("javascript:x") && !markdown_url_safe(" \x01javascript:x") &&
	    !markdown_url_safe("java\nscript:x") && !markdown_url_safe("data:x") &&
	    !markdown_url_safe("averyveryverylongscheme:x") && !markdown_url_safe("ftp://x"),
	    "markdown_url_safe: other schemes fail, as browsers would read them");
}

/*
 * Models, estimates, tools
 */

static void
test_models(void)
{
	struct config cfg;
	struct json_object *m, *items, *it, *v;
	char models[] = " gpt-4o-mini, openai/llama3:8b ,, gpt-4o-mini";
	char def[] = "openai/llama3:8b";

	memset(&cfg, 0, sizeof cfg);
	cfg.openai_models = models;
	cfg.default_model = def;
	ok(llm_model_known(&cfg, "builtin/parley"), "models: builtin/parley is known");
	ok(llm_model_known(&cfg, "openai/gpt-4o-mini"), "models: a listed model is known");
	ok(llm_model_known(&cfg, "openai/llama3:8b"), "models: an openai/ prefix in the list is allowed");
	ok(!llm_model_known(&cfg, "openai/gpt-5"), "models: an unlisted model is unknown");
	ok(!llm_model_known(&cfg, "builtin/other") && !llm_model_known(&cfg, "parley") &&
	    !llm_model_known(&cfg, "openai/") && !llm_model_known(&cfg, NULL),
	    "models: malformed ids are unknown");
	is_str(llm_default_model(&cfg), "openai/llama3:8b", "models: the configured default");
	m = llm_models_json(&cfg);
	items = json_object_object_get(m, "items");
	is_int(json_object_array_length(items), 3, "models: builtin plus two listed, no duplicate");
	it = json_object_array_get_idx(items, 2);
	ok(json_object_object_get_ex(it, "id", &v) &&
	    strcmp(json_object_get_string(v), "openai/llama3:8b") == 0 &&
	    json_object_object_get_ex(it, "default", &v) && json_object_get_boolean(v),
	    "models: the default is marked");
	json_object_put(m);
	def[0] = 'x';
	is_str(llm_default_model(&cfg), "builtin/parley", "models: an unknown default falls back");
	is_str(llm_default_model(NULL), "builtin/parley", "models: no configuration, builtin");

	is_int(llm_estimate_tokens(NULL), 0, "estimate: NULL is 0");
	is_int(llm_estimate_tokens(""), 0, "estimate: empty is 0");
	is_int(llm_estimate_tokens("abcd"), 1, "estimate: 4 bytes, 1 token");
	is_int(llm_estimate_tokens("abcde"), 2, "estimate: rounded up");
	{
		char s[401];

		memset(s, 'a', 400);
		s[400] = '\0';
		is_int(llm_estimate_tokens(s), 100, "estimate: 400 bytes, 100 tokens");
	}
}

static void
test_tools(void)
{
	struct json_object *schema = tools_openai_schema(), *args;
	struct app app;
	struct worker w;
	const char *want[] = { "add_task", "list_tasks", "complete_task", "delete_task", "update_task" };
	char *r, *note;
	bool all = json_object_array_length(schema) == 5;

	for (size_t i = 0; i < 5 && all; i++) {
		struct json_object *t = json_object_array_get_idx(schema, i), *fn, *v;

		all = json_object_object_get_ex(t, "type", &v) &&
		    strcmp(json_object_get_string(v), "function") == 0 &&
		    json_object_object_get_ex(t, "function", &fn) &&
		    json_object_object_get_ex(fn, "name", &v) &&
		    strcmp(json_object_get_string(v), want[i]) == 0 &&
		    json_object_object_get_ex(fn, "parameters", &v) &&
		    json_object_is_type(v, json_type_object) && tools_known(want[i]);
	}
	ok(all, "tools: the five function tools, with parameter schemas");
	json_object_put(schema);

	/* Checks come before the database: this one is never reached. */
	memset(&app, 0, sizeof app);
	memset(&w, 0, sizeof w);
	w.app = &app;
	w.db = db_new("host=/nonexistent/socket/dir connect_timeout=1", false);

	r = tools_run(&w, "00000000-0000-0000-0000-000000000001", "launch_rocket", NULL, &note);
	ok(strstr(r, "\"ok\":false") && strstr(r, "no tool named") && note == NULL,
	    "tools: an unknown tool is an error result");
	free(r);

	args = json_tokener_parse("{\"title\": 42}");
	r = tools_run(&w, "00000000-0000-0000-0000-000000000001", "add_task", args, &note);
	ok(strstr(r, "\"ok\":false") && strstr(r, "needs \\\"title\\\", a string") && note == NULL,
	    "tools: add_task with a number for a title is refused");
	free(r);
	json_object_put(args);

	args = json_tokener_parse("{\"title\": \"   \"}");
	r = tools_run(&w, "00000000-0000-0000-0000-000000000001", "add_task", args, &note);
	ok(strstr(r, "The title is required.") != NULL, "tools: a blank title is refused");
	free(r);
	json_object_put(args);

	args = json_tokener_parse("[1, 2]");
	r = tools_run(&w, "00000000-0000-0000-0000-000000000001", "add_task", args, &note);
	ok(strstr(r, "must be a JSON object") != NULL, "tools: arguments that are not an object");
	free(r);
	json_object_put(args);

	args = json_tokener_parse("{\"status\": \"someday\"}");
	r = tools_run(&w, "00000000-0000-0000-0000-000000000001", "list_tasks", args, &note);
	ok(strstr(r, "\\\"status\\\" must be") != NULL, "tools: an unknown status is refused");
	free(r);
	json_object_put(args);

	args = json_tokener_parse("{}");
	r = tools_run(&w, "00000000-0000-0000-0000-000000000001", "complete_task", args, &note);
	ok(strstr(r, "needs \\\"task_id\\\" or \\\"title\\\"") != NULL,
	    "tools: complete_task with neither id nor title");
	free(r);
	json_object_put(args);

	args = json_tokener_parse("{\"task_id\": 7}");
	r = tools_run(&w, "00000000-0000-0000-0000-000000000001", "delete_task", args, &note);
	ok(strstr(r, "must be strings") != NULL, "tools: delete_task with a numeric id");
	free(r);
	json_object_put(args);

	args = json_tokener_parse("{\"task_id\": \"x\", \"completed\": \"yes\"}");
	r = tools_run(&w, "00000000-0000-0000-0000-000000000001", "update_task", args, &note);
	ok(strstr(r, "must be true or false") != NULL, "tools: update_task with a string boolean");
	free(r);
	json_object_put(args);

	args = json_tokener_parse("{\"task_id\": \"x\"}");
	r = tools_run(&w, "00000000-0000-0000-0000-000000000001", "update_task", args, &note);
	ok(strstr(r, "at least one of") != NULL, "tools: update_task with nothing to change");
	free(r);
	json_object_put(args);

	r = tools_run(&w, "", "list_tasks", NULL, &note);
	ok(strstr(r, "not available") != NULL, "tools: no owner, no tasks");
	free(r);

	db_free(w.db);
}

int
main(void)
{
	log_set_level(LOG_LVL_WARN);
	test_sse();
	test_phrases();
	test_builtin();
	test_markdown();
	test_models();
	test_tools();
	return done_testing();
}
