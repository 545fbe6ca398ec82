/* llm_openai.h: openai/<id>, an OpenAI-compatible Chat Completions client over libcurl. */
#ifndef PARLEY_LLM_OPENAI_H
#define PARLEY_LLM_OPENAI_H

#include "llm.h"

/*
 * The provider entry (llm.c): streams the answer of model name (the id
 * without "openai/") from PARLEY_OPENAI_BASE_URL, running tool calls
 * through sink->tool for up to 5 rounds. Uses and keeps w->curl.
 */
int	 llm_openai_complete(struct worker *w, const char *name, const struct llm_request *req,
	    const struct llm_sink *sink, struct llm_result *res);

#endif
