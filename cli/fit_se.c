/* gmoe fit --se (cli/fit_se.h). */
#include <config.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "fit_se.h"

#define Z975 1.959963984540054 /* the standard normal's 97.5 % quantile */

void fit_se_init(fit_se_opts *o)
{
    o->method = GMOE_SE_NONE;
    o->bootstrap = 200;
    o->bootstrap_set = 0;
}

int fit_se_parse(fit_se_opts *o, const char *arg, int argc, char **argv)
{
    gmoe_se_method m;
    if (!arg && optind < argc && gmoe_se_method_parse(argv[optind], &m) == GMOE_SUCCESS &&
        m != GMOE_SE_NONE)
        arg = argv[optind++];
    if (!arg) {
        o->method = GMOE_SE_OBSERVED;
        return 0;
    }
    if (gmoe_se_method_parse(arg, &o->method) || o->method == GMOE_SE_NONE)
        return cli_usage_error("fit: --se must be observed, sandwich or bootstrap (got \"%s\")",
                               arg);
    return 0;
}

int fit_se_parse_bootstrap(fit_se_opts *o, const char *arg)
{
    o->bootstrap_set = 1;
    int rc = cli_parse_count("--bootstrap", arg, &o->bootstrap);
    if (!rc && o->bootstrap < 2) rc = cli_usage_error("fit: --bootstrap must be at least 2");
    return rc;
}

int fit_se_check(const fit_se_opts *o)
{
    if (o->bootstrap_set && o->method != GMOE_SE_BOOTSTRAP)
        return cli_usage_error("fit: --bootstrap only goes with --se bootstrap");
    return 0;
}

int fit_se_compute(const fit_se_opts *o, const gmoe_model *best, const gmoe_data *data,
                   const gmoe_fit_params *par, const gmoe_fit_result *res, gmoe_se **se,
                   gmoe_fit_record *rec)
{
    *se = NULL;
    if (o->method == GMOE_SE_NONE) return 0;
    gmoe_se_params sp = gmoe_se_default_params();
    sp.method = o->method;
    sp.tau_free = !par->em.fix_tau;
    sp.bootstrap = o->bootstrap;
    sp.seed = par->seed;
    sp.threads = par->threads;
    sp.em = par->em;
    gmoe_error err;
    gmoe_error_clear(&err);
    if (!(*se = gmoe_se_alloc(best, sp.tau_free))) {
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    if (gmoe_se_compute(*se, best, data, &sp, &res->info, &err)) return cli_lib_error(&err);
    snprintf(rec->se_method, sizeof rec->se_method, "%s", gmoe_se_method_name(o->method));
    const char *why = gmoe_se_reason(*se);
    snprintf(rec->se_reason, sizeof rec->se_reason, "%s", why ? why : "");
    rec->se = *se;
    if (o->method == GMOE_SE_BOOTSTRAP) {
        rec->bootstrap_b = o->bootstrap;
        rec->bootstrap_failed = gmoe_se_bootstrap_failed(*se);
    }
    return 0;
}

static const char *xname(char *const *xnames, size_t t, char *buf, size_t size)
{
    if (xnames) return xnames[t - 1];
    snprintf(buf, size, "x%zu", t);
    return buf;
}

/* "beta1_2[1]" -> expert 2, "beta1[<name of x1>]"; "tau" -> no expert (0). */
static void label(const char *name, char *const *xnames, size_t *expert, char *out, size_t size)
{
    char what[32], rest[64] = "", b1[32], b2[32];
    size_t s = 0, t = 0;
    *expert = 0;
    if (sscanf(name, "%31[^_]_%zu%63s", what, expert, rest) < 2) {
        snprintf(out, size, "%s", name);
        return;
    }
    if (sscanf(rest, "[%zu,%zu]", &s, &t) == 2)
        snprintf(out, size, "%s[%s,%s]", what, xname(xnames, s, b1, sizeof b1),
                 xname(xnames, t, b2, sizeof b2));
    else if (sscanf(rest, "[%zu]", &s) == 1)
        snprintf(out, size, "%s[%s]", what, xname(xnames, s, b1, sizeof b1));
    else
        snprintf(out, size, "%s", what);
}

void fit_se_print(const gmoe_se *se, const gmoe_model *m, char *const *xnames)
{
    if (!se) return;
    const char *how[] = {"", "inverse observed information", "sandwich I^-1 J I^-1",
                         "parametric bootstrap"};
    gmoe_se_method method = gmoe_se_get_method(se);
    printf("\nStandard errors (%s", how[method]);
    if (method == GMOE_SE_BOOTSTRAP && gmoe_se_bootstrap_failed(se))
        printf("; %zu refits left out", gmoe_se_bootstrap_failed(se));
    printf(")");
    const char *why = gmoe_se_reason(se);
    if (why) {
        printf(": none: %s.\n", why);
        return;
    }
    printf(", 95 %% Wald intervals (estimate +- 1.96 SE):\n");
    size_t p = gmoe_se_nparams(se);
    int tau_free = gmoe_se_tau_free(se);
    double *theta = malloc(p * sizeof(double));
    if (!theta) return;
    gmoe_infer_pack(m, tau_free, theta);
    const double *cov = gmoe_se_cov(se);
    printf("%-7s%-20s %13s %12s %13s %13s\n", "expert", "parameter", "estimate", "SE", "2.5 %",
           "97.5 %");
    for (size_t q = 0; q < p; q++) {
        char name[96], lab[160], ex[24] = "";
        size_t j;
        gmoe_infer_param_name(m, tau_free, q, name, sizeof name);
        label(name, xnames, &j, lab, sizeof lab);
        if (j) snprintf(ex, sizeof ex, "%zu", j);
        double s = sqrt(cov[q * p + q]);
        printf("%-7s%-20s %13.6g %12.6g %13.6g %13.6g\n", ex, lab, theta[q], s, theta[q] - Z975 * s,
               theta[q] + Z975 * s);
    }
    free(theta);
}
