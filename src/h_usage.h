/* h_usage.h: the usage page: tokens and answer times per model, and tokens per day as a chart. */
#ifndef PARLEY_H_USAGE_H
#define PARLEY_H_USAGE_H

struct req;

/* GET /usage?model=ID (LOGIN): the table per model; the chart for all models or the one chosen. */
void	 h_usage_page(struct req *r);

#endif
