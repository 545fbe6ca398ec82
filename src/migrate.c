/* migrate.c: `parley migrate`: numbered up/down SQL files, one transaction each, under a lock. */
#include "migrate.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "buf.h"
#include "clock.h"
#include "config.h"
#include "db.h"
#include "utf8.h"
#include "xalloc.h"

/*
 * The advisory lock every changing run holds for its whole duration, so two
 * runs started at once take turns, and the second finds the work done.
 * Any constant works; this one spells "parleymg".
 */
#define MIGRATE_LOCK_KEY	"8097880764185783655"

#define MIGRATE_TABLE_SQL \
	"CREATE TABLE IF NOT EXISTS schema_migrations (" \
	" version bigint PRIMARY KEY," \
	" name text NOT NULL," \
	" checksum text NOT NULL," \
	" applied_at timestamptz NOT NULL DEFAULT now())"

#define USAGE \
	"usage: parley migrate [--dir DIR] up [TARGET]\n" \
	"       parley migrate [--dir DIR] down [STEPS|all]\n" \
	"       parley migrate [--dir DIR] status | history\n" \
	"       parley migrate [--dir DIR] stamp VERSION\n"

/* One migration: the pair NNNN_name.up.sql and NNNN_name.down.sql. */
struct mig {
	long long	 version;
	char		*name;		/* "0001_initial" */
	char		*up;		/* path of the up file, or NULL */
	char		*down;		/* path of the down file, or NULL */
};

/* One row of schema_migrations. */
struct applied {
	long long	 version;
	char		*name;
	char		*checksum;
	char		*applied_at;
};

struct migrate {
	const char	*dir;
	struct mig	*migs;		/* sorted by version */
	size_t		 nmigs;
	struct applied	*app;		/* sorted by version */
	size_t		 napp;
	struct db	*db;
	PGconn		*conn;
};

/* A statement found in a file: bytes [off, off + len), starting on line. */
struct stmt {
	size_t	 off, len;
	int	 line;
};

static void __attribute__((format(printf, 1, 2)))
merr(const char *fmt, ...)
{
	va_list ap;

	fputs("parley migrate: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/*
 * Reads a whole file into a new NUL-terminated string (caller frees).
 * Returns NULL with a message printed.
 */
static char *
read_file(const char *path, size_t *lenp)
{
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		merr("%s: %s", path, strerror(errno));
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	if (ferror(f)) {
		merr("%s: read error", path);
		fclose(f);
		buf_free(&b);
		return NULL;
	}
	fclose(f);
	*lenp = b.len;
	return buf_detach(&b);
}

/* sha256 of a file's bytes as 64 hex digits in out[65]; 0 or -1 (printed). */
static int
file_checksum(const char *path, char out[65])
{
	unsigned char h[crypto_hash_sha256_BYTES];
	size_t len;
	char *text;

	if ((text = read_file(path, &len)) == NULL)
		return -1;
	crypto_hash_sha256(h, (const unsigned char *)text, len);
	sodium_bin2hex(out, 65, h, sizeof h);
	free(text);
	return 0;
}

/*
 * Parses a version argument: "12", "0012" or "0012_name". Returns 0 and the
 * number, or -1.
 */
static int
parse_version(const char *s, long long *v)
{
	long long n = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		if (n > 99999999999999LL)
			return -1;
		n = n * 10 + (*p - '0');
	}
	if (*p != '\0' && *p != '_')
		return -1;
	*v = n;
	return 0;
}

static int
mig_cmp(const void *a, const void *b)
{
	const struct mig *x = a, *y = b;

	return (x->version > y->version) - (x->version < y->version);
}

static struct mig *
find_mig(const struct migrate *m, long long version)
{
	for (size_t i = 0; i < m->nmigs; i++)
		if (m->migs[i].version == version)
			return &m->migs[i];
	return NULL;
}

static const struct applied *
find_applied(const struct migrate *m, long long version)
{
	for (size_t i = 0; i < m->napp; i++)
		if (m->app[i].version == version)
			return &m->app[i];
	return NULL;
}

/*
 * Splits "NNNN_name.up.sql" into version, name and direction. Returns 0,
 * or -1 when the file name is not a migration's.
 */
static int
parse_file_name(const char *fn, long long *version, char **name, bool *up)
{
	size_t len = strlen(fn), stem;
	const char *p;

	if (len > 7 && strcmp(fn + len - 7, ".up.sql") == 0) {
		stem = len - 7;
		*up = true;
	} else if (len > 9 && strcmp(fn + len - 9, ".down.sql") == 0) {
		stem = len - 9;
		*up = false;
	} else
		return -1;
	for (p = fn; p < fn + stem && isdigit((unsigned char)*p); p++)
		;
	if (p == fn || p - fn > 14 || p >= fn + stem - 1 || *p != '_')
		return -1;
	for (const char *q = p + 1; q < fn + stem; q++)
		if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-')
			return -1;
	*version = strtoll(fn, NULL, 10);
	*name = xstrndup(fn, stem);
	return 0;
}

/* Finds the migration files in m->dir. 0, or -1 with a message printed. */
static int
scan_dir(struct migrate *m)
{
	size_t cap = 0;
	struct dirent *de;
	DIR *d;
	int rc = 0;

	if ((d = opendir(m->dir)) == NULL) {
		merr("cannot read the migrations folder %s: %s", m->dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		long long version;
		char *name;
		bool up;
		struct mig *mg;

		if (de->d_name[0] == '.')
			continue;
		if (parse_file_name(de->d_name, &version, &name, &up) == -1) {
			size_t l = strlen(de->d_name);
			if (l > 4 && strcmp(de->d_name + l - 4, ".sql") == 0)
				merr("warning: ignoring %s/%s: not named NNNN_name.up.sql "
				    "or NNNN_name.down.sql", m->dir, de->d_name);
			continue;
		}
		if ((mg = find_mig(m, version)) != NULL && strcmp(mg->name, name) != 0) {
			merr("%s: two migrations numbered %lld: %s and %s", m->dir,
			    version, mg->name, name);
			free(name);
			rc = -1;
			continue;
		}
		if (mg == NULL) {
			if (m->nmigs == cap) {
				cap = cap ? cap * 2 : 16;
				m->migs = xrealloc(m->migs, cap * sizeof *m->migs);
			}
			mg = &m->migs[m->nmigs++];
			memset(mg, 0, sizeof *mg);
			mg->version = version;
			mg->name = name;
		} else
			free(name);
		if (up)
			mg->up = xasprintf("%s/%s", m->dir, de->d_name);
		else
			mg->down = xasprintf("%s/%s", m->dir, de->d_name);
	}
	closedir(d);
	if (m->nmigs > 0)
		qsort(m->migs, m->nmigs, sizeof *m->migs, mig_cmp);
	for (size_t i = 0; i < m->nmigs; i++) {
		if (m->migs[i].up == NULL) {
			merr("%s: %s.down.sql has no %s.up.sql", m->dir,
			    m->migs[i].name, m->migs[i].name);
			rc = -1;
		}
	}
	return rc;
}

static void
migrate_free(struct migrate *m)
{
	for (size_t i = 0; i < m->nmigs; i++) {
		free(m->migs[i].name);
		free(m->migs[i].up);
		free(m->migs[i].down);
	}
	free(m->migs);
	for (size_t i = 0; i < m->napp; i++) {
		free(m->app[i].name);
		free(m->app[i].checksum);
		free(m->app[i].applied_at);
	}
	free(m->app);
	db_free(m->db);
}

/* Runs a statement without parameters; 0, or -1 with a message printed. */
static int
exec_simple(struct migrate *m, const char *sql, const char *what)
{
	PGresult *r = PQexec(m->conn, sql);
	ExecStatusType st = PQresultStatus(r);

	if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
		merr("%s: %s", what, PQresultErrorMessage(r)[0] ? PQresultErrorMessage(r) :
		    PQerrorMessage(m->conn));
		PQclear(r);
		return -1;
	}
	PQclear(r);
	return 0;
}

static int
connect_db(struct migrate *m, const struct config *cfg)
{
	m->db = db_new(cfg->database_url, false);
	if (db_ensure(m->db) != DB_OK) {
		merr("cannot connect to the database: %s", db_errmsg(m->db));
		return -1;
	}
	m->conn = db_conn(m->db);
	/* "relation already exists, skipping" and the like are noise here. */
	return exec_simple(m, "SET client_min_messages = warning", "cannot set up the session");
}

/* Takes the advisory lock, waiting (and saying so) while another run holds it. */
static int
take_lock(struct migrate *m)
{
	PGresult *r;
	bool got;

	r = PQexec(m->conn, "SELECT pg_try_advisory_lock(" MIGRATE_LOCK_KEY ")");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		merr("cannot take the migration lock: %s", PQerrorMessage(m->conn));
		PQclear(r);
		return -1;
	}
	got = PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	if (got)
		return 0;
	fprintf(stderr, "parley migrate: waiting for another migration run to finish...\n");
	return exec_simple(m, "SELECT pg_advisory_lock(" MIGRATE_LOCK_KEY ")",
	    "cannot take the migration lock");
}

/* Loads schema_migrations (empty when the table does not exist yet). */
static int
load_applied(struct migrate *m)
{
	PGresult *r;
	int n;

	r = PQexec(m->conn, "SELECT to_regclass('schema_migrations') IS NOT NULL");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		merr("cannot read schema_migrations: %s", PQerrorMessage(m->conn));
		PQclear(r);
		return -1;
	}
	if (PQgetvalue(r, 0, 0)[0] != 't') {
		PQclear(r);
		return 0;
	}
	PQclear(r);
	r = PQexec(m->conn, "SELECT version, name, checksum,"
	    " to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
	    " FROM schema_migrations ORDER BY version");
	if (PQresultStatus(r) != PGRES_TUPLES_OK) {
		merr("cannot read schema_migrations: %s", PQerrorMessage(m->conn));
		PQclear(r);
		return -1;
	}
	n = PQntuples(r);
	m->app = xcalloc(n > 0 ? (size_t)n : 1, sizeof *m->app);
	for (int i = 0; i < n; i++) {
		m->app[i].version = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		m->app[i].name = xstrdup(PQgetvalue(r, i, 1));
		m->app[i].checksum = xstrdup(PQgetvalue(r, i, 2));
		m->app[i].applied_at = xstrdup(PQgetvalue(r, i, 3));
	}
	m->napp = (size_t)n;
	PQclear(r);
	return 0;
}

/* Connects, locks (when changing), creates the bookkeeping table and reads it. */
static int
open_state(struct migrate *m, const struct config *cfg, bool changing)
{
	if (connect_db(m, cfg) == -1)
		return -1;
	if (changing) {
		if (take_lock(m) == -1)
			return -1;
		if (exec_simple(m, MIGRATE_TABLE_SQL, "cannot create schema_migrations") == -1)
			return -1;
	}
	return load_applied(m);
}

static const char *
current_name(const struct migrate *m)
{
	return m->napp > 0 ? m->app[m->napp - 1].name : "none (empty database)";
}

/*
 * Refuses to go on when an applied migration's file has changed since it
 * was applied: the database no longer matches what the files say.
 */
static int
verify_checksums(const struct migrate *m)
{
	int rc = 0;

	for (size_t i = 0; i < m->napp; i++) {
		const struct mig *mg = find_mig(m, m->app[i].version);
		char sum[65];

		if (mg == NULL)
			continue;
		if (file_checksum(mg->up, sum) == -1)
			return -1;
		if (strcmp(sum, m->app[i].checksum) != 0) {
			merr("%s was changed after it was applied (checksum recorded %.12s..., "
			    "now %.12s...); refusing to continue. Restore the file, or, if the "
			    "database already matches it, record it with `parley migrate stamp %s`",
			    mg->up, m->app[i].checksum, sum, mg->name);
			rc = -1;
		}
	}
	return rc;
}

/*
 * Splits SQL text into statements at top-level semicolons, skipping
 * comments, quoted strings, quoted identifiers and dollar-quoted bodies.
 * Returns the number of statements in a new array (caller frees).
 */
static size_t
split_sql(const char *s, size_t len, struct stmt **out)
{
	struct stmt *v = NULL;
	size_t n = 0, cap = 0, i = 0, start = 0;
	int line = 1, start_line = 0;
	bool in_stmt = false;

#define IDENT(c) (isalnum((unsigned char)(c)) || (c) == '_' || (unsigned char)(c) >= 0x80)
#define ADVANCE() do { if (s[i] == '\n') line++; i++; } while (0)

	while (i < len) {
		char c = s[i];

		if (c == '-' && i + 1 < len && s[i + 1] == '-') {
			while (i < len && s[i] != '\n')
				i++;
			continue;
		}
		if (c == '/' && i + 1 < len && s[i + 1] == '*') {
			int depth = 0;
			while (i < len) {
				if (s[i] == '/' && i + 1 < len && s[i + 1] == '*') {
					depth++;
					i += 2;
				} else if (s[i] == '*' && i + 1 < len && s[i + 1] == '/') {
					i += 2;
					if (--depth == 0)
						break;
				} else
					ADVANCE();
			}
			continue;
		}
		if (isspace((unsigned char)c)) {
			ADVANCE();
			continue;
		}
		if (!in_stmt) {
			in_stmt = true;
			start = i;
			start_line = line;
		}
		if (c == ';') {
			if (n == cap) {
				cap = cap ? cap * 2 : 16;
				v = xrealloc(v, cap * sizeof *v);
			}
			v[n++] = (struct stmt){ start, i - start, start_line };
			in_stmt = false;
			i++;
			if (start == i - 1)
				n--;	/* a lone ";" */
			continue;
		}
		if (c == '\'') {
			bool esc = i > 0 && (s[i - 1] == 'E' || s[i - 1] == 'e') &&
			    (i < 2 || !IDENT(s[i - 2]));
			i++;
			while (i < len) {
				if (esc && s[i] == '\\' && i + 1 < len) {
					i++;
					ADVANCE();
				} else if (s[i] == '\'' && i + 1 < len && s[i + 1] == '\'') {
					i += 2;
				} else if (s[i] == '\'') {
					i++;
					break;
				} else
					ADVANCE();
			}
			continue;
		}
		if (c == '"') {
			i++;
			while (i < len) {
				if (s[i] == '"' && i + 1 < len && s[i + 1] == '"')
					i += 2;
				else if (s[i] == '"') {
					i++;
					break;
				} else
					ADVANCE();
			}
			continue;
		}
		if (c == '$' && (i == 0 || (!IDENT(s[i - 1]) && s[i - 1] != '$'))) {
			size_t j = i + 1;
			if (j < len && !isdigit((unsigned char)s[j]))
				while (j < len && IDENT(s[j]))
					j++;
			if (j < len && s[j] == '$') {
				size_t taglen = j - i + 1;
				const char *end = NULL;
				for (size_t k = j + 1; k + taglen <= len; k++) {
					if (s[k] == '$' && memcmp(s + k, s + i, taglen) == 0) {
						end = s + k;
						break;
					}
				}
				size_t stop = end != NULL ? (size_t)(end - s) + taglen : len;
				while (i < stop)
					ADVANCE();
				continue;
			}
		}
		i++;
	}
	if (in_stmt) {
		if (n == cap) {
			cap = cap ? cap + 1 : 1;
			v = xrealloc(v, cap * sizeof *v);
		}
		v[n++] = (struct stmt){ start, len - start, start_line };
	}
#undef IDENT
#undef ADVANCE
	*out = v;
	return n;
}

/* True when a statement is transaction control, which the runner does itself. */
static bool
is_tx_control(const char *s, size_t len)
{
	static const char *const words[] = {
		"BEGIN", "COMMIT", "ROLLBACK", "START", "END", "ABORT",
	};
	size_t w = 0;

	while (w < len && isalpha((unsigned char)s[w]))
		w++;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strlen(words[i]) == w && strncasecmp(s, words[i], w) == 0)
			return true;
	return false;
}

/* Byte offset of the pos'th (1-based) character of UTF-8 text. */
static size_t
char_to_byte(const char *s, size_t len, long pos)
{
	return pos < 1 ? len : utf8_prefix(s, len, (size_t)(pos - 1));
}

/*
 * Tells what failed: "FILE:LINE: ERROR: message", PostgreSQL's detail,
 * hint and context, and the statement's lines around the error.
 */
static void
report_failure(const char *path, const char *text, const struct stmt *st,
    const PGresult *r, PGconn *conn)
{
	const char *msg = r != NULL ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *state = r != NULL ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	const char *pos = r != NULL ? PQresultErrorField(r, PG_DIAG_STATEMENT_POSITION) : NULL;
	const char *fields[] = { "DETAIL", "HINT", "CONTEXT" };
	const int codes[] = { PG_DIAG_MESSAGE_DETAIL, PG_DIAG_MESSAGE_HINT, PG_DIAG_CONTEXT };
	const char *stmt = text + st->off;
	int err_line = st->line, last_line = st->line, first, last;
	char *copy, *lp, *nl;

	if (msg == NULL)
		msg = PQerrorMessage(conn);
	if (pos != NULL) {
		size_t b = char_to_byte(stmt, st->len, strtol(pos, NULL, 10));
		for (size_t k = 0; k < b; k++)
			if (stmt[k] == '\n')
				err_line++;
	}
	for (size_t k = 0; k < st->len; k++)
		if (stmt[k] == '\n')
			last_line++;

	fprintf(stderr, "parley migrate: %s:%d: ERROR: %s", path, err_line, msg);
	if (msg[0] != '\0' && msg[strlen(msg) - 1] != '\n')
		fputc('\n', stderr);
	if (state != NULL)
		fprintf(stderr, "  SQLSTATE: %s\n", state);
	for (size_t k = 0; k < 3; k++) {
		const char *f = r != NULL ? PQresultErrorField(r, codes[k]) : NULL;
		if (f != NULL)
			fprintf(stderr, "  %s: %s\n", fields[k], f);
	}

	/* The statement, or the lines near the error in a long one. */
	first = st->line;
	last = last_line;
	if (last - first > 12) {
		first = err_line - 5 > st->line ? err_line - 5 : st->line;
		last = first + 10 < last_line ? first + 10 : last_line;
	}
	fprintf(stderr, "  in the statement at line %d%s:\n", st->line,
	    pos != NULL ? " (> marks the error)" : "");
	copy = xstrndup(stmt, st->len);
	lp = copy;
	for (int ln = st->line; lp != NULL && ln <= last; ln++) {
		nl = strchr(lp, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (ln >= first)
			fprintf(stderr, "  %c%5d | %s\n",
			    pos != NULL && ln == err_line ? '>' : ' ', ln, lp);
		lp = nl != NULL ? nl + 1 : NULL;
	}
	free(copy);
}

/*
 * Runs one file in its own transaction, recording (up) or erasing (down)
 * the version in the same transaction. On failure everything is rolled
 * back and the failing statement reported. 0 or -1.
 */
static int
run_file(struct migrate *m, const struct mig *mg, bool up, const char *checksum)
{
	const char *path = up ? mg->up : mg->down;
	struct stmt *stmts = NULL;
	size_t len, nst;
	char *text, vbuf[32];
	PGresult *r;
	int rc = -1;

	if ((text = read_file(path, &len)) == NULL)
		return -1;
	if (memchr(text, '\0', len) != NULL) {
		merr("%s: contains a NUL byte; is it really SQL?", path);
		free(text);
		return -1;
	}
	nst = split_sql(text, len, &stmts);
	for (size_t i = 0; i < nst; i++) {
		if (is_tx_control(text + stmts[i].off, stmts[i].len)) {
			merr("%s:%d: transaction control (BEGIN, COMMIT, ...) is not allowed: "
			    "each migration already runs in its own transaction",
			    path, stmts[i].line);
			goto out;
		}
	}

	if (exec_simple(m, "BEGIN", "cannot begin a transaction") == -1)
		goto out;
	for (size_t i = 0; i < nst; i++) {
		char *sql = xstrndup(text + stmts[i].off, stmts[i].len);
		ExecStatusType st;

		r = PQexec(m->conn, sql);
		free(sql);
		st = PQresultStatus(r);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT)
				merr("%s:%d: COPY to or from the client is not supported here",
				    path, stmts[i].line);
			else
				report_failure(path, text, &stmts[i], r, m->conn);
			PQclear(r);
			goto rollback;
		}
		PQclear(r);
	}

	snprintf(vbuf, sizeof vbuf, "%lld", mg->version);
	if (up)
		r = PQexecParams(m->conn, "INSERT INTO schema_migrations (version, name, checksum)"
		    " VALUES ($1, $2, $3)", 3, NULL,
		    (const char *const []){ vbuf, mg->name, checksum }, NULL, NULL, 0);
	else
		r = PQexecParams(m->conn, "DELETE FROM schema_migrations WHERE version = $1",
		    1, NULL, (const char *const []){ vbuf }, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		merr("cannot record %s in schema_migrations: %s", mg->name,
		    PQresultErrorMessage(r));
		PQclear(r);
		goto rollback;
	}
	PQclear(r);

	r = PQexec(m->conn, "COMMIT");
	if (PQresultStatus(r) != PGRES_COMMAND_OK || strcmp(PQcmdStatus(r), "COMMIT") != 0) {
		merr("%s: commit failed: %s", path, PQresultErrorMessage(r));
		PQclear(r);
		goto rollback;
	}
	PQclear(r);
	rc = 0;
	goto out;

rollback:
	r = PQexec(m->conn, "ROLLBACK");
	PQclear(r);
out:
	free(stmts);
	free(text);
	return rc;
}

static int
do_up(struct migrate *m, const char *target)
{
	const char *at = m->napp > 0 ? m->app[m->napp - 1].name : NULL;
	long long tv = -1, at_version = m->napp > 0 ? m->app[m->napp - 1].version : 0;
	size_t done = 0;

	if (target != NULL && strcmp(target, "head") != 0) {
		(void)parse_version(target, &tv);	/* checked by check_arg */
		if (find_mig(m, tv) == NULL) {
			merr("up: there is no migration %s in %s", target, m->dir);
			return 1;
		}
	}
	if (verify_checksums(m) == -1)
		return 1;
	for (size_t i = 0; i < m->napp; i++)
		if (find_mig(m, m->app[i].version) == NULL)
			merr("warning: %s is applied but has no file in %s",
			    m->app[i].name, m->dir);

	for (size_t i = 0; i < m->nmigs; i++) {
		const struct mig *mg = &m->migs[i];
		char sum[65];
		struct timespec t0;

		if (tv >= 0 && mg->version > tv)
			break;
		if (find_applied(m, mg->version) != NULL)
			continue;
		if (file_checksum(mg->up, sum) == -1)
			return 1;
		printf("applying %s ... ", mg->name);
		fflush(stdout);
		clock_now(&t0);
		if (run_file(m, mg, true, sum) == -1) {
			printf("failed\n");
			merr("%s was rolled back; the database stays at %s", mg->name,
			    at != NULL ? at : "none (empty database)");
			return 1;
		}
		printf("done (%ld ms)\n", ms_since(&t0));
		done++;
		if (mg->version > at_version) {
			at = mg->name;
			at_version = mg->version;
		}
	}
	if (done == 0)
		printf("nothing to do: ");
	printf("the database is at %s\n", at != NULL ? at : "none (empty database)");
	return 0;
}

static int
do_down(struct migrate *m, const char *steps_arg)
{
	long long steps = 1;
	size_t done = 0;

	if (steps_arg != NULL) {
		/* Checked by check_arg. */
		if (strcmp(steps_arg, "all") == 0)
			steps = (long long)m->napp;
		else
			steps = strtoll(steps_arg, NULL, 10);
	}
	if (m->napp == 0) {
		printf("nothing to do: no migration is applied\n");
		return 0;
	}
	if (verify_checksums(m) == -1)
		return 1;
	/* Every file is checked before anything is reverted. */
	for (long long k = 0; k < steps && (size_t)k < m->napp; k++) {
		const struct applied *a = &m->app[m->napp - 1 - (size_t)k];
		const struct mig *mg = find_mig(m, a->version);
		if (mg == NULL || mg->down == NULL) {
			merr("down: %s is applied but %s has no %s.down.sql",
			    a->name, m->dir, a->name);
			return 1;
		}
	}
	for (long long k = 0; k < steps && m->napp > 0; k++) {
		const struct applied *a = &m->app[m->napp - 1];
		const struct mig *mg = find_mig(m, a->version);
		struct timespec t0;

		printf("reverting %s ... ", mg->name);
		fflush(stdout);
		clock_now(&t0);
		if (run_file(m, mg, false, NULL) == -1) {
			printf("failed\n");
			merr("reverting %s rolled back; the database stays at %s",
			    mg->name, mg->name);
			return 1;
		}
		printf("done (%ld ms)\n", ms_since(&t0));
		free(m->app[m->napp - 1].name);
		free(m->app[m->napp - 1].checksum);
		free(m->app[m->napp - 1].applied_at);
		m->napp--;
		done++;
	}
	if (steps > (long long)done)
		printf("only %zu migration%s %s applied\n", done, done == 1 ? "" : "s",
		    done == 1 ? "was" : "were");
	printf("the database is at %s\n", current_name(m));
	return 0;
}

static int
do_status(const struct migrate *m)
{
	size_t pending = 0;

	printf("current: %s\n", current_name(m));
	for (size_t i = 0; i < m->nmigs; i++)
		if (find_applied(m, m->migs[i].version) == NULL)
			pending++;
	if (pending == 0)
		printf("pending: none\n");
	else {
		printf("pending:\n");
		for (size_t i = 0; i < m->nmigs; i++)
			if (find_applied(m, m->migs[i].version) == NULL)
				printf("  %s\n", m->migs[i].name);
	}
	for (size_t i = 0; i < m->napp; i++) {
		const struct mig *mg = find_mig(m, m->app[i].version);
		char sum[65];

		if (mg == NULL)
			printf("missing: %s is applied but has no file in %s\n",
			    m->app[i].name, m->dir);
		else if (file_checksum(mg->up, sum) == 0 && strcmp(sum, m->app[i].checksum) != 0)
			printf("changed: %s was edited after it was applied; up and down "
			    "will refuse to run\n", mg->up);
	}
	return 0;
}

static int
do_history(const struct migrate *m)
{
	if (m->napp == 0) {
		printf("no migration is applied\n");
		return 0;
	}
	for (size_t i = 0; i < m->napp; i++)
		printf("%-32s applied %s  sha256 %.16s\n", m->app[i].name,
		    m->app[i].applied_at, m->app[i].checksum);
	return 0;
}

/*
 * Records that the database is at VERSION without running anything:
 * versions up to it are marked applied (with their files' current
 * checksums), later ones unmarked. "0" or "none" unmarks everything.
 */
static int
do_stamp(struct migrate *m, const char *arg)
{
	long long tv;
	PGresult *r;
	int rc = 1;

	if (strcmp(arg, "none") == 0 || strcmp(arg, "base") == 0)
		tv = 0;
	else
		(void)parse_version(arg, &tv);	/* checked by check_arg */
	if (tv != 0 && find_mig(m, tv) == NULL) {
		merr("stamp: there is no migration %s in %s", arg, m->dir);
		return 1;
	}
	if (exec_simple(m, "BEGIN", "cannot begin a transaction") == -1)
		return 1;
	for (size_t i = 0; i < m->napp; i++) {
		char vbuf[32];
		if (m->app[i].version <= tv)
			continue;
		snprintf(vbuf, sizeof vbuf, "%lld", m->app[i].version);
		r = PQexecParams(m->conn, "DELETE FROM schema_migrations WHERE version = $1",
		    1, NULL, (const char *const []){ vbuf }, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			merr("stamp: %s", PQresultErrorMessage(r));
			PQclear(r);
			goto rollback;
		}
		PQclear(r);
		printf("unrecorded %s\n", m->app[i].name);
	}
	for (size_t i = 0; i < m->nmigs && m->migs[i].version <= tv; i++) {
		const struct mig *mg = &m->migs[i];
		const struct applied *a = find_applied(m, mg->version);
		char vbuf[32], sum[65];

		if (file_checksum(mg->up, sum) == -1)
			goto rollback;
		if (a != NULL && strcmp(a->checksum, sum) == 0)
			continue;
		snprintf(vbuf, sizeof vbuf, "%lld", mg->version);
		r = PQexecParams(m->conn, "INSERT INTO schema_migrations (version, name, checksum)"
		    " VALUES ($1, $2, $3) ON CONFLICT (version) DO UPDATE"
		    " SET name = EXCLUDED.name, checksum = EXCLUDED.checksum", 3, NULL,
		    (const char *const []){ vbuf, mg->name, sum }, NULL, NULL, 0);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			merr("stamp: %s", PQresultErrorMessage(r));
			PQclear(r);
			goto rollback;
		}
		PQclear(r);
		printf("%s %s (without running it)\n", a != NULL ? "re-recorded the checksum of" :
		    "recorded", mg->name);
	}
	if (exec_simple(m, "COMMIT", "stamp: commit failed") == -1)
		return 1;
	printf("the database is stamped at %s\n", tv == 0 ? "none" : find_mig(m, tv)->name);
	return 0;

rollback:
	r = PQexec(m->conn, "ROLLBACK");
	PQclear(r);
	return rc;
}

/* Checks a subcommand's argument before anything connects; 0, or 2 (usage, printed). */
static int
check_arg(const char *sub, const char *arg)
{
	long long v;
	char *end;

	if (arg == NULL)
		return 0;
	if (strcmp(sub, "up") == 0 && strcmp(arg, "head") != 0 &&
	    parse_version(arg, &v) == -1) {
		fprintf(stderr, "parley migrate: up: TARGET must be a version number "
		    "such as 0002 or 0002_name, or head\n" USAGE);
		return 2;
	}
	if (strcmp(sub, "down") == 0 && strcmp(arg, "all") != 0) {
		errno = 0;
		v = strtoll(arg, &end, 10);
		if (errno != 0 || end == arg || *end != '\0' || v < 1) {
			fprintf(stderr, "parley migrate: down: STEPS must be a whole "
			    "number from 1, or all\n" USAGE);
			return 2;
		}
	}
	if (strcmp(sub, "stamp") == 0 && strcmp(arg, "none") != 0 &&
	    strcmp(arg, "base") != 0 && parse_version(arg, &v) == -1) {
		fprintf(stderr, "parley migrate: stamp: VERSION must be a version number "
		    "such as 0002 or 0002_name, or none\n" USAGE);
		return 2;
	}
	return 0;
}

int
cmd_migrate(int argc, char **argv, const struct config *cfg)
{
	struct migrate m;
	const char *args[3] = { NULL, NULL, NULL };
	const char *sub;
	int nargs = 0, rc;
	bool changing;

	memset(&m, 0, sizeof m);
	m.dir = cfg->sql_dir;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--dir") == 0) {
			if (++i >= argc) {
				fprintf(stderr, "parley migrate: --dir needs a folder\n" USAGE);
				return 2;
			}
			m.dir = argv[i];
		} else if (strncmp(argv[i], "--dir=", 6) == 0) {
			m.dir = argv[i] + 6;
		} else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(USAGE, stdout);
			return 0;
		} else if (argv[i][0] == '-' && argv[i][1] != '\0' && !isdigit((unsigned char)argv[i][1])) {
			fprintf(stderr, "parley migrate: unknown option %s\n" USAGE, argv[i]);
			return 2;
		} else if (nargs < 3) {
			args[nargs++] = argv[i];
		} else {
			fprintf(stderr, "parley migrate: too many arguments\n" USAGE);
			return 2;
		}
	}
	if (nargs == 0) {
		fputs(USAGE, stderr);
		return 2;
	}
	sub = args[0];
	if (strcmp(sub, "up") == 0 || strcmp(sub, "down") == 0) {
		if (nargs > 2) {
			fprintf(stderr, "parley migrate: %s takes at most one argument\n" USAGE, sub);
			return 2;
		}
	} else if (strcmp(sub, "status") == 0 || strcmp(sub, "history") == 0) {
		if (nargs > 1) {
			fprintf(stderr, "parley migrate: %s takes no argument\n" USAGE, sub);
			return 2;
		}
	} else if (strcmp(sub, "stamp") == 0) {
		if (nargs != 2) {
			fprintf(stderr, "parley migrate: stamp needs exactly one VERSION\n" USAGE);
			return 2;
		}
	} else {
		fprintf(stderr, "parley migrate: unknown subcommand %s\n" USAGE, sub);
		return 2;
	}
	if (check_arg(sub, args[1]) != 0)
		return 2;
	if (sodium_init() < 0) {
		merr("cannot initialise libsodium");
		return 1;
	}

	changing = strcmp(sub, "up") == 0 || strcmp(sub, "down") == 0 ||
	    strcmp(sub, "stamp") == 0;
	if (scan_dir(&m) == -1 || open_state(&m, cfg, changing) == -1) {
		migrate_free(&m);
		return 1;
	}
	if (strcmp(sub, "up") == 0)
		rc = do_up(&m, args[1]);
	else if (strcmp(sub, "down") == 0)
		rc = do_down(&m, args[1]);
	else if (strcmp(sub, "status") == 0)
		rc = do_status(&m);
	else if (strcmp(sub, "history") == 0)
		rc = do_history(&m);
	else
		rc = do_stamp(&m, args[1]);
	fflush(stdout);
	/* Closing the connection releases the lock too; say it for the reader. */
	if (changing && PQstatus(m.conn) == CONNECTION_OK) {
		PGresult *r = PQexec(m.conn, "SELECT pg_advisory_unlock(" MIGRATE_LOCK_KEY ")");
		PQclear(r);
	}
	migrate_free(&m);
	return rc;
}
