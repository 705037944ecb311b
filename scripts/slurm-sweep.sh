#!/bin/sh
# Run a gmoe sweep on a Slurm cluster: a job array of shards, then a dependent merge job.
#
#   scripts/slurm-sweep.sh CONFIG SHARDS [SBATCH-OPTION...]
#
# submits (from the directory you run it in, where the files go):
#   - a job array of SHARDS tasks; array task I (0-based) runs
#       gmoe sweep --shard $((I+1))/SHARDS -o NAME-shards/shard-I.csv CONFIG
#     with OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK threads;
#   - a job that waits for the whole array to succeed (afterok) and runs
#       gmoe merge --config CONFIG -o NAME.csv NAME-shards/shard-*.csv
# where NAME is CONFIG's file name without .conf. Logs: NAME-shards/slurm-*.log.
#
# The SBATCH-OPTIONs (--partition, --account, --time, --cpus-per-task, --mem, ...) go to both
# jobs and override the defaults below. Each shard is a resumable gmoe sweep: if tasks of the
# array fail (a time limit, a node failure), the merge job never starts (scancel it); submit
# the same command again and every shard resumes from the rows it has written. gmoe merge
# checks that the shards belong to one sweep and that no task is missing (see gmoe-merge(1)).
#
# Example:
#   scripts/slurm-sweep.sh experiments/softmax-over-k3.conf 20 --partition=normal --time=4:00:00
#
# GMOE names the gmoe binary (default: gmoe in PATH). The script is its own batch script:
# Slurm runs it again with "shard" or "merge" as the first argument.
#
#SBATCH --job-name=gmoe-sweep
#SBATCH --cpus-per-task=8
#SBATCH --time=12:00:00
# On a time limit Slurm sends SIGTERM: gmoe sweep then starts no new task and writes the
# running ones; what does not finish in time is run again on resubmission.

set -eu
GMOE=${GMOE:-gmoe}

die()
{
    echo "slurm-sweep.sh: $*" >&2
    exit 1
}

# NAME and the shard directory of a config.
name_of()
{
    n=$(basename "$1")
    echo "${n%.conf}"
}

case ${1:-} in
shard)
    # An array task: its share of the tasks, into its own file.
    config=$2
    dir=$(name_of "$config")-shards
    : "${SLURM_ARRAY_TASK_ID:?not running as a Slurm array task}"
    : "${SLURM_ARRAY_TASK_COUNT:?not running as a Slurm array task}"
    export OMP_NUM_THREADS="${SLURM_CPUS_PER_TASK:-1}"
    mkdir -p "$dir"
    exec "$GMOE" sweep --progress --shard "$((SLURM_ARRAY_TASK_ID + 1))/$SLURM_ARRAY_TASK_COUNT" \
        -o "$dir/shard-$SLURM_ARRAY_TASK_ID.csv" "$config"
    ;;
merge)
    # After the array: one results file, checked against the config.
    config=$2
    name=$(name_of "$config")
    "$GMOE" merge --config "$config" -o "$name.csv" "$name-shards"/shard-*.csv
    exec "$GMOE" rate "$name.csv"
    ;;
esac

# Submission (on the login node).
[ $# -ge 2 ] || die "usage: slurm-sweep.sh CONFIG SHARDS [SBATCH-OPTION...]"
config=$1
shards=$2
shift 2
[ -r "$config" ] || die "$config: cannot read"
case $shards in '' | *[!0-9]*) die "SHARDS must be a positive integer (got \"$shards\")" ;; esac
[ "$shards" -ge 1 ] || die "SHARDS must be a positive integer (got \"$shards\")"
command -v sbatch >/dev/null || die "sbatch not found (is this a Slurm login node?)"
name=$(name_of "$config")
mkdir -p "$name-shards"

array=$(sbatch --parsable --array="0-$((shards - 1))" \
    --output="$name-shards/slurm-%A_%a.log" "$@" "$0" shard "$config")
array=${array%%;*} # --parsable prints JOBID or JOBID;CLUSTER
merge=$(sbatch --parsable --dependency="afterok:$array" --job-name=gmoe-merge \
    --cpus-per-task=1 --output="$name-shards/slurm-merge-%j.log" "$@" "$0" merge "$config")
merge=${merge%%;*}
echo "submitted: shards job array $array ($shards tasks), merge job $merge -> $name.csv"
