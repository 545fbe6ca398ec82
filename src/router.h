/* router.h: route tables, path matching with {name} parameters, 404 and 405. */
#ifndef PARLEY_ROUTER_H
#define PARLEY_ROUTER_H

#include <stddef.h>

struct req;

typedef void (*route_fn)(struct req *);

/* A route's first reads, to send with the sign-in check: see prefetch.h. */
struct prefetch;
typedef void (*route_prefetch_fn)(const struct req *, const char *user_id, struct prefetch *);

/* What the dispatcher checks before calling a handler. */
enum route_flag {
	RF_LOGIN	= 1 << 0,	/* needs a signed-in user: 401 (API) or redirect to /login (page) */
	RF_API		= 1 << 1,	/* JSON errors; mutating requests must be application/json */
	RF_NOCSRF	= 1 << 2,	/* a write that needs no CSRF token (only unauthenticated API auth endpoints) */
	RF_NODB		= 1 << 3,	/* never touches the database (health checks) */
};

struct route {
	const char	*method;	/* "GET", "POST", "PUT", "PATCH", "DELETE" */
	const char	*pattern;	/* "/chat/{id}"; a {name} matches one non-empty segment */
	route_fn	 fn;
	unsigned	 flags;
	route_prefetch_fn prefetch;	/* NULL: no reads known before the handler runs */
};

#define ROUTE_MAX_PARAMS 4

struct route_params {
	size_t	 n;
	char	 name[ROUTE_MAX_PARAMS][32];
	char	*value[ROUTE_MAX_PARAMS];	/* percent-decoded; owned, freed by route_params_free */
};

/*
 * Finds the route for method and path (path without the query string, still
 * percent-encoded). HEAD matches GET routes.
 * Returns 200 with *out and params set; 404 when no pattern matches the path;
 * 405 when patterns match but not the method, with allow set to the list of
 * allowed methods ("GET, HEAD, POST"); 400 when a parameter's percent-encoding
 * or UTF-8 is invalid. On 405 and 400, *out is the first route whose path
 * matched (so errors take its JSON or HTML form); on 404 it is NULL.
 * params is always safe to pass to route_params_free.
 */
int		 router_match(const struct route *routes, size_t nroutes,
		    const char *method, const char *path,
		    const struct route **out, struct route_params *params,
		    char *allow, size_t allowlen);
void		 route_params_free(struct route_params *params);
/* The value of parameter name, or NULL. */
const char	*route_param(const struct route_params *params, const char *name);

#endif
