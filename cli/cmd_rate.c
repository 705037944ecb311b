/* gmoe rate: empirical convergence rates from the results file of a sweep. */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "common.h"
#include "commands.h"
#include "rate_accuracy.h"

static void usage(FILE *fp)
{
    fputs("Usage: gmoe rate [--metric M[,M...]] [--trim N] [--bootstrap B] [--seed S]\n"
          "                 [--pool-from N] [--json] RESULTS.csv\n"
          "\n"
          "Estimate the convergence rate of each metric of a sweep's results file: the\n"
          "least-squares slope of log(mean over replicates) on log(n), with a bootstrap\n"
          "interval (replicates resampled within each n), the OLS standard error, the slope of\n"
          "log(median), and the slopes with the smallest sizes dropped (25 % and 50 % of them,\n"
          "and N with --trim). Rows whose value is empty or nan are skipped; sizes whose mean\n"
          "is <= 0 are dropped.\n"
          "\n"
          "The columns of the sweep metric select (k_dsc, k_aic, k_bic, k_icl, ...) hold a\n"
          "chosen number of experts: for them, the share of replicates that chose the true k\n"
          "(the file's \"# truth-k:\" line) at each n, with a Clopper-Pearson interval, and\n"
          "pooled over the sizes from --pool-from on. The columns of the sweep metric coverage\n"
          "(cover_*) likewise: the share of replicates whose 95 % interval covered the true\n"
          "value, against the nominal 0.95.\n"
          "\n"
          "Options:\n"
          "      --metric M,...   metrics to report (default: every metric column)\n"
          "      --trim N         also report the slope without the N smallest sizes\n"
          "      --bootstrap B    bootstrap resamples (default 1000; 0: no bootstrap interval)\n"
          "      --seed S         seed of the bootstrap, 1..4294967295 (default 1)\n"
          "      --pool-from N    select columns: pool the sizes >= N (default: all)\n"
          "      --json           print one JSON object with a member per metric\n" CLI_HELP_HELP
          "\n"
          "Intervals are 95 %. The same file and seed give the same output on every run.\n"
          "\n"
          "Example:\n"
          "  gmoe rate softmax-exact-k2.csv --metric loss,hellinger --trim 5\n",
          fp);
}

enum { OPT_METRIC = CLI_OPT_FIRST_LOCAL, OPT_TRIM, OPT_BOOTSTRAP, OPT_POOL_FROM };

typedef struct metric {
    const char *name;
    double theory; /* NaN when the header gives none */
    gmoe_rate_result res;
    char error[GMOE_ERRMSG_MAX]; /* why there is no estimate, or "" */
    int zero;                    /* every value is 0: reported, without a warning */
    int accuracy;                /* a select column: rate_accuracy.h, no slope */
} metric;

/* A count that may be 0 (cli_parse_count wants >= 1): decimal digits only. */
static int parse_count0(const char *opt, const char *arg, size_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(arg, &end, 10);
    if (!isdigit((unsigned char)arg[0]) || *end != '\0' || errno == ERANGE || v > SIZE_MAX)
        return cli_usage_error("%s must be an integer >= 0 (got \"%s\")", opt, arg);
    *out = (size_t)v;
    return 0;
}

/* The metric columns to report: those named by --metric, or all of them. */
static int select_metrics(const gmoe_results *r, const char *path, char **names, size_t nnames,
                          metric **out, size_t *count)
{
    size_t nc = gmoe_results_ncols(r), m = 0;
    metric *ms = calloc(nnames ? nnames : nc, sizeof *ms);
    if (!ms) {
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    *out = ms;
    for (size_t i = 0; i < nnames; i++) {
        size_t j;
        if (!gmoe_results_find(r, names[i], &j)) {
            cli_error("%s: no metric named \"%s\"", path, names[i]);
            return CLI_EXIT_ERROR;
        }
        if (!gmoe_results_is_metric(r, j)) {
            cli_error("%s: column \"%s\" is bookkeeping, not a metric", path, names[i]);
            return CLI_EXIT_ERROR;
        }
        ms[m++].name = gmoe_results_colname(r, j);
    }
    for (size_t j = 0; nnames == 0 && j < nc; j++)
        if (gmoe_results_is_metric(r, j)) ms[m++].name = gmoe_results_colname(r, j);
    if (m == 0) {
        cli_error("%s: no metric columns (only bookkeeping columns)", path);
        return CLI_EXIT_ERROR;
    }
    *count = m;
    return CLI_EXIT_OK;
}

/* The result of a metric without an estimate: every value NaN, every count 0. */
static void no_estimate(metric *m, const char *why)
{
    gmoe_rate_result *r = &m->res;
    snprintf(m->error, sizeof m->error, "%s", why);
    memset(r, 0, sizeof *r);
    r->slope = r->intercept = r->se = r->slope_median = r->intercept_median = NAN;
    r->ci[0] = r->ci[1] = r->ci_ols[0] = r->ci_ols[1] = r->n_min = r->n_max = NAN;
}

/* Estimate every metric. A metric named by --metric must have an estimate; of the default
 * (all metrics), those that have none (say a column of failed tasks) are left out with a
 * warning, unless none has one. */
static int estimate_all(const gmoe_results *res, const char *path, metric *ms, size_t count,
                        int named, const gmoe_rate_params *p)
{
    size_t jn, fitted = 0;
    gmoe_results_find(res, "n", &jn);
    for (size_t i = 0; i < count; i++) {
        size_t j;
        gmoe_error err;
        if (ms[i].accuracy) continue;
        gmoe_results_find(res, ms[i].name, &j);
        gmoe_results_theory(res, ms[i].name, &ms[i].theory);
        if (gmoe_rate_estimate(gmoe_results_column(res, jn), gmoe_results_column(res, j),
                               gmoe_results_nrows(res), p, &ms[i].res, &err) == GMOE_SUCCESS) {
            fitted++;
            continue;
        }
        if (named || err.code == GMOE_ENOMEM) {
            cli_error("%s: metric \"%s\": %s", path, ms[i].name, err.msg);
            return CLI_EXIT_ERROR;
        }
        /* A column of zeros is no failure: the reference expert's gate errors are 0 by
         * construction of the translation infimum. */
        const double *v = gmoe_results_column(res, j);
        size_t r = 0, nr = gmoe_results_nrows(res), zeros = 0;
        for (; r < nr && (v[r] == 0 || !isfinite(v[r])); r++)
            zeros += v[r] == 0;
        ms[i].zero = r == nr && zeros > 0;
        no_estimate(&ms[i], ms[i].zero ? "identically 0" : err.msg);
    }
    for (size_t i = 0; i < count; i++) {
        if (!ms[i].error[0] || ms[i].zero || ms[i].accuracy) continue;
        if (fitted == 0) {
            cli_error("%s: metric \"%s\": %s", path, ms[i].name, ms[i].error);
            return CLI_EXIT_ERROR;
        }
        cli_error("warning: %s: metric \"%s\" has no estimate: %s", path, ms[i].name, ms[i].error);
    }
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------- table */

/* v with fmt, or "-" when it is not finite. */
static const char *num(char *buf, size_t size, const char *fmt, double v)
{
    if (isfinite(v))
        snprintf(buf, size, fmt, v);
    else
        snprintf(buf, size, "-");
    return buf;
}

static void print_table(const metric *ms, size_t count, const gmoe_rate_params *p)
{
    int w = 6, slopes = 0;
    for (size_t i = 0; i < count; i++)
        slopes += !ms[i].accuracy;
    if (!slopes) return;
    for (size_t i = 0; i < count; i++)
        if ((int)strlen(ms[i].name) > w) w = (int)strlen(ms[i].name);
    if (p->bootstrap)
        printf("# slopes of log(mean) on log(n); %g%% CI: bootstrap, %zu resamples, seed %lu\n",
               100 * p->level, p->bootstrap, p->seed);
    else
        printf("# slopes of log(mean) on log(n); no bootstrap (--bootstrap 0)\n");
    char ci_head[32], trim_head[32];
    snprintf(ci_head, sizeof ci_head, "%g%% CI", 100 * p->level);
    snprintf(trim_head, sizeof trim_head, "trim %zu", p->trim);
    printf("%-*s %8s  %-20s %8s", w, "metric", "slope", ci_head, "median");
    if (p->trim) printf(" %8s", trim_head);
    printf(" %8s %8s %8s  %-15s %6s %6s %7s\n", "trim 25%", "trim 50%", "theory", "n range",
           "points", "rows", "skipped");
    for (size_t i = 0; i < count; i++) {
        const gmoe_rate_result *r = &ms[i].res;
        char a[32], b[32], ci[48], range[48];
        if (ms[i].accuracy) continue;
        if (ms[i].error[0]) {
            printf("%-*s  no estimate: %s\n", w, ms[i].name, ms[i].error);
            continue;
        }
        if (isfinite(r->ci[0]))
            snprintf(ci, sizeof ci, "[%.4f, %.4f]", r->ci[0], r->ci[1]);
        else
            snprintf(ci, sizeof ci, "-");
        snprintf(range, sizeof range, "%g..%g", r->n_min, r->n_max);
        printf("%-*s %8s  %-20s %8s", w, ms[i].name, num(a, sizeof a, "%.4f", r->slope), ci,
               num(b, sizeof b, "%.4f", r->slope_median));
        for (size_t t = 0; t < r->ntrimmed; t++)
            printf(" %8s", num(a, sizeof a, "%.4f", r->trimmed[t].slope));
        printf(" %8s  %-15s %6zu %6zu %7zu\n", num(a, sizeof a, "%.4g", ms[i].theory), range,
               r->points, r->rows, r->skipped);
    }
}

/* ---------------------------------------------------------------- JSON */

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* A sample size: an integer when it is one (they always are in sweeps). */
static json_t *jsize(double v)
{
    return v == floor(v) && fabs(v) < 9007199254740992.0 ? json_integer((json_int_t)v) : jnum(v);
}

static json_t *jpair(const double v[2])
{
    return json_pack("[oo]", jnum(v[0]), jnum(v[1]));
}

static json_t *metric_json(const metric *m, const gmoe_rate_params *p)
{
    const gmoe_rate_result *r = &m->res;
    json_t *trimmed = json_array(), *groups = json_array();
    for (size_t t = 0; t < r->ntrimmed; t++) {
        const gmoe_rate_trim *tr = &r->trimmed[t];
        json_array_append_new(trimmed,
                              json_pack("{sIsosIsoso}", "trim", (json_int_t)tr->trim, "slope",
                                        jnum(tr->slope), "points", (json_int_t)tr->points, "n_min",
                                        jsize(tr->n_min), "se", jnum(tr->se)));
    }
    for (size_t g = 0; g < r->ngroups; g++) {
        const gmoe_rate_group *G = &r->groups[g];
        json_array_append_new(
            groups, json_pack("{sosIsosososososb}", "n", jsize(G->n), "count", (json_int_t)G->count,
                              "mean", jnum(G->mean), "median", jnum(G->median), "sd", jnum(G->sd),
                              "q10", jnum(G->q10), "q90", jnum(G->q90), "used", G->used));
    }
    return json_pack("{sosososososososososIsIsIsIsIsososfsIsIsIsoso}", /* in this order: */
                     "slope", jnum(r->slope), "ci", jpair(r->ci), "slope_median",
                     jnum(r->slope_median), "n_min", jsize(r->n_min), "n_max", jsize(r->n_max),
                     "intercept", jnum(r->intercept), "se", jnum(r->se), "ci_ols", jpair(r->ci_ols),
                     "intercept_median", jnum(r->intercept_median), "points", (json_int_t)r->points,
                     "rows", (json_int_t)r->rows, "skipped", (json_int_t)r->skipped, "nonpositive",
                     (json_int_t)r->nonpositive, "points_median", (json_int_t)r->points_median,
                     "trimmed", trimmed, "theory", jnum(m->theory), "level", p->level, "bootstrap",
                     (json_int_t)p->bootstrap, "boot_used", (json_int_t)r->boot_used, "seed",
                     (json_int_t)p->seed, "groups", groups, "error",
                     m->error[0] ? json_string(m->error) : json_null());
}

/* One member per metric, one line each. */
static int print_json(const metric *ms, size_t count, const gmoe_rate_params *p,
                      const rate_accuracy *acc, double pool_from)
{
    int rc = CLI_EXIT_OK;
    fputs("{", stdout);
    for (size_t i = 0, a = 0; i < count && rc == CLI_EXIT_OK; i++) {
        json_t *key = json_string(ms[i].name);
        json_t *val =
            ms[i].accuracy ? rate_accuracy_json(&acc[a++], pool_from) : metric_json(&ms[i], p);
        char *k = key ? json_dumps(key, JSON_ENCODE_ANY) : NULL;
        char *v = val ? json_dumps(val, JSON_REAL_PRECISION(17)) : NULL;
        if (k && v)
            printf("%s\n  %s: %s", i ? "," : "", k, v);
        else {
            cli_error("out of memory (or a metric name that is not UTF-8)");
            rc = CLI_EXIT_ERROR;
        }
        free(k);
        free(v);
        json_decref(key);
        json_decref(val);
    }
    fputs("\n}\n", stdout);
    return rc;
}

/* The select columns, when the file names the true k: their accuracy instead of a slope. */
static int accuracy_all(const gmoe_results *res, const char *path, metric *ms, size_t count,
                        double level, double pool_from, rate_accuracy **out, size_t *nout)
{
    size_t k_true = rate_k_true(res), n = 0;
    *out = NULL;
    *nout = 0;
    rate_accuracy *acc = calloc(count, sizeof *acc);
    if (!acc) {
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    *out = acc;
    for (size_t i = 0; i < count; i++) {
        /* select columns need the true k; coverage columns score 1 (covered) */
        int cover = rate_is_coverage(ms[i].name);
        if (!cover && !(k_true && rate_is_accuracy(ms[i].name))) continue;
        char why[GMOE_ERRMSG_MAX];
        ms[i].accuracy = 1;
        if (rate_accuracy_estimate(res, ms[i].name, cover ? 1 : k_true, level, pool_from, &acc[n],
                                   why)) {
            *nout = n;
            cli_error("%s: metric \"%s\": %s", path, ms[i].name, why);
            return CLI_EXIT_ERROR;
        }
        n++;
    }
    *nout = n;
    return CLI_EXIT_OK;
}

/* ---------------------------------------------------------------- main */

int main_rate(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_HELP,
        CLI_OPTION_SEED,
        CLI_OPTION_JSON,
        {"metric", required_argument, NULL, OPT_METRIC},
        {"trim", required_argument, NULL, OPT_TRIM},
        {"bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
        {"pool-from", required_argument, NULL, OPT_POOL_FROM},
        CLI_OPTION_END,
    };
    cli_common co;
    cli_common_init(&co, "rate");
    gmoe_rate_params params = gmoe_rate_default_parameters();
    char **names = NULL;
    size_t nnames = 0, count = 0;
    gmoe_results *res = NULL;
    metric *ms = NULL;
    rate_accuracy *acc = NULL;
    size_t nacc = 0;
    double pool_from = 0;
    gmoe_error err;
    gmoe_error_clear(&err);
    int rc = CLI_EXIT_OK, c;

    while ((c = getopt_long(argc, argv, ":h", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            goto out;
        case OPT_METRIC:
            cli_free_list(names, nnames);
            names = NULL;
            rc = cli_parse_list("--metric", optarg, &names, &nnames);
            break;
        case OPT_TRIM:
            rc = parse_count0("--trim", optarg, &params.trim);
            break;
        case OPT_BOOTSTRAP:
            rc = parse_count0("--bootstrap", optarg, &params.bootstrap);
            break;
        case OPT_POOL_FROM: {
            size_t v;
            rc = cli_parse_count("--pool-from", optarg, &v);
            pool_from = (double)v;
            break;
        }
        default:
            rc = cli_common_opt(&co, c, optarg, argv);
        }
        if (rc) goto out;
    }
    if ((rc = cli_check_positional(&co, argc, argv, 1, 1, "results file (RESULTS.csv)"))) goto out;
    params.seed = co.seed;
    const char *path = argv[optind];

    if (gmoe_results_read(path, &res, &err)) {
        rc = cli_lib_error(&err);
        goto out;
    }
    if ((rc = select_metrics(res, path, names, nnames, &ms, &count))) goto out;
    if ((rc = accuracy_all(res, path, ms, count, params.level, pool_from, &acc, &nacc))) goto out;
    if ((rc = estimate_all(res, path, ms, count, nnames > 0, &params))) goto out;
    if (co.json) {
        rc = print_json(ms, count, &params, acc, pool_from);
    } else {
        print_table(ms, count, &params);
        rate_accuracy_print(stdout, acc, nacc, pool_from, 0);
        rate_accuracy_print(stdout, acc, nacc, pool_from, 1);
    }

out:
    for (size_t i = 0; ms && i < count; i++)
        gmoe_rate_result_free(&ms[i].res);
    for (size_t a = 0; a < nacc; a++)
        gmoe_accuracy_result_free(&acc[a].res);
    free(acc);
    free(ms);
    gmoe_results_free(res);
    cli_free_list(names, nnames);
    cli_common_free(&co);
    return rc;
}
