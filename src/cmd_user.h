/* cmd_user.h: `parley user`: account management for operators. */
#ifndef PARLEY_CMD_USER_H
#define PARLEY_CMD_USER_H

struct config;

/*
 * parley user add --email E --name N [--username U] [--password-stdin]
 * parley user list [--json]
 * parley user disable EMAIL | enable EMAIL
 * parley user passwd EMAIL [--password-stdin]
 * argv[0] is "user". Returns the exit status: 0, 1 on errors, 2 on usage errors.
 */
int	 cmd_user(int argc, char **argv, const struct config *cfg);

#endif
