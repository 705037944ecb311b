/* The column names of a model file (gmoe_model_names: "response", "covariates", "factors"):
 * a write -> read round trip gives back every string, a file without them reads as no names,
 * the data columns are derived from the covariates and factors as worked out by hand, and
 * every error of the reader and the writer has its exact message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "testutil.h"

/* A model of d = 4 (x, g=b, g=c, u) fitted on columns x, g (levels a, b, c) and u. */
#define MODEL_HEAD                                                                                 \
    "{'gmoe_model': 1, 'gate': 'softmax', 'experts': [{'beta0': 0, 'beta1': [1, 2, 3, 4], "        \
    "'a': [1, 2, 3, 4], 'b': 0, 'var': 1}]"

static gmoe_model_names *example_names(void)
{
    const char *cov[] = {"x", "g=b", "g=c", "u"};
    char *lv[] = {"a", "b", "c"};
    gmoe_csv_factor f = {"g", lv, 3};
    gmoe_model_names *nm = gmoe_model_names_alloc("resp", cov, 4, &f, 1);
    ck_assert_ptr_nonnull(nm);
    return nm;
}

START_TEST(test_round_trip)
{
    char *text = test_json(MODEL_HEAD "}");
    gmoe_model *m;
    gmoe_model_names *nm = example_names(), *back = NULL;
    gmoe_error err;
    ck_assert_int_eq(gmoe_model_parse_names(text, "t", &m, NULL, NULL, &back, &err), 0);
    ck_assert_ptr_null(back); /* a file without the keys has no names */
    char *out;
    ck_assert_int_eq(gmoe_model_dumps_names(m, NULL, nm, &out, &err), 0);
    gmoe_model *m2;
    ck_assert_msg(gmoe_model_parse_names(out, "t", &m2, NULL, NULL, &back, &err) == 0, "%s",
                  err.msg);
    ck_assert_ptr_nonnull(back);
    ck_assert_str_eq(back->response, "resp");
    ck_assert_uint_eq(back->d, 4);
    for (size_t t = 0; t < 4; t++)
        ck_assert_str_eq(back->covariates[t], nm->covariates[t]);
    ck_assert_uint_eq(back->nfactors, 1);
    ck_assert_str_eq(back->factors[0].column, "g");
    ck_assert_uint_eq(back->factors[0].nlevels, 3);
    for (size_t i = 0; i < 3; i++)
        ck_assert_str_eq(back->factors[0].levels[i], nm->factors[0].levels[i]);
    /* the keys come after the experts, before the fit object */
    char *e = strstr(out, "\"experts\""), *c = strstr(out, "\"covariates\"");
    ck_assert_ptr_nonnull(e);
    ck_assert_ptr_nonnull(c);
    ck_assert(e < c);
    /* plain readers still read the file */
    gmoe_model *m3;
    ck_assert_int_eq(gmoe_model_parse(out, "t", &m3, NULL, NULL, &err), 0);
    gmoe_model_free(m3);
    /* names NULL writes what gmoe_model_dumps writes */
    char *plain, *plain2;
    ck_assert_int_eq(gmoe_model_dumps_names(m, NULL, NULL, &plain, &err), 0);
    ck_assert_int_eq(gmoe_model_dumps(m, NULL, &plain2, &err), 0);
    ck_assert_str_eq(plain, plain2);
    free(plain);
    free(plain2);
    free(out);
    free(text);
    gmoe_model_names_free(nm);
    gmoe_model_names_free(back);
    gmoe_model_free(m);
    gmoe_model_free(m2);
}
END_TEST

/* The data columns of covariates and factors, against lists written out by hand. */
START_TEST(test_columns)
{
    gmoe_model_names *nm = example_names();
    const char **cols;
    size_t n;
    gmoe_error err;
    ck_assert_int_eq(gmoe_model_names_columns(nm, &cols, &n, &err), 0);
    const char *want[] = {"x", "g", "u"};
    ck_assert_uint_eq(n, 3);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(cols[i], want[i]);
    free(cols);
    gmoe_model_names_free(nm);

    /* two factors side by side, one whose column name holds '=', no numeric covariate */
    const char *cov[] = {"h=1=q", "h=1=r", "g=b"};
    char *lh[] = {"p", "q", "r"}, *lg[] = {"a", "b"};
    gmoe_csv_factor f[] = {{"g", lg, 2}, {"h=1", lh, 3}};
    nm = gmoe_model_names_alloc(NULL, cov, 3, f, 2);
    ck_assert_int_eq(gmoe_model_names_columns(nm, &cols, &n, &err), 0);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(cols[0], "h=1");
    ck_assert_str_eq(cols[1], "g");
    free(cols);
    gmoe_model_names_free(nm);

    /* no factor: the covariates themselves */
    nm = gmoe_model_names_alloc("y", cov, 3, NULL, 0);
    ck_assert_int_eq(gmoe_model_names_columns(nm, &cols, &n, &err), 0);
    ck_assert_uint_eq(n, 3);
    for (size_t i = 0; i < n; i++)
        ck_assert_str_eq(cols[i], cov[i]);
    free(cols);
    gmoe_model_names_free(nm);
}
END_TEST

static const struct {
    const char *tail; /* after the experts */
    const char *msg;  /* after "t: " */
} read_errors[] = {
    {", 'response': 3}", "response: expected a string (got a number)"},
    {", 'covariates': ['x']}", "covariates: expected an array of 4 strings (got an array of "
                               "another length)"},
    {", 'covariates': 'x'}", "covariates: expected an array of 4 strings (got a string)"},
    {", 'covariates': ['x', 'g=b', 'g=c', 1]}", "covariates[3]: expected a string (got a number)"},
    {", 'factors': []}", "factors: needs covariates, the names they code"},
    {", 'covariates': ['x', 'g=b', 'g=c', 'u'], 'factors': {}}",
     "factors: expected an array of objects (got an object)"},
    {", 'covariates': ['x', 'g=b', 'g=c', 'u'], 'factors': [3]}",
     "factors[0]: expected an object (got a number)"},
    {", 'covariates': ['x', 'g=b', 'g=c', 'u'], 'factors': [{'column': 'g'}]}",
     "factors[0].levels: missing"},
    {", 'covariates': ['x', 'g=b', 'g=c', 'u'], 'factors': [{'levels': ['a', 'b']}]}",
     "factors[0].column: missing"},
    {", 'covariates': ['x', 'g=b', 'g=c', 'u'], 'factors': [{'column': 'g', 'levels': ['a', "
     "'b', 'c'], 'level': 1}]}",
     "factors[0].level: unknown key"},
    {", 'covariates': ['x', 'g=b', 'g=c', 'u'], 'factors': [{'column': 'g', 'levels': ['a']}]}",
     "factors[0].levels: needs at least 2 levels"},
    {", 'covariates': ['x', 'g=b', 'g=c', 'u'], 'factors': [{'column': 'g', 'levels': ['a', "
     "'c', 'b']}]}",
     "factors[0].levels: \"b\" after \"c\": levels must be distinct, in bytewise order"},
    {", 'covariates': ['x', 'g=b', 'g=c', 'u'], 'factors': [{'column': 'g', 'levels': ['a', "
     "'b', 'b']}]}",
     "factors[0].levels: \"b\" after \"b\": levels must be distinct, in bytewise order"},
    {", 'covariates': ['x', 'g=c', 'g=b', 'u'], 'factors': [{'column': 'g', 'levels': ['a', "
     "'b', 'c']}]}",
     "factors[0]: the covariates lack its indicator columns g=b..g=c, in level order"},
    {", 'covariates': ['x', 'g=b', 'g=c', 'u'], 'factors': [{'column': 'g', 'levels': ['a', "
     "'b', 'c']}, {'column': 'g', 'levels': ['a', 'b']}]}",
     "factors[1].column: \"g\" comes twice"},
    {", 'covariates': ['g', 'g=b', 'g=c', 'u'], 'factors': [{'column': 'g', 'levels': ['a', "
     "'b', 'c']}]}",
     "covariates: column \"g\" comes twice"},
    {", 'covariates': ['x', 'g=b', 'g=c', 'u'], 'factor': []}", "factor: unknown key"},
    {", 'covariates': ['g=b', 'g=b', 'g=c', 'u'], 'factors': [{'column': 'g', 'levels': ['a', "
     "'b', 'c']}]}",
     "covariates[0]: \"g=b\" is named like an indicator column of factor \"g\""},
};

START_TEST(test_read_error)
{
    char text[1024], want[512];
    snprintf(text, sizeof text, "%s%s", MODEL_HEAD, read_errors[_i].tail);
    char *t = test_json(text);
    gmoe_model *m = NULL;
    gmoe_model_names *nm = NULL;
    gmoe_error err;
    ck_assert_int_eq(gmoe_model_parse_names(t, "t", &m, NULL, NULL, &nm, &err), GMOE_EPARSE);
    snprintf(want, sizeof want, "t: %s", read_errors[_i].msg);
    ck_assert_str_eq(err.msg, want);
    ck_assert_ptr_null(m);
    ck_assert_ptr_null(nm);
    /* the plain reader checks the keys too: a file is valid or not whoever reads it */
    ck_assert_int_eq(gmoe_model_parse(t, "t", &m, NULL, NULL, &err), GMOE_EPARSE);
    ck_assert_str_eq(err.msg, want);
    gmoe_model_free(m);
    free(t);
}
END_TEST

START_TEST(test_write_errors)
{
    char *text = test_json(MODEL_HEAD "}");
    gmoe_model *m;
    gmoe_error err;
    ck_assert_int_eq(gmoe_model_parse(text, "t", &m, NULL, NULL, &err), 0);
    char *out = NULL;
    const char *three[] = {"x", "g=b", "u"};
    gmoe_model_names *nm = gmoe_model_names_alloc(NULL, three, 3, NULL, 0);
    ck_assert_int_eq(gmoe_model_dumps_names(m, NULL, nm, &out, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "covariates: 3 names for a model of d = 4 covariates");
    ck_assert_ptr_null(out);
    gmoe_model_names_free(nm);

    const char *latin1[] = {"x", "caf\xe9", "g", "u"};
    nm = gmoe_model_names_alloc(NULL, latin1, 4, NULL, 0);
    ck_assert_int_eq(gmoe_model_dumps_names(m, NULL, nm, &out, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg, "covariates[1]: not valid UTF-8 (a JSON file holds UTF-8 text)");
    gmoe_model_names_free(nm);

    const char *cov[] = {"x", "g=b", "g=c", "u"};
    char *unsorted[] = {"a", "c", "b"}, *other[] = {"a", "b", "d"};
    gmoe_csv_factor f = {"g", unsorted, 3};
    nm = gmoe_model_names_alloc(NULL, cov, 4, &f, 1);
    ck_assert_int_eq(gmoe_model_dumps_names(m, NULL, nm, &out, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg,
                     "factors[0].levels: levels must be at least 2, distinct, in bytewise order");
    gmoe_model_names_free(nm);
    f.levels = other;
    nm = gmoe_model_names_alloc(NULL, cov, 4, &f, 1);
    ck_assert_int_eq(gmoe_model_dumps_names(m, NULL, nm, &out, &err), GMOE_EINVAL);
    ck_assert_str_eq(err.msg,
                     "factors[0]: the covariates lack its indicator columns g=b..g=d, in level "
                     "order");
    gmoe_model_names_free(nm);
    free(text);
    gmoe_model_free(m);
}
END_TEST

/* The same through files: gmoe_model_write_names, gmoe_model_read_names. */
START_TEST(test_files)
{
    char *text = test_json(MODEL_HEAD "}");
    gmoe_model *m, *m2;
    gmoe_error err;
    ck_assert_int_eq(gmoe_model_parse(text, "t", &m, NULL, NULL, &err), 0);
    const char *base = getenv("TMPDIR");
    char path[512];
    snprintf(path, sizeof path, "%s/gmoe-test-names-%ld.json", base && *base ? base : "/tmp",
             (long)getpid());
    gmoe_model_names *nm = example_names(), *back;
    ck_assert_int_eq(gmoe_model_write_names(path, m, NULL, nm, &err), 0);
    ck_assert_int_eq(gmoe_model_read_names(path, &m2, NULL, NULL, &back, &err), 0);
    ck_assert_str_eq(back->covariates[1], "g=b");
    ck_assert_str_eq(back->factors[0].levels[0], "a");
    gmoe_model_names_free(back);
    gmoe_model_free(m2);
    unlink(path);
    ck_assert_int_eq(gmoe_model_read_names(path, &m2, NULL, NULL, &back, &err), GMOE_EIO);
    ck_assert_ptr_null(back);
    gmoe_model_names_free(nm);
    free(text);
    gmoe_model_free(m);
}
END_TEST

static Suite *names_suite(void)
{
    Suite *s = suite_create("modelnames");
    TCase *tc = tcase_create("names");
    tcase_add_test(tc, test_round_trip);
    tcase_add_test(tc, test_columns);
    tcase_add_loop_test(tc, test_read_error, 0, (int)TEST_NELEM(read_errors));
    tcase_add_test(tc, test_write_errors);
    tcase_add_test(tc, test_files);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(names_suite());
}
