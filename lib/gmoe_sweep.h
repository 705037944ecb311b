/* gmoe_sweep: convergence-rate sweeps (MODELS.md section 5).
 *
 * A sweep config (text, `key = value` per line, `#` comments; man gmoe-formats(5)) names a
 * true model, the design of x, the fitted model, a grid of sample sizes, replicates, the
 * estimator's settings and the metrics. gmoe_sweep_run simulates, fits and evaluates every
 * task (n, rep) and appends one row per task to the results CSV as tasks finish. Every gate
 * family sweeps; `design = gate` (a Gaussian-gated truth only) draws x from the truth's own
 * gate mixture, for the simulations and the expected distances alike (gmoe_sim.h).
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
    GMOE_METRIC_LOGLIK = 1 << 5,      /* (loglik - loglik_truth) / n */
    GMOE_METRIC_CELLS = 1 << 8,       /* per-cell-size maxima of the atoms' errors (MODELS.md 7):
                                         cell<m>_beta1, _a, _b, _v for m = 1..k - k* + 1 */
    GMOE_METRIC_MERGED = 1 << 9,      /* the fit's dendrogram cut at k* atoms against the truth:
                                         loss_merged (D1), err_merged_<param>_<l> */
    GMOE_METRIC_SELECT = 1 << 10,     /* the number of experts chosen by the DSC, AIC, BIC and
                                         ICL of fits of k = 1..select_kmax (gmoe_select.h):
                                         k_dsc, k_aic, k_bic, k_icl, k_dsc_rescaled */
    GMOE_METRIC_COVERAGE = 1 << 11    /* exact-specified (k = k*) only: whether each true
                                         parameter lies in the fit's 95 % Wald interval
                                         (observed information, gmoe_infer.h), cells matched
                                         as in the loss: cover_<param>_<l>, 1 or 0 (NaN: no
                                         SEs, or cells not one expert each) */
};

typedef struct gmoe_sweep gmoe_sweep;

/* Read and check a config file. Errors name the file and line:
 *   sweep.conf:7: unknown key "kk"
 *   sweep.conf:3: k: expected a positive integer (got "two")
 * Relative paths in the config (truth, output) are relative to the config file. */
int gmoe_sweep_load(const char *path, gmoe_sweep **out, gmoe_error *err);
void gmoe_sweep_free(gmoe_sweep *sw);

/* The output path (resolved), the number of tasks, the sizes of the grid, the config's
 * threads (0 when it does not say). */
const char *gmoe_sweep_output(const gmoe_sweep *sw);
size_t gmoe_sweep_ntasks(const gmoe_sweep *sw);
const size_t *gmoe_sweep_sizes(const gmoe_sweep *sw, size_t *count);
size_t gmoe_sweep_reps(const gmoe_sweep *sw);
const gmoe_model *gmoe_sweep_truth(const gmoe_sweep *sw);
int gmoe_sweep_threads(const gmoe_sweep *sw);

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

/* ------------------------------------------------------------------ task by task
 *
 * gmoe_sweep_run is built from the parts below, which a driver that spreads the tasks itself
 * (the MPI driver of `gmoe sweep`, where one process writes the file and others compute) uses
 * the same way, so that its rows are the same:
 *
 *   gmoe_sweep_out_open     in the process that writes: check and resume the output (as
 *                           gmoe_sweep_run does) and list the tasks still to run
 *   gmoe_sweep_worker_run   in any thread of any process: one task -> its row
 *   gmoe_sweep_out_append   in the writing process, one row at a time, in any order
 *   gmoe_sweep_out_close    sync, close, summarise */

typedef struct gmoe_sweep_task {
    size_t n, rep; /* rep from 1 */
} gmoe_sweep_task;

typedef struct gmoe_sweep_out gmoe_sweep_out;

/* Open opt's output (NULL: the defaults) for appending: an existing file is checked and
 * resumed (a torn last line cut off), a missing one created with its header; errors as for
 * gmoe_sweep_run. *out is owned by the caller (gmoe_sweep_out_close); sw must outlive it. */
int gmoe_sweep_out_open(const gmoe_sweep *sw, const gmoe_sweep_options *opt, gmoe_sweep_out **out,
                        gmoe_error *err);

/* The tasks still to run, largest n first (then by rep), borrowed from out. */
size_t gmoe_sweep_out_tasks(const gmoe_sweep_out *out, const gmoe_sweep_task **tasks);

/* Append one row (as gmoe_sweep_worker_run returns it: one line ending in a newline) and
 * flush it. Not thread-safe. Errors: "PATH: write failed: REASON" (GMOE_EIO); a text that is
 * not one line (GMOE_EINVAL). */
int gmoe_sweep_out_append(gmoe_sweep_out *out, const char *row, gmoe_error *err);

/* Sync and close the output, fill *sum (may be NULL) and free out (NULL: a no-op). */
int gmoe_sweep_out_close(gmoe_sweep_out *out, gmoe_sweep_summary *sum, gmoe_error *err);

/* A workspace for running tasks of sw, one per thread; NULL when out of memory. sw must
 * outlive it. gmoe_sweep_worker_free(NULL) is a no-op. */
typedef struct gmoe_sweep_worker gmoe_sweep_worker;
gmoe_sweep_worker *gmoe_sweep_worker_alloc(const gmoe_sweep *sw);
void gmoe_sweep_worker_free(gmoe_sweep_worker *w);

/* Simulate, fit and evaluate task t; its row, borrowed from w until the next call, or NULL
 * when out of memory. A task that cannot run gives a row with status "failed". */
const char *gmoe_sweep_worker_run(gmoe_sweep_worker *w, gmoe_sweep_task t);

/* The header lines that identify sw's results (gmoe version, truth hash, seed, config,
 * theory) and the column line, as one malloc'ed text (the caller frees it). Two processes
 * whose signatures are equal compute the same row for every task. */
int gmoe_sweep_signature(const gmoe_sweep *sw, char **text, gmoe_error *err);

/* ------------------------------------------------------------------ merging results
 *
 * gmoe_sweep_merge combines results files of one sweep (the shards of `gmoe sweep --shard`,
 * or any partial results) into one file that is the same as a single run's, apart from the
 * seconds column and the "# command:" line:
 *
 *   # gmoe VERSION sweep results        (VERSION: the inputs' "# gmoe-version:")
 *   # command: COMMAND                  (omitted when command is NULL)
 *   the identity lines and the column line, as in every input
 *   the rows, sorted by (n, rep), each task once
 *
 * Every input must have the same identity lines (gmoe-version, truth-hash, seed, config,
 * theory) and column line as the first; other '#' lines and blank lines are skipped. A task
 * held twice (by two files or one) must have the same fields apart from seconds; the first
 * copy in input order is kept. A last line without its newline (a row torn by a kill) is an
 * error: `gmoe sweep` cuts it off when resuming, and merge does not guess. Errors name the
 * file and line:
 *   b.csv:4: "# seed: 8" does not match a.csv:4: "# seed: 7" (not the same sweep)
 *   a.csv:12 and b.csv:9: task (n = 300, rep = 2) differs (apart from seconds)
 *   b.csv:17: torn last line (no newline at the end): run the sweep that wrote it again, ...
 *
 * With a sweep sw (may be NULL), the inputs must also be its results (identity lines and
 * columns as sw gives them now), every row must be one of its tasks, and the summary counts
 * its tasks that no input holds. Missing tasks are not an error here: the merged file is
 * written, and `gmoe sweep -o OUTPUT CONFIG` can complete it.
 *
 * The output is written atomically (gmoe_file.h); it may be one of the inputs (they are read
 * first). "-" is standard output. */
typedef struct gmoe_sweep_merge_summary {
    size_t files;                  /* inputs read */
    size_t rows;                   /* rows read, copies included */
    size_t tasks;                  /* distinct tasks written */
    size_t duplicates;             /* rows that repeated a task already read */
    size_t missing;                /* tasks of sw that no input holds (0 without sw) */
    size_t missing_n, missing_rep; /* the first of them in (n, rep) order, if missing > 0 */
} gmoe_sweep_merge_summary;

int gmoe_sweep_merge(const char *const *inputs, size_t ninputs, const char *output,
                     const char *command, const gmoe_sweep *sw, gmoe_sweep_merge_summary *sum,
                     gmoe_error *err);

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
