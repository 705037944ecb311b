/* The accuracy of a choice of k (gmoe_rate_accuracy): counts per size against a direct count,
 * the Clopper-Pearson interval against a bisection on the binomial distribution function
 * summed here term by term, pooling, and the errors. */
#include <math.h>
#include <stdlib.h>
#include "testutil.h"

/* P(X <= x) for X ~ Binomial(m, p), summed directly. */
static double binom_cdf(size_t x, size_t m, double p)
{
    double s = 0;
    for (size_t i = 0; i <= x; i++)
        s += exp(lgamma((double)m + 1) - lgamma((double)i + 1) - lgamma((double)(m - i) + 1) +
                 (double)i * log(p) + (double)(m - i) * log1p(-p));
    return s;
}

/* The p at which f(p) = target, f decreasing in p, by bisection on (0, 1). */
static double solve(size_t x, size_t m, double target, int upper)
{
    double lo = 0, hi = 1;
    for (int it = 0; it < 200; it++) {
        double mid = 0.5 * (lo + hi);
        /* upper: P(X <= x | p) = target; lower: P(X >= x | p) = 1 - P(X <= x - 1) = target */
        double f = upper ? binom_cdf(x, m, mid) : 1 - binom_cdf(x - 1, m, mid);
        if (upper ? f > target : f < target)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

START_TEST(test_clopper_pearson)
{
    const size_t ms[4] = {1, 7, 20, 40};
    const double levels[2] = {0.95, 0.8};
    for (int q = 0; q < 2; q++)
        for (int a = 0; a < 4; a++)
            for (size_t x = 0; x <= ms[a]; x++) {
                double ci[2], alpha = 1 - levels[q];
                gmoe_binomial_interval(x, ms[a], levels[q], ci);
                double lo = x == 0 ? 0 : solve(x, ms[a], alpha / 2, 0);
                double hi = x == ms[a] ? 1 : solve(x, ms[a], alpha / 2, 1);
                ck_assert_close(ci[0], lo, 1e-9, 0, "lower");
                ck_assert_close(ci[1], hi, 1e-9, 0, "upper");
            }
    /* A published value: 9 of 10 at 95 % gives [0.5550, 0.9975]. */
    double ci[2];
    gmoe_binomial_interval(9, 10, 0.95, ci);
    ck_assert_close(ci[0], 0.5550, 5e-5, 0, "9/10 lower");
    ck_assert_close(ci[1], 0.9975, 5e-5, 0, "9/10 upper");
    gmoe_binomial_interval(0, 0, 0.95, ci);
    ck_assert(isnan(ci[0]) && isnan(ci[1]));
}
END_TEST

START_TEST(test_groups)
{
    /* Sizes in any order, NaN rows skipped; k* = 3. */
    const double n[12] = {500, 100, 500, 100, 500, 100, 2000, 2000, 100, 500, 2000, 100};
    const double k[12] = {3, 3, 4, 2, 3, NAN, 3, 3, 3, 5, 3, 4};
    gmoe_accuracy_result r;
    gmoe_error err;
    ck_assert_int_eq(gmoe_rate_accuracy(n, k, 12, 3, 0.95, &r, &err), 0);
    ck_assert_uint_eq(r.ngroups, 3);
    ck_assert_uint_eq(r.skipped, 1);
    ck_assert_uint_eq(r.rows, 11);
    const double gn[3] = {100, 500, 2000};
    const size_t count[3] = {4, 4, 3}, correct[3] = {2, 2, 3}, below[3] = {1, 0, 0},
                 above[3] = {1, 2, 0};
    const double mean[3] = {12.0 / 4, 15.0 / 4, 3};
    for (int g = 0; g < 3; g++) {
        const gmoe_accuracy_group *G = &r.groups[g];
        ck_assert(G->n == gn[g]);
        ck_assert_uint_eq(G->count, count[g]);
        ck_assert_uint_eq(G->correct, correct[g]);
        ck_assert_uint_eq(G->below, below[g]);
        ck_assert_uint_eq(G->above, above[g]);
        ck_assert_close(G->share, (double)correct[g] / (double)count[g], 1e-15, 0, "share");
        ck_assert_close(G->mean, mean[g], 1e-15, 0, "mean");
        double ci[2];
        gmoe_binomial_interval(correct[g], count[g], 0.95, ci);
        ck_assert(G->ci[0] == ci[0] && G->ci[1] == ci[1]);
    }
    gmoe_accuracy_group pool;
    ck_assert_int_eq(gmoe_accuracy_pool(&r, 500, &pool), 0);
    ck_assert_uint_eq(pool.count, 7);
    ck_assert_uint_eq(pool.correct, 5);
    ck_assert_uint_eq(pool.above, 2);
    ck_assert_close(pool.mean, 24.0 / 7, 1e-15, 0, "pooled mean");
    ck_assert_int_eq(gmoe_accuracy_pool(&r, 5000, &pool), GMOE_EINVAL);
    gmoe_accuracy_result_free(&r);
    gmoe_accuracy_result_free(&r);
    gmoe_accuracy_result_free(NULL);
    const double bad_n[1] = {0}, one[1] = {3};
    ck_assert_int_eq(gmoe_rate_accuracy(bad_n, one, 1, 3, 0.95, &r, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "row 1: n must be a finite number > 0");
    ck_assert_int_eq(gmoe_rate_accuracy(n, k, 12, 3, 1.0, &r, &err), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_rate_accuracy(n, k, 12, 0, 0.95, &r, &err), GMOE_EINVAL);
}
END_TEST

static Suite *accuracy_suite(void)
{
    Suite *s = suite_create("accuracy");
    TCase *tc = tcase_create("binomial");
    tcase_add_test(tc, test_clopper_pearson);
    tcase_add_test(tc, test_groups);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(accuracy_suite());
}
