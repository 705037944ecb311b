/* gmoe_sweep: convergence-rate sweeps (MODELS.md section 5).
 *
 * A sweep config (text, `key = value` per line, `#` comments; man gmoe-formats(5)) names a
 * true model, the design of x, the fitted model, a grid of sample sizes, replicates, the
 * estimator's settings and the metrics. gmoe_sweep_run simulates, fits and evaluates every
 * task (n, rep) and appends one row per task to the results CSV as tasks finish.
 *
 * Reproducibility: task (n, rep) draws its data from a generator seeded with
 * gmoe_sim_seed(seed, n, rep) and seeds its fit's starts from that seed alone, so its row is
 * the same whatever the number of threads or the order of execution. Tasks run in parallel
 * with OpenMP, largest n first, dynamic scheduling.
 *
 * Nothing lost: rows are written whole and flushed as tasks finish; running the same sweep
 * again resumes it: the rows already in the output are kept (a torn last line from a kill is
 * cut off) and only the missing tasks run. An output written under another config is an
 * error rather than a silent mix. */
#ifndef GMOE_SWEEP_H
#define GMOE_SWEEP_H

#include <stddef.h>
#include "gmoe_error.h"
#include "gmoe_model.h"
#include "gmoe_sim.h"
#include "gmoe_fit.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Metrics a sweep can record (bit mask). */
enum {
    GMOE_METRIC_LOSS = 1 << 0,        /* Voronoi loss (D1/D2), infimum over translations */
    GMOE_METRIC_LOSS_PINNED = 1 << 1, /* the published code's pinned-gate variant */
    GMOE_METRIC_HELLINGER = 1 << 2,   /* E_X Hellinger distance */
    GMOE_METRIC_TV = 1 << 3,          /* E_X total variation */
    GMOE_METRIC_PARAMS = 1 << 4,      /* per-parameter errors per true expert */
    GMOE_METRIC_LOGLIK = 1 << 5       /* (loglik - loglik_truth) / n */
};

typedef struct gmoe_sweep gmoe_sweep;

/* Read and check a config file. Errors name the file and line:
 *   sweep.conf:7: unknown key "kk"
 *   sweep.conf:3: k: expected a positive integer (got "two")
 * Relative paths in the config (truth, output) are relative to the config file. */
int gmoe_sweep_load(const char *path, gmoe_sweep **out, gmoe_error *err);
void gmoe_sweep_free(gmoe_sweep *sw);

/* The output path (resolved), the number of tasks, the sizes of the grid. */
const char *gmoe_sweep_output(const gmoe_sweep *sw);
size_t gmoe_sweep_ntasks(const gmoe_sweep *sw);
const size_t *gmoe_sweep_sizes(const gmoe_sweep *sw, size_t *count);
size_t gmoe_sweep_reps(const gmoe_sweep *sw);
const gmoe_model *gmoe_sweep_truth(const gmoe_sweep *sw);

typedef struct gmoe_sweep_options {
    int threads;           /* 0: the config's `threads`, which defaults to every core */
    const char *output;    /* NULL: the config's output */
    const char *command;   /* the command line, recorded in the header (may be NULL) */
    size_t shard, nshards; /* run only tasks t with t % nshards == shard (nshards 0 or 1: all) */
} gmoe_sweep_options;

gmoe_sweep_options gmoe_sweep_default_options(void);

typedef struct gmoe_sweep_summary {
    size_t tasks;   /* tasks of this run (shard) */
    size_t skipped; /* already in the output (resumed) */
    size_t done;    /* run now */
    size_t failed;  /* rows with status "failed" (a fit that could not run; NaN metrics) */
    double seconds;
} gmoe_sweep_summary;

/* Called after each finished task, from one thread at a time. A nonzero return asks the run
 * to stop (running tasks finish and are written). */
typedef int (*gmoe_sweep_progress)(size_t done, size_t total, void *data);

int gmoe_sweep_run(gmoe_sweep *sw, const gmoe_sweep_options *opt, gmoe_sweep_progress cb,
                   void *cbdata, gmoe_sweep_summary *sum, gmoe_error *err);

/* Parse a size list as in configs: items separated by commas or blanks, each N, A:B:M or
 * lin:A:B:M (M sizes linearly from A to B), or log:A:B:M (log-spaced); sizes are rounded to
 * the nearest integer, duplicates dropped, order kept; at most 1000000 sizes in all, counted
 * before duplicates are dropped ("more than 1000000 sizes"). *sizes is malloc'ed (caller
 * frees). */
int gmoe_sweep_parse_sizes(const char *text, size_t **sizes, size_t *count, gmoe_error *err);

#ifdef __cplusplus
}
#endif
#endif
