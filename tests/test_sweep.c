/* Sweep size lists (gmoe_sweep_parse_sizes): values, order, duplicates, limits. Expected
 * lists are written out by hand. The parts of a run (gmoe_sweep_out_*, gmoe_sweep_worker_run,
 * which the MPI driver uses): task order, rows, refused rows, resume. */
#define _GNU_SOURCE /* mkdtemp, getline */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
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
                 "bad size \"%s\" (expected N, A:B:M, lin:A:B:M or log:A:B:M, sizes >= 1)", bad[i]);
        ck_assert_int_eq(gmoe_sweep_parse_sizes(bad[i], &ns, &nn, &err), GMOE_EPARSE);
        ck_assert_str_eq(err.msg, want);
    }
    size_t *ns = NULL, nn = 0;
    gmoe_error err = {0};
    ck_assert_int_eq(gmoe_sweep_parse_sizes(" , ", &ns, &nn, &err), GMOE_EPARSE);
    ck_assert_str_eq(err.msg, "no sizes");
}
END_TEST

/* The lines of a file, each without its newline and with its 8th field (the seconds of a
 * results row) dropped, sorted; *n of them. */
static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char **lines_without_seconds(const char *path, size_t *n)
{
    FILE *fp = fopen(path, "r");
    ck_assert_msg(fp != NULL, "%s: cannot open", path);
    char **v = NULL, *line = NULL;
    size_t cap = 0;
    ssize_t len;
    *n = 0;
    while ((len = getline(&line, &cap, fp)) > 0) {
        line[strcspn(line, "\n")] = '\0';
        char *f = line;
        for (int j = 0; j < 7 && f; j++)
            f = strchr(f + (j > 0), ',');
        if (line[0] != '#' && f) { /* cut ",seconds" */
            char *e = strchr(f + 1, ',');
            memmove(f, e ? e : f + strlen(f), strlen(e ? e : f + strlen(f)) + 1);
        }
        v = realloc(v, (*n + 1) * sizeof *v);
        v[(*n)++] = strdup(line);
    }
    free(line);
    fclose(fp);
    qsort(v, *n, sizeof *v, cmp_str);
    return v;
}

START_TEST(test_parts)
{
    const char *base = getenv("TMPDIR");
    char dir[512], truth[600], conf[600], a[600], b[600];
    snprintf(dir, sizeof dir, "%s/gmoe-test-sweep-XXXXXX", base && *base ? base : "/tmp");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(truth, sizeof truth, "%s/truth.json", dir);
    snprintf(conf, sizeof conf, "%s/s.conf", dir);
    snprintf(a, sizeof a, "%s/parts.csv", dir);
    snprintf(b, sizeof b, "%s/run.csv", dir);
    gmoe_error err = {0};
    gmoe_model *m = test_softmax_truth();
    ck_assert_int_eq(gmoe_model_write(truth, m, NULL, &err), GMOE_SUCCESS);
    gmoe_model_free(m);
    FILE *fp = fopen(conf, "w");
    fputs("truth = truth.json\nk = 2\nn = 300, 646\nreps = 2\nmetrics = loss loglik\n", fp);
    fclose(fp);
    gmoe_sweep *sw;
    ck_assert_msg(gmoe_sweep_load(conf, &sw, &err) == GMOE_SUCCESS, "%s", err.msg);
    gmoe_sweep_options opt = gmoe_sweep_default_options();
    opt.output = a;

    /* Largest n first, then by rep; rows appended in any order. */
    gmoe_sweep_out *out;
    ck_assert_msg(gmoe_sweep_out_open(sw, &opt, &out, &err) == GMOE_SUCCESS, "%s", err.msg);
    const gmoe_sweep_task *t;
    ck_assert_uint_eq(gmoe_sweep_out_tasks(out, &t), 4);
    const size_t want[4][2] = {{646, 1}, {646, 2}, {300, 1}, {300, 2}};
    for (size_t i = 0; i < 4; i++)
        ck_assert_msg(t[i].n == want[i][0] && t[i].rep == want[i][1], "task %zu: (%zu, %zu)", i,
                      t[i].n, t[i].rep);
    gmoe_sweep_worker *w = gmoe_sweep_worker_alloc(sw);
    ck_assert_ptr_nonnull(w);
    for (size_t i = 4; i-- > 0;) {
        const char *row = gmoe_sweep_worker_run(w, t[i]);
        ck_assert_ptr_nonnull(row);
        ck_assert_int_eq(gmoe_sweep_out_append(out, row, &err), GMOE_SUCCESS);
    }
    gmoe_sweep_worker_free(w);
    ck_assert_int_eq(gmoe_sweep_out_append(out, "300,1,x\n300,2,y\n", &err), GMOE_EINVAL);
    ck_assert_int_eq(gmoe_sweep_out_append(out, "300,1,x", &err), GMOE_EINVAL);
    gmoe_sweep_summary sum;
    ck_assert_int_eq(gmoe_sweep_out_close(out, &sum, &err), GMOE_SUCCESS);
    ck_assert(sum.tasks == 4 && sum.skipped == 0 && sum.done == 4 && sum.failed == 0);

    /* The header is the signature after the title line. */
    char *sig;
    ck_assert_int_eq(gmoe_sweep_signature(sw, &sig, &err), GMOE_SUCCESS);
    fp = fopen(a, "r");
    char head[8192];
    size_t got = fread(head, 1, sizeof head - 1, fp);
    fclose(fp);
    head[got] = '\0';
    const char *after = strchr(head, '\n') + 1;
    ck_assert_msg(!strncmp(after, sig, strlen(sig)), "header:\n%s\nsignature:\n%s", head, sig);
    free(sig);

    /* gmoe_sweep_run writes the same lines apart from the seconds and the order. */
    opt.output = b;
    opt.threads = 2;
    ck_assert_msg(gmoe_sweep_run(sw, &opt, NULL, NULL, &sum, &err) == GMOE_SUCCESS, "%s", err.msg);
    size_t na, nb;
    char **la = lines_without_seconds(a, &na), **lb = lines_without_seconds(b, &nb);
    ck_assert_uint_eq(na, nb);
    for (size_t i = 0; i < na; i++) {
        ck_assert_str_eq(la[i], lb[i]);
        free(la[i]);
        free(lb[i]);
    }
    free(la);
    free(lb);

    /* A complete file leaves nothing to do. */
    opt.output = a;
    ck_assert_int_eq(gmoe_sweep_out_open(sw, &opt, &out, &err), GMOE_SUCCESS);
    ck_assert_uint_eq(gmoe_sweep_out_tasks(out, &t), 0);
    ck_assert_int_eq(gmoe_sweep_out_close(out, &sum, &err), GMOE_SUCCESS);
    ck_assert(sum.tasks == 4 && sum.skipped == 4 && sum.done == 0);
    gmoe_sweep_free(sw);
    remove(truth), remove(conf), remove(a), remove(b);
    rmdir(dir);
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
    tc = tcase_create("parts");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_parts);
    suite_add_tcase(s, tc);
    return test_run_suite(s);
}
