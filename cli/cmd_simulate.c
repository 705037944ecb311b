/* gmoe simulate: draw a data set from a model file. */
#include <config.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "common.h"
#include "commands.h"

static void usage(FILE *fp)
{
    fputs("Usage: gmoe simulate --model FILE -n N [--seed S] [--design uniform|grid|normal]\n"
          "                     [--lo A --hi B | --mean M --sd S] [-o FILE]\n"
          "\n"
          "Draw n observations (x_i, y_i): x from a design, y | x from the model. Writes CSV\n"
          "with a header x1,...,xd,y and numbers with 17 significant digits. The same\n"
          "arguments give the same bytes on every run and every machine.\n"
          "\n"
          "Options:\n" CLI_HELP_MODEL
          "  -n N                 number of observations, a positive integer (1e6 is accepted);\n"
          "                       required\n" CLI_HELP_SEED
          "      --design KIND    how x is drawn (default uniform):\n"
          "                         uniform  every covariate ~ U(lo, hi), independently\n"
          "                         grid     d = 1 only: x_i = lo + (i-1)(hi-lo)/(n-1)\n"
          "                         normal   every covariate ~ N(mean, sd^2), independently\n"
          "      --lo A           lower end for uniform and grid (default 0)\n"
          "      --hi B           upper end for uniform and grid (default 1)\n"
          "      --mean M         mean for normal (default 0)\n"
          "      --sd S           standard deviation for normal, > 0 (default 1)\n" CLI_HELP_OUTPUT
              CLI_HELP_HELP "\n"
          "The generator is GSL's MT19937 seeded with S; x is drawn first, then y.\n"
          "\n"
          "Example:\n"
          "  gmoe simulate --model softmax-truth.json -n 500 --seed 1 --design grid -o data.csv\n",
          fp);
}

enum { OPT_DESIGN = CLI_OPT_FIRST_LOCAL, OPT_LO, OPT_HI, OPT_MEAN, OPT_SD };

/* Which design options were given, to reject those that do not fit the design. */
typedef struct given {
    int lo, hi, mean, sd;
} given;

static int check_design_options(const gmoe_design *des, const given *g)
{
    if (des->kind == GMOE_DESIGN_NORMAL) {
        if (g->lo || g->hi)
            return cli_usage_error("simulate: %s is not used by --design normal (use --mean "
                                   "and --sd)",
                                   g->lo ? "--lo" : "--hi");
    } else if (g->mean || g->sd) {
        return cli_usage_error("simulate: %s is only used by --design normal (--design %s "
                               "takes --lo and --hi)",
                               g->mean ? "--mean" : "--sd", gmoe_design_name(des->kind));
    }
    return 0;
}

int main_simulate(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_HELP,
        CLI_OPTION_MODEL,
        CLI_OPTION_OUTPUT,
        CLI_OPTION_SEED,
        {"design", required_argument, NULL, OPT_DESIGN},
        {"lo", required_argument, NULL, OPT_LO},
        {"hi", required_argument, NULL, OPT_HI},
        {"mean", required_argument, NULL, OPT_MEAN},
        {"sd", required_argument, NULL, OPT_SD},
        CLI_OPTION_END,
    };
    cli_common co;
    cli_common_init(&co, "simulate");
    gmoe_model *model = NULL;
    gmoe_data *data = NULL;
    gmoe_error err;
    gmoe_error_clear(&err);
    size_t n = 0;
    double lo = 0, hi = 1, mean = 0, sd = 1;
    gmoe_design des = gmoe_design_default();
    given g = {0, 0, 0, 0};
    int rc = CLI_EXIT_OK, c;

    while ((c = getopt_long(argc, argv, ":hm:n:o:", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            goto out;
        case 'n':
            rc = cli_parse_count("-n", optarg, &n);
            break;
        case OPT_DESIGN:
            if (gmoe_design_parse(optarg, &des.kind))
                rc = cli_usage_error("--design must be uniform, grid or normal (got \"%s\")",
                                     optarg);
            break;
        case OPT_LO:
            rc = cli_parse_double("--lo", optarg, &lo);
            g.lo = 1;
            break;
        case OPT_HI:
            rc = cli_parse_double("--hi", optarg, &hi);
            g.hi = 1;
            break;
        case OPT_MEAN:
            rc = cli_parse_double("--mean", optarg, &mean);
            g.mean = 1;
            break;
        case OPT_SD:
            rc = cli_parse_positive_double("--sd", optarg, &sd);
            g.sd = 1;
            break;
        default:
            rc = cli_common_opt(&co, c, optarg, argv);
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
    if ((rc = check_design_options(&des, &g))) goto out;
    des.p1 = des.kind == GMOE_DESIGN_NORMAL ? mean : lo;
    des.p2 = des.kind == GMOE_DESIGN_NORMAL ? sd : hi;
    /* Everything the command line alone can show is a usage error: check the design's
     * parameters now, as for d = 1; the model's d is checked once the model is read. */
    if (gmoe_design_validate(&des, 1, &err)) {
        rc = cli_usage_error("simulate: %s", err.msg);
        goto out;
    }

    if (gmoe_model_read(co.model, &model, NULL, NULL, &err)) {
        rc = cli_lib_error(&err);
        goto out;
    }
    size_t d = gmoe_model_d(model);
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
    if (gmoe_sim_data(model, &des, n, co.seed, &data, &err) ||
        gmoe_csv_write(co.output, data, &err)) {
        rc = cli_lib_error(&err);
        goto out;
    }

out:
    gmoe_data_free(data);
    gmoe_model_free(model);
    cli_common_free(&co);
    return rc;
}
