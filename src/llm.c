/* llm.c: model ids, the provider table, and what every answer gets: timing, tokens, a log line. */
#include "llm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "clock.h"
#include "config.h"
#include "llm_builtin.h"
#include "llm_openai.h"
#include "log.h"
#include "req.h"
#include "xalloc.h"

#define BUILTIN_MODEL	"builtin/parley"
#define MODEL_NAME_MAX	200	/* bytes of a model name after "openai/" */
#define CANCEL_POLL_MS	200	/* cancelled() is asked at most this often */

/* A provider: the part of the id before the first "/", and what it can do. */
struct provider {
	const char	*prefix;	/* "builtin/" */
	bool		(*known)(const struct config *cfg, const char *name);
	int		(*complete)(struct worker *w, const char *name,
			    const struct llm_request *req, const struct llm_sink *sink,
			    struct llm_result *res);
};

static bool
builtin_known(const struct config *cfg, const char *name)
{
	(void)cfg;
	return strcmp(name, "parley") == 0;
}

/*
 * The next name in PARLEY_OPENAI_MODELS ("gpt-4o-mini, openai/llama3:8b"):
 * trimmed, without an "openai/" prefix; empty and overlong entries are
 * skipped. Copies it to out; returns false at the end of the list.
 */
static bool
next_openai_model(const char **list, char *out, size_t outlen)
{
	const char *s = *list;

	while (s != NULL && *s != '\0') {
		const char *e = strchr(s, ','), *a = s, *b;
		size_t n;

		if (e == NULL)
			e = s + strlen(s);
		b = e;
		s = *e == ',' ? e + 1 : e;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if ((size_t)(b - a) > 7 && strncmp(a, "openai/", 7) == 0)
			a += 7;
		n = (size_t)(b - a);
		if (n == 0 || n >= outlen || n > MODEL_NAME_MAX)
			continue;
		memcpy(out, a, n);
		out[n] = '\0';
		*list = s;
		return true;
	}
	*list = s;
	return false;
}

static bool
openai_known(const struct config *cfg, const char *name)
{
	char m[MODEL_NAME_MAX + 1];
	const char *list;

	if (cfg == NULL)
		return false;
	list = cfg->openai_models;
	while (next_openai_model(&list, m, sizeof m))
		if (strcmp(m, name) == 0)
			return true;
	return false;
}

static const struct provider providers[] = {
	{ "builtin/", builtin_known, llm_builtin_complete },
	{ "openai/", openai_known, llm_openai_complete },
};

#define NPROVIDERS (sizeof providers / sizeof providers[0])

/* The provider of model, with *name set to the part after its prefix; NULL if none. */
static const struct provider *
provider_of(const char *model, const char **name)
{
	if (model == NULL)
		return NULL;
	for (size_t i = 0; i < NPROVIDERS; i++) {
		size_t k = strlen(providers[i].prefix);

		if (strncmp(model, providers[i].prefix, k) == 0 && model[k] != '\0') {
			*name = model + k;
			return &providers[i];
		}
	}
	return NULL;
}

bool
llm_model_known(const struct config *cfg, const char *model)
{
	const struct provider *p;
	const char *name;

	if ((p = provider_of(model, &name)) == NULL)
		return false;
	return p->known(cfg, name);
}

bool
llm_model_is_builtin(const char *model)
{
	return model != NULL && strncmp(model, "builtin/", 8) == 0;
}

const char *
llm_default_model(const struct config *cfg)
{
	if (cfg != NULL && cfg->default_model != NULL && llm_model_known(cfg, cfg->default_model))
		return cfg->default_model;
	return BUILTIN_MODEL;
}

static struct json_object *
model_json(const char *provider, const char *name, const char *def)
{
	struct json_object *o = json_object_new_object();
	char *id = xasprintf("%s/%s", provider, name);

	json_object_object_add(o, "id", json_object_new_string(id));
	json_object_object_add(o, "provider", json_object_new_string(provider));
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "default", json_object_new_boolean(strcmp(id, def) == 0));
	free(id);
	return o;
}

struct json_object *
llm_models_json(const struct config *cfg)
{
	struct json_object *root = json_object_new_object(), *items = json_object_new_array();
	const char *def = llm_default_model(cfg), *list;
	char m[MODEL_NAME_MAX + 1];

	json_object_array_add(items, model_json("builtin", "parley", def));
	list = cfg != NULL ? cfg->openai_models : NULL;
	while (next_openai_model(&list, m, sizeof m)) {
		bool dup = false;

		/* A name listed twice is offered once. */
		for (size_t i = 0; i < json_object_array_length(items); i++) {
			struct json_object *it = json_object_array_get_idx(items, i), *n;

			if (json_object_object_get_ex(it, "name", &n) &&
			    strcmp(json_object_get_string(n), m) == 0 && i > 0)
				dup = true;
		}
		if (!dup)
			json_object_array_add(items, model_json("openai", m, def));
	}
	json_object_object_add(root, "items", items);
	return root;
}

long
llm_estimate_tokens(const char *text)
{
	size_t n;

	if (text == NULL || (n = strlen(text)) == 0)
		return 0;
	return (long)((n + 3) / 4);
}

/*
 * Every provider writes through this wrapper, which measures the time to
 * the first text and keeps cancelled() cheap for the caller (it may ask the
 * database), whatever rate the provider polls at.
 */
struct timing {
	const struct llm_sink	*inner;
	struct timespec		 t0;
	struct timespec		 last_poll;
	long			 ttft_ms;
	bool			 polled;
	bool			 stop;
};

static void
timing_delta(void *ctx, const char *text, size_t len)
{
	struct timing *t = ctx;

	if (len == 0)
		return;
	if (t->ttft_ms < 0)
		t->ttft_ms = ms_since(&t->t0);
	if (t->inner != NULL && t->inner->delta != NULL)
		t->inner->delta(t->inner->ctx, text, len);
}

static char *
timing_tool(void *ctx, const char *name, struct json_object *args, char **note)
{
	struct timing *t = ctx;

	return t->inner->tool(t->inner->ctx, name, args, note);
}

static bool
timing_cancelled(void *ctx)
{
	struct timing *t = ctx;

	if (t->stop)
		return true;
	if (t->polled && ms_since(&t->last_poll) < CANCEL_POLL_MS)
		return false;
	clock_gettime(CLOCK_MONOTONIC, &t->last_poll);
	t->polled = true;
	t->stop = t->inner->cancelled(t->inner->ctx);
	return t->stop;
}

static const char *const status_names[] = { "ok", "stopped", "truncated", "error" };

int
llm_complete(struct worker *w, const struct llm_request *req,
    const struct llm_sink *sink, struct llm_result *res)
{
	const struct provider *p;
	const struct config *cfg = (w != NULL && w->app != NULL) ? w->app->cfg : NULL;
	const char *name = NULL;
	struct timing t;
	struct llm_sink wrap;

	memset(res, 0, sizeof *res);
	res->status = LLM_OK;
	res->time_to_first_token_ms = -1;

	memset(&t, 0, sizeof t);
	t.inner = sink;
	t.ttft_ms = -1;
	clock_gettime(CLOCK_MONOTONIC, &t.t0);
	wrap.ctx = &t;
	wrap.delta = timing_delta;
	wrap.tool = (sink != NULL && sink->tool != NULL) ? timing_tool : NULL;
	wrap.cancelled = (sink != NULL && sink->cancelled != NULL) ? timing_cancelled : NULL;

	p = provider_of(req->model, &name);
	if (p == NULL || !p->known(cfg, name)) {
		res->status = LLM_ERROR;
		snprintf(res->error, sizeof res->error, "The model %.100s is not available.",
		    req->model != NULL ? req->model : "(none)");
	} else
		p->complete(w, name, req, &wrap, res);

	if (res->text == NULL)
		res->text = xstrdup("");
	if (res->status == LLM_ERROR && res->error[0] == '\0')
		snprintf(res->error, sizeof res->error, "The model could not answer.");
	if (res->tokens_total == 0)
		res->tokens_total = res->tokens_prompt + res->tokens_completion;
	res->time_to_first_token_ms = t.ttft_ms;
	res->completion_time_ms = ms_since(&t.t0);

	/* Never the messages or the key: only what ops need to see load and failures. */
	log_info("llm: model=%s status=%s tokens=%ld+%ld%s ttft_ms=%ld time_ms=%ld",
	    req->model != NULL ? req->model : "(none)", status_names[res->status],
	    res->tokens_prompt, res->tokens_completion, res->tokens_estimated ? "~" : "",
	    res->time_to_first_token_ms, res->completion_time_ms);
	return res->status == LLM_ERROR ? -1 : 0;
}
