/* llm.h: model ids and the provider interface (builtin/parley, openai/<id>). */
#ifndef PARLEY_LLM_H
#define PARLEY_LLM_H

#include <stdbool.h>
#include <stddef.h>

struct config;
struct json_object;
struct worker;

/* One turn of the conversation sent to a model. */
struct llm_message {
	const char	*role;		/* "system", "user", "assistant" */
	const char	*content;
};

/* What the caller is told while an answer is written. Any callback may be NULL. */
struct llm_sink {
	void	*ctx;
	/* Text as it arrives (UTF-8, possibly cut between characters across calls). */
	void	(*delta)(void *ctx, const char *text, size_t len);
	/*
	 * Runs a task tool for the conversation's owner. args is the parsed
	 * arguments object. Returns the tool's result as a JSON text for the
	 * model (caller frees), and sets *note to a short line for people
	 * ("Added task: Buy groceries"; caller frees; may be NULL).
	 */
	char	*(*tool)(void *ctx, const char *name, struct json_object *args, char **note);
	/* Polled between chunks (at least every second): true ends the answer as stopped. */
	bool	(*cancelled)(void *ctx);
};

enum llm_status {
	LLM_OK = 0,
	LLM_STOPPED,		/* cancelled() said so; the text so far is kept */
	LLM_TRUNCATED,		/* longer than PARLEY_LLM_MAX_ANSWER; cut, with a note */
	LLM_ERROR,		/* provider failure; error says what, for people */
};

struct llm_request {
	const char			*model;		/* "builtin/parley", "openai/gpt-4o-mini" */
	const struct llm_message	*msgs;		/* oldest first; the last is the question */
	size_t				 nmsgs;
	bool				 tools;		/* offer the task tools */
};

struct llm_result {
	enum llm_status	 status;
	char		 error[300];		/* for people; never contains the API key */
	char		*text;			/* the whole answer (caller frees); never NULL after llm_complete */
	long		 tokens_prompt;
	long		 tokens_completion;
	long		 tokens_total;
	bool		 tokens_estimated;	/* counted by Parley, not reported by the provider */
	long		 time_to_first_token_ms;	/* -1 when no text came */
	long		 completion_time_ms;
};

/*
 * Writes one answer with the request's model, calling sink as it goes.
 * Blocks until done (seconds to minutes for remote models). Uses w's
 * per-thread HTTP handle. Always fills res (free res->text with free()).
 * Returns 0 when res->status is LLM_OK, LLM_STOPPED or LLM_TRUNCATED, -1 on LLM_ERROR.
 */
int	 llm_complete(struct worker *w, const struct llm_request *req,
	    const struct llm_sink *sink, struct llm_result *res);

/* True when model is offered by this configuration (builtin/parley or a listed openai/<id>). */
bool	 llm_model_known(const struct config *cfg, const char *model);

/* True for a model the builtin provider answers, in process and at once (no network). */
bool	 llm_model_is_builtin(const char *model);

/* The model for new conversations and proposals: PARLEY_DEFAULT_MODEL if known, else builtin/parley. */
const char *llm_default_model(const struct config *cfg);

/* {"items": [{"id": "builtin/parley", "provider": "builtin", "name": "parley", "default": true}, ...]} (caller puts). */
struct json_object *llm_models_json(const struct config *cfg);

/* A rough token count for text (about 4 bytes a token), for providers that do not report one. */
long	 llm_estimate_tokens(const char *text);

/* Releases w->curl (at thread exit). */
void	 llm_thread_cleanup(struct worker *w);

/*
 * Sets up the HTTP library once per process, before any thread starts
 * (main.c, before the workers are forked). 0, or -1 (logged).
 * llm_global_cleanup() undoes it at exit.
 */
int	 llm_global_init(void);
void	 llm_global_cleanup(void);

#endif
