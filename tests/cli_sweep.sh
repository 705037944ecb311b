#!/bin/sh
# gmoe sweep end to end: the results header and columns; the same rows for 1 and 2 threads and
# for two shards; the data of a task from (seed, n, rep) alone; resume after SIGKILL at several
# points, after SIGINT and from a torn last row; outputs of another config refused; config
# and usage errors; sigmoid and Gaussian gates (design = gate); a quick published experiment
# whose Hellinger slope interval holds -0.5.
. "${srcdir:-.}/tests/testlib.sh"

EXPERIMENTS=$GMOE_DATA/../experiments

# rows FILE...: the result rows of the files (no # lines, no column line) without the
# seconds column (the 8th, the only one that may differ between runs), sorted.
rows()
{
    for f; do grep -v '^#' "$f" | tail -n +2; done | cut -d, -f1-7,9- | sort
}

# same_rows A B WHAT: the files A and B hold the same rows (as rows() shows them).
same_rows()
{
    checks=$((checks + 1))
    if ! cmp -s "$1" "$2"; then
        fail "$3: rows differ: $(diff "$1" "$2" | head -n 4)"
    fi
}

# ---------------------------------------------------------------- a small sweep
# 4 sizes (300, 646, 1392, 3000) x 4 replicates.
cat >small.conf <<EOF
# A small sweep for the tests.
truth  = $TRUTH   # the published softmax truth
design = grid 0 1
k      = 2
n      = log:300:3000:4
reps   = 4
seed   = 7
output = small.csv
EOF

run "$GMOE" sweep --threads 1 small.conf
[ "$status" -eq 0 ] || fail "sweep --threads 1: exit $status ($(cat err))"
# At the end the rate table of gmoe rate, on stdout.
head -n 1 out | grep -q '^# slopes of log(mean) on log(n)' &&
    grep -q '^loss  ' out || fail "sweep: no rate table on stdout: $(head -c 300 out)"
grep -q "$(summary 16 0 16 0 small.csv)" err || fail "sweep: stderr: $(cat err)"
cp small.csv t1.csv

# The header: version, command, seed, the config line by line, then the columns.
{
    echo "# gmoe $GMOE_VERSION sweep results"
    echo "# command: gmoe sweep --threads 1 small.conf"
    echo "# gmoe-version: $GMOE_VERSION"
    echo "# seed: 7"
    sed 's/^/# config: /' small.conf
    echo "n,rep,loglik,loglik_truth,iterations,maps,status,seconds,loss,loss_pinned,hellinger,tv,err_beta0_1,err_beta1_1,err_a_1,err_b_1,err_v_1,err_beta0_2,err_beta1_2,err_a_2,err_b_2,err_v_2,loglik_gap"
} >want-header
# The truth's hash (FNV-1a of the truth as gmoe writes it) is checked for its form only.
grep -q '^# truth-hash: [0-9a-f]\{16\}$' t1.csv || fail "results header: no truth-hash line"
grep -v '^# truth-hash: ' t1.csv | head -n "$(wc -l <want-header)" >header
cmp -s header want-header || fail "results header: $(diff want-header header | head -n 6)"
# One row per task, every field a number (status aside), loglik_gap = (loglik - loglik_truth)/n.
rows t1.csv >r1
[ "$(wc -l <r1)" -eq 16 ] || fail "expected 16 rows, got $(wc -l <r1)"
[ "$(cut -d, -f1,2 r1 | sort -u | tr '\n' ' ')" = \
    "1392,1 1392,2 1392,3 1392,4 300,1 300,2 300,3 300,4 3000,1 3000,2 3000,3 3000,4 646,1 646,2 646,3 646,4 " ] ||
    fail "tasks: $(cut -d, -f1,2 r1 | tr '\n' ' ')"
grep -v '^#' t1.csv | tail -n +2 | awk -F, '
    NF != 23 { print "row " NR ": " NF " fields"; bad = 1 }
    $7 != "converged" && $7 != "max-iterations" && $7 != "degenerate" && $7 != "gate-divergent" {
        print "row " NR ": status " $7; bad = 1 }
    {
        g = ($3 - $4) / $1; d = g - $23; if (d < 0) d = -d
        if (d > 1e-9 * (g < 0 ? -g : g) + 1e-12) { print "row " NR ": loglik_gap " $23 " != " g; bad = 1 }
        for (i = 9; i <= 22; i++) if ($i !~ /^[0-9.e+-]+$/) { print "row " NR ": field " i " = " $i; bad = 1 }
    }
    END { exit bad }' >awk.out || fail "rows: $(head -n 3 awk.out)"

# check_task RESULTS TRUTH SEED N REP DESIGN-OPTION...: the data of task (N, REP) of a sweep
# seeded with SEED are gmoe simulate's with the seed low 32 bits of
# SplitMix64(SplitMix64(SplitMix64(SEED) ^ N) ^ REP) and the design options:
# RESULTS' loglik_truth checks it (skipped without python3).
check_task()
{
    [ -x /usr/bin/python3 ] || return 0
    res=$1 model=$2 seed=$3 tn=$4 trep=$5
    shift 5
    s=$(/usr/bin/python3 -c '
import sys
M = (1 << 64) - 1
def sm(z):
    z = (z + 0x9e3779b97f4a7c15) & M
    z = ((z ^ (z >> 30)) * 0xbf58476d1ce4e5b9) & M
    z = ((z ^ (z >> 27)) * 0x94d049bb133111eb) & M
    return z ^ (z >> 31)
seed, n, rep = map(int, sys.argv[1:])
print((sm(sm(sm(seed) ^ n) ^ rep) & 0xffffffff) or 1)' "$seed" "$tn" "$trep")
    expect_ok "$GMOE" simulate --model "$model" -n "$tn" --seed "$s" "$@" -o task.csv
    expect_ok "$GMOE" loglik --model "$model" task.csv
    want=$(grep "^$tn,$trep," "$res" | cut -d, -f4)
    same_number "$(cat out)" "$want" 1e-11 ||
        fail "$res: loglik_truth of task ($tn, $trep): $want, gmoe loglik: $(cat out) ($*)"
}
check_task t1.csv "$TRUTH" 7 1392 3 --design grid --lo 0 --hi 1

# Two threads, and the two shards of 2 (with different thread counts), give the same rows.
expect_ok "$GMOE" sweep --quiet --threads 2 -o t2.csv small.conf
rows t2.csv >r2
same_rows r1 r2 "1 thread vs 2 threads"
expect_ok "$GMOE" sweep --quiet --threads 2 --shard 1/2 -o s1.csv small.conf
expect_ok "$GMOE" sweep --quiet --threads 1 --shard 2/2 -o s2.csv small.conf
[ "$(rows s1.csv | wc -l)" -eq 8 ] && [ "$(rows s2.csv | wc -l)" -eq 8 ] ||
    fail "shards: $(rows s1.csv | wc -l) and $(rows s2.csv | wc -l) rows, expected 8 and 8"
rows s1.csv s2.csv >rs
same_rows r1 rs "1 thread vs shards 1/2 + 2/2"
# Shards merged by hand (the first file whole, the rows of the others): a complete sweep
# that gmoe sweep resumes with nothing to do and gmoe rate reads.
{ cat s1.csv; grep -v '^#' s2.csv | tail -n +2; } >merged.csv
run "$GMOE" sweep -o merged.csv small.conf
[ "$status" -eq 0 ] && grep -q "$(summary 16 16 0 0 merged.csv)" err ||
    fail "merged shards: exit $status, stderr $(cat err)"
expect_ok "$GMOE" rate --metric loss merged.csv
# A shard run into a file that holds the other shard completes it.
cp s1.csv grow.csv
run "$GMOE" sweep --threads 2 -o grow.csv small.conf
grep -q "$(summary 16 8 8 0 grow.csv)" err || fail "completing a shard: $(cat err)"
rows grow.csv >rg
same_rows r1 rg "shard 1/2 completed by a full run"

# Progress: --progress off a terminal writes a line per tenth of the tasks, --quiet nothing.
rm -f p.csv
run "$GMOE" sweep --progress --threads 2 -o p.csv small.conf
[ "$status" -eq 0 ] || fail "--progress: exit $status"
grep -q '^gmoe sweep: 16/16 tasks  [0-9.]*/s  ETA 00:00:00$' err ||
    fail "--progress: no final progress line: $(cat err)"
[ "$(grep -c '^gmoe sweep: [0-9]*/16 tasks' err)" -ge 2 ] || fail "--progress: $(cat err)"
expect_ok "$GMOE" sweep --quiet -o p.csv small.conf

# accel = qn (quasi-Newton): the same maxima as SQUAREM on these well-identified fits.
sed 's/^output = small.csv/output = smallqn.csv/' small.conf >smallqn.conf
echo "accel = qn" >>smallqn.conf
expect_ok "$GMOE" sweep --quiet --threads 1 smallqn.conf
rows smallqn.csv >rq
[ "$(cut -d, -f1,2 rq | tr '\n' ' ')" = "$(cut -d, -f1,2 r1 | tr '\n' ' ')" ] ||
    fail "accel = qn: other tasks than small.conf's"
paste -d, r1 rq | awk -F, -v nf=22 '{ d = $3 - $(nf + 3); if (d < 0) d = -d
    if (d > 1e-6 * $1) { print "n " $1 " rep " $2 ": loglik " $3 " vs " $(nf + 3); bad = 1 } }
    END { exit bad }' >qn-diff || fail "accel = qn: $(cat qn-diff)"

# ---------------------------------------------------------------- sigmoid and Gaussian gates
# Both families sweep; the Gaussian gate's design = gate draws x from the truth's own gate
# (task data as gmoe simulate --design gate gives them, checked through loglik_truth), and
# its rows carry err_gamma_l (the gate covariance's error) after err_beta1_l.
printf 'truth = %s\ndesign = gate\nk = 2\ngate = gaussian\nn = 300, 600\nreps = 2\nseed = 7\nmetrics = loss params\n' \
    "$GMOE_DATA/gaussian-truth.json" >gauss.conf
expect_ok "$GMOE" sweep --quiet --threads 2 gauss.conf
[ "$(grep -v '^#' gauss.csv | head -n 1)" = "n,rep,loglik,loglik_truth,iterations,maps,status,seconds,loss,err_beta0_1,err_beta1_1,err_gamma_1,err_a_1,err_b_1,err_v_1,err_beta0_2,err_beta1_2,err_gamma_2,err_a_2,err_b_2,err_v_2" ] ||
    fail "gaussian sweep columns: $(grep -v '^#' gauss.csv | head -n 1)"
[ "$(rows gauss.csv | wc -l)" -eq 4 ] || fail "gaussian sweep: $(rows gauss.csv | wc -l) rows"
rows gauss.csv | awk -F, '$7 != "converged" || !($8 > 0 && $8 < 1) { bad++ } END { exit bad > 0 }' ||
    fail "gaussian sweep: a fit did not converge or its loss is off: $(rows gauss.csv)"
check_task gauss.csv "$GMOE_DATA/gaussian-truth.json" 7 600 2 --design gate
printf 'truth = %s\ndesign = uniform -3 3\nk = 2\ngate = sigmoid\nn = 300, 600\nreps = 2\nmetrics = loss hellinger\n' \
    "$GMOE_DATA/sigmoid-truth.json" >sig.conf
expect_ok "$GMOE" sweep --quiet --threads 2 sig.conf
[ "$(rows sig.csv | wc -l)" -eq 4 ] || fail "sigmoid sweep: $(rows sig.csv | wc -l) rows"
rows sig.csv | awk -F, '$7 == "failed" || !($9 > 0 && $9 < 1) { bad++ } END { exit bad > 0 }' ||
    fail "sigmoid sweep: a failed fit or a Hellinger distance off: $(rows sig.csv)"

# ---------------------------------------------------------------- resume
# A larger sweep (240 tasks, about 2 s of CPU: larger n, but no density distances, which
# dominate the cost of small tasks), killed with SIGKILL at several points and rerun: the
# rows of an uninterrupted run, each task once.
{
    sed -e 's/^n .*/n      = log:3000:30000:4/' -e 's/^reps .*/reps   = 60/' \
        -e 's/^output .*/output = big.csv/' small.conf
    echo "metrics = loss params loglik"
} >big.conf
expect_ok "$GMOE" sweep --quiet --threads 2 -o ref.csv big.conf
rows ref.csv >rref
[ "$(wc -l <rref)" -eq 240 ] || fail "big sweep: $(wc -l <rref) rows"
partial=0
for t in 0.3 0.6 1.0; do
    rm -f big.csv
    # (braces: the shell's own "Killed" notice goes to /dev/null too)
    { timeout -s KILL "$t" "$GMOE" sweep --quiet --threads 2 big.conf >/dev/null; } 2>/dev/null
    if [ -f big.csv ]; then
        done_rows=$(grep -v '^#' big.csv | tail -n +2 | wc -l)
        [ "$done_rows" -lt 240 ] && partial=$((partial + 1))
    fi
    expect_ok "$GMOE" sweep --quiet --threads 2 big.conf
    rows big.csv >rk
    same_rows rref rk "killed after $t s and resumed"
done
[ "$partial" -gt 0 ] || echo "note: every SIGKILL came after the sweep had finished (a fast machine)"

# SIGINT: the running tasks are written, exit 1 with a message; the same command resumes.
rm -f big.csv
interrupt 20 big.csv 240 "$GMOE" sweep --threads 2 big.conf
expect_ok "$GMOE" sweep --quiet big.conf
rows big.csv >rk
same_rows rref rk "interrupted (SIGINT) and resumed"

# A torn last row (a crash in the middle of a write): cut off, and its task run again.
cp t1.csv torn.csv
last=$(tail -n 1 torn.csv | wc -c)
size=$(wc -c <torn.csv)
head -c "$((size - last / 2))" t1.csv >torn.csv
run "$GMOE" sweep -o torn.csv small.conf
[ "$status" -eq 0 ] && grep -q "$(summary 16 15 1 0 torn.csv)" err || fail "torn row: exit $status, $(cat err)"
rows torn.csv >rt
same_rows r1 rt "torn last row repaired"
[ "$(tail -c 1 torn.csv | od -An -c | tr -d ' ')" = '\n' ] || fail "torn row: file does not end with a newline"

# ---------------------------------------------------------------- another config's output
cp t1.csv keep.csv
sed 's/^seed .*/seed   = 8/' small.conf >seed8.conf
expect_err 1 "gmoe: small.csv: holds results of another configuration, seed, truth or gmoe version; remove it or choose another output" \
    "$GMOE" sweep seed8.conf
sed 's/^reps .*/reps   = 5/' small.conf >reps5.conf
expect_err 1 "gmoe: small.csv: holds results of another configuration, seed, truth or gmoe version; remove it or choose another output" \
    "$GMOE" sweep reps5.conf
expect_err 1 "gmoe: t1.csv: holds results of another configuration, seed, truth or gmoe version; remove it or choose another output" \
    "$GMOE" sweep -o t1.csv big.conf
cmp -s small.csv keep.csv || fail "a refused run changed small.csv"
cmp -s t1.csv keep.csv || fail "a refused run changed t1.csv"

# Relative paths are relative to the config file.
mkdir -p sub/exp
cp "$TRUTH" sub/truth.json
printf 'truth = ../truth.json\nk = 2\nn = 200, 400\nreps = 2\ndesign = grid 0 1\n' >sub/exp/rel.conf
expect_ok "$GMOE" sweep --quiet sub/exp/rel.conf
[ "$(rows sub/exp/rel.csv | wc -l)" -eq 4 ] || fail "relative paths: no sub/exp/rel.csv with 4 rows"
# An edited truth file makes the old rows another sweep's: refused, the file untouched.
cp sub/exp/rel.csv rel-before.csv
sed 's/"var": 0.16/"var": 0.17/' sub/truth.json >sub/t2.json && mv sub/t2.json sub/truth.json
grep -q '"var": 0.17' sub/truth.json || fail "could not edit the truth copy"
expect_err 1 "gmoe: sub/exp/rel.csv: holds results of another configuration, seed, truth or gmoe version; remove it or choose another output" \
    "$GMOE" sweep --quiet sub/exp/rel.conf
cmp -s rel-before.csv sub/exp/rel.csv || fail "a refused resume changed sub/exp/rel.csv"

# ---------------------------------------------------------------- config errors
# cfg_err MESSAGE CONFIG-TEXT: gmoe sweep e.conf fails with status 1 and exactly
# "gmoe: MESSAGE", and writes no results file.
cfg_err()
{
    rm -f e.csv
    printf '%b' "$2" >e.conf
    expect_err 1 "gmoe: $1" "$GMOE" sweep e.conf
    [ ! -e e.csv ] || fail "a config error left e.csv"
}
base="truth = $TRUTH\nk = 2\nn = 300\n"
cfg_err 'e.conf:4: unknown key "kk"' "${base}kk = 3\n"
cfg_err 'e.conf:4: accel: expected qn, squarem, yes or no (got "fast")' "${base}accel = fast\n"
cfg_err 'e.conf:2: k: expected an integer >= 1 (got "two")' "truth = $TRUTH\nk = two\nn = 300\n"
cfg_err 'e.conf:2: k: expected an integer >= 1 (got "0")' "truth = $TRUTH\nk = 0\nn = 300\n"
cfg_err 'e.conf:3: n: bad size "100:200" (expected N, A:B:M, lin:A:B:M or log:A:B:M, sizes >= 1)' \
    "truth = $TRUTH\nk = 2\nn = 300, 100:200\n"
cfg_err 'e.conf:3: n: bad size "log:0:100:3" (expected N, A:B:M, lin:A:B:M or log:A:B:M, sizes >= 1)' \
    "truth = $TRUTH\nk = 2\nn = log:0:100:3\n"
cfg_err 'e.conf: missing key "truth"' "k = 2\nn = 300\n"
cfg_err 'e.conf: missing key "n"' "truth = $TRUTH\nk = 2\n"
cfg_err 'e.conf:1: truth: nosuch.json: cannot open: No such file or directory' \
    "truth = nosuch.json\nk = 2\nn = 300\n"
cfg_err 'e.conf:4: key "k" given twice' "${base}k = 3\n"
cfg_err 'e.conf:4: tau: only for gate = temperature or activation (got "2")' "${base}tau = 2\n"
cfg_err 'e.conf:4: gate: topk needs the key topk = K' "${base}gate = topk\n"
cfg_err 'e.conf:2: k: near-true starts need k >= k* (k = 1, k* = 2)' "truth = $TRUTH\nk = 1\nn = 300\n"
cfg_err 'e.conf:4: gate: the fitted family (temperature) differs from the truth'"'"'s (softmax); the Voronoi losses compare models of one family' \
    "${base}gate = temperature\n"
cfg_err 'e.conf:4: stop: expected per-obs TOL or relative TOL (got "absolute 1e-6")' \
    "${base}stop = absolute 1e-6\n"
cfg_err 'e.conf:4: metrics: unknown metric "rmse" (known: loss, loss_pinned, hellinger, tv, params, loglik, cells, merged, select, coverage)' \
    "${base}metrics = loss rmse\n"
cfg_err 'e.conf:4: seed: expected an integer from 1 to 4294967295 (got "0")' "${base}seed = 0\n"
cfg_err 'e.conf:4: expected key = value (got "reps 4")' "${base}reps 4\n"
cfg_err 'e.conf:4: reps: missing value' "${base}reps =\n"
cfg_err 'e.conf:3: n: size 1 is smaller than k = 2' "truth = $TRUTH\nk = 2\nn = 1, 300\n"
cfg_err 'e.conf:4: design: normal: sd must be > 0 (got 0)' "${base}design = normal 0 0\n"
cfg_err 'e.conf:4: design: gate: x is drawn from the truth'"'"'s Gaussian gate, but the truth has a softmax gate' \
    "${base}design = gate\n"
gbase="truth = $GMOE_DATA/gaussian-truth.json\nk = 2\nn = 300\n"
cfg_err 'e.conf:5: design: expected grid LO HI, uniform LO HI, normal MEAN SD or gate (got "gate 0 1")' \
    "${gbase}gate = gaussian\ndesign = gate 0 1\n"
cfg_err 'e.conf:4: gate: expected softmax, topk, temperature, activation, sigmoid or gaussian (got "gauss")' \
    "${gbase}gate = gauss\n"
cfg_err 'e.conf:4: gate: the fitted family (sigmoid) differs from the truth'"'"'s (gaussian); the Voronoi losses compare models of one family' \
    "${gbase}gate = sigmoid\n"
cfg_err 'e.conf:5: tau: only for gate = temperature or activation (got "2")' \
    "${gbase}gate = gaussian\ntau = 2\n"
cfg_err 'e.conf:1: truth: experts: missing' 'truth = {"gmoe_model": 1, "gate": "softmax"}\nk = 2\nn = 300\n'
expect_err 1 "gmoe: nosuch.conf: cannot open: No such file or directory" "$GMOE" sweep nosuch.conf

# ---------------------------------------------------------------- under a launcher
# Started by mpirun (its environment says so) but built without MPI: rank 0 says why, and no
# process runs the sweep (tests/cli_mpi.sh tests a build with MPI).
if [ -z "${GMOE_MPIRUN:-}" ]; then
    rm -f mpi.csv
    expect_err 1 "gmoe: sweep: this gmoe was built without MPI (./configure --with-mpi): each of the 3 processes would run the whole sweep" \
        env OMPI_COMM_WORLD_RANK=0 OMPI_COMM_WORLD_SIZE=3 "$GMOE" sweep -o mpi.csv small.conf
    run env PMI_RANK=2 PMI_SIZE=3 "$GMOE" sweep -o mpi.csv small.conf
    [ "$status" -eq 1 ] && [ ! -s err ] || fail "rank 2 without MPI: exit $status, stderr $(cat err)"
    [ ! -e mpi.csv ] || fail "a sweep ran under a launcher without MPI"
fi

# ---------------------------------------------------------------- usage errors
expect_err 2 "gmoe: sweep: missing config file (CONFIG) (see 'gmoe help sweep')" "$GMOE" sweep
expect_err 2 "gmoe: sweep: --shard must be I/N with 1 <= I <= N (got \"0/2\")" \
    "$GMOE" sweep --shard 0/2 small.conf
expect_err 2 "gmoe: sweep: --shard must be I/N with 1 <= I <= N (got \"3/2\")" \
    "$GMOE" sweep --shard 3/2 small.conf
expect_err 2 "gmoe: --threads must be a positive integer (got \"0\")" \
    "$GMOE" sweep --threads 0 small.conf
expect_err 2 "gmoe: sweep: -o must name a file: the results are appended to it as tasks finish (see 'gmoe help sweep')" \
    "$GMOE" sweep -o - small.conf
expect_ok "$GMOE" sweep --help
grep -q '^Usage: gmoe sweep' out || fail "sweep --help: no usage line"

# ---------------------------------------------------------------- published experiments
# quick_experiment NAME ROWS: the quick experiment NAME (its truth from the data directory)
# with its seed gives ROWS rows, and the bootstrap interval of its Hellinger slope holds the
# theoretical -0.5 (its theory line says so).
quick_experiment()
{
    truth=$(sed -n 's|^truth *= *\.\./data/\([^ ]*\).*|\1|p' "$EXPERIMENTS/$1-quick.conf")
    sed -e "s|^truth .*|truth    = $GMOE_DATA/$truth|" -e "s|^output .*|output   = $1.csv|" \
        "$EXPERIMENTS/$1-quick.conf" >"$1.conf"
    expect_ok "$GMOE" sweep --quiet --threads 2 "$1.conf"
    [ "$(rows "$1.csv" | wc -l)" -eq "$2" ] || fail "$1: $(rows "$1.csv" | wc -l) rows"
    expect_ok "$GMOE" rate --json --metric hellinger "$1.csv"
    lo=$(sed -n 's/^  "hellinger".*"ci": \[\([^,]*\),.*/\1/p' out)
    hi=$(sed -n 's/^  "hellinger".*"ci": \[[^,]*, \([^]]*\)\].*/\1/p' out)
    awk -v lo="$lo" -v hi="$hi" 'BEGIN { exit !(lo != "" && hi != "" && lo + 0 <= -0.5 && -0.5 <= hi + 0) }' ||
        fail "$1: hellinger slope interval [$lo, $hi] does not hold -0.5"
    grep -q '"theory": -0.5' out || fail "$1: no theory slope -0.5 for hellinger"
}
# Softmax gating, exact-specified (k = k* = 2), as published; then the sigmoid gate and the
# Gaussian gate with x from its own mixture (design = gate).
quick_experiment softmax-exact-k2 96
quick_experiment sigmoid-exact 36
quick_experiment gaussian-exact 36

finish
