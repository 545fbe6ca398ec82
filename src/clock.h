/* clock.h: elapsed time on the monotonic clock, which settings of the wall clock never move. */
#ifndef PARLEY_CLOCK_H
#define PARLEY_CLOCK_H

#include <time.h>

/* Milliseconds from t0 (read from CLOCK_MONOTONIC) to now. */
long	 ms_since(const struct timespec *t0);

#endif
