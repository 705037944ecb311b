/* gmoe predict: per-observation predictions of a fitted (or any) model. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "commands.h"

static void usage(FILE *fp)
{
    fputs("Usage: gmoe predict [options] MODEL.json DATA.csv\n"
          "\n"
          "For every row of DATA.csv print, as CSV with 17 significant digits: the covariates\n"
          "x1..xd, the response y (when the file has the response column), the gate weights\n"
          "g1..gk, the posterior expert probabilities post1..postk (with a response), the\n"
          "predictive mean E[y | x] and the conditional log-density logdens = log p(y | x)\n"
          "(with a response). With --se, the standard error of the predictive mean, se_mean,\n"
          "follows the mean: the delta method sqrt(D' V D), D the mean's gradient in the free\n"
          "parameters and V their covariance matrix from the model file (gmoe fit --se).\n"
          "\n"
          "Options:\n"
          "      --se             add the column se_mean (needs a model file written by\n"
          "                       gmoe fit --se with standard errors)\n"
          "      --y COL          response column (default y; without --y a file that has no\n"
          "                       column y is read as covariates only)\n" CLI_HELP_X
          "  -o, --output FILE    output file, replaced only once complete; - is standard\n"
          "                       output (default -)\n" CLI_HELP_HELP "\n"
          "The selected covariate columns must match the model's d, in the model's order.\n"
          "\n"
          "Example:\n"
          "  gmoe predict --y waiting --x eruptions -o pred.csv fit.json faithful.csv\n",
          fp);
}

static void write_rows(FILE *fp, const gmoe_data *data, size_t k, const double *gate,
                       const double *post, const double *mean, const double *se_mean,
                       const double *logdens)
{
    size_t n = data->n, d = data->d;
    for (size_t t = 0; t < d; t++)
        fprintf(fp, "x%zu,", t + 1);
    if (data->y) fputs("y,", fp);
    for (size_t j = 0; j < k; j++)
        fprintf(fp, "g%zu,", j + 1);
    if (data->y)
        for (size_t j = 0; j < k; j++)
            fprintf(fp, "post%zu,", j + 1);
    fputs(se_mean ? "mean,se_mean" : "mean", fp);
    fputs(data->y ? ",logdens\n" : "\n", fp);
    for (size_t i = 0; i < n; i++) {
        for (size_t t = 0; t < d; t++)
            fprintf(fp, "%.17g,", data->x[t * n + i]);
        if (data->y) fprintf(fp, "%.17g,", data->y[i]);
        for (size_t j = 0; j < k; j++)
            fprintf(fp, "%.17g,", gate[i * k + j]);
        for (size_t j = 0; data->y && j < k; j++)
            fprintf(fp, "%.17g,", post[i * k + j]);
        fprintf(fp, "%.17g", mean[i]);
        if (se_mean) fprintf(fp, ",%.17g", se_mean[i]);
        if (data->y)
            fprintf(fp, ",%.17g\n", logdens[i]);
        else
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
    enum { OPT_SE = CLI_OPT_FIRST_LOCAL };
    static const struct option opts[] = {
        CLI_OPTION_HELP,
        CLI_OPTION_OUTPUT,
        CLI_OPTION_Y,
        CLI_OPTION_X,
        {"se", no_argument, NULL, OPT_SE},
        CLI_OPTION_END,
    };
    cli_common co;
    cli_common_init(&co, "predict");
    gmoe_model *model = NULL;
    gmoe_data *data = NULL;
    double *gate = NULL, *post = NULL, *mean = NULL, *logdens = NULL, *se_mean = NULL;
    gmoe_se *se = NULL;
    int want_se = 0;
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
        if (c == OPT_SE) {
            want_se = 1;
            continue;
        }
        if ((rc = cli_common_opt(&co, c, optarg, argv))) goto out;
    }
    if ((rc = cli_check_positional(&co, argc, argv, 2, 2, "model file and data file"))) goto out;
    if ((rc = cli_check_xy(&co))) goto out;
    const char *mpath = argv[optind], *path = argv[optind + 1];
    if (strcmp(mpath, "-") == 0 && strcmp(path, "-") == 0) {
        rc = cli_usage_error("predict: the model and the data cannot both come from standard "
                             "input");
        goto out;
    }
    if (gmoe_model_read(mpath, &model, NULL, NULL, &err)) goto liberr;
    if (want_se && (rc = read_se(mpath, model, &se))) goto out;
    gmoe_csv_spec spec;
    cli_csv_spec(&co, &spec);
    /* A response named with --y must be there; the default one may be missing. */
    spec.y_optional = co.y == NULL;
    if (gmoe_csv_read(path, &spec, &data, &err)) goto liberr;
    size_t d = gmoe_model_d(model), k = gmoe_model_k(model), n = data->n;
    if (data->d != d) {
        cli_error("%s: %zu covariate column%s selected, but the model %s has d = %zu (select "
                  "columns with --x)",
                  path, data->d, data->d == 1 ? "" : "s", mpath, d);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    gate = malloc(n * k * sizeof(double));
    mean = malloc(n * sizeof(double));
    if (data->y) {
        post = malloc(n * k * sizeof(double));
        logdens = malloc(n * sizeof(double));
    }
    if (!gate || !mean || (data->y && (!post || !logdens))) {
        gmoe_error_set(&err, GMOE_ENOMEM, "out of memory (n = %zu, k = %zu)", n, k);
        goto liberr;
    }
    if (gmoe_model_predict(model, data, gate, post, mean, logdens, &err)) {
        rc = cli_data_error(path, &err);
        goto out;
    }
    if (se) {
        if (!(se_mean = malloc(n * sizeof(double)))) {
            gmoe_error_set(&err, GMOE_ENOMEM, "out of memory (n = %zu)", n);
            goto liberr;
        }
        if (gmoe_se_predict(se, model, data, NULL, se_mean, &err)) {
            rc = cli_data_error(path, &err);
            goto out;
        }
    }
    if ((rc = cli_outfile_open(&of, co.output))) goto out;
    write_rows(of.fp, data, k, gate, post, mean, se_mean, logdens);
    rc = cli_outfile_commit(&of);
    goto out;
liberr:
    rc = cli_lib_error(&err);
out:
    cli_outfile_abort(&of);
    free(gate);
    free(post);
    free(mean);
    free(logdens);
    free(se_mean);
    gmoe_se_free(se);
    gmoe_data_free(data);
    gmoe_model_free(model);
    cli_common_free(&co);
    return rc;
}
