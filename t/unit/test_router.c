/* test_router.c: unit tests for path matching, parameters, 404, 405 with Allow, and 400 on bad parameters. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router.h"
#include "../tap.h"

static void
h_none(struct req *r)
{
	(void)r;
}

/* Shaped like the real table: pages, API, literals beside parameters. */
static const struct route routes[] = {
	{ "GET",	"/",						h_none, 0, NULL },
	{ "GET",	"/healthz",					h_none, RF_NODB, NULL },
	{ "GET",	"/tasks",					h_none, RF_LOGIN, NULL },
	{ "POST",	"/tasks",					h_none, RF_LOGIN, NULL },
	{ "POST",	"/tasks/{id}/delete",				h_none, RF_LOGIN, NULL },
	{ "POST",	"/logout",					h_none, RF_LOGIN, NULL },
	{ "GET",	"/chat/{id}",					h_none, RF_LOGIN, NULL },
	{ "POST",	"/chat/{id}",					h_none, RF_LOGIN, NULL },
	{ "GET",	"/proposals/{id}/export.md",			h_none, RF_LOGIN, NULL },
	{ "GET",	"/api/v1/tasks",				h_none, RF_API | RF_LOGIN, NULL },
	{ "POST",	"/api/v1/tasks",				h_none, RF_API | RF_LOGIN, NULL },
	{ "GET",	"/api/v1/tasks/stats",				h_none, RF_API | RF_LOGIN, NULL },
	{ "GET",	"/api/v1/tasks/{id}",				h_none, RF_API | RF_LOGIN, NULL },
	{ "PATCH",	"/api/v1/tasks/{id}",				h_none, RF_API | RF_LOGIN, NULL },
	{ "DELETE",	"/api/v1/tasks/{id}",				h_none, RF_API | RF_LOGIN, NULL },
	{ "GET",	"/api/v1/conversations/{id}/messages/{mid}/events", h_none, RF_API | RF_LOGIN, NULL },
	{ "POST",	"/api/v1/conversations/{id}/messages/{mid}/stop", h_none, RF_API | RF_LOGIN, NULL },
	{ "GET",	"/api/v1/proposals/{id}/sections/{name}",	h_none, RF_API | RF_LOGIN, NULL },
	{ "PUT",	"/api/v1/proposals/{id}/sections/{name}",	h_none, RF_API | RF_LOGIN, NULL },
	{ "POST",	"/api/v1/auth/login",				h_none, RF_API | RF_NOCSRF, NULL },
};
#define NROUTES	(sizeof routes / sizeof routes[0])

enum {
	R_ROOT, R_HEALTHZ, R_TASKS, R_TASKS_POST, R_TASK_DELETE, R_LOGOUT, R_CHAT,
	R_CHAT_POST, R_EXPORT, R_API_TASKS, R_API_TASKS_POST, R_API_STATS, R_API_TASK,
	R_API_TASK_PATCH, R_API_TASK_DELETE, R_EVENTS, R_STOP, R_SECTION, R_SECTION_PUT,
	R_LOGIN,
};

struct result {
	int			 status;
	const struct route	*route;
	struct route_params	 params;
	char			 allow[64];
};

static void
match(struct result *r, const char *method, const char *path)
{
	memset(r, 0xa5, sizeof *r);	/* garbage in: router_match must set everything */
	r->status = router_match(routes, NROUTES, method, path, &r->route, &r->params,
	    r->allow, sizeof r->allow);
}

/* Expects a 200 on route index want. */
static void
match_ok(const char *method, const char *path, int want, const char *desc)
{
	struct result r;

	match(&r, method, path);
	is_int(r.status, 200, "%s %s: %s", method, path, desc);
	ok(r.route == &routes[want], "%s %s: the right route", method, path);
	route_params_free(&r.params);
}

static void
match_404(const char *method, const char *path, const char *desc)
{
	const char *shown = path != NULL ? path : "(null)";
	struct result r;

	match(&r, method, path);
	is_int(r.status, 404, "%s %s: 404, %s", method, shown, desc);
	ok(r.route == NULL && r.params.n == 0 && r.allow[0] == '\0',
	    "%s %s: no route, no params, no Allow", method, shown);
	route_params_free(&r.params);
}

static void
match_405(const char *method, const char *path, const char *allow, const char *desc)
{
	struct result r;

	match(&r, method, path);
	is_int(r.status, 405, "%s %s: 405, %s", method, path, desc);
	is_str(r.allow, allow, "%s %s: Allow lists the methods", method, path);
	ok(r.route != NULL && r.params.n == 0, "%s %s: a route for the error format, no params",
	    method, path);
	route_params_free(&r.params);
}

static void
match_400(const char *path, const char *desc)
{
	struct result r;

	match(&r, "GET", path);
	is_int(r.status, 400, "GET %s: 400, %s", path, desc);
	ok(r.route == &routes[R_CHAT], "GET %s: the route, for the error format", path);
	is_int(r.params.n, 0, "GET %s: no params kept", path);
	route_params_free(&r.params);
}

static void
test_static(void)
{
	match_ok("GET", "/", R_ROOT, "root");
	match_ok("GET", "/healthz", R_HEALTHZ, "static route");
	match_ok("GET", "/tasks", R_TASKS, "GET of a path with two methods");
	match_ok("POST", "/tasks", R_TASKS_POST, "POST of a path with two methods");
	match_ok("POST", "/logout", R_LOGOUT, "POST-only route");
	match_ok("GET", "/api/v1/tasks", R_API_TASKS, "API list");
	match_ok("POST", "/api/v1/auth/login", R_LOGIN, "API login");
	match_ok("GET", "/api/v1/tasks/stats", R_API_STATS, "a literal before a parameter wins");
	match_ok("GET", "/proposals/p1/export.md", R_EXPORT, "literal with a dot after a parameter");
}

static void
test_head(void)
{
	match_ok("HEAD", "/healthz", R_HEALTHZ, "HEAD matches GET");
	match_ok("HEAD", "/tasks", R_TASKS, "HEAD takes the GET route");
	match_ok("HEAD", "/chat/abc", R_CHAT, "HEAD matches a GET route with a parameter");
	match_405("HEAD", "/logout", "POST", "HEAD of a POST-only route");
}

static void
test_404(void)
{
	match_404("GET", "/nope", "unknown path");
	match_404("GET", "/Tasks", "paths are case-sensitive");
	match_404("GET", "/tasks/", "trailing slash is another path");
	match_404("GET", "/healthz/", "trailing slash on a static route");
	match_404("GET", "/chat/", "an empty segment does not fill a parameter");
	match_404("GET", "/chat/abc/", "trailing slash after a parameter");
	match_404("GET", "/chat", "missing parameter");
	match_404("GET", "/chat/a/b", "a parameter is one segment");
	match_404("GET", "//tasks", "double slash at the start");
	match_404("GET", "/api//v1/tasks", "double slash inside");
	match_404("GET", "/api/v1/conversations/c1/messages//stop", "empty parameter between slashes");
	match_404("GET", "/chat/..", "a .. segment");
	match_404("GET", "/chat/.", "a . segment");
	match_404("GET", "/api/v1/../v1/tasks", "a .. segment in the middle");
	match_404("GET", "/./tasks", "a . segment at the start");
	match_404("GET", "/proposals/p1/export.mdx", "a longer literal");
	match_404("GET", "/proposals/p1/export.m", "a shorter literal");
	match_404("GET", "/t%61sks", "literal segments are not decoded");
	match_404("GET", "/tasks?x=1", "the query string is the caller's to strip");
	match_404("GET", "tasks", "no leading slash");
	match_404("GET", "", "empty path");
	match_404("GET", NULL, "no path");
	match_404("DELETE", "/nope", "unknown path, any method");
}

static void
test_405(void)
{
	match_405("DELETE", "/tasks", "GET, HEAD, POST", "HEAD added after GET");
	match_405("PUT", "/logout", "POST", "no HEAD without GET");
	match_405("GET", "/logout", "POST", "GET of a POST-only route");
	match_405("POST", "/api/v1/tasks/t1", "GET, HEAD, PATCH, DELETE", "table order kept");
	match_405("GET", "/api/v1/conversations/c1/messages/m1/stop", "POST", "multi-parameter route");
	match_405("DELETE", "/chat/abc", "GET, HEAD, POST", "parameter route");
	match_405("get", "/tasks", "GET, HEAD, POST", "methods are case-sensitive");
	match_405("OPTIONS", "/healthz", "GET, HEAD", "OPTIONS");
	match_405("PATCH", "/api/v1/proposals/p/sections/timeline", "GET, HEAD, PUT", "two parameters");
	match_405("DELETE", "/chat/%zz", "GET, HEAD, POST", "the method is checked before the encoding");
}

static void
test_params(void)
{
	struct result r;

	match(&r, "GET", "/chat/abc");
	is_int(r.status, 200, "param: /chat/abc matches");
	is_int(r.params.n, 1, "param: one parameter");
	is_str(r.params.name[0], "id", "param: named id");
	is_str(route_param(&r.params, "id"), "abc", "param: id is abc");
	ok(route_param(&r.params, "mid") == NULL, "param: an absent name is NULL");
	ok(route_param(NULL, "id") == NULL, "param: NULL params is NULL");
	route_params_free(&r.params);
	is_int(r.params.n, 0, "param: freed params are empty");
	ok(r.params.value[0] == NULL, "param: freed values are NULL");
	route_params_free(&r.params);
	ok(1, "param: freeing twice is safe");
	route_params_free(NULL);
	ok(1, "param: freeing NULL is safe");

	match(&r, "POST", "/chat/caf%C3%A9%20au%20lait");
	is_int(r.status, 200, "param: percent-encoded parameter matches");
	ok(r.route == &routes[R_CHAT_POST], "param: POST route");
	is_str(route_param(&r.params, "id"), "caf\xc3\xa9 au lait", "param: value percent-decoded");
	route_params_free(&r.params);

	match(&r, "GET", "/chat/a+b");
	is_str(route_param(&r.params, "id"), "a+b", "param: plus is not a space in paths");
	route_params_free(&r.params);

	match(&r, "GET", "/chat/a%2Fb");
	is_int(r.status, 200, "param: an encoded slash stays inside the segment");
	is_str(route_param(&r.params, "id"), "a/b", "param: encoded slash decoded in the value");
	route_params_free(&r.params);

	match(&r, "GET", "/chat/...");
	is_str(route_param(&r.params, "id"), "...", "param: three dots are a name, not a dot segment");
	route_params_free(&r.params);

	match(&r, "GET", "/api/v1/conversations/0b1c/messages/77e2/events");
	is_int(r.status, 200, "params: multi-parameter GET");
	ok(r.route == &routes[R_EVENTS], "params: events route");
	is_int(r.params.n, 2, "params: two parameters");
	is_str(r.params.name[0], "id", "params: first name id");
	is_str(r.params.name[1], "mid", "params: second name mid");
	is_str(route_param(&r.params, "id"), "0b1c", "params: id");
	is_str(route_param(&r.params, "mid"), "77e2", "params: mid");
	route_params_free(&r.params);

	match(&r, "POST", "/api/v1/conversations/c%2D1/messages/m%5F2/stop");
	is_int(r.status, 200, "params: /api/v1/conversations/{id}/messages/{mid}/stop");
	ok(r.route == &routes[R_STOP], "params: stop route");
	is_str(route_param(&r.params, "id"), "c-1", "params: id decoded");
	is_str(route_param(&r.params, "mid"), "m_2", "params: mid decoded");
	route_params_free(&r.params);

	match(&r, "PUT", "/api/v1/proposals/p9/sections/next_steps");
	ok(r.status == 200 && r.route == &routes[R_SECTION_PUT], "params: PUT section");
	is_str(route_param(&r.params, "name"), "next_steps", "params: section name");
	route_params_free(&r.params);

	match(&r, "DELETE", "/api/v1/tasks/stats");
	ok(r.status == 200 && r.route == &routes[R_API_TASK_DELETE],
	    "params: a literal route for another method does not hide a parameter route");
	is_str(route_param(&r.params, "id"), "stats", "params: the literal text is the parameter");
	route_params_free(&r.params);
}

static void
test_400(void)
{
	match_400("/chat/%zz", "malformed escape");
	match_400("/chat/ab%4", "escape cut short");
	match_400("/chat/%", "lone percent");
	match_400("/chat/%FF", "decodes to invalid UTF-8");
	match_400("/chat/%C0%AF", "decodes to an overlong");
	match_400("/chat/%ED%A0%80", "decodes to a surrogate");
	match_400("/chat/\xff", "raw invalid UTF-8");
	match_400("/chat/a%00b", "decodes to a NUL");
}

static void
test_allow_buffer(void)
{
	const struct route *rt;
	struct route_params p;
	char small[16];
	int st;

	memset(small, 'x', sizeof small);
	st = router_match(routes, NROUTES, "DELETE", "/tasks", &rt, &p, small, 10);
	is_int(st, 405, "allow: 405 with a small buffer");
	is_str(small, "GET, HEAD", "allow: what fits, whole methods only (10 bytes)");
	memset(small, 'x', sizeof small);
	st = router_match(routes, NROUTES, "DELETE", "/tasks", &rt, &p, small, 9);
	is_str(small, "GET", "allow: a method that does not fit is left out (9 bytes)");
	memset(small, 'x', sizeof small);
	st = router_match(routes, NROUTES, "DELETE", "/tasks", &rt, &p, small, 3);
	is_str(small, "", "allow: nothing fits in 3 bytes");
	is_int(small[3], 'x', "allow: nothing written past the buffer");
	st = router_match(routes, NROUTES, "DELETE", "/tasks", &rt, &p, small, 0);
	is_int(st, 405, "allow: zero-length buffer still 405");
	st = router_match(routes, NROUTES, "DELETE", "/tasks", &rt, &p, NULL, 0);
	is_int(st, 405, "allow: NULL buffer still 405");
	route_params_free(&p);
}

static void
test_tables(void)
{
	static const struct route dup[] = {
		{ "GET",	"/x",	h_none, 0, NULL },
		{ "POST",	"/x",	h_none, 0, NULL },
		{ "GET",	"/x",	h_none, 0, NULL },
		{ "POST",	"/{a}",	h_none, 0, NULL },
		{ "DELETE",	"/y",	h_none, 0, NULL },
	};
	static const struct route names[] = {
		/* 31-byte name: the most the params struct holds. */
		{ "GET", "/a/{abcdefghijklmnopqrstuvwxyz01234}", h_none, 0, NULL },
		/* 32-byte name: a table error, so it matches nothing. */
		{ "GET", "/b/{abcdefghijklmnopqrstuvwxyz012345}", h_none, 0, NULL },
		{ "GET", "/c/{a}/{b}/{c}/{d}", h_none, 0, NULL },
		{ "GET", "/d/{a}/{b}/{c}/{d}/{e}", h_none, 0, NULL },
		{ "GET", "/e/{}", h_none, 0, NULL },
	};
	const struct route *rt;
	struct route_params p;
	char allow[64];
	int st;

	st = router_match(dup, 5, "PUT", "/x", &rt, &p, allow, sizeof allow);
	is_int(st, 405, "table: PUT on /x is 405");
	is_str(allow, "GET, HEAD, POST", "table: each method once, in table order");
	st = router_match(dup, 5, "GET", "/x", &rt, &p, allow, sizeof allow);
	ok(st == 200 && rt == &dup[0], "table: the first matching route wins");
	route_params_free(&p);
	st = router_match(dup, 0, "GET", "/x", &rt, &p, allow, sizeof allow);
	is_int(st, 404, "table: an empty table is 404");

	st = router_match(names, 5, "GET", "/a/v", &rt, &p, allow, sizeof allow);
	is_int(st, 200, "table: a 31-byte parameter name works");
	is_str(route_param(&p, "abcdefghijklmnopqrstuvwxyz01234"), "v", "table: 31-byte name found");
	route_params_free(&p);
	st = router_match(names, 5, "GET", "/b/v", &rt, &p, allow, sizeof allow);
	is_int(st, 404, "table: a 32-byte parameter name never matches");
	st = router_match(names, 5, "GET", "/c/1/2/3/4", &rt, &p, allow, sizeof allow);
	is_int(st, 200, "table: %d parameters work", ROUTE_MAX_PARAMS);
	ok(p.n == 4 && strcmp(route_param(&p, "d"), "4") == 0, "table: fourth parameter found");
	route_params_free(&p);
	st = router_match(names, 5, "GET", "/d/1/2/3/4/5", &rt, &p, allow, sizeof allow);
	is_int(st, 404, "table: more than %d parameters never match", ROUTE_MAX_PARAMS);
	st = router_match(names, 5, "GET", "/e/{}", &rt, &p, allow, sizeof allow);
	ok(st == 200 && p.n == 0, "table: \"{}\" is a literal segment");
	route_params_free(&p);
}

int
main(void)
{
	test_static();
	test_head();
	test_404();
	test_405();
	test_params();
	test_400();
	test_allow_buffer();
	test_tables();
	return done_testing();
}
