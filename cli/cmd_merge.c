/* gmoe merge: one results file from the shards (or any partial results) of a sweep. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "commands.h"

enum { OPT_CONFIG = CLI_OPT_FIRST_LOCAL };

static void usage(FILE *fp)
{
    fputs("Usage: gmoe merge [-o OUT] [--config CONFIG] RESULTS.csv...\n"
          "\n"
          "Combine results files of one sweep (the shards of 'gmoe sweep --shard I/N', or any\n"
          "partial results) into one file, the same as a single run's apart from the seconds\n"
          "column and the command line: the inputs must have the same identity header lines\n"
          "and columns, rows are sorted by (n, rep), and a task held twice must have the same\n"
          "fields apart from seconds (one copy is kept). A torn last line is an error: run the\n"
          "sweep that wrote it again first. A summary goes to stderr.\n"
          "\n"
          "Options:\n"
          "  -o, --output FILE    merged results (default -: standard output); may be one of\n"
          "                       the inputs, it is replaced only once complete\n"
          "      --config CONFIG  also check that the inputs are CONFIG's results and hold all\n"
          "                       of its tasks; with tasks missing, the merge is written and\n"
          "                       the exit status is 1\n" CLI_HELP_QUIET CLI_HELP_HELP "\n"
          "Example:\n"
          "  gmoe merge --config sweep.conf -o all.csv shard-*.csv\n"
          "  gmoe rate all.csv\n",
          fp);
}

int main_merge(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_HELP,   {"config", required_argument, NULL, OPT_CONFIG},
        CLI_OPTION_OUTPUT, CLI_OPTION_QUIET,
        CLI_OPTION_END,
    };
    cli_common co;
    cli_common_init(&co, "merge");
    gmoe_sweep *sw = NULL;
    gmoe_error err;
    gmoe_error_clear(&err);
    const char *config = NULL;
    char *cmdline = NULL;
    int rc = CLI_EXIT_OK, c;

    while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            goto out;
        }
        if (c == OPT_CONFIG) {
            config = optarg;
            continue;
        }
        if ((rc = cli_common_opt(&co, c, optarg, argv))) goto out;
    }
    if ((rc = cli_check_positional(&co, argc, argv, 1, argc, "results files (RESULTS.csv)")))
        goto out;
    /* The command line goes into the merged header, as gmoe sweep records its own. */
    size_t len = 0;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    if ((cmdline = malloc(len + 6))) {
        strcpy(cmdline, "gmoe");
        for (int i = 0; i < argc; i++)
            strcat(strcat(cmdline, " "), argv[i]);
    }
    if (config && gmoe_sweep_load(config, &sw, &err)) {
        rc = cli_lib_error(&err);
        goto out;
    }
    gmoe_sweep_merge_summary sum;
    if (gmoe_sweep_merge((const char *const *)argv + optind, (size_t)(argc - optind), co.output,
                         cmdline, sw, &sum, &err)) {
        rc = cli_lib_error(&err);
        goto out;
    }
    const char *out = strcmp(co.output, "-") ? co.output : "standard output";
    if (co.progress != 0)
        fprintf(stderr, "gmoe merge: %zu file%s, %zu task%s (%zu duplicate row%s dropped) -> %s\n",
                sum.files, sum.files == 1 ? "" : "s", sum.tasks, sum.tasks == 1 ? "" : "s",
                sum.duplicates, sum.duplicates == 1 ? "" : "s", out);
    if (sum.missing) {
        cli_error("merge: %zu of %zu tasks of %s are missing (the first: n = %zu, rep = %zu); "
                  "%s holds the others",
                  sum.missing, gmoe_sweep_ntasks(sw), config, sum.missing_n, sum.missing_rep, out);
        rc = CLI_EXIT_ERROR;
    }
out:
    free(cmdline);
    gmoe_sweep_free(sw);
    cli_common_free(&co);
    return rc;
}
