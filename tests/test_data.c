/* Tests of the data module: allocation and gmoe_data_check, the value check for data sets
 * that the bindings hand over as arrays (the CSV reader checks its own as it reads). */
#include <float.h>
#include <math.h>
#include <string.h>
#include "testutil.h"

/* n observations of d covariates, x_ti = t + i / n, y_i = -i: every value finite and small. */
static gmoe_data *ramp(size_t n, size_t d)
{
    gmoe_data *data = gmoe_data_alloc(n, d, 1);
    ck_assert_ptr_nonnull(data);
    for (size_t t = 0; t < d; t++)
        for (size_t i = 0; i < n; i++)
            data->x[t * n + i] = (double)t + (double)i / (double)n;
    for (size_t i = 0; i < n; i++)
        data->y[i] = -(double)i;
    return data;
}

START_TEST(test_alloc)
{
    gmoe_data *data = gmoe_data_alloc(4, 3, 0);
    ck_assert_ptr_nonnull(data);
    ck_assert_ptr_null(data->y);
    for (size_t i = 0; i < 12; i++)
        ck_assert(data->x[i] == 0.0);
    data->x[2 * 4 + 1] = 7; /* covariate 3 of observation 2 */
    double row[3];
    gmoe_data_row(data, 1, row);
    ck_assert(row[0] == 0 && row[1] == 0 && row[2] == 7);
    ck_assert(gmoe_data_xget(data, 1, 2) == 7);
    gmoe_data_free(data);
    gmoe_data_free(NULL);
}
END_TEST

START_TEST(test_check_clean)
{
    gmoe_data *data = ramp(50, 3);
    gmoe_error err;
    ck_assert_int_eq(gmoe_data_check(data, 0, &err), GMOE_SUCCESS);
    ck_assert_int_eq(gmoe_data_check(data, GMOE_FIT_MAX_ABS, &err), GMOE_SUCCESS);
    /* The limit itself and the extremes of the doubles (without a limit) pass. */
    data->x[7] = -GMOE_FIT_MAX_ABS;
    data->y[3] = DBL_MAX;
    data->x[60] = DBL_MIN / 4; /* subnormal */
    ck_assert_int_eq(gmoe_data_check(data, 0, &err), GMOE_SUCCESS);
    data->y[3] = 0;
    ck_assert_int_eq(gmoe_data_check(data, GMOE_FIT_MAX_ABS, &err), GMOE_SUCCESS);
    gmoe_data_free(data);
}
END_TEST

/* Each kind of bad value in each column, alone: the message names its observation (1-based)
 * and column, err->obs the observation. */
START_TEST(test_check_each)
{
    const double bad[] = {NAN, INFINITY, -INFINITY, 1e151, -3e200};
    const char *text[] = {"nan", "inf", "-inf", "1e+151", "-3e+200"};
    size_t n = 9, d = 2;
    for (size_t b = 0; b < 5; b++)
        for (size_t t = 0; t <= d; t++) {
            gmoe_data *data = ramp(n, d);
            size_t i = (3 * b + t) % n;
            if (t < d)
                data->x[t * n + i] = bad[b];
            else
                data->y[i] = bad[b];
            char want[200], col[8];
            snprintf(col, sizeof col, t < d ? "x%zu" : "y", t + 1);
            if (isfinite(bad[b]))
                snprintf(want, sizeof want,
                         "observation %zu: %s = %s is too large to fit (|value| > 1e+150)", i + 1,
                         col, text[b]);
            else
                snprintf(want, sizeof want, "observation %zu: %s = %s is not finite", i + 1, col,
                         text[b]);
            gmoe_error err;
            ck_assert_int_eq(gmoe_data_check(data, GMOE_FIT_MAX_ABS, &err), GMOE_EINVAL);
            ck_assert_str_eq(err.msg, want);
            ck_assert_uint_eq(err.obs, i + 1);
            /* Without a limit only the non-finite values are refused. */
            int rc = gmoe_data_check(data, 0, &err);
            ck_assert_int_eq(rc, isfinite(bad[b]) ? GMOE_SUCCESS : GMOE_EINVAL);
            gmoe_data_free(data);
        }
}
END_TEST

/* Several bad values: the first observation wins, then the first column (x before y). */
START_TEST(test_check_first)
{
    size_t n = 20;
    gmoe_data *data = ramp(n, 3);
    data->y[4] = NAN;
    data->x[2 * n + 4] = INFINITY; /* x3 of observation 5 */
    data->x[1 * n + 11] = NAN;
    data->x[0 * n + 15] = NAN;
    gmoe_error err;
    ck_assert_int_eq(gmoe_data_check(data, 0, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "observation 5: x3 = inf is not finite");
    data->x[2 * n + 4] = 1;
    ck_assert_int_eq(gmoe_data_check(data, 0, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "observation 5: y = nan is not finite");
    data->y[4] = 1;
    ck_assert_int_eq(gmoe_data_check(data, 0, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "observation 12: x2 = nan is not finite");
    gmoe_data_free(data);
}
END_TEST

/* A data set without y (prediction) is checked on x alone; d = 0 on y alone. */
START_TEST(test_check_no_y)
{
    gmoe_data *data = gmoe_data_alloc(3, 1, 0);
    data->x[2] = -NAN;
    gmoe_error err;
    ck_assert_int_eq(gmoe_data_check(data, 0, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "observation 3: x1 = -nan is not finite");
    data->x[2] = 0;
    ck_assert_int_eq(gmoe_data_check(data, 0, &err), GMOE_SUCCESS);
    gmoe_data_free(data);
    data = gmoe_data_alloc(3, 0, 1);
    data->y[1] = INFINITY;
    ck_assert_int_eq(gmoe_data_check(data, 0, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "observation 2: y = inf is not finite");
    gmoe_data_free(data);
}
END_TEST

/* gmoe_fit refuses a NaN as it refuses a value too large, before any start runs. */
START_TEST(test_fit_refuses_nan)
{
    gmoe_data *data = ramp(30, 1);
    data->y[17] = NAN;
    gmoe_model *templ = gmoe_model_alloc(2, 1, GMOE_GATE_SOFTMAX);
    gmoe_fit_params par = gmoe_fit_default_params();
    par.starts = 2;
    gmoe_model *best = NULL;
    gmoe_error err;
    ck_assert_int_eq(gmoe_fit(data, templ, &par, &best, NULL, &err), GMOE_EINVAL);
    ck_assert_ptr_null(best);
    ck_assert_str_eq(err.msg, "observation 18: y = nan is not finite");
    gmoe_model_free(templ);
    gmoe_data_free(data);
}
END_TEST

static Suite *data_suite(void)
{
    Suite *s = suite_create("data");
    TCase *tc = tcase_create("data");
    tcase_add_test(tc, test_alloc);
    tcase_add_test(tc, test_check_clean);
    tcase_add_test(tc, test_check_each);
    tcase_add_test(tc, test_check_first);
    tcase_add_test(tc, test_check_no_y);
    tcase_add_test(tc, test_fit_refuses_nan);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(data_suite());
}
