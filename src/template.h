/* template.h: a Mustache engine over json-c values (the spec's core modules, no lambdas). */
#ifndef PARLEY_TEMPLATE_H
#define PARLEY_TEMPLATE_H

#include <stddef.h>

#include "buf.h"

struct json_object;
struct tmpl;		/* one parsed template; immutable, shareable between threads */
struct tmpl_set;	/* the parsed *.mustache files of one folder, by name */

/*
 * Parses src as a template. name is used in error messages only.
 * Returns a new template (free with tmpl_free), or NULL with
 * "NAME:LINE: what is wrong" in err.
 */
struct tmpl	*tmpl_parse(const char *name, const char *src, size_t len,
		    char *err, size_t errlen);
void		 tmpl_free(struct tmpl *t);			/* accepts NULL */

/* Finds a partial by name; NULL renders as empty text. */
typedef const struct tmpl *(*tmpl_partial_fn)(void *ctx, const char *name);

/*
 * Renders t with data (any JSON value; NULL is an empty context) and appends
 * the result to out. {{x}} is HTML-escaped, {{{x}}} and {{& x}} are not.
 * Partials are looked up through partials (may be NULL: none).
 * Returns 0, or -1 when partials nest past a sane depth (out then holds
 * what was rendered so far).
 */
int		 tmpl_render(const struct tmpl *t, struct json_object *data,
		    tmpl_partial_fn partials, void *ctx, struct buf *out);

/*
 * Loads and parses every *.mustache file in dir (and its subfolders, named
 * "sub/name"). Returns the set, or NULL with "FILE:LINE: message" in err for
 * the first broken template, or for an unreadable folder.
 */
struct tmpl_set	*tmpl_set_load(const char *dir, char *err, size_t errlen);
void		 tmpl_set_free(struct tmpl_set *s);		/* accepts NULL */
const struct tmpl *tmpl_set_get(const struct tmpl_set *s, const char *name);
/* Renders the template called name, its partials taken from the same set. -1 if there is none. */
int		 tmpl_set_render(const struct tmpl_set *s, const char *name,
		    struct json_object *data, struct buf *out);

#endif
