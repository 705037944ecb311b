/* Over-specified fits (MODELS.md 7) on hand-made fits of the published softmax truth,
 * against brute-force computations written out here from MODELS.md sections 4 and 7: the
 * Voronoi cells, the D1 and D2 losses, their optimal translation by a grid search over
 * (t0, t1), and
 *   - per-cell errors (gmoe_eval_cell_maxima, sweep metric cells): the per-cell-size maxima
 *     of the atoms' errors at that translation, and the built-in theory slopes of their
 *     columns (gmoe_results_theory);
 *   - merged estimates (sweep metric merged): the fit's dendrogram cut at k* atoms
 *     (gmoe_dendrogram_cut), evaluated by D1: the merged atom written out by hand (masses
 *     the mean gate weights over the data, mass-weighted means, moment-matched variance). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "evaltest.h"

#define KMAX 6

/* A d = 1 softmax model as arrays. */
typedef struct atoms {
    size_t k;
    double beta0[KMAX], beta1[KMAX], a[KMAX], b[KMAX], v[KMAX];
} atoms;

static gmoe_model *to_model(const atoms *A)
{
    gmoe_model *m = gmoe_model_alloc(A->k, 1, GMOE_GATE_SOFTMAX);
    for (size_t j = 0; j < A->k; j++)
        gmoe_model_set_expert(m, j, A->beta0[j], &A->beta1[j], &A->a[j], A->b[j], A->v[j]);
    return m;
}

/* The published truth (MODELS.md 6). */
static const atoms truth = {2, {-8, 0}, {25, 0}, {-20, 20}, {15, -5}, {0.09, 0.16}};

/* Cells of fit F with its slopes moved by t1: cell[j], and the cell sizes. */
static void brute_cells(const atoms *F, double t1, size_t *cell, size_t *size)
{
    for (size_t l = 0; l < truth.k; l++)
        size[l] = 0;
    for (size_t j = 0; j < F->k; j++) {
        double best = INFINITY;
        for (size_t l = 0; l < truth.k; l++) {
            double dist = fabs(F->beta1[j] + t1 - truth.beta1[l]) + fabs(F->a[j] - truth.a[l]) +
                          fabs(F->b[j] - truth.b[l]) + fabs(F->v[j] - truth.v[l]);
            if (dist < best) best = dist, cell[j] = l;
        }
        size[cell[j]]++;
    }
}

/* D2 of MODELS.md 4 at translation (t0, t1): exponent 1 in single cells, rbar(2) = 4 and
 * rbar(3) = 6 (halved for a and v) in shared ones; D1 (d2 = 0): exponent 1 everywhere. */
static double brute_loss(const atoms *F, double t0, double t1, int d2)
{
    size_t cell[KMAX], size[KMAX];
    brute_cells(F, t1, cell, size);
    double loss = 0, M[KMAX] = {0};
    for (size_t j = 0; j < F->k; j++) {
        size_t l = cell[j], m = size[l];
        int shared = d2 && m > 1;
        double r = shared ? 2.0 * (double)m : 1, rh = shared ? r / 2 : 1;
        double mass = exp(F->beta0[j] + t0);
        loss += mass * (pow(fabs(F->beta1[j] + t1 - truth.beta1[l]), r) +
                        pow(fabs(F->a[j] - truth.a[l]), rh) + pow(fabs(F->b[j] - truth.b[l]), r) +
                        pow(fabs(F->v[j] - truth.v[l]), rh));
        M[l] += mass;
    }
    for (size_t l = 0; l < truth.k; l++)
        loss += fabs(M[l] - exp(truth.beta0[l]));
    return loss;
}

/* Per-size maxima of |dbeta1|, |da|, |db|, |dv| at slope translation t1. */
static size_t brute_maxima(const atoms *F, double t1, size_t m, double out[4])
{
    size_t cell[KMAX], size[KMAX], count = 0;
    brute_cells(F, t1, cell, size);
    for (int p = 0; p < 4; p++)
        out[p] = NAN;
    for (size_t j = 0; j < F->k; j++) {
        size_t l = cell[j];
        if (size[l] != m) continue;
        double e[4] = {fabs(F->beta1[j] + t1 - truth.beta1[l]), fabs(F->a[j] - truth.a[l]),
                       fabs(F->b[j] - truth.b[l]), fabs(F->v[j] - truth.v[l])};
        for (int p = 0; p < 4; p++)
            if (count == 0 || e[p] > out[p]) out[p] = e[p];
        count++;
    }
    return count;
}

/* The grid search, in three passes, each around the last one's best: t1 over [-12, 12] by
 * 0.05, then +-0.1 by 1e-4, then +-2e-4 by 1e-6; t0 likewise by 0.02, 1e-3 and 1e-5.
 * Returns the smallest loss found. */
static double brute_optimum(const atoms *F, int d2, double *t0b, double *t1b)
{
    static const double width1[3] = {12, 0.1, 2e-4}, step1[3] = {0.05, 1e-4, 1e-6};
    static const double width0[3] = {12, 0.05, 2e-3}, step0[3] = {0.02, 1e-3, 1e-5};
    double best = INFINITY, c0 = 0, c1 = 0;
    for (int pass = 0; pass < 3; pass++) {
        for (long i1 = -lround(width1[pass] / step1[pass]);
             i1 <= lround(width1[pass] / step1[pass]); i1++)
            for (long i0 = -lround(width0[pass] / step0[pass]);
                 i0 <= lround(width0[pass] / step0[pass]); i0++) {
                double t1 = c1 + (double)i1 * step1[pass], t0 = c0 + (double)i0 * step0[pass];
                double v = brute_loss(F, t0, t1, d2);
                if (v < best) best = v, *t0b = t0, *t1b = t1;
            }
        c0 = *t0b;
        c1 = *t1b;
    }
    return best;
}

/* Translate every fitted gate by (s0, s1): the loss's infimum must undo it. */
static void shift(atoms *F, double s0, double s1)
{
    for (size_t j = 0; j < F->k; j++) {
        F->beta0[j] += s0;
        F->beta1[j] += s1;
    }
}

static void check_fit(const atoms *F, const char *what)
{
    gmoe_model *tm = to_model(&truth), *fm = to_model(F);
    gmoe_eval_result *res = gmoe_eval_result_alloc(truth.k, F->k, 1);
    gmoe_eval_params par = gmoe_eval_default_params();
    gmoe_error err;
    ck_assert_msg(gmoe_eval_loss(NULL, tm, fm, &par, res, &err) == GMOE_SUCCESS, "%s", err.msg);
    double t0 = 0, t1 = 0, best = brute_optimum(F, 1, &t0, &t1);
    /* The library's translation is at least as good as the grid's best, and the brute-force
     * D2 at it is the library's loss. */
    ck_assert_msg(res->loss <= best * (1 + 1e-9), "%s: loss %.12g, grid %.12g", what, res->loss,
                  best);
    EV_CLOSE(brute_loss(F, res->t0, res->t1[0], 1), res->loss, 1e-12, 1e-9);
    ck_assert_msg(fabs(res->t1[0] - t1) < 1e-3, "%s: t1 %.9g, grid %.9g", what, res->t1[0], t1);
    size_t total = 0;
    for (size_t m = 1; m <= F->k; m++) {
        double got[4], want[4], near[4];
        size_t cnt = gmoe_eval_cell_maxima(res, m, got);
        ck_assert_uint_eq(cnt, brute_maxima(F, res->t1[0], m, want));
        brute_maxima(F, t1, m, near);
        total += cnt;
        for (int p = 0; p < 4; p++) {
            if (cnt == 0) {
                ck_assert_msg(isnan(got[p]), "%s: size %zu has no atom, got %g", what, m, got[p]);
                continue;
            }
            /* Exactly the errors at the library's translation; within the grid's resolution
             * of those at the grid's optimum. */
            EV_CLOSE(got[p], want[p], 1e-12, 1e-12);
            EV_CLOSE(got[p], near[p], 2e-3, 0);
        }
    }
    ck_assert_uint_eq(total, F->k);
    gmoe_eval_result_free(res);
    gmoe_model_free(tm);
    gmoe_model_free(fm);
}

/* k = 3: true expert 1 split in two, true expert 0 once: sizes 1 and 2. */
START_TEST(test_split_two)
{
    atoms F = {3,
               {-8.05, log(0.6), log(0.4)},
               {25.3, 1.0, -0.5},
               {-19.95, 19.8, 20.1},
               {14.9, -4.6, -5.3},
               {0.1, 0.18, 0.15}};
    check_fit(&F, "split two");
    shift(&F, 1.7, -3.2);
    check_fit(&F, "split two, translated");
}
END_TEST

/* k = 4: true expert 0 split in three (beta1 of both signs about 25), true expert 1 once:
 * sizes 1 and 3. */
START_TEST(test_split_three)
{
    atoms F = {4,
               {-8 - log(3.0) + 0.1, -8 - log(3.0), -8 - log(3.0) - 0.2, 0.05},
               {26.0, 24.2, 25.5, -0.4},
               {-20.3, -19.9, -20.05, 20.2},
               {15.2, 14.7, 15.05, -4.9},
               {0.08, 0.1, 0.095, 0.17}};
    check_fit(&F, "split three");
    shift(&F, -2.5, 4.0);
    check_fit(&F, "split three, translated");
}
END_TEST

/* k = 3 all near true expert 1: true expert 0's cell is empty, one cell of three. */
START_TEST(test_empty_cell)
{
    atoms F = {3,
               {log(0.5), log(0.3), log(0.2)},
               {0.5, -0.4, 0.2},
               {19.7, 20.2, 20.05},
               {-5.2, -4.7, -5.1},
               {0.15, 0.2, 0.17}};
    check_fit(&F, "empty cell");
}
END_TEST

/* ------------------------------------------------------------------ merged estimates */

/* Merge fitted experts i < j of F by hand (MODELS.md 7, gmoe_dendrogram.h): masses the mean
 * softmax gate weights over x, weights w = p / (p_i + p_j); beta0 = log(exp + exp); beta1,
 * a, b the weighted means; v the weighted mean plus w_i w_j (mu_i - mu_j)^2 at the mean of
 * x. The merged atom takes i's place, the later ones move down. */
static atoms merge_by_hand(const atoms *F, size_t i, size_t j, const double *x, size_t n)
{
    double p[KMAX] = {0}, xbar = 0;
    for (size_t r = 0; r < n; r++) {
        double s[KMAX], mx = -INFINITY, tot = 0;
        for (size_t l = 0; l < F->k; l++)
            s[l] = F->beta0[l] + F->beta1[l] * x[r], mx = fmax(mx, s[l]);
        for (size_t l = 0; l < F->k; l++)
            tot += exp(s[l] - mx);
        for (size_t l = 0; l < F->k; l++)
            p[l] += exp(s[l] - mx) / tot / (double)n;
        xbar += x[r] / (double)n;
    }
    double wi = p[i] / (p[i] + p[j]), wj = p[j] / (p[i] + p[j]);
    double mi = F->a[i] * xbar + F->b[i], mj = F->a[j] * xbar + F->b[j];
    atoms M = *F;
    M.beta0[i] = log(exp(F->beta0[i]) + exp(F->beta0[j]));
    M.beta1[i] = wi * F->beta1[i] + wj * F->beta1[j];
    M.a[i] = wi * F->a[i] + wj * F->a[j];
    M.b[i] = wi * F->b[i] + wj * F->b[j];
    M.v[i] = wi * F->v[i] + wj * F->v[j] + wi * wj * (mi - mj) * (mi - mj);
    for (size_t l = j; l + 1 < F->k; l++) {
        M.beta0[l] = F->beta0[l + 1];
        M.beta1[l] = F->beta1[l + 1];
        M.a[l] = F->a[l + 1];
        M.b[l] = F->b[l + 1];
        M.v[l] = F->v[l + 1];
    }
    M.k = F->k - 1;
    return M;
}

/* The metric merged of fit F on data with x an equispaced grid of [0, 1] (n points): cut at
 * k* = 2 atoms, D1 against the truth. The pair (i, j) must be the one merged; the merged
 * model is compared with the hand merge (up to the canonical form), and its D1 and per-expert
 * errors with a brute-force optimum. */
static void check_merged(const atoms *F, size_t i, size_t j, const char *what)
{
    size_t n = 1000;
    gmoe_data *data = gmoe_data_alloc(n, 1, 1);
    for (size_t r = 0; r < n; r++)
        data->x[r] = (double)r / (double)(n - 1), data->y[r] = 0;
    gmoe_model *fm = to_model(F), *tm = to_model(&truth), *cut = NULL;
    gmoe_error err;
    ck_assert_msg(gmoe_dendrogram_cut(fm, data, 2, NULL, &cut, &err) == GMOE_SUCCESS, "%s",
                  err.msg);
    atoms M = merge_by_hand(F, i, j, data->x, n);
    /* canonical form: the last expert's gate at 0 */
    for (size_t l = 0; l < M.k; l++) {
        double b0, b1, a, b, v;
        gmoe_model_get_expert(cut, l, &b0, &b1, &a, &b, &v);
        EV_CLOSE(b0, M.beta0[l] - M.beta0[M.k - 1], 1e-12, 1e-12);
        EV_CLOSE(b1, M.beta1[l] - M.beta1[M.k - 1], 1e-12, 1e-12);
        EV_CLOSE(a, M.a[l], 1e-12, 1e-12);
        EV_CLOSE(b, M.b[l], 1e-12, 1e-12);
        EV_CLOSE(v, M.v[l], 1e-12, 1e-12);
    }
    gmoe_eval_result *res = gmoe_eval_result_alloc(2, 2, 1);
    gmoe_eval_params par = gmoe_eval_default_params();
    par.loss = GMOE_LOSS_D1;
    ck_assert_msg(gmoe_eval_loss(NULL, tm, cut, &par, res, &err) == GMOE_SUCCESS, "%s", err.msg);
    double t0 = 0, t1 = 0, best = brute_optimum(&M, 0, &t0, &t1);
    ck_assert_msg(res->loss <= best * (1 + 1e-9) && res->loss >= best - 1e-6,
                  "%s: D1 %.12g, grid %.12g", what, res->loss, best);
    /* per-expert errors: singleton cells, |b - b*| and |v - v*| of the merged atom */
    size_t cell[KMAX], size[KMAX];
    brute_cells(&M, t1, cell, size);
    for (size_t l = 0; l < M.k; l++) {
        size_t c = cell[l];
        EV_CLOSE(res->err_b[c], fabs(M.b[l] - truth.b[c]), 1e-12, 1e-12);
        EV_CLOSE(res->err_v[c], fabs(M.v[l] - truth.v[c]), 1e-12, 1e-12);
        EV_CLOSE(res->err_a[c], fabs(M.a[l] - truth.a[c]), 1e-12, 1e-12);
    }
    gmoe_eval_result_free(res);
    gmoe_model_free(cut);
    gmoe_model_free(fm);
    gmoe_model_free(tm);
    gmoe_data_free(data);
}

/* Two fitted experts on true expert 1's atom with different masses: merged, they are that
 * atom again with the sum of their masses. */
START_TEST(test_merged_exact_pair)
{
    atoms F = {3,
               {-7.9, log(0.3), log(0.7)},
               {24.6, 0, 0},
               {-20.2, 20, 20},
               {15.1, -5, -5},
               {0.1, 0.16, 0.16}};
    check_merged(&F, 1, 2, "exact pair");
}
END_TEST

/* A pair that differs in every parameter: the weighted means and the variance's spread term
 * at the mean of x. */
START_TEST(test_merged_pair)
{
    atoms F = {3,
               {-8.1, log(0.45), log(0.55)},
               {25.4, 1.5, -1.0},
               {-19.8, 19.5, 20.6},
               {14.8, -4.2, -5.9},
               {0.085, 0.14, 0.2}};
    check_merged(&F, 1, 2, "pair");
}
END_TEST

/* The built-in theory of the per-cell columns, and a `# theory:` line overriding it. */
START_TEST(test_theory)
{
    const char *path = "test_cells_theory.csv";
    FILE *fp = fopen(path, "w");
    ck_assert_ptr_nonnull(fp);
    fputs("# theory: cell2_a=-0.3\n"
          "n,rep,cell1_beta1,cell2_beta1,cell2_b,cell2_a,cell2_v,cell3_b,cell3_v,cell4_a,"
          "cell2_gamma,cell2_a2\n"
          "100,1,1,1,1,1,1,1,1,1,1,1\n",
          fp);
    fclose(fp);
    gmoe_results *res = NULL;
    gmoe_error err;
    ck_assert_msg(gmoe_results_read(path, &res, &err) == GMOE_SUCCESS, "%s", err.msg);
    const struct {
        const char *name;
        double slope; /* NaN: none */
    } want[] = {{"cell1_beta1", -0.5}, {"cell2_beta1", -0.125}, {"cell2_b", -0.125},
                {"cell2_a", -0.3},     {"cell2_v", -0.25},      {"cell3_b", -1.0 / 12},
                {"cell3_v", -1.0 / 6}, {"cell4_a", NAN},        {"cell2_gamma", NAN},
                {"cell2_a2", NAN}};
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        double s;
        int has = gmoe_results_theory(res, want[i].name, &s);
        ck_assert_msg(has == !isnan(want[i].slope), "%s: has %d", want[i].name, has);
        if (has) EV_CLOSE(s, want[i].slope, 1e-15, 0);
    }
    gmoe_results_free(res);
    remove(path);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("overspec");
    TCase *tc = tcase_create("overspec");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_split_two);
    tcase_add_test(tc, test_split_three);
    tcase_add_test(tc, test_empty_cell);
    tcase_add_test(tc, test_theory);
    tcase_add_test(tc, test_merged_exact_pair);
    tcase_add_test(tc, test_merged_pair);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
