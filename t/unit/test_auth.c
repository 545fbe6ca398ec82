/* test_auth.c: Argon2id password hashes, the rules for account fields, and random tokens. */
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "auth.h"
#include "../tap.h"

/* n copies of c (caller frees). */
static char *
repeat(char c, size_t n)
{
	char *s = malloc(n + 1);

	if (s == NULL)
		abort();
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void
test_hashes(void)
{
	struct hash_gate *g = hash_gate_new(1);
	char h1[AUTH_HASH_MAX], h2[AUTH_HASH_MAX], weak[AUTH_HASH_MAX];
	char *s;

	is_int(auth_hash_password(g, "correct horse battery", h1), 0, "hash: a password is hashed");
	ok(strncmp(h1, "$argon2id$", 10) == 0, "hash: ... with Argon2id (%.30s...)", h1);
	ok(strstr(h1, "correct horse") == NULL, "hash: ... which does not hold the password");
	is_int(auth_verify_password(g, h1, "correct horse battery"), AUTH_MATCH, "verify: the right password matches");
	is_int(auth_verify_password(g, h1, "correct horse batterY"), AUTH_NO_MATCH, "verify: one letter off does not");
	is_int(auth_verify_password(g, h1, "correct horse battery "), AUTH_NO_MATCH, "verify: a trailing space does not");
	is_int(auth_verify_password(g, h1, ""), AUTH_NO_MATCH, "verify: the empty password does not");

	is_int(auth_hash_password(g, "correct horse battery", h2), 0, "hash: the same password again");
	ok(strcmp(h1, h2) != 0, "hash: ... gives another hash (a salt of its own)");
	is_int(auth_verify_password(g, h2, "correct horse battery"), AUTH_MATCH, "verify: ... which matches too");

	is_int(auth_hash_password(g, "p\xc3\xa4ssw\xc3\xb6rd", h2), 0, "hash: a UTF-8 password");
	is_int(auth_verify_password(g, h2, "p\xc3\xa4ssw\xc3\xb6rd"), AUTH_MATCH, "verify: ... matches byte for byte");
	is_int(auth_verify_password(g, h2, "passwort"), AUTH_NO_MATCH, "verify: ... and not without its accents");

	/* A hash made with weaker parameters than today's: right, but to be redone. */
	if (crypto_pwhash_str(weak, "old password", 12, crypto_pwhash_OPSLIMIT_MIN,
	    crypto_pwhash_MEMLIMIT_MIN) != 0)
		abort();
	is_int(auth_verify_password(g, weak, "old password"), AUTH_MATCH_REHASH,
	    "verify: an older, weaker hash matches and asks to be rehashed");
	is_int(auth_verify_password(g, weak, "old passwort"), AUTH_NO_MATCH, "verify: ... and refuses a wrong password");

	/* Stored hashes that are not ours never match, whatever is typed. */
	is_int(auth_verify_password(g, "$2b$10$abcdefghijklmnopqrstuuJ3cq5K2H0gBfVvXgS7nY1wHJjS0m2G6", "x"),
	    AUTH_NO_MATCH, "verify: a bcrypt hash never matches");
	is_int(auth_verify_password(g, "", ""), AUTH_NO_MATCH, "verify: an empty stored hash never matches");
	is_int(auth_verify_password(g, "correct horse battery", "correct horse battery"), AUTH_NO_MATCH,
	    "verify: a password stored in clear never matches itself");
	h1[40] = '\0';
	is_int(auth_verify_password(g, h1, "correct horse battery"), AUTH_NO_MATCH,
	    "verify: a cut-off hash does not match");
	s = repeat('a', AUTH_HASH_MAX + 10);
	memcpy(s, "$argon2id$", 10);
	is_int(auth_verify_password(g, s, "x"), AUTH_NO_MATCH, "verify: an overlong stored hash does not match");
	free(s);

	/* The gate hands its slot back: with one slot, a leak would stall the next hash for 30 s. */
	auth_burn_time(g, "anything");
	auth_burn_time(g, "anything else");
	is_int(auth_hash_password(g, "after burning", h1), 0, "gate: after auth_burn_time, its one slot is free again");
	hash_gate_free(g);

	g = hash_gate_new(0);
	is_int(auth_hash_password(g, "zero slots", h1), 0, "gate: a gate of 0 slots still lets one hash run");
	hash_gate_free(g);
	hash_gate_free(NULL);
}

static void
test_passwords(void)
{
	char *s;

	is_str(auth_password_problem("1234567"), "The password must be at least 8 characters long.",
	    "password: 7 characters are too few");
	ok(auth_password_problem("12345678") == NULL, "password: 8 are enough");
	ok(auth_password_problem("\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9") == NULL,
	    "password: the minimum counts bytes (4 accented letters are 8)");
	s = repeat('p', AUTH_PASSWORD_MAX);
	ok(auth_password_problem(s) == NULL, "password: 1024 bytes are allowed");
	free(s);
	s = repeat('p', AUTH_PASSWORD_MAX + 1);
	is_str(auth_password_problem(s), "The password must be at most 1024 bytes long.", "password: 1025 are not");
	free(s);
}

static void
test_emails(void)
{
	static const char bad[] = "Enter a valid email address, like name@example.com.";
	static const char *const good[] = {
		"ann@example.com", "Ann.Lee+tag@mail.example.co.uk", "a@b.io", "o'brien@example.ie",
	};
	static const char *const wrong[] = {
		"ann", "ann@", "@example.com", "ann@@example.com", "a@b@example.com", "ann@localhost",
		"ann@example.com.", "ann@.example.com", "ann@example..com", "ann@-example.com",
		".ann@example.com", "ann.@example.com", "an..n@example.com", "ann lee@example.com",
		"ann@exam ple.com", "<ann>@example.com", "ann@example.com\n", "\"ann\"@example.com",
		"ann\x7f@example.com", "ann;drop@example.com",
	};
	char *s;

	is_str(auth_email_problem(""), "Email is required.", "email: empty is required");
	for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
		ok(auth_email_problem(good[i]) == NULL, "email: %s is valid", good[i]);
	for (size_t i = 0; i < sizeof wrong / sizeof wrong[0]; i++)
		is_str(auth_email_problem(wrong[i]), bad, "email: refused: wrong[%zu]", i);

	/* 64 characters before the @ are allowed, 65 are not. */
	s = repeat('a', 64 + strlen("@example.com"));
	memcpy(s + 64, "@example.com", strlen("@example.com"));
	ok(auth_email_problem(s) == NULL, "email: a local part of 64 characters is valid");
	free(s);
	s = repeat('a', 65 + strlen("@example.com"));
	memcpy(s + 65, "@example.com", strlen("@example.com"));
	is_str(auth_email_problem(s), bad, "email: 65 are not");
	free(s);

	/* 254 characters in all are allowed, 255 are not. */
	s = repeat('d', AUTH_EMAIL_MAX);
	memcpy(s, "ann@", 4);
	memcpy(s + AUTH_EMAIL_MAX - 4, ".com", 4);
	ok(auth_email_problem(s) == NULL, "email: 254 characters are allowed");
	free(s);
	s = repeat('d', AUTH_EMAIL_MAX + 1);
	memcpy(s, "ann@", 4);
	memcpy(s + AUTH_EMAIL_MAX + 1 - 4, ".com", 4);
	is_str(auth_email_problem(s), "The email address must be at most 254 characters long.",
	    "email: 255 are not, and the message says why");
	free(s);

	ok(auth_login_is_email("ann@example.com"), "login: with an @ it is an email");
	ok(!auth_login_is_email("ann"), "login: without one, a username");
}

static void
test_usernames(void)
{
	static const char length[] = "The username must be 2 to 64 characters long.";
	static const char chars[] = "The username may use only letters, digits, dots, dashes and underscores.";
	static const char start[] = "The username must start with a letter or a digit.";
	char *s;

	ok(auth_username_problem("ann") == NULL, "username: ann is fine");
	ok(auth_username_problem("Ann.Lee_2-x") == NULL, "username: letters, digits, . _ - are fine");
	ok(auth_username_problem("7of9") == NULL, "username: it may start with a digit");
	is_str(auth_username_problem("a"), length, "username: 1 character is too short");
	ok(auth_username_problem("ab") == NULL, "username: 2 are enough");
	s = repeat('u', AUTH_USERNAME_MAX);
	ok(auth_username_problem(s) == NULL, "username: 64 are allowed");
	free(s);
	s = repeat('u', AUTH_USERNAME_MAX + 1);
	is_str(auth_username_problem(s), length, "username: 65 are not");
	free(s);
	is_str(auth_username_problem("ann lee"), chars, "username: no spaces");
	is_str(auth_username_problem("ann@x"), chars, "username: no @ (it would read as an email)");
	is_str(auth_username_problem("j\xc3\xb6rg"), chars, "username: ASCII only");
	is_str(auth_username_problem("_ann"), start, "username: not starting with _");
	is_str(auth_username_problem(".ann"), start, "username: not starting with .");
	is_str(auth_username_problem("-ann"), start, "username: not starting with -");
}

static void
test_tokens(void)
{
	char a[4 + 65], b[4 + 65], bare[65];

	auth_random_token("pat_", a, sizeof a);
	auth_random_token("pat_", b, sizeof b);
	ok(strncmp(a, "pat_", 4) == 0, "token: starts with its prefix");
	is_int(strlen(a), 4 + 64, "token: ... then 64 characters");
	is_int(strspn(a + 4, "0123456789abcdef"), 64, "token: ... all lower-case hex (32 random bytes)");
	ok(strcmp(a, b) != 0, "token: two tokens differ");
	auth_random_token("", bare, sizeof bare);
	is_int(strlen(bare), 64, "token: without a prefix, the 64 hex digits alone");
}

int
main(void)
{
	if (sodium_init() < 0) {
		puts("Bail out! libsodium cannot start");
		return 1;
	}
	test_hashes();
	test_passwords();
	test_emails();
	test_usernames();
	test_tokens();
	return done_testing();
}
