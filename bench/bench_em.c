/* EM benchmarks (make bench): cost of one EM iteration over a grid of (n, k, d, gate), and
 * whole fits of the published softmax truth with and without SQUAREM.
 * Run with OMP_NUM_THREADS=1 for single-core figures. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "gmoe.h"

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static gmoe_model *truth_model(size_t k, size_t d, gmoe_gate gate)
{
    gmoe_model *m = gmoe_model_alloc(k, d, gate);
    double b1[16], a[16];
    for (size_t j = 0; j < k; j++) {
        for (size_t t = 0; t < d; t++) {
            b1[t] = 3.0 * cos((double)(j + 1) * (double)(t + 2));
            a[t] = 2.0 * sin((double)(j + 3) * (double)(t + 1));
        }
        gmoe_model_set_expert(m, j, 0.2 * (double)j, b1, a, (double)j - 1.0,
                              0.1 + 0.05 * (double)j);
        double c[16], G[256];
        for (size_t t = 0; t < d; t++) {
            c[t] = 0.8 * cos((double)(j + 1) * (double)(t + 1));
            for (size_t u = 0; u < d; u++)
                G[t * d + u] = t == u ? 0.2 : 0.02;
        }
        gmoe_model_set_gauss(m, j, 1.0 / (double)k, c, G);
    }
    gmoe_model_set_topk(m, k > 2 ? 2 : k, GMOE_TOPK_SLOPE);
    gmoe_model_set_tau(m, 0.7);
    return m;
}

/* Time per plain EM iteration at a start near the truth. */
static void bench_iteration(size_t n, size_t k, size_t d, gmoe_gate gate)
{
    gmoe_model *t = truth_model(k, d, gate);
    gmoe_design des = {GMOE_DESIGN_UNIFORM, -1, 1, NULL};
    gmoe_data *data;
    gmoe_error err;
    if (gmoe_sim_data(t, &des, n, 1, &data, &err)) {
        fprintf(stderr, "bench: %s\n", err.msg);
        exit(1);
    }
    gmoe_em *w = gmoe_em_alloc(n, d, k, gate);
    gmoe_em_params p = gmoe_em_default_params();
    p.accel = 0;
    p.tol = 0;
    p.fix_tau = 1;
    gmoe_em_init(w, data, t, &p, &err);
    size_t iters = 0;
    double t0 = now(), el;
    do {
        gmoe_em_iterate(w, &err);
        iters++;
        el = now() - t0;
    } while (el < 0.3 || iters < 5);
    double per = el / (double)iters;
    printf("%-12s n=%-8zu k=%zu d=%zu  %8.3f ms/iter  %7.2f ns/obs/expert/iter  %8.1f iter/s\n",
           gmoe_gate_name(gate), n, k, d, per * 1e3, per * 1e9 / (double)(n * k), 1.0 / per);
    gmoe_em_free(w);
    gmoe_data_free(data);
    gmoe_model_free(t);
}

static gmoe_model *published_truth(void)
{
    gmoe_model *m = gmoe_model_alloc(2, 1, GMOE_GATE_SOFTMAX);
    double b1a = 25, b1b = 0, aa = -20, ab = 20;
    gmoe_model_set_expert(m, 0, -8, &b1a, &aa, 15, 0.09);
    gmoe_model_set_expert(m, 1, 0, &b1b, &ab, -5, 0.16);
    return m;
}

/* One fit of the published softmax truth from a near-true start (as the published
 * experiments), plain EM against SQUAREM and quasi-Newton, under a stopping rule. */
static void bench_fit(size_t n, size_t k, gmoe_stop_rule rule, double tol)
{
    gmoe_model *truth = published_truth();
    gmoe_design des = {GMOE_DESIGN_GRID, 0, 1, NULL};
    gmoe_data *data;
    gmoe_error err;
    gmoe_sim_data(truth, &des, n, 2023, &data, &err);
    static const char *const names[] = {"plain", "SQUAREM", "qn"};
    for (int accel = 0; accel <= 2; accel++) {
        gmoe_fit_params p = gmoe_fit_default_params();
        p.init = GMOE_INIT_NEAR_TRUE;
        p.truth = truth;
        p.starts = 1;
        p.seed = 7;
        p.threads = 1;
        p.em.accel = accel != 0;
        p.em.accel_method = accel == 2 ? GMOE_ACCEL_QN : GMOE_ACCEL_SQUAREM;
        p.em.stop = rule;
        p.em.tol = tol;
        p.em.max_iter = 20000;
        gmoe_model *tmpl = gmoe_model_alloc(k, 1, GMOE_GATE_SOFTMAX), *best;
        gmoe_fit_result res;
        if (gmoe_fit(data, tmpl, &p, &best, &res, &err)) {
            fprintf(stderr, "bench: %s\n", err.msg);
            exit(1);
        }
        printf("fit n=%-7zu k=%zu %-9s %-8s  loglik %.6f  %5zu iter %5zu maps %5zu passes  %-14s "
               "%8.3f s\n",
               n, k, gmoe_stop_rule_name(rule), names[accel], res.info.loglik, res.info.iterations,
               res.info.maps, res.info.passes, gmoe_fit_status_name(res.info.status), res.seconds);
        gmoe_model_free(best);
        gmoe_model_free(tmpl);
    }
    gmoe_data_free(data);
    gmoe_model_free(truth);
}

int main(int argc, char **argv)
{
    int quick = argc > 1 && strcmp(argv[1], "--quick") == 0;
    printf("# gmoe %s EM benchmark (one core unless OMP_NUM_THREADS says otherwise)\n",
           gmoe_version());
    printf("# one plain EM iteration (E-step, expert and gate M-steps), start at the truth\n");
    const gmoe_gate gates[] = {GMOE_GATE_SOFTMAX,    GMOE_GATE_TOPK,    GMOE_GATE_TEMPERATURE,
                               GMOE_GATE_ACTIVATION, GMOE_GATE_SIGMOID, GMOE_GATE_GAUSSIAN};
    size_t ns[] = {10000, 100000};
    for (size_t gi = 0; gi < sizeof gates / sizeof gates[0]; gi++)
        for (size_t ni = quick ? 1 : 0; ni < 2; ni++)
            for (size_t k = 2; k <= 4; k += 2)
                for (size_t d = 1; d <= (quick ? 1 : 3); d += 2)
                    bench_iteration(ns[ni], k, d, gates[gi]);
    printf("# whole fits of the published softmax truth (MODELS.md 6), near-true start\n");
    printf("# reference (R, same machine kind): meteorits 0.78 s (k=2), 13.7 s (k=4); flexmix "
           "5.6 s, 42 s\n");
    bench_fit(100000, 2, GMOE_STOP_RELATIVE, 1e-6);
    bench_fit(100000, 2, GMOE_STOP_PER_OBS, 1e-8);
    bench_fit(100000, 4, GMOE_STOP_RELATIVE, 1e-6);
    bench_fit(100000, 4, GMOE_STOP_PER_OBS, 1e-8);
    return 0;
}
