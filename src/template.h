/* template.h: a Mustache engine over json-c values (the spec's core modules, no lambdas). */
#ifndef PARLEY_TEMPLATE_H
#define PARLEY_TEMPLATE_H

#include <stdbool.h>
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

/*
 * Besides json-c values, a template can read values that a caller answers
 * through callbacks: an object or a list over the caller's own structs (the
 * rows of a query, say), so a long list renders without building a json-c
 * object per item. The engine only reads; whatever a value points to must
 * outlive the render.
 */
enum tmpl_kind {
	TMPL_NONE,	/* missing or null: false, writes nothing */
	TMPL_JSON,	/* u.json, which may be NULL (as TMPL_NONE) */
	TMPL_TEXT,	/* u.text: false when empty */
	TMPL_BOOL,	/* u.b */
	TMPL_INT,	/* u.i: true even when 0, as numbers are */
	TMPL_OBJECT,	/* u.ext: its members through src->member */
	TMPL_LIST	/* u.ext: its items through src->count and src->item */
};

struct tmpl_val;

/* The callbacks behind a TMPL_OBJECT or TMPL_LIST (those a kind does not use may be NULL). */
struct tmpl_src {
	/* Sets *out to self's member called name; false when it has none. */
	bool	(*member)(const void *self, const char *name, struct tmpl_val *out);
	size_t	(*count)(const void *self);
	void	(*item)(const void *self, size_t i, struct tmpl_val *out);
};

struct tmpl_val {
	enum tmpl_kind	kind;
	union {
		struct json_object	*json;
		struct {
			const char	*s;
			size_t		 len;
		}			 text;
		bool			 b;
		long long		 i;
		struct {
			const struct tmpl_src	*src;
			const void		*self;
		}			 ext;
	} u;
};

/* Constructors for the kinds above. s must be NUL-free up to its strlen; NULL is TMPL_NONE. */
struct tmpl_val	 tmpl_text(const char *s);
struct tmpl_val	 tmpl_bool(bool b);
struct tmpl_val	 tmpl_int(long long i);
struct tmpl_val	 tmpl_object(const struct tmpl_src *src, const void *self);
struct tmpl_val	 tmpl_list(const struct tmpl_src *src, const void *self);

/*
 * An object of a few named values: tmpl_object(&tmpl_members_src, array)
 * over an array of members that ends with a NULL name.
 */
struct tmpl_member {
	const char	*name;
	struct tmpl_val	 v;
};
extern const struct tmpl_src tmpl_members_src;

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
 * As tmpl_render, with a context stack of n values to start from, the first
 * outermost (frames[n - 1] is looked in first, as the innermost section's
 * value would be). n is 1 to 8; -1 for any other.
 */
int		 tmpl_render_frames(const struct tmpl *t, const struct tmpl_val *frames,
		    size_t n, tmpl_partial_fn partials, void *ctx, struct buf *out);

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
/* tmpl_render_frames for the template called name of a set. */
int		 tmpl_set_render_frames(const struct tmpl_set *s, const char *name,
		    const struct tmpl_val *frames, size_t n, struct buf *out);

#endif
