/* gmoe rate for the columns of the sweep metric select (k_dsc, k_aic, ...): the share of
 * replicates choosing the true number of experts at each n, instead of a slope. The true k
 * comes from the results file's "# truth-k:" line, which gmoe sweep writes with that metric.
 * The same display serves the metric coverage (cover_*, 1 when the 95 % interval covered the
 * true value): the share of 1s, against the nominal 0.95, with the same binomial interval. */
#ifndef GMOE_CLI_RATE_ACCURACY_H
#define GMOE_CLI_RATE_ACCURACY_H

#include <stdio.h>
#include <jansson.h>
#include "common.h"

/* The true k of the "# truth-k: K" header line, or 0 when there is none. */
size_t rate_k_true(const gmoe_results *res);

/* Whether column name holds a chosen number of experts (k_ followed by a criterion). */
int rate_is_accuracy(const char *name);
/* Whether column name is a coverage indicator (cover_...). */
int rate_is_coverage(const char *name);

/* The accuracy of column name at level, and the pooled share over n >= pool_from. On failure
 * (a message in why, GMOE_ERRMSG_MAX bytes) it returns nonzero. */
typedef struct rate_accuracy {
    const char *name;
    int coverage; /* a cover_ column: k_true is 1 (covered) */
    gmoe_accuracy_result res;
    gmoe_accuracy_group pool;
} rate_accuracy;

int rate_accuracy_estimate(const gmoe_results *res, const char *name, size_t k_true, double level,
                           double pool_from, rate_accuracy *out, char *why);

/* The table of the columns of one kind (coverage 0: select, 1: coverage): one row per n, one
 * column per metric, share and interval; then the pooled shares. */
void rate_accuracy_print(FILE *fp, const rate_accuracy *acc, size_t count, double pool_from,
                         int coverage);

/* The JSON member of one column (with the keys every metric has, slope and its kin null). */
json_t *rate_accuracy_json(const rate_accuracy *acc, double pool_from);

#endif
