/* The compact parameter set of the bounded estimator (MODELS.md 7): the box on the gate
 * parameters, its projection, and the active set of the projected Newton step (the
 * M-step itself is in mstep.c; gmoe_em.h describes the estimator). */
#include <config.h>
#include <math.h>
#include "em_internal.h"

int em_bound_check(double bound, gmoe_gate gate, gmoe_error *err)
{
    if (!(bound > 0))
        return gmoe_error_set(err, GMOE_EINVAL, "gate bound must be > 0 (got %g)", bound);
    if (isfinite(bound) && gate == GMOE_GATE_GAUSSIAN)
        return gmoe_error_set(err, GMOE_EINVAL,
                              "a gate bound does not apply to the Gaussian gate (its pi, c and "
                              "Gamma are moments of x, not free gate parameters)");
    return GMOE_SUCCESS;
}

int em_bound_tau_free(const gmoe_em_params *par, gmoe_gate gate)
{
    return !par->fix_tau && !(gate == GMOE_GATE_TEMPERATURE && isfinite(par->gate_bound));
}

void em_bound_setup(gmoe_em *w)
{
    em_gate_sys *g = &w->g;
    double B = w->par.gate_bound;
    size_t k = w->k, q = w->q;
    g->bounded = isfinite(B) && g->P > 0;
    if (!g->bounded) return;
    /* Temperature: the box is on beta1/tau, and tau is held (em_bound_tau_free). */
    double B1 = w->gate == GMOE_GATE_TEMPERATURE ? B * w->m->tau : B;
    for (size_t j = 0; j < k; j++)
        for (size_t a = 0; a < q; a++) {
            double b = a == 0 ? B : B1;
            g->lo[j * q + a] = -b;
            g->hi[j * q + a] = b;
        }
    /* Activation with tau estimated: 1/tau <= B. */
    if (g->has_tau) {
        g->lo[k * q] = -log(B);
        g->hi[k * q] = INFINITY;
    }
}

void em_bound_project(const em_gate_sys *g, double *theta)
{
    if (!g->bounded) return;
    for (size_t s = 0; s < g->P; s++) {
        if (theta[s] < g->lo[s]) theta[s] = g->lo[s];
        if (theta[s] > g->hi[s]) theta[s] = g->hi[s];
    }
}

/* Entry s of theta sits on a bound and v (a gradient or a direction) points out of the box
 * there. */
static int pushes_out(const em_gate_sys *g, size_t s, double v)
{
    return (g->theta[s] <= g->lo[s] && v <= 0) || (g->theta[s] >= g->hi[s] && v >= 0);
}

size_t em_bound_release(const em_gate_sys *g, const size_t *idx, size_t ni, size_t *out)
{
    size_t m = 0;
    for (size_t s = 0; s < ni; s++)
        if (!pushes_out(g, idx[s], g->grad[idx[s]])) out[m++] = idx[s];
    return m;
}

size_t em_bound_drop_outward(const em_gate_sys *g, size_t *idx, size_t ni)
{
    size_t m = 0;
    for (size_t s = 0; s < ni; s++)
        if (!(g->dir[idx[s]] != 0 && pushes_out(g, idx[s], g->dir[idx[s]]))) idx[m++] = idx[s];
    return m;
}

size_t em_bound_count(const gmoe_em *w)
{
    const em_gate_sys *g = &w->g;
    if (!g->bounded) return 0;
    const gmoe_model *m = w->m;
    size_t q = w->q, d = w->d, count = 0;
    for (size_t s = 0; s < g->nfree; s++) {
        size_t e = g->free[s], j = e / q, a = e % q;
        double v = e == w->k * q ? log(m->tau) : (a == 0 ? m->beta0[j] : m->beta1[j * d + a - 1]);
        /* log tau on its bound went through exp and log: a relative tolerance. */
        double tol = 1e-12 * fmax(1.0, fabs(v));
        count += v <= g->lo[e] + tol || v >= g->hi[e] - tol;
    }
    return count;
}
