/* Standard-error benchmark (make bench): the time of the observed information's standard
 * errors (gmoe_se_compute, what `gmoe fit --se` adds) and of the sandwich, against the fit
 * they follow, at n = 1e5, k = 4, d = 1, per gate family. The fit is one data-driven start on
 * one thread (the cheapest fit `gmoe fit` makes, so the ratio is the largest); the default
 * 10 starts divide it by about 10. Each figure is the median of 3 runs.
 * Run with OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 for single-core figures. */
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

static double median3(double a, double b, double c)
{
    return a > b ? (b > c ? b : (a > c ? c : a)) : (a > c ? a : (b > c ? c : b));
}

/* Four experts along x in [-2, 2]: gate slopes -3, -1, 1, 3 (every expert owns a region),
 * expert lines of alternating slopes; the Gaussian gate's centres spread over the range. */
static gmoe_model *four_experts(gmoe_gate gate)
{
    gmoe_model *m = gmoe_model_alloc(4, 1, gate);
    for (size_t j = 0; j < 4; j++) {
        double s = 2.0 * (double)j - 3.0, a = j % 2 ? 1.5 : -1.5, c = 0.9 * s / 3.0 * 2.0, G = 0.15;
        gmoe_model_set_expert(m, j, -0.5 * fabs(s), &s, &a, s, 0.2 + 0.05 * (double)j);
        gmoe_model_set_gauss(m, j, 0.25, &c, &G);
    }
    gmoe_model_set_tau(m, 1.0);
    gmoe_model_set_topk(m, 2, GMOE_TOPK_SLOPE);
    gmoe_model_canonicalize(m);
    return m;
}

static void bench_gate(gmoe_gate gate, size_t n)
{
    gmoe_model *t = four_experts(gate);
    gmoe_design des = {GMOE_DESIGN_UNIFORM, -2, 2, NULL};
    if (gate == GMOE_GATE_GAUSSIAN) des.kind = GMOE_DESIGN_GATE;
    gmoe_data *data;
    gmoe_error err;
    if (gmoe_sim_data(t, &des, n, 5, &data, &err)) {
        fprintf(stderr, "bench: %s\n", err.msg);
        exit(1);
    }
    double tf[3], to[3], ts[3];
    gmoe_fit_result res;
    const char *why = NULL;
    char reason[256] = "";
    for (int r = 0; r < 3; r++) {
        gmoe_fit_params p = gmoe_fit_default_params();
        p.starts = 1;
        p.threads = 1;
        p.em.fix_tau = 1;
        gmoe_model *tmpl = gmoe_model_clone(t), *best;
        if (gmoe_fit(data, tmpl, &p, &best, &res, &err)) {
            fprintf(stderr, "bench: %s\n", err.msg);
            exit(1);
        }
        tf[r] = res.seconds;
        gmoe_se *se = gmoe_se_alloc(best, 0);
        gmoe_se_params sp = gmoe_se_default_params();
        for (int method = 0; method < 2; method++) {
            sp.method = method ? GMOE_SE_SANDWICH : GMOE_SE_OBSERVED;
            double t0 = now();
            if (gmoe_se_compute(se, best, data, &sp, &res.info, &err)) {
                fprintf(stderr, "bench: %s\n", err.msg);
                exit(1);
            }
            (method ? ts : to)[r] = now() - t0;
        }
        why = gmoe_se_reason(se);
        snprintf(reason, sizeof reason, "%s", why ? why : "");
        gmoe_se_free(se);
        gmoe_model_free(best);
        gmoe_model_free(tmpl);
    }
    double f = median3(tf[0], tf[1], tf[2]), o = median3(to[0], to[1], to[2]);
    double s = median3(ts[0], ts[1], ts[2]);
    printf("%-11s n=%zu k=4  fit %7.3f s (%4zu maps, %s)  observed %6.3f s (%5.1f %%)  "
           "sandwich %6.3f s (%5.1f %%)%s%s\n",
           gmoe_gate_name(gate), n, f, res.info.maps, gmoe_fit_status_name(res.info.status), o,
           100 * o / f, s, 100 * s / f, reason[0] ? "\n            no SEs: " : "", reason);
    gmoe_data_free(data);
    gmoe_model_free(t);
}

int main(void)
{
    printf("# gmoe %s standard-error benchmark: --se observed / sandwich against one fit\n",
           gmoe_version());
    const gmoe_gate gates[] = {GMOE_GATE_SOFTMAX, GMOE_GATE_TOPK, GMOE_GATE_ACTIVATION,
                               GMOE_GATE_SIGMOID, GMOE_GATE_GAUSSIAN};
    for (size_t g = 0; g < sizeof gates / sizeof gates[0]; g++)
        bench_gate(gates[g], 100000);
    return 0;
}
