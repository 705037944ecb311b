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
          "For every row of DATA.csv print, as CSV (shortest exact numbers): the covariates\n"
          "x1..xd, the response y (when the file has the response column), the gate weights\n"
          "g1..gk, the posterior expert probabilities post1..postk (with a response), the\n"
          "predictive mean E[y | x] and the conditional log-density logdens = log p(y | x)\n"
          "(with a response).\n"
          "\n"
          "Options:\n"
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

/* A number in the shortest form that reads back exactly, then sep. */
static void put_num(FILE *fp, double v, char sep)
{
    cli_csv_double(fp, v);
    fputc(sep, fp);
}

static void write_rows(FILE *fp, const gmoe_data *data, size_t k, const double *gate,
                       const double *post, const double *mean, const double *logdens)
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
    fputs(data->y ? "mean,logdens\n" : "mean\n", fp);
    for (size_t i = 0; i < n; i++) {
        for (size_t t = 0; t < d; t++)
            put_num(fp, data->x[t * n + i], ',');
        if (data->y) put_num(fp, data->y[i], ',');
        for (size_t j = 0; j < k; j++)
            put_num(fp, gate[i * k + j], ',');
        if (data->y) {
            for (size_t j = 0; j < k; j++)
                put_num(fp, post[i * k + j], ',');
            put_num(fp, mean[i], ',');
            put_num(fp, logdens[i], '\n');
        } else {
            put_num(fp, mean[i], '\n');
        }
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
    if ((rc = cli_outfile_open(&of, co.output))) goto out;
    write_rows(of.fp, data, k, gate, post, mean, logdens);
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
    gmoe_data_free(data);
    gmoe_model_free(model);
    cli_common_free(&co);
    return rc;
}
