/* Shared helpers for the Check test runners. */
#ifndef GMOE_TESTUTIL_H
#define GMOE_TESTUTIL_H

#include <check.h>
#include <stdlib.h>
#include "gmoe.h"

/* The published softmax truth of MODELS.md section 6 (d = 1, k* = 2). */
static inline gmoe_model *test_softmax_truth(void)
{
    gmoe_model *m = gmoe_model_alloc(2, 1, GMOE_GATE_SOFTMAX);
    double b1a = 25, b1b = 0, aa = -20, ab = 20;
    gmoe_model_set_expert(m, 0, -8, &b1a, &aa, 15, 0.09);
    gmoe_model_set_expert(m, 1, 0, &b1b, &ab, -5, 0.16);
    return m;
}

/* Run a suite and return the process exit status for automake's test driver. */
static inline int test_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
