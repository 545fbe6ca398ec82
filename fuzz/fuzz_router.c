/* fuzz_router.c: libFuzzer harness for path matching, over the real route table and a table of edge cases. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "router.h"
#include "routes.h"

#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
nop(struct req *r)
{
	(void)r;
}

/* Patterns a careless table could hold: too many or too long parameters, no leading slash, odd braces. */
static const struct route edge_routes[] = {
	{ "GET",	"/",				nop, 0 },
	{ "GET",	"/{a}/{b}/{c}/{d}",		nop, 0 },
	{ "GET",	"/{a}/{b}/{c}/{d}/{e}",		nop, 0 },
	{ "POST",	"/{name_of_exactly_thirty_one_char}",	nop, 0 },
	{ "POST",	"/{name_of_exactly_thirty_two_chars}/x",	nop, 0 },
	{ "GET",	"no-slash",			nop, 0 },
	{ "GET",	"/x/{}",			nop, 0 },
	{ "GET",	"/x/{",				nop, 0 },
	{ "GET",	"/x/}",				nop, 0 },
	{ "GET",	"/x/{y}z",			nop, 0 },
	{ "DELETE",	"/x/{id}",			nop, 0 },
	{ "PATCH",	"/x/{id}",			nop, 0 },
	{ "GET",	"/x/{id}/",			nop, 0 },
	{ "GET",	"/x//y",			nop, 0 },
	{ "M01",	"/m",				nop, 0 },
	{ "M02",	"/m",				nop, 0 },
	{ "M03",	"/m",				nop, 0 },
	{ "M04",	"/m",				nop, 0 },
	{ "M05",	"/m",				nop, 0 },
	{ "M06",	"/m",				nop, 0 },
	{ "M07",	"/m",				nop, 0 },
	{ "M08",	"/m",				nop, 0 },
	{ "M09",	"/m",				nop, 0 },
	{ "M10",	"/m",				nop, 0 },
	{ "M11",	"/m",				nop, 0 },
	{ "M12",	"/m",				nop, 0 },
	{ "M13",	"/m",				nop, 0 },
	{ "M14",	"/m",				nop, 0 },
	{ "M15",	"/m",				nop, 0 },
	{ "GET",	"/m",				nop, 0 },
	{ "M17",	"/m",				nop, 0 },
	{ "M18",	"/m",				nop, 0 },
};

static const char *const methods[] = {
	"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "get", "",
	"M17", "BREW",
};

/* Parameters a match of pat fills: segments "{name}" with a non-empty name. */
static size_t
nparams(const char *pat)
{
	const char *seg = pat, *e;
	size_t n = 0, len;

	while (*seg != '\0') {
		if (*seg == '/')
			seg++;
		if ((e = strchr(seg, '/')) == NULL)
			e = seg + strlen(seg);
		len = (size_t)(e - seg);
		if (len >= 3 && seg[0] == '{' && seg[len - 1] == '}')
			n++;
		seg = e;
	}
	return n;
}

static bool
method_ok(const char *route_method, const char *m)
{
	return strcmp(route_method, m) == 0 ||
	    (strcmp(m, "HEAD") == 0 && strcmp(route_method, "GET") == 0);
}

/* Paths the router must refuse whatever the table: "//", "/./", "/../", no leading slash. */
static bool
path_hostile(const char *p)
{
	size_t n = strlen(p);

	if (p[0] != '/')
		return true;
	if (n > 1 && strstr(p, "//") != NULL)
		return true;
	if (strstr(p, "/./") || strstr(p, "/../"))
		return true;
	if ((n >= 2 && strcmp(p + n - 2, "/.") == 0) ||
	    (n >= 3 && strcmp(p + n - 3, "/..") == 0))
		return true;
	return false;
}

static void
check(const struct route *table, size_t ntable, const char *method,
    const char *path, size_t allowlen)
{
	const struct route *out = (const struct route *)1;
	struct route_params params;
	char allow[128];
	int rc;
	size_t i;

	memset(allow, 'X', sizeof allow);
	memset(&params, 0xA5, sizeof params);	/* router_match must not read what it was given */
	rc = router_match(table, ntable, method, path, &out, &params, allow, allowlen);
	FUZZ_CHECK(rc == 200 || rc == 400 || rc == 404 || rc == 405);
	if (allowlen > 0) {
		FUZZ_CHECK(strnlen(allow, allowlen) < allowlen);
		if (allowlen < sizeof allow)
			FUZZ_CHECK(allow[allowlen] == 'X');
	}
	if (path_hostile(path))
		FUZZ_CHECK(rc == 404);
	switch (rc) {
	case 404:
		FUZZ_CHECK(out == NULL);
		FUZZ_CHECK(params.n == 0);
		break;
	case 400:
		FUZZ_CHECK(out != NULL);
		FUZZ_CHECK(method_ok(out->method, method));
		break;
	case 405:
		FUZZ_CHECK(out != NULL);
		FUZZ_CHECK(!method_ok(out->method, method));
		FUZZ_CHECK(params.n == 0);
		if (allowlen >= sizeof allow) {
			FUZZ_CHECK(allow[0] != '\0');
			/* The refused method is never offered. */
			for (const char *a = allow; *a != '\0';) {
				size_t k = strcspn(a, ",");

				FUZZ_CHECK(k != strlen(method) ||
				    memcmp(a, method, k) != 0);
				a += k;
				while (*a == ',' || *a == ' ')
					a++;
			}
		}
		break;
	case 200:
		FUZZ_CHECK(out != NULL);
		FUZZ_CHECK(out >= table && out < table + ntable);
		FUZZ_CHECK(method_ok(out->method, method));
		FUZZ_CHECK(params.n == nparams(out->pattern));
		FUZZ_CHECK(params.n <= ROUTE_MAX_PARAMS);
		for (i = 0; i < params.n; i++) {
			const char *v = params.value[i];

			FUZZ_CHECK(v != NULL && v[0] != '\0');
			FUZZ_CHECK(utf8_valid(v, strlen(v)));
			FUZZ_CHECK(strlen(params.name[i]) > 0);
			FUZZ_CHECK(route_param(&params, params.name[i]) != NULL);
		}
		break;
	}
	route_params_free(&params);
	route_params_free(&params);	/* idempotent */
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *method;
	size_t allowlen;
	char *path;
	uint8_t b0 = fuzz_byte(&data, &size), b1 = fuzz_byte(&data, &size);

	method = methods[b0 % (sizeof methods / sizeof methods[0])];
	allowlen = b1 % 2 ? 128 : (size_t)(b1 >> 1) % 64;
	path = fuzz_cstr(data, size);
	check(routes, nroutes, method, path, allowlen);
	check(edge_routes, sizeof edge_routes / sizeof edge_routes[0], method, path, allowlen);
	free(path);
	return 0;
}
