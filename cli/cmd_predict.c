/* gmoe predict: per-observation predictions of a fitted (or any) model. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "commands.h"
#include "model_data.h"

enum { OPT_COLUMNS = CLI_OPT_FIRST_LOCAL, OPT_QUANTILES, OPT_SE };

/* The groups of output columns --columns selects from, in the order of the default. */
enum { COL_G, COL_POST, COL_MEAN, COL_LOGDENS, COL_SD, COL_QUANTILES, COL_MU, COL_SE, NGROUP };
static const char *const group_names[NGROUP] = {"g",  "post",      "mean", "logdens",
                                                "sd", "quantiles", "mu",   "se_mean"};

static void usage(FILE *fp)
{
    fputs("Usage: gmoe predict [options] MODEL.json DATA.csv\n"
          "\n"
          "For every row of DATA.csv print, as CSV (shortest exact numbers): the covariates\n"
          "and the response (when the file has it) under their names in DATA.csv, then the\n"
          "columns --columns selects: by default the gate weights g1..gk, the posterior expert\n"
          "probabilities post1..postk (with a response), the predictive mean E[y | x], the\n"
          "conditional log-density logdens = log p(y | x) (with a response) and, with\n"
          "--quantiles, the predictive quantiles. With --se, the standard error of the\n"
          "predictive mean, se_mean, follows the mean: the delta method sqrt(D' V D), D the\n"
          "mean's gradient in the free parameters and V their covariance matrix from the\n"
          "model file (gmoe fit --se).\n"
          "\n"
          "Options:\n"
          "      --y COL          response column (default: the model file's, else y; without\n"
          "                       --y a file that has no such column is read as covariates\n"
          "                       only)\n" CLI_HELP_MODEL_X
          "      --columns LIST   computed columns to write, in this order, from g, post,\n"
          "                       mean, logdens, sd (predictive standard deviation),\n"
          "                       quantiles, mu (the expert means mu1..muk) and se_mean\n"
          "                       (as --se) (default\n"
          "                       g,post,mean,logdens, post and logdens only with a\n"
          "                       response, and quantiles with --quantiles)\n"
          "      --quantiles P1,P2,...\n"
          "                       levels strictly between 0 and 1 of the predictive\n"
          "                       quantiles, written as columns qP1, qP2, ...\n"
          "      --se             add the column se_mean after the mean (needs a model file\n"
          "                       written by gmoe fit --se with standard errors)\n"
          "  -o, --output FILE    output file, replaced only once complete; - is standard\n"
          "                       output (default -)\n" CLI_HELP_HELP CLI_HELP_MODEL_COLUMNS "\n"
          "Examples:\n"
          "  gmoe predict --y waiting --x eruptions -o pred.csv fit.json faithful.csv\n"
          "  gmoe predict --columns mean,sd,quantiles --quantiles 0.05,0.95 fit.json new.csv\n",
          fp);
}

typedef struct predict_opts {
    int group[NGROUP]; /* the groups to write, in order; ngroup of them */
    size_t ngroup;
    int columns_set;
    int se;        /* --se */
    double *level; /* --quantiles */
    size_t nlevel;
    char **qname; /* "q" + each level in its shortest form */
} predict_opts;

static void predict_opts_free(predict_opts *po)
{
    free(po->level);
    cli_free_list(po->qname, po->nlevel);
}

static int parse_columns(predict_opts *po, const char *arg)
{
    char **list = NULL;
    size_t n = 0;
    int rc = cli_parse_list("--columns", arg, &list, &n);
    if (rc) return rc;
    po->ngroup = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        int g = 0;
        while (g < NGROUP && strcmp(list[i], group_names[g]) != 0)
            g++;
        if (g == NGROUP)
            rc = cli_usage_error("predict: --columns: unknown column \"%s\" (one of g, post, "
                                 "mean, logdens, sd, quantiles, mu, se_mean)",
                                 list[i]);
        else
            po->group[po->ngroup++] = g;
    }
    cli_free_list(list, n);
    po->columns_set = 1;
    return rc;
}

static int parse_quantiles(predict_opts *po, const char *arg)
{
    size_t max = 1;
    for (const char *c = arg; *c; c++)
        max += *c == ',';
    predict_opts_free(po);
    po->nlevel = 0;
    po->level = malloc(max * sizeof(double));
    po->qname = calloc(max, sizeof(char *));
    if (!po->level || !po->qname) return cli_usage_error("out of memory");
    for (const char *c = arg;; c++) {
        const char *e = strchr(c, ',');
        size_t len = e ? (size_t)(e - c) : strlen(c);
        char tok[64], name[GMOE_CSV_NUMBUF + 1];
        snprintf(tok, sizeof tok, "%.*s", (int)(len < 63 ? len : 63), c);
        double p;
        if (len >= sizeof tok || cli_parse_double("--quantiles", tok, &p)) {
            if (len >= sizeof tok)
                cli_usage_error("predict: --quantiles: level too long in \"%s\"", arg);
            return CLI_EXIT_USAGE;
        }
        if (!(p > 0 && p < 1))
            return cli_usage_error(
                "predict: --quantiles: levels must lie strictly between 0 and 1 (got "
                "\"%s\")",
                tok);
        for (size_t l = 0; l < po->nlevel; l++)
            if (po->level[l] == p)
                return cli_usage_error("predict: --quantiles: level %s given twice", tok);
        gmoe_csv_format_double(p, name + 1);
        name[0] = 'q';
        if (!(po->qname[po->nlevel] = strdup(name))) return cli_usage_error("out of memory");
        po->level[po->nlevel++] = p;
        if (!e) break;
        c = e;
    }
    return 0;
}

/* After the options: the default selection, and quantiles only with levels. */
static int check_groups(predict_opts *po)
{
    int has_q = 0;
    for (size_t i = 0; i < po->ngroup; i++)
        has_q |= po->group[i] == COL_QUANTILES;
    if (!po->columns_set) {
        po->ngroup = 0;
        for (int g = COL_G; g <= COL_LOGDENS; g++)
            po->group[po->ngroup++] = g;
        if (po->nlevel) po->group[po->ngroup++] = COL_QUANTILES;
    } else if (has_q && !po->nlevel) {
        return cli_usage_error("predict: --columns quantiles needs --quantiles P1,P2,...");
    } else if (!has_q && po->nlevel) {
        return cli_usage_error("predict: --quantiles given, but --columns has no quantiles");
    }
    int has_se = 0;
    for (size_t i = 0; i < po->ngroup; i++)
        has_se |= po->group[i] == COL_SE;
    if (po->se && !has_se) {
        /* se_mean right after the mean, or last when the mean is not written. */
        size_t at = 0;
        while (at < po->ngroup && po->group[at] != COL_MEAN)
            at++;
        at = at < po->ngroup ? at + 1 : po->ngroup;
        memmove(po->group + at + 1, po->group + at, (po->ngroup - at) * sizeof po->group[0]);
        po->group[at] = COL_SE;
        po->ngroup++;
    }
    return 0;
}

/* Without a response the default leaves out post and logdens; a selection that asks for
 * them is an error about the file. */
static int fit_groups_to_data(predict_opts *po, const gmoe_data *data, const char *path,
                              const char *yname)
{
    if (data->y) return 0;
    size_t kept = 0;
    for (size_t i = 0; i < po->ngroup; i++) {
        int g = po->group[i];
        if (g != COL_POST && g != COL_LOGDENS) {
            po->group[kept++] = g;
        } else if (po->columns_set) {
            cli_error("%s: --columns %s needs the response, but the file has no column \"%s\" "
                      "(name it with --y)",
                      path, group_names[g], yname);
            return CLI_EXIT_ERROR;
        }
    }
    po->ngroup = kept;
    return 0;
}

/* The predictions, each NULL unless selected. */
typedef struct predictions {
    double *gate, *post, *mean, *logdens, *sd, *q, *mu, *se_mean;
    gmoe_se *se; /* the model file's standard errors, read for se_mean */
} predictions;

static int want(const predict_opts *po, int g)
{
    for (size_t i = 0; i < po->ngroup; i++)
        if (po->group[i] == g) return 1;
    return 0;
}

static int compute(const predict_opts *po, const gmoe_model *m, const gmoe_data *data,
                   predictions *pr, gmoe_error *err)
{
    size_t n = data->n, k = gmoe_model_k(m);
    if (want(po, COL_G)) pr->gate = malloc(n * k * sizeof(double));
    if (want(po, COL_POST)) pr->post = malloc(n * k * sizeof(double));
    if (want(po, COL_MEAN)) pr->mean = malloc(n * sizeof(double));
    if (want(po, COL_LOGDENS)) pr->logdens = malloc(n * sizeof(double));
    if (want(po, COL_SD)) pr->sd = malloc(n * sizeof(double));
    if (want(po, COL_QUANTILES)) pr->q = malloc(n * po->nlevel * sizeof(double));
    if (want(po, COL_MU)) pr->mu = malloc(2 * n * k * sizeof(double));
    if (want(po, COL_SE)) pr->se_mean = malloc(n * sizeof(double));
    if ((want(po, COL_G) && !pr->gate) || (want(po, COL_POST) && !pr->post) ||
        (want(po, COL_MEAN) && !pr->mean) || (want(po, COL_LOGDENS) && !pr->logdens) ||
        (want(po, COL_SD) && !pr->sd) || (want(po, COL_QUANTILES) && !pr->q) ||
        (want(po, COL_MU) && !pr->mu) || (want(po, COL_SE) && !pr->se_mean))
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory (n = %zu, k = %zu)", n, k);
    int rc = gmoe_model_predict(m, data, pr->gate, pr->post, pr->mean, pr->logdens, err);
    if (!rc && pr->se_mean) rc = gmoe_se_predict(pr->se, m, data, NULL, pr->se_mean, err);
    if (!rc && pr->sd) rc = gmoe_model_predict_sd(m, data, pr->sd, err);
    if (!rc && pr->q) rc = gmoe_model_predict_quantiles(m, data, po->level, po->nlevel, pr->q, err);
    if (!rc && pr->mu) {
        /* Expert-major from the library, row-major (like g and post) for the writer. */
        double *em = pr->mu + n * k;
        gmoe_model_expert_means(m, data, em);
        for (size_t i = 0; i < n; i++)
            for (size_t j = 0; j < k; j++)
                pr->mu[i * k + j] = em[j * n + i];
    }
    return rc;
}

static void predictions_free(predictions *pr)
{
    free(pr->gate);
    free(pr->post);
    free(pr->mean);
    free(pr->logdens);
    free(pr->sd);
    free(pr->q);
    free(pr->mu);
    free(pr->se_mean);
    gmoe_se_free(pr->se);
}

/* Every number goes through here: one place decides how CSV numbers are written. */
static void put_num(FILE *fp, const char *sep, double v)
{
    fputs(sep, fp);
    cli_csv_double(fp, v);
}

/* One row (i < n) or, with i == n, the header. */
static void write_group(FILE *fp, const predict_opts *po, int g, const predictions *pr, size_t k,
                        size_t i, size_t n)
{
    const double *v = NULL;
    size_t w = 1;
    const char *name = group_names[g];
    switch (g) {
    case COL_G:
        v = pr->gate, w = k;
        break;
    case COL_POST:
        v = pr->post, w = k;
        break;
    case COL_MEAN:
        v = pr->mean;
        break;
    case COL_LOGDENS:
        v = pr->logdens;
        break;
    case COL_SD:
        v = pr->sd;
        break;
    case COL_SE:
        v = pr->se_mean;
        break;
    case COL_MU:
        v = pr->mu, w = k;
        break;
    default:
        v = pr->q, w = po->nlevel;
        break;
    }
    for (size_t j = 0; j < w; j++) {
        if (i < n)
            put_num(fp, ",", v[i * w + j]);
        else if (g == COL_QUANTILES)
            fprintf(fp, ",%s", po->qname[j]);
        else if (g != COL_MEAN && g != COL_LOGDENS && g != COL_SD && g != COL_SE)
            fprintf(fp, ",%s%zu", name, j + 1);
        else
            fprintf(fp, ",%s", name);
    }
}

static void write_rows(FILE *fp, const predict_opts *po, const gmoe_data *data, char **names,
                       size_t k, const predictions *pr)
{
    size_t n = data->n, d = data->d;
    for (size_t t = 0; t < d; t++)
        fprintf(fp, "%s%s", t ? "," : "", names[t]);
    if (data->y) fprintf(fp, "%s%s", d ? "," : "", names[d]);
    for (size_t c = 0; c < po->ngroup; c++)
        write_group(fp, po, po->group[c], pr, k, n, n);
    fputc('\n', fp);
    for (size_t i = 0; i < n; i++) {
        for (size_t t = 0; t < d; t++)
            put_num(fp, t ? "," : "", data->x[t * n + i]);
        if (data->y) put_num(fp, d ? "," : "", data->y[i]);
        for (size_t c = 0; c < po->ngroup; c++)
            write_group(fp, po, po->group[c], pr, k, i, n);
        fputc('\n', fp);
    }
}

/* The standard errors of the model file, or an error that says why there are none. */
static int read_se(const char *mpath, const gmoe_model *model, gmoe_se **se)
{
    gmoe_error err;
    gmoe_error_clear(&err);
    if (strcmp(mpath, "-") == 0)
        return cli_usage_error("predict: --se reads the model file twice: give it by name");
    if (gmoe_se_read(mpath, model, se, &err)) return cli_lib_error(&err);
    if (!*se) {
        cli_error("%s: no standard errors in the fit object (write it with gmoe fit --se)", mpath);
        return CLI_EXIT_ERROR;
    }
    if (gmoe_se_reason(*se)) {
        cli_error("%s: the fit has no standard errors: %s", mpath, gmoe_se_reason(*se));
        return CLI_EXIT_ERROR;
    }
    return 0;
}

int main_predict(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_HELP,
        CLI_OPTION_OUTPUT,
        CLI_OPTION_Y,
        CLI_OPTION_X,
        {"columns", required_argument, NULL, OPT_COLUMNS},
        {"quantiles", required_argument, NULL, OPT_QUANTILES},
        {"se", no_argument, NULL, OPT_SE},
        CLI_OPTION_END,
    };
    cli_common co;
    cli_common_init(&co, "predict");
    predict_opts po;
    memset(&po, 0, sizeof po);
    predictions pr;
    memset(&pr, 0, sizeof pr);
    cli_model_data md;
    memset(&md, 0, sizeof md);
    cli_outfile of;
    memset(&of, 0, sizeof of);
    gmoe_error err;
    gmoe_error_clear(&err);
    int rc = CLI_EXIT_OK, c;

    while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            goto out;
        }
        if (c == OPT_COLUMNS)
            rc = parse_columns(&po, optarg);
        else if (c == OPT_SE)
            po.se = 1;
        else if (c == OPT_QUANTILES)
            rc = parse_quantiles(&po, optarg);
        else
            rc = cli_common_opt(&co, c, optarg, argv);
        if (rc) goto out;
    }
    if ((rc = cli_check_positional(&co, argc, argv, 2, 2, "model file and data file"))) goto out;
    if ((rc = cli_check_xy(&co)) || (rc = check_groups(&po))) goto out;
    const char *mpath = argv[optind], *path = argv[optind + 1];
    if (strcmp(mpath, "-") == 0 && strcmp(path, "-") == 0) {
        rc = cli_usage_error("predict: the model and the data cannot both come from standard "
                             "input");
        goto out;
    }
    if ((rc = cli_model_data_read(&md, &co, mpath, path, 1))) goto out;
    const gmoe_model *model = md.model;
    const gmoe_data *data = md.data;
    size_t k = gmoe_model_k(model);
    if (want(&po, COL_SE) && (rc = read_se(mpath, model, &pr.se))) goto out;
    if ((rc = fit_groups_to_data(&po, data, path, md.y))) goto out;
    if (compute(&po, model, data, &pr, &err)) {
        rc = err.code == GMOE_ENOMEM ? cli_lib_error(&err) : cli_data_error(path, &err);
        goto out;
    }
    if ((rc = cli_outfile_open(&of, co.output))) goto out;
    write_rows(of.fp, &po, data, md.names, k, &pr);
    rc = cli_outfile_commit(&of);
out:
    cli_outfile_abort(&of);
    predictions_free(&pr);
    predict_opts_free(&po);
    cli_model_data_free(&md);
    cli_common_free(&co);
    return rc;
}
