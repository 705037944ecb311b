/* gmoe simulate: draw a data set from a model file. */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "common.h"
#include "commands.h"

enum { OPT_CONTAMINATE = CLI_OPT_FIRST_LOCAL };

static void usage(FILE *fp)
{
    fputs("Usage: gmoe simulate --model FILE -n N [--seed S]\n"
          "                     [--design uniform|grid|normal|gate]\n"
          "                     [--lo A --hi B | --mean M --sd S] [--contaminate EPS,S]\n"
          "                     [-o FILE]\n"
          "\n"
          "Draw n observations (x_i, y_i): x from a design, y | x from the model. Writes CSV\n"
          "with a header x1,...,xd,y and each number in the shortest form that reads back\n"
          "as the same double. The same arguments give the same bytes on every run and\n"
          "every machine.\n"
          "\n"
          "Options:\n" CLI_HELP_MODEL
          "  -n N                 number of observations, a positive integer (1e6 is accepted);\n"
          "                       required\n" CLI_HELP_SEED
          "      --design KIND    how x is drawn (default uniform):\n"
          "                         uniform  every covariate ~ U(lo, hi), independently\n"
          "                         grid     d = 1 only: x_i = lo + (i-1)(hi-lo)/(n-1)\n"
          "                         normal   every covariate ~ N(mean, sd^2), independently\n"
          "                         gate     x ~ sum_j pi_j N(c_j, Gamma_j), the model's\n"
          "                                  Gaussian gate (a Gaussian-gated model only)\n"
          "      --lo A           lower end for uniform and grid (default 0)\n"
          "      --hi B           upper end for uniform and grid (default 1)\n"
          "      --mean M         mean for normal (default 0)\n"
          "      --sd S           standard deviation for normal, > 0 (default 1)\n"
          "      --contaminate EPS,S\n"
          "                       with probability EPS (0..1) add Laplace(0, S) noise to an\n"
          "                       observation's y (drawn after the clean data, from a\n"
          "                       generator of its own seeded from S; default: "
          "none)\n" CLI_HELP_OUTPUT CLI_HELP_HELP "\n"
          "The generator is GSL's MT19937 seeded with S; x is drawn first, then y.\n"
          "\n"
          "Example:\n"
          "  gmoe simulate --model softmax-truth.json -n 500 --seed 1 --design grid -o data.csv\n",
          fp);
}

/* --contaminate EPS,S: EPS in [0, 1], S > 0 (one message for every way to get it wrong). */
static int parse_contaminate(const char *arg, double *eps, double *scale)
{
    char *end, *end2;
    errno = 0;
    *eps = strtod(arg, &end);
    if (end != arg && *end == ',' && !isspace((unsigned char)end[1])) {
        *scale = strtod(end + 1, &end2);
        if (end2 != end + 1 && !*end2 && !errno && *eps >= 0 && *eps <= 1 && *scale > 0 &&
            isfinite(*scale))
            return 0;
    }
    return cli_usage_error("simulate: --contaminate must be EPS,S with EPS in [0, 1] and S > 0 "
                           "(got \"%s\")",
                           arg);
}

int main_simulate(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_HELP,    CLI_OPTION_MODEL,
        CLI_OPTION_OUTPUT,  CLI_OPTION_SEED,
        CLI_OPTIONS_DESIGN, {"contaminate", required_argument, NULL, OPT_CONTAMINATE},
        CLI_OPTION_END,
    };
    double eps = 0, scale = 1;
    cli_common co;
    cli_common_init(&co, "simulate");
    gmoe_model *model = NULL;
    gmoe_data *data = NULL;
    gmoe_error err;
    gmoe_error_clear(&err);
    size_t n = 0;
    cli_design cd;
    cli_design_init(&cd);
    gmoe_design des = gmoe_design_default();
    int rc = CLI_EXIT_OK, c;

    while ((c = getopt_long(argc, argv, ":hm:n:o:", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            goto out;
        case 'n':
            rc = cli_parse_count("-n", optarg, &n);
            break;
        case OPT_CONTAMINATE:
            rc = parse_contaminate(optarg, &eps, &scale);
            break;
        default:
            rc = cli_design_opt(&cd, c, optarg);
            if (rc < 0) rc = cli_common_opt(&co, c, optarg, argv);
            break;
        }
        if (rc) goto out;
    }
    if ((rc = cli_check_positional(&co, argc, argv, 0, 0, ""))) goto out;
    if (!co.model) {
        rc = cli_usage_error("simulate: --model FILE is required (see 'gmoe help simulate')");
        goto out;
    }
    if (n == 0) {
        rc = cli_usage_error("simulate: -n N is required (see 'gmoe help simulate')");
        goto out;
    }
    if ((rc = cli_design_get(&cd, "simulate", &des))) goto out;

    if (gmoe_model_read(co.model, &model, NULL, NULL, &err)) {
        rc = cli_lib_error(&err);
        goto out;
    }
    size_t d = gmoe_model_d(model);
    if ((rc = cli_design_model(&des, model, co.model))) goto out;
    if (des.kind == GMOE_DESIGN_GRID && d != 1) {
        cli_error("%s: the grid design needs a model with d = 1 (this one has d = %zu)", co.model,
                  d);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (n > SIZE_MAX / sizeof(double) / (d + 1)) {
        cli_error("simulate: -n %zu is too large for d = %zu", n, d);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (gmoe_sim_data(model, &des, n, co.seed, &data, &err)) {
        /* An observation that overflows: the model's parameters are too large for the design. */
        if (err.obs)
            cli_error("%s: simulated %s", co.model, err.msg);
        else
            cli_lib_error(&err);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (gmoe_sim_contaminate(data, eps, scale, co.seed, &err)) {
        rc = cli_lib_error(&err);
        goto out;
    }
    if (gmoe_csv_write(co.output, data, &err)) {
        rc = cli_lib_error(&err);
        goto out;
    }

out:
    gmoe_data_free(data);
    gmoe_model_free(model);
    cli_common_free(&co);
    return rc;
}
