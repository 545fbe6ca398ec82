/* router.c: route tables, path matching with {name} parameters, 404 and 405. */
#include "router.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

#define PARAM_NAME_MAX	(sizeof(((struct route_params *)0)->name[0]) - 1)
#define ALLOW_MAX	16	/* distinct methods in one Allow header */

/* Where a path's parameters sit before they are decoded. */
struct raw_params {
	size_t		 n;
	const char	*name[ROUTE_MAX_PARAMS];
	size_t		 namelen[ROUTE_MAX_PARAMS];
	const char	*value[ROUTE_MAX_PARAMS];
	size_t		 valuelen[ROUTE_MAX_PARAMS];
};

/*
 * Refuses paths no route should see: not starting with '/', empty segments
 * ("//") other than the root itself, and "." or ".." segments, which a
 * handler could otherwise be tricked into treating as a name.
 */
static bool
path_ok(const char *path)
{
	const char *seg, *e;
	size_t n;

	if (path == NULL || path[0] != '/')
		return false;
	if (path[1] == '\0')
		return true;
	seg = path + 1;
	for (;;) {
		if ((e = strchr(seg, '/')) == NULL)
			e = seg + strlen(seg);
		n = (size_t)(e - seg);
		if (n == 0 && *e == '/')
			return false;		/* "//" */
		if ((n == 1 || n == 2) && seg[0] == '.' && seg[n - 1] == '.')
			return false;
		if (*e == '\0')
			return true;
		seg = e + 1;
	}
}

/* Matches path against one pattern; fills rp with the undecoded parameters. */
static bool
pattern_match(const char *pat, const char *path, struct raw_params *rp)
{
	const char *pe, *qe;
	size_t plen, qlen;

	rp->n = 0;
	if (pat == NULL || pat[0] != '/' || path[0] != '/')
		return false;
	pat++;
	path++;
	for (;;) {
		if ((pe = strchr(pat, '/')) == NULL)
			pe = pat + strlen(pat);
		if ((qe = strchr(path, '/')) == NULL)
			qe = path + strlen(path);
		plen = (size_t)(pe - pat);
		qlen = (size_t)(qe - path);
		if (plen >= 3 && pat[0] == '{' && pat[plen - 1] == '}') {
			/* A table error (too many, too long) matches nothing. */
			if (qlen == 0 || rp->n == ROUTE_MAX_PARAMS ||
			    plen - 2 > PARAM_NAME_MAX)
				return false;
			rp->name[rp->n] = pat + 1;
			rp->namelen[rp->n] = plen - 2;
			rp->value[rp->n] = path;
			rp->valuelen[rp->n] = qlen;
			rp->n++;
		} else if (plen != qlen || memcmp(pat, path, plen) != 0)
			return false;
		if (*pe == '\0' || *qe == '\0')
			return *pe == '\0' && *qe == '\0';
		pat = pe + 1;
		path = qe + 1;
	}
}

static bool
method_allows(const char *route_method, const char *method)
{
	if (strcmp(route_method, method) == 0)
		return true;
	return strcmp(method, "HEAD") == 0 && strcmp(route_method, "GET") == 0;
}

/* Adds m to the list unless present; methods past ALLOW_MAX are dropped. */
static void
allow_add(const char **list, size_t *n, const char *m)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp(list[i], m) == 0)
			return;
	if (*n < ALLOW_MAX)
		list[(*n)++] = m;
}

/* Writes "GET, HEAD, POST"; a method that does not fit is left out whole. */
static void
allow_format(const char **list, size_t n, char *allow, size_t allowlen)
{
	size_t i, off = 0;
	int w;

	if (allow == NULL || allowlen == 0)
		return;
	allow[0] = '\0';
	for (i = 0; i < n; i++) {
		w = snprintf(allow + off, allowlen - off, "%s%s",
		    i > 0 ? ", " : "", list[i]);
		if (w < 0 || (size_t)w >= allowlen - off) {
			allow[off] = '\0';
			return;
		}
		off += (size_t)w;
	}
}

static int
params_decode(const struct raw_params *rp, struct route_params *params)
{
	size_t i, len;
	char *v;

	for (i = 0; i < rp->n; i++) {
		if (url_decode(rp->value[i], rp->valuelen[i], false, &v,
		    &len) != PARSE_OK) {
			route_params_free(params);
			return -1;
		}
		memcpy(params->name[i], rp->name[i], rp->namelen[i]);
		params->name[i][rp->namelen[i]] = '\0';
		params->value[i] = v;
		params->n = i + 1;
	}
	return 0;
}

int
router_match(const struct route *routes, size_t nroutes,
    const char *method, const char *path,
    const struct route **out, struct route_params *params,
    char *allow, size_t allowlen)
{
	const char *methods[ALLOW_MAX];
	const struct route *first = NULL;
	struct raw_params rp;
	size_t i, nmethods = 0;

	params->n = 0;
	for (i = 0; i < ROUTE_MAX_PARAMS; i++) {
		params->name[i][0] = '\0';
		params->value[i] = NULL;
	}
	*out = NULL;
	if (allow != NULL && allowlen > 0)
		allow[0] = '\0';
	if (method == NULL)
		method = "";
	if (!path_ok(path))
		return 404;

	for (i = 0; i < nroutes; i++) {
		if (!pattern_match(routes[i].pattern, path, &rp))
			continue;
		if (method_allows(routes[i].method, method)) {
			/* Set on a 400 too, so errors come in the route's format. */
			*out = &routes[i];
			return params_decode(&rp, params) == 0 ? 200 : 400;
		}
		if (first == NULL)
			first = &routes[i];
		allow_add(methods, &nmethods, routes[i].method);
		if (strcmp(routes[i].method, "GET") == 0)
			allow_add(methods, &nmethods, "HEAD");
	}
	if (first == NULL)
		return 404;
	*out = first;
	allow_format(methods, nmethods, allow, allowlen);
	return 405;
}

void
route_params_free(struct route_params *params)
{
	size_t i;

	if (params == NULL)
		return;
	for (i = 0; i < ROUTE_MAX_PARAMS; i++) {
		free(params->value[i]);
		params->value[i] = NULL;
	}
	params->n = 0;
}

const char *
route_param(const struct route_params *params, const char *name)
{
	size_t i;

	if (params == NULL || name == NULL)
		return NULL;
	for (i = 0; i < params->n; i++)
		if (strcmp(params->name[i], name) == 0)
			return params->value[i];
	return NULL;
}
