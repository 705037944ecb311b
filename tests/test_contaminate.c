/* Contamination of simulated data (gmoe_sim_contaminate): the share of observations touched,
 * the law of the noise against the Laplace distribution function written out here, the clean
 * data left as they were, reproducibility and the errors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"

static gmoe_data *clean(size_t n, unsigned long seed)
{
    gmoe_model *truth = test_softmax_truth();
    gmoe_design des = {GMOE_DESIGN_UNIFORM, 0, 1, NULL};
    gmoe_data *data = NULL;
    ck_assert_int_eq(gmoe_sim_data(truth, &des, n, seed, &data, NULL), 0);
    gmoe_model_free(truth);
    return data;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The Laplace(0, s) distribution function. */
static double laplace_cdf(double u, double s)
{
    return u < 0 ? 0.5 * exp(u / s) : 1 - 0.5 * exp(-u / s);
}

START_TEST(test_noise_law)
{
    size_t n = 40000;
    const double eps[3] = {1.0, 0.2, 0.01}, scale = 1.7;
    for (int e = 0; e < 3; e++) {
        gmoe_data *a = clean(n, 11), *b = clean(n, 11);
        ck_assert_int_eq(gmoe_sim_contaminate(b, eps[e], scale, 11, NULL), 0);
        double *u = malloc(n * sizeof(double));
        size_t m = 0;
        for (size_t i = 0; i < n; i++) {
            ck_assert(a->x[i] == b->x[i]);
            if (a->y[i] != b->y[i]) u[m++] = b->y[i] - a->y[i];
        }
        /* The share touched: binomial(n, eps), within 5 standard deviations. */
        double sd = sqrt((double)n * eps[e] * (1 - eps[e]));
        ck_assert_msg(fabs((double)m - (double)n * eps[e]) <= 5 * sd + 1e-9,
                      "eps %g: %zu of %zu touched", eps[e], m, n);
        /* Kolmogorov-Smirnov distance to Laplace(0, scale): below 1.63 / sqrt(m) (the 1 %
         * critical value). */
        qsort(u, m, sizeof *u, cmp_double);
        double D = 0;
        for (size_t i = 0; i < m; i++) {
            double F = laplace_cdf(u[i], scale);
            D = fmax(D,
                     fmax(fabs(F - (double)i / (double)m), fabs(F - (double)(i + 1) / (double)m)));
        }
        ck_assert_msg(D < 1.63 / sqrt((double)m), "eps %g: KS distance %g for %zu draws", eps[e], D,
                      m);
        free(u);
        gmoe_data_free(a);
        gmoe_data_free(b);
    }
}
END_TEST

START_TEST(test_reproducible)
{
    gmoe_data *a = clean(1000, 3), *b = clean(1000, 3), *c = clean(1000, 3);
    ck_assert_int_eq(gmoe_sim_contaminate(a, 0.3, 2, 5, NULL), 0);
    ck_assert_int_eq(gmoe_sim_contaminate(b, 0.3, 2, 5, NULL), 0);
    ck_assert_int_eq(gmoe_sim_contaminate(c, 0.3, 2, 6, NULL), 0);
    ck_assert(memcmp(a->y, b->y, 1000 * sizeof(double)) == 0);
    ck_assert(memcmp(a->y, c->y, 1000 * sizeof(double)) != 0);
    gmoe_data *d = clean(1000, 3), *e = clean(1000, 3);
    ck_assert_int_eq(gmoe_sim_contaminate(d, 0, 2, 5, NULL), 0);
    ck_assert(memcmp(d->y, e->y, 1000 * sizeof(double)) == 0);
    gmoe_data_free(a);
    gmoe_data_free(b);
    gmoe_data_free(c);
    gmoe_data_free(d);
    gmoe_data_free(e);
}
END_TEST

START_TEST(test_errors)
{
    gmoe_data *a = clean(10, 3), *nod = gmoe_data_alloc(10, 1, 0);
    gmoe_error err;
    ck_assert_int_eq(gmoe_sim_contaminate(a, 1.5, 2, 1, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "contamination share must be in [0, 1] (got 1.5)");
    ck_assert_int_eq(gmoe_sim_contaminate(a, NAN, 2, 1, &err), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_sim_contaminate(a, 0.1, 0, 1, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "contamination scale must be > 0 (got 0)");
    ck_assert_int_eq(gmoe_sim_contaminate(a, 0.1, INFINITY, 1, &err), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_sim_contaminate(nod, 0.1, 1, 1, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "data have no response y");
    gmoe_data_free(a);
    gmoe_data_free(nod);
}
END_TEST

static Suite *contaminate_suite(void)
{
    Suite *s = suite_create("contaminate");
    TCase *tc = tcase_create("laplace");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_noise_law);
    tcase_add_test(tc, test_reproducible);
    tcase_add_test(tc, test_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(contaminate_suite());
}
