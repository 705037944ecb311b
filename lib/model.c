/* Model storage, parameter access, validation and the canonical form. The gate and density
 * computations are in gate.c. */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <lapacke.h>
#include "internal.h"

static const char *const gate_names[] = {"softmax",    "topk",    "temperature",
                                         "activation", "sigmoid", "gaussian"};
static const char *const act_names[] = {"tanh", "sigmoid"};
static const char *const select_names[] = {"slope", "score"};

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))

static int name_lookup(const char *const *names, size_t count, const char *name, int *out)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(names[i], name) == 0) {
            *out = (int)i;
            return GMOE_SUCCESS;
        }
    return GMOE_EINVAL;
}

const char *gmoe_gate_name(gmoe_gate gate)
{
    return (unsigned)gate < NELEM(gate_names) ? gate_names[gate] : "unknown";
}

int gmoe_gate_parse(const char *name, gmoe_gate *gate)
{
    int v;
    int rc = name_lookup(gate_names, NELEM(gate_names), name, &v);
    if (rc == GMOE_SUCCESS) *gate = (gmoe_gate)v;
    return rc;
}

const char *gmoe_act_name(gmoe_act act)
{
    return (unsigned)act < NELEM(act_names) ? act_names[act] : "unknown";
}

int gmoe_act_parse(const char *name, gmoe_act *act)
{
    int v;
    int rc = name_lookup(act_names, NELEM(act_names), name, &v);
    if (rc == GMOE_SUCCESS) *act = (gmoe_act)v;
    return rc;
}

const char *gmoe_topk_select_name(gmoe_topk_select sel)
{
    return (unsigned)sel < NELEM(select_names) ? select_names[sel] : "unknown";
}

int gmoe_topk_select_parse(const char *name, gmoe_topk_select *sel)
{
    int v;
    int rc = name_lookup(select_names, NELEM(select_names), name, &v);
    if (rc == GMOE_SUCCESS) *sel = (gmoe_topk_select)v;
    return rc;
}

gmoe_model *gmoe_model_alloc(size_t k, size_t d, gmoe_gate gate)
{
    if (k == 0 || d == 0 || (unsigned)gate >= NELEM(gate_names)) return NULL;
    if (k > 100000 || d > 100000) return NULL;
    gmoe_model *m = calloc(1, sizeof *m);
    if (!m) return NULL;
    m->k = k;
    m->d = d;
    m->gate = gate;
    m->beta0 = calloc(k, sizeof(double));
    m->beta1 = calloc(k * d, sizeof(double));
    m->a = calloc(k * d, sizeof(double));
    m->b = calloc(k, sizeof(double));
    m->var = calloc(k, sizeof(double));
    m->pi = calloc(k, sizeof(double));
    m->c = calloc(k * d, sizeof(double));
    m->Gamma = calloc(k * d * d, sizeof(double));
    if (!m->beta0 || !m->beta1 || !m->a || !m->b || !m->var || !m->pi || !m->c || !m->Gamma) {
        gmoe_model_free(m);
        return NULL;
    }
    m->tau = 1.0;
    m->topk = k;
    m->topk_select = GMOE_TOPK_SLOPE;
    m->act = GMOE_ACT_TANH;
    for (size_t j = 0; j < k; j++) {
        m->var[j] = 1.0;
        m->pi[j] = 1.0 / (double)k;
        for (size_t t = 0; t < d; t++)
            m->Gamma[j * d * d + t * d + t] = 1.0;
    }
    return m;
}

void gmoe_model_free(gmoe_model *m)
{
    if (!m) return;
    free(m->beta0);
    free(m->beta1);
    free(m->a);
    free(m->b);
    free(m->var);
    free(m->pi);
    free(m->c);
    free(m->Gamma);
    free(m);
}

int gmoe_model_copy(gmoe_model *dst, const gmoe_model *src)
{
    if (dst == src) return GMOE_SUCCESS;
    if (dst->k != src->k || dst->d != src->d) return GMOE_EDIM;
    size_t k = src->k, d = src->d;
    dst->gate = src->gate;
    memcpy(dst->beta0, src->beta0, k * sizeof(double));
    memcpy(dst->beta1, src->beta1, k * d * sizeof(double));
    memcpy(dst->a, src->a, k * d * sizeof(double));
    memcpy(dst->b, src->b, k * sizeof(double));
    memcpy(dst->var, src->var, k * sizeof(double));
    memcpy(dst->pi, src->pi, k * sizeof(double));
    memcpy(dst->c, src->c, k * d * sizeof(double));
    memcpy(dst->Gamma, src->Gamma, k * d * d * sizeof(double));
    dst->tau = src->tau;
    dst->topk = src->topk;
    dst->topk_select = src->topk_select;
    dst->act = src->act;
    return GMOE_SUCCESS;
}

gmoe_model *gmoe_model_clone(const gmoe_model *m)
{
    gmoe_model *c = gmoe_model_alloc(m->k, m->d, m->gate);
    if (c) gmoe_model_copy(c, m);
    return c;
}

size_t gmoe_model_k(const gmoe_model *m)
{
    return m->k;
}
size_t gmoe_model_d(const gmoe_model *m)
{
    return m->d;
}
gmoe_gate gmoe_model_gate(const gmoe_model *m)
{
    return m->gate;
}
void gmoe_model_set_gate(gmoe_model *m, gmoe_gate gate)
{
    m->gate = gate;
}

void gmoe_model_set_expert(gmoe_model *m, size_t j, double beta0, const double *beta1,
                           const double *a, double b, double var)
{
    m->beta0[j] = beta0;
    memcpy(m->beta1 + j * m->d, beta1, m->d * sizeof(double));
    memcpy(m->a + j * m->d, a, m->d * sizeof(double));
    m->b[j] = b;
    m->var[j] = var;
}

void gmoe_model_get_expert(const gmoe_model *m, size_t j, double *beta0, double *beta1, double *a,
                           double *b, double *var)
{
    if (beta0) *beta0 = m->beta0[j];
    if (beta1) memcpy(beta1, m->beta1 + j * m->d, m->d * sizeof(double));
    if (a) memcpy(a, m->a + j * m->d, m->d * sizeof(double));
    if (b) *b = m->b[j];
    if (var) *var = m->var[j];
}

void gmoe_model_set_tau(gmoe_model *m, double tau)
{
    m->tau = tau;
}
double gmoe_model_tau(const gmoe_model *m)
{
    return m->tau;
}

void gmoe_model_set_topk(gmoe_model *m, size_t K, gmoe_topk_select sel)
{
    m->topk = K;
    m->topk_select = sel;
}

size_t gmoe_model_topk(const gmoe_model *m)
{
    return m->topk;
}
gmoe_topk_select gmoe_model_topk_select(const gmoe_model *m)
{
    return m->topk_select;
}
void gmoe_model_set_act(gmoe_model *m, gmoe_act act)
{
    m->act = act;
}
gmoe_act gmoe_model_act(const gmoe_model *m)
{
    return m->act;
}

void gmoe_model_set_gauss(gmoe_model *m, size_t j, double pi, const double *c, const double *Gamma)
{
    size_t d = m->d;
    m->pi[j] = pi;
    memcpy(m->c + j * d, c, d * sizeof(double));
    memcpy(m->Gamma + j * d * d, Gamma, d * d * sizeof(double));
}

void gmoe_model_get_gauss(const gmoe_model *m, size_t j, double *pi, double *c, double *Gamma)
{
    size_t d = m->d;
    if (pi) *pi = m->pi[j];
    if (c) memcpy(c, m->c + j * d, d * sizeof(double));
    if (Gamma) memcpy(Gamma, m->Gamma + j * d * d, d * d * sizeof(double));
}

static int check_finite(const double *v, size_t count, size_t j, const char *field, gmoe_error *err)
{
    for (size_t t = 0; t < count; t++)
        if (!isfinite(v[t]))
            return gmoe_error_set(err, GMOE_EINVAL, "expert %zu: %s is not finite", j + 1, field);
    return GMOE_SUCCESS;
}

static int gauss_validate(const gmoe_model *m, size_t j, gmoe_error *err)
{
    size_t d = m->d;
    if (!(m->pi[j] > 0) || !isfinite(m->pi[j]))
        return gmoe_error_set(err, GMOE_EINVAL, "expert %zu: pi must be > 0 (got %g)", j + 1,
                              m->pi[j]);
    int rc = check_finite(m->c + j * d, d, j, "c", err);
    if (!rc) rc = check_finite(m->Gamma + j * d * d, d * d, j, "Gamma", err);
    if (rc) return rc;
    const double *G = m->Gamma + j * d * d;
    for (size_t s = 0; s < d; s++)
        for (size_t t = 0; t < s; t++)
            if (fabs(G[s * d + t] - G[t * d + s]) > 1e-12 * (fabs(G[s * d + t]) + 1))
                return gmoe_error_set(err, GMOE_EINVAL, "expert %zu: Gamma is not symmetric",
                                      j + 1);
    /* Positive definite iff the Cholesky factorisation succeeds. LAPACK reports failure in
     * info; GSL's routine would need its global error handler switched off around the call,
     * which races with other threads (one of them could see GSL's default handler, which
     * aborts) and is therefore not safe for parallel sweeps. */
    double *L = malloc(d * d * sizeof(double));
    if (!L) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    memcpy(L, G, d * d * sizeof(double));
    lapack_int info = LAPACKE_dpotrf(LAPACK_COL_MAJOR, 'L', (lapack_int)d, L, (lapack_int)d);
    free(L);
    if (info != 0)
        return gmoe_error_set(err, GMOE_EINVAL, "expert %zu: Gamma is not positive definite",
                              j + 1);
    return GMOE_SUCCESS;
}

int gmoe_model_validate(const gmoe_model *m, gmoe_error *err)
{
    size_t k = m->k, d = m->d;
    for (size_t j = 0; j < k; j++) {
        int rc = check_finite(m->beta0 + j, 1, j, "beta0", err);
        if (!rc) rc = check_finite(m->beta1 + j * d, d, j, "beta1", err);
        if (!rc) rc = check_finite(m->a + j * d, d, j, "a", err);
        if (!rc) rc = check_finite(m->b + j, 1, j, "b", err);
        if (rc) return rc;
        if (!(m->var[j] > 0) || !isfinite(m->var[j]))
            return gmoe_error_set(err, GMOE_EINVAL, "expert %zu: var must be > 0 (got %g)", j + 1,
                                  m->var[j]);
        if (m->gate == GMOE_GATE_GAUSSIAN && (rc = gauss_validate(m, j, err))) return rc;
    }
    if ((m->gate == GMOE_GATE_TEMPERATURE || m->gate == GMOE_GATE_ACTIVATION) &&
        (!(m->tau > 0) || !isfinite(m->tau)))
        return gmoe_error_set(err, GMOE_EINVAL, "tau must be > 0 (got %g)", m->tau);
    if (m->gate == GMOE_GATE_TOPK && (m->topk < 1 || m->topk > k))
        return gmoe_error_set(err, GMOE_EINVAL, "topk must be between 1 and k = %zu (got %zu)", k,
                              m->topk);
    return GMOE_SUCCESS;
}

void gmoe_model_canonicalize(gmoe_model *m)
{
    size_t k = m->k, d = m->d, last = k - 1;
    switch (m->gate) {
    case GMOE_GATE_SOFTMAX:
    case GMOE_GATE_TOPK:
    case GMOE_GATE_TEMPERATURE:
        for (size_t t = 0; t < d; t++) {
            double s = m->beta1[last * d + t];
            for (size_t j = 0; j < k; j++)
                m->beta1[j * d + t] -= s;
        }
        /* beta0 is translated for these gates and for activation */
        __attribute__((fallthrough));
    case GMOE_GATE_ACTIVATION: {
        double s = m->beta0[last];
        for (size_t j = 0; j < k; j++)
            m->beta0[j] -= s;
        break;
    }
    case GMOE_GATE_GAUSSIAN: {
        double s = 0;
        for (size_t j = 0; j < k; j++)
            s += m->pi[j];
        for (size_t j = 0; j < k; j++)
            m->pi[j] /= s;
        break;
    }
    case GMOE_GATE_SIGMOID:
        break;
    }
}
