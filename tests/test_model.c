/* Model core: gate weights, densities, log-likelihood, canonical form. */
#include <math.h>
#include "testutil.h"

START_TEST(test_softmax_gate_direct)
{
    gmoe_model *m = test_softmax_truth();
    double x = 0.3, w[2];
    ck_assert_int_eq(gmoe_model_gate_eval(m, &x, w), GMOE_SUCCESS);
    double s0 = 25 * x - 8, s1 = 0;
    double e0 = exp(s0) / (exp(s0) + exp(s1));
    ck_assert_double_eq_tol(w[0], e0, 1e-14);
    ck_assert_double_eq_tol(w[0] + w[1], 1.0, 1e-15);
    gmoe_model_free(m);
}
END_TEST

static Suite *model_suite(void)
{
    Suite *s = suite_create("model");
    TCase *tc = tcase_create("gate");
    tcase_add_test(tc, test_softmax_gate_direct);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(model_suite());
}
