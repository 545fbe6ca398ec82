/* view.h: what the page and API handlers (h_*.c) show the same way: store failures, times, durations, flash messages, model menus, redirects. */
#ifndef PARLEY_VIEW_H
#define PARLEY_VIEW_H

#include <stddef.h>

#include "db.h"

struct config;
struct json_object;
struct req;

/* What a store's DB_CONFLICT means to the person, when it means more than a duplicate. */
struct view_conflict {
	const char	*code;		/* the error's machine word ("completed") */
	const char	*message;	/* for people */
};

/*
 * Answers a failed store call: with conflict (may be NULL), a DB_CONFLICT
 * answers 409 with its code and message; everything else (and a conflict
 * without it) is resp_store_error for what ("task").
 */
void	 view_store_failed(struct req *r, enum db_err e, const char *what,
	    const struct view_conflict *conflict);

/* "2024-05-01T12:34:56.123456Z" -> "2024-05-01 12:34 UTC" into out; other text (or "" for NULL) as it is. */
void	 view_short_time(const char *iso, char *out, size_t outlen);

/* A duration for people into out: "850 ms", "2.4 s", "–" when negative (unknown). */
void	 view_duration_ms(char *out, size_t outlen, double ms);

/* A confirmation a page shows after POST/redirect/GET, named by ?msg=KEY. */
struct view_flash {
	const char	*key;		/* NULL ends a list */
	const char	*kind;		/* "success", "error", "info" */
	const char	*text;
};

/* Sets d's "flash" to {kind, message: text} (copies both). */
void	 view_flash(struct json_object *d, const char *kind, const char *text);

/* view_flash with the entry of list (ended by a NULL key) that ?msg= names; nothing for none. */
void	 view_flash_query(struct req *r, struct json_object *d, const struct view_flash *list);

/*
 * The models offered, for a <select>: a new array of {id, label, selected},
 * the one whose id is selected marked. default_label (may be NULL) adds a
 * first entry {"", default_label} for "the configured default", selected
 * when selected is NULL. A selected model no longer offered stays at the
 * end, marked, labelled with gone after its id (" (not available)"), so the
 * form shows the truth. Caller puts the array.
 */
struct json_object *view_models(const struct config *cfg, const char *selected,
	    const char *default_label, const char *gone);

/*
 * 303 to path, with msg as ?msg=KEY (&msg= when path has a query already)
 * and #anchor, each left out when NULL. Nothing is escaped: path, msg and
 * anchor are the caller's fixed words or ids it has checked.
 */
void	 view_redirect(struct req *r, const char *path, const char *msg, const char *anchor);

#endif
