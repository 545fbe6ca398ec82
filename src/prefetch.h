/* prefetch.h: reads sent before a request asks for them, so that it waits on PostgreSQL fewer times. */
#ifndef PARLEY_PREFETCH_H
#define PARLEY_PREFETCH_H

#include <stdbool.h>
#include <stddef.h>

#include <libpq-fe.h>

#include "db.h"
#include "router.h"

struct req;
struct worker;

/*
 * How it works. A read sent ahead goes to PostgreSQL in the same round trip
 * as a statement the request makes anyway. Its result is kept on the
 * thread's database handle (db_ahead_keep) and handed, in the order they
 * were sent, to the next statements when they ask for exactly them: the
 * same statements with the same parameters. Any other statement drops
 * whatever is kept first, so nothing read before
 * a write is handed out after it, and the end of the request drops the rest.
 * A wrong prediction therefore costs a wasted read, never a wrong answer, and
 * the stores that answer from it do not know it happened.
 *
 * Reads are sent ahead in two places:
 *  - with the sign-in check (prefetch_signin): a route's first reads, named
 *    by its prefetch function (struct route's prefetch, in routes.c) for
 *    the person the session or token was the last time this thread saw it,
 *    and kept only when the check names that same person;
 *  - with a read the answer engine makes anyway (prefetch_now): a question to the
 *    builtin model reads its conversation's context and, when the answer
 *    will start by listing tasks, that list, which the list tool then gets
 *    (prefetch_builtin_answer).
 */

#define PREFETCH_MAX	2

/* Up to PREFETCH_MAX reads, with room for their parameters. */
struct prefetch {
	size_t		 n;
	struct db_call	 calls[PREFETCH_MAX];
	struct db_args	 args[PREFETCH_MAX];
};

/*
 * The next read of pf to fill in, and *args the room for its parameters;
 * NULL when pf is full.
 */
struct db_call	*prefetch_add(struct prefetch *pf, struct db_args **args);

/*
 * A route's prefetch function (route_prefetch_fn in router.h; set in the
 * route's entry of routes.c, defined beside its handler): the reads the
 * handler will start with when user_id is the one asking, added to pf. It
 * runs before the request is known to be allowed and before anything is
 * answered, so it only predicts, from the same field checks its handler
 * runs: a request the handler will refuse adds nothing.
 */

/*
 * Whose a thread's recently checked sessions and API tokens were, by the
 * credential's hash: only a guess, for the reads of its next check. One per
 * thread (struct worker's seen); NULL is allowed and guesses nothing.
 */
struct prefetch_seen;
struct prefetch_seen *prefetch_seen_new(void);
void		 prefetch_seen_free(struct prefetch_seen *seen);	/* accepts NULL */

/* The sign-in check with the reads sent along with it; on the stack of session.c. */
struct prefetch_signin {
	char		 guess[37];	/* whom the reads were made for */
	size_t		 nreads;
	struct db_call	 calls[1 + PREFETCH_MAX];	/* the check, then the reads */
	struct prefetch	 pf;
};

/*
 * Runs the sign-in check (check: a read of the session or token whose hash
 * is hash) and, in the same round trip, the route's first reads for the
 * person this credential was last time, when every statement can go at once
 * (all prepared on the connection). *res is the check's result (caller
 * clears). Call prefetch_signin_done once r->user is set from it.
 */
enum db_err	 prefetch_signin(struct req *r, struct prefetch_signin *ps, const char *hash,
		    const struct db_call *check, PGresult **res);
/*
 * After the check: remembers whose the credential is (r->user, or no one)
 * and keeps the reads for the handler only when they were made for that
 * person; otherwise they are thrown away.
 */
void		 prefetch_signin_done(struct req *r, struct prefetch_signin *ps, const char *hash);

/*
 * Sends pf's reads now, in one round trip, and keeps their results for the
 * statements that will ask for them (db_ahead_keep). Nothing is kept when
 * that fails: each statement then reads for itself, and reports its own
 * failure. A single read is left for its statement to make.
 */
void		 prefetch_now(struct db *db, struct prefetch *pf);

/*
 * The reads an answer of the builtin model to content (untrimmed) in
 * conv_id starts with, when model (NULL or "": the conversation's default)
 * may be the builtin: the conversation's context (chat_exchange_context),
 * then, when the answer will start by listing tasks, that list as the list
 * tool reads it. Adds nothing for another model or a conversation id that
 * cannot be one.
 */
void		 prefetch_builtin_answer(struct prefetch *pf, const char *user_id,
		    const char *conv_id, const char *content, const char *model);

#endif
