/* test_session.c: what session.c decides without a database: token hashes, the CSRF check,
 * and a signed-out visitor's CSRF cookie (bad session cookies and other kinds of
 * Authorization are ignored before any query). */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>
#include <sodium.h>

#include "buf.h"
#include "config.h"
#include "parse.h"
#include "req.h"
#include "session.h"
#include "../tap.h"

#define TOKEN_A	"0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define TOKEN_B	"fedcba9876543210fedcba9876543210fedcba9876543210fedcba9876543210"

/* One request as the worker makes it, with only what session.c reads. */
struct fake {
	struct req		 r;
	struct worker		 w;
	struct config		 cfg;
	FCGX_Request		 fcgx;
	char			*env[4];
};

/*
 * A request with the headers env (CGI "NAME=value" strings, at most three), the Cookie
 * header cookies (NULL: none) and the urlencoded body form (NULL: none).
 */
static void
fake_init(struct fake *f, const char *const *env, const char *cookies, const char *form)
{
	size_t i;

	memset(f, 0, sizeof *f);
	for (i = 0; env != NULL && env[i] != NULL && i < 3; i++)
		f->env[i] = (char *)env[i];
	f->env[i] = NULL;
	f->fcgx.envp = f->env;
	f->cfg.secure_cookies = true;
	buf_init(&f->w.hdr);
	f->r.w = &f->w;
	f->r.cfg = &f->cfg;
	f->r.fcgx = &f->fcgx;
	f->r.method = "GET";
	f->r.path = (char *)"/";
	kvlist_init(&f->r.cookies);
	kvlist_init(&f->r.form);
	if (cookies != NULL && parse_cookies(cookies, &f->r.cookies) != PARSE_OK)
		abort();
	if (form != NULL && parse_urlencoded(form, strlen(form), &f->r.form) != PARSE_OK)
		abort();
}

static void
fake_free(struct fake *f)
{
	kvlist_free(&f->r.cookies);
	kvlist_free(&f->r.form);
	buf_free(&f->w.hdr);
	session_user_free(f->r.user);
}

static void
test_hash(void)
{
	char h[65];

	session_hash_token("", h);
	is_str(h, "0e5751c026e543b2e8ab2eb06099daa1d1e5df47778f7787faab45cdf12fe3a8",
	    "hash: BLAKE2b-256 of the empty string, in hex");
	session_hash_token("abc", h);
	is_str(h, "bddd813c634239723171ef3fee98579b94964e3bb1cb3e427262c8c068d52319",
	    "hash: BLAKE2b-256 of abc (the stored form of a token)");
	session_hash_token(TOKEN_A, h);
	is_str(h, "3083e1ce982abd7f59235aa1ea3c97046562c75205d4dab8affd2f3600d79958",
	    "hash: of a token as a cookie carries it");
	ok(strcmp(h, TOKEN_A) != 0, "hash: the stored form is not the token");
}

/* session_csrf_ok for a request whose own token is mine, given headers and form. */
static bool
csrf_ok(const char *mine, const char *header, const char *form)
{
	const char *env[2] = { header, NULL };
	struct fake f;
	bool res;

	fake_init(&f, env, NULL, form);
	snprintf(f.r.csrf_token, sizeof f.r.csrf_token, "%s", mine);
	res = session_csrf_ok(&f.r);
	fake_free(&f);
	return res;
}

static void
test_csrf(void)
{
	ok(csrf_ok(TOKEN_A, "HTTP_X_CSRF_TOKEN=" TOKEN_A, NULL), "csrf: the right X-CSRF-Token header passes");
	ok(csrf_ok(TOKEN_A, NULL, "title=x&csrf_token=" TOKEN_A), "csrf: the right csrf_token field passes");
	ok(!csrf_ok(TOKEN_A, NULL, "title=x"), "csrf: no token at all fails");
	ok(!csrf_ok(TOKEN_A, "HTTP_X_CSRF_TOKEN=" TOKEN_B, NULL), "csrf: another token fails");
	ok(!csrf_ok(TOKEN_A, NULL, "csrf_token=" TOKEN_B), "csrf: another token in the form fails");
	ok(!csrf_ok(TOKEN_A, "HTTP_X_CSRF_TOKEN=" TOKEN_B, "csrf_token=" TOKEN_A),
	    "csrf: a wrong header fails even with the right field (the header is what counts)");
	ok(!csrf_ok(TOKEN_A, "HTTP_X_CSRF_TOKEN=0123456789abcdef", NULL), "csrf: a prefix of the token fails");
	ok(!csrf_ok(TOKEN_A, "HTTP_X_CSRF_TOKEN=" TOKEN_A "0", NULL), "csrf: the token and more fails");
	ok(!csrf_ok(TOKEN_A, "HTTP_X_CSRF_TOKEN=", NULL), "csrf: an empty header fails");
	ok(!csrf_ok(TOKEN_A, "HTTP_X_CSRF_TOKEN=0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF",
	    NULL), "csrf: the token in upper case fails (compared exactly)");
	ok(!csrf_ok("", "HTTP_X_CSRF_TOKEN=", "csrf_token="), "csrf: a request without a token of its own never passes");
}

/* The Set-Cookie lines a request queued, or "" (its headers are not sent in these tests). */
static const char *
queued(struct fake *f)
{
	return buf_cstr(&f->w.hdr);
}

static void
test_signed_out(void)
{
	static const char *const basic[] = { "HTTP_AUTHORIZATION=Basic YWxpY2U6c2VjcmV0", NULL };
	struct fake f;
	char first[65], want[200];

	/* A visitor's first request: a new CSRF token, kept in a cookie for the session. */
	fake_init(&f, NULL, NULL, NULL);
	is_int(session_load(&f.r), 0, "signed out: a first visit loads");
	ok(f.r.user == NULL, "signed out: ... nobody is signed in");
	is_int(strlen(f.r.csrf_token), 64, "signed out: ... a CSRF token of 64 characters");
	is_int(strspn(f.r.csrf_token, "0123456789abcdef"), 64, "signed out: ... in lower-case hex");
	snprintf(want, sizeof want, "Set-Cookie: parley_csrf=%s; Path=/; HttpOnly; SameSite=Lax; Secure\r\n",
	    f.r.csrf_token);
	is_str(queued(&f), want, "signed out: ... sent as a Secure, HttpOnly cookie for the browser session");
	snprintf(first, sizeof first, "%s", f.r.csrf_token);
	fake_free(&f);

	fake_init(&f, NULL, NULL, NULL);
	session_load(&f.r);
	ok(strcmp(f.r.csrf_token, first) != 0, "signed out: another visitor gets another token");
	fake_free(&f);

	/* Coming back: the cookie's token is used again, and not sent again. */
	fake_init(&f, NULL, "theme=dark; parley_csrf=" TOKEN_A, NULL);
	is_int(session_load(&f.r), 0, "signed out: a visit with a CSRF cookie loads");
	is_str(f.r.csrf_token, TOKEN_A, "signed out: ... and the cookie's token is the request's");
	is_str(queued(&f), "", "signed out: ... and no cookie is set again");
	fake_free(&f);

	/* A cookie that is not one of our tokens is replaced, not trusted. */
	fake_init(&f, NULL, "parley_csrf=0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF0123456789ABCDEF", NULL);
	session_load(&f.r);
	ok(strcmp(f.r.csrf_token, TOKEN_A) != 0 && strspn(f.r.csrf_token, "0123456789abcdef") == 64,
	    "signed out: an upper-case CSRF cookie is replaced by a new token");
	ok(strstr(queued(&f), "Set-Cookie: parley_csrf=") != NULL, "signed out: ... which is sent");
	fake_free(&f);
	fake_init(&f, NULL, "parley_csrf=abc", NULL);
	session_load(&f.r);
	ok(strcmp(f.r.csrf_token, "abc") != 0 && strlen(f.r.csrf_token) == 64,
	    "signed out: a short CSRF cookie is replaced");
	fake_free(&f);

	/* Session cookies that cannot be ours are ignored before any query (there is no database here). */
	fake_init(&f, NULL, "parley_session=not-a-token; parley_csrf=" TOKEN_A, NULL);
	is_int(session_load(&f.r), 0, "session: a malformed session cookie is ignored");
	ok(f.r.user == NULL && f.r.session_hash[0] == '\0', "session: ... nobody is signed in");
	is_str(f.r.csrf_token, TOKEN_A, "session: ... and the visitor's CSRF token still holds");
	fake_free(&f);
	fake_init(&f, NULL, "parley_session=" TOKEN_A "0", NULL);
	is_int(session_load(&f.r), 0, "session: a session cookie one character too long is ignored");
	ok(f.r.user == NULL, "session: ... nobody is signed in");
	fake_free(&f);

	/* Only Bearer is an API token: Basic credentials are not looked up. */
	fake_init(&f, basic, "parley_csrf=" TOKEN_B, NULL);
	is_int(session_load(&f.r), 0, "auth: an Authorization other than Bearer is ignored");
	ok(f.r.user == NULL && !f.r.via_bearer, "auth: ... nobody is signed in by it");
	is_str(f.r.csrf_token, TOKEN_B, "auth: ... and the request goes on as a visitor's");
	fake_free(&f);

	/* Without Secure cookies (plain HTTP in development), the cookie says so. */
	fake_init(&f, NULL, NULL, NULL);
	f.cfg.secure_cookies = false;
	session_load(&f.r);
	ok(strstr(queued(&f), "; Secure") == NULL && strstr(queued(&f), "HttpOnly") != NULL,
	    "signed out: with PARLEY_SECURE_COOKIES=0 the cookie is not marked Secure");
	fake_free(&f);

	session_user_free(NULL);
}

int
main(void)
{
	if (sodium_init() < 0) {
		puts("Bail out! libsodium cannot start");
		return 1;
	}
	test_hash();
	test_csrf();
	test_signed_out();
	return done_testing();
}
