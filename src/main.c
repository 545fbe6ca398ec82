/* main.c: the parley command: one binary, a table of subcommands. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "cmd_render.h"
#include "cmd_seed.h"
#include "cmd_user.h"
#include "config.h"
#include "llm.h"
#include "log.h"
#include "migrate.h"
#include "serve.h"

static int	cmd_version(int, char **, const char *);
static int	cmd_help(int, char **, const char *);
static int	run_migrate(int, char **, const char *);
static int	run_seed(int, char **, const char *);
static int	run_user(int, char **, const char *);
static int	run_render(int, char **, const char *);
static int	run_config(int, char **, const char *);

struct command {
	const char	*name;
	int		(*fn)(int argc, char **argv, const char *config_file);
	const char	*summary;
};

static const struct command commands[] = {
	{ "serve", cmd_serve,
	  "serve [--listen unix:PATH|HOST:PORT] [--workers N] [--threads T]\n"
	  "                      run the FastCGI server" },
	{ "migrate", run_migrate,
	  "migrate up [TARGET] | down [STEPS|all] | status | history | stamp VERSION|none [--dir DIR]\n"
	  "                      apply or inspect schema migrations" },
	{ "user", run_user,
	  "user add --email E --name N [--username U] [--password-stdin] | list [--json]\n"
	  "                      | disable EMAIL | enable EMAIL | passwd EMAIL [--password-stdin]\n"
	  "                      manage accounts" },
	{ "seed", run_seed, "seed [--password-stdin]\n                      add demo data (safe to run twice)" },
	{ "render", run_render,
	  "render TEMPLATE [--data FILE.json] [--partials DIR]\n"
	  "                      render one template to standard output" },
	{ "config", run_config, "config                print the settings in effect (secrets hidden)" },
	{ "version", cmd_version, "version               print the version" },
	{ "help", cmd_help, "help                  this text" },
};

static int
cmd_version(int argc, char **argv, const char *config_file)
{
	(void)argc;
	(void)argv;
	(void)config_file;
	printf("parley %s\n", PACKAGE_VERSION);
	return 0;
}

static int
cmd_help(int argc, char **argv, const char *config_file)
{
	(void)argc;
	(void)argv;
	(void)config_file;
	printf("usage: parley [--config FILE] COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
		printf("  %s\n", commands[i].summary);
	printf("\nSettings come from the environment (DATABASE_URL, PARLEY_*) and the\n"
	    "optional --config file of KEY=VALUE lines; see parley(8).\n");
	return 0;
}

/* Commands that need the configuration load it here, so errors read the same. */
static int
with_config(struct config *cfg, const char *config_file, const char *cmd)
{
	char err[512];

	if (config_load(cfg, config_file, err, sizeof err) == -1) {
		fprintf(stderr, "parley %s: %s\n", cmd, err);
		return -1;
	}
	log_set_level(cfg->log_level);
	return 0;
}

static int
run_migrate(int argc, char **argv, const char *config_file)
{
	struct config cfg;
	int rc;

	if (with_config(&cfg, config_file, "migrate") == -1)
		return 1;
	rc = cmd_migrate(argc, argv, &cfg);
	config_free(&cfg);
	return rc;
}

static int
run_seed(int argc, char **argv, const char *config_file)
{
	struct config cfg;
	int rc;

	if (with_config(&cfg, config_file, "seed") == -1)
		return 1;
	rc = cmd_seed(argc, argv, &cfg);
	config_free(&cfg);
	return rc;
}

static int
run_user(int argc, char **argv, const char *config_file)
{
	struct config cfg;
	int rc;

	if (with_config(&cfg, config_file, "user") == -1)
		return 1;
	rc = cmd_user(argc, argv, &cfg);
	config_free(&cfg);
	return rc;
}

static int
run_render(int argc, char **argv, const char *config_file)
{
	(void)config_file;
	return cmd_render(argc, argv);
}

static int
run_config(int argc, char **argv, const char *config_file)
{
	struct config cfg;

	(void)argc;
	(void)argv;
	if (with_config(&cfg, config_file, "config") == -1)
		return 1;
	config_print(&cfg);
	config_free(&cfg);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *config_file = NULL;
	int i = 1;

	if (sodium_init() < 0) {
		fputs("parley: libsodium failed to start\n", stderr);
		return 1;
	}
	/* Before any fork or thread: libcurl's global state is set up once per process tree. */
	if (llm_global_init() != 0) {
		fputs("parley: libcurl failed to start\n", stderr);
		return 1;
	}
	/* Global options come before the command: parley --config FILE serve ... */
	while (i < argc && argv[i][0] == '-') {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			config_file = argv[i + 1];
			i += 2;
		} else if (strncmp(argv[i], "--config=", 9) == 0) {
			config_file = argv[i] + 9;
			i++;
		} else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
			return cmd_version(0, NULL, NULL);
		} else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			return cmd_help(0, NULL, NULL);
		} else {
			fprintf(stderr, "parley: unknown option %s (try: parley help)\n", argv[i]);
			return 2;
		}
	}
	if (i >= argc) {
		cmd_help(0, NULL, NULL);
		return 2;
	}
	/* ... and may also follow it: parley serve --config FILE (taken out of argv). */
	int n = 0;
	for (int j = i; j < argc; j++) {
		if (strcmp(argv[j], "--config") == 0 && j + 1 < argc) {
			config_file = argv[++j];
			continue;
		}
		if (strncmp(argv[j], "--config=", 9) == 0) {
			config_file = argv[j] + 9;
			continue;
		}
		argv[i + n++] = argv[j];
	}
	argv[i + n] = NULL;
	for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
		if (strcmp(argv[i], commands[k].name) == 0)
			return commands[k].fn(n, argv + i, config_file);
	fprintf(stderr, "parley: unknown command %s (try: parley help)\n", argv[i]);
	return 2;
}
