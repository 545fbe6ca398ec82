/* llm_builtin.h: builtin/parley, the offline assistant that manages tasks from plain English. */
#ifndef PARLEY_LLM_BUILTIN_H
#define PARLEY_LLM_BUILTIN_H

#include "builtin_parse.h"	/* the message reading it acts on; prefetch.c reads it too */
#include "llm.h"

/* The provider entry (llm.c): writes the answer for req through sink. */
int	 llm_builtin_complete(struct worker *w, const char *name, const struct llm_request *req,
	    const struct llm_sink *sink, struct llm_result *res);

#endif
