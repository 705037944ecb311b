/* gmoe loglik: the log-likelihood of a data set under a model file. */
#include <config.h>
#include <stdio.h>
#include <string.h>
#include "common.h"
#include "commands.h"
#include "model_data.h"

static void usage(FILE *fp)
{
    fputs("Usage: gmoe loglik --model FILE [--y COL] [--x COL,COL,...] [--json] DATA.csv\n"
          "\n"
          "Print the total log-likelihood sum_i log p(y_i | x_i) of the data under the model\n"
          "(natural log, full Gaussian constant) as one number with 17 significant digits.\n"
          "\n"
          "Options:\n" CLI_HELP_MODEL "      --y COL          response column (default: the model "
                                      "file's, else y)\n" CLI_HELP_MODEL_X
          "      --json           print {\"loglik\": L, \"n\": N, \"per_obs\": L/N}\n" CLI_HELP_HELP
              CLI_HELP_MODEL_COLUMNS "\n"
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
    cli_model_data md;
    memset(&md, 0, sizeof md);
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

    if ((rc = cli_model_data_read(&md, &co, co.model, path, 0))) goto out;
    const gmoe_data *data = md.data;
    double ll;
    if (gmoe_model_loglik(md.model, data, &ll, &err)) {
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
    cli_model_data_free(&md);
    cli_common_free(&co);
    return rc;
}
