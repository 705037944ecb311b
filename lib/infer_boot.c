/* The parametric bootstrap of gmoe_se_compute (gmoe_infer.h): replicates in parallel, each
 * seeded by its index alone, the covariance summed in replicate order. */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include <gsl/gsl_rng.h>
#include "infer_internal.h"
#include "gmoe_sim.h"

/* Replicate b: simulate from m into bd (x copied from data, or drawn from the Gaussian
 * gate's mixture), refit from m; theta gets the refit's free parameters. Returns 1 if the
 * refit is usable, 0 if it is left out, -1 when out of memory. */
static int replicate(const gmoe_model *m, const gmoe_data *data, const gmoe_se_params *par,
                     size_t b, gmoe_data *bd, gmoe_em *w, gsl_rng *rng, double *theta)
{
    gsl_rng_set(rng, gmoe_sim_seed(par->seed, b, 1));
    int rc;
    if (m->gate == GMOE_GATE_GAUSSIAN) {
        gmoe_design des = {GMOE_DESIGN_GATE, 0, 0, m};
        rc = gmoe_sim_x(&des, rng, bd, NULL);
    } else {
        memcpy(bd->x, data->x, data->n * data->d * sizeof(double));
        rc = GMOE_SUCCESS;
    }
    if (!rc) rc = gmoe_sim_y(m, rng, bd, NULL);
    if (!rc) rc = gmoe_em_init(w, bd, m, &par->em, NULL);
    gmoe_em_info info;
    if (!rc) rc = gmoe_em_driver(w, NULL, NULL, &info, NULL);
    if (rc == GMOE_ENOMEM) return -1;
    if (rc || info.status == GMOE_FIT_DEGENERATE || info.status == GMOE_FIT_GATE_DIVERGENT)
        return 0;
    gmoe_model *fit = gmoe_model_clone(gmoe_em_model(w));
    if (!fit) return -1;
    gmoe_model_canonicalize(fit);
    gmoe_infer_pack(fit, par->tau_free, theta);
    gmoe_model_free(fit);
    return 1;
}

/* The bootstrap's covariance into cov (p*p) from the usable rows of T (ok[b] = 1), or
 * GMOE_EINVAL when fewer than 2 are usable. Plain sums in replicate order. */
static int covariance(const double *T, const int *ok, size_t B, size_t p, double *cov)
{
    size_t used = 0;
    double *mean = calloc(p, sizeof(double));
    if (!mean) return GMOE_ENOMEM;
    for (size_t b = 0; b < B; b++)
        if (ok[b] == 1) {
            used++;
            for (size_t q = 0; q < p; q++)
                mean[q] += T[b * p + q];
        }
    if (used < 2) {
        free(mean);
        return GMOE_EINVAL;
    }
    for (size_t q = 0; q < p; q++)
        mean[q] /= (double)used;
    memset(cov, 0, p * p * sizeof(double));
    for (size_t b = 0; b < B; b++)
        if (ok[b] == 1)
            for (size_t q = 0; q < p; q++)
                for (size_t r = q; r < p; r++)
                    cov[q * p + r] += (T[b * p + q] - mean[q]) * (T[b * p + r] - mean[r]);
    for (size_t q = 0; q < p; q++)
        for (size_t r = q; r < p; r++)
            cov[r * p + q] = cov[q * p + r] /= (double)(used - 1);
    free(mean);
    return GMOE_SUCCESS;
}

int infer_bootstrap(const gmoe_model *m, const gmoe_data *data, const gmoe_se_params *par,
                    double *cov, size_t *failed)
{
    size_t B = par->bootstrap, p = gmoe_infer_nparams(m, par->tau_free), n = data->n;
    double *T = malloc(B * p * sizeof(double));
    int *ok = calloc(B, sizeof(int));
    int nomem = !T || !ok;
    int threads = par->threads > 0 ? par->threads : 0;
#pragma omp parallel if (B > 1 && !nomem) num_threads(threads > 0 ? threads : omp_get_max_threads())
    {
        gmoe_em *w = gmoe_em_alloc(n, m->d, m->k, m->gate);
        gmoe_data *bd = gmoe_data_alloc(n, m->d, 1);
        gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
        int ready = w && bd && rng && !nomem;
#pragma omp for schedule(dynamic, 1)
        for (size_t b = 0; b < B; b++)
            ok[b] = ready ? replicate(m, data, par, b, bd, w, rng, T + b * p) : -1;
        gmoe_em_free(w);
        gmoe_data_free(bd);
        gsl_rng_free(rng);
    }
    int rc = nomem ? GMOE_ENOMEM : GMOE_SUCCESS;
    *failed = 0;
    for (size_t b = 0; !rc && b < B; b++) {
        if (ok[b] < 0) rc = GMOE_ENOMEM;
        *failed += ok[b] == 0;
    }
    if (!rc) rc = covariance(T, ok, B, p, cov);
    free(T);
    free(ok);
    return rc;
}
