/* Start strategies for EM. */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "internal.h"
#include "gmoe_fit.h"

static const char *const init_names[] = {"near-true", "random", "data"};

const char *gmoe_init_name(gmoe_init init)
{
    return (unsigned)init < 3 ? init_names[init] : "unknown";
}

int gmoe_init_parse(const char *name, gmoe_init *init)
{
    for (int i = 0; i < 3; i++)
        if (strcmp(name, init_names[i]) == 0) {
            *init = (gmoe_init)i;
            return GMOE_SUCCESS;
        }
    return GMOE_EINVAL;
}

int gmoe_start_near_true(const gmoe_model *truth, size_t n, size_t start, gsl_rng *rng,
                         gmoe_model *out, gmoe_error *err)
{
    size_t ks = truth->k, k = out->k, d = out->d;
    if (truth->d != d)
        return gmoe_error_set(err, GMOE_EDIM, "truth has d = %zu, the fitted model d = %zu",
                              truth->d, d);
    if (ks > k)
        return gmoe_error_set(err, GMOE_EINVAL, "near-true start needs k >= k* (k = %zu, k* = %zu)",
                              k, ks);
    size_t *assign = malloc(k * sizeof(size_t));
    double *scale = malloc(d * sizeof(double));
    if (!assign || !scale) {
        free(assign);
        free(scale);
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    }
    /* Fitted expert j < k* starts at true expert j, so that every true expert is covered and
     * the last true expert (the reference of a pinned gate) keeps its place for k = k*. The
     * extra experts start at true experts start, start + 1, ... (mod k*), not at random: k*
     * starts then split every true expert once. EM cannot always move an extra expert from
     * one cell to another (a top-K gate never changes the selection of an observation), so a
     * split that no start tries may be a maximum that no start reaches. */
    for (size_t j = 0; j < k; j++)
        assign[j] = j < ks ? j : (start + j - ks) % ks;
    double nn = (double)(n > 0 ? n : 1);
    double sg = 0.005 * pow(nn, -0.083), se = 0.05 * pow(nn, -0.083), sv = 0.005 * pow(nn, -0.25);
    for (size_t j = 0; j < k; j++) {
        size_t l = assign[j];
        out->beta0[j] = truth->beta0[l] + gsl_ran_gaussian(rng, sg);
        for (size_t t = 0; t < d; t++)
            out->beta1[j * d + t] = truth->beta1[l * d + t] + gsl_ran_gaussian(rng, sg);
        for (size_t t = 0; t < d; t++)
            out->a[j * d + t] = truth->a[l * d + t] + gsl_ran_gaussian(rng, se);
        out->b[j] = truth->b[l] + gsl_ran_gaussian(rng, se);
        out->var[j] = truth->var[l] + fabs(gsl_ran_gaussian(rng, sv));
    }
    /* A Gaussian gate from a Gaussian truth: log pi_j, c_j and the log scales of Gamma_j
     * (Gamma -> D Gamma D, D diagonal, which keeps it positive definite) perturbed like the
     * other gate parameters. From a truth of another family it stays at the caller's (a
     * flat gate by default). */
    if (out->gate == GMOE_GATE_GAUSSIAN && truth->gate == GMOE_GATE_GAUSSIAN)
        for (size_t j = 0; j < k; j++) {
            size_t l = assign[j];
            const double *Gt = truth->Gamma + l * d * d;
            double *G = out->Gamma + j * d * d;
            out->pi[j] = truth->pi[l] * exp(gsl_ran_gaussian(rng, sg));
            for (size_t t = 0; t < d; t++) {
                out->c[j * d + t] = truth->c[l * d + t] + gsl_ran_gaussian(rng, sg);
                scale[t] = exp(gsl_ran_gaussian(rng, sg));
            }
            for (size_t s = 0; s < d; s++)
                for (size_t t = 0; t < d; t++)
                    G[s * d + t] = Gt[s * d + t] * scale[s] * scale[t];
        }
    /* tau starts at the truth's (the caller may hold it elsewhere); the activation is the
     * fitted model's own choice, never the truth's. */
    if (out->gate == truth->gate) out->tau = truth->tau;
    free(assign);
    free(scale);
    return GMOE_SUCCESS;
}

int gmoe_start_partition(const gmoe_data *data, size_t k, gsl_rng *rng, double *resp)
{
    size_t n = data->n;
    memset(resp, 0, n * k * sizeof(double));
    for (size_t i = 0; i < n; i++)
        resp[gsl_rng_uniform_int(rng, k) * n + i] = 1.0;
    return GMOE_SUCCESS;
}

int gmoe_start_soft(const gmoe_data *data, size_t k, gsl_rng *rng, double *resp)
{
    size_t n = data->n;
    for (size_t i = 0; i < n; i++) {
        double s = 0;
        for (size_t j = 0; j < k; j++)
            s += resp[j * n + i] = gsl_ran_exponential(rng, 1.0);
        for (size_t j = 0; j < k; j++)
            resp[j * n + i] /= s;
    }
    return GMOE_SUCCESS;
}
