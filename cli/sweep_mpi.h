/* gmoe sweep over MPI (./configure --with-mpi): `mpirun -n P gmoe sweep CONFIG` spreads the
 * tasks of a sweep over P processes (ranks), which may each run several threads.
 *
 * Rank 0 owns the results file: it resumes it and is its only writer, appending and flushing
 * each row as it arrives (gmoe_sweep_out_*), as a single process does, so the file has the
 * same rows. It hands the tasks out one at a time, largest n first, to whichever compute
 * thread asks first, its own or another rank's (dynamic scheduling). Every rank runs its
 * compute threads (--threads, else the config's threads, else OMP_NUM_THREADS or its cores)
 * plus one communication thread that sleeps between polls, so rank 0 computes as much as any
 * other rank. A rank that dies takes only the tasks its threads were running: the others are
 * in the file, and running the same command again resumes from them.
 *
 * MPI is started only in a process that a launcher started (mpirun, mpiexec, srun with PMI
 * or PMIx: their environment says so). A gmoe built with MPI and run alone does not touch
 * MPI, and in a build without MPI these functions are the single-process ones. */
#ifndef CLI_SWEEP_MPI_H
#define CLI_SWEEP_MPI_H

#include "gmoe.h"
#include "common.h"

typedef struct cli_mpi {
    int rank, size; /* 0 and 1 without MPI */
    int started;    /* MPI_Init was called (cli_mpi_stop ends it) */
} cli_mpi;

#ifdef HAVE_MPI
/* Start MPI if a launcher started this process. Returns 0, or CLI_EXIT_ERROR after printing
 * a message. */
int cli_mpi_start(cli_mpi *m);

/* Whether every rank loaded the same sweep: sw is this rank's (NULL if loading failed with
 * err). Collective. 0 if they all did; else CLI_EXIT_ERROR on every rank, and the message is
 * printed once: by rank 0 for its own error or a rank whose sweep differs from its own, else
 * by the first rank that failed. */
int cli_mpi_agree(const cli_mpi *m, const gmoe_sweep *sw, const gmoe_error *err);

/* gmoe_sweep_run over the ranks; collective. Rank 0 calls cb and gets the outcome and the
 * summary; on the other ranks *sum is zero and the return value GMOE_SUCCESS. */
int cli_mpi_sweep_run(const cli_mpi *m, gmoe_sweep *sw, const gmoe_sweep_options *opt,
                      gmoe_sweep_progress cb, void *cbdata, gmoe_sweep_summary *sum,
                      gmoe_error *err);

/* End MPI if cli_mpi_start started it. */
void cli_mpi_stop(cli_mpi *m);
#else
static inline int cli_mpi_start(cli_mpi *m)
{
    m->rank = m->started = 0;
    m->size = 1;
    return 0;
}
static inline int cli_mpi_agree(const cli_mpi *m, const gmoe_sweep *sw, const gmoe_error *err)
{
    (void)m;
    return sw ? 0 : cli_lib_error(err);
}
static inline int cli_mpi_sweep_run(const cli_mpi *m, gmoe_sweep *sw, const gmoe_sweep_options *opt,
                                    gmoe_sweep_progress cb, void *cbdata, gmoe_sweep_summary *sum,
                                    gmoe_error *err)
{
    (void)m;
    return gmoe_sweep_run(sw, opt, cb, cbdata, sum, err);
}
static inline void cli_mpi_stop(cli_mpi *m)
{
    (void)m;
}
#endif

#endif
