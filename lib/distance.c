/* Density distances between the conditional densities of a fitted and a true model: the
 * expected Hellinger distance and the expected total variation over the design of x
 * (gmoe_eval.h describes the integrals and their error control). */
#include <config.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_randist.h>
#include "eval_internal.h"

#define SQRT_2PI 2.5066282746310005024
/* The inner integral's range: every component's mean +- this many standard deviations. */
#define TAIL_SD 40.0
/* The normal design's range: mean +- this many standard deviations (tail 1.5e-23). */
#define NORMAL_SD 10.0

/* ---------------------------------------------------------------- adaptive quadrature */

static int quad_reserve(eval_quad *q, size_t n)
{
    if (q->cap >= n) return GMOE_SUCCESS;
    eval_iv *iv = realloc(q->iv, n * sizeof *iv);
    if (!iv) return GMOE_ENOMEM;
    q->iv = iv;
    q->cap = n;
    return GMOE_SUCCESS;
}

static void qk(const gsl_function *f, double a, double b, eval_iv *iv)
{
    double resabs, resasc;
    iv->a = a;
    iv->b = b;
    gsl_integration_qk21(f, a, b, &iv->r, &iv->e, &resabs, &resasc);
}

/* Integrate f over [pts[0], pts[np-1]], first split at every point: GSL's 21-point
 * Gauss-Kronrod rule on each piece, then bisection of the piece with the largest error
 * estimate until the total estimate is below max(epsabs, epsrel |I|), the pieces number
 * limit, or no piece can be split further. Unlike gsl_integration_qag this never calls the
 * GSL error handler, and a tolerance not met is reported (return 0), not an error. */
static int quad_adapt(const gsl_function *f, const double *pts, size_t np, double epsabs,
                      double epsrel, size_t limit, eval_quad *q, double *result, double *abserr)
{
    size_t n = 0;
    double R = 0, E = 0;
    for (size_t i = 0; i + 1 < np; i++) {
        qk(f, pts[i], pts[i + 1], q->iv + n);
        R += q->iv[n].r;
        E += q->iv[n].e;
        n++;
    }
    if (limit > q->cap) limit = q->cap;
    while (E > fmax(epsabs, epsrel * fabs(R)) && n < limit) {
        size_t worst = n;
        double we = 0;
        for (size_t i = 0; i < n; i++) {
            const eval_iv *iv = q->iv + i;
            /* a piece a few ulps wide cannot be split: its error stays as it is */
            if (iv->e > we && iv->b - iv->a > 64 * DBL_EPSILON * (fabs(iv->a) + fabs(iv->b))) {
                we = iv->e;
                worst = i;
            }
        }
        if (worst == n) break;
        eval_iv old = q->iv[worst];
        double mid = 0.5 * (old.a + old.b);
        qk(f, old.a, mid, q->iv + worst);
        qk(f, mid, old.b, q->iv + n);
        R += q->iv[worst].r + q->iv[n].r - old.r;
        E += q->iv[worst].e + q->iv[n].e - old.e;
        n++;
    }
    /* sum afresh: the running sums drift */
    R = E = 0;
    for (size_t i = 0; i < n; i++) {
        R += q->iv[i].r;
        E += q->iv[i].e;
    }
    *result = R;
    *abserr = E;
    return E <= fmax(epsabs, epsrel * fabs(R));
}

/* ---------------------------------------------------------------- densities at fixed x */

/* The components of model m at x with a positive gate weight. */
static int mix_at(const gmoe_model *m, const double *x, eval_mix *M)
{
    int rc = gmoe_model_gate_eval(m, x, M->w);
    if (rc) return rc;
    size_t d = m->d, n = 0;
    for (size_t j = 0; j < m->k; j++) {
        if (!(M->w[j] > 0)) continue;
        double mu = m->b[j];
        for (size_t t = 0; t < d; t++)
            mu += m->a[j * d + t] * x[t];
        double sd = sqrt(m->var[j]);
        M->coef[n] = M->w[j] / (sd * SQRT_2PI);
        M->mu[n] = mu;
        M->sd[n] = sd;
        M->ih[n] = 0.5 / m->var[j];
        n++;
    }
    M->n = n;
    return n > 0 ? GMOE_SUCCESS : GMOE_ENUMERIC;
}

static double mix_pdf(const eval_mix *M, double y)
{
    double s = 0;
    for (size_t j = 0; j < M->n; j++) {
        double r = y - M->mu[j];
        s += M->coef[j] * exp(-r * r * M->ih[j]);
    }
    return s;
}

typedef struct inner_ctx {
    const eval_mix *p, *q;
} inner_ctx;

static double f_h2(double y, void *vp)
{
    const inner_ctx *c = vp;
    double e = sqrt(mix_pdf(c->p, y)) - sqrt(mix_pdf(c->q, y));
    return 0.5 * e * e;
}

static double f_tv(double y, void *vp)
{
    const inner_ctx *c = vp;
    return 0.5 * fabs(mix_pdf(c->p, y) - mix_pdf(c->q, y));
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Breakpoints of the inner integral: the range [min mu - 40 sd, max mu + 40 sd] and every
 * component's mu + {0, +-2, +-5, +-10} sd inside it, sorted, without repeats. */
static size_t breakpoints(const eval_mix *A, const eval_mix *B, double *pts)
{
    static const double off[] = {-10, -5, -2, 0, 2, 5, 10};
    double lo = INFINITY, hi = -INFINITY;
    size_t n = 0;
    const eval_mix *mix[2] = {A, B};
    for (int s = 0; s < 2; s++)
        for (size_t j = 0; j < mix[s]->n; j++) {
            double mu = mix[s]->mu[j], sd = mix[s]->sd[j];
            if (mu - TAIL_SD * sd < lo) lo = mu - TAIL_SD * sd;
            if (mu + TAIL_SD * sd > hi) hi = mu + TAIL_SD * sd;
            for (size_t o = 0; o < sizeof off / sizeof off[0]; o++)
                pts[n++] = mu + off[o] * sd;
        }
    pts[n++] = lo;
    pts[n++] = hi;
    qsort(pts, n, sizeof(double), cmp_double);
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (m == 0 || pts[i] > pts[m - 1]) pts[m++] = pts[i];
    return m;
}

/* The error of sqrt(I) when I is known to within e: at most sqrt(I) - sqrt(max(I - e, 0)). */
static double sqrt_err(double I, double e)
{
    return sqrt(I) - sqrt(fmax(I - e, 0));
}

typedef struct point_val {
    double h, h_err, tv, tv_err;
    int ok;
} point_val;

/* h(x) and/or TV(x) with their errors. */
static int distances_at(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                        const gmoe_eval_params *par, const double *x, int want_h, int want_tv,
                        point_val *out)
{
    int rc = mix_at(fit, x, &w->mfit);
    if (!rc) rc = mix_at(truth, x, &w->mtru);
    if (rc) return rc;
    size_t np = breakpoints(&w->mfit, &w->mtru, w->pts);
    inner_ctx c = {&w->mfit, &w->mtru};
    out->ok = 1;
    if (want_h) {
        gsl_function F = {f_h2, &c};
        double I, e;
        out->ok &= quad_adapt(&F, w->pts, np, par->inner_epsabs, par->inner_epsrel, par->quad_limit,
                              &w->inner, &I, &e);
        I = fmin(fmax(I, 0), 1);
        out->h = sqrt(I);
        out->h_err = sqrt_err(I, e);
    }
    if (want_tv) {
        gsl_function F = {f_tv, &c};
        double I, e;
        out->ok &= quad_adapt(&F, w->pts, np, par->inner_epsabs, par->inner_epsrel, par->quad_limit,
                              &w->inner, &I, &e);
        out->tv = fmin(fmax(I, 0), 1);
        out->tv_err = e;
    }
    return GMOE_SUCCESS;
}

/* ---------------------------------------------------------------- expectation over x */

typedef struct outer_ctx {
    gmoe_eval *w;
    const gmoe_model *truth, *fit;
    const gmoe_eval_params *par;
    int want_tv;     /* integrate TV (1) or h (0) */
    double mean, sd; /* normal design: x = mean + sd z, weight phi(z) */
    int normal;
    double inner_err; /* largest inner error met */
    int ok, rc;
} outer_ctx;

static double f_outer(double z, void *vp)
{
    outer_ctx *c = vp;
    double x = c->normal ? c->mean + c->sd * z : z;
    point_val v;
    int rc = distances_at(c->w, c->truth, c->fit, c->par, &x, !c->want_tv, c->want_tv, &v);
    if (rc) {
        c->rc = rc;
        return 0;
    }
    double val = c->want_tv ? v.tv : v.h, e = c->want_tv ? v.tv_err : v.h_err;
    if (e > c->inner_err) c->inner_err = e;
    c->ok &= v.ok;
    return c->normal ? val * gsl_ran_ugaussian_pdf(z) : val;
}

static int outer_quadrature(outer_ctx *c, double *val, double *err)
{
    const gmoe_design *des = &c->par->design;
    double pts[17], scale = 1, tail = 0;
    size_t np;
    if (des->kind == GMOE_DESIGN_NORMAL) {
        static const double z[] = {-NORMAL_SD, -6, -3, -1.5, 0, 1.5, 3, 6, NORMAL_SD};
        np = sizeof z / sizeof z[0];
        memcpy(pts, z, sizeof z);
        c->normal = 1;
        c->mean = des->p1;
        c->sd = des->p2;
        tail = 2 * gsl_cdf_ugaussian_Q(NORMAL_SD); /* h, TV <= 1 beyond the range */
    } else {
        /* uniform and grid: the average over [lo, hi], first split in 8 */
        np = 9;
        for (size_t i = 0; i < np; i++)
            pts[i] = des->p1 + (des->p2 - des->p1) * (double)i / 8;
        scale = 1 / (des->p2 - des->p1);
    }
    gsl_function F = {f_outer, c};
    double I, e;
    c->ok &= quad_adapt(&F, pts, np, c->par->outer_epsabs / scale, c->par->outer_epsrel,
                        c->par->quad_limit, &c->w->outer, &I, &e);
    *val = I * scale;
    *err = e * scale + c->inner_err + tail;
    return c->rc;
}

static void draw_x(const gmoe_design *des, gsl_rng *rng, double *x, size_t d)
{
    for (size_t t = 0; t < d; t++)
        x[t] = des->kind == GMOE_DESIGN_NORMAL
                   ? des->p1 + gsl_ran_gaussian_ziggurat(rng, des->p2)
                   : des->p1 + (des->p2 - des->p1) * gsl_rng_uniform(rng);
}

/* Monte Carlo over x for h and TV at once; errors: one standard error plus the largest
 * inner error. */
static int outer_montecarlo(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                            const gmoe_eval_params *par, gmoe_eval_result *res)
{
    size_t N = par->mc_samples, d = fit->d;
    gsl_rng_set(w->rng, par->mc_seed);
    double mh = 0, sh = 0, mt = 0, st = 0, eh = 0, et = 0;
    int ok = 1;
    for (size_t i = 0; i < N; i++) {
        draw_x(&par->design, w->rng, w->x, d);
        point_val v;
        int rc = distances_at(w, truth, fit, par, w->x, 1, 1, &v);
        if (rc) return rc;
        ok &= v.ok;
        eh = fmax(eh, v.h_err);
        et = fmax(et, v.tv_err);
        /* Welford's running mean and sum of squared deviations */
        double n1 = (double)(i + 1), dh = v.h - mh, dt = v.tv - mt;
        mh += dh / n1;
        sh += dh * (v.h - mh);
        mt += dt / n1;
        st += dt * (v.tv - mt);
    }
    double n = (double)N;
    res->hellinger = mh;
    res->hellinger_err = sqrt(sh / (n - 1) / n) + eh;
    res->tv = mt;
    res->tv_err = sqrt(st / (n - 1) / n) + et;
    res->distances_converged = ok;
    return GMOE_SUCCESS;
}

static int prepare(gmoe_eval *w, const gmoe_eval_params *par, gmoe_error *err)
{
    /* room for the limit and for the initial split of the inner range */
    size_t need = par->quad_limit;
    if (need < 7 * (w->k + w->kstar) + 2) need = 7 * (w->k + w->kstar) + 2;
    if (quad_reserve(&w->inner, need) || quad_reserve(&w->outer, need))
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory (quadrature workspace)");
    return GMOE_SUCCESS;
}

static int numeric_error(int rc, gmoe_error *err)
{
    if (rc == GMOE_ENUMERIC)
        return gmoe_error_set(err, rc,
                              "density distances: a gate weight could not be "
                              "evaluated (non-finite x or covariance)");
    return gmoe_error_set(err, rc, "density distances: %s", gmoe_strerror(rc));
}

int gmoe_eval_distances_at(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                           const gmoe_eval_params *par, const double *x, double *h, double *tv,
                           double *h_err, double *tv_err, gmoe_error *err)
{
    int owned, rc = eval__check(w, truth, fit, 0, err);
    if (!rc) rc = gmoe_eval_params_validate(par, fit->d, err);
    if (rc) return rc;
    gmoe_eval *ws = eval__borrow(w, truth, fit, &owned, err);
    if (!ws) return GMOE_ENOMEM;
    point_val v;
    rc = prepare(ws, par, err);
    if (!rc && (rc = distances_at(ws, truth, fit, par, x, 1, 1, &v))) numeric_error(rc, err);
    if (!rc) {
        if (h) *h = v.h;
        if (tv) *tv = v.tv;
        if (h_err) *h_err = v.h_err;
        if (tv_err) *tv_err = v.tv_err;
    }
    if (owned) gmoe_eval_free(ws);
    return rc;
}

int gmoe_eval_distances(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                        const gmoe_eval_params *par, gmoe_eval_result *res, gmoe_error *err)
{
    int owned, rc = eval__check(w, truth, fit, 0, err);
    if (!rc) rc = gmoe_eval_params_validate(par, fit->d, err);
    if (rc) return rc;
    gmoe_eval *ws = eval__borrow(w, truth, fit, &owned, err);
    if (!ws) return GMOE_ENOMEM;
    rc = prepare(ws, par, err);
    gmoe_outer_kind outer = par->outer;
    if (outer == GMOE_OUTER_AUTO)
        outer = fit->d == 1 ? GMOE_OUTER_QUADRATURE : GMOE_OUTER_MONTECARLO;
    res->outer = outer;
    if (!rc && outer == GMOE_OUTER_MONTECARLO) {
        rc = outer_montecarlo(ws, truth, fit, par, res);
    } else if (!rc) {
        outer_ctx c = {ws, truth, fit, par, 0, 0, 0, 0, 0, 1, 0};
        rc = outer_quadrature(&c, &res->hellinger, &res->hellinger_err);
        int ok = c.ok;
        if (!rc) {
            outer_ctx c2 = {ws, truth, fit, par, 1, 0, 0, 0, 0, 1, 0};
            rc = outer_quadrature(&c2, &res->tv, &res->tv_err);
            ok &= c2.ok;
        }
        res->distances_converged = ok;
    }
    if (rc && rc != GMOE_ENOMEM) numeric_error(rc, err);
    if (owned) gmoe_eval_free(ws);
    return rc;
}
