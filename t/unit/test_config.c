/* test_config.c: settings: defaults, a KEY=VALUE file, the environment over both, bad values, secrets. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <stdbool.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "../tap.h"

/* Every setting config_load reads from the environment. */
static const char *const keys[] = {
	"DATABASE_URL", "PARLEY_TEMPLATES_DIR", "PARLEY_STATIC_URL", "PARLEY_SQL_DIR",
	"PARLEY_SECURE_COOKIES", "PARLEY_DEFAULT_MODEL", "PARLEY_OPENAI_BASE_URL",
	"PARLEY_OPENAI_API_KEY", "PARLEY_OPENAI_MODELS", "PARLEY_LOG_LEVEL", "PARLEY_MAX_BODY",
	"PARLEY_DB_PREPARE", "PARLEY_DB_CONNECTIONS", "PARLEY_SESSION_IDLE",
	"PARLEY_SESSION_ABSOLUTE", "PARLEY_HASH_CONCURRENCY", "PARLEY_LLM_CONNECT_TIMEOUT",
	"PARLEY_LLM_IDLE_TIMEOUT", "PARLEY_LLM_TOTAL_TIMEOUT", "PARLEY_LLM_MAX_ANSWER",
	"PARLEY_DRAIN_TIMEOUT",
};

static char path[64];

/* The settings of whoever runs the tests must not leak into what is tested. */
static void
clear_env(void)
{
	for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
		unsetenv(keys[i]);
}

/* Writes text to the test's settings file; its name is in path. */
static void
write_file(const char *text)
{
	FILE *f = fopen(path, "w");

	if (f == NULL || fputs(text, f) == EOF || fclose(f) != 0) {
		perror(path);
		exit(2);
	}
}

static bool
ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n >= t && strcmp(s + n - t, tail) == 0;
}

/* Loads the file with text (NULL: no file); the error message, "" on success, in err. */
static int
load(struct config *cfg, const char *text, char *err, size_t errlen)
{
	err[0] = '\0';
	if (text != NULL)
		write_file(text);
	return config_load(cfg, text != NULL ? path : NULL, err, errlen);
}

/* Loads the file with text, which must be refused; passes when the message is want (after "FILE:"). */
static void
refused(const char *text, const char *want, const char *desc)
{
	struct config cfg;
	char err[512], full[600];

	snprintf(full, sizeof full, "%s:%s", path, want);
	if (load(&cfg, text, err, sizeof err) == 0) {
		ok(0, "%s", desc);
		config_free(&cfg);
		return;
	}
	is_str(err, full, "%s", desc);
}

static void
test_defaults(void)
{
	struct config cfg;
	char err[256];

	is_int(load(&cfg, NULL, err, sizeof err), 0, "defaults: no file, no environment: loads");
	is_str(cfg.database_url, "", "defaults: no DATABASE_URL (libpq's PG* variables apply)");
	is_str(cfg.static_url, "/static", "defaults: static files under /static");
	ok(cfg.secure_cookies, "defaults: cookies are Secure");
	is_str(cfg.default_model, "builtin/parley", "defaults: the builtin model");
	is_str(cfg.openai_base_url, "https://api.openai.com/v1", "defaults: OpenAI's own API");
	is_str(cfg.openai_api_key, "", "defaults: no API key");
	is_str(cfg.openai_models, "", "defaults: no OpenAI models");
	is_int(cfg.log_level, LOG_LVL_INFO, "defaults: log level info");
	is_int(cfg.max_body, 1048576, "defaults: bodies up to 1 MiB");
	ok(cfg.prepared_statements, "defaults: prepared statements");
	is_int(cfg.db_connections, 4, "defaults: 4 database connections per worker");
	is_int(cfg.session_idle, 7 * 24 * 3600, "defaults: sessions end after a week idle");
	is_int(cfg.session_absolute, 30 * 24 * 3600, "defaults: ... and after 30 days at most");
	is_int(cfg.hash_concurrency, 2, "defaults: 2 password hashes at once");
	is_int(cfg.llm_connect_timeout, 10, "defaults: 10 s to connect to a model");
	is_int(cfg.llm_idle_timeout, 60, "defaults: 60 s of model silence");
	is_int(cfg.llm_total_timeout, 300, "defaults: 300 s per answer");
	is_int(cfg.llm_max_answer, 262144, "defaults: answers up to 256 KiB");
	is_int(cfg.drain_timeout, 30, "defaults: 30 s to drain on stop");
	ok(ends_with(cfg.templates_dir, "/templates"), "defaults: templates in the data folder's templates/");
	ok(ends_with(cfg.sql_dir, "/sql/migrations"), "defaults: migrations in its sql/migrations/");
	config_free(&cfg);
	ok(cfg.database_url == NULL && cfg.templates_dir == NULL, "config_free clears the strings it frees");
}

static void
test_file(void)
{
	struct config cfg;
	char err[512];

	is_int(load(&cfg,
	    "# Parley's settings\n"
	    "\n"
	    "DATABASE_URL=postgresql:///parley\n"
	    "   PARLEY_STATIC_URL   =   /assets   \n"
	    "PARLEY_OPENAI_MODELS = \"gpt-a, gpt-b\"\n"
	    "PARLEY_DEFAULT_MODEL='openai/gpt-a'\n"
	    "PARLEY_OPENAI_API_KEY=sk-a=b\r\n"
	    "PARLEY_SECURE_COOKIES=off\n"
	    "PARLEY_DB_PREPARE=No\n"
	    "PARLEY_LOG_LEVEL=WARNING\n"
	    "PARLEY_MAX_BODY=2048\n"
	    "PARLEY_DB_CONNECTIONS=0\n"
	    "\t# an indented comment\n"
	    "PARLEY_OPENAI_BASE_URL=\n",
	    err, sizeof err), 0, "file: a file of settings loads");
	is_str(err, "", "file: ... without a message");
	is_str(cfg.database_url, "postgresql:///parley", "file: KEY=VALUE is read");
	is_str(cfg.static_url, "/assets", "file: spaces around key, = and value are trimmed");
	is_str(cfg.openai_models, "gpt-a, gpt-b", "file: double quotes around a value are removed");
	is_str(cfg.default_model, "openai/gpt-a", "file: so are single quotes");
	is_str(cfg.openai_api_key, "sk-a=b", "file: the value runs to the end of the line (= and CR LF)");
	ok(!cfg.secure_cookies, "file: off is false");
	ok(!cfg.prepared_statements, "file: No is false (any case)");
	is_int(cfg.log_level, LOG_LVL_WARN, "file: WARNING is the warn level");
	is_int(cfg.max_body, 2048, "file: a number");
	is_int(cfg.db_connections, 0, "file: 0 connections (one per thread) is allowed");
	is_str(cfg.openai_base_url, "", "file: an empty value sets an empty string");
	is_int(cfg.session_idle, 604800, "file: what it does not name keeps its default");
	config_free(&cfg);

	/* The environment wins over the file. */
	setenv("PARLEY_STATIC_URL", "/from-env", 1);
	setenv("PARLEY_MAX_BODY", "", 1);
	setenv("PARLEY_OPENAI_MODELS", "", 1);
	setenv("PARLEY_SECURE_COOKIES", "yes", 1);
	is_int(load(&cfg, "PARLEY_STATIC_URL=/from-file\nPARLEY_MAX_BODY=4096\n"
	    "PARLEY_OPENAI_MODELS=m1\nPARLEY_SECURE_COOKIES=0\n", err, sizeof err), 0,
	    "env: file and environment together load");
	is_str(cfg.static_url, "/from-env", "env: a variable wins over the file");
	ok(cfg.secure_cookies, "env: ... for booleans too");
	is_int(cfg.max_body, 4096, "env: an empty variable of a number leaves the file's value");
	is_str(cfg.openai_models, "", "env: an empty variable of a string sets it empty");
	config_free(&cfg);
	clear_env();
}

static void
test_bad(void)
{
	struct config cfg;
	char err[512];

	refused("PARLEY_MAX_BODY\n", "1: expected KEY=VALUE", "bad: a line without = is refused, by number");
	refused("# fine\n\nPARLEY_NOPE=1\n", "3: unknown setting PARLEY_NOPE", "bad: an unknown setting is named");
	refused("parley_max_body=2048\n", "1: unknown setting parley_max_body", "bad: names are case-sensitive");
	refused("PARLEY_MAX_BODY=12k\n", "1: PARLEY_MAX_BODY: expected a whole number from 1024 to 1073741824",
	    "bad: a number with a unit is refused, with the allowed range");
	refused("PARLEY_MAX_BODY=1023\n", "1: PARLEY_MAX_BODY: expected a whole number from 1024 to 1073741824",
	    "bad: a number below the range");
	refused("PARLEY_DB_CONNECTIONS=1025\n", "1: PARLEY_DB_CONNECTIONS: expected a whole number from 0 to 1024",
	    "bad: a number above the range");
	refused("PARLEY_DRAIN_TIMEOUT=-1\n", "1: PARLEY_DRAIN_TIMEOUT: expected a whole number from 0 to 3600",
	    "bad: a negative number");
	refused("PARLEY_LLM_IDLE_TIMEOUT=\n", "1: PARLEY_LLM_IDLE_TIMEOUT: expected a whole number from 1 to 3600",
	    "bad: an empty number in the file");
	refused("PARLEY_HASH_CONCURRENCY=99999999999999999999\n",
	    "1: PARLEY_HASH_CONCURRENCY: expected a whole number from 1 to 64", "bad: a number past long");
	refused("PARLEY_SECURE_COOKIES=maybe\n",
	    "1: PARLEY_SECURE_COOKIES: expected 1/0, true/false, yes/no or on/off", "bad: a boolean that is neither");
	refused("PARLEY_LOG_LEVEL=loud\n", "1: PARLEY_LOG_LEVEL: expected error, warn, info or debug",
	    "bad: an unknown log level");

	setenv("PARLEY_SESSION_IDLE", "0", 1);
	is_int(load(&cfg, NULL, err, sizeof err), -1, "bad: a bad number in the environment is refused");
	is_str(err, "PARLEY_SESSION_IDLE: expected a whole number from 1 to 2147483648",
	    "bad: ... and named");
	clear_env();

	is_int(config_load(&cfg, "/nonexistent/parley.conf", err, sizeof err), -1, "bad: a missing file is refused");
	is_str(err, "/nonexistent/parley.conf: No such file or directory", "bad: ... saying which and why");
}

/* What config_print writes for cfg (caller frees). */
static char *
printed(const struct config *cfg)
{
	char out[80], *text;
	FILE *f;
	long n;
	int fd, saved;

	snprintf(out, sizeof out, "%s.out", path);
	fflush(stdout);
	if ((saved = dup(STDOUT_FILENO)) == -1 ||
	    (fd = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    dup2(fd, STDOUT_FILENO) == -1) {
		perror("redirecting stdout");
		exit(2);
	}
	close(fd);
	config_print(cfg);
	fflush(stdout);
	if (dup2(saved, STDOUT_FILENO) == -1) {
		perror("restoring stdout");
		exit(2);
	}
	close(saved);
	if ((f = fopen(out, "r")) == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) != 0 || (text = calloc(1, (size_t)n + 1)) == NULL ||
	    fread(text, 1, (size_t)n, f) != (size_t)n) {
		perror(out);
		exit(2);
	}
	fclose(f);
	unlink(out);
	return text;
}

static void
test_print(void)
{
	struct config cfg;
	char err[256], *text;

	setenv("DATABASE_URL", "postgresql://parley:hunter2@db/parley", 1);
	setenv("PARLEY_OPENAI_API_KEY", "sk-live-secret", 1);
	setenv("PARLEY_LOG_LEVEL", "debug", 1);
	if (load(&cfg, NULL, err, sizeof err) != 0)
		abort();
	text = printed(&cfg);
	ok(strstr(text, "DATABASE_URL=(set, hidden)\n") != NULL, "print: the database URL is hidden (it holds a password)");
	ok(strstr(text, "PARLEY_OPENAI_API_KEY=(set, hidden)\n") != NULL, "print: the API key is hidden");
	ok(strstr(text, "hunter2") == NULL && strstr(text, "sk-live-secret") == NULL,
	    "print: no secret appears anywhere");
	ok(strstr(text, "PARLEY_LOG_LEVEL=debug\n") != NULL, "print: a level by name");
	ok(strstr(text, "PARLEY_SECURE_COOKIES=1\n") != NULL, "print: a boolean as 1/0");
	ok(strstr(text, "PARLEY_MAX_BODY=1048576\n") != NULL, "print: a number");
	ok(strstr(text, "PARLEY_STATIC_URL=/static\n") != NULL, "print: a string");
	free(text);
	config_free(&cfg);
	clear_env();

	if (load(&cfg, NULL, err, sizeof err) != 0)
		abort();
	text = printed(&cfg);
	ok(strstr(text, "PARLEY_OPENAI_API_KEY=\n") != NULL, "print: an empty secret shows as empty, not as set");
	free(text);
	config_free(&cfg);
}

int
main(void)
{
	char dir[] = "/tmp/parley-test-config.XXXXXX";

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof path, "%s/parley.conf", dir);
	clear_env();
	test_defaults();
	test_file();
	test_bad();
	test_print();
	unlink(path);
	rmdir(dir);
	return done_testing();
}
