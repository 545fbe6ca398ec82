/* test_prefetch.c: reads sent ahead: what is predicted, and that a kept result reaches only the statement it answers. */
#include <string.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"
#include "prefetch.h"
#include "../tap.h"

#define USER	"00000000-0000-0000-0000-000000000001"
#define CONV	"00000000-0000-0000-0000-0000000000c1"

/* A handle whose server is never there: a statement that reaches it fails. */
static struct db *
no_server(void)
{
	return db_new("host=/nonexistent/socket/dir connect_timeout=1", false);
}

/* A result to keep, told apart from others by its command status. */
static PGresult *
result(void)
{
	return PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
}

static struct db_call
call(const char *name, const char *sql, const char *const *params, int n)
{
	return (struct db_call){ name, sql, n, params, result() };
}

static const char sql_a[] = "SELECT 1 WHERE $1::text IS NOT NULL";
static const char sql_b[] = "SELECT 2 WHERE $1::text IS NOT NULL";

static void
test_kept(void)
{
	const char *pa[] = { USER }, *pb[] = { "someone else" };
	struct db *db = no_server();
	struct db_call c[2];
	PGresult *want, *got = NULL;

	c[0] = call("a", sql_a, pa, 1);
	want = c[0].res;
	db_ahead_keep(db, c, 1);
	ok(c[0].res == NULL, "keep: the handle takes the result");
	ok(db_query(db, "a", sql_a, DB_P(USER), &got) == DB_OK && got == want,
	    "keep: the same statement with the same parameters gets the kept result");
	PQclear(got);
	got = NULL;
	ok(db_query(db, "a", sql_a, DB_P(USER), &got) == DB_UNAVAILABLE && got == NULL,
	    "keep: ... once; the next one asks the server");

	c[0] = call("a", sql_a, pa, 1);
	db_ahead_keep(db, c, 1);
	ok(db_query(db, "a", sql_a, DB_P("someone else"), &got) == DB_UNAVAILABLE,
	    "keep: other parameters are not answered from it");
	ok(db_query(db, "a", sql_a, DB_P(USER), &got) == DB_UNAVAILABLE,
	    "keep: ... and it is gone after them");

	c[0] = call("a", sql_a, pa, 1);
	db_ahead_keep(db, c, 1);
	ok(db_query(db, "write", "UPDATE t SET x = 1", 0, NULL, NULL) == DB_UNAVAILABLE &&
	    db_query(db, "a", sql_a, DB_P(USER), &got) == DB_UNAVAILABLE,
	    "keep: any other statement drops what is kept (nothing read before a write after it)");

	c[0] = call("a", sql_a, pa, 1);
	c[1] = call("b", sql_b, pb, 1);
	want = c[1].res;
	db_ahead_keep(db, c, 2);
	c[0] = (struct db_call){ "a", sql_a, 1, pa, NULL };
	c[1] = (struct db_call){ "b", sql_b, 1, pb, NULL };
	ok(db_query_all(db, c, 2) == DB_OK && c[0].res != NULL && c[1].res == want,
	    "keep: two kept results answer the two statements, in order");
	PQclear(c[0].res);
	PQclear(c[1].res);

	c[0] = call("a", sql_a, pa, 1);
	c[1] = call("b", sql_b, pb, 1);
	db_ahead_keep(db, c, 2);
	c[0] = (struct db_call){ "b", sql_b, 1, pb, NULL };
	c[1] = (struct db_call){ "a", sql_a, 1, pa, NULL };
	ok(db_query_all(db, c, 2) == DB_UNAVAILABLE && c[0].res == NULL && c[1].res == NULL,
	    "keep: in another order they are not");

	c[0] = call("a", sql_a, pa, 1);
	c[1] = call("b", sql_b, pb, 1);
	db_ahead_keep(db, c, 2);
	ok(db_query(db, "a", sql_a, DB_P(USER), &got) == DB_OK && got != NULL,
	    "keep: the first of two is handed to its statement");
	PQclear(got);
	got = NULL;
	db_request_end(db);
	ok(db_query(db, "b", sql_b, DB_P("someone else"), &got) == DB_UNAVAILABLE,
	    "keep: the end of the request drops the rest");
	db_free(db);
}

static void
test_add(void)
{
	struct prefetch pf = { 0 };
	struct db_args *args = NULL;
	struct db_call *c1 = prefetch_add(&pf, &args), *c2;

	ok(c1 == &pf.calls[0] && args == &pf.args[0] && pf.n == 1, "add: the first read");
	c2 = prefetch_add(&pf, &args);
	ok(c2 == &pf.calls[1] && args == &pf.args[1] && pf.n == 2, "add: the second read");
	ok(prefetch_add(&pf, &args) == NULL && pf.n == PREFETCH_MAX, "add: no room for a third");
}

/* The statement names pf holds, joined by spaces. */
static const char *
names(const struct prefetch *pf)
{
	static char out[128];

	out[0] = '\0';
	for (size_t i = 0; i < pf->n; i++) {
		if (i > 0)
			strcat(out, " ");
		strcat(out, pf->calls[i].name);
	}
	return out;
}

static void
test_builtin_answer(void)
{
	struct prefetch pf;

	memset(&pf, 0, sizeof pf);
	prefetch_builtin_answer(&pf, USER, CONV, "  what are my tasks?  ", NULL);
	is_str(names(&pf), "chat_exchange_context tasks_list_all",
	    "builtin: a question that lists tasks reads the context and the list");
	ok(pf.n == 2 && strcmp(pf.calls[0].params[0], USER) == 0 &&
	    strcmp(pf.calls[0].params[1], CONV) == 0 && strcmp(pf.calls[1].params[0], USER) == 0,
	    "builtin: ... for that person and conversation");

	memset(&pf, 0, sizeof pf);
	prefetch_builtin_answer(&pf, USER, CONV, "what's still pending?", "builtin/parley");
	is_str(names(&pf), "chat_exchange_context tasks_list_pending",
	    "builtin: the list read is the one of the filter the question asks for");

	memset(&pf, 0, sizeof pf);
	prefetch_builtin_answer(&pf, USER, CONV, "add a task to buy milk", "");
	is_str(names(&pf), "chat_exchange_context",
	    "builtin: a question that does not list tasks reads only the context");

	memset(&pf, 0, sizeof pf);
	prefetch_builtin_answer(&pf, USER, CONV, "what are my tasks?", "openai/gpt-4o-mini");
	ok(pf.n == 0, "builtin: another model's answer reads nothing ahead");

	memset(&pf, 0, sizeof pf);
	prefetch_builtin_answer(&pf, USER, "not-a-conversation", "what are my tasks?", NULL);
	ok(pf.n == 0, "builtin: nor does a conversation id that cannot be one");

	memset(&pf, 0, sizeof pf);
	prefetch_builtin_answer(&pf, USER, CONV, NULL, NULL);
	ok(pf.n == 0, "builtin: nor a question without content");
}

static void
test_now(void)
{
	struct db *db = no_server();
	struct prefetch pf = { 0 };
	PGresult *got = NULL;

	prefetch_builtin_answer(&pf, USER, CONV, "add a task to buy milk", NULL);
	prefetch_now(db, &pf);
	ok(db_query(db, pf.calls[0].name, pf.calls[0].sql, pf.calls[0].nparams, pf.calls[0].params,
	    &got) == DB_UNAVAILABLE, "now: a single read is left for its statement to make");

	memset(&pf, 0, sizeof pf);
	prefetch_builtin_answer(&pf, USER, CONV, "what are my tasks?", NULL);
	prefetch_now(db, &pf);
	ok(pf.calls[0].res == NULL && pf.calls[1].res == NULL &&
	    db_query(db, pf.calls[1].name, pf.calls[1].sql, pf.calls[1].nparams,
	    pf.calls[1].params, &got) == DB_UNAVAILABLE,
	    "now: reads that failed keep nothing: each statement reads for itself");
	db_free(db);
}

int
main(void)
{
	log_set_level(LOG_LVL_ERROR);
	test_kept();
	test_add();
	test_builtin_answer();
	test_now();
	return done_testing();
}
