/* clock.h: elapsed time on the monotonic clock, which settings of the wall clock never move. */
#ifndef PARLEY_CLOCK_H
#define PARLEY_CLOCK_H

#include <time.h>

/* Now, on CLOCK_MONOTONIC. */
void	 clock_now(struct timespec *t);

/* Milliseconds from a to b (both read by clock_now). */
long	 ms_between(const struct timespec *a, const struct timespec *b);

/* Milliseconds from t0 (read by clock_now) to now. */
long	 ms_since(const struct timespec *t0);

#endif
