/* serve.h: `parley serve`: the supervisor that owns the socket and the workers. */
#ifndef PARLEY_SERVE_H
#define PARLEY_SERVE_H

struct config;

/* argv[0] is "serve". config_file is the --config file or NULL. Returns the exit status. */
int	 cmd_serve(int argc, char **argv, const char *config_file);

#endif
