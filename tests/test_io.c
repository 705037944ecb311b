/* Model files: parsing the documented example, bit-exact round trips for every gate, the
 * exact message of every error path, and atomic writes. */
#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "testutil.h"

static int same_bits(double x, double y)
{
    return memcmp(&x, &y, sizeof x) == 0;
}

static void assert_same_array(const double *x, const double *y, size_t n, const char *what)
{
    for (size_t i = 0; i < n; i++)
        ck_assert_msg(same_bits(x[i], y[i]), "%s[%zu]: wrote %.17g, read %.17g", what, i, x[i],
                      y[i]);
}

/* ------------------------------------------------------------------ the FORMATS.md example */

static const char *formats_example = "{\n"
                                     "  \"gmoe_model\": 1,\n"
                                     "  \"gate\": \"softmax\",\n"
                                     "  \"experts\": [\n"
                                     "    {\"beta0\": -8, \"beta1\": [25], \"a\": [-20], \"b\": "
                                     "15, \"var\": 0.09},\n"
                                     "    {\"beta0\":  0, \"beta1\": [0],  \"a\": [20],  \"b\": "
                                     "-5, \"var\": 0.16}\n"
                                     "  ]\n"
                                     "}\n";

START_TEST(test_formats_example)
{
    gmoe_model *m = NULL;
    gmoe_fit_record fit;
    int has_fit = 7;
    gmoe_error err;
    memset(&fit, 0xff, sizeof fit);
    ck_assert_int_eq(gmoe_model_parse(formats_example, "ex.json", &m, &fit, &has_fit, &err), 0);
    ck_assert_int_eq(has_fit, 0);
    ck_assert_int_eq(fit.n, 0);
    ck_assert_str_eq(fit.status, "");
    ck_assert_int_eq(gmoe_model_gate(m), GMOE_GATE_SOFTMAX);
    ck_assert_int_eq(gmoe_model_k(m), 2);
    ck_assert_int_eq(gmoe_model_d(m), 1);
    const double want[2][5] = {{-8, 25, -20, 15, 0.09}, {0, 0, 20, -5, 0.16}};
    for (size_t j = 0; j < 2; j++) {
        double beta0, beta1, a, b, var;
        gmoe_model_get_expert(m, j, &beta0, &beta1, &a, &b, &var);
        ck_assert(same_bits(beta0, want[j][0]));
        ck_assert(same_bits(beta1, want[j][1]));
        ck_assert(same_bits(a, want[j][2]));
        ck_assert(same_bits(b, want[j][3]));
        ck_assert(same_bits(var, want[j][4]));
    }
    gmoe_model_free(m);
}
END_TEST

/* The example as gmoe writes it: laid out by hand here, not captured from the writer. */
START_TEST(test_dumps_layout)
{
    gmoe_model *m = test_softmax_truth();
    char *text = NULL;
    gmoe_error err;
    ck_assert_int_eq(gmoe_model_dumps(m, NULL, &text, &err), 0);
    ck_assert_str_eq(
        text, "{\n"
              "  \"gmoe_model\": 1,\n"
              "  \"gate\": \"softmax\",\n"
              "  \"experts\": [\n"
              "    {\"beta0\": -8.0, \"beta1\": [25.0], \"a\": [-20.0], \"b\": 15.0, \"var\": "
              "0.089999999999999997},\n"
              "    {\"beta0\": 0.0, \"beta1\": [0.0], \"a\": [20.0], \"b\": -5.0, \"var\": 0.16}\n"
              "  ]\n"
              "}\n");
    free(text);
    gmoe_model_free(m);
}
END_TEST

/* Keys in the documented order, family keys only for their gate, fit last with the
 * version of the library that wrote it. */
START_TEST(test_dumps_key_order)
{
    gmoe_model *m = test_softmax_truth();
    gmoe_fit_record fit;
    memset(&fit, 0, sizeof fit);
    strcpy(fit.status, "converged");
    char *text = NULL;
    gmoe_error err;

    gmoe_model_set_gate(m, GMOE_GATE_ACTIVATION);
    gmoe_model_set_tau(m, 0.5);
    gmoe_model_set_act(m, GMOE_ACT_SIGMOID);
    ck_assert_int_eq(gmoe_model_dumps(m, &fit, &text, &err), 0);
    const char *keys[] = {"\"gmoe_model\": 1", "\"gate\": \"activation\"",
                          "\"tau\": 0.5",      "\"activation\": \"sigmoid\"",
                          "\"experts\"",       "\"fit\"",
                          "\"loglik\"",        "\"status\": \"converged\"",
                          "\"gmoe_version\""};
    const char *prev = text;
    for (size_t i = 0; i < TEST_NELEM(keys); i++) {
        const char *p = strstr(text, keys[i]);
        ck_assert_msg(p && p > prev, "%s missing or out of order in\n%s", keys[i], text);
        prev = p;
    }
    char ver[64];
    snprintf(ver, sizeof ver, "\"gmoe_version\": \"%s\"", gmoe_version());
    ck_assert_ptr_nonnull(strstr(text, ver));
    ck_assert_ptr_null(strstr(text, "topk"));
    free(text);

    gmoe_model_set_gate(m, GMOE_GATE_TOPK);
    gmoe_model_set_topk(m, 1, GMOE_TOPK_SCORE);
    ck_assert_int_eq(gmoe_model_dumps(m, NULL, &text, &err), 0);
    const char *p1 = strstr(text, "\"topk\": 1,"), *p2 = strstr(text, "\"topk_select\": \"score\"");
    ck_assert(p1 && p2 && p1 < p2 && p2 < strstr(text, "\"experts\""));
    ck_assert_ptr_null(strstr(text, "tau"));
    ck_assert_ptr_null(strstr(text, "\"fit\""));
    free(text);
    gmoe_model_free(m);
}
END_TEST

/* ------------------------------------------------------------------ round trips */

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rng_next(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static double rng_unif(void)
{
    return (double)(rng_next() >> 11) * 0x1.0p-53;
}

/* Doubles that a decimal round trip gets wrong if anything is off: extremes, subnormals,
 * -0.0, decimals with no exact binary form, and arbitrary bit patterns. */
static double rng_double(void)
{
    static const double special[] = {
        1e-300,  1e300,    -0.0,   0.0,      0.1, -0.1, 1.0 / 3, DBL_MIN,
        DBL_MAX, -DBL_MAX, 5e-324, -2.5e-10, 0.3, 1e22, 1e23,    123456789012345678.0};
    switch (rng_next() % 3) {
    case 0:
        return special[rng_next() % TEST_NELEM(special)];
    case 1:
        for (;;) {
            uint64_t bits = rng_next();
            double x;
            memcpy(&x, &bits, sizeof x);
            if (isfinite(x)) return x;
        }
    default:
        return 20 * rng_unif() - 10;
    }
}

static double rng_positive(void)
{
    for (;;) {
        double x = fabs(rng_double());
        if (x > 0) return x;
    }
}

static gmoe_model *random_model(gmoe_gate gate, size_t k, size_t d)
{
    gmoe_model *m = gmoe_model_alloc(k, d, gate);
    double beta1[3], a[3], c[3], G[9];
    for (size_t j = 0; j < k; j++) {
        for (size_t t = 0; t < d; t++) {
            beta1[t] = rng_double();
            a[t] = rng_double();
            c[t] = rng_double();
        }
        double beta0 = gate == GMOE_GATE_GAUSSIAN ? 0 : rng_double();
        if (gate == GMOE_GATE_GAUSSIAN)
            for (size_t t = 0; t < d; t++)
                beta1[t] = 0;
        gmoe_model_set_expert(m, j, beta0, beta1, a, rng_double(), rng_positive());
        /* Diagonally dominant, hence positive definite, with full-precision entries. */
        for (size_t s = 0; s < d; s++) {
            G[s * d + s] = (double)d + rng_unif();
            for (size_t t = 0; t < s; t++)
                G[s * d + t] = G[t * d + s] = 1.8 * rng_unif() - 0.9;
        }
        gmoe_model_set_gauss(m, j, rng_positive(), c, G);
    }
    gmoe_model_set_tau(m, rng_positive());
    gmoe_model_set_topk(m, 1 + rng_next() % k, (gmoe_topk_select)(rng_next() % 2));
    gmoe_model_set_act(m, (gmoe_act)(rng_next() % 2));
    return m;
}

static void random_fit(gmoe_fit_record *fit)
{
    memset(fit, 0, sizeof *fit);
    fit->loglik = rng_double();
    fit->n = (size_t)(rng_next() >> 20);
    fit->iterations = (size_t)(rng_next() % 100000);
    strcpy(fit->status, rng_next() % 2 ? "converged" : "max-iterations");
    strcpy(fit->stop, "per-obs");
    fit->aic = rng_double();
    fit->bic = rng_double();
    fit->seconds = rng_positive();
    fit->nparams = (size_t)(rng_next() % 1000);
    fit->starts = 1 + (size_t)(rng_next() % 10);
    fit->seed = (unsigned long)(rng_next() >> 1);
    if (rng_next() % 2) { /* a Gaussian-gated fit's joint objective */
        strcpy(fit->objective, "joint");
        fit->loglik_joint = rng_double();
    }
}

/* Every parameter that the gate uses must come back with the same bits. */
static void assert_same_model(const gmoe_model *x, const gmoe_model *y)
{
    size_t k = gmoe_model_k(x), d = gmoe_model_d(x);
    gmoe_gate gate = gmoe_model_gate(x);
    ck_assert_int_eq(gmoe_model_gate(y), gate);
    ck_assert_int_eq(gmoe_model_k(y), k);
    ck_assert_int_eq(gmoe_model_d(y), d);
    for (size_t j = 0; j < k; j++) {
        double px[5 + 3 * 3 + 3 * 9], py[5 + 3 * 3 + 3 * 9];
        gmoe_model_get_expert(x, j, px, px + 1, px + 1 + d, px + 1 + 2 * d, px + 2 + 2 * d);
        gmoe_model_get_expert(y, j, py, py + 1, py + 1 + d, py + 1 + 2 * d, py + 2 + 2 * d);
        assert_same_array(px, py, 3 + 2 * d, "expert (beta0, beta1, a, b, var)");
        if (gate == GMOE_GATE_GAUSSIAN) {
            gmoe_model_get_gauss(x, j, px, px + 1, px + 1 + d);
            gmoe_model_get_gauss(y, j, py, py + 1, py + 1 + d);
            assert_same_array(px, py, 1 + d + d * d, "expert (pi, c, Gamma)");
        }
    }
    if (gate == GMOE_GATE_TEMPERATURE || gate == GMOE_GATE_ACTIVATION)
        ck_assert(same_bits(gmoe_model_tau(x), gmoe_model_tau(y)));
    if (gate == GMOE_GATE_TOPK) {
        ck_assert_int_eq(gmoe_model_topk(x), gmoe_model_topk(y));
        ck_assert_int_eq(gmoe_model_topk_select(x), gmoe_model_topk_select(y));
    }
    if (gate == GMOE_GATE_ACTIVATION) ck_assert_int_eq(gmoe_model_act(x), gmoe_model_act(y));
}

static void assert_same_fit(const gmoe_fit_record *x, const gmoe_fit_record *y)
{
    ck_assert(same_bits(x->loglik, y->loglik));
    ck_assert(same_bits(x->aic, y->aic));
    ck_assert(same_bits(x->bic, y->bic));
    ck_assert(same_bits(x->seconds, y->seconds));
    ck_assert_uint_eq(x->n, y->n);
    ck_assert_uint_eq(x->iterations, y->iterations);
    ck_assert_uint_eq(x->nparams, y->nparams);
    ck_assert_uint_eq(x->starts, y->starts);
    ck_assert_uint_eq(x->seed, y->seed);
    ck_assert_str_eq(x->status, y->status);
    ck_assert_str_eq(x->stop, y->stop);
    ck_assert_str_eq(x->objective, y->objective);
    ck_assert(same_bits(x->loglik_joint, y->loglik_joint));
}

/* Loop index: the gate. */
START_TEST(test_round_trip)
{
    gmoe_gate gate = (gmoe_gate)_i;
    rng_state = 88172645463325252ULL + (uint64_t)_i;
    for (int rep = 0; rep < 40; rep++) {
        size_t k = 1 + rng_next() % 4, d = gate == GMOE_GATE_GAUSSIAN ? 2 : 1 + rng_next() % 3;
        gmoe_model *m = random_model(gate, k, d), *back = NULL;
        ck_assert_int_eq(gmoe_model_validate(m, NULL), 0);
        gmoe_fit_record fit, fit_back;
        random_fit(&fit);
        int with_fit = rep % 2, has_fit = -1;
        char *text = NULL, *again = NULL;
        gmoe_error err;
        ck_assert_int_eq(gmoe_model_dumps(m, with_fit ? &fit : NULL, &text, &err), 0);
        int rc = gmoe_model_parse(text, "rt.json", &back, &fit_back, &has_fit, &err);
        ck_assert_msg(rc == 0, "%s\n%s", err.msg, text);
        assert_same_model(m, back);
        ck_assert_int_eq(has_fit, with_fit);
        if (with_fit) assert_same_fit(&fit, &fit_back);
        /* Reading and writing again changes nothing. */
        ck_assert_int_eq(gmoe_model_dumps(back, with_fit ? &fit_back : NULL, &again, &err), 0);
        ck_assert_str_eq(text, again);
        free(text);
        free(again);
        gmoe_model_free(m);
        gmoe_model_free(back);
    }
}
END_TEST

/* A Gaussian-gated model leaves beta out, unless a switched gate left some behind. */
START_TEST(test_gaussian_beta)
{
    gmoe_model *m = gmoe_model_alloc(2, 2, GMOE_GATE_GAUSSIAN), *back = NULL;
    char *text = NULL;
    gmoe_error err;
    ck_assert_int_eq(gmoe_model_dumps(m, NULL, &text, &err), 0);
    ck_assert_ptr_null(strstr(text, "beta"));
    ck_assert_ptr_nonnull(strstr(text, "\"Gamma\": [[1.0, 0.0], [0.0, 1.0]]"));
    free(text);
    double beta1[2] = {-0.0, 0.1}, a[2] = {1, 2};
    gmoe_model_set_expert(m, 1, 3.5, beta1, a, 4, 0.25);
    ck_assert_int_eq(gmoe_model_dumps(m, NULL, &text, &err), 0);
    ck_assert_int_eq(gmoe_model_parse(text, "g.json", &back, NULL, NULL, &err), 0);
    double b0, b1[2];
    gmoe_model_get_expert(back, 1, &b0, b1, NULL, NULL, NULL);
    ck_assert(same_bits(b0, 3.5) && same_bits(b1[0], -0.0) && same_bits(b1[1], 0.1));
    free(text);
    gmoe_model_free(m);
    gmoe_model_free(back);
}
END_TEST

START_TEST(test_sd_squared)
{
    char *text = test_json("{'gmoe_model': 1, 'gate': 'softmax', 'experts': ["
                           "{'beta0': 0, 'beta1': [0], 'a': [0], 'b': 0, 'sd': 0.5},"
                           "{'beta0': 0, 'beta1': [0], 'a': [0], 'b': 0, 'sd': 3}]}");
    gmoe_model *m = NULL;
    gmoe_error err;
    ck_assert_int_eq(gmoe_model_parse(text, "sd.json", &m, NULL, NULL, &err), 0);
    double v0, v1;
    gmoe_model_get_expert(m, 0, NULL, NULL, NULL, NULL, &v0);
    gmoe_model_get_expert(m, 1, NULL, NULL, NULL, NULL, &v1);
    ck_assert(v0 == 0.25 && v1 == 9.0);
    free(text);
    gmoe_model_free(m);
}
END_TEST

/* A fit object: unknown keys ignored, missing ones left at zero, null read as NaN, and the
 * informational top-level keys accepted. */
START_TEST(test_fit_partial)
{
    char *text = test_json("{'gmoe_model': 1, 'gate': 'sigmoid', 'comment': 'hand-made',"
                           " 'source': 'x', 'name': 'y', 'meta': {'anything': [1, null]},"
                           " 'experts': [{'beta0': 1, 'beta1': [2], 'a': [3], 'b': 4, 'var': 5}],"
                           " 'fit': {'loglik': null, 'n': 500, 'status': 'degenerate',"
                           " 'bic': -3, 'seed': 2023, 'future_key': {'x': 1}}}");
    gmoe_model *m = NULL;
    gmoe_fit_record fit;
    int has_fit = 0;
    gmoe_error err;
    ck_assert_int_eq(gmoe_model_parse(text, "f.json", &m, &fit, &has_fit, &err), 0);
    ck_assert_int_eq(has_fit, 1);
    ck_assert(isnan(fit.loglik));
    ck_assert_uint_eq(fit.n, 500);
    ck_assert_str_eq(fit.status, "degenerate");
    ck_assert(fit.bic == -3.0 && fit.aic == 0.0 && fit.seconds == 0.0);
    ck_assert_uint_eq(fit.seed, 2023);
    ck_assert_uint_eq(fit.iterations + fit.nparams + fit.starts, 0);
    ck_assert_str_eq(fit.stop, "");
    free(text);
    gmoe_model_free(m);
}
END_TEST

START_TEST(test_fit_nonfinite_as_null)
{
    gmoe_model *m = test_softmax_truth(), *back = NULL;
    gmoe_fit_record fit, fit_back;
    memset(&fit, 0, sizeof fit);
    fit.loglik = INFINITY;
    fit.aic = NAN;
    char *text = NULL;
    gmoe_error err;
    ck_assert_int_eq(gmoe_model_dumps(m, &fit, &text, &err), 0);
    ck_assert_ptr_nonnull(strstr(text, "\"loglik\": null,"));
    ck_assert_ptr_nonnull(strstr(text, "\"aic\": null,"));
    ck_assert_int_eq(gmoe_model_parse(text, "n.json", &back, &fit_back, NULL, &err), 0);
    ck_assert(isnan(fit_back.loglik) && isnan(fit_back.aic));
    free(text);
    gmoe_model_free(m);
    gmoe_model_free(back);
}
END_TEST

/* ------------------------------------------------------------------ parse errors */

#define HEAD(gate) "{'gmoe_model': 1, 'gate': '" gate "', "
#define E0 "{'beta0': -8, 'beta1': [25], 'a': [-20], 'b': 15, 'var': 0.09}"
#define E1 "{'beta0': 0, 'beta1': [0], 'a': [20], 'b': -5, 'var': 0.16}"
#define EXPERTS "'experts': [" E0 ", " E1 "]}"
#define G0 "{'pi': 1, 'c': [0, 0], 'Gamma': [[1, 0], [0, 1]], 'a': [1, 1], 'b': 0, 'var': 1}"

static const struct {
    const char *text;
    int code;
    const char *msg;
} error_cases[] = {
    /* the file as a whole */
    {"", GMOE_EPARSE, "t.json: empty file"},
    {" \n\t\r\n", GMOE_EPARSE, "t.json: empty file"},
    {"{\n  'gmoe_model': 1,\n  'gate': 'softmax'\n  'experts': []\n}", GMOE_EPARSE,
     "t.json: line 4 column 11: JSON syntax error: '}' expected near '\"experts\"'"},
    {"{'gmoe_model': 1, 'gmoe_model': 1}", GMOE_EPARSE,
     "t.json: line 1 column 30: JSON syntax error: duplicate object key near '\"gmoe_model\"'"},
    {"[1, 2]", GMOE_EPARSE, "t.json: expected a JSON object (got an array)"},
    /* version and gate */
    {"{'gate': 'softmax', " EXPERTS, GMOE_EPARSE,
     "t.json: gmoe_model: missing (not a gmoe model file?)"},
    {"{'gmoe_model': '1', 'gate': 'softmax', " EXPERTS, GMOE_EPARSE,
     "t.json: gmoe_model: expected an integer (got a string)"},
    {"{'gmoe_model': 2, 'gate': 'softmax', " EXPERTS, GMOE_EPARSE,
     "t.json: gmoe_model: unsupported format version 2 (this gmoe reads version 1)"},
    {"{'gmoe_model': 1, " EXPERTS, GMOE_EPARSE, "t.json: gate: missing"},
    {HEAD("softmx") EXPERTS, GMOE_EPARSE, "t.json: gate: unknown gate \"softmx\""},
    /* top-level keys */
    {HEAD("topk") "'topk': 1, 'topk_selct': 'score', " EXPERTS, GMOE_EPARSE,
     "t.json: topk_selct: unknown key"},
    {HEAD("softmax") "'a\\nb': 1, " EXPERTS, GMOE_EPARSE, "t.json: a?b: unknown key"},
    {HEAD("softmax") "'tau': 1, " EXPERTS, GMOE_EPARSE,
     "t.json: tau: not a parameter of the softmax gate"},
    {HEAD("temperature") "'tau': 1, 'activation': 'tanh', " EXPERTS, GMOE_EPARSE,
     "t.json: activation: not a parameter of the temperature gate"},
    {HEAD("activation") "'tau': 1, 'activation': 'tanh', 'topk': 1, " EXPERTS, GMOE_EPARSE,
     "t.json: topk: not a parameter of the activation gate"},
    {HEAD("softmax") "'comment': 5, " EXPERTS, GMOE_EPARSE,
     "t.json: comment: expected a string (got a number)"},
    /* family parameters */
    {HEAD("temperature") EXPERTS, GMOE_EPARSE,
     "t.json: tau: missing (required for the temperature gate)"},
    {HEAD("temperature") "'tau': 0, " EXPERTS, GMOE_EPARSE, "t.json: tau: must be > 0 (got 0)"},
    {HEAD("activation") "'tau': -2.5, 'activation': 'tanh', " EXPERTS, GMOE_EPARSE,
     "t.json: tau: must be > 0 (got -2.5)"},
    {HEAD("temperature") "'tau': '1', " EXPERTS, GMOE_EPARSE,
     "t.json: tau: expected a number (got a string)"},
    {HEAD("activation") "'tau': 1, " EXPERTS, GMOE_EPARSE,
     "t.json: activation: missing (required for the activation gate)"},
    {HEAD("activation") "'tau': 1, 'activation': 'relu', " EXPERTS, GMOE_EPARSE,
     "t.json: activation: unknown activation \"relu\""},
    {HEAD("topk") EXPERTS, GMOE_EPARSE, "t.json: topk: missing (required for the topk gate)"},
    {HEAD("topk") "'topk': 0, " EXPERTS, GMOE_EPARSE,
     "t.json: topk: must be between 1 and k = 2 (got 0)"},
    {HEAD("topk") "'topk': 3, " EXPERTS, GMOE_EPARSE,
     "t.json: topk: must be between 1 and k = 2 (got 3)"},
    {HEAD("topk") "'topk': -1, " EXPERTS, GMOE_EPARSE,
     "t.json: topk: must be between 1 and k = 2 (got -1)"},
    {HEAD("topk") "'topk': 1.5, " EXPERTS, GMOE_EPARSE,
     "t.json: topk: expected an integer (got a real number)"},
    {HEAD("topk") "'topk': 1, 'topk_select': 'best', " EXPERTS, GMOE_EPARSE,
     "t.json: topk_select: unknown selection rule \"best\""},
    /* the experts array */
    {HEAD("softmax") "'comment': 'no experts'}", GMOE_EPARSE, "t.json: experts: missing"},
    {HEAD("softmax") "'experts': []}", GMOE_EPARSE,
     "t.json: experts: expected a non-empty array of objects (got an empty array)"},
    {HEAD("softmax") "'experts': {}}", GMOE_EPARSE,
     "t.json: experts: expected a non-empty array of objects (got an object)"},
    {HEAD("softmax") "'experts': [" E0 ", 3]}", GMOE_EPARSE,
     "t.json: experts[1]: expected an object (got a number)"},
    /* fields of an expert */
    {HEAD("softmax") "'experts': [" E0 ", {'beta0': 0, 'beta1': [0], 'a': [20], 'var': 1}]}",
     GMOE_EPARSE, "t.json: experts[1].b: missing"},
    {HEAD("softmax") "'experts': [{'beta1': [25], 'a': [-20], 'b': 15, 'var': 0.09}]}", GMOE_EPARSE,
     "t.json: experts[0].beta0: missing"},
    {HEAD("softmax") "'experts': [{'beta0': 1, 'a': [-20], 'b': 15, 'var': 0.09}]}", GMOE_EPARSE,
     "t.json: experts[0].beta1: missing"},
    {HEAD("softmax") "'experts': [{'beta0': 1, 'b': 15, 'var': 0.09}]}", GMOE_EPARSE,
     "t.json: experts[0].beta1: missing"},
    {HEAD("softmax") "'experts': [{'beta0': -8, 'beta1': [25], 'a': [-20], 'b': '15', "
                     "'var': 0.09}]}",
     GMOE_EPARSE, "t.json: experts[0].b: expected a number (got a string)"},
    {HEAD("softmax") "'experts': [{'beta0': -8, 'beta1': 25, 'a': [-20], 'b': 15, "
                     "'var': 0.09}]}",
     GMOE_EPARSE, "t.json: experts[0].beta1: expected an array of 1 numbers (got a number)"},
    {HEAD("softmax") "'experts': [{'beta0': -8, 'beta1': 25, 'b': 15, 'var': 0.09}]}", GMOE_EPARSE,
     "t.json: experts[0].beta1: expected an array of numbers (got a number)"},
    {HEAD("softmax") "'experts': [{'beta0': -8, 'beta1': [], 'a': [], 'b': 15, 'var': 1}]}",
     GMOE_EPARSE,
     "t.json: experts[0].beta1: expected a non-empty array of numbers (got an empty array)"},
    {HEAD("softmax") "'experts': [{'beta0': -8, 'beta1': [25], 'a': ['x'], 'b': 15, "
                     "'var': 0.09}]}",
     GMOE_EPARSE, "t.json: experts[0].a[0]: expected a number (got a string)"},
    {HEAD("softmax") "'experts': [{'beta0': -8, 'beta1': [25], 'a': [-20, 1], 'b': 15, "
                     "'var': 0.09}]}",
     GMOE_EPARSE,
     "t.json: experts[0].a: d mismatch: expected an array of 1 numbers (got an array of 2)"},
    {HEAD("softmax") "'experts': [" E0 ", {'beta0': 0, 'beta1': [0, 1], 'a': [20], 'b': -5, "
                     "'var': 0.16}]}",
     GMOE_EPARSE,
     "t.json: experts[1].beta1: d mismatch: expected an array of 1 numbers (got an array of "
     "2)"},
    {HEAD("softmax") "'experts': [" E0 ", {'beta0': 0, 'beta1': [0], 'a': [20], 'b': -5, "
                     "'var': -0.5}]}",
     GMOE_EPARSE, "t.json: experts[1].var: must be > 0 (got -0.5)"},
    {HEAD("softmax") "'experts': [" E0 ", {'beta0': 0, 'beta1': [0], 'a': [20], 'b': -5, "
                     "'var': 0}]}",
     GMOE_EPARSE, "t.json: experts[1].var: must be > 0 (got 0)"},
    {HEAD("softmax") "'experts': [{'beta0': 0, 'beta1': [0], 'a': [20], 'b': -5}]}", GMOE_EPARSE,
     "t.json: experts[0].var: missing (or give sd)"},
    {HEAD("softmax") "'experts': [{'beta0': 0, 'beta1': [0], 'a': [20], 'b': -5, 'var': 1, "
                     "'sd': 1}]}",
     GMOE_EPARSE, "t.json: experts[0]: give var or sd, not both"},
    {HEAD("softmax") "'experts': [{'beta0': 0, 'beta1': [0], 'a': [20], 'b': -5, 'sd': -1}]}",
     GMOE_EPARSE, "t.json: experts[0].sd: must be > 0 (got -1)"},
    {HEAD("softmax") "'experts': [{'beta0': 0, 'beta1': [0], 'a': [20], 'b': -5, "
                     "'sd': 1e200}]}",
     GMOE_EPARSE, "t.json: experts[0].sd: sd^2 is not a usable variance (sd = 1e+200)"},
    {HEAD("softmax") "'experts': [{'beta0': 0, 'beta1': [0], 'a': [20], 'b': -5, 'var': 1, "
                     "'sigma': 1}]}",
     GMOE_EPARSE, "t.json: experts[0].sigma: unknown key"},
    {HEAD("softmax") "'experts': [{'beta0': 0, 'beta1': [0], 'a': [20], 'b': -5, 'var': 1, "
                     "'pi': 1}]}",
     GMOE_EPARSE, "t.json: experts[0].pi: not a parameter of the softmax gate"},
    /* the Gaussian gate */
    {HEAD("gaussian") "'experts': [" G0 ", {'pi': 0, 'c': [0, 0], 'Gamma': [[1, 0], [0, 1]], "
                      "'a': [1, 1], 'b': 0, 'var': 1}]}",
     GMOE_EPARSE, "t.json: experts[1].pi: must be > 0 (got 0)"},
    {HEAD("gaussian") "'experts': [{'pi': 1, 'Gamma': [[1, 0], [0, 1]], 'a': [1, 1], 'b': 0, "
                      "'var': 1}]}",
     GMOE_EPARSE, "t.json: experts[0].c: missing"},
    {HEAD("gaussian") "'experts': [{'pi': 1, 'c': [0, 0], 'Gamma': [[1, 0]], 'a': [1, 1], "
                      "'b': 0, 'var': 1}]}",
     GMOE_EPARSE,
     "t.json: experts[0].Gamma: d mismatch: expected an array of 2 arrays of 2 numbers (got "
     "an array of 1)"},
    {HEAD("gaussian") "'experts': [{'pi': 1, 'c': [0, 0], 'Gamma': [[1, 0], [0]], "
                      "'a': [1, 1], 'b': 0, 'var': 1}]}",
     GMOE_EPARSE,
     "t.json: experts[0].Gamma[1]: d mismatch: expected an array of 2 numbers (got an array "
     "of 1)"},
    {HEAD("gaussian") "'experts': [{'pi': 1, 'c': [0, 0], 'Gamma': [[1, 2], [2, 1]], "
                      "'a': [1, 1], 'b': 0, 'var': 1}]}",
     GMOE_EPARSE, "t.json: expert 1: Gamma is not positive definite"},
    {HEAD("gaussian") "'experts': [" G0 ", {'pi': 1, 'c': [0, 0], 'Gamma': [[1, 0.5], [0, 1]], "
                      "'a': [1, 1], 'b': 0, 'var': 1}]}",
     GMOE_EPARSE, "t.json: expert 2: Gamma is not symmetric"},
    {HEAD("gaussian") "'experts': [{'pi': 1, 'c': [0, 0], 'Gamma': [[1, 0], [0, 1]], "
                      "'beta1': [1], 'a': [1, 1], 'b': 0, 'var': 1}]}",
     GMOE_EPARSE,
     "t.json: experts[0].beta1: d mismatch: expected an array of 2 numbers (got an array of "
     "1)"},
    /* the fit object */
    {HEAD("softmax") "'fit': [1], " EXPERTS, GMOE_EPARSE,
     "t.json: fit: expected an object (got an array)"},
    {HEAD("softmax") "'fit': {'loglik': 'high'}, " EXPERTS, GMOE_EPARSE,
     "t.json: fit.loglik: expected a number (got a string)"},
    {HEAD("softmax") "'fit': {'n': -1}, " EXPERTS, GMOE_EPARSE,
     "t.json: fit.n: must be >= 0 (got -1)"},
    {HEAD("softmax") "'fit': {'seed': 1.5}, " EXPERTS, GMOE_EPARSE,
     "t.json: fit.seed: expected an integer (got a real number)"},
    {HEAD("softmax") "'fit': {'status': 'converged-but-this-is-far-too-long'}, " EXPERTS,
     GMOE_EPARSE, "t.json: fit.status: longer than 31 characters"},
};

/* Loop index: the case. The model and fit outputs are reset on failure too. */
START_TEST(test_parse_error)
{
    char *text = test_json(error_cases[_i].text);
    gmoe_model *m = (gmoe_model *)1;
    gmoe_fit_record fit;
    int has_fit = -1;
    gmoe_error err;
    gmoe_error_clear(&err);
    fit.n = 99;
    int rc = gmoe_model_parse(text, "t.json", &m, &fit, &has_fit, &err);
    ck_assert_msg(rc == error_cases[_i].code, "%s: code %d, want %d (%s)", text, rc,
                  error_cases[_i].code, err.msg);
    ck_assert_int_eq(err.code, rc);
    ck_assert_str_eq(err.msg, error_cases[_i].msg);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(has_fit, 0);
    ck_assert_uint_eq(fit.n, 0);
    free(text);
}
END_TEST

/* ------------------------------------------------------------------ writer errors */

START_TEST(test_write_nonfinite)
{
    gmoe_model *m = gmoe_model_alloc(2, 2, GMOE_GATE_TEMPERATURE);
    gmoe_error err;
    char *text = (char *)1;
    double beta1[2] = {0, 0}, a[2] = {1, NAN};
    gmoe_model_set_expert(m, 1, 0, beta1, a, 0, 1);
    ck_assert_int_eq(gmoe_model_dumps(m, NULL, &text, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "experts[1].a[1]: cannot write a non-finite value (nan)");
    ck_assert_ptr_null(text);

    char dir[] = "/tmp/gmoe_test_io_XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.json", dir);
    ck_assert_int_eq(gmoe_model_write(path, m, NULL, &err), GMOE_EINVAL);
    char want[128];
    snprintf(want, sizeof want, "%s: experts[1].a[1]: cannot write a non-finite value (nan)", path);
    ck_assert_str_eq(err.msg, want);
    ck_assert_int_eq(access(path, F_OK), -1);

    a[1] = 2;
    gmoe_model_set_expert(m, 1, 0, beta1, a, 0, 1);
    gmoe_model_set_tau(m, -INFINITY);
    ck_assert_int_eq(gmoe_model_dumps(m, NULL, &text, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "tau: cannot write a non-finite value (-inf)");

    gmoe_model_set_gate(m, GMOE_GATE_GAUSSIAN);
    double c[2] = {0, 0}, G[4] = {1, 0, 0, INFINITY};
    gmoe_model_set_gauss(m, 0, 1, c, G);
    ck_assert_int_eq(gmoe_model_dumps(m, NULL, &text, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "experts[0].Gamma[1][1]: cannot write a non-finite value (inf)");
    rmdir(dir);
    gmoe_model_free(m);
}
END_TEST

/* ------------------------------------------------------------------ files */

static size_t count_entries(const char *dir)
{
    DIR *dp = opendir(dir);
    size_t n = 0;
    for (struct dirent *e; (e = readdir(dp));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(dp);
    return n;
}

START_TEST(test_write_read_file)
{
    char dir[] = "/tmp/gmoe_test_io_XXXXXX", path[64];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/fit.json", dir);
    gmoe_error err;
    gmoe_model *m = test_softmax_truth(), *back = NULL;
    gmoe_fit_record fit, fit_back;
    rng_state = 12345;
    random_fit(&fit);
    ck_assert_int_eq(gmoe_model_write(path, m, &fit, &err), 0);
    ck_assert_uint_eq(count_entries(dir), 1); /* no temporary file left behind */

    /* Overwrite with another model: the file then holds the second one only. */
    gmoe_model *m2 = random_model(GMOE_GATE_TOPK, 3, 2);
    ck_assert_int_eq(gmoe_model_write(path, m2, NULL, &err), 0);
    ck_assert_uint_eq(count_entries(dir), 1);
    int has_fit = -1;
    ck_assert_int_eq(gmoe_model_read(path, &back, &fit_back, &has_fit, &err), 0);
    assert_same_model(m2, back);
    ck_assert_int_eq(has_fit, 0);
    gmoe_model_free(back);

    ck_assert_int_eq(gmoe_model_write(path, m, &fit, &err), 0);
    ck_assert_int_eq(gmoe_model_read(path, &back, &fit_back, &has_fit, &err), 0);
    assert_same_model(m, back);
    ck_assert_int_eq(has_fit, 1);
    assert_same_fit(&fit, &fit_back);
    gmoe_model_free(back);

    /* "-" reads standard input. */
    ck_assert_ptr_nonnull(freopen(path, "r", stdin));
    ck_assert_int_eq(gmoe_model_read("-", &back, NULL, NULL, &err), 0);
    assert_same_model(m, back);
    gmoe_model_free(back);

    ck_assert_int_eq(unlink(path), 0);
    ck_assert_int_eq(rmdir(dir), 0);
    gmoe_model_free(m);
    gmoe_model_free(m2);
}
END_TEST

START_TEST(test_file_errors)
{
    char dir[] = "/tmp/gmoe_test_io_XXXXXX", path[64], want[160];
    ck_assert_ptr_nonnull(mkdtemp(dir));
    gmoe_error err;
    gmoe_model *m = (gmoe_model *)1;
    int has_fit = -1;

    snprintf(path, sizeof path, "%s/missing.json", dir);
    ck_assert_int_eq(gmoe_model_read(path, &m, NULL, &has_fit, &err), GMOE_EIO);
    snprintf(want, sizeof want, "%s: cannot open: No such file or directory", path);
    ck_assert_str_eq(err.msg, want);
    ck_assert_ptr_null(m);
    ck_assert_int_eq(has_fit, 0);

    ck_assert_int_eq(gmoe_model_read(dir, &m, NULL, NULL, &err), GMOE_EIO);
    snprintf(want, sizeof want, "%s: cannot read: Is a directory", dir);
    ck_assert_str_eq(err.msg, want);

    snprintf(path, sizeof path, "%s/empty.json", dir);
    FILE *fp = fopen(path, "w");
    fclose(fp);
    ck_assert_int_eq(gmoe_model_read(path, &m, NULL, NULL, &err), GMOE_EPARSE);
    snprintf(want, sizeof want, "%s: empty file", path);
    ck_assert_str_eq(err.msg, want);
    unlink(path);

    gmoe_model *truth = test_softmax_truth();
    snprintf(path, sizeof path, "%s/no/such/dir.json", dir);
    ck_assert_int_eq(gmoe_model_write(path, truth, NULL, &err), GMOE_EIO);
    snprintf(want, sizeof want, "%s: cannot write: No such file or directory", path);
    ck_assert_str_eq(err.msg, want);
    gmoe_model_free(truth);
    ck_assert_int_eq(rmdir(dir), 0);
}
END_TEST

static Suite *io_suite(void)
{
    Suite *s = suite_create("io");
    TCase *tc = tcase_create("read");
    tcase_add_test(tc, test_formats_example);
    tcase_add_test(tc, test_sd_squared);
    tcase_add_test(tc, test_fit_partial);
    tcase_add_loop_test(tc, test_parse_error, 0, (int)TEST_NELEM(error_cases));
    suite_add_tcase(s, tc);

    tc = tcase_create("write");
    tcase_add_test(tc, test_dumps_layout);
    tcase_add_test(tc, test_dumps_key_order);
    tcase_add_loop_test(tc, test_round_trip, GMOE_GATE_SOFTMAX, GMOE_GATE_GAUSSIAN + 1);
    tcase_add_test(tc, test_gaussian_beta);
    tcase_add_test(tc, test_fit_nonfinite_as_null);
    tcase_add_test(tc, test_write_nonfinite);
    suite_add_tcase(s, tc);

    tc = tcase_create("files");
    tcase_add_test(tc, test_write_read_file);
    tcase_add_test(tc, test_file_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(io_suite());
}
