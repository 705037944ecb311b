/* gmoe loglik: the log-likelihood of a data set under a model file. */
#include <config.h>
#include <stdio.h>
#include <string.h>
#include "common.h"
#include "commands.h"

static void usage(FILE *fp)
{
    fputs("Usage: gmoe loglik --model FILE [--y COL] [--x COL,COL,...] [--json] DATA.csv\n"
          "\n"
          "Print the total log-likelihood sum_i log p(y_i | x_i) of the data under the model\n"
          "(natural log, full Gaussian constant) as one number with 17 significant digits.\n"
          "The selected covariate columns must match the model's d, in the model's order.\n"
          "\n"
          "Options:\n" CLI_HELP_MODEL CLI_HELP_Y CLI_HELP_X
          "      --json           print {\"loglik\": L, \"n\": N, \"per_obs\": L/N}\n" CLI_HELP_HELP
          "\n"
          "Column names that contain a comma cannot be selected with --x.\n"
          "\n"
          "Example:\n"
          "  gmoe loglik --model softmax-truth.json softmax-example.csv\n"
          "  gmoe loglik --model softmax-truth.json --y waiting --x eruptions faithful.csv\n",
          fp);
}

int main_loglik(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_HELP, CLI_OPTION_MODEL, CLI_OPTION_Y,
        CLI_OPTION_X,    CLI_OPTION_JSON,  CLI_OPTION_END,
    };
    cli_common co;
    cli_common_init(&co, "loglik");
    gmoe_model *model = NULL;
    gmoe_data *data = NULL;
    gmoe_error err;
    gmoe_error_clear(&err);
    int rc = CLI_EXIT_OK, c;

    while ((c = getopt_long(argc, argv, ":hm:", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            goto out;
        }
        if ((rc = cli_common_opt(&co, c, optarg, argv))) goto out;
    }
    if ((rc = cli_check_positional(&co, argc, argv, 1, 1, "data file (DATA.csv)"))) goto out;
    if (!co.model) {
        rc = cli_usage_error("loglik: --model FILE is required (see 'gmoe help loglik')");
        goto out;
    }
    const char *path = argv[optind];
    for (size_t i = 0; i < co.nx; i++)
        if (strcmp(co.x[i], co.y ? co.y : "y") == 0) {
            rc = cli_usage_error("loglik: column \"%s\" is both the response (--y) and a "
                                 "covariate (--x)",
                                 co.x[i]);
            goto out;
        }

    if (gmoe_model_read(co.model, &model, NULL, NULL, &err)) {
        rc = cli_lib_error(&err);
        goto out;
    }
    gmoe_csv_spec spec;
    cli_csv_spec(&co, &spec);
    if (gmoe_csv_read(path, &spec, &data, &err)) {
        rc = cli_lib_error(&err);
        goto out;
    }
    size_t d = gmoe_model_d(model);
    if (data->d != d) {
        cli_error("%s: %zu covariate column%s selected, but the model %s has d = %zu (select "
                  "columns with --x)",
                  path, data->d, data->d == 1 ? "" : "s", co.model, d);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    double ll;
    if (gmoe_model_loglik(model, data, &ll, &err)) {
        rc = cli_data_error(path, &err);
        goto out;
    }
    if (co.json) {
        fputs("{\"loglik\": ", stdout);
        cli_json_double(stdout, ll);
        printf(", \"n\": %zu, \"per_obs\": ", data->n);
        cli_json_double(stdout, ll / (double)data->n);
        fputs("}\n", stdout);
    } else {
        printf("%.17g\n", ll);
    }

out:
    gmoe_data_free(data);
    gmoe_model_free(model);
    cli_common_free(&co);
    return rc;
}
