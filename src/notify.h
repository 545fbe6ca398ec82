/* notify.h: PostgreSQL notifications for one handle: listen on a channel, wait, and see what came. */
#ifndef PARLEY_NOTIFY_H
#define PARLEY_NOTIFY_H

#include <stdbool.h>

struct db;

/*
 * Channels are made by chat_channel ("prefix_" and hex digits), so they
 * need no quoting. Notifications arrive on the connection that listens, so
 * listening pins the handle to a connection of its own for the rest of the
 * request (db_pin). None of these fail the caller: a channel that cannot be
 * listened to only means the caller learns by reading the row, as it does
 * anyway from time to time.
 */

/* LISTEN chan; false (logged at debug level) when notifications will not come. */
bool	 notify_listen(struct db *db, const char *chan);
/* UNLISTEN chan, and drops whatever already arrived. */
void	 notify_unlisten(struct db *db, const char *chan);
/* Reads what arrived without waiting; how many notifications there were (any channel). */
int	 notify_drain(struct db *db);
/* Reads what arrived without waiting; true when one of them was on chan. */
bool	 notify_seen(struct db *db, const char *chan);
/*
 * Waits up to ms for notifications (sleeps ms when there is no connection
 * to wait on); how many came.
 */
int	 notify_wait(struct db *db, long ms);

#endif
