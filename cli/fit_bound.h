/* gmoe fit --gate-bound B: the bounded estimator (the compact parameter set of gmoe_em.h),
 * kept out of cmd_fit.c: the option's checks and its summary line (gmoe_fit_record_set
 * writes its keys). */
#ifndef GMOE_CLI_FIT_BOUND_H
#define GMOE_CLI_FIT_BOUND_H

#include "gmoe.h"

#define FIT_BOUND_HELP                                                                             \
    "      --gate-bound B   maximise over the compact set |beta0|, |beta1| <= B (canonical\n"      \
    "                       form; temperature: |beta1/tau|, tau held; activation: also\n"          \
    "                       1/tau <= B; not for the Gaussian gate); default: no bound\n"

/* Parse the value of --gate-bound into em (0, or CLI_EXIT_USAGE with a message). */
int fit_bound_parse(const char *arg, gmoe_em_params *em);
/* A bound with a gate family that has none (the Gaussian gate) is a usage error. */
int fit_bound_check(const gmoe_em_params *em, gmoe_gate gate);
/* The summary line of a bounded fit (nothing without a bound). */
void fit_bound_print(const gmoe_em_params *em, const gmoe_fit_result *res, gmoe_gate gate);

#endif
