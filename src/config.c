/* config.c: the table of settings, their defaults, and how they are read. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "xalloc.h"

enum cfg_type {
	CFG_STR,
	CFG_BOOL,
	CFG_LONG,
	CFG_LEVEL,
};

struct cfg_key {
	const char	*name;
	enum cfg_type	 type;
	const char	*def;		/* NULL: computed (see config_defaults) */
	bool		 secret;
	size_t		 off;
	long		 min, max;	/* CFG_LONG only */
};

#define OFF(f) offsetof(struct config, f)

static const struct cfg_key cfg_keys[] = {
	{ "DATABASE_URL", CFG_STR, "", true, OFF(database_url), 0, 0 },
	{ "PARLEY_TEMPLATES_DIR", CFG_STR, NULL, false, OFF(templates_dir), 0, 0 },
	{ "PARLEY_STATIC_URL", CFG_STR, "/static", false, OFF(static_url), 0, 0 },
	{ "PARLEY_SQL_DIR", CFG_STR, NULL, false, OFF(sql_dir), 0, 0 },
	{ "PARLEY_SECURE_COOKIES", CFG_BOOL, "1", false, OFF(secure_cookies), 0, 0 },
	{ "PARLEY_DEFAULT_MODEL", CFG_STR, "builtin/parley", false, OFF(default_model), 0, 0 },
	{ "PARLEY_OPENAI_BASE_URL", CFG_STR, "https://api.openai.com/v1", false, OFF(openai_base_url), 0, 0 },
	{ "PARLEY_OPENAI_API_KEY", CFG_STR, "", true, OFF(openai_api_key), 0, 0 },
	{ "PARLEY_OPENAI_MODELS", CFG_STR, "", false, OFF(openai_models), 0, 0 },
	{ "PARLEY_LOG_LEVEL", CFG_LEVEL, "info", false, OFF(log_level), 0, 0 },
	{ "PARLEY_MAX_BODY", CFG_LONG, "1048576", false, OFF(max_body), 1024, 1L << 30 },
	{ "PARLEY_DB_PREPARE", CFG_BOOL, "1", false, OFF(prepared_statements), 0, 0 },
	{ "PARLEY_DB_CONNECTIONS", CFG_LONG, "4", false, OFF(db_connections), 0, 1024 },
	{ "PARLEY_SESSION_IDLE", CFG_LONG, "604800", false, OFF(session_idle), 1, 1L << 31 },
	{ "PARLEY_SESSION_ABSOLUTE", CFG_LONG, "2592000", false, OFF(session_absolute), 1, 1L << 31 },
	{ "PARLEY_HASH_CONCURRENCY", CFG_LONG, "2", false, OFF(hash_concurrency), 1, 64 },
	{ "PARLEY_LLM_CONNECT_TIMEOUT", CFG_LONG, "10", false, OFF(llm_connect_timeout), 1, 3600 },
	{ "PARLEY_LLM_IDLE_TIMEOUT", CFG_LONG, "60", false, OFF(llm_idle_timeout), 1, 3600 },
	{ "PARLEY_LLM_TOTAL_TIMEOUT", CFG_LONG, "300", false, OFF(llm_total_timeout), 1, 86400 },
	{ "PARLEY_LLM_MAX_ANSWER", CFG_LONG, "262144", false, OFF(llm_max_answer), 1024, 1L << 26 },
	{ "PARLEY_DRAIN_TIMEOUT", CFG_LONG, "30", false, OFF(drain_timeout), 0, 3600 },
};

#define NKEYS (sizeof cfg_keys / sizeof cfg_keys[0])

const char *
config_datadir(void)
{
	static char exe[PATH_MAX];
	ssize_t n;

	/* Run from the build tree (tests, scripts/dev): use the source tree's data. */
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		char *slash = strrchr(exe, '/');
		if (slash != NULL) {
			*slash = '\0';
			if (strcmp(exe, ABS_BUILDDIR) == 0)
				return ABS_SRCDIR;
		}
	}
	return PKGDATADIR;
}

static int
cfg_set(struct config *cfg, const struct cfg_key *k, const char *val,
    char *err, size_t errlen)
{
	char *p = (char *)cfg + k->off;
	char *end;
	long l;

	switch (k->type) {
	case CFG_STR:
		free(*(char **)p);
		*(char **)p = xstrdup(val);
		return 0;
	case CFG_BOOL:
		if (!strcmp(val, "1") || !strcasecmp(val, "true") ||
		    !strcasecmp(val, "yes") || !strcasecmp(val, "on"))
			*(bool *)p = true;
		else if (!strcmp(val, "0") || !strcasecmp(val, "false") ||
		    !strcasecmp(val, "no") || !strcasecmp(val, "off"))
			*(bool *)p = false;
		else {
			snprintf(err, errlen, "%s: expected 1/0, true/false, yes/no or on/off", k->name);
			return -1;
		}
		return 0;
	case CFG_LONG:
		errno = 0;
		l = strtol(val, &end, 10);
		if (errno != 0 || end == val || *end != '\0' || l < k->min || l > k->max) {
			snprintf(err, errlen, "%s: expected a whole number from %ld to %ld",
			    k->name, k->min, k->max);
			return -1;
		}
		*(long *)p = l;
		return 0;
	case CFG_LEVEL:
		if (log_level_parse(val, (enum log_level *)p) == -1) {
			snprintf(err, errlen, "%s: expected error, warn, info or debug", k->name);
			return -1;
		}
		return 0;
	}
	return -1;
}

static const struct cfg_key *
cfg_find(const char *name)
{
	for (size_t i = 0; i < NKEYS; i++)
		if (strcmp(cfg_keys[i].name, name) == 0)
			return &cfg_keys[i];
	return NULL;
}

static int
config_file(struct config *cfg, const char *file, char *err, size_t errlen)
{
	char line[4096];
	int lineno = 0;
	FILE *f;

	if ((f = fopen(file, "r")) == NULL) {
		snprintf(err, errlen, "%s: %s", file, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof line, f) != NULL) {
		char *s = line, *eq, *v, *e;
		const struct cfg_key *k;

		lineno++;
		s[strcspn(s, "\r\n")] = '\0';
		while (isspace((unsigned char)*s))
			s++;
		if (*s == '\0' || *s == '#')
			continue;
		if ((eq = strchr(s, '=')) == NULL) {
			snprintf(err, errlen, "%s:%d: expected KEY=VALUE", file, lineno);
			fclose(f);
			return -1;
		}
		*eq = '\0';
		for (e = eq; e > s && isspace((unsigned char)e[-1]); e--)
			e[-1] = '\0';
		v = eq + 1;
		while (isspace((unsigned char)*v))
			v++;
		for (e = v + strlen(v); e > v && isspace((unsigned char)e[-1]); e--)
			e[-1] = '\0';
		if (strlen(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[strlen(v) - 1] == v[0]) {
			v[strlen(v) - 1] = '\0';
			v++;
		}
		if ((k = cfg_find(s)) == NULL) {
			snprintf(err, errlen, "%s:%d: unknown setting %s", file, lineno, s);
			fclose(f);
			return -1;
		}
		char sub[256];
		if (cfg_set(cfg, k, v, sub, sizeof sub) == -1) {
			snprintf(err, errlen, "%s:%d: %s", file, lineno, sub);
			fclose(f);
			return -1;
		}
	}
	fclose(f);
	return 0;
}

int
config_load(struct config *cfg, const char *file, char *err, size_t errlen)
{
	const char *datadir = config_datadir();

	memset(cfg, 0, sizeof *cfg);
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		char *computed = NULL;
		const char *def = k->def;

		if (def == NULL) {
			if (k->off == OFF(templates_dir))
				computed = xasprintf("%s/templates", datadir);
			else
				computed = xasprintf("%s/sql/migrations", datadir);
			def = computed;
		}
		if (cfg_set(cfg, k, def, err, errlen) == -1) {
			free(computed);
			config_free(cfg);
			return -1;
		}
		free(computed);
	}
	if (file != NULL && config_file(cfg, file, err, errlen) == -1) {
		config_free(cfg);
		return -1;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		const char *v = getenv(cfg_keys[i].name);
		if (v == NULL)
			continue;
		/* An empty variable means "use the default", as shells often export them so. */
		if (*v == '\0' && cfg_keys[i].type != CFG_STR)
			continue;
		if (cfg_set(cfg, &cfg_keys[i], v, err, errlen) == -1) {
			config_free(cfg);
			return -1;
		}
	}
	return 0;
}

void
config_free(struct config *cfg)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (cfg_keys[i].type == CFG_STR) {
			char **p = (char **)((char *)cfg + cfg_keys[i].off);
			free(*p);
			*p = NULL;
		}
	}
}

void
config_print(const struct config *cfg)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const struct cfg_key *k = &cfg_keys[i];
		const char *p = (const char *)cfg + k->off;

		switch (k->type) {
		case CFG_STR: {
			const char *s = *(char *const *)p;
			if (k->secret && s != NULL && *s != '\0')
				printf("%s=(set, hidden)\n", k->name);
			else
				printf("%s=%s\n", k->name, s ? s : "");
			break;
		}
		case CFG_BOOL:
			printf("%s=%d\n", k->name, *(const bool *)p ? 1 : 0);
			break;
		case CFG_LONG:
			printf("%s=%ld\n", k->name, *(const long *)p);
			break;
		case CFG_LEVEL: {
			static const char *const n[] = { "error", "warn", "info", "debug" };
			printf("%s=%s\n", k->name, n[*(const enum log_level *)p]);
			break;
		}
		}
	}
}
