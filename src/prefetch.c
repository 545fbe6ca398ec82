/* prefetch.c: reads sent ahead with the sign-in check or with a handler's own read (prefetch.h). */
#include "prefetch.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "builtin_parse.h"
#include "chat.h"
#include "llm.h"
#include "req.h"
#include "tasks.h"
#include "text.h"
#include "xalloc.h"

struct db_call *
prefetch_add(struct prefetch *pf, struct db_args **args)
{
	struct db_call *call;

	if (pf->n >= PREFETCH_MAX)
		return NULL;
	call = &pf->calls[pf->n];
	memset(call, 0, sizeof *call);
	memset(&pf->args[pf->n], 0, sizeof pf->args[pf->n]);
	if (args != NULL)
		*args = &pf->args[pf->n];
	pf->n++;
	return call;
}

/* ---- whose a credential was ---- */

#define PREFETCH_SEEN	8

struct prefetch_seen {
	struct {
		char	 hash[65];
		char	 user_id[37];
	}		 v[PREFETCH_SEEN];
	unsigned	 next;		/* used round robin */
};

struct prefetch_seen *
prefetch_seen_new(void)
{
	return xcalloc(1, sizeof(struct prefetch_seen));
}

void
prefetch_seen_free(struct prefetch_seen *seen)
{
	free(seen);
}

/* The entry for hash in seen, or NULL. Compared in constant time: hashes of secrets. */
static int
seen_find(const struct prefetch_seen *seen, const char *hash)
{
	if (seen == NULL)
		return -1;
	for (int i = 0; i < PREFETCH_SEEN; i++)
		if (seen->v[i].hash[0] != '\0' && sodium_memcmp(seen->v[i].hash, hash, 64) == 0)
			return i;
	return -1;
}

/* Remembers whose the credential with this hash is (user_id NULL: no one's). */
static void
seen_set(struct prefetch_seen *seen, const char *hash, const char *user_id)
{
	int i = seen_find(seen, hash);

	if (seen == NULL)
		return;
	if (user_id == NULL) {
		if (i >= 0)
			memset(&seen->v[i], 0, sizeof seen->v[i]);
		return;
	}
	if (i < 0) {
		i = (int)seen->next;
		seen->next = (seen->next + 1) % PREFETCH_SEEN;
	}
	snprintf(seen->v[i].hash, sizeof seen->v[i].hash, "%s", hash);
	snprintf(seen->v[i].user_id, sizeof seen->v[i].user_id, "%s", user_id);
}

/* ---- with the sign-in check ---- */

enum db_err
prefetch_signin(struct req *r, struct prefetch_signin *ps, const char *hash,
    const struct db_call *check, PGresult **res)
{
	struct db *db = r->w->db;
	int seen;
	enum db_err e;

	*res = NULL;
	memset(ps, 0, sizeof *ps);
	ps->calls[0] = *check;
	ps->calls[0].res = NULL;
	if (r->route != NULL && r->route->prefetch != NULL &&
	    (seen = seen_find(r->w->seen, hash)) >= 0) {
		snprintf(ps->guess, sizeof ps->guess, "%s", r->w->seen->v[seen].user_id);
		r->route->prefetch(r, ps->guess, &ps->pf);
		ps->nreads = ps->pf.n;
		for (size_t i = 0; i < ps->nreads; i++)
			ps->calls[1 + i] = ps->pf.calls[i];
	}
	/*
	 * Only when they all go in one round trip: one after another (statements
	 * not prepared yet, or preparing off) they would save nothing, and would
	 * be read even for a check that fails.
	 */
	if (ps->nreads > 0 && !db_pipelines(db, ps->calls, 1 + ps->nreads))
		ps->nreads = 0;
	if (ps->nreads > 0) {
		e = db_query_all(db, ps->calls, 1 + ps->nreads);
		if (e == DB_OK) {
			*res = ps->calls[0].res;
			ps->calls[0].res = NULL;
			return DB_OK;
		}
		ps->nreads = 0;
		/* A read that failed is for the handler to meet; a lost server is everyone's. */
		if (e == DB_UNAVAILABLE)
			return e;
	}
	return db_query(db, check->name, check->sql, check->nparams, check->params, res);
}

void
prefetch_signin_done(struct req *r, struct prefetch_signin *ps, const char *hash)
{
	seen_set(r->w->seen, hash, r->user != NULL ? r->user->id : NULL);
	if (ps->nreads == 0)
		return;
	if (r->user != NULL && strcmp(r->user->id, ps->guess) == 0) {
		db_ahead_keep(r->w->db, ps->calls + 1, ps->nreads);
	} else {
		for (size_t i = 1; i <= ps->nreads; i++) {
			PQclear(ps->calls[i].res);
			ps->calls[i].res = NULL;
		}
	}
	ps->nreads = 0;
}

/* ---- with a handler's own read ---- */

void
prefetch_now(struct db *db, struct prefetch *pf)
{
	/* Already kept from the sign-in check, these are taken and kept again. */
	if (pf->n < 2 || db_query_all(db, pf->calls, pf->n) != DB_OK)
		return;
	db_ahead_keep(db, pf->calls, pf->n);
}

void
prefetch_builtin_answer(struct prefetch *pf, const char *user_id, const char *conv_id,
    const char *content, const char *model)
{
	struct builtin_parse p;
	struct db_call *call;
	struct db_args *args;
	enum task_filter filter;
	char *text;
	bool lists;

	if (model != NULL && model[0] != '\0' && !llm_model_is_builtin(model))
		return;
	if (content == NULL || !chat_id_valid(conv_id))
		return;
	if ((call = prefetch_add(pf, &args)) == NULL)
		return;
	chat_exchange_context_call(user_id, conv_id, args, call);
	/* What the builtin model will make of the question: builtin_parse is pure and cheap. */
	text = trimmed(content);
	builtin_parse(text, &p);
	lists = p.intent == BI_LIST && p.filter != NULL && task_filter_parse(p.filter, &filter) == 0;
	builtin_parse_free(&p);
	free(text);
	if (lists && (call = prefetch_add(pf, &args)) != NULL) {
		args->params[0] = user_id;
		tasks_list_call(filter, args->params, call);
	}
}
