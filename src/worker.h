/* worker.h: a worker process: threads that accept FastCGI requests and serve them. */
#ifndef PARLEY_WORKER_H
#define PARLEY_WORKER_H

#include "req.h"

/*
 * Runs a worker process on the listening socket listen_fd with nthreads
 * threads until SIGTERM (or SIGINT), then lets in-flight requests finish,
 * waiting at most the configured drain time. Returns the exit status.
 */
int	 worker_main(const struct app *app, int listen_fd, int nthreads);

/*
 * worker_main's answer when its drain timed out with requests still running:
 * their threads still use the worker's state, so exit without freeing it.
 */
#define WORKER_LEFT_RUNNING	(-1)

/* Serves one accepted request start to end (exposed for tests and fuzzing). */
void	 worker_serve(struct worker *w, struct FCGX_Request *fr);

#endif
