/* Density distances between the conditional densities of a fitted and a true model: the
 * expected Hellinger distance and the expected total variation over the design of x
 * (gmoe_eval.h describes the integrals and their error control). */
#include <config.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>
#include "eval_internal.h"
#include "vmath.h"

#define SQRT_2PI 2.5066282746310005024
/* The inner integral's range: every component's mean +- this many standard deviations. */
#define TAIL_SD 12.0
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

/* The 21-point Gauss-Kronrod rule of QUADPACK (gsl_integration_qk21): Kronrod abscissae on
 * [-1, 1] (descending; the Gauss ones are the odd entries), their weights, and the weights of
 * the embedded 10-point Gauss rule. Our own copy because h^2 and TV are integrated together
 * from one evaluation of both densities at a whole batch of nodes. */
static const double xgk[11] = {
    0.995657163025808080735527280689003, 0.973906528517171720077964012084452,
    0.930157491355708226001207180059508, 0.865063366688984510732096688423493,
    0.780817726586416897063717578345042, 0.679409568299024406234327365114874,
    0.562757134668604683339000099272694, 0.433395394129247190799265943165784,
    0.294392862701460198131126603103866, 0.148874338981631210884826001129720,
    0.000000000000000000000000000000000};
static const double wgk[11] = {
    0.011694638867371874278064396062192, 0.032558162307964727478818972459390,
    0.054755896574351996031381300244580, 0.075039674810919952767043140916190,
    0.093125454583697605535065465083366, 0.109387158802297641899210590325805,
    0.123491976262065851077208292570520, 0.134709217311473325928054001771707,
    0.142775938577060080797094273138717, 0.147739104901338491374841515972068,
    0.149445554002916905664936468389821};
static const double wg[5] = {
    0.066671344308688137593568809893332, 0.149451349150580593145776339657697,
    0.219086362515982043995534934228163, 0.269266719309996355091226921569469,
    0.295524224714752870173892994651338};

/* The nodes of [a, b]: node t < 10 at c - h xgk[t], node 10 at c, node 11 + t at
 * c + h xgk[t]. */
static void gk_nodes(double a, double b, double *y)
{
    double c = 0.5 * (a + b), h = 0.5 * (b - a);
    for (int t = 0; t < 10; t++) {
        y[t] = c - h * xgk[t];
        y[11 + t] = c + h * xgk[t];
    }
    y[10] = c;
}

/* QUADPACK's estimate and error from the values f at the nodes of gk_nodes. */
static void gk_sum(const double *f, double h, double *result, double *abserr)
{
    double resk = f[10] * wgk[10], resg = 0, resabs = fabs(f[10]) * wgk[10];
    for (int t = 0; t < 10; t++) {
        double s = f[t] + f[11 + t];
        resk += wgk[t] * s;
        resabs += wgk[t] * (fabs(f[t]) + fabs(f[11 + t]));
        if (t & 1) resg += wg[t / 2] * s;
    }
    double mean = 0.5 * resk, resasc = wgk[10] * fabs(f[10] - mean);
    for (int t = 0; t < 10; t++)
        resasc += wgk[t] * (fabs(f[t] - mean) + fabs(f[11 + t] - mean));
    h = fabs(h);
    double err = fabs((resk - resg) * h);
    resasc *= h;
    resabs *= h;
    if (resasc != 0 && err != 0) {
        double scale = pow(200 * err / resasc, 1.5);
        err = scale < 1 ? resasc * scale : resasc;
    }
    if (resabs > DBL_MIN / (50 * DBL_EPSILON) && err < 50 * DBL_EPSILON * resabs)
        err = 50 * DBL_EPSILON * resabs;
    *result = resk * h;
    *abserr = err;
}

/* Both integrands at the GK_NODES nodes y: f[0 .. GK_NODES-1] and f[GK_NODES ..]. */
typedef int (*quad_fn)(const double *y, double *f, void *ctx);

static int quad_piece(quad_fn fn, void *ctx, double a, double b, eval_iv *iv)
{
    double y[GK_NODES], f[2 * GK_NODES];
    gk_nodes(a, b, y);
    int rc = fn(y, f, ctx);
    if (rc) return rc;
    iv->a = a;
    iv->b = b;
    for (int c = 0; c < 2; c++)
        gk_sum(f + c * GK_NODES, 0.5 * (b - a), &iv->r[c], &iv->e[c]);
    return GMOE_SUCCESS;
}

/* Points inside (a, b) where the piece of the last call of the integrand should be split
 * (at most cap, increasing); returns their number. */
typedef size_t (*quad_split)(void *ctx, double a, double b, double *at, size_t cap);
#define QUAD_MAXSPLIT 8

/* Integrate both integrands of fn over [pts[0], pts[np-1]], first split at every point (and
 * where split, if not NULL, asks after the first evaluation of a piece): the 21-point rule
 * on each piece, then bisection of the piece that most exceeds its share
 * of a tolerance not yet met, until both totals are within max(epsabs, epsrel |I|), the
 * pieces number limit, or no piece can be split further. Unlike gsl_integration_qag this
 * never calls the GSL error handler, and a tolerance not met is reported (*ok = 0), not an
 * error. */
static int quad_adapt(quad_fn fn, quad_split split, void *ctx, const double *pts, size_t np,
                      double epsabs, double epsrel, size_t limit, eval_quad *q, double *R,
                      double *E, int *ok)
{
    size_t n = 0;
    R[0] = R[1] = E[0] = E[1] = 0;
    if (limit > q->cap) limit = q->cap;
    for (size_t i = 0; i + 1 < np; i++) {
        double at[QUAD_MAXSPLIT + 2];
        size_t ns = 0;
        at[0] = pts[i];
        int rc = quad_piece(fn, ctx, pts[i], pts[i + 1], q->iv + n);
        if (!rc && split && n + QUAD_MAXSPLIT + np - i < limit)
            ns = split(ctx, pts[i], pts[i + 1], at + 1, QUAD_MAXSPLIT);
        at[ns + 1] = pts[i + 1];
        for (size_t u = 0; !rc && ns && u <= ns; u++)
            rc = quad_piece(fn, ctx, at[u], at[u + 1], q->iv + n + u);
        if (rc) return rc;
        for (size_t u = 0; u <= ns; u++, n++)
            for (int c = 0; c < 2; c++) {
                R[c] += q->iv[n].r[c];
                E[c] += q->iv[n].e[c];
            }
    }
    for (;;) {
        double tol[2];
        int open[2];
        for (int c = 0; c < 2; c++) {
            tol[c] = fmax(epsabs, epsrel * fabs(R[c]));
            open[c] = E[c] > tol[c];
        }
        if (!(open[0] || open[1]) || n >= limit) break;
        size_t worst = n;
        double wv = 0;
        for (size_t i = 0; i < n; i++) {
            const eval_iv *iv = q->iv + i;
            /* a piece a few ulps wide cannot be split: its error stays as it is */
            if (!(iv->b - iv->a > 64 * DBL_EPSILON * (fabs(iv->a) + fabs(iv->b)))) continue;
            for (int c = 0; c < 2; c++)
                if (open[c] && iv->e[c] / tol[c] > wv) {
                    wv = iv->e[c] / tol[c];
                    worst = i;
                }
        }
        if (worst == n) break;
        eval_iv old = q->iv[worst];
        double mid = 0.5 * (old.a + old.b);
        int rc = quad_piece(fn, ctx, old.a, mid, q->iv + worst);
        if (!rc) rc = quad_piece(fn, ctx, mid, old.b, q->iv + n);
        if (rc) return rc;
        for (int c = 0; c < 2; c++) {
            R[c] += q->iv[worst].r[c] + q->iv[n].r[c] - old.r[c];
            E[c] += q->iv[worst].e[c] + q->iv[n].e[c] - old.e[c];
        }
        n++;
    }
    /* sum afresh: the running sums drift */
    *ok = 1;
    for (int c = 0; c < 2; c++) {
        R[c] = E[c] = 0;
        for (size_t i = 0; i < n; i++) {
            R[c] += q->iv[i].r[c];
            E[c] += q->iv[i].e[c];
        }
        *ok &= E[c] <= fmax(epsabs, epsrel * fabs(R[c]));
    }
    return GMOE_SUCCESS;
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

/* The mixture's density at the GK_NODES points y. */
GMOE_KERNEL static void mix_pdf(const eval_mix *M, const double *y, double *p)
{
    double e[GK_NODES];
    for (int t = 0; t < GK_NODES; t++)
        p[t] = 0;
    for (size_t j = 0; j < M->n; j++) {
        double mu = M->mu[j], ih = M->ih[j], coef = M->coef[j];
        for (int t = 0; t < GK_NODES; t++) {
            double r = y[t] - mu;
            e[t] = -r * r * ih;
        }
        for (int t = 0; t < GK_NODES; t++)
            p[t] += coef * gmoe__vexp_nonpos(e[t]);
    }
}

typedef struct inner_ctx {
    const eval_mix *p, *q;
    double y[GK_NODES], g[GK_NODES]; /* the last nodes and p - q there */
    double tol;                      /* crossings: bracket width */
} inner_ctx;

/* h^2 and TV integrands: (1/2)(sqrt p - sqrt q)^2, written (p - q)^2 / (sqrt p + sqrt q)^2 to
 * keep its relative accuracy where p and q nearly agree, and (1/2)|p - q|. */
static int f_inner(const double *y, double *f, void *vp)
{
    inner_ctx *c = vp;
    double p[GK_NODES], q[GK_NODES];
    mix_pdf(c->p, y, p);
    mix_pdf(c->q, y, q);
    for (int t = 0; t < GK_NODES; t++) {
        double s = sqrt(p[t]) + sqrt(q[t]), dpq = p[t] - q[t];
        double e = s > 0 ? dpq / s : 0;
        c->y[t] = y[t];
        c->g[t] = dpq;
        f[t] = 0.5 * e * e;
        f[GK_NODES + t] = 0.5 * fabs(dpq);
    }
    return GMOE_SUCCESS;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Breakpoints of the inner integral: the range [min mu - 12 sd, max mu + 12 sd] (each
 * component's mass beyond its own 12 sd is 3.6e-33: h^2 and TV lose less than that) and
 * every component's mu + {0, +-3, +-6} sd inside it, sorted; points closer than a
 * tenth of the narrowest sd to the one before are dropped (a fit close to the truth would
 * otherwise double every point), the range's ends are kept. */
static size_t breakpoints(const eval_mix *A, const eval_mix *B, double *pts)
{
    static const double off[] = {-6, -3, 0, 3, 6};
    double lo = INFINITY, hi = -INFINITY, sdmin = INFINITY;
    size_t n = 0;
    const eval_mix *mix[2] = {A, B};
    for (int s = 0; s < 2; s++)
        for (size_t j = 0; j < mix[s]->n; j++) {
            double mu = mix[s]->mu[j], sd = mix[s]->sd[j];
            if (mu - TAIL_SD * sd < lo) lo = mu - TAIL_SD * sd;
            if (mu + TAIL_SD * sd > hi) hi = mu + TAIL_SD * sd;
            if (sd < sdmin) sdmin = sd;
            for (size_t o = 0; o < sizeof off / sizeof off[0]; o++)
                pts[n++] = mu + off[o] * sd;
        }
    qsort(pts, n, sizeof(double), cmp_double);
    double gap = 0.1 * sdmin;
    size_t m = 0;
    pts[m++] = lo;
    for (size_t i = 0; i < n; i++)
        if (pts[i] - pts[m - 1] >= gap && hi - pts[i] >= gap) pts[m++] = pts[i];
    pts[m++] = hi;
    return m;
}

/* The density of a mixture at one point (root refinement). */
static double mix_pdf1(const eval_mix *M, double y)
{
    double s = 0;
    for (size_t j = 0; j < M->n; j++) {
        double r = y - M->mu[j];
        s += M->coef[j] * exp(-r * r * M->ih[j]);
    }
    return s;
}

/* A zero of g = p - q in [a, b], g(a) and g(b) of opposite signs, to a bracket of width
 * tol: false position with the Illinois modification (superlinear, never leaves the
 * bracket). */
static double crossing_refine(const inner_ctx *c, double a, double ga, double b, double gb,
                              double tol)
{
    int side = 0;
    for (int it = 0; it < 100 && b - a > tol; it++) {
        double m = (a * gb - b * ga) / (gb - ga);
        if (!(m > a && m < b)) m = 0.5 * (a + b);
        double gm = mix_pdf1(c->p, m) - mix_pdf1(c->q, m);
        if (gm == 0) return m;
        if ((gm > 0) == (gb > 0)) {
            b = m;
            gb = gm;
            if (side == -1) ga *= 0.5;
            side = -1;
        } else {
            a = m;
            ga = gm;
            if (side == 1) gb *= 0.5;
            side = 1;
        }
    }
    return 0.5 * (a + b);
}

/* The split hook of the inner integral: the points where p - q changes sign between
 * consecutive nodes of the piece just evaluated. The TV integrand |p - q| has a kink there,
 * which bisection would chase for dozens of levels; as a breakpoint it costs nothing. A
 * crossing missed (two in one gap between nodes, or one between a piece's end and its
 * outermost node) only costs bisections: the error control stays the quadrature's. */
static size_t inner_crossings(void *vp, double a, double b, double *at, size_t cap)
{
    /* the nodes of gk_nodes in increasing order */
    static const int order[GK_NODES] = {0,  1,  2,  3,  4,  5,  6,  7,  8,  9, 10,
                                        20, 19, 18, 17, 16, 15, 14, 13, 12, 11};
    const inner_ctx *c = vp;
    double yprev = 0, gprev = 0;
    size_t n = 0;
    for (int u = 0; u < GK_NODES && n < cap; u++) {
        int t = order[u];
        double g = c->g[t];
        if (g == 0) continue;
        if (gprev != 0 && (g > 0) != (gprev > 0)) {
            double r = crossing_refine(c, yprev, gprev, c->y[t], g, c->tol);
            if (r > a && r < b && (n == 0 || r > at[n - 1])) at[n++] = r;
        }
        yprev = c->y[t];
        gprev = g;
    }
    return n;
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

/* h(x) and TV(x) with their errors. */
static int distances_at(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                        const gmoe_eval_params *par, const double *x, point_val *out)
{
    int rc = mix_at(fit, x, &w->mfit);
    if (!rc) rc = mix_at(truth, x, &w->mtru);
    if (rc) return rc;
    size_t np = breakpoints(&w->mfit, &w->mtru, w->pts);
    inner_ctx c = {.p = &w->mfit, .q = &w->mtru, .tol = 1e-9 * (w->pts[np - 1] - w->pts[0])};
    double R[2], E[2];
    rc = quad_adapt(f_inner, inner_crossings, &c, w->pts, np, par->inner_epsabs, par->inner_epsrel,
                    par->quad_limit, &w->inner, R, E, &out->ok);
    if (rc) return rc;
    double I = fmin(fmax(R[0], 0), 1);
    out->h = sqrt(I);
    out->h_err = sqrt_err(I, E[0]);
    out->tv = fmin(fmax(R[1], 0), 1);
    out->tv_err = E[1];
    return GMOE_SUCCESS;
}

/* ---------------------------------------------------------------- expectation over x */

typedef struct outer_ctx {
    gmoe_eval *w;
    const gmoe_model *truth, *fit;
    const gmoe_eval_params *par;
    double mean, sd; /* normal design: x = mean + sd z, weight phi(z) */
    int normal;
    double h_err, tv_err; /* largest inner errors met */
    int ok;
} outer_ctx;

static int f_outer(const double *z, double *f, void *vp)
{
    outer_ctx *c = vp;
    for (int t = 0; t < GK_NODES; t++) {
        double x = c->normal ? c->mean + c->sd * z[t] : z[t];
        point_val v;
        int rc = distances_at(c->w, c->truth, c->fit, c->par, &x, &v);
        if (rc) return rc;
        c->h_err = fmax(c->h_err, v.h_err);
        c->tv_err = fmax(c->tv_err, v.tv_err);
        c->ok &= v.ok;
        double wt = c->normal ? gsl_ran_ugaussian_pdf(z[t]) : 1;
        f[t] = v.h * wt;
        f[GK_NODES + t] = v.tv * wt;
    }
    return GMOE_SUCCESS;
}

/* The gate design's model: the design's own, else the truth (checked by
 * gmoe_eval_distances). */
static const gmoe_model *gate_source(const gmoe_design *des, const gmoe_model *truth)
{
    return des->model ? des->model : truth;
}

/* E[h(X)] and E[TV(X)] for d = 1 by quadrature over the design. The normal design and each
 * component of the gate design's mixture are integrated in z = (x - mean) / sd against phi(z)
 * over +-NORMAL_SD, where the breakpoints follow the density's scale; the gate design then
 * weighs its components by their pi. */
static int outer_quadrature(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                            const gmoe_eval_params *par, gmoe_eval_result *res)
{
    static const double z[] = {-NORMAL_SD, -6, -3, -1.5, 0, 1.5, 3, 6, NORMAL_SD};
    const gmoe_design *des = &par->design;
    outer_ctx c = {w, truth, fit, par, 0, 0, 0, 0, 0, 1};
    double pts[9], tail = 0, sum[2] = {0, 0}, esum[2] = {0, 0}, R[2], E[2];
    int ok = 1, rc = GMOE_SUCCESS;
    if (des->kind == GMOE_DESIGN_UNIFORM || des->kind == GMOE_DESIGN_GRID) {
        /* uniform and grid: the average over [lo, hi], first split in 8 */
        double scale = 1 / (des->p2 - des->p1);
        for (size_t i = 0; i < 9; i++)
            pts[i] = des->p1 + (des->p2 - des->p1) * (double)i / 8;
        rc = quad_adapt(f_outer, NULL, &c, pts, 9, par->outer_epsabs / scale, par->outer_epsrel,
                        par->quad_limit, &w->outer, R, E, &ok);
        for (int m = 0; m < 2 && !rc; m++)
            sum[m] = R[m] * scale, esum[m] = E[m] * scale;
    } else {
        /* normal: one component; gate: the mixture's (d = 1: Gamma_j is a variance) */
        const gmoe_model *mix = des->kind == GMOE_DESIGN_GATE ? gate_source(des, truth) : NULL;
        size_t ncomp = mix ? mix->k : 1;
        double tot = 0;
        for (size_t j = 0; mix && j < ncomp; j++)
            tot += mix->pi[j];
        c.normal = 1;
        for (size_t j = 0; j < ncomp && !rc; j++) {
            double wt = mix ? mix->pi[j] / tot : 1;
            int okj;
            c.mean = mix ? mix->c[j] : des->p1;
            c.sd = mix ? sqrt(mix->Gamma[j]) : des->p2;
            rc = quad_adapt(f_outer, NULL, &c, z, sizeof z / sizeof z[0], par->outer_epsabs,
                            par->outer_epsrel, par->quad_limit, &w->outer, R, E, &okj);
            ok &= okj;
            for (int m = 0; m < 2 && !rc; m++)
                sum[m] += wt * R[m], esum[m] += wt * E[m];
        }
        tail = 2 * gsl_cdf_ugaussian_Q(NORMAL_SD); /* h, TV <= 1 beyond the range */
    }
    if (rc) return rc;
    res->hellinger = sum[0];
    res->hellinger_err = esum[0] + c.h_err + tail;
    res->tv = sum[1];
    res->tv_err = esum[1] + c.tv_err + tail;
    res->distances_converged = ok && c.ok;
    return GMOE_SUCCESS;
}

/* One x from the design; gate: the mixture prepared in gm by gmoe__gatemix_prepare. */
static void draw_x(const gmoe_design *des, const gmoe_model *mix, const double *gm, gsl_rng *rng,
                   double *x, size_t d)
{
    if (des->kind == GMOE_DESIGN_GATE) {
        gmoe__gatemix_draw(mix, gm, rng, x, 1);
        return;
    }
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
    const gmoe_model *mix = NULL;
    double *gm = NULL;
    if (par->design.kind == GMOE_DESIGN_GATE) {
        mix = gate_source(&par->design, truth);
        if (!(gm = malloc(gmoe__gatemix_size(mix) * sizeof(double)))) return GMOE_ENOMEM;
        int rc = gmoe__gatemix_prepare(mix, gm);
        if (rc) {
            free(gm);
            return rc;
        }
    }
    gsl_rng_set(w->rng, par->mc_seed);
    double mh = 0, sh = 0, mt = 0, st = 0, eh = 0, et = 0;
    int ok = 1;
    for (size_t i = 0; i < N; i++) {
        draw_x(&par->design, mix, gm, w->rng, w->x, d);
        point_val v;
        int rc = distances_at(w, truth, fit, par, w->x, &v);
        if (rc) {
            free(gm);
            return rc;
        }
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
    free(gm);
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
    if (need < EV_NPTS(w->k, w->kstar)) need = EV_NPTS(w->k, w->kstar);
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
    if (!rc && (rc = distances_at(ws, truth, fit, par, x, &v))) numeric_error(rc, err);
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
    if (!rc && par->design.kind == GMOE_DESIGN_GATE) {
        /* the gate design without a model of its own draws x from the truth's gate */
        gmoe_design des = par->design;
        des.model = gate_source(&des, truth);
        rc = gmoe_design_validate(&des, fit->d, err);
    }
    if (rc) return rc;
    gmoe_eval *ws = eval__borrow(w, truth, fit, &owned, err);
    if (!ws) return GMOE_ENOMEM;
    rc = prepare(ws, par, err);
    gmoe_outer_kind outer = par->outer;
    if (outer == GMOE_OUTER_AUTO)
        outer = fit->d == 1 ? GMOE_OUTER_QUADRATURE : GMOE_OUTER_MONTECARLO;
    res->outer = outer;
    if (!rc) {
        rc = outer == GMOE_OUTER_MONTECARLO ? outer_montecarlo(ws, truth, fit, par, res)
                                            : outer_quadrature(ws, truth, fit, par, res);
        if (rc) numeric_error(rc, err);
    }
    if (owned) gmoe_eval_free(ws);
    return rc;
}
