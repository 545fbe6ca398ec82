/* req.h: one request as handlers see it, and the per-thread and per-process context. */
#ifndef PARLEY_REQ_H
#define PARLEY_REQ_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "buf.h"
#include "parse.h"
#include "router.h"

struct config;
struct db;
struct tmpl_set;
struct json_object;
struct FCGX_Request;
struct prefetch_seen;

/* Per worker process; immutable once the threads run. */
struct app {
	const struct config	*cfg;
	const struct tmpl_set	*tmpl;
	/* Bounds the Argon2id hashes running at once in this process (64 MiB each). */
	struct hash_gate	*hash_gate;
};

/* Per thread; a request is served by exactly one thread, start to end. */
struct worker {
	int			 index;
	const struct app	*app;
	struct db		*db;		/* this thread's database handle: it borrows a pooled connection per request (db.h) */
	void			*curl;		/* this thread's CURL handle, made by the model client */
	struct buf		 out;		/* response body scratch, reused between requests */
	struct buf		 hdr;		/* response header scratch, reused between requests */
	struct buf		 page;		/* a page's HTML before the layout wraps it, reused */
	struct prefetch_seen	*seen;		/* whose recent credentials were (prefetch.h) */
};

/* The signed-in person, loaded from the session cookie or an API token. */
struct user {
	char	 id[37];
	char	*email;
	char	*username;	/* NULL when none */
	char	*name;
	char	*created_at;
};

struct req {
	struct worker		*w;
	const struct config	*cfg;
	struct FCGX_Request	*fcgx;

	/* Input, valid for the whole request. */
	const char		*method;	/* "GET", "POST", ... ("HEAD" answers as GET) */
	char			*path;		/* raw path, without the query string; owned */
	const char		*query_string;
	const char		*remote_addr;
	const char		*user_agent;
	const char		*accept;
	char			 media_type[64];	/* of the body, lowercased, no parameters */
	char			 request_id[65];
	struct kvlist		 query;		/* decoded query parameters */
	struct kvlist		 form;		/* decoded urlencoded body */
	struct kvlist		 cookies;
	struct json_object	*json;		/* the JSON body, or NULL; owned */
	char			*body;		/* raw body, NUL-terminated; owned; NULL when none */
	size_t			 body_len;
	const struct route	*route;
	struct route_params	 params;

	/* Who is asking (set before the handler runs). */
	struct user		*user;		/* NULL when nobody is signed in */
	char			 session_hash[65];	/* hex hash of the session token; "" when none */
	char			 csrf_token[65];	/* for forms and the X-CSRF-Token header */
	bool			 via_bearer;	/* authenticated with an API token: no cookie, no CSRF */

	/* Output state (response.c). */
	int			 status;	/* 0 until the head is written */
	bool			 head_sent;
	bool			 streaming;
	bool			 client_gone;	/* a write to nginx failed */
	struct timespec		 started;
};

/* A request parameter from the path ("{id}"); NULL when the route has none by that name. */
static inline const char *
req_param(const struct req *r, const char *name)
{
	return route_param(&r->params, name);
}

/* True for an API route (JSON errors) or a client that asked for JSON. */
bool	 req_wants_json(const struct req *r);
/* A header from the request by its CGI name ("HTTP_X_CSRF_TOKEN"), or NULL. */
const char *req_env(const struct req *r, const char *name);
/* A form field (urlencoded body), or NULL. */
const char *req_form(const struct req *r, const char *name);
/* A query parameter, or NULL. */
const char *req_query(const struct req *r, const char *name);
/* A query parameter, NULL when absent or empty. */
const char *req_query_set(const struct req *r, const char *name);

#endif
