/* clock.c: elapsed time on the monotonic clock, which settings of the wall clock never move. */
#include "clock.h"

void
clock_now(struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
}

long
ms_between(const struct timespec *a, const struct timespec *b)
{
	return (long)((b->tv_sec - a->tv_sec) * 1000 + (b->tv_nsec - a->tv_nsec) / 1000000);
}

long
ms_since(const struct timespec *t0)
{
	struct timespec now;

	clock_now(&now);
	return ms_between(t0, &now);
}
