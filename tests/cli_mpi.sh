#!/bin/sh
# gmoe sweep under MPI (a build with ./configure --with-mpi; make check sets GMOE_MPIRUN):
# mpirun -n 3 on this machine gives the file of a single-process run (the same header apart
# from the command line, the same rows apart from the times), and so do 1 rank and 2 ranks of
# 2 threads; only rank 0 prints; a partial file is resumed; a rank killed with SIGKILL (a
# worker, or rank 0, the writer) loses only its running task and the rerun completes the
# file; SIGINT stops after the running tasks; ranks that cannot load the config, or load
# another sweep, stop with one message; scripts/slurm-sweep-mpi.sh runs a sweep.
. "${srcdir:-.}/tests/testlib.sh"

if [ -z "${GMOE_MPIRUN:-}" ]; then
    echo "gmoe was built without MPI (./configure --with-mpi): skipped"
    exit 77
fi
# Open MPI refuses root unless told, and more ranks than cores unless told; its shared-memory
# transport's single-copy mechanism needs ptrace rights that containers often lack.
MPIRUN_FLAGS=""
if "$GMOE_MPIRUN" --version 2>/dev/null | grep -q 'Open MPI'; then
    MPIRUN_FLAGS="--oversubscribe"
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
    export OMPI_MCA_btl_vader_single_copy_mechanism=none
fi

# mpi P CMD...: CMD on P ranks, as run() does (stdout in out, stderr in err, $status).
mpi()
{
    p=$1
    shift
    run "$GMOE_MPIRUN" $MPIRUN_FLAGS -n "$p" "$@"
}

# canon FILE: what a single run's file must equal: the header without the "# command:"
# line, the column line, then the rows without the seconds column (the 8th), sorted.
canon()
{
    grep '^#' "$1" | grep -v '^# command: '
    grep -v '^#' "$1" | head -n 1
    grep -v '^#' "$1" | tail -n +2 | cut -d, -f1-7,9- | sort
}

# same_as_single FILE WHAT
same_as_single()
{
    checks=$((checks + 1))
    canon "$1" >got.canon
    cmp -s want.canon got.canon || fail "$2: not the single run's file: $(diff want.canon got.canon | head -n 4)"
    [ "$(grep -v '^#' "$1" | tail -n +2 | cut -d, -f1,2 | sort | uniq -d)" = "" ] ||
        fail "$2: a task written twice"
}

# Built with MPI, gmoe says so; run alone it is a single process (every other test).
expect_ok "$GMOE" --version
[ "$(sed -n 2p out)" = "built with MPI: mpirun -n P gmoe sweep CONFIG runs on P processes" ] ||
    fail "--version: $(cat out)"

# ---------------------------------------------------------------- the same file as one process
# 4 sizes x 6 replicates (24 tasks).
printf 'truth = %s\ndesign = grid 0 1\nk = 2\nn = log:300:3000:4\nreps = 6\nseed = 11\noutput = small.csv\n' \
    "$TRUTH" >small.conf
expect_ok "$GMOE" sweep --quiet --threads 2 -o single.csv small.conf
cp out single.out
canon single.csv >want.canon
[ "$(grep -v '^#' single.csv | tail -n +2 | wc -l)" -eq 24 ] || fail "single run: not 24 rows"

mpi 3 "$GMOE" sweep --threads 1 small.conf
[ "$status" -eq 0 ] || fail "mpirun -n 3: exit $status ($(cat err))"
same_as_single small.csv "mpirun -n 3"
grep -q "^# command: gmoe sweep --threads 1 small.conf$" small.csv || fail "mpirun -n 3: command line"
# Rank 0 alone speaks: the rate table once, as gmoe rate prints it, and one summary line.
cmp -s out single.out || fail "mpirun -n 3: stdout differs from a single run's rate table"
[ "$(wc -l <err)" -eq 1 ] && grep -q "$(summary 24 0 24 0 small.csv)" err ||
    fail "mpirun -n 3: stderr: $(cat err)"

mpi 2 "$GMOE" sweep --quiet --threads 2 -o two.csv small.conf
[ "$status" -eq 0 ] || fail "mpirun -n 2 --threads 2: exit $status ($(cat err))"
same_as_single two.csv "2 ranks of 2 threads"
mpi 1 "$GMOE" sweep --quiet -o one.csv small.conf
[ "$status" -eq 0 ] || fail "mpirun -n 1: exit $status ($(cat err))"
same_as_single one.csv "1 rank"
# A rank's OpenMP team cut to one thread: its communication thread computes too.
run env OMP_THREAD_LIMIT=1 "$GMOE_MPIRUN" $MPIRUN_FLAGS -n 2 "$GMOE" sweep --quiet -o solo.csv small.conf
[ "$status" -eq 0 ] || fail "OMP_THREAD_LIMIT=1: exit $status ($(cat err))"
same_as_single solo.csv "ranks of one thread"
# The shards of `--shard` under MPI, merged.
mpi 2 "$GMOE" sweep --quiet --shard 1/2 -o s1.csv small.conf
mpi 3 "$GMOE" sweep --quiet --shard 2/2 -o s2.csv small.conf
expect_ok "$GMOE" merge --quiet --config small.conf -o merged.csv s1.csv s2.csv
same_as_single merged.csv "MPI shards merged"
# scripts/slurm-sweep-mpi.sh as Slurm runs it in the allocation (2 tasks of 1 CPU).
SLURM_SWEEP_MPI=$GMOE_DATA/../scripts/slurm-sweep-mpi.sh
run env SLURM_CPUS_PER_TASK=1 GMOE="$GMOE" LAUNCHER="$GMOE_MPIRUN" \
    LAUNCHER_OPTIONS="$MPIRUN_FLAGS -n 2" sh "$SLURM_SWEEP_MPI" -o script.csv small.conf
[ "$status" -eq 0 ] || fail "slurm-sweep-mpi.sh: exit $status ($(cat err))"
same_as_single script.csv "slurm-sweep-mpi.sh"
grep -q '^loss ' out && grep -q '^gmoe sweep: 24/24 tasks' err ||
    fail "slurm-sweep-mpi.sh: no rate table or progress: $(cat out err)"
run sh "$SLURM_SWEEP_MPI"
[ "$status" -eq 2 ] && grep -q '^usage: sbatch' err || fail "slurm-sweep-mpi.sh without CONFIG: exit $status"

# ---------------------------------------------------------------- resume
# Nothing left to do.
mpi 3 "$GMOE" sweep -o small.csv small.conf
[ "$status" -eq 0 ] && grep -q "$(summary 24 24 0 0 small.csv)" err ||
    fail "complete file: exit $status, stderr $(cat err)"
# A partial file: the header, the column line, 10 rows and half of the 11th (a torn row).
nhead=$(grep -c '^#' single.csv)
head -n "$((nhead + 12))" single.csv >part.csv
size=$(wc -c <part.csv)
last=$(tail -n 1 part.csv | wc -c)
head -c "$((size - last / 2))" part.csv >partial.csv
mpi 3 "$GMOE" sweep -o partial.csv small.conf
[ "$status" -eq 0 ] && grep -q "$(summary 24 10 14 0 partial.csv)" err ||
    fail "partial file: exit $status, stderr $(cat err)"
same_as_single partial.csv "partial file resumed"

# ---------------------------------------------------------------- a rank killed
# 240 tasks without the density distances (about 2 s of CPU), killed with SIGKILL once rows
# are coming: rank 1 (a worker), then rank 0 (the writer). mpirun then ends the job; the
# rows written stay, and the same command completes the file.
{
    sed -e 's/^n .*/n      = log:3000:30000:4/' -e 's/^reps .*/reps   = 60/' \
        -e 's/^output .*/output = big.csv/' small.conf
    echo "metrics = loss params loglik"
} >big.conf
expect_ok "$GMOE" sweep --quiet --threads 2 -o bigref.csv big.conf
canon bigref.csv >want.canon

# rank_pid MPIRUN-PID RANK: the process of that rank (a child of mpirun on this machine).
rank_pid()
{
    for c in $(pgrep -P "$1"); do
        tr '\0' '\n' <"/proc/$c/environ" 2>/dev/null | grep -qx "OMPI_COMM_WORLD_RANK=$2" && echo "$c"
    done
}

partial=0
for victim in 1 0; do
    rm -f big.csv
    "$GMOE_MPIRUN" $MPIRUN_FLAGS -n 3 "$GMOE" sweep --quiet --threads 1 big.conf >/dev/null 2>mpirun.err &
    mp=$!
    wait_rows big.csv 20 "$mp"
    pid=$(rank_pid "$mp" "$victim")
    [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    wait "$mp"
    status=$?
    if [ "$status" -ne 0 ] && [ "$(result_rows big.csv)" -lt 240 ]; then
        partial=$((partial + 1))
    fi
    mpi 3 "$GMOE" sweep --threads 1 big.conf
    [ "$status" -eq 0 ] || fail "rank $victim killed, rerun: exit $status ($(cat err))"
    grep -q "$(summary 240 '[0-9]*' '[0-9]*' 0 big.csv)" err || fail "rank $victim killed, rerun: $(cat err)"
    same_as_single big.csv "rank $victim killed and the sweep rerun"
done
[ "$partial" -gt 0 ] || echo "note: every kill came after the sweep had finished (a fast machine)"

# SIGINT to mpirun: the running tasks are written, rank 0 says how far it got.
rm -f big.csv
interrupt 20 big.csv 240 "$GMOE_MPIRUN" $MPIRUN_FLAGS -n 3 "$GMOE" sweep --threads 1 big.conf
mpi 3 "$GMOE" sweep --quiet big.conf
[ "$status" -eq 0 ] || fail "SIGINT, rerun: exit $status ($(cat err))"
same_as_single big.csv "interrupted (SIGINT) and rerun"

# ---------------------------------------------------------------- errors: one message
mpi 3 "$GMOE" sweep nosuch.conf
[ "$status" -ne 0 ] || fail "missing config: exit 0"
[ "$(grep -c '^gmoe: ' err)" -eq 1 ] &&
    grep -q '^gmoe: nosuch.conf: cannot open: No such file or directory$' err ||
    fail "missing config: $(grep '^gmoe' err)"
# Rank 2 reads another seed; rank 1 a missing file.
sed 's/^seed .*/seed   = 12/' small.conf >seed12.conf
mpi 3 sh -c 'if [ "$OMPI_COMM_WORLD_RANK" = 2 ]; then c=seed12.conf; else c=small.conf; fi
    exec "$0" sweep -o other.csv "$c"' "$GMOE"
[ "$status" -ne 0 ] || fail "ranks with different sweeps: exit 0"
[ "$(grep -c '^gmoe: ' err)" -eq 1 ] &&
    grep -q '^gmoe: sweep: rank 2 read a different sweep from rank 0'"'"'s (another config, truth, seed or gmoe version): every rank must read the same files$' err ||
    fail "ranks with different sweeps: $(grep '^gmoe' err)"
mpi 3 sh -c 'if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then c=nosuch.conf; else c=small.conf; fi
    exec "$0" sweep -o other.csv "$c"' "$GMOE"
[ "$(grep -c '^gmoe: ' err)" -eq 1 ] &&
    grep -q '^gmoe: sweep: rank 1: nosuch.conf: cannot open: No such file or directory$' err ||
    fail "a rank without the config: $(grep '^gmoe' err)"
[ ! -e other.csv ] || fail "a failed start wrote other.csv"

finish
