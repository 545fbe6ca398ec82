/* cmd_seed.h: `parley seed`: demo data to try Parley with. */
#ifndef PARLEY_CMD_SEED_H
#define PARLEY_CMD_SEED_H

struct config;

/*
 * parley seed [--password-stdin]
 * argv[0] is "seed". Adds (or tops up) the demo account and its data in one
 * transaction and prints the login; safe to run again. Returns the exit
 * status: 0, 1 on errors, 2 on usage errors.
 */
int	 cmd_seed(int argc, char **argv, const struct config *cfg);

#endif
