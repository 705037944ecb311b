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

#include <stdlib.h>
#include "gmoe.h"
#include "common.h"

typedef struct cli_mpi {
    int rank, size; /* 0 and 1 without MPI */
    int started;    /* MPI_Init was called (cli_mpi_stop ends it) */
} cli_mpi;

/* Whether a launcher started this process, as its environment says: Open MPI's mpirun sets
 * OMPI_COMM_WORLD_RANK and _SIZE, PMI launchers (MPICH's mpiexec, srun --mpi=pmi2) PMI_RANK
 * and PMI_SIZE, PMIx ones (srun --mpi=pmix) PMIX_RANK. *rank and *size are what it says, or
 * 0 and 1. */
static inline int cli_mpi_launched(int *rank, int *size)
{
    static const char *const var[][2] = {
        {"OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE"},
        {"PMI_RANK", "PMI_SIZE"},
        {"PMIX_RANK", NULL},
    };
    *rank = 0, *size = 1;
    for (size_t i = 0; i < sizeof var / sizeof *var; i++) {
        const char *r = getenv(var[i][0]), *s = var[i][1] ? getenv(var[i][1]) : NULL;
        if (!r && !s) continue;
        *rank = r ? atoi(r) : 0;
        *size = s ? atoi(s) : 1;
        return 1;
    }
    return 0;
}

#ifdef HAVE_MPI
/* Start MPI if a launcher started this process. Returns 0, or CLI_EXIT_ERROR after printing
 * a message. (Without MPI: refuse to run as one of several processes, each of which would
 * run the whole sweep into the same file.) */
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
    int rank, size;
    m->rank = m->started = 0;
    m->size = 1;
    if (!cli_mpi_launched(&rank, &size) || (rank <= 0 && size <= 1)) return 0;
    if (rank == 0)
        cli_error("sweep: this gmoe was built without MPI (./configure --with-mpi): each of the "
                  "%d processes would run the whole sweep",
                  size);
    return CLI_EXIT_ERROR;
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
