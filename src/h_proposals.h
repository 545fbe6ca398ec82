/*
 * h_proposals.h: what the proposal pages (h_proposals_pages.c) and JSON API
 * (h_proposals_api.c) share: the proposal or section a path names, the
 * fields both read, and writing sections for a request. Only those two
 * include it (routes.c includes their headers); hp_ marks these helpers.
 */
#ifndef PARLEY_H_PROPOSALS_H
#define PARLEY_H_PROPOSALS_H

#include <stdbool.h>
#include <stddef.h>

#include "db.h"
#include "view.h"

struct form_errors;
struct json_object;
struct proposal_change;
struct req;

#define ALL_SECTIONS	((1u << PS__MAX) - 1)	/* a mask of every enum proposal_section */

/* True when the proposal (a proposals.h object) is completed. */
bool		 hp_is_completed(struct json_object *p);

/* True when all six questions have answers. */
bool		 hp_all_answered(struct json_object *p);

/* The proposal store's only conflict: a completed proposal (for view_store_failed). */
extern const struct view_conflict hp_completed;

/* The proposal named in the path, or an answered request (404 for anyone else's) and NULL. */
struct json_object *hp_load(struct req *r);

/* The section named in the path: its index, or -1 after a 422. */
int		 hp_section_param(struct req *r);

/* Bits of the sections that exist, from a sections array. */
unsigned	 hp_written_mask(struct json_object *sections);

/*
 * A required text field of 1..max characters, where a line break sent as
 * CRLF (as browsers send text areas) counts once, as it is stored.
 * 0 with *out set (caller frees), or -1 with an error in fe.
 */
int		 hp_read_text(const struct req *r, struct form_errors *fe, const char *name,
		    const char *label, size_t max, char **out);

/*
 * Writes the sections in which after an answer or a request to regenerate.
 * 0, or -1 with a message for people in err.
 */
int		 hp_write_sections(struct req *r, struct json_object *p, unsigned which, char *err,
		    size_t errlen);

/* Which sections exist for p (0 when they cannot be read). */
unsigned	 hp_sections_written(struct req *r, struct json_object *p);

/* Reads the title and model fields shared by the settings form and the API. */
void		 hp_read_settings(struct req *r, struct form_errors *fe, struct proposal_change *ch,
		    char **title, bool *has_model);

#endif
