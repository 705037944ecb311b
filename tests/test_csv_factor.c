/* Categorical covariates in CSV files (gmoe_csv_spec.factors): the levels, their order, the
 * dropped reference level, the names "col=level" and the indicator values, checked against a
 * brute-force coding written here (levels found by a linear scan and sorted with strcmp);
 * and every error message. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <gsl/gsl_rng.h>
#include "testutil.h"

/* A temporary file holding text; the caller unlinks and frees the path. */
static char *write_tmp(const char *text)
{
    const char *base = getenv("TMPDIR");
    char *path = malloc(512);
    snprintf(path, 512, "%s/gmoe-test-factor-XXXXXX", base && *base ? base : "/tmp");
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    FILE *fp = fdopen(fd, "w");
    ck_assert_ptr_nonnull(fp);
    fputs(text, fp);
    ck_assert_int_eq(fclose(fp), 0);
    return path;
}

typedef struct {
    gmoe_data *data;
    char **names;
    int rc;
    gmoe_error err;
    char path[512];
} read_out;

static read_out read_text(const char *text, const gmoe_csv_spec *spec)
{
    read_out o = {0};
    char *path = write_tmp(text);
    snprintf(o.path, sizeof o.path, "%s", path);
    o.rc = gmoe_csv_read_names(path, spec, &o.data, &o.names, &o.err);
    unlink(path);
    free(path);
    return o;
}

static void read_out_free(read_out *o)
{
    gmoe_data_free(o->data);
    free(o->names);
}

/* The read must fail with code and the message "<path>" + suffix, leaving nothing. */
static void fails(const char *text, const gmoe_csv_spec *spec, int code, const char *suffix)
{
    read_out o = read_text(text, spec);
    char want[1024];
    snprintf(want, sizeof want, "%s%s", o.path, suffix);
    ck_assert_int_eq(o.rc, code);
    ck_assert_ptr_null(o.data);
    ck_assert_ptr_null(o.names);
    ck_assert_str_eq(o.err.msg, want);
}

START_TEST(test_small_by_hand)
{
    /* levels b, a, c, then a again: sorted a < b < c, a dropped, columns g=b then g=c. */
    const char *xs[] = {"u", "g", "v"}, *fs[] = {"g"};
    gmoe_csv_spec spec = {.x = xs, .nx = 3, .factors = fs, .nfactors = 1};
    read_out o = read_text("u,g,v,y\n1,b,10,0\n2,a,20,0\n3,c,30,0\n4,a,40,1\n", &spec);
    ck_assert_msg(o.rc == 0, "%s", o.err.msg);
    ck_assert_uint_eq(o.data->n, 4);
    ck_assert_uint_eq(o.data->d, 4);
    const char *want_names[] = {"u", "g=b", "g=c", "v", "y"};
    for (size_t t = 0; t < 5; t++)
        ck_assert_str_eq(o.names[t], want_names[t]);
    const double want[] = {1, 2, 3, 4, /* g=b */ 1, 0, 0, 0, /* g=c */ 0, 0, 1, 0, 10, 20, 30, 40};
    for (size_t i = 0; i < 16; i++)
        ck_assert_double_eq(o.data->x[i], want[i]);
    ck_assert_double_eq(o.data->y[3], 1);
    read_out_free(&o);
}
END_TEST

START_TEST(test_bytewise_order)
{
    /* Bytewise: "B" < "a" < "a b" < "ab" < "\xc3\xa9"; a prefix sorts first; quoted fields
     * are levels by their unquoted text, so "a" and a are one level. */
    const char *fs[] = {"g"};
    gmoe_csv_spec spec = {.factors = fs, .nfactors = 1};
    read_out o = read_text("g,y\nab,1\n\"a\",2\n\xc3\xa9,3\na b,4\nB,5\na,6\n", &spec);
    ck_assert_msg(o.rc == 0, "%s", o.err.msg);
    ck_assert_uint_eq(o.data->d, 4); /* B is the reference */
    const char *want_names[] = {"g=a", "g=a b", "g=ab", "g=\xc3\xa9", "y"};
    for (size_t t = 0; t < 5; t++)
        ck_assert_str_eq(o.names[t], want_names[t]);
    /* row i has level: ab, a, é, a b, B, a -> column (0-based) 2, 0, 3, 1, none, 0 */
    const int col_of_row[] = {2, 0, 3, 1, -1, 0};
    for (size_t i = 0; i < 6; i++)
        for (size_t c = 0; c < 4; c++)
            ck_assert_double_eq(o.data->x[c * 6 + i], (int)c == col_of_row[i] ? 1 : 0);
    read_out_free(&o);
}
END_TEST

/* Brute force: the distinct texts by linear scan, sorted by strcmp (bytewise, as unsigned
 * chars), indicator of level k (k >= 1) in column k - 1. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

START_TEST(test_random_against_brute_force)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 16);
    for (int rep = 0; rep < 30; rep++) {
        size_t n = 1 + gsl_rng_uniform_int(rng, 300), nlev = 2 + gsl_rng_uniform_int(rng, 40);
        /* two factors around a numeric column: levels are random short words */
        char pool[2][64][8];
        for (int g = 0; g < 2; g++)
            for (size_t l = 0; l < nlev; l++) {
                size_t len = 1 + gsl_rng_uniform_int(rng, 4);
                for (size_t c = 0; c < len; c++)
                    pool[g][l][c] = (char)('a' + gsl_rng_uniform_int(rng, 4));
                pool[g][l][len] = '\0';
            }
        size_t cap = 64 + n * 40;
        char *text = malloc(cap), *lev[2][300];
        double num[300];
        size_t len = (size_t)snprintf(text, cap, "f,x,h,y\n");
        for (size_t i = 0; i < n; i++) {
            lev[0][i] = pool[0][gsl_rng_uniform_int(rng, nlev)];
            lev[1][i] = pool[1][gsl_rng_uniform_int(rng, nlev)];
            num[i] = (double)gsl_rng_uniform_int(rng, 1000) / 8;
            len += (size_t)snprintf(text + len, cap - len, "%s,%.17g,%s,0\n", lev[0][i], num[i],
                                    lev[1][i]);
        }
        const char *fs[] = {"h", "f"};
        gmoe_csv_spec spec = {.factors = fs, .nfactors = 2};
        read_out o = read_text(text, &spec);
        free(text);
        /* expected levels per factor */
        char *lv[2][300];
        size_t nl[2] = {0, 0};
        for (int g = 0; g < 2; g++) {
            for (size_t i = 0; i < n; i++) {
                size_t k = 0;
                while (k < nl[g] && strcmp(lv[g][k], lev[g][i]) != 0)
                    k++;
                if (k == nl[g]) lv[g][nl[g]++] = lev[g][i];
            }
            qsort(lv[g], nl[g], sizeof(char *), cmp_str);
        }
        if (nl[0] < 2 || nl[1] < 2) {
            ck_assert_int_eq(o.rc, GMOE_EPARSE); /* a single level is an error */
            ck_assert_ptr_nonnull(strstr(o.err.msg, "has a single level"));
            continue;
        }
        ck_assert_msg(o.rc == 0, "%s", o.err.msg);
        ck_assert_uint_eq(o.data->d, nl[0] - 1 + 1 + nl[1] - 1);
        size_t c = 0;
        for (int part = 0; part < 3; part++) {
            if (part == 1) {
                ck_assert_str_eq(o.names[c], "x");
                for (size_t i = 0; i < n; i++)
                    ck_assert_double_eq(o.data->x[c * n + i], num[i]);
                c++;
                continue;
            }
            int g = part == 0 ? 0 : 1;
            const char *col = g == 0 ? "f" : "h";
            for (size_t k = 1; k < nl[g]; k++, c++) {
                char want[32];
                snprintf(want, sizeof want, "%s=%s", col, lv[g][k]);
                ck_assert_str_eq(o.names[c], want);
                for (size_t i = 0; i < n; i++)
                    ck_assert_double_eq(o.data->x[c * n + i], strcmp(lev[g][i], lv[g][k]) == 0);
            }
        }
        ck_assert_str_eq(o.names[c], "y");
        read_out_free(&o);
    }
    gsl_rng_free(rng);
}
END_TEST

START_TEST(test_many_levels)
{
    /* 5000 distinct levels: the hash table grows; level "L<i>" sorts as strcmp says. */
    size_t n = 5000, cap = 32 * n;
    char *text = malloc(cap);
    size_t len = (size_t)snprintf(text, cap, "g,y\n");
    for (size_t i = 0; i < n; i++)
        len += (size_t)snprintf(text + len, cap - len, "L%zu,%zu\n", (i * 7919) % n, i);
    const char *fs[] = {"g"};
    gmoe_csv_spec spec = {.factors = fs, .nfactors = 1};
    read_out o = read_text(text, &spec);
    free(text);
    ck_assert_msg(o.rc == 0, "%s", o.err.msg);
    ck_assert_uint_eq(o.data->d, n - 1);
    for (size_t c = 0; c + 1 < n - 1; c++)
        ck_assert_int_lt(strcmp(o.names[c], o.names[c + 1]), 0);
    ck_assert_str_eq(o.names[0], "g=L1"); /* "L0" is the reference */
    /* row i, of level L<m>, has its 1 in column "g=L<m>" alone; L0's row has none. Plain
     * loops and one assertion: a Check assertion per value would dominate the time. */
    size_t wrong = 0;
    for (size_t c = 0; c < n - 1; c++) {
        size_t m = (size_t)strtoul(o.names[c] + 3, NULL, 10);
        for (size_t i = 0; i < n; i++)
            wrong += o.data->x[c * n + i] != ((i * 7919) % n == m);
    }
    ck_assert_uint_eq(wrong, 0);
    read_out_free(&o);
}
END_TEST

START_TEST(test_errors)
{
    const char *fs[] = {"g"}, *xs[] = {"u"}, *twice[] = {"g", "g"}, *ys[] = {"y"};
    gmoe_csv_spec spec = {.factors = fs, .nfactors = 1};
    fails("g,y\na,1\na,2\n", &spec, GMOE_EPARSE, ": factor column \"g\" has a single level \"a\"");
    fails("g,y\na,1\n,2\n", &spec, GMOE_EPARSE, ":3: column \"g\" (field 1): empty field");
    fails("h,y\na,1\n", &spec, GMOE_EPARSE, ":1: no column named \"g\"");
    gmoe_csv_spec notx = {.x = xs, .nx = 1, .factors = fs, .nfactors = 1};
    fails("u,g,y\n1,a,1\n", &notx, GMOE_EINVAL,
          ": factor column \"g\" is not a selected covariate");
    gmoe_csv_spec isy = {.factors = ys, .nfactors = 1};
    fails("u,y\n1,a\n", &isy, GMOE_EINVAL, ": factor column \"y\" is not a selected covariate");
    gmoe_csv_spec dup = {.factors = twice, .nfactors = 2};
    fails("g,y\na,1\n", &dup, GMOE_EINVAL, ": column \"g\" named twice as a factor");
    /* without the factor: the hint names the option and the column */
    gmoe_csv_spec hint = {.factor_option = "--factor"};
    fails("u,g,y\n1,a,1\n", &hint, GMOE_EPARSE,
          ":2: column \"g\" (field 2): not a number: \"a\" (categorical? use --factor g)");
    fails("u,my g,y\n1,a,1\n", &hint, GMOE_EPARSE,
          ":2: column \"my g\" (field 2): not a number: \"a\" (categorical? use --factor \"my "
          "g\")");
    /* no hint for the response, nor without factor_option */
    fails("u,y\n1,a\n", &hint, GMOE_EPARSE, ":2: column \"y\" (field 2): not a number: \"a\"");
    fails("u,y\na,1\n", NULL, GMOE_EPARSE, ":2: column \"u\" (field 1): not a number: \"a\"");
}
END_TEST

/* gmoe_csv_read_coded: the levels come back sorted bytewise, in spec's order of factors. */
START_TEST(test_levels_out)
{
    const char *fs[] = {"h", "g"};
    gmoe_csv_spec spec = {.factors = fs, .nfactors = 2};
    char *path = write_tmp("g,h,y\nzz,q,1\nab,p,2\nz,q,3\nab,r,4\n");
    gmoe_data *data;
    char **names;
    gmoe_csv_factor *f;
    gmoe_error err;
    int rc = gmoe_csv_read_coded(path, &spec, &data, &names, &f, &err);
    unlink(path);
    free(path);
    ck_assert_msg(rc == 0, "%s", err.msg);
    ck_assert_str_eq(f[0].column, "h");
    ck_assert_uint_eq(f[0].nlevels, 3);
    const char *h[] = {"p", "q", "r"}, *g[] = {"ab", "z", "zz"};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_str_eq(f[0].levels[i], h[i]);
        ck_assert_str_eq(f[1].levels[i], g[i]);
    }
    ck_assert_str_eq(f[1].column, "g");
    gmoe_csv_factors_free(f, 2);
    gmoe_data_free(data);
    free(names);
}
END_TEST

/* Coding by given levels (spec.levels), as predict codes new data by a model's levels: the
 * indicator columns are those of the given levels, all of them, whatever the file holds;
 * checked against the 0/1 values written out by hand. */
START_TEST(test_given_levels)
{
    char *lv[] = {"a", "b", "c", "d"};
    gmoe_csv_factor given = {"g", lv, 4};
    const char *fs[] = {"g"}, *xs[] = {"g", "u"};
    gmoe_csv_spec spec = {.x = xs, .nx = 2, .factors = fs, .nfactors = 1, .levels = &given};
    /* only c and a (the reference) appear */
    read_out o = read_text("u,g,y\n1,c,0\n2,a,0\n3,c,1\n", &spec);
    ck_assert_msg(o.rc == 0, "%s", o.err.msg);
    ck_assert_uint_eq(o.data->d, 4);
    const char *want_names[] = {"g=b", "g=c", "g=d", "u", "y"};
    for (size_t t = 0; t < 5; t++)
        ck_assert_str_eq(o.names[t], want_names[t]);
    const double want[] = {0, 0, 0, /* g=c */ 1, 0, 1, /* g=d */ 0, 0, 0, 1, 2, 3};
    for (size_t i = 0; i < 12; i++)
        ck_assert_double_eq(o.data->x[i], want[i]);
    read_out_free(&o);
    /* a single level in the file is no error here */
    read_out one = read_text("u,g,y\n1,c,0\n", &spec);
    ck_assert_msg(one.rc == 0, "%s", one.err.msg);
    read_out_free(&one);

    fails("u,g,y\n1,c,0\n2,e,1\n", &spec, GMOE_EPARSE,
          ":3: column \"g\" (field 2): unknown level \"e\" (known levels: \"a\", \"b\", \"c\", "
          "\"d\")");
    /* the levels to code by must be as a reader would make them */
    char *unsorted[] = {"b", "a"}, *single[] = {"a"}, *twice[] = {"a", "a"};
    gmoe_csv_factor bad[] = {{"g", unsorted, 2}, {"g", single, 1}, {"g", twice, 2}};
    for (size_t i = 0; i < 3; i++) {
        spec.levels = &bad[i];
        fails("u,g,y\n1,a,0\n", &spec, GMOE_EINVAL,
              ": factor column \"g\": the levels to code by must be at least two distinct texts "
              "in bytewise order");
    }
}
END_TEST

/* Many known levels: the message lists as many as fit and stays one line. */
START_TEST(test_unknown_level_long_list)
{
    char *lv[200], buf[200][16];
    for (int i = 0; i < 200; i++) {
        snprintf(buf[i], sizeof buf[i], "level%03d", i);
        lv[i] = buf[i];
    }
    gmoe_csv_factor given = {"g", lv, 200};
    const char *fs[] = {"g"};
    gmoe_csv_spec spec = {.factors = fs, .nfactors = 1, .levels = &given};
    read_out o = read_text("g,y\nlevel007,1\nother,2\n", &spec);
    ck_assert_int_eq(o.rc, GMOE_EPARSE);
    ck_assert_ptr_nonnull(
        strstr(o.err.msg, "unknown level \"other\" (known levels: \"level000\", \"level001\""));
    ck_assert_ptr_nonnull(strstr(o.err.msg, ", ...)"));
    ck_assert_ptr_null(strchr(o.err.msg, '\n'));
    read_out_free(&o);
}
END_TEST

static Suite *factor_suite(void)
{
    Suite *s = suite_create("csv_factor");
    TCase *tc = tcase_create("coding");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_small_by_hand);
    tcase_add_test(tc, test_bytewise_order);
    tcase_add_test(tc, test_random_against_brute_force);
    tcase_add_test(tc, test_many_levels);
    tcase_add_test(tc, test_errors);
    tcase_add_test(tc, test_levels_out);
    tcase_add_test(tc, test_given_levels);
    tcase_add_test(tc, test_unknown_level_long_list);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(factor_suite());
}
