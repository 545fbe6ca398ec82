/* config.h: Parley's settings, read once from the environment and an optional KEY=VALUE file. */
#ifndef PARLEY_CONFIG_H
#define PARLEY_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "log.h"

/* Immutable after config_load(); shared read-only by every thread. */
struct config {
	char		*database_url;		/* DATABASE_URL; "" lets libpq use PG* variables */
	char		*templates_dir;		/* PARLEY_TEMPLATES_DIR */
	char		*static_url;		/* PARLEY_STATIC_URL */
	char		*sql_dir;		/* PARLEY_SQL_DIR */
	bool		 secure_cookies;	/* PARLEY_SECURE_COOKIES */
	char		*default_model;		/* PARLEY_DEFAULT_MODEL */
	char		*openai_base_url;	/* PARLEY_OPENAI_BASE_URL */
	char		*openai_api_key;	/* PARLEY_OPENAI_API_KEY (secret) */
	char		*openai_models;		/* PARLEY_OPENAI_MODELS */
	enum log_level	 log_level;		/* PARLEY_LOG_LEVEL */
	long		 max_body;		/* PARLEY_MAX_BODY (bytes) */
	bool		 prepared_statements;	/* PARLEY_DB_PREPARE */
	long		 db_connections;	/* PARLEY_DB_CONNECTIONS: shared per worker; 0: per thread */
	long		 session_idle;		/* PARLEY_SESSION_IDLE (seconds) */
	long		 session_absolute;	/* PARLEY_SESSION_ABSOLUTE (seconds) */
	long		 hash_concurrency;	/* PARLEY_HASH_CONCURRENCY */
	long		 llm_connect_timeout;	/* PARLEY_LLM_CONNECT_TIMEOUT (seconds) */
	long		 llm_idle_timeout;	/* PARLEY_LLM_IDLE_TIMEOUT (seconds) */
	long		 llm_total_timeout;	/* PARLEY_LLM_TOTAL_TIMEOUT (seconds) */
	long		 llm_max_answer;	/* PARLEY_LLM_MAX_ANSWER (bytes) */
	long		 drain_timeout;		/* PARLEY_DRAIN_TIMEOUT (seconds) */
};

/*
 * Fill cfg from defaults, then the file (if file is not NULL), then the
 * environment, which wins. Returns 0, or -1 with a message in err.
 * On success the caller owns cfg and releases it with config_free().
 */
int	 config_load(struct config *cfg, const char *file, char *err, size_t errlen);
void	 config_free(struct config *cfg);

/* Prints every key with its value (secrets masked) to stdout: `parley config`. */
void	 config_print(const struct config *cfg);

/* Where installed data lives: pkgdatadir, or the source tree when run from the build tree. */
const char *config_datadir(void);

#endif
