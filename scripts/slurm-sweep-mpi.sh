#!/bin/sh
# Run a gmoe sweep on a Slurm cluster as one MPI job (gmoe built with ./configure --with-mpi):
#
#   sbatch [SBATCH-OPTION...] scripts/slurm-sweep-mpi.sh CONFIG [GMOE-SWEEP-OPTION...]
#
# for example, 16 ranks of 4 threads on as many nodes as Slurm finds for them:
#
#   sbatch --ntasks=16 --cpus-per-task=4 --time=4:00:00 scripts/slurm-sweep-mpi.sh \
#       experiments/softmax-over-k3.conf
#
# One rank per Slurm task, each with --cpus-per-task threads (OMP_NUM_THREADS) on cores of
# its own; rank 0 writes the config's output (or -o FILE), and the log gets the progress
# lines and, at the end, the rate table. The job is resumable like any sweep: after a time
# limit, a lost node or a crashed rank (which ends the whole job), submit the same command
# again and it runs only the tasks that are not in the file yet. On a time limit Slurm sends
# SIGTERM: rank 0 then hands out no new task and writes the running ones, if they finish
# before Slurm's KillWait.
#
# The launcher is Open MPI's mpirun, which takes the nodes and the number of ranks from the
# allocation; LAUNCHER=srun uses `srun --mpi=pmix` instead (SRUN_MPI=pmi2 for PMI-2). Other
# launcher options go in LAUNCHER_OPTIONS; GMOE names the gmoe binary (default: gmoe in
# PATH). For a job array of independent shards instead (no MPI needed), see
# scripts/slurm-sweep.sh.
#
#SBATCH --job-name=gmoe-sweep-mpi
#SBATCH --ntasks=8
#SBATCH --cpus-per-task=4
#SBATCH --time=12:00:00
#SBATCH --output=gmoe-sweep-mpi-%j.log

set -eu
GMOE=${GMOE:-gmoe}
if [ $# -lt 1 ]; then
    echo "usage: sbatch [SBATCH-OPTION...] slurm-sweep-mpi.sh CONFIG [GMOE-SWEEP-OPTION...]" >&2
    exit 2
fi
threads=${SLURM_CPUS_PER_TASK:-1}
export OMP_NUM_THREADS="$threads"
case ${LAUNCHER:-mpirun} in
srun)
    # srun gives each task --cpus-per-task cores itself.
    exec srun --mpi="${SRUN_MPI:-pmix}" ${LAUNCHER_OPTIONS:-} "$GMOE" sweep --progress "$@"
    ;;
*)
    # Each rank gets its threads' cores (mpirun binds a rank to one core by default).
    exec "${LAUNCHER:-mpirun}" --map-by "slot:PE=$threads" ${LAUNCHER_OPTIONS:-} \
        "$GMOE" sweep --progress "$@"
    ;;
esac
