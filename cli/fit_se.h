/* gmoe fit --se [METHOD] [--bootstrap B]: standard errors of the fit (gmoe_infer.h), kept out
 * of cmd_fit.c: the options, the computation for the fitted model and the summary's table of
 * estimates, standard errors and 95 % Wald intervals. */
#ifndef GMOE_CLI_FIT_SE_H
#define GMOE_CLI_FIT_SE_H

#include "gmoe.h"

#define FIT_SE_HELP                                                                                \
    "      --se [METHOD]    standard errors and 95 % Wald intervals: observed (the default:\n"     \
    "                       inverse observed information), sandwich (I^-1 J I^-1) or\n"            \
    "                       bootstrap (parametric, refits from the estimate); none, with\n"        \
    "                       the reason, when the fit is not an interior maximum or the\n"          \
    "                       information is singular\n"                                             \
    "      --bootstrap B    replicates of --se bootstrap (default 200)\n"

typedef struct fit_se_opts {
    gmoe_se_method method; /* GMOE_SE_NONE without --se */
    size_t bootstrap;
    int bootstrap_set;
} fit_se_opts;

void fit_se_init(fit_se_opts *o);
/* --se with its optional METHOD: either --se=METHOD or the next argument when it names a
 * method (argv[optind] is then consumed). */
int fit_se_parse(fit_se_opts *o, const char *arg, int argc, char **argv);
int fit_se_parse_bootstrap(fit_se_opts *o, const char *arg);
/* --bootstrap without --se bootstrap is a usage error. */
int fit_se_check(const fit_se_opts *o);

/* The standard errors of the fit best (NULL without --se; *se owned by the caller), and
 * their keys in the fit record rec. Returns 0 or an exit status (message printed). */
int fit_se_compute(const fit_se_opts *o, const gmoe_model *best, const gmoe_data *data,
                   const gmoe_fit_params *par, const gmoe_fit_result *res, gmoe_se **se,
                   gmoe_fit_record *rec);

/* The summary's section: one line per free parameter (estimate, SE, interval), or the
 * reason there are none. xnames: the covariates' names (NULL: x1, x2, ...). */
void fit_se_print(const gmoe_se *se, const gmoe_model *m, char *const *xnames);

#endif
