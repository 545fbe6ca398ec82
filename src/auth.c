/* auth.c: password hashing (Argon2id), the rules for account fields, and login throttling.
 *
 * Hashes use libsodium's crypto_pwhash_str with the "interactive" limits
 * (64 MiB, 2 passes): the string it makes names its own algorithm and
 * parameters, so raising them later only needs crypto_pwhash_str_needs_rehash
 * at the next login. Each hash holds 64 MiB for its whole run, so a gate per
 * process bounds how many run at once; the others wait for a slot. */
#include "auth.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "db.h"
#include "log.h"
#include "xalloc.h"

#define PWHASH_OPS	crypto_pwhash_OPSLIMIT_INTERACTIVE
#define PWHASH_MEM	crypto_pwhash_MEMLIMIT_INTERACTIVE

/* How long a login waits for a hashing slot before it is told to come back. */
#define GATE_WAIT_SECONDS	30

_Static_assert(AUTH_HASH_MAX == crypto_pwhash_STRBYTES, "AUTH_HASH_MAX must match libsodium");

struct hash_gate {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;
	long		 free;		/* slots not in use */
	char		 dummy[AUTH_HASH_MAX];	/* for auth_burn_time; "" until first needed */
};

struct hash_gate *
hash_gate_new(long n)
{
	struct hash_gate *g = xcalloc(1, sizeof *g);
	pthread_condattr_t ca;

	pthread_mutex_init(&g->mu, NULL);
	/* Deadlines on the monotonic clock: a clock change must not stall logins. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	g->free = n < 1 ? 1 : n;
	return g;
}

void
hash_gate_free(struct hash_gate *g)
{
	if (g == NULL)
		return;
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

/* Takes a slot, waiting up to GATE_WAIT_SECONDS. 0, or -1 when none came free. */
static int
gate_enter(struct hash_gate *g)
{
	struct timespec deadline;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += GATE_WAIT_SECONDS;
	pthread_mutex_lock(&g->mu);
	while (g->free == 0 && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&g->cv, &g->mu, &deadline);
	if (g->free == 0) {
		pthread_mutex_unlock(&g->mu);
		log_warn("auth: no password hashing slot came free in %d s", GATE_WAIT_SECONDS);
		return -1;
	}
	g->free--;
	pthread_mutex_unlock(&g->mu);
	return 0;
}

static void
gate_leave(struct hash_gate *g)
{
	pthread_mutex_lock(&g->mu);
	g->free++;
	pthread_cond_signal(&g->cv);
	pthread_mutex_unlock(&g->mu);
}

int
auth_hash_password(struct hash_gate *g, const char *password, char out[AUTH_HASH_MAX])
{
	int rc;

	out[0] = '\0';
	if (gate_enter(g) == -1)
		return -1;
	rc = crypto_pwhash_str(out, password, strlen(password), PWHASH_OPS, PWHASH_MEM);
	gate_leave(g);
	if (rc != 0) {
		log_error("auth: password hashing failed (out of memory?)");
		out[0] = '\0';
		return -1;
	}
	return 0;
}

enum auth_check
auth_verify_password(struct hash_gate *g, const char *hash, const char *password)
{
	int rc;

	/* Only our own kind of hash: anything else can never match. */
	if (strncmp(hash, "$argon2id$", 10) != 0 || strlen(hash) >= AUTH_HASH_MAX)
		return AUTH_NO_MATCH;
	if (gate_enter(g) == -1)
		return AUTH_BUSY;
	errno = 0;
	rc = crypto_pwhash_str_verify(hash, password, strlen(password));
	gate_leave(g);
	if (rc != 0)
		return errno == ENOMEM ? AUTH_BUSY : AUTH_NO_MATCH;
	if (crypto_pwhash_str_needs_rehash(hash, PWHASH_OPS, PWHASH_MEM) != 0)
		return AUTH_MATCH_REHASH;
	return AUTH_MATCH;
}

void
auth_burn_time(struct hash_gate *g, const char *password)
{
	char random_pw[33];
	char dummy[AUTH_HASH_MAX];
	bool need;

	pthread_mutex_lock(&g->mu);
	need = g->dummy[0] == '\0';
	memcpy(dummy, g->dummy, sizeof dummy);
	pthread_mutex_unlock(&g->mu);
	if (need) {
		/* Made on first use, from a password nobody knows; a race makes two, harmlessly. */
		auth_random_token("", random_pw, sizeof random_pw);
		if (auth_hash_password(g, random_pw, dummy) == -1)
			return;
		pthread_mutex_lock(&g->mu);
		memcpy(g->dummy, dummy, sizeof dummy);
		pthread_mutex_unlock(&g->mu);
	}
	(void)auth_verify_password(g, dummy, password);
}

const char *
auth_password_problem(const char *password)
{
	size_t n = strlen(password);

	if (n < AUTH_PASSWORD_MIN)
		return "The password must be at least 8 characters long.";
	if (n > AUTH_PASSWORD_MAX)
		return "The password must be at most 1024 bytes long.";
	return NULL;
}

const char *
auth_email_problem(const char *email)
{
	static const char bad[] = "Enter a valid email address, like name@example.com.";
	const char *at, *dot, *p;
	size_t n = strlen(email);

	if (n == 0)
		return "Email is required.";
	if (n > AUTH_EMAIL_MAX)
		return "The email address must be at most 254 characters long.";
	for (p = email; *p; p++) {
		unsigned char c = (unsigned char)*p;
		/* No spaces, controls, or the characters that need quoting in an address. */
		if (c <= ' ' || c == 0x7f || strchr("\"(),:;<>[\\]", c) != NULL)
			return bad;
	}
	at = strchr(email, '@');
	if (at == NULL || at == email || strchr(at + 1, '@') != NULL)
		return bad;
	if (at - email > 64)
		return bad;
	/* The domain: labels separated by single dots, at least two of them. */
	p = at + 1;
	dot = strchr(p, '.');
	if (*p == '\0' || *p == '.' || dot == NULL || email[n - 1] == '.' ||
	    strstr(p, "..") != NULL || *p == '-')
		return bad;
	if (email[0] == '.' || at[-1] == '.' || strstr(email, "..") != NULL)
		return bad;
	return NULL;
}

const char *
auth_username_problem(const char *username)
{
	size_t n = strlen(username);

	if (n < 2 || n > AUTH_USERNAME_MAX)
		return "The username must be 2 to 64 characters long.";
	if (strspn(username, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != n)
		return "The username may use only letters, digits, dots, dashes and underscores.";
	if (strchr("._-", username[0]) != NULL)
		return "The username must start with a letter or a digit.";
	return NULL;
}

bool
auth_login_is_email(const char *login)
{
	return strchr(login, '@') != NULL;
}

void
auth_random_token(const char *prefix, char *out, size_t outlen)
{
	unsigned char raw[32];
	char hex[65];

	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(hex, sizeof hex, raw, sizeof raw);
	snprintf(out, outlen, "%s%s", prefix, hex);
	sodium_memzero(raw, sizeof raw);
	sodium_memzero(hex, sizeof hex);
}

/*
 * How long until the attempts may go on: the limit-th newest failure in the
 * window leaving it is what brings the count back under the limit. An
 * account's failures only count after its latest success.
 */
static const char sql_throttle_check[] =
	"SELECT GREATEST("
	"  COALESCE(ceil(extract(epoch FROM acc + make_interval(secs => $3::int) - now())), 0),"
	"  COALESCE(ceil(extract(epoch FROM ipb + make_interval(secs => $3::int) - now())), 0)"
	")::bigint FROM (SELECT"
	" (SELECT a.attempted_at FROM login_attempts a"
	"   WHERE a.login = $1 AND NOT a.succeeded"
	"   AND a.attempted_at > now() - make_interval(secs => $3::int)"
	"   AND a.attempted_at > COALESCE((SELECT max(s.attempted_at) FROM login_attempts s"
	"     WHERE s.login = $1 AND s.succeeded), '-infinity')"
	"   ORDER BY a.attempted_at DESC OFFSET $4::int - 1 LIMIT 1) AS acc,"
	" (SELECT b.attempted_at FROM login_attempts b"
	"   WHERE b.ip = $2 AND NOT b.succeeded"
	"   AND b.attempted_at > now() - make_interval(secs => $3::int)"
	"   ORDER BY b.attempted_at DESC OFFSET $5::int - 1 LIMIT 1) AS ipb) t";

static const char sql_throttle_note[] =
	"INSERT INTO login_attempts (login, ip, succeeded) VALUES ($1, $2, $3::boolean)";

/* Rows older than any window that could still read them. */
static const char sql_throttle_prune[] =
	"DELETE FROM login_attempts WHERE attempted_at < now() - interval '1 day'";

/* The stored forms of key and ip, cut to the table's limits. */
static void
throttle_keys(const char *key, const char *ip, char k[321], char a[129])
{
	snprintf(k, 321, "%s", key);
	snprintf(a, 129, "%s", ip != NULL ? ip : "");
}

int
auth_throttle_check(struct db *db, const char *key, const char *ip, long *retry_after)
{
	char k[321], a[129], window[16], acc[16], per_ip[16];
	PGresult *res;
	enum db_err e;
	long wait;

	*retry_after = 0;
	throttle_keys(key, ip, k, a);
	snprintf(window, sizeof window, "%d", AUTH_THROTTLE_WINDOW);
	snprintf(acc, sizeof acc, "%d", AUTH_THROTTLE_ACCOUNT);
	snprintf(per_ip, sizeof per_ip, "%d", AUTH_THROTTLE_IP);
	e = db_query(db, "throttle_check", sql_throttle_check,
	    DB_P(k, a, window, acc, per_ip), &res);
	if (e != DB_OK)
		return -1;
	wait = PQntuples(res) == 1 ? strtol(PQgetvalue(res, 0, 0), NULL, 10) : 0;
	PQclear(res);
	if (wait <= 0)
		return 0;
	*retry_after = wait;
	return 1;
}

int
auth_throttle_note(struct db *db, const char *key, const char *ip, bool succeeded)
{
	char k[321], a[129];
	enum db_err e;

	throttle_keys(key, ip, k, a);
	e = db_query(db, "throttle_note", sql_throttle_note,
	    DB_P(k, a, succeeded ? "true" : "false"), NULL);
	if (e != DB_OK) {
		log_warn("auth: could not record a login attempt: %s", db_strerror(e));
		return -1;
	}
	/* Now and then, forget old attempts; no scheduler needed. */
	if (randombytes_uniform(64) == 0 &&
	    db_query(db, "throttle_prune", sql_throttle_prune, 0, NULL, NULL) != DB_OK)
		log_warn("auth: could not prune old login attempts");
	return 0;
}
