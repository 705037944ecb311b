/* The bounded estimator (gmoe_em_params.gate_bound, MODELS.md 7): a huge bound gives the
 * unbounded fit; a small one keeps every gate parameter in the box and ends at a point that
 * satisfies the KKT conditions of the box-constrained maximum, checked by central finite
 * differences of the log-likelihood (gmoe_model_loglik, the public evaluation, not EM's
 * passes), with plain EM, SQUAREM and quasi-Newton, and quasi-Newton ends where SQUAREM does;
 * the objective never decreases over iterations, with each of the three, from a model and
 * from a partition; starts outside the box are projected; the Gaussian gate refuses a bound.
 * Every test loops over the gate families of emtest.h. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <gsl/gsl_rng.h>
#include "emtest.h"

/* One free gate parameter of the canonical form: expert j's beta0 (what 0), beta1 (1, d = 1)
 * or tau (2). */
typedef struct gpar {
    size_t j;
    int what;
} gpar;

/* The free gate parameters of family f with k experts under a bound (a bounded temperature
 * gate holds tau; the activation gate estimates it unless fix_tau). */
static size_t free_params(int f, size_t k, gpar *out)
{
    gmoe_gate g = em_families[f].gate;
    size_t n = 0;
    int pin1 = g == GMOE_GATE_SOFTMAX || g == GMOE_GATE_TOPK || g == GMOE_GATE_TEMPERATURE;
    int pin0 = pin1 || g == GMOE_GATE_ACTIVATION;
    for (size_t j = 0; j < k; j++) {
        if (!(pin0 && j == k - 1)) out[n++] = (gpar){j, 0};
        if (!(pin1 && j == k - 1)) out[n++] = (gpar){j, 1};
    }
    if (g == GMOE_GATE_ACTIVATION && !em_families[f].fix_tau) out[n++] = (gpar){0, 2};
    return n;
}

static double get_par(const gmoe_model *m, gpar p)
{
    double b0, b1;
    if (p.what == 2) return gmoe_model_tau(m);
    gmoe_model_get_expert(m, p.j, &b0, &b1, NULL, NULL, NULL);
    return p.what == 0 ? b0 : b1;
}

static void set_par(gmoe_model *m, gpar p, double v)
{
    double b0, b1, a, b, var;
    if (p.what == 2) {
        gmoe_model_set_tau(m, v);
        return;
    }
    gmoe_model_get_expert(m, p.j, &b0, &b1, &a, &b, &var);
    if (p.what == 0)
        b0 = v;
    else
        b1 = v;
    gmoe_model_set_expert(m, p.j, b0, &b1, &a, b, var);
}

/* The box of parameter p for bound B: [lo, hi]. */
static void box_of(const gmoe_model *m, gpar p, double B, double *lo, double *hi)
{
    double s = gmoe_model_gate(m) == GMOE_GATE_TEMPERATURE ? gmoe_model_tau(m) : 1.0;
    if (p.what == 2) {
        *lo = 1 / B;
        *hi = INFINITY;
    } else {
        *lo = -B * (p.what == 1 ? s : 1.0);
        *hi = -*lo;
    }
}

static double loglik_at(const gmoe_model *m, const gmoe_data *data)
{
    double ll;
    gmoe_error err;
    ck_assert_msg(gmoe_model_loglik(m, data, &ll, &err) == GMOE_SUCCESS, "%s", err.msg);
    return ll;
}

/* d loglik / d p by central differences of step h relative to max(1, |p|). */
static double fd_grad(const gmoe_model *m, const gmoe_data *data, gpar p)
{
    gmoe_model *c = gmoe_model_clone(m);
    double v = get_par(m, p), h = 1e-5 * fmax(1.0, fabs(v));
    set_par(c, p, v + h);
    double up = loglik_at(c, data);
    set_par(c, p, v - h);
    double down = loglik_at(c, data);
    gmoe_model_free(c);
    return (up - down) / (2 * h);
}

/* A test problem: family f's truth with k = 3 experts, n observations with x ~ U(-2, 2)
 * (seeded), a start (a poor model, or with flat 1 the flat template of partition starts),
 * and the family's EM parameters. */
typedef struct bcase {
    size_t k;
    gmoe_model *truth, *start;
    gmoe_data *data;
    gmoe_em_params par;
    const char *name;
} bcase;

static bcase case_open(int f, size_t n, unsigned long seed, int flat)
{
    bcase c;
    c.k = 3;
    c.truth = em_truth(f, c.k);
    c.data = em_simulate(c.truth, n, -2, 2, seed + (unsigned long)f);
    c.start = flat ? em_template(f, c.k, 1) : em_poor_start(f, c.k);
    c.par = em_params(f);
    c.name = em_families[f].name;
    ck_assert_ptr_nonnull(c.data);
    return c;
}

static void case_close(bcase *c)
{
    gmoe_model_free(c->truth);
    gmoe_model_free(c->start);
    gmoe_data_free(c->data);
}

/* Run EM on data from start (a model) with params par to its end; returns the workspace. */
static gmoe_em *run_em(const gmoe_data *data, const gmoe_model *start, const gmoe_em_params *par,
                       gmoe_em_info *info)
{
    gmoe_em *w = em_started(data, start, par, 0, 0);
    gmoe_error err;
    ck_assert_msg(gmoe_em_driver(w, NULL, NULL, info, &err) == GMOE_SUCCESS, "%s", err.msg);
    return w;
}

/* ------------------------------------------------------------------ a huge bound */

/* A bound that the fit never reaches changes nothing: the same path, the same numbers (the
 * temperature gate, whose bounded form holds tau, the same beta1/tau and log-likelihood). */
START_TEST(test_huge_bound_is_unbounded)
{
    int f = _i;
    bcase c = case_open(f, 2000, 401, 0);
    size_t k = c.k;
    c.par.tol = 1e-12;
    gmoe_em_info i0, i1;
    gmoe_em *w0 = run_em(c.data, c.start, &c.par, &i0);
    c.par.gate_bound = 1e8;
    gmoe_em *w1 = run_em(c.data, c.start, &c.par, &i1);
    const gmoe_model *m0 = gmoe_em_model(w0), *m1 = gmoe_em_model(w1);
    const char *name = c.name;
    ck_assert_int_eq(i1.bound_active, 0);
    ck_assert_msg(i0.status == i1.status, "%s: status %s, bounded %s", name,
                  gmoe_fit_status_name(i0.status), gmoe_fit_status_name(i1.status));
    int held_tau = em_families[f].gate == GMOE_GATE_TEMPERATURE && !em_families[f].fix_tau;
    if (!held_tau) {
        ck_assert_msg(i0.loglik == i1.loglik && i0.iterations == i1.iterations,
                      "%s: loglik %.17g in %zu iterations, bounded %.17g in %zu", name, i0.loglik,
                      i0.iterations, i1.loglik, i1.iterations);
        double p0[5], p1[5];
        for (size_t j = 0; j < k; j++) {
            gmoe_model_get_expert(m0, j, p0, p0 + 1, p0 + 2, p0 + 3, p0 + 4);
            gmoe_model_get_expert(m1, j, p1, p1 + 1, p1 + 2, p1 + 3, p1 + 4);
            for (int s = 0; s < 5; s++)
                ck_assert_msg(p0[s] == p1[s], "%s: expert %zu parameter %d: %.17g bounded %.17g",
                              name, j, s, p0[s], p1[s]);
        }
        ck_assert(gmoe_model_tau(m0) == gmoe_model_tau(m1));
    } else {
        ck_assert_close(i1.loglik, i0.loglik, 1e-7, 0, name);
        for (size_t j = 0; j < k; j++) {
            double b0, b1, c0, c1;
            gmoe_model_get_expert(m0, j, &b0, &b1, NULL, NULL, NULL);
            gmoe_model_get_expert(m1, j, &c0, &c1, NULL, NULL, NULL);
            ck_assert_close(c0, b0, 1e-4, 1e-4, name);
            ck_assert_close(c1 / gmoe_model_tau(m1), b1 / gmoe_model_tau(m0), 1e-4, 1e-4, name);
        }
    }
    gmoe_em_free(w0);
    gmoe_em_free(w1);
    case_close(&c);
}
END_TEST

/* ------------------------------------------------------------------ a small bound */

/* The three ways to run EM: 0 plain EM, 1 SQUAREM, 2 quasi-Newton. */
static void set_accel(gmoe_em_params *par, int mode)
{
    par->accel = mode != 0;
    par->accel_method = mode == 2 ? GMOE_ACCEL_QN : GMOE_ACCEL_SQUAREM;
}

/* Fit family f with bound B (mode: set_accel's) to a tight tolerance; check the box and the
 * KKT conditions by finite differences: zero gradient inside the box, a gradient pointing out
 * of the box at an active bound. Quasi-Newton must also end where SQUAREM ends from the same
 * start: the same log-likelihood and the same model (up to the experts' labels). */
static void check_kkt(int f, double B, int mode)
{
    size_t n = 1000;
    bcase c = case_open(f, n, 501, 0);
    c.par.gate_bound = B;
    set_accel(&c.par, mode);
    c.par.tol = 1e-14;
    c.par.max_iter = 20000;
    gmoe_em_info info;
    gmoe_em *w = run_em(c.data, c.start, &c.par, &info);
    const gmoe_model *m = gmoe_em_model(w);
    const char *name = c.name;
    ck_assert_msg(info.status == GMOE_FIT_CONVERGED, "%s: status %s", name,
                  gmoe_fit_status_name(info.status));
    gpar p[16];
    size_t np = free_params(f, c.k, p), active = 0, inside = 0;
    for (size_t s = 0; s < np; s++) {
        double v = get_par(m, p[s]), lo, hi;
        box_of(m, p[s], B, &lo, &hi);
        double tol = 1e-12 * fmax(1.0, fabs(v));
        ck_assert_msg(v >= lo - tol && v <= hi + tol, "%s: parameter %zu = %.17g outside [%g, %g]",
                      name, s, v, lo, hi);
        double g = fd_grad(m, c.data, p[s]);
        /* The gradient's scale: a gradient that large (per observation) is not zero. */
        double zero = 2e-4 * (double)n / 1000;
        if (v <= lo + tol) {
            active++;
            ck_assert_msg(g <= zero, "%s: parameter %zu on its lower bound, gradient %g > 0", name,
                          s, g);
        } else if (v >= hi - tol) {
            active++;
            ck_assert_msg(g >= -zero, "%s: parameter %zu on its upper bound, gradient %g < 0", name,
                          s, g);
        } else {
            inside++;
            ck_assert_msg(fabs(g) <= zero, "%s: parameter %zu = %g inside the box, gradient %g",
                          name, s, v, g);
        }
    }
    ck_assert_msg(active > 0, "%s: no parameter on the bound %g: the test checks nothing", name, B);
    ck_assert_msg(active == info.bound_active, "%s: %zu parameters on the bound, reported %zu",
                  name, active, info.bound_active);
    ck_assert_msg(inside > 0, "%s: every parameter on the bound", name);
    if (mode == 2) {
        gmoe_em_info isq;
        set_accel(&c.par, 1);
        gmoe_em *wsq = run_em(c.data, c.start, &c.par, &isq);
        const gmoe_model *msq = gmoe_em_model(wsq);
        ck_assert_close(info.loglik, isq.loglik, 0, 1e-10, name);
        ck_assert_uint_eq(info.bound_active, isq.bound_active);
        /* The same model up to the labels of the experts: the same density of y given x. */
        for (double x = -2; x <= 2; x += 0.25)
            for (double y = -5; y <= 5; y += 0.5)
                ck_assert_close(gmoe_model_logpdf(m, &x, y), gmoe_model_logpdf(msq, &x, y), 1e-6,
                                1e-6, name);
        gmoe_em_free(wsq);
    }
    gmoe_em_free(w);
    case_close(&c);
}

/* Loop index: family _i / 3, set_accel's mode _i % 3. */
START_TEST(test_kkt)
{
    check_kkt(_i / 3, 1.0, _i % 3);
}
END_TEST

/* ------------------------------------------------------------------ monotonicity */

/* Whether every free gate parameter of m is in the box of bound B. */
static int in_box(const gmoe_model *m, int f, double B)
{
    gpar p[16];
    size_t np = free_params(f, gmoe_model_k(m), p);
    for (size_t s = 0; s < np; s++) {
        double v = get_par(m, p[s]), lo, hi;
        box_of(m, p[s], B, &lo, &hi);
        double tol = 1e-12 * fmax(1.0, fabs(v));
        if (!(v >= lo - tol && v <= hi + tol)) return 0;
    }
    return 1;
}

typedef struct box_ctx {
    int f;
    double B;
} box_ctx;

/* em_mono_rec's check: nonzero when an iterate left the box. */
static int outside_box(const gmoe_em *w, void *ctx)
{
    const box_ctx *b = ctx;
    return !in_box(gmoe_em_model(w), b->f, b->B);
}

/* From a poor model (from_resp 0) or a random partition (1), with each of set_accel's modes
 * and a small bound: the log-likelihood never decreases and every iterate is in the box. */
static void check_monotone(int f, int accel, int from_resp)
{
    box_ctx box = {f, 0.5};
    bcase c = case_open(f, 1000, 601, from_resp);
    c.par.gate_bound = box.B;
    set_accel(&c.par, accel);
    c.par.max_iter = 150;
    c.par.tol = 1e-12;
    gmoe_em *w = em_started(c.data, c.start, &c.par, from_resp, 5);
    gmoe_error err;
    const char *name = c.name;
    ck_assert_msg(in_box(gmoe_em_model(w), f, box.B), "%s: the start is outside the box", name);
    em_mono_rec rec = em_mono_start(w);
    rec.check = outside_box;
    rec.ctx = &box;
    gmoe_em_info info;
    ck_assert_msg(gmoe_em_driver(w, em_mono_cb, &rec, &info, &err) == GMOE_SUCCESS, "%s: %s", name,
                  err.msg);
    ck_assert_uint_gt(rec.count, 0);
    ck_assert_msg(rec.worst <= 1e-10, "%s accel %d resp %d: log-likelihood fell by %g at %zu", name,
                  accel, from_resp, rec.worst, rec.worst_it);
    ck_assert_msg(rec.bad == 0, "%s accel %d resp %d: %zu iterates outside the box", name, accel,
                  from_resp, rec.bad);
    ck_assert_msg(rec.last > rec.first, "%s: no progress", name);
    ck_assert_msg(info.bound_active > 0,
                  "%s accel %d resp %d: the bound %g is never active: the test checks nothing",
                  name, accel, from_resp, box.B);
    double ll;
    ck_assert_int_eq(gmoe_model_loglik(gmoe_em_model(w), c.data, &ll, &err), GMOE_SUCCESS);
    ck_assert_close(gmoe_em_loglik(w), ll, 0, 1e-9, name);
    gmoe_em_free(w);
    case_close(&c);
}

/* Loop index: family _i / 6; set_accel's mode _i % 3, a model or a partition start by
 * (_i / 3) % 2. */
START_TEST(test_monotone)
{
    check_monotone(_i / 6, _i % 3, (_i / 3) % 2);
}
END_TEST

/* ------------------------------------------------------------------ starts and refusals */

/* A start far outside the box (the truth with its gate scaled by 10) begins on the box's
 * projection: parameters beyond a bound sit on it, the others keep their values. */
START_TEST(test_start_projected)
{
    int f = _i;
    size_t n = 200, k = 3;
    double B = 2.5;
    gmoe_model *truth = em_truth(f, k), *start = em_truth(f, k);
    gmoe_data *data = em_simulate(truth, n, -2, 2, 701 + (unsigned long)f);
    gpar p[16];
    size_t np = free_params(f, k, p);
    for (size_t s = 0; s < np; s++)
        if (p[s].what != 2) set_par(start, p[s], 10 * get_par(truth, p[s]));
    if (em_families[f].gate == GMOE_GATE_ACTIVATION) gmoe_model_set_tau(start, 0.01);
    gmoe_em_params par = em_params(f);
    par.gate_bound = B;
    gmoe_em *w = gmoe_em_alloc(n, 1, k, gmoe_model_gate(start));
    gmoe_error err;
    ck_assert_msg(gmoe_em_init(w, data, start, &par, &err) == GMOE_SUCCESS, "%s", err.msg);
    const gmoe_model *m = gmoe_em_model(w);
    size_t clamped = 0;
    for (size_t s = 0; s < np; s++) {
        double v0 = get_par(start, p[s]), v = get_par(m, p[s]), lo, hi;
        box_of(m, p[s], B, &lo, &hi);
        double want = v0 < lo ? lo : (v0 > hi ? hi : v0);
        clamped += want != v0;
        ck_assert_close(v, want, 1e-15, 1e-12, em_families[f].name);
    }
    ck_assert_uint_gt(clamped, 0);
    gmoe_em_free(w);
    gmoe_model_free(start);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

/* The Gaussian gate has no box: a finite bound is refused by EM and by gmoe_fit, with a
 * message that says so; a bound that is not positive is refused for every family. */
START_TEST(test_refusals)
{
    size_t n = 200, k = 2;
    gmoe_model *truth = em_truth(EM_GAUSSIAN, k);
    gmoe_data *data = em_simulate(truth, n, -2, 2, 801);
    gmoe_em_params par = gmoe_em_default_params();
    par.gate_bound = 5;
    gmoe_em *w = gmoe_em_alloc(n, 1, k, GMOE_GATE_GAUSSIAN);
    gmoe_error err;
    ck_assert_int_eq(gmoe_em_init(w, data, truth, &par, &err), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "Gaussian gate"));
    gmoe_fit_params fp = gmoe_fit_default_params();
    fp.em.gate_bound = 5;
    fp.starts = 2;
    gmoe_model *best = NULL;
    ck_assert_int_eq(gmoe_fit(data, truth, &fp, &best, NULL, &err), GMOE_EINVAL);
    ck_assert_ptr_nonnull(strstr(err.msg, "Gaussian gate"));
    ck_assert_ptr_null(best);
    par.gate_bound = INFINITY; /* the unbounded fit is fine */
    ck_assert_int_eq(gmoe_em_init(w, data, truth, &par, &err), GMOE_SUCCESS);
    gmoe_em_free(w);
    gmoe_model *sm = em_truth(EM_SOFTMAX, k);
    w = gmoe_em_alloc(n, 1, k, GMOE_GATE_SOFTMAX);
    double bad[] = {0, -1, NAN};
    for (size_t i = 0; i < 3; i++) {
        par.gate_bound = bad[i];
        ck_assert_int_eq(gmoe_em_init(w, data, sm, &par, &err), GMOE_EINVAL);
        ck_assert_ptr_nonnull(strstr(err.msg, "gate bound"));
    }
    gmoe_em_free(w);
    gmoe_model_free(sm);
    gmoe_model_free(truth);
    gmoe_data_free(data);
}
END_TEST

/* The fit record keeps gate_bound and bound_active through a model file, and writes neither
 * without a bound. */
START_TEST(test_record_roundtrip)
{
    gmoe_model *m = em_truth(EM_SOFTMAX, 2), *back = NULL;
    gmoe_fit_record rec, got;
    memset(&rec, 0, sizeof rec);
    rec.gate_bound = 12.5;
    rec.bound_active = 3;
    char *text = NULL;
    gmoe_error err;
    int has;
    ck_assert_int_eq(gmoe_model_dumps(m, &rec, &text, &err), GMOE_SUCCESS);
    ck_assert_int_eq(gmoe_model_parse(text, "t", &back, &got, &has, &err), GMOE_SUCCESS);
    ck_assert(has && got.gate_bound == 12.5 && got.bound_active == 3);
    free(text);
    gmoe_model_free(back);
    rec.gate_bound = 0;
    ck_assert_int_eq(gmoe_model_dumps(m, &rec, &text, &err), GMOE_SUCCESS);
    ck_assert_ptr_null(strstr(text, "bound"));
    free(text);
    gmoe_model_free(m);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("bound");
    TCase *tc = tcase_create("bound");
    tcase_set_timeout(tc, 120);
    tcase_add_loop_test(tc, test_huge_bound_is_unbounded, 0, EM_NNEWTON);
    tcase_add_loop_test(tc, test_kkt, 0, 3 * EM_NNEWTON);
    tcase_add_loop_test(tc, test_monotone, 0, 6 * EM_NNEWTON);
    tcase_add_loop_test(tc, test_start_projected, 0, EM_NNEWTON);
    tcase_add_test(tc, test_refusals);
    tcase_add_test(tc, test_record_roundtrip);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
