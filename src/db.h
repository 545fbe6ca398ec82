/* db.h: the data layer every store uses: a handle per thread, on connections a worker's threads share. */
#ifndef PARLEY_DB_H
#define PARLEY_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <libpq-fe.h>


enum db_err {
	DB_OK = 0,
	DB_NOTFOUND,		/* no row where one was expected (404) */
	DB_CONFLICT,		/* unique violation (409) */
	DB_INVALID,		/* check, not-null, foreign-key or bad-value violation (422) */
	DB_UNAVAILABLE,		/* connection lost or refused (503); re-opened on next use */
	DB_ERROR,		/* anything else (500), logged */
	DB__MAX
};

struct db;

/* A handle that connects lazily on first use. conninfo is copied. Never NULL. */
struct db	*db_new(const char *conninfo, bool prepare);
void		 db_free(struct db *db);		/* accepts NULL; closes the connection */

/*
 * Connections that the handles of one worker process's threads borrow for a
 * request's statements (see db_use_pool): at most size at once, opened on
 * first use. size 0: NULL, no pool. Free it after every handle using it.
 */
struct db_pool;
struct db_pool	*db_pool_new(size_t size);
void		 db_pool_free(struct db_pool *pool);	/* accepts NULL */
/*
 * From now on the handle borrows a pooled connection for its next statement
 * and keeps it until db_release or db_request_end; NULL: it keeps a
 * connection of its own. When no pooled connection comes free within a
 * quarter second, it uses its own for the time being (and says so in the
 * log, at most once a minute), so that one held up never stops the others.
 */
void		 db_use_pool(struct db *db, struct db_pool *pool);
/*
 * Done with the connection for now: a borrowed one goes back to the pool,
 * and the next statement borrows again. Call it before any wait that needs
 * no database (a password hash, a model's answer, a write to a client that
 * may be slow). Inside a transaction it keeps the connection and returns
 * false; true otherwise. Harmless without a pool, and when pinned.
 */
bool		 db_release(struct db *db);
/*
 * The request is over: results kept ahead are dropped (db_ahead_keep), the
 * connection released as by db_release, and a transaction left open is given
 * up with its connection (logged), so that it never reaches the next
 * borrower; a pinned connection is closed. Call it at the end of every
 * request.
 */
void		 db_request_end(struct db *db);
/*
 * Until db_request_end, the handle's own connection instead of a pooled one:
 * for LISTEN, whose notifications must reach this handle alone, and for
 * long work that goes back to the database from time to time. Outside a
 * transaction only.
 */
bool		 db_pin(struct db *db);	/* false (and logged): inside a transaction, not pinned */

/* Whether the server answers a statement now (for /readyz): DB_OK, or why not. */
enum db_err	 db_ping(struct db *db);
/* Connects if needed and checks the connection; DB_OK or DB_UNAVAILABLE. */
enum db_err	 db_ensure(struct db *db);
/* The raw connection (after db_ensure returned DB_OK), for LISTEN/NOTIFY and COPY. */
PGconn		*db_conn(struct db *db);

/*
 * Runs one statement with text parameters ($1..$n; NULL entries are SQL NULL).
 * When name is not NULL and preparing is on, the statement is prepared once
 * per connection under that name, and sql must be the same for a name.
 * On DB_OK, *res (if res is not NULL) is a result the caller PQclear()s.
 * A statement that returns rows or affects none is still DB_OK; callers
 * decide what an empty result means.
 */
enum db_err	 db_query(struct db *db, const char *name, const char *sql,
		    int nparams, const char *const *params, PGresult **res);

/* Convenience: db_query(db, name, sql, N, (const char *[]){...}, res). */
#define DB_P(...)	(int)(sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(const char *)), \
			(const char *const *)(const char *[]){ __VA_ARGS__ }

/* One statement of db_query_all: as db_query's arguments; res is its result (caller clears). */
struct db_call {
	const char		*name;
	const char		*sql;
	int			 nparams;
	const char *const	*params;
	PGresult		*res;
};

/*
 * Runs read-only statements, as db_query would one after another, in one
 * round trip to the server when it can (libpq's pipeline mode, statements
 * already prepared on this connection, no transaction open); else, or when
 * that fails, one after another. All or nothing: on failure every res is
 * NULL and the first failure's error is returned (and logged). For a few
 * short statements: they are all sent before any answer is read, on a
 * blocking connection.
 */
enum db_err	 db_query_all(struct db *db, struct db_call *calls, size_t n);
/* Whether db_query_all would send these in one round trip now (connected, all prepared). */
bool		 db_pipelines(struct db *db, const struct db_call *calls, size_t n);

/*
 * Room for one db_call's parameters: their pointers, and the text of up to
 * two numbers among them.
 */
struct db_args {
	char		 num[2][24];
	const char	*params[4];
};

/*
 * Results read ahead (prefetch.c decides what and when; this is where they
 * wait, because every statement must pass by them).
 * db_ahead_keep takes the results of calls (all cleared) and copies their
 * names and parameters; their sql must be string constants. The next
 * db_query or db_query_all of exactly those statements with exactly those
 * parameters, in that order, gets the kept results instead of asking the
 * server. Any other statement (db_begin too) drops all that is left first,
 * so nothing read before a write is handed out after it; so do
 * db_ahead_drop and db_request_end, at the end of each request.
 */
#define DB_AHEAD_MAX	3
#define DB_AHEAD_PARAMS	4
void		 db_ahead_keep(struct db *db, struct db_call *calls, size_t n);
void		 db_ahead_drop(struct db *db);

enum db_err	 db_begin(struct db *db);
enum db_err	 db_commit(struct db *db);
enum db_err	 db_rollback(struct db *db);	/* safe to call after a failure */

/* The last error's message and constraint name (from PostgreSQL), "" if none;
 * valid until the next call on db (copy it before calling db_query again). */
const char	*db_errmsg(const struct db *db);
const char	*db_constraint(const struct db *db);

/* The HTTP status for an error: 200, 404, 409, 422, 503, 500. */
int		 db_err_status(enum db_err e);
const char	*db_strerror(enum db_err e);

#endif
