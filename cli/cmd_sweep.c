/* gmoe sweep: a convergence-rate sweep from a config file. */
#include <config.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "common.h"
#include "commands.h"
#include "sweep_mpi.h"

enum { OPT_THREADS = CLI_OPT_FIRST_LOCAL, OPT_SHARD };

static void usage(FILE *fp)
{
    fputs(
        "Usage: gmoe sweep [options] CONFIG\n"
        "\n"
        "Run the convergence-rate sweep that CONFIG describes (gmoe-formats(5)): for every\n"
        "sample size n of its grid and every replicate, simulate from the true model, fit,\n"
        "evaluate, and append one row to the results CSV. Tasks run in parallel, largest n\n"
        "first; each is seeded from (seed, n, replicate) alone, so the rows do not depend on\n"
        "the number of threads. Running the same command again after an interruption (Ctrl-C,\n"
        "a kill, a crash) resumes: finished rows are kept and only the missing tasks run.\n"
        "At the end (unless --shard) it prints the convergence rates as `gmoe rate` does.\n"
#ifdef HAVE_MPI
        "Under MPI (`mpirun -n P gmoe sweep CONFIG`) the tasks are spread over P processes,\n"
        "each with its threads; rank 0 writes the results file (gmoe-sweep(1)).\n"
#endif
        "\n"
        "Options:\n"
        "      --threads N      worker threads (default: the config's threads, else every core)\n"
        "  -o, --output FILE    results file (default: the config's output)\n"
        "      --shard I/N      run only the I-th of N interleaved shares of the tasks (I from\n"
        "                       1 to N), for sweeps split over several machines\n" CLI_HELP_PROGRESS
            CLI_HELP_QUIET CLI_HELP_HELP "\n"
        "Example:\n"
        "  gmoe sweep experiments/softmax-exact-k2-quick.conf\n"
        "  gmoe rate experiments/softmax-exact-k2-quick.csv\n",
        fp);
}

static volatile sig_atomic_t interrupted;

/* The first SIGINT or SIGTERM asks the sweep to stop once the running tasks are written; the
 * handler is then reset (SA_RESETHAND), so a second one stops at once, losing only the
 * running tasks (a torn row is cut off on resume). */
static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

typedef struct progress {
    int show;     /* report at all */
    int tty;      /* a bar rewritten in place; else a line per tenth of the tasks (a log) */
    int open;     /* the bar's line is not yet ended */
    size_t shown; /* tasks done at the last line (not on a terminal) */
    double t0;
} progress;

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int progress_cb(size_t done, size_t total, void *data)
{
    progress *p = data;
    if (p->show && (p->tty || done == total || 10 * (done - p->shown) >= total)) {
        double el = now() - p->t0, rate = el > 0 ? (double)done / el : 0;
        double eta = rate > 0 ? (double)(total - done) / rate : 0;
        int h = (int)(eta / 3600), m = (int)(eta / 60) % 60, sec = (int)eta % 60;
        if (p->tty) {
            int width = 30;
            int fill = total ? (int)((double)width * (double)done / (double)total) : width;
            fprintf(stderr, "\r[%.*s%*s] %zu/%zu tasks  %.1f/s  ETA %02d:%02d:%02d ", fill,
                    "##############################", width - fill, "", done, total, rate, h, m,
                    sec);
            p->open = done < total;
            if (done == total) fputc('\n', stderr);
        } else {
            fprintf(stderr, "gmoe sweep: %zu/%zu tasks  %.1f/s  ETA %02d:%02d:%02d\n", done, total,
                    rate, h, m, sec);
            p->shown = done;
        }
        fflush(stderr);
    }
    return interrupted != 0;
}

static int parse_shard(const char *arg, size_t *i, size_t *n)
{
    unsigned long a, b;
    char tail;
    if (sscanf(arg, "%lu/%lu%c", &a, &b, &tail) != 2 || b < 1 || a < 1 || a > b || b > 100000)
        return cli_usage_error("sweep: --shard must be I/N with 1 <= I <= N (got \"%s\")", arg);
    *i = a - 1;
    *n = b;
    return 0;
}

int main_sweep(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_HELP,
        {"threads", required_argument, NULL, OPT_THREADS},
        {"shard", required_argument, NULL, OPT_SHARD},
        CLI_OPTION_OUTPUT,
        CLI_OPTION_PROGRESS,
        CLI_OPTION_QUIET,
        CLI_OPTION_END,
    };
    cli_common co;
    cli_common_init(&co, "sweep");
    gmoe_sweep *sw = NULL;
    gmoe_sweep_options opt = gmoe_sweep_default_options();
    gmoe_error err;
    gmoe_error_clear(&err);
    int rc = CLI_EXIT_OK, c;
    char *cmdline = NULL;
    cli_mpi mpi = {0, 1, 0};

    while ((c = getopt_long(argc, argv, ":ho:", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            goto out;
        }
        if (c == OPT_THREADS) {
            size_t t;
            if ((rc = cli_parse_count("--threads", optarg, &t))) goto out;
            if (t > 4096) {
                rc = cli_usage_error("sweep: --threads must be at most 4096");
                goto out;
            }
            opt.threads = (int)t;
            continue;
        }
        if (c == OPT_SHARD) {
            if ((rc = parse_shard(optarg, &opt.shard, &opt.nshards))) goto out;
            continue;
        }
        if (c == 'o' && strcmp(optarg, "-") == 0) {
            rc = cli_usage_error("sweep: -o must name a file: the results are appended to it as "
                                 "tasks finish (see 'gmoe help sweep')");
            goto out;
        }
        if ((rc = cli_common_opt(&co, c, optarg, argv))) goto out;
    }
    if ((rc = cli_check_positional(&co, argc, argv, 1, 1, "config file (CONFIG)"))) goto out;
    if (strcmp(co.output, "-") != 0) opt.output = co.output;
    /* The command line goes into the results header. */
    size_t len = 0;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    cmdline = malloc(len + 6);
    if (cmdline) {
        strcpy(cmdline, "gmoe");
        for (int i = 0; i < argc; i++)
            strcat(strcat(cmdline, " "), argv[i]);
        opt.command = cmdline;
    }
    if ((rc = cli_mpi_start(&mpi))) goto out;
    int lrc = gmoe_sweep_load(argv[optind], &sw, &err);
    if ((rc = cli_mpi_agree(&mpi, lrc ? NULL : sw, &err))) goto out;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    /* Under MPI rank 0 speaks for the run. */
    progress pr = {mpi.rank == 0 && cli_progress_enabled(&co), cli_isatty(stderr), 0, 0, now()};
    gmoe_sweep_summary sum;
    const char *out = opt.output ? opt.output : gmoe_sweep_output(sw);
    int failed = cli_mpi_sweep_run(&mpi, sw, &opt, progress_cb, &pr, &sum, &err);
    if (pr.open) fputc('\n', stderr); /* end the bar before a message */
    if (failed) {
        rc = cli_lib_error(&err);
        goto out;
    }
    if (mpi.rank != 0) goto out;
    if (interrupted) {
        cli_error("sweep: interrupted after %zu of %zu tasks; %s keeps them: run the same "
                  "command again to resume",
                  sum.done + sum.skipped, sum.tasks, out);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (co.progress != 0)
        fprintf(stderr,
                "gmoe sweep: %zu task%s (%zu resumed, %zu run, %zu failed) in %.1f s -> %s\n",
                sum.tasks, sum.tasks == 1 ? "" : "s", sum.skipped, sum.done, sum.failed,
                sum.seconds, out);
    if (opt.nshards <= 1) {
        /* The rates, as `gmoe rate` prints them (getopt restarts with optind = 0). */
        char *rargv[] = {(char *)"rate", (char *)out, NULL};
        fflush(stdout);
        optind = 0;
        rc = main_rate(2, rargv);
    }
out:
    cli_mpi_stop(&mpi);
    free(cmdline);
    gmoe_sweep_free(sw);
    cli_common_free(&co);
    return rc;
}
