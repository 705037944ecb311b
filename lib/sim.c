/* Designs of x and draws of y | x. */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_randist.h>
#include "internal.h"

static const char *const design_names[] = {"uniform", "grid", "normal", "gate"};
#define NDESIGN (sizeof design_names / sizeof design_names[0])

gmoe_design gmoe_design_default(void)
{
    gmoe_design des = {GMOE_DESIGN_UNIFORM, 0.0, 1.0, NULL};
    return des;
}

const char *gmoe_design_name(gmoe_design_kind kind)
{
    return (unsigned)kind < NDESIGN ? design_names[kind] : "unknown";
}

int gmoe_design_parse(const char *name, gmoe_design_kind *kind)
{
    for (size_t i = 0; i < NDESIGN; i++)
        if (strcmp(name, design_names[i]) == 0) {
            *kind = (gmoe_design_kind)i;
            return GMOE_SUCCESS;
        }
    return GMOE_EINVAL;
}

/* The gate design's model: a Gaussian gate in d covariates. */
static int gate_model_check(const gmoe_model *m, size_t d, gmoe_error *err)
{
    if (m->gate != GMOE_GATE_GAUSSIAN)
        return gmoe_error_set(err, GMOE_EINVAL,
                              "design gate: x is drawn from a Gaussian gate's mixture, but the "
                              "model has a %s gate",
                              gmoe_gate_name(m->gate));
    if (m->d != d)
        return gmoe_error_set(err, GMOE_EINVAL,
                              "design gate: the gate's model has d = %zu, the data d = %zu", m->d,
                              d);
    return GMOE_SUCCESS;
}

int gmoe_design_validate(const gmoe_design *des, size_t d, gmoe_error *err)
{
    if (!isfinite(des->p1) || !isfinite(des->p2))
        return gmoe_error_set(err, GMOE_EINVAL, "design parameters must be finite");
    switch (des->kind) {
    case GMOE_DESIGN_GRID:
        if (d != 1)
            return gmoe_error_set(err, GMOE_EINVAL,
                                  "the grid design needs d = 1 (the model has d = %zu)", d);
        __attribute__((fallthrough));
    case GMOE_DESIGN_UNIFORM:
        if (!(des->p1 < des->p2))
            return gmoe_error_set(err, GMOE_EINVAL, "design %s: lo (%g) must be below hi (%g)",
                                  gmoe_design_name(des->kind), des->p1, des->p2);
        /* Draws are lo + (hi - lo) u: the width must be a finite double. */
        if (!isfinite(des->p2 - des->p1))
            return gmoe_error_set(err, GMOE_EINVAL, "design %s: hi - lo (%g - %g) overflows",
                                  gmoe_design_name(des->kind), des->p2, des->p1);
        return GMOE_SUCCESS;
    case GMOE_DESIGN_NORMAL:
        if (!(des->p2 > 0))
            return gmoe_error_set(err, GMOE_EINVAL, "design normal: sd must be > 0 (got %g)",
                                  des->p2);
        /* Draws are mean + sd z with |z| below 40 for any generator's output. */
        if (!isfinite(fabs(des->p1) + 40 * des->p2))
            return gmoe_error_set(err, GMOE_EINVAL,
                                  "design normal: mean %g and sd %g are so large that draws "
                                  "overflow",
                                  des->p1, des->p2);
        return GMOE_SUCCESS;
    case GMOE_DESIGN_GATE:
        return des->model ? gate_model_check(des->model, d, err) : GMOE_SUCCESS;
    }
    return gmoe_error_set(err, GMOE_EINVAL, "unknown design");
}

size_t gmoe__gatemix_size(const gmoe_model *m)
{
    return m->k + m->k * m->d * m->d;
}

int gmoe__gatemix_prepare(const gmoe_model *m, double *work)
{
    size_t k = m->k, dd = m->d * m->d;
    double tot = 0, acc = 0, logdet;
    for (size_t j = 0; j < k; j++)
        tot += m->pi[j];
    for (size_t j = 0; j < k; j++)
        work[j] = (acc += m->pi[j] / tot);
    double *L = work + k;
    memcpy(L, m->Gamma, k * dd * sizeof(double));
    for (size_t j = 0; j < k; j++)
        if (gmoe__chol_logdet(L + j * dd, m->d, &logdet)) return GMOE_ENUMERIC;
    return GMOE_SUCCESS;
}

void gmoe__gatemix_draw(const gmoe_model *m, const double *work, gsl_rng *rng, double *x,
                        size_t stride)
{
    size_t k = m->k, d = m->d, j = 0;
    double u = gsl_rng_uniform(rng);
    /* the last weight may round to just below 1: a u beyond it takes the last component */
    while (j + 1 < k && !(u < work[j]))
        j++;
    const double *L = work + k + j * d * d, *c = m->c + j * d;
    /* x = c + L z, L lower triangular: each deviate z_s is added to x_s..x_{d-1} as it is
     * drawn, so no buffer is needed */
    for (size_t t = 0; t < d; t++)
        x[t * stride] = c[t];
    for (size_t s = 0; s < d; s++) {
        double z = gsl_ran_gaussian_ziggurat(rng, 1.0);
        for (size_t t = s; t < d; t++)
            x[t * stride] += L[t * d + s] * z;
    }
}

/* x from the gate's mixture, row by row (one component and d deviates per observation). */
static int sim_x_gate(const gmoe_design *des, gsl_rng *rng, gmoe_data *data, gmoe_error *err)
{
    const gmoe_model *m = des->model;
    if (!m) return gmoe_error_set(err, GMOE_EINVAL, "design gate: no model to draw x from");
    gmoe_error sub;
    if (gmoe_model_validate(m, &sub))
        return gmoe_error_set(err, sub.code, "design gate: %s", sub.msg);
    double *work = malloc(gmoe__gatemix_size(m) * sizeof(double));
    if (!work) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    int rc = gmoe__gatemix_prepare(m, work);
    for (size_t i = 0; i < data->n && !rc; i++)
        gmoe__gatemix_draw(m, work, rng, data->x + i, data->n);
    free(work);
    if (rc) return gmoe_error_set(err, rc, "design gate: a Gamma is not positive definite");
    return GMOE_SUCCESS;
}

int gmoe_sim_x(const gmoe_design *des, gsl_rng *rng, gmoe_data *data, gmoe_error *err)
{
    int rc = gmoe_design_validate(des, data->d, err);
    if (rc) return rc;
    size_t n = data->n, nd = n * data->d;
    double lo = des->p1, hi = des->p2;
    switch (des->kind) {
    case GMOE_DESIGN_GRID:
        for (size_t i = 0; i < n; i++)
            data->x[i] = n == 1 ? 0.5 * (lo + hi) : lo + (double)i * (hi - lo) / (double)(n - 1);
        /* lo + (hi - lo) need not round to hi (e.g. [-3.3, 2.9]); pin the end, as R's seq()
         * and numpy's linspace() do. On [0, 1] every x_i stays exactly (i-1)/(n-1). */
        if (n > 1) data->x[n - 1] = hi;
        break;
    case GMOE_DESIGN_UNIFORM:
        for (size_t i = 0; i < nd; i++)
            data->x[i] = lo + (hi - lo) * gsl_rng_uniform(rng);
        break;
    case GMOE_DESIGN_NORMAL:
        for (size_t i = 0; i < nd; i++)
            data->x[i] = lo + gsl_ran_gaussian_ziggurat(rng, hi);
        break;
    case GMOE_DESIGN_GATE:
        return sim_x_gate(des, rng, data, err);
    }
    return GMOE_SUCCESS;
}

int gmoe_sim_y(const gmoe_model *m, gsl_rng *rng, gmoe_data *data, gmoe_error *err)
{
    if (data->d != m->d)
        return gmoe_error_set(err, GMOE_EDIM, "data have %zu covariates, the model has %zu",
                              data->d, m->d);
    if (!data->y) return gmoe_error_set(err, GMOE_EINVAL, "data set has no room for y");
    int rc = gmoe_model_validate(m, err);
    if (rc) return rc;
    size_t k = m->k, d = m->d, n = data->n;
    double *work = malloc((gmoe__gate_work_size(m) + GMOE_BLOCK * k + k) * sizeof(double));
    if (!work) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    double *lw = work + gmoe__gate_work_size(m), *sd = lw + GMOE_BLOCK * k;
    for (size_t j = 0; j < k; j++)
        sd[j] = sqrt(m->var[j]);
    size_t i0, mr = 0;
    for (i0 = 0; i0 < n; i0 += GMOE_BLOCK) {
        mr = n - i0 < GMOE_BLOCK ? n - i0 : GMOE_BLOCK;
        rc = gmoe__gate_log_block(m, data, i0, mr, lw, GMOE_BLOCK, work);
        if (rc) break;
        for (size_t r = 0; r < mr; r++) {
            /* Inverse-CDF choice of the expert: one uniform per observation. */
            double u = gsl_rng_uniform(rng), acc = 0;
            size_t j = 0, last = 0;
            for (; j < k; j++) {
                double w = exp(lw[j * GMOE_BLOCK + r]);
                if (w > 0) last = j;
                acc += w;
                if (u < acc) break;
            }
            if (j == k) j = last; /* rounding: the weights summed to slightly below u */
            double mu = m->b[j];
            for (size_t t = 0; t < d; t++)
                mu += m->a[j * d + t] * data->x[t * n + i0 + r];
            double y = mu + gsl_ran_gaussian_ziggurat(rng, sd[j]);
            if (!isfinite(y)) {
                free(work);
                return gmoe_error_set_obs(err, GMOE_ENUMERIC, i0 + r,
                                          "y = %g (expert %zu's mean or variance too large for "
                                          "the covariates)",
                                          y, j + 1);
            }
            data->y[i0 + r] = y;
        }
    }
    free(work);
    if (rc) return gmoe__gate_error(m, data, i0, mr, rc, err);
    return GMOE_SUCCESS;
}

int gmoe_sim_data(const gmoe_model *m, const gmoe_design *des, size_t n, unsigned long seed,
                  gmoe_data **out, gmoe_error *err)
{
    *out = NULL;
    if (n == 0) return gmoe_error_set(err, GMOE_EINVAL, "n must be at least 1");
    gmoe_data *data = gmoe_data_alloc(n, m->d, 1);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!data || !rng) {
        gmoe_data_free(data);
        gsl_rng_free(rng);
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory (n = %zu)", n);
    }
    gsl_rng_set(rng, seed);
    gmoe_design own = *des;
    if (own.kind == GMOE_DESIGN_GATE && !own.model) own.model = m;
    int rc = gmoe_sim_x(&own, rng, data, err);
    if (!rc) rc = gmoe_sim_y(m, rng, data, err);
    gsl_rng_free(rng);
    if (rc) {
        gmoe_data_free(data);
        return rc;
    }
    *out = data;
    return GMOE_SUCCESS;
}

static uint64_t splitmix64(uint64_t z)
{
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

unsigned long gmoe_sim_seed(uint64_t seed, uint64_t a, uint64_t b)
{
    uint64_t h = splitmix64(splitmix64(splitmix64(seed) ^ a) ^ b);
    /* gsl_rng_set treats 0 as "the default seed"; keep every derived seed distinct from it. */
    unsigned long s = (unsigned long)(h & 0xffffffffUL);
    return s ? s : 1;
}
