/* gmoe: the command-line tool. One binary, one dispatcher: `gmoe CMD [args]` runs
 * main_<cmd> (cli/commands.h); the table below is the only place that lists the commands. */
#include <config.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "common.h"
#include "commands.h"

typedef struct command {
    const char *name;
    int (*main)(int argc, char **argv);
    const char *summary;
} command;

static const command commands[] = {
    {"simulate", main_simulate, "draw a data set (x, y) from a model"},
    {"loglik", main_loglik, "log-likelihood of a data set under a model"},
    {"fit", main_fit, "fit a mixture of experts by maximum likelihood (EM)"},
    {"select", main_select, "choose the number of experts: AIC, BIC, ICL and the DSC"},
    {"predict", main_predict, "gate weights, posteriors, means and densities per row"},
    {"sweep", main_sweep, "convergence-rate sweep: simulate, fit, evaluate over a grid of n"},
    {"merge", main_merge, "combine the results files of a sweep's shards into one"},
    {"rate", main_rate, "convergence rates (log-log slopes) from a sweep's results"},
    {"eval", main_eval, "compare a fitted model with the truth: Voronoi loss, distances"},
};

#define NCOMMANDS (sizeof commands / sizeof commands[0])

static const command *find_command(const char *name)
{
    for (size_t i = 0; i < NCOMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: gmoe COMMAND [OPTIONS] [ARGUMENTS]\n"
            "       gmoe help [COMMAND]\n"
            "       gmoe --version\n"
            "\n"
            "Statistical estimation in Gaussian mixtures of experts (version %s).\n"
            "\n"
            "Commands:\n",
            PACKAGE_VERSION);
    for (size_t i = 0; i < NCOMMANDS; i++)
        fprintf(fp, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(fp, "  %-10s %s\n", "help", "print this help, or a command's help");
    fprintf(fp,
            "\n"
            "Run 'gmoe help COMMAND' (or 'gmoe COMMAND --help') for a command's options.\n"
            "File formats: gmoe-formats(5). Example model and data files: %s\n"
            "Exit status: 0 success, 1 input or runtime error, 2 usage error.\n",
            GMOE_PKGDATADIR);
}

static int run_command(const command *cmd, int argc, char **argv)
{
    optind = 1; /* each subcommand parses its own argv with getopt_long */
    opterr = 0; /* and reports errors itself, as one "gmoe: " line */
    return cmd->main(argc, argv);
}

static int help(int argc, char **argv)
{
    if (argc < 2) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (argc > 2) return cli_usage_error("help: unexpected argument \"%s\"", argv[2]);
    if (strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
        strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    const command *cmd = find_command(argv[1]);
    if (!cmd) return cli_usage_error("unknown command \"%s\" (see 'gmoe help')", argv[1]);
    char *hargv[] = {(char *)cmd->name, "--help", NULL};
    return run_command(cmd, 2, hargv);
}

/* Flush and close stdout, so that a full disk or a closed pipe is an error, not silently lost
 * output. A stdout that was closed before gmoe started (EBADF) and never written to is fine. */
static int close_stdout(int status)
{
    int bad = fflush(stdout) != 0 || ferror(stdout);
    int e = errno;
    if (fclose(stdout) != 0 && !bad && errno != EBADF) {
        bad = 1;
        e = errno;
    }
    /* A command that failed has said why already (perhaps this same write error). */
    if (bad && status == CLI_EXIT_OK) {
        cli_error("standard output: write error: %s", strerror(e));
        status = CLI_EXIT_ERROR;
    }
    return status;
}

static int dispatch(int argc, char **argv)
{
    if (argc < 2) return cli_usage_error("no command given (see 'gmoe --help')");
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0) {
        usage(stdout);
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "--version") == 0) {
        printf("gmoe %s\n", PACKAGE_VERSION);
#ifdef HAVE_MPI
        printf("built with MPI: mpirun -n P gmoe sweep CONFIG runs on P processes\n");
#endif
        return CLI_EXIT_OK;
    }
    if (strcmp(name, "help") == 0) return help(argc - 1, argv + 1);
    if (name[0] == '-') return cli_usage_error("unknown option %s (see 'gmoe --help')", name);
    const command *cmd = find_command(name);
    if (!cmd) return cli_usage_error("unknown command \"%s\" (see 'gmoe help')", name);
    return run_command(cmd, argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
    return close_stdout(dispatch(argc, argv));
}
