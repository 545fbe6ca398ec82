/* h_core.h: health checks and the front page. */
#ifndef PARLEY_H_CORE_H
#define PARLEY_H_CORE_H

#include "req.h"

void	 h_healthz(struct req *r);
void	 h_readyz(struct req *r);
void	 h_home(struct req *r);

#endif
