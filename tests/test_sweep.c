/* Sweep size lists (gmoe_sweep_parse_sizes): values, order, duplicates, limits. Expected
 * lists are written out by hand. */
#include <string.h>
#include <time.h>
#include "testutil.h"

static void sizes_are(const char *text, const size_t *want, size_t nwant)
{
    size_t *ns = NULL, nn = 0;
    gmoe_error err = {0};
    int rc = gmoe_sweep_parse_sizes(text, &ns, &nn, &err);
    ck_assert_msg(rc == GMOE_SUCCESS, "%s: %s", text, err.msg);
    ck_assert_uint_eq(nn, nwant);
    for (size_t i = 0; i < nwant; i++)
        ck_assert_msg(ns[i] == want[i], "%s: size %zu is %zu, expected %zu", text, i, ns[i],
                      want[i]);
    free(ns);
}

START_TEST(test_sizes_order_and_duplicates)
{
    const size_t a[] = {300, 100, 200};
    sizes_are("300, 100 100,200 300", a, 3);
    const size_t b[] = {10, 15, 20, 5}; /* 12.5 and 17.5 round half up */
    sizes_are("lin:10:20:3 15 20 5 10", b, 4);
    const size_t c[] = {100, 1000, 10000, 50};
    sizes_are("log:100:10000:3, 50, 100", c, 4);
    const size_t d[] = {4, 3, 2, 1}; /* a decreasing range */
    sizes_are("4:1:4", d, 4);
}
END_TEST

START_TEST(test_sizes_many)
{
    /* 10^6 sizes, then the same again: every second one repeats. Pairwise checks took
     * minutes (a fuzzer's find); this must be quick. */
    clock_t t0 = clock();
    size_t *ns = NULL, nn = 0;
    gmoe_error err = {0};
    int rc = gmoe_sweep_parse_sizes("lin:1:1e9:500000 lin:1:1e9:500000", &ns, &nn, &err);
    ck_assert_msg(rc == GMOE_SUCCESS, "%s", err.msg);
    ck_assert_uint_eq(nn, 500000);
    ck_assert_uint_eq(ns[0], 1);
    ck_assert_uint_eq(ns[499999], 1000000000);
    free(ns);
    ck_assert_msg((double)(clock() - t0) / CLOCKS_PER_SEC < 20, "too slow");

    ns = NULL;
    rc = gmoe_sweep_parse_sizes("5 lin:1:1e9:1000000", &ns, &nn, &err);
    ck_assert_int_eq(rc, GMOE_EPARSE);
    ck_assert_str_eq(err.msg, "more than 1000000 sizes");
    ck_assert_ptr_null(ns);
}
END_TEST

START_TEST(test_sizes_bad)
{
    const char *bad[] = {"0", "1:2", "lin:1:2:0", "log:1:2:1.5", "x", "1e13"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t *ns = NULL, nn = 0;
        gmoe_error err = {0};
        char want[256];
        snprintf(want, sizeof want,
                 "bad size \"%s\" (expected N, A:B:M, lin:A:B:M or log:A:B:M, sizes >= 1)",
                 bad[i]);
        ck_assert_int_eq(gmoe_sweep_parse_sizes(bad[i], &ns, &nn, &err), GMOE_EPARSE);
        ck_assert_str_eq(err.msg, want);
    }
    size_t *ns = NULL, nn = 0;
    gmoe_error err = {0};
    ck_assert_int_eq(gmoe_sweep_parse_sizes(" , ", &ns, &nn, &err), GMOE_EPARSE);
    ck_assert_str_eq(err.msg, "no sizes");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sweep");
    TCase *tc = tcase_create("sizes");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_sizes_order_and_duplicates);
    tcase_add_test(tc, test_sizes_many);
    tcase_add_test(tc, test_sizes_bad);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
