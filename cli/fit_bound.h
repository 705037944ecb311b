/* --gate-bound B of the commands that fit (gmoe fit, gmoe select; parsed and checked by
 * fit_opts.c, described in its help lines): the bounded estimator (the compact parameter set
 * of gmoe_em.h), its checks and gmoe fit's summary line (gmoe_fit_record_set writes its keys). */
#ifndef GMOE_CLI_FIT_BOUND_H
#define GMOE_CLI_FIT_BOUND_H

#include <stdio.h>
#include "gmoe.h"

/* Parse the value of --gate-bound into em (0, or CLI_EXIT_USAGE with a message). */
int fit_bound_parse(const char *arg, gmoe_em_params *em);
/* A bound with a gate family that has none (the Gaussian gate) is a usage error (the message
 * starts with cmd). */
int fit_bound_check(const gmoe_em_params *em, gmoe_gate gate, const char *cmd);
/* The set, as "|beta0|, |beta1| <= B" (the gate family's parameters), without a newline. */
void fit_bound_print_set(FILE *fp, const gmoe_em_params *em, gmoe_gate gate);
/* The summary line of a bounded fit (nothing without a bound). */
void fit_bound_print(const gmoe_em_params *em, const gmoe_fit_result *res, gmoe_gate gate);

#endif
