/* routes.h: the one table of every address Parley answers. */
#ifndef PARLEY_ROUTES_H
#define PARLEY_ROUTES_H

#include <stddef.h>

#include "router.h"

extern const struct route routes[];
extern const size_t nroutes;

#endif
