/* The sweep metric `select` (the number of experts each criterion chooses) and contamination
 * of the simulated data: their config keys, their checks and the work of one task. The config
 * reader and the task runner call these at one place each (sweep_internal.h). */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "sweep_internal.h"
#include "select_internal.h"

static int bad(const char *file, size_t line, const char *key, const char *what, const char *v,
               gmoe_error *err)
{
    return gmoe_error_set(err, GMOE_EPARSE, "%s:%zu: %s: %s (got \"%s\")", file, line, key, what,
                          v);
}

static int number(const char *s, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(s, &end);
    if (end == s || *end || errno || !isfinite(d)) return GMOE_EINVAL;
    *out = d;
    return GMOE_SUCCESS;
}

static int parse_mass(gmoe_sweep *sw, const char *v)
{
    gmoe_dendrogram_mass mass;
    if (gmoe_dendrogram_mass_parse(v, &mass)) return GMOE_EINVAL;
    sw->select_mass = (int)mass;
    return GMOE_SUCCESS;
}

static int parse_var(gmoe_sweep *sw, const char *v)
{
    gmoe_dendrogram_var var;
    if (gmoe_dendrogram_var_parse(v, &var)) return GMOE_EINVAL;
    sw->select_var = (int)var;
    return GMOE_SUCCESS;
}

static int parse_trim(gmoe_sweep *sw, const char *v)
{
    if (number(v, &sw->select_trim) || !(sw->select_trim >= 0 && sw->select_trim < 0.5))
        return GMOE_EINVAL;
    return GMOE_SUCCESS;
}

/* The dendrogram's settings for the select metric: each key's parser and, for a bad value,
 * what was expected. */
static const struct {
    const char *key;
    int (*parse)(gmoe_sweep *sw, const char *v);
    const char *what;
} select_keys[] = {
    {"select_mass", parse_mass, "expected gate or intercept"},
    {"select_var_merge", parse_var, "expected moment, average or geometric"},
    {"select_trim", parse_trim, "expected a number at least 0 and below 0.5"},
};

int gmoe__sweep_select_key(gmoe_sweep *sw, const char *file, size_t line, const char *key,
                           const char *v, gmoe_error *err)
{
    if (!strcmp(key, "select_kmax")) {
        double d;
        if (number(v, &d) || d < 2 || d > 1000 || d != floor(d) || !isdigit((unsigned char)*v))
            return bad(file, line, key, "expected an integer from 2 to 1000", v, err);
        sw->select_kmax = (size_t)d;
        sw->select_line = line;
        return GMOE_SUCCESS;
    }
    for (size_t i = 0; i < sizeof select_keys / sizeof select_keys[0]; i++) {
        if (strcmp(key, select_keys[i].key)) continue;
        if (select_keys[i].parse(sw, v)) return bad(file, line, key, select_keys[i].what, v, err);
        /* select_kmax's line, else the first select key's, is where the check points */
        sw->select_line = sw->select_line ? sw->select_line : line;
        return GMOE_SUCCESS;
    }
    if (!strcmp(key, "contaminate")) {
        char a[64], b[64], extra;
        if (sscanf(v, "%63s %63s %c", a, b, &extra) != 2 || number(a, &sw->contam_eps) ||
            number(b, &sw->contam_scale) || !(sw->contam_eps >= 0 && sw->contam_eps <= 1) ||
            !(sw->contam_scale > 0))
            return bad(file, line, key, "expected EPS S with EPS in [0, 1] and S > 0", v, err);
        return GMOE_SUCCESS;
    }
    return -1;
}

int gmoe__sweep_select_check(gmoe_sweep *sw, const char *file, gmoe_error *err)
{
    int on = (sw->metrics & GMOE_METRIC_SELECT) != 0;
    if (!on && sw->select_line)
        return gmoe_error_set(
            err, GMOE_EPARSE,
            "%s:%zu: select_kmax, select_mass, select_var_merge and select_trim go with the "
            "metric select",
            file, sw->select_line);
    if (!on) return GMOE_SUCCESS;
    if (!sw->select_kmax) sw->select_kmax = sw->k;
    size_t K = sw->select_kmax, ks = gmoe_model_k(sw->truth);
    if (K < 2 || K < ks)
        return gmoe_error_set(err, GMOE_EPARSE,
                              "%s: select_kmax: the metric select fits k = 1..K with K >= 2 and "
                              ">= k* = %zu (got K = %zu; set select_kmax)",
                              file, ks, K);
    for (size_t i = 0; i < sw->nn; i++)
        if (sw->ns[i] < K)
            return gmoe_error_set(err, GMOE_EPARSE,
                                  "%s: n: size %zu is smaller than select_kmax = %zu", file,
                                  sw->ns[i], K);
    return GMOE_SUCCESS;
}

/* The fit of k experts for the select metric: the sweep's estimator, but data-driven starts
 * where near-true ones cannot be made (k < k*). */
static int fit_k(const gmoe_sweep *sw, const gmoe_data *data, size_t k, unsigned long seed,
                 gmoe_model **out, gmoe_fit_result *res, gmoe_error *err)
{
    const gmoe_model *tp = sw->templ;
    gmoe_model *t = gmoe_model_alloc(k, tp->d, tp->gate);
    if (!t) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    t->tau = tp->tau;
    t->act = tp->act;
    t->topk = tp->topk < k ? tp->topk : k;
    t->topk_select = tp->topk_select;
    gmoe_fit_params fp = sw->fit;
    fp.seed = seed;
    if (fp.init == GMOE_INIT_NEAR_TRUE && k < gmoe_model_k(sw->truth)) fp.init = GMOE_INIT_DATA;
    int rc = gmoe_fit(data, t, &fp, out, res, err);
    gmoe_model_free(t);
    return rc;
}

int gmoe__sweep_select_task(const gmoe_sweep *sw, const gmoe_data *data, const gmoe_model *fit,
                            const gmoe_fit_result *fr, unsigned long seed,
                            size_t chosen[GMOE__SWEEP_SELECT_NCOL])
{
    size_t K = sw->select_kmax;
    gmoe_model **fits = calloc(K + 1, sizeof *fits);
    gmoe_fit_result *res = calloc(K + 1, sizeof *res);
    gmoe_criteria *crit = calloc(K + 1, sizeof *crit);
    gmoe_dendrogram *dg = NULL;
    gmoe_error err;
    int rc = !fits || !res || !crit ? GMOE_ENOMEM : GMOE_SUCCESS;
    /* The sweep's own fit serves for its k; the others are fitted with its seed. */
    for (size_t k = 1; !rc && k <= K; k++) {
        if (k == sw->k) {
            res[k] = *fr;
        } else {
            rc = fit_k(sw, data, k, seed, &fits[k], &res[k], &err);
        }
        if (!rc)
            rc = gmoe_criteria_compute(k == sw->k ? fit : fits[k], data, !sw->fit.em.fix_tau,
                                       &crit[k], &err);
    }
    gmoe_dendrogram_params dp = gmoe_dendrogram_default_params();
    dp.mass = (gmoe_dendrogram_mass)sw->select_mass;
    dp.var = (gmoe_dendrogram_var)sw->select_var;
    dp.trim = sw->select_trim;
    if (!rc) rc = gmoe_dendrogram_build(K == sw->k ? fit : fits[K], data, &dp, &dg, &err);
    if (!rc) {
        chosen[0] = gmoe_dendrogram_choose_form(dg, GMOE_DSC_PLAIN, 1);
        for (int c = GMOE_CRIT_AIC; c <= GMOE_CRIT_ICL; c++)
            chosen[c] = gmoe__select_choose(crit, res, 1, K, (gmoe_criterion)c);
        chosen[4] = gmoe_dendrogram_choose_form(dg, GMOE_DSC_RESCALED, 1);
    }
    gmoe_dendrogram_free(dg);
    for (size_t k = 0; fits && k <= K; k++)
        gmoe_model_free(fits[k]);
    free(fits);
    free(res);
    free(crit);
    return rc;
}
