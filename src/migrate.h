/* migrate.h: `parley migrate`: apply and revert the numbered SQL files under sql/migrations. */
#ifndef PARLEY_MIGRATE_H
#define PARLEY_MIGRATE_H

struct config;

/*
 * argv[0] is "migrate". Subcommands: up [TARGET], down [STEPS|all], status,
 * history, stamp VERSION; option --dir DIR (default cfg->sql_dir).
 * Returns the exit status: 0 done, 1 failed (message on stderr), 2 usage.
 */
int	 cmd_migrate(int argc, char **argv, const struct config *cfg);

#endif
