/* Real data sets with known softmax-gated GMoE maxima (tests/data/README.md): the best of 20
 * data-driven starts reaches the k = 2 reference log-likelihood, the best of 100 the k = 3
 * one. The files are read by a small local reader (the library's CSV reader is tested on
 * its own). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "testutil.h"

#ifndef GMOE_TEST_DATA
#define GMOE_TEST_DATA "tests/data"
#endif

typedef struct ref_set {
    const char *file;
    const char *y;
    const char *x[2];
    size_t d;
    double ll2, ll3; /* reference log-likelihoods, k = 2 and k = 3 */
} ref_set;

static const ref_set ref_sets[] = {
    {"tonedata.csv", "tuned", {"stretchratio", NULL}, 1, 142.8480, 239.5508},
    {"nodata.csv", "Equivalence", {"NO", NULL}, 1, 123.6206, 136.2305},
    {"faithful.csv", "waiting", {"eruptions", NULL}, 1, -851.3149, -847.0827},
    {"npreg.csv", "yn", {"x", "x2"}, 2, -640.3203, -632.0886},
};
#define NSETS (sizeof ref_sets / sizeof ref_sets[0])

/* Split line (modified in place) at commas into at most max fields; returns the count. */
static size_t split(char *line, char **field, size_t max)
{
    size_t nf = 0;
    line[strcspn(line, "\r\n")] = 0;
    for (char *p = line; nf < max;) {
        field[nf++] = p;
        char *c = strchr(p, ',');
        if (!c) break;
        *c = 0;
        p = c + 1;
    }
    return nf;
}

/* Read the columns of set s into a data set (owned by the caller). */
static gmoe_data *read_set(const ref_set *s)
{
    char path[1024], line[1024], *field[16];
    snprintf(path, sizeof path, "%s/%s", GMOE_TEST_DATA, s->file);
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "cannot open %s: %s", path, strerror(errno));
    ck_assert_msg(fgets(line, sizeof line, fp) != NULL, "%s: empty", path);
    size_t nf = split(line, field, 16), iy = nf, ix[2] = {nf, nf};
    for (size_t c = 0; c < nf; c++) {
        if (strcmp(field[c], s->y) == 0) iy = c;
        for (size_t t = 0; t < s->d; t++)
            if (strcmp(field[c], s->x[t]) == 0) ix[t] = c;
    }
    ck_assert_msg(iy < nf && ix[0] < nf && (s->d < 2 || ix[1] < nf), "%s: missing column", path);
    size_t cap = 1024, n = 0;
    double *rows = malloc(cap * 3 * sizeof(double));
    while (fgets(line, sizeof line, fp)) {
        if (line[0] == '\n' || line[0] == '\r' || line[0] == 0) continue;
        ck_assert_msg(split(line, field, 16) == nf, "%s:%zu: wrong field count", path, n + 2);
        ck_assert_uint_lt(n, cap);
        for (size_t c = 0; c <= s->d; c++) {
            const char *txt = field[c < s->d ? ix[c] : iy];
            char *end;
            double v = strtod(txt, &end);
            ck_assert_msg(end != txt && *end == 0 && isfinite(v), "%s:%zu: bad number \"%s\"", path,
                          n + 2, txt);
            rows[n * 3 + c] = v;
        }
        n++;
    }
    fclose(fp);
    gmoe_data *data = gmoe_data_alloc(n, s->d, 1);
    for (size_t i = 0; i < n; i++) {
        for (size_t t = 0; t < s->d; t++)
            data->x[t * n + i] = rows[i * 3 + t];
        data->y[i] = rows[i * 3 + s->d];
    }
    free(rows);
    return data;
}

static void check_reference(size_t si, size_t k, size_t starts)
{
    const ref_set *s = &ref_sets[si];
    gmoe_data *data = read_set(s);
    gmoe_model *templ = gmoe_model_alloc(k, s->d, GMOE_GATE_SOFTMAX);
    gmoe_fit_params par = gmoe_fit_default_params();
    par.init = GMOE_INIT_DATA;
    par.starts = starts;
    par.seed = 1;
    par.threads = 2;
    gmoe_model *best = NULL;
    gmoe_fit_result res;
    gmoe_error err;
    int rc = gmoe_fit(data, templ, &par, &best, &res, &err);
    ck_assert_msg(rc == GMOE_SUCCESS, "%s k=%zu: %s", s->file, k, err.msg);
    double ref = k == 2 ? s->ll2 : s->ll3, ll;
    ck_assert_int_eq(gmoe_model_loglik(best, data, &ll, &err), GMOE_SUCCESS);
    ck_assert_msg(fabs(ll - res.info.loglik) <= 1e-9 * fabs(ll),
                  "%s k=%zu: reported loglik %.10g, the model's %.10g", s->file, k, res.info.loglik,
                  ll);
    ck_assert_msg(ll >= ref - 1e-4,
                  "%s k=%zu: best of %zu starts %.6f (start %zu, status %s), reference %.4f",
                  s->file, k, starts, ll, res.best_start, gmoe_fit_status_name(res.info.status),
                  ref);
    gmoe_model_free(best);
    gmoe_model_free(templ);
    gmoe_data_free(data);
}

START_TEST(test_reference_k2)
{
    check_reference((size_t)_i, 2, 20);
}
END_TEST

START_TEST(test_reference_k3)
{
    check_reference((size_t)_i, 3, 100);
}
END_TEST

static Suite *reference_suite(void)
{
    Suite *s = suite_create("reference");
    TCase *tc = tcase_create("reference");
    tcase_set_timeout(tc, 60);
    tcase_add_loop_test(tc, test_reference_k2, 0, NSETS);
    tcase_add_loop_test(tc, test_reference_k3, 0, NSETS);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return test_run_suite(reference_suite());
}
