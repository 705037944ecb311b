/* gmoe predict: per-observation predictions of a fitted (or any) model. */
#include <config.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "commands.h"

static void usage(FILE *fp)
{
    fputs("Usage: gmoe predict [options] MODEL.json DATA.csv\n"
          "\n"
          "For every row of DATA.csv print, as CSV: the covariates, the response (when the\n"
          "file has the response column), the gate weights g1..gk, the posterior expert\n"
          "probabilities post1..postk and the conditional log-density logdens (both only\n"
          "with a response), and the predictive mean E[y | x].\n"
          "\n"
          "Options:\n" CLI_HELP_Y CLI_HELP_X CLI_HELP_OUTPUT CLI_HELP_HELP
          "\n"
          "Example:\n"
          "  gmoe predict fit.json --y waiting --x eruptions faithful.csv > pred.csv\n",
          fp);
}

static void write_rows(FILE *fp, const gmoe_data *data, size_t k, const double *gate,
                       const double *post, const double *mean, const double *logdens)
{
    size_t n = data->n, d = data->d;
    for (size_t t = 0; t < d; t++) fprintf(fp, "x%zu,", t + 1);
    if (data->y) fputs("y,", fp);
    for (size_t j = 0; j < k; j++) fprintf(fp, "g%zu,", j + 1);
    if (data->y) {
        for (size_t j = 0; j < k; j++) fprintf(fp, "post%zu,", j + 1);
        fputs("logdens,", fp);
    }
    fputs("mean\n", fp);
    for (size_t i = 0; i < n; i++) {
        for (size_t t = 0; t < d; t++) fprintf(fp, "%.17g,", data->x[t * n + i]);
        if (data->y) fprintf(fp, "%.17g,", data->y[i]);
        for (size_t j = 0; j < k; j++) fprintf(fp, "%.17g,", gate[i * k + j]);
        if (data->y) {
            for (size_t j = 0; j < k; j++) fprintf(fp, "%.17g,", post[i * k + j]);
            fprintf(fp, "%.17g,", logdens[i]);
        }
        fprintf(fp, "%.17g\n", mean[i]);
    }
}

int main_predict(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_HELP, CLI_OPTION_OUTPUT, CLI_OPTION_Y, CLI_OPTION_X, CLI_OPTION_END,
    };
    cli_common co;
    cli_common_init(&co, "predict");
    gmoe_model *model = NULL;
    gmoe_data *data = NULL;
    double *gate = NULL, *post = NULL, *mean = NULL, *logdens = NULL;
    FILE *fp = NULL;
    gmoe_error err;
    gmoe_error_clear(&err);
    int rc = CLI_EXIT_OK, c;

    while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            goto out;
        }
        if ((rc = cli_common_opt(&co, c, optarg, argv))) goto out;
    }
    if ((rc = cli_check_positional(&co, argc, argv, 2, 2, "model file and data file"))) goto out;
    const char *mpath = argv[optind], *path = argv[optind + 1];
    if (gmoe_model_read(mpath, &model, NULL, NULL, &err)) goto liberr;
    gmoe_csv_spec spec;
    cli_csv_spec(&co, &spec);
    spec.y_optional = 1;
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
        gmoe_error_set(&err, GMOE_ENOMEM, "out of memory (n = %zu)", n);
        goto liberr;
    }
    if (gmoe_model_predict(model, data, gate, post, mean, logdens, &err)) goto liberr;
    fp = strcmp(co.output, "-") ? fopen(co.output, "w") : stdout;
    if (!fp) {
        cli_error("%s: cannot write: %s", co.output, strerror(errno));
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    write_rows(fp, data, k, gate, post, mean, logdens);
    if (fp != stdout) {
        int bad = ferror(fp) != 0;
        bad |= fclose(fp) != 0;
        fp = NULL;
        if (bad) {
            cli_error("%s: write failed", co.output);
            rc = CLI_EXIT_ERROR;
        }
    }
    fp = NULL;
    goto out;
liberr:
    rc = cli_lib_error(&err);
out:
    if (fp && fp != stdout) fclose(fp);
    free(gate);
    free(post);
    free(mean);
    free(logdens);
    gmoe_data_free(data);
    gmoe_model_free(model);
    cli_common_free(&co);
    return rc;
}
