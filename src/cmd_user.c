/* cmd_user.c: `parley user`: add, list, disable, enable accounts and set passwords.
 *
 * The same rules as the web forms apply (auth.c), so an operator cannot make
 * an account that could not sign in. Passwords come from standard input
 * (--password-stdin, for scripts), a prompt without echo on a terminal, or
 * are generated and printed once. */
#include "cmd_user.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <json-c/json.h>
#include <sodium.h>

#include "auth.h"
#include "config.h"
#include "db.h"
#include "users.h"
#include "form.h"
#include "xalloc.h"

static const char usage_text[] =
    "usage: parley user add --email EMAIL --name NAME [--username USERNAME] [--password-stdin]\n"
    "       parley user list [--json]\n"
    "       parley user disable EMAIL\n"
    "       parley user enable EMAIL\n"
    "       parley user passwd EMAIL [--password-stdin]\n"
    "  Without --password-stdin the password is asked for on a terminal, or else\n"
    "  generated and printed. Disabling an account ends its sessions and stops its\n"
    "  API tokens; passwd ends its sessions too.\n";

/* Room for the longest allowed password, a CR, an LF and the NUL. */
#define PW_BUF	(AUTH_PASSWORD_MAX + 4)

static int	usage_error(const char *, ...) __attribute__((format(printf, 1, 2)));
static int	fail(const char *, ...) __attribute__((format(printf, 1, 2)));

static int
usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("parley user: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	fputs(usage_text, stderr);
	return 2;
}

static int
fail(const char *fmt, ...)
{
	va_list ap;

	fputs("parley user: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n", stderr);
	return 1;
}

/* Reads one line from f into pw without its line end. 0, or -1 when too long or at EOF. */
static int
read_line(FILE *f, char pw[PW_BUF])
{
	size_t n;

	if (fgets(pw, PW_BUF, f) == NULL)
		return -1;
	n = strlen(pw);
	if (n > 0 && pw[n - 1] != '\n' && !feof(f))
		return -1;		/* longer than any allowed password */
	if (n > 0 && pw[n - 1] == '\n')
		pw[--n] = '\0';
	if (n > 0 && pw[n - 1] == '\r')
		pw[--n] = '\0';
	return 0;
}

/* Prompts on the terminal with echo off. 0, or -1. */
static int
prompt(const char *question, char pw[PW_BUF])
{
	struct termios old, quiet;
	int rc;

	fputs(question, stderr);
	fflush(stderr);
	if (tcgetattr(STDIN_FILENO, &old) == -1)
		return -1;
	quiet = old;
	quiet.c_lflag &= ~(tcflag_t)ECHO;
	quiet.c_lflag |= ECHONL;
	if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == -1)
		return -1;
	rc = read_line(stdin, pw);
	(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
	return rc;
}

/*
 * Gets a new password into pw: from stdin, a prompt (asked twice), or made
 * up (*generated set). 0, or 1 after saying what is wrong.
 */
static int
new_password(bool from_stdin, char pw[PW_BUF], bool *generated)
{
	char again[PW_BUF];
	const char *problem;
	unsigned char raw[18];

	*generated = false;
	if (from_stdin) {
		if (read_line(stdin, pw) == -1)
			return fail("no password on standard input, or one longer than %d bytes",
			    AUTH_PASSWORD_MAX);
	} else if (isatty(STDIN_FILENO)) {
		if (prompt("New password: ", pw) == -1 || prompt("Again: ", again) == -1)
			return fail("could not read a password from the terminal");
		if (strcmp(pw, again) != 0) {
			sodium_memzero(again, sizeof again);
			return fail("the two passwords differ");
		}
		sodium_memzero(again, sizeof again);
	} else {
		/* 144 random bits, 24 characters that survive copy and paste. */
		randombytes_buf(raw, sizeof raw);
		sodium_bin2base64(pw, PW_BUF, raw, sizeof raw,
		    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
		sodium_memzero(raw, sizeof raw);
		*generated = true;
	}
	if ((problem = auth_password_problem(pw)) != NULL)
		return fail("%s", problem);
	return 0;
}

/* Connects; NULL after saying why not. */
static struct db *
connect_db(const struct config *cfg)
{
	struct db *db = db_new(cfg->database_url, false);

	if (db_ensure(db) != DB_OK) {
		fail("cannot connect to the database: %s", db_errmsg(db));
		db_free(db);
		return NULL;
	}
	return db;
}

/* The value of option name at argv[*i] ("--name V" or "--name=V"), advancing *i; else NULL. */
static const char *
opt_value(int argc, char **argv, int *i, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n) != 0)
		return NULL;
	if (argv[*i][n] == '=')
		return argv[*i] + n + 1;
	if (argv[*i][n] == '\0' && *i + 1 < argc)
		return argv[++*i];
	return NULL;
}

static int
user_add(int argc, char **argv, const struct config *cfg)
{
	const char *email = NULL, *name = NULL, *username = NULL, *v, *problem;
	char pw[PW_BUF], hash[AUTH_HASH_MAX];
	struct json_object *user = NULL, *id;
	struct hash_gate *gate;
	struct db *db;
	bool from_stdin = false, generated;
	enum db_err e;
	int rc;

	for (int i = 2; i < argc; i++) {
		if ((v = opt_value(argc, argv, &i, "--email")) != NULL)
			email = v;
		else if ((v = opt_value(argc, argv, &i, "--name")) != NULL)
			name = v;
		else if ((v = opt_value(argc, argv, &i, "--username")) != NULL)
			username = v;
		else if (strcmp(argv[i], "--password-stdin") == 0)
			from_stdin = true;
		else
			return usage_error("add: unexpected argument %s", argv[i]);
	}
	if (email == NULL || name == NULL)
		return usage_error("add needs --email and --name");
	if ((problem = auth_email_problem(email)) != NULL)
		return fail("%s", problem);
	if (*name == '\0' || utf8_chars(name) > AUTH_NAME_MAX)
		return fail("the name must be 1 to %d characters long", AUTH_NAME_MAX);
	if (username != NULL && *username == '\0')
		username = NULL;
	if (username != NULL && (problem = auth_username_problem(username)) != NULL)
		return fail("%s", problem);
	if ((rc = new_password(from_stdin, pw, &generated)) != 0)
		return rc;
	if ((db = connect_db(cfg)) == NULL)
		return 1;
	gate = hash_gate_new(1);
	if (auth_hash_password(gate, pw, hash) == -1) {
		rc = fail("could not hash the password (out of memory?)");
		goto out;
	}
	e = users_create(db, email, username, name, hash, &user);
	if (e == DB_CONFLICT) {
		rc = fail(strcmp(db_constraint(db), "users_username_key") == 0 ?
		    "the username %s is already taken" : "an account with the email %s already exists",
		    strcmp(db_constraint(db), "users_username_key") == 0 ? username : email);
		goto out;
	}
	if (e == DB_INVALID) {
		rc = fail("the database refused the account: %s", db_errmsg(db));
		goto out;
	}
	if (e != DB_OK) {
		rc = fail("could not add the account: %s", db_errmsg(db));
		goto out;
	}
	json_object_object_get_ex(user, "id", &id);
	printf("added %s (%s)\n", email, json_object_get_string(id));
	if (generated)
		printf("password: %s\n", pw);
	rc = 0;
out:
	sodium_memzero(pw, sizeof pw);
	json_object_put(user);
	hash_gate_free(gate);
	db_free(db);
	return rc;
}

static const char *
str_field(struct json_object *o, const char *key)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || v == NULL)
		return "";
	return json_object_get_string(v);
}

static int
user_list(int argc, char **argv, const struct config *cfg)
{
	struct json_object *doc, *items;
	struct db *db;
	bool as_json = false;
	enum db_err e;
	int we = 5, wu = 8;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0)
			as_json = true;
		else
			return usage_error("list: unexpected argument %s", argv[i]);
	}
	if ((db = connect_db(cfg)) == NULL)
		return 1;
	e = users_list(db, &doc);
	if (e != DB_OK) {
		fail("could not list the accounts: %s", db_errmsg(db));
		db_free(db);
		return 1;
	}
	db_free(db);
	if (as_json) {
		puts(json_object_to_json_string_ext(doc,
		    JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED | JSON_C_TO_STRING_NOSLASHESCAPE));
		json_object_put(doc);
		return 0;
	}
	json_object_object_get_ex(doc, "items", &items);
	size_t n = json_object_array_length(items);
	for (size_t i = 0; i < n; i++) {
		struct json_object *u = json_object_array_get_idx(items, i);
		int le = (int)strlen(str_field(u, "email")), lu = (int)strlen(str_field(u, "username"));
		if (le > we)
			we = le;
		if (lu > wu)
			wu = lu;
	}
	printf("%-36s  %-*s  %-*s  %-8s  %-20s  %s\n", "ID", we, "EMAIL", wu, "USERNAME",
	    "STATUS", "CREATED", "NAME");
	for (size_t i = 0; i < n; i++) {
		struct json_object *u = json_object_array_get_idx(items, i), *active;
		json_object_object_get_ex(u, "is_active", &active);
		printf("%-36s  %-*s  %-*s  %-8s  %-20.19s  %s\n", str_field(u, "id"),
		    we, str_field(u, "email"), wu, *str_field(u, "username") ? str_field(u, "username") : "-",
		    json_object_get_boolean(active) ? "active" : "disabled",
		    str_field(u, "created_at"), str_field(u, "name"));
	}
	json_object_put(doc);
	return 0;
}

/* disable and enable: the flag, and for disable the end of every session, in one transaction. */
static int
user_set_active(int argc, char **argv, const struct config *cfg, bool active)
{
	const char *email;
	char id[37];
	struct db *db;
	enum db_err e;
	int n = 0;

	if (argc != 3)
		return usage_error("%s needs one EMAIL", argv[1]);
	email = argv[2];
	if ((db = connect_db(cfg)) == NULL)
		return 1;
	if ((e = db_begin(db)) == DB_OK &&
	    (e = users_id_by_email(db, email, id)) == DB_OK &&
	    (e = users_set_active(db, id, active)) == DB_OK &&
	    (active || (e = users_sessions_end(db, id, NULL, &n)) == DB_OK))
		e = db_commit(db);
	if (e != DB_OK) {
		(void)db_rollback(db);
		if (e == DB_NOTFOUND)
			fail("no account has the email %s", email);
		else
			fail("could not change the account: %s", db_errmsg(db));
		db_free(db);
		return 1;
	}
	db_free(db);
	if (active)
		printf("enabled %s\n", email);
	else
		printf("disabled %s; %d session%s ended\n", email, n, n == 1 ? "" : "s");
	return 0;
}

static int
user_passwd(int argc, char **argv, const struct config *cfg)
{
	const char *email = NULL;
	char pw[PW_BUF], hash[AUTH_HASH_MAX], id[37];
	struct hash_gate *gate = NULL;
	struct db *db;
	bool from_stdin = false, generated;
	enum db_err e;
	int rc, n = 0;

	for (int i = 2; i < argc; i++) {
		if (strcmp(argv[i], "--password-stdin") == 0)
			from_stdin = true;
		else if (argv[i][0] == '-' || email != NULL)
			return usage_error("passwd: unexpected argument %s", argv[i]);
		else
			email = argv[i];
	}
	if (email == NULL)
		return usage_error("passwd needs an EMAIL");
	if ((db = connect_db(cfg)) == NULL)
		return 1;
	/* Say that the account is unknown before asking for a password. */
	if ((e = users_id_by_email(db, email, id)) != DB_OK) {
		rc = e == DB_NOTFOUND ? fail("no account has the email %s", email) :
		    fail("could not look the account up: %s", db_errmsg(db));
		db_free(db);
		return rc;
	}
	if ((rc = new_password(from_stdin, pw, &generated)) != 0) {
		db_free(db);
		return rc;
	}
	gate = hash_gate_new(1);
	if (auth_hash_password(gate, pw, hash) == -1) {
		rc = fail("could not hash the password (out of memory?)");
		goto out;
	}
	if ((e = db_begin(db)) == DB_OK &&
	    (e = users_set_password(db, id, hash)) == DB_OK &&
	    (e = users_sessions_end(db, id, NULL, &n)) == DB_OK)
		e = db_commit(db);
	if (e != DB_OK) {
		(void)db_rollback(db);
		rc = fail("could not change the password: %s", db_errmsg(db));
		goto out;
	}
	printf("changed the password of %s; %d session%s ended\n", email, n, n == 1 ? "" : "s");
	if (generated)
		printf("password: %s\n", pw);
	rc = 0;
out:
	sodium_memzero(pw, sizeof pw);
	hash_gate_free(gate);
	db_free(db);
	return rc;
}

int
cmd_user(int argc, char **argv, const struct config *cfg)
{
	if (argc < 2)
		return usage_error("which action? add, list, disable, enable or passwd");
	if (strcmp(argv[1], "add") == 0)
		return user_add(argc, argv, cfg);
	if (strcmp(argv[1], "list") == 0)
		return user_list(argc, argv, cfg);
	if (strcmp(argv[1], "disable") == 0)
		return user_set_active(argc, argv, cfg, false);
	if (strcmp(argv[1], "enable") == 0)
		return user_set_active(argc, argv, cfg, true);
	if (strcmp(argv[1], "passwd") == 0)
		return user_passwd(argc, argv, cfg);
	if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0) {
		fputs(usage_text, stdout);
		return 0;
	}
	return usage_error("unknown action %s", argv[1]);
}
