/* req.c: what handlers read of a request (req.h): its headers, fields and parameters. */
#include "req.h"

#include <stdbool.h>
#include <string.h>

#include <fcgiapp.h>

#include "parse.h"
#include "router.h"

const char *
req_env(const struct req *r, const char *name)
{
	return FCGX_GetParam(name, r->fcgx->envp);
}

const char *
req_form(const struct req *r, const char *name)
{
	return kvlist_get(&r->form, name);
}

const char *
req_query(const struct req *r, const char *name)
{
	return kvlist_get(&r->query, name);
}

const char *
req_query_set(const struct req *r, const char *name)
{
	const char *v = kvlist_get(&r->query, name);

	return v != NULL && v[0] != '\0' ? v : NULL;
}

bool
req_wants_json(const struct req *r)
{
	if (r->route != NULL)
		return (r->route->flags & RF_API) != 0;
	if (strncmp(r->path, "/api/", 5) == 0)
		return true;
	return r->accept != NULL && strstr(r->accept, "application/json") != NULL &&
	    strstr(r->accept, "text/html") == NULL;
}
