/* db.c: handles on lazily opened PostgreSQL connections (pooled or their own), and their statements. */
#include "db.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "buf.h"
#include "log.h"
#include "xalloc.h"

/* Seconds libpq waits for a connection before giving up (DATABASE_URL may override). */
#define DB_CONNECT_TIMEOUT	"5"

/*
 * How long a statement waits for a pooled connection before it uses its
 * thread's own: far longer than any short request holds one, far shorter
 * than anything a person would notice.
 */
#define DB_POOL_WAIT_MS		250

struct db_stmt {
	char	*name;
	char	*sql;
};

/* A result read ahead, and the statement it answers: name and parameters copied, sql a constant. */
struct db_kept {
	char		*name;
	const char	*sql;
	int		 nparams;
	char		*params[DB_AHEAD_PARAMS];
	PGresult	*res;
};

/*
 * A connection and what the server keeps for it: prepared statements. A
 * handle works on one link at a time; links move between a pool and the
 * handles that borrow them by value.
 */
struct db_link {
	PGconn		*conn;
	bool		 broken;	/* the connection was lost: re-open on next use */
	struct db_stmt	*stmts;		/* statements prepared on this connection */
	size_t		 nstmts, capstmts;
};

/* Which link a handle works on. */
enum db_using {
	DB_USING_NONE,		/* none yet: the next statement borrows one from the pool */
	DB_USING_POOLED,	/* a pool's, until db_release */
	DB_USING_OWN,		/* the handle's own (no pool, pinned, or the pool stayed empty) */
};

/*
 * Links lent to the handles of one worker process's threads. Free links
 * sit in links[0..nfree); the rest are out with a handle.
 */
struct db_pool {
	pthread_mutex_t	 mu;
	pthread_cond_t	 freed;
	struct db_link	*links;
	size_t		 size, nfree;
	unsigned long	 waited_out;	/* waits that ended without a connection, since warned */
	struct timespec	 warned;	/* when that was last logged (CLOCK_MONOTONIC) */
};

struct db {
	char		*conninfo;
	bool		 prepare;
	struct db_link	 l;		/* the link statements go to (see using) */
	struct db_link	 own;		/* the handle's own link while it works on a pooled one */
	enum db_using	 using;
	bool		 pinned;	/* on the own link until the request ends (db_pin) */
	struct db_pool	*pool;		/* NULL: always the own link */
	bool		 in_tx;		/* between a successful db_begin and commit/rollback */
	char		*errmsg;	/* last error's primary message, or NULL */
	char		*constraint;	/* last error's constraint name, or NULL */
	struct db_kept	 kept[DB_AHEAD_MAX];	/* results read ahead (db_ahead_keep) */
	size_t		 nkept, kept_next;	/* how many; the next one to hand out */
};

static const char *const db_err_names[DB__MAX] = {
	"ok",			/* DB_OK */
	"not found",		/* DB_NOTFOUND */
	"conflict",		/* DB_CONFLICT */
	"invalid",		/* DB_INVALID */
	"database unavailable",	/* DB_UNAVAILABLE */
	"database error",	/* DB_ERROR */
};
_Static_assert(sizeof db_err_names / sizeof db_err_names[0] == DB__MAX,
    "db_err_names must name every enum db_err");

static const int db_err_statuses[DB__MAX] = {
	200,	/* DB_OK */
	404,	/* DB_NOTFOUND */
	409,	/* DB_CONFLICT */
	422,	/* DB_INVALID */
	503,	/* DB_UNAVAILABLE */
	500,	/* DB_ERROR */
};

/* SQLSTATEs that mean the request's data broke a rule (422). */
static const char *const db_invalid_states[] = {
	"23514",	/* check_violation */
	"23502",	/* not_null_violation */
	"23503",	/* foreign_key_violation */
	"22P02",	/* invalid_text_representation (a malformed uuid, say) */
	"22001",	/* string_data_right_truncation */
	"22007",	/* invalid_datetime_format */
	"22003",	/* numeric_value_out_of_range */
	"22008",	/* datetime_field_overflow */
	"22021",	/* character_not_in_repertoire (bad UTF-8) */
	"22P05",	/* untranslatable_character */
};

struct db *
db_new(const char *conninfo, bool prepare)
{
	struct db *db = xcalloc(1, sizeof *db);

	db->conninfo = xstrdup(conninfo != NULL ? conninfo : "");
	db->prepare = prepare;
	db->using = DB_USING_OWN;
	return db;
}

static void
link_forget_stmts(struct db_link *l)
{
	for (size_t i = 0; i < l->nstmts; i++) {
		free(l->stmts[i].name);
		free(l->stmts[i].sql);
	}
	l->nstmts = 0;
}

/* Closes the connection (if open); the link can be connected again. */
static void
link_close(struct db_link *l)
{
	if (l->conn != NULL)
		PQfinish(l->conn);
	l->conn = NULL;
	l->broken = false;
	link_forget_stmts(l);
}

static void
link_free(struct db_link *l)
{
	link_close(l);
	free(l->stmts);
	memset(l, 0, sizeof *l);
}

static void
db_close(struct db *db)
{
	link_close(&db->l);
	db->in_tx = false;
}

struct db_pool *
db_pool_new(size_t size)
{
	pthread_condattr_t ca;
	struct db_pool *p;
	bool ok;

	if (size == 0)
		return NULL;
	p = xcalloc(1, sizeof *p);
	/* The wait for a connection is measured on a clock that never steps. */
	ok = pthread_condattr_init(&ca) == 0;
	if (ok) {
		ok = pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) == 0 &&
		    pthread_cond_init(&p->freed, &ca) == 0;
		pthread_condattr_destroy(&ca);
	}
	if (ok && pthread_mutex_init(&p->mu, NULL) != 0) {
		pthread_cond_destroy(&p->freed);
		ok = false;
	}
	if (!ok) {
		log_error("db: cannot set up the connection pool's lock");
		free(p);
		return NULL;
	}
	p->links = xcalloc(size, sizeof *p->links);
	p->size = size;
	p->nfree = size;
	return p;
}

void
db_pool_free(struct db_pool *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->nfree; i++)
		link_free(&p->links[i]);
	if (p->nfree != p->size)
		log_error("db: pool freed with %zu connections still lent", p->size - p->nfree);
	free(p->links);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

/* Moves the handle onto its own link (which it has none of while on another). */
static void
db_use_own(struct db *db)
{
	db->l = db->own;
	memset(&db->own, 0, sizeof db->own);
	db->using = DB_USING_OWN;
}

/* Whether the link is inside a transaction, or a command of one (as far as libpq knows). */
static bool
db_tx_open(const struct db *db)
{
	return db->in_tx || (db->l.conn != NULL && !db->l.broken &&
	    PQtransactionStatus(db->l.conn) != PQTRANS_IDLE);
}

/* Gives a pooled link back, waking one thread that waits for it. */
static void
pool_put(struct db_pool *p, const struct db_link *l)
{
	pthread_mutex_lock(&p->mu);
	p->links[p->nfree++] = *l;
	pthread_cond_signal(&p->freed);
	pthread_mutex_unlock(&p->mu);
}

/*
 * Puts the handle's link away: a pooled one back in its pool, its own one
 * closed. Kept open, it would hold a LISTEN past the request (whose
 * notifications would then pile up in the server), and every thread that
 * ever streamed an answer or found the pool short would keep a connection:
 * as many as there are threads, which the pool is there to avoid.
 */
static void
db_put_link(struct db *db)
{
	if (db->using == DB_USING_POOLED) {
		pool_put(db->pool, &db->l);
	} else {
		db_close(db);
		db->own = db->l;
	}
	memset(&db->l, 0, sizeof db->l);
	db->using = DB_USING_NONE;
	db->pinned = false;
}

void
db_use_pool(struct db *db, struct db_pool *pool)
{
	db_request_end(db);
	if (db->pool != NULL && db->using == DB_USING_NONE)
		db_use_own(db);
	if (pool != NULL) {
		db->own = db->l;
		memset(&db->l, 0, sizeof db->l);
		db->using = DB_USING_NONE;
	}
	db->pool = pool;
}

/*
 * Gives the handle a link when it has none: a pooled one, waiting up to
 * DB_POOL_WAIT_MS for one to come back; past that, its own, so that a
 * request held up somewhere never stops the others.
 */
static void
db_take(struct db *db)
{
	struct db_pool *p = db->pool;
	struct timespec until;
	int rc = 0;

	if (db->using != DB_USING_NONE)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += DB_POOL_WAIT_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&p->mu);
	while (p->nfree == 0 && rc == 0)
		rc = pthread_cond_timedwait(&p->freed, &p->mu, &until);
	if (p->nfree > 0) {
		db->l = p->links[--p->nfree];
		pthread_mutex_unlock(&p->mu);
		db->using = DB_USING_POOLED;
		return;
	}
	/* Said at most once a minute: an operator should hear the pool is too small. */
	p->waited_out++;
	if (p->warned.tv_sec == 0 || until.tv_sec - p->warned.tv_sec >= 60) {
		log_warn("db: %lu time(s) no pooled connection came free within %d ms; the"
		    " thread's own connection was used (raise PARLEY_DB_CONNECTIONS?)",
		    p->waited_out, DB_POOL_WAIT_MS);
		p->warned = until;
		p->waited_out = 0;
	}
	pthread_mutex_unlock(&p->mu);
	db_use_own(db);
}

bool
db_release(struct db *db)
{
	if (db->pool == NULL || db->using == DB_USING_NONE || db->pinned)
		return true;
	if (db_tx_open(db))
		return false;
	db_put_link(db);
	return true;
}

void
db_request_end(struct db *db)
{
	db_ahead_drop(db);	/* what the handler did not use is no one else's */
	if (db->pool == NULL || db->using == DB_USING_NONE)
		return;
	/*
	 * A transaction left open (a handler that failed between BEGIN and
	 * COMMIT) must not reach the next borrower: its connection goes.
	 */
	if (db_tx_open(db)) {
		log_warn("db: a request ended inside a transaction; its connection is closed");
		db_close(db);
	}
	db_put_link(db);
}

bool
db_pin(struct db *db)
{
	if (db->pool == NULL || db->pinned)
		return true;
	if (db->in_tx) {
		log_error("db: pin inside a transaction; kept the pooled connection");
		return false;
	}
	if (db->using == DB_USING_POOLED)
		db_put_link(db);
	if (db->using == DB_USING_NONE)
		db_use_own(db);
	db->pinned = true;
	return true;
}

void
db_free(struct db *db)
{
	if (db == NULL)
		return;
	db_request_end(db);
	link_free(&db->l);
	link_free(&db->own);
	free(db->conninfo);
	free(db->errmsg);
	free(db->constraint);
	free(db);
}

static void
db_clear_error(struct db *db)
{
	free(db->errmsg);
	free(db->constraint);
	db->errmsg = NULL;
	db->constraint = NULL;
}

/* Sets the last error message from a libpq message, its lines joined into one. */
static void
db_set_errmsg(struct db *db, const char *msg)
{
	size_t n;

	free(db->errmsg);
	if (msg == NULL)
		msg = "";
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		n--;
	db->errmsg = xstrndup(msg, n);
	for (char *p = db->errmsg; *p != '\0'; p++)
		if (*p == '\n' || *p == '\t')
			*p = ' ';
}

/* Server notices and warnings go to the log, not straight to stderr. */
static void
db_notice(void *arg, const PGresult *res)
{
	const char *sev = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
	const char *msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	(void)arg;
	if (msg == NULL)
		return;
	if (sev != NULL && (strcmp(sev, "WARNING") == 0 || strcmp(sev, "FATAL") == 0 ||
	    strcmp(sev, "PANIC") == 0 || strcmp(sev, "ERROR") == 0))
		log_warn("db: server says: %s: %s", sev, msg);
	else
		log_debug("db: server says: %s: %s", sev != NULL ? sev : "NOTICE", msg);
}

static enum db_err
db_connect(struct db *db)
{
	/*
	 * Keywords are processed in order and the last one wins, so the
	 * defaults come first and DATABASE_URL (expanded from dbname, a URI or
	 * a conninfo string) can override them. An empty value is skipped,
	 * which leaves libpq to its PG* environment variables.
	 */
	const char *const keys[] = {
		"connect_timeout", "client_encoding", "application_name",
		"dbname", NULL
	};
	const char *const vals[] = {
		DB_CONNECT_TIMEOUT, "UTF8", "parley",
		db->conninfo, NULL
	};
	PGresult *res;

	db_close(db);
	db->l.conn = PQconnectdbParams(keys, vals, 1);
	if (db->l.conn == NULL) {
		db_set_errmsg(db, "out of memory");
		log_error("db: cannot connect: out of memory");
		return DB_UNAVAILABLE;
	}
	if (PQstatus(db->l.conn) != CONNECTION_OK) {
		/* libpq's message names host and user, never the password. */
		db_set_errmsg(db, PQerrorMessage(db->l.conn));
		log_error("db: cannot connect: %s", db->errmsg);
		db_close(db);
		return DB_UNAVAILABLE;
	}
	PQsetNoticeReceiver(db->l.conn, db_notice, NULL);
	/* Timestamps come back as "... +00", which db_row_json turns into "...Z". */
	res = PQexec(db->l.conn, "SET TIME ZONE 'UTC'; SET DateStyle TO ISO, YMD");
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		db_set_errmsg(db, PQerrorMessage(db->l.conn));
		log_error("db: cannot set up the session: %s", db->errmsg);
		PQclear(res);
		db_close(db);
		return DB_UNAVAILABLE;
	}
	PQclear(res);
	return DB_OK;
}

enum db_err
db_ensure(struct db *db)
{
	if (db->using == DB_USING_NONE)
		db_take(db);
	if (db->l.conn != NULL && !db->l.broken && PQstatus(db->l.conn) == CONNECTION_OK &&
	    PQtransactionStatus(db->l.conn) == PQTRANS_IDLE) {
		/*
		 * Between transactions, notice a server that went away (restart,
		 * terminated backend) before the next statement fails on it: its
		 * goodbye message is read by one round and the end of the
		 * connection by the next. The socket is non-blocking inside
		 * libpq, so this never waits.
		 */
		for (int i = 0; i < 2 && !db->l.broken; i++) {
			if (PQconsumeInput(db->l.conn) == 0)
				db->l.broken = true;
			else if (!PQisBusy(db->l.conn) && PQstatus(db->l.conn) != CONNECTION_OK)
				db->l.broken = true;
		}
	}
	if (db->l.conn != NULL && !db->l.broken && PQstatus(db->l.conn) == CONNECTION_OK)
		return DB_OK;
	if (db->in_tx) {
		/* Never carry on a transaction's remaining statements on a new connection. */
		db->l.broken = true;
		if (db->errmsg == NULL)
			db_set_errmsg(db, "connection lost inside a transaction");
		return DB_UNAVAILABLE;
	}
	if (db->l.conn != NULL)
		log_warn("db: connection lost; reconnecting");
	return db_connect(db);
}

PGconn *
db_conn(struct db *db)
{
	return db->l.conn;
}

static bool
db_state_in(const char *state, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(state, list[i]) == 0)
			return true;
	return false;
}

/*
 * Maps a failed result to an error, records its message and constraint, and
 * logs what an operator needs. Messages, not parameters, are logged: values
 * may be passwords or tokens.
 */
static enum db_err
db_fail(struct db *db, const PGresult *res, const char *what)
{
	const char *state = NULL, *msg = NULL, *cons = NULL;
	enum db_err e;

	if (res != NULL) {
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
		cons = PQresultErrorField(res, PG_DIAG_CONSTRAINT_NAME);
	}
	if (msg == NULL)
		msg = PQerrorMessage(db->l.conn);
	db_set_errmsg(db, msg);
	free(db->constraint);
	db->constraint = cons != NULL ? xstrdup(cons) : NULL;

	if (PQstatus(db->l.conn) != CONNECTION_OK ||
	    (state != NULL && (strncmp(state, "08", 2) == 0 ||
	    strcmp(state, "57P01") == 0 || strcmp(state, "57P02") == 0 ||
	    strcmp(state, "57P03") == 0)) || (state == NULL && res == NULL))
		e = DB_UNAVAILABLE;
	else if (state == NULL)
		e = DB_ERROR;
	else if (strcmp(state, "23505") == 0)
		e = DB_CONFLICT;
	else if (db_state_in(state, db_invalid_states,
	    sizeof db_invalid_states / sizeof db_invalid_states[0]))
		e = DB_INVALID;
	else
		e = DB_ERROR;

	switch (e) {
	case DB_UNAVAILABLE:
		db->l.broken = true;
		log_error("db: %s: connection lost: %s", what, db->errmsg);
		break;
	case DB_CONFLICT:
	case DB_INVALID:
		/* The caller answers 409/422; the constraint tells which rule. */
		log_debug("db: %s: %s (SQLSTATE %s, constraint %s)", what,
		    db_strerror(e), state, cons != NULL ? cons : "-");
		break;
	default:
		log_error("db: %s: %s (SQLSTATE %s)", what, db->errmsg,
		    state != NULL ? state : "-");
		break;
	}
	return e;
}

static const struct db_stmt *
db_find_stmt(const struct db *db, const char *name)
{
	for (size_t i = 0; i < db->l.nstmts; i++)
		if (strcmp(db->l.stmts[i].name, name) == 0)
			return &db->l.stmts[i];
	return NULL;
}

static void
db_remember_stmt(struct db *db, const char *name, const char *sql)
{
	if (db->l.nstmts == db->l.capstmts) {
		db->l.capstmts = db->l.capstmts ? db->l.capstmts * 2 : 32;
		db->l.stmts = xrealloc(db->l.stmts, db->l.capstmts * sizeof *db->l.stmts);
	}
	db->l.stmts[db->l.nstmts].name = xstrdup(name);
	db->l.stmts[db->l.nstmts].sql = xstrdup(sql);
	db->l.nstmts++;
}

static void
db_forget_stmt(struct db *db, const char *name)
{
	for (size_t i = 0; i < db->l.nstmts; i++) {
		if (strcmp(db->l.stmts[i].name, name) == 0) {
			free(db->l.stmts[i].name);
			free(db->l.stmts[i].sql);
			db->l.stmts[i] = db->l.stmts[--db->l.nstmts];
			return;
		}
	}
}

static bool
db_res_ok(const PGresult *res)
{
	ExecStatusType st = PQresultStatus(res);

	return res != NULL && (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK);
}

/* Runs a named statement, preparing it first if this connection has not yet. */
static PGresult *
db_exec_prepared(struct db *db, const char *name, const char *sql,
    int nparams, const char *const *params, bool *prep_failed)
{
	const struct db_stmt *st = db_find_stmt(db, name);
	PGresult *res;

	*prep_failed = false;
	if (st == NULL) {
		res = PQprepare(db->l.conn, name, sql, nparams, NULL);
		if (!db_res_ok(res)) {
			*prep_failed = true;
			return res;
		}
		PQclear(res);
		db_remember_stmt(db, name, sql);
	}
	return PQexecPrepared(db->l.conn, name, nparams, params, NULL, NULL, 0);
}

/* True when a result kept for k answers call: the same statement and parameters. */
static bool
db_kept_answers(const struct db_kept *k, const struct db_call *call)
{
	if (call->name == NULL || strcmp(k->name, call->name) != 0 ||
	    strcmp(k->sql, call->sql) != 0 || k->nparams != call->nparams)
		return false;
	for (int i = 0; i < k->nparams; i++) {
		const char *a = k->params[i], *b = call->params[i];

		if ((a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0))
			return false;
	}
	return true;
}

/*
 * Hands the next n kept results to calls when they answer exactly those
 * statements; otherwise drops every kept result, so that nothing read
 * before a statement that may write is handed out after it.
 */
static bool
db_ahead_take(struct db *db, struct db_call *calls, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	if (db->kept_next + n > db->nkept) {
		db_ahead_drop(db);
		return false;
	}
	for (i = 0; i < n; i++)
		if (!db_kept_answers(&db->kept[db->kept_next + i], &calls[i])) {
			db_ahead_drop(db);
			return false;
		}
	for (i = 0; i < n; i++) {
		calls[i].res = db->kept[db->kept_next + i].res;
		db->kept[db->kept_next + i].res = NULL;
	}
	db->kept_next += n;
	if (db->kept_next == db->nkept)
		db_ahead_drop(db);
	return true;
}

void
db_ahead_keep(struct db *db, struct db_call *calls, size_t n)
{
	size_t i;

	db_ahead_drop(db);
	for (i = 0; i < n && i < DB_AHEAD_MAX; i++) {
		struct db_kept *k = &db->kept[i];

		if (calls[i].name == NULL || calls[i].res == NULL ||
		    calls[i].nparams < 0 || calls[i].nparams > DB_AHEAD_PARAMS)
			break;	/* not one this can keep: it and the rest are read when asked */
		k->name = xstrdup(calls[i].name);
		k->sql = calls[i].sql;
		k->nparams = calls[i].nparams;
		for (int p = 0; p < k->nparams; p++)
			k->params[p] = calls[i].params[p] != NULL ? xstrdup(calls[i].params[p]) : NULL;
		k->res = calls[i].res;
		calls[i].res = NULL;
		db->nkept++;
	}
	for (; i < n; i++) {
		PQclear(calls[i].res);
		calls[i].res = NULL;
	}
}

void
db_ahead_drop(struct db *db)
{
	if (db == NULL)
		return;
	for (size_t i = 0; i < db->nkept; i++) {
		struct db_kept *k = &db->kept[i];

		free(k->name);
		for (int p = 0; p < k->nparams; p++)
			free(k->params[p]);
		PQclear(k->res);
		memset(k, 0, sizeof *k);
	}
	db->nkept = 0;
	db->kept_next = 0;
}

enum db_err
db_query(struct db *db, const char *name, const char *sql,
    int nparams, const char *const *params, PGresult **res)
{
	char what[64];
	PGresult *r;
	enum db_err e;
	bool prep_failed, use_prepared;

	if (res != NULL)
		*res = NULL;
	if (db->nkept > 0) {
		struct db_call call = { name, sql, nparams, params, NULL };

		if (db_ahead_take(db, &call, 1)) {
			db_clear_error(db);
			if (res != NULL)
				*res = call.res;
			else
				PQclear(call.res);
			return DB_OK;
		}
	}
	db_clear_error(db);
	if ((e = db_ensure(db)) != DB_OK)
		return e;
	/* How failures are logged: the name, or the start of the text (never values). */
	snprintf(what, sizeof what, "%s", name != NULL ? name : sql);

	use_prepared = db->prepare && name != NULL;
	if (use_prepared) {
		const struct db_stmt *st = db_find_stmt(db, name);
		if (st != NULL && strcmp(st->sql, sql) != 0) {
			/* A programming error; run it unprepared rather than the wrong text. */
			log_error("db: statement %s used with two different texts", name);
			use_prepared = false;
		}
	}
	if (!use_prepared) {
		r = PQexecParams(db->l.conn, sql, nparams, NULL, params, NULL, NULL, 0);
	} else {
		r = db_exec_prepared(db, name, sql, nparams, params, &prep_failed);
		/*
		 * A statement the server no longer knows (DISCARD ALL by a pooler),
		 * or whose result columns a migration changed ("cached plan must
		 * not change result type"), is prepared again once, when no
		 * transaction was aborted by the failure.
		 */
		if (!db_res_ok(r) && !prep_failed && r != NULL &&
		    PQtransactionStatus(db->l.conn) == PQTRANS_IDLE) {
			const char *state = PQresultErrorField(r, PG_DIAG_SQLSTATE);
			bool gone = state != NULL && strcmp(state, "26000") == 0;
			bool stale = state != NULL && strcmp(state, "0A000") == 0;
			if (gone || stale) {
				PQclear(r);
				if (stale) {
					char *q = xasprintf("DEALLOCATE \"%s\"", name);
					PQclear(PQexec(db->l.conn, q));
					free(q);
				}
				db_forget_stmt(db, name);
				r = db_exec_prepared(db, name, sql, nparams, params,
				    &prep_failed);
			}
		}
	}
	if (!db_res_ok(r)) {
		e = db_fail(db, r, what);
		PQclear(r);
		return e;
	}
	if (res != NULL)
		*res = r;
	else
		PQclear(r);
	return DB_OK;
}

#ifdef HAVE_PQENTERPIPELINEMODE
/*
 * calls' statements, all prepared already, sent at once and answered at
 * once. False when that did not work out (nothing is kept then): the caller
 * runs them the usual way, which reports and recovers as db_query does.
 */
static bool
db_pipeline(struct db *db, struct db_call *calls, size_t n)
{
	PGresult *r;
	bool ok = true;
	size_t i;

	if (PQenterPipelineMode(db->l.conn) != 1)
		return false;
	for (i = 0; i < n && ok; i++)
		ok = PQsendQueryPrepared(db->l.conn, calls[i].name, calls[i].nparams,
		    calls[i].params, NULL, NULL, 0) == 1;
	if (!ok || PQpipelineSync(db->l.conn) != 1) {
		/* Nothing reliable is left on this connection: open a new one next. */
		db->l.broken = true;
		return false;
	}
	/* Each statement's result and the NULL after it, then the sync point. */
	for (i = 0; i < n; i++) {
		while ((r = PQgetResult(db->l.conn)) != NULL) {
			if (calls[i].res == NULL && PQresultStatus(r) == PGRES_TUPLES_OK) {
				calls[i].res = r;
				continue;
			}
			ok = false;
			PQclear(r);
		}
		if (calls[i].res == NULL)
			ok = false;
	}
	r = PQgetResult(db->l.conn);
	if (r == NULL || PQresultStatus(r) != PGRES_PIPELINE_SYNC)
		ok = false;
	PQclear(r);
	if (PQexitPipelineMode(db->l.conn) != 1) {
		db->l.broken = true;
		ok = false;
	}
	if (!ok)
		for (i = 0; i < n; i++) {
			PQclear(calls[i].res);
			calls[i].res = NULL;
		}
	return ok;
}
#endif

bool
db_pipelines(struct db *db, const struct db_call *calls, size_t n)
{
#ifdef HAVE_PQENTERPIPELINEMODE
	if (db->using == DB_USING_NONE && n >= 2 && db->prepare)
		db_take(db);
	if (n < 2 || !db->prepare || db->in_tx || db->l.broken || db->l.conn == NULL ||
	    PQstatus(db->l.conn) != CONNECTION_OK || PQtransactionStatus(db->l.conn) != PQTRANS_IDLE)
		return false;
	for (size_t i = 0; i < n; i++) {
		const struct db_stmt *st = calls[i].name != NULL ?
		    db_find_stmt(db, calls[i].name) : NULL;

		if (st == NULL || strcmp(st->sql, calls[i].sql) != 0)
			return false;
	}
	return true;
#else
	(void)db;
	(void)calls;
	(void)n;
	return false;
#endif
}

enum db_err
db_query_all(struct db *db, struct db_call *calls, size_t n)
{
	enum db_err e;
	size_t i;

	for (i = 0; i < n; i++)
		calls[i].res = NULL;
	db_clear_error(db);
	if (db->nkept > 0 && db_ahead_take(db, calls, n))
		return DB_OK;
	if ((e = db_ensure(db)) != DB_OK)
		return e;
#ifdef HAVE_PQENTERPIPELINEMODE
	if (db_pipelines(db, calls, n)) {
		if (db_pipeline(db, calls, n))
			return DB_OK;
		log_debug("db: %s and the rest: pipelined reads failed; reading them one by one",
		    calls[0].name);
	}
#endif
	/* One after another: the first use prepares them; failures are reported as usual. */
	for (i = 0; i < n; i++) {
		e = db_query(db, calls[i].name, calls[i].sql, calls[i].nparams, calls[i].params,
		    &calls[i].res);
		if (e != DB_OK) {
			for (size_t k = 0; k < i; k++) {
				PQclear(calls[k].res);
				calls[k].res = NULL;
			}
			return e;
		}
	}
	return DB_OK;
}

enum db_err
db_ping(struct db *db)
{
	return db_query(db, NULL, "SELECT 1", 0, NULL, NULL);
}

enum db_err
db_begin(struct db *db)
{
	enum db_err e;

	if (db->in_tx) {
		log_error("db: begin inside a transaction");
		db_set_errmsg(db, "transaction already open");
		return DB_ERROR;
	}
	if ((e = db_query(db, NULL, "BEGIN", 0, NULL, NULL)) == DB_OK)
		db->in_tx = true;
	return e;
}

enum db_err
db_commit(struct db *db)
{
	PGresult *r;
	enum db_err e;

	db_clear_error(db);
	if ((e = db_ensure(db)) != DB_OK) {
		db->in_tx = false;
		return e;
	}
	if (PQtransactionStatus(db->l.conn) == PQTRANS_INERROR) {
		/* COMMIT of a failed transaction "succeeds" as ROLLBACK; say so. */
		r = PQexec(db->l.conn, "ROLLBACK");
		PQclear(r);
		db->in_tx = false;
		db_set_errmsg(db, "commit of a failed transaction");
		log_error("db: commit of a failed transaction; rolled back");
		return DB_ERROR;
	}
	r = PQexec(db->l.conn, "COMMIT");
	db->in_tx = false;
	if (!db_res_ok(r)) {
		/* Deferred constraints are checked here. */
		e = db_fail(db, r, "commit");
		PQclear(r);
		return e;
	}
	PQclear(r);
	return DB_OK;
}

enum db_err
db_rollback(struct db *db)
{
	PGresult *r;
	enum db_err e = DB_OK;

	/* Keeps the error that led here, so callers can still read it. */
	db->in_tx = false;
	if (db->l.conn == NULL || db->l.broken || PQstatus(db->l.conn) != CONNECTION_OK)
		return DB_OK;	/* the server rolled back when the connection went */
	if (PQtransactionStatus(db->l.conn) == PQTRANS_IDLE)
		return DB_OK;
	r = PQexec(db->l.conn, "ROLLBACK");
	if (!db_res_ok(r)) {
		db->l.broken = true;
		log_error("db: rollback failed: %s", PQerrorMessage(db->l.conn));
		e = DB_UNAVAILABLE;
	}
	PQclear(r);
	return e;
}

const char *
db_errmsg(const struct db *db)
{
	return db->errmsg != NULL ? db->errmsg : "";
}

const char *
db_constraint(const struct db *db)
{
	return db->constraint != NULL ? db->constraint : "";
}

int
db_err_status(enum db_err e)
{
	if ((int)e < 0 || e >= DB__MAX)
		return 500;
	return db_err_statuses[e];
}

const char *
db_strerror(enum db_err e)
{
	if ((int)e < 0 || e >= DB__MAX)
		return "unknown database error";
	return db_err_names[e];
}
