/* notify.c: LISTEN, UNLISTEN and waiting for notifications on a handle's own connection (notify.h). */
#include "notify.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "db.h"
#include "log.h"

/* LISTEN or UNLISTEN chan; false when the statement failed. */
static bool
channel_cmd(struct db *db, const char *cmd, const char *chan)
{
	char sql[96];

	snprintf(sql, sizeof sql, "%s \"%s\"", cmd, chan);
	if (db_query(db, NULL, sql, 0, NULL, NULL) != DB_OK) {
		log_debug("notify: %s %s failed (the row is polled instead)", cmd, chan);
		return false;
	}
	return true;
}

bool
notify_listen(struct db *db, const char *chan)
{
	/* Notifications must reach this handle alone, for as long as it waits. */
	if (!db_pin(db))
		return false;
	return channel_cmd(db, "LISTEN", chan);
}

void
notify_unlisten(struct db *db, const char *chan)
{
	(void)channel_cmd(db, "UNLISTEN", chan);
	(void)notify_drain(db);
}

/* Reads what arrived; counts it, and notes whether any was on chan (NULL: none asked). */
static int
drain(struct db *db, const char *chan, bool *seen)
{
	PGconn *conn = db_conn(db);
	PGnotify *n;
	int count = 0;

	if (conn == NULL || PQconsumeInput(conn) == 0)
		return 0;
	while ((n = PQnotifies(conn)) != NULL) {
		count++;
		if (chan != NULL && strcmp(n->relname, chan) == 0)
			*seen = true;
		PQfreemem(n);
	}
	return count;
}

int
notify_drain(struct db *db)
{
	return drain(db, NULL, NULL);
}

bool
notify_seen(struct db *db, const char *chan)
{
	bool seen = false;

	(void)drain(db, chan, &seen);
	return seen;
}

int
notify_wait(struct db *db, long ms)
{
	PGconn *conn = db_conn(db);
	struct pollfd pfd;
	int got, rc;

	if ((got = notify_drain(db)) > 0)
		return got;
	if (conn == NULL || PQsocket(conn) < 0) {
		struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
		return 0;
	}
	pfd.fd = PQsocket(conn);
	pfd.events = POLLIN;
	pfd.revents = 0;
	rc = poll(&pfd, 1, (int)ms);
	if (rc < 0 && errno != EINTR)
		log_warn("notify: poll: %s", strerror(errno));
	if (rc <= 0)
		return 0;
	return notify_drain(db);
}
