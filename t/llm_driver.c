/* llm_driver.c: runs one llm_complete() from the command line and prints the result, for tests. */

/*
 * llm_driver [-u USER_ID] [-n] [-c MS] MODEL MESSAGE [REPLY MESSAGE]...
 *
 * Configuration comes from the environment like `parley serve`
 * (PARLEY_OPENAI_*, PARLEY_LLM_*, DATABASE_URL). The messages alternate
 * user, assistant, user, ... and end with the user's question. With -u the
 * task tools run for that user against DATABASE_URL; -n offers no tools;
 * -c stops the answer after MS milliseconds. Prints "key: value" lines
 * (text with "\n" and "\\" escaped):
 *	status, rc, error, text, streamed (the deltas joined), deltas,
 *	note (one line per note), tools (names called), tokens_prompt,
 *	tokens_completion, tokens_total, tokens_estimated, ttft_ms, time_ms
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "llm.h"
#include "log.h"
#include "req.h"
#include "tools.h"
#include "xalloc.h"

struct driver {
	struct worker	*w;
	const char	*user_id;
	struct buf	 streamed;
	long		 deltas;
	struct buf	 notes;
	struct buf	 tools;
	long		 cancel_ms;
	struct timespec	 t0;
};

static void
on_delta(void *ctx, const char *text, size_t len)
{
	struct driver *d = ctx;

	buf_append(&d->streamed, text, len);
	d->deltas++;
}

static char *
on_tool(void *ctx, const char *name, struct json_object *args, char **note)
{
	struct driver *d = ctx;
	char *result = tools_run(d->w, d->user_id, name, args, note);

	if (d->tools.len > 0)
		buf_putc(&d->tools, ',');
	buf_puts(&d->tools, name);
	if (*note != NULL)
		buf_printf(&d->notes, "note: %s\n", *note);
	return result;
}

static bool
on_cancelled(void *ctx)
{
	struct driver *d = ctx;
	struct timespec now;
	long ms;

	if (d->cancel_ms < 0)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (now.tv_sec - d->t0.tv_sec) * 1000 + (now.tv_nsec - d->t0.tv_nsec) / 1000000;
	return ms >= d->cancel_ms;
}

static void
print_escaped(const char *key, const char *s)
{
	printf("%s: ", key);
	for (; *s; s++) {
		if (*s == '\n')
			fputs("\\n", stdout);
		else if (*s == '\\')
			fputs("\\\\", stdout);
		else
			putchar(*s);
	}
	putchar('\n');
}

int
main(int argc, char **argv)
{
	static const char *const status_names[] = { "ok", "stopped", "truncated", "error" };
	struct config cfg;
	struct app app;
	struct worker w;
	struct driver d;
	struct llm_request req;
	struct llm_message *msgs;
	struct llm_result res;
	struct llm_sink sink;
	char err[256];
	int opt, rc, nmsgs;
	bool tools = true;

	/* Built as a check program, make check runs it bare: it is a helper, not a test. */
	if (argc == 1) {
		puts("1..0 # SKIP test helper (run by t/0300-llm-openai.t)");
		return 0;
	}
	memset(&d, 0, sizeof d);
	d.cancel_ms = -1;
	while ((opt = getopt(argc, argv, "u:nc:")) != -1) {
		switch (opt) {
		case 'u':
			d.user_id = optarg;
			break;
		case 'n':
			tools = false;
			break;
		case 'c':
			d.cancel_ms = atol(optarg);
			break;
		default:
			fprintf(stderr, "usage: llm_driver [-u USER_ID] [-n] [-c MS] MODEL MESSAGE...\n");
			return 2;
		}
	}
	if (argc - optind < 2) {
		fprintf(stderr, "usage: llm_driver [-u USER_ID] [-n] [-c MS] MODEL MESSAGE...\n");
		return 2;
	}
	if (config_load(&cfg, NULL, err, sizeof err) == -1) {
		fprintf(stderr, "llm_driver: %s\n", err);
		return 2;
	}
	log_set_level(cfg.log_level);
	if (llm_global_init() == -1)
		return 2;

	memset(&app, 0, sizeof app);
	app.cfg = &cfg;
	memset(&w, 0, sizeof w);
	w.app = &app;
	if (d.user_id != NULL)
		w.db = db_new(cfg.database_url, cfg.prepared_statements);
	d.w = &w;

	nmsgs = argc - optind - 1;
	msgs = xcalloc((size_t)nmsgs, sizeof *msgs);
	for (int i = 0; i < nmsgs; i++) {
		msgs[i].role = (i % 2 == 0) ? "user" : "assistant";
		msgs[i].content = argv[optind + 1 + i];
	}
	req.model = argv[optind];
	req.msgs = msgs;
	req.nmsgs = (size_t)nmsgs;
	req.tools = tools;
	sink.ctx = &d;
	sink.delta = on_delta;
	sink.tool = on_tool;
	sink.cancelled = on_cancelled;

	clock_gettime(CLOCK_MONOTONIC, &d.t0);
	rc = llm_complete(&w, &req, &sink, &res);

	printf("status: %s\n", status_names[res.status]);
	printf("rc: %d\n", rc);
	print_escaped("error", res.error);
	print_escaped("text", res.text);
	print_escaped("streamed", buf_cstr(&d.streamed));
	printf("deltas: %ld\n", d.deltas);
	fputs(buf_cstr(&d.notes), stdout);
	printf("tools: %s\n", buf_cstr(&d.tools));
	printf("tokens_prompt: %ld\n", res.tokens_prompt);
	printf("tokens_completion: %ld\n", res.tokens_completion);
	printf("tokens_total: %ld\n", res.tokens_total);
	printf("tokens_estimated: %s\n", res.tokens_estimated ? "true" : "false");
	printf("ttft_ms: %ld\n", res.time_to_first_token_ms);
	printf("time_ms: %ld\n", res.completion_time_ms);

	free(res.text);
	free(msgs);
	buf_free(&d.streamed);
	buf_free(&d.notes);
	buf_free(&d.tools);
	llm_thread_cleanup(&w);
	db_free(w.db);
	llm_global_cleanup();
	config_free(&cfg);
	return 0;
}
