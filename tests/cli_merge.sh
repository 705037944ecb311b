#!/bin/sh
# gmoe merge end to end: three shards merged equal a whole run (apart from seconds and the
# command line), rows sorted by (n, rep); files of another seed or config, conflicting copies
# of a task and torn last lines refused with one-line messages; consistent copies accepted;
# --config checks completeness; gmoe rate reads the merged file; scripts/slurm-sweep.sh's
# shard and merge roles give the same file, and it submits the array and a dependent merge.
. "${srcdir:-.}/tests/testlib.sh"

# body FILE: FILE without its "# command:" line and without the seconds column (the 8th).
body()
{
    grep -v '^# command: ' "$1" | cut -d, -f1-7,9-
}

# sorted_rows FILE: the rows (no # lines, no column line), seconds dropped, sorted by (n, rep).
sorted_rows()
{
    grep -v '^#' "$1" | tail -n +2 | cut -d, -f1-7,9- | sort -t, -k1,1n -k2,2n
}

# 4 sizes (300, 646, 1392, 3000) x 3 replicates; no density distances, so it runs fast.
cat >m.conf <<EOF
# A small sweep for the merge tests.
truth   = $TRUTH
design  = grid 0 1
k       = 2
n       = log:300:3000:4
reps    = 3
metrics = loss params loglik
seed    = 5
output  = whole.csv
theory  = loss=-0.5
EOF

expect_ok "$GMOE" sweep --quiet --threads 2 m.conf
for i in 1 2 3; do
    expect_ok "$GMOE" sweep --quiet --threads 1 --shard "$i/3" -o "shard$i.csv" m.conf
done

# ---------------------------------------------------------------- shards merged = whole run
run "$GMOE" merge -o merged.csv shard1.csv shard2.csv shard3.csv
[ "$status" -eq 0 ] || fail "merge: exit $status ($(cat err))"
[ ! -s out ] || fail "merge -o: unexpected stdout: $(head -c 200 out)"
[ "$(cat err)" = "gmoe merge: 3 files, 12 tasks (0 duplicate rows dropped) -> merged.csv" ] ||
    fail "merge: summary: $(cat err)"
# The header: a whole run's, with merge's own command line.
checks=$((checks + 1))
[ "$(sed -n 2p merged.csv)" = "# command: gmoe merge -o merged.csv shard1.csv shard2.csv shard3.csv" ] ||
    fail "merged header: command line: $(sed -n 2p merged.csv)"
# Header lines as the whole run's, and rows sorted by (n, rep), the same as the whole run's.
grep '^#' whole.csv | grep -v '^# command: ' >want-h
grep '^#' merged.csv | grep -v '^# command: ' >got-h
checks=$((checks + 1))
cmp -s want-h got-h || fail "merged header: $(diff want-h got-h | head -n 4)"
{ grep -v '^#' whole.csv | head -n 1 | cut -d, -f1-7,9-; sorted_rows whole.csv; } >want
grep -v '^#' merged.csv | cut -d, -f1-7,9- >got
checks=$((checks + 1))
cmp -s want got || fail "merged rows: $(diff want got | head -n 4)"
[ "$(grep -vc '^#' merged.csv)" -eq 13 ] || fail "merged: $(grep -vc '^#' merged.csv) lines, expected 13"
# The order does not depend on the order of the inputs.
expect_ok "$GMOE" merge --quiet -o merged2.csv shard3.csv shard1.csv shard2.csv
body merged.csv >b1
body merged2.csv >b2
checks=$((checks + 1))
cmp -s b1 b2 || fail "inputs in another order: $(diff b1 b2 | head -n 4)"

# Standard output by default.
expect_ok "$GMOE" merge --quiet shard1.csv shard2.csv shard3.csv
body out >b3
checks=$((checks + 1))
cmp -s b1 b3 || fail "merge to stdout: $(diff b1 b3 | head -n 4)"

# gmoe rate reads it (and finds the theory line); gmoe sweep sees a complete sweep.
expect_ok "$GMOE" rate --json --metric loss merged.csv
grep -q '"theory": -0.5' out || fail "rate of the merged file: $(head -c 300 out)"
run "$GMOE" sweep -o merged.csv m.conf
[ "$status" -eq 0 ] && grep -q '^gmoe sweep: 12 tasks (12 resumed, 0 run, 0 failed)' err ||
    fail "sweep on the merged file: exit $status, $(cat err)"

# ---------------------------------------------------------------- duplicates
# A task held twice with the same fields (apart from seconds) is kept once: the whole run and
# a shard, or a file given twice.
run "$GMOE" merge -o dup.csv whole.csv shard2.csv shard2.csv
[ "$status" -eq 0 ] || fail "consistent duplicates: exit $status ($(cat err))"
[ "$(cat err)" = "gmoe merge: 3 files, 12 tasks (8 duplicate rows dropped) -> dup.csv" ] ||
    fail "consistent duplicates: summary: $(cat err)"
body dup.csv | grep -v '^# ' >b4
grep -v '^# ' b1 >b5
checks=$((checks + 1))
cmp -s b4 b5 || fail "consistent duplicates: $(diff b4 b5 | head -n 4)"
# The seconds column may differ between copies.
awk -F, 'BEGIN { OFS = "," } /^[0-9]/ { $8 = "99.000" } { print }' shard1.csv >slow.csv
expect_ok "$GMOE" merge --quiet -o dup2.csv shard1.csv slow.csv shard2.csv shard3.csv
body dup2.csv >b6
checks=$((checks + 1))
cmp -s b1 b6 || fail "copies differing in seconds: $(diff b1 b6 | head -n 4)"
# Any other field may not.
first=$(grep -n '^[0-9]' shard1.csv | head -n 1)
lno=${first%%:*}
task=$(echo "${first#*:}" | cut -d, -f1,2)
awk -F, -v l="$lno" 'BEGIN { OFS = "," } NR == l { $5 = $5 + 1 } { print }' shard1.csv >edited.csv
expect_err 1 "gmoe: shard1.csv:$lno and edited.csv:$lno: task (n = ${task%,*}, rep = ${task#*,}) differs (apart from seconds)" \
    "$GMOE" merge -o bad.csv shard1.csv shard2.csv edited.csv
[ ! -e bad.csv ] || fail "a refused merge wrote bad.csv"

# ---------------------------------------------------------------- other sweeps refused
sed 's/^seed .*/seed    = 6/' m.conf >seed6.conf
expect_ok "$GMOE" sweep --quiet --shard 2/3 -o seed6.csv seed6.conf
lno=$(grep -n '^# seed: ' shard1.csv | cut -d: -f1)
expect_err 1 "gmoe: seed6.csv:$lno: \"# seed: 6\" does not match shard1.csv:$lno: \"# seed: 5\" (not the same sweep)" \
    "$GMOE" merge -o bad.csv shard1.csv seed6.csv
sed 's/^reps .*/reps    = 4/' m.conf >reps4.conf
expect_ok "$GMOE" sweep --quiet --shard 2/3 -o reps4.csv reps4.conf
lno=$(grep -n '^# config: reps' shard1.csv | cut -d: -f1)
expect_err 1 "gmoe: reps4.csv:$lno: \"# config: reps    = 4\" does not match shard1.csv:$lno: \"# config: reps    = 3\" (not the same sweep)" \
    "$GMOE" merge -o bad.csv shard1.csv shard2.csv reps4.csv
# A file without the theory line differs at its column line (quoted up to 150 characters).
grep -v '^# theory: ' shard3.csv >notheory.csv
lno=$(grep -n '^n,rep,' notheory.csv | cut -d: -f1)
lfirst=$(grep -n '^# theory: ' shard1.csv | cut -d: -f1)
expect_err 1 "gmoe: notheory.csv:$lno: \"$(grep '^n,rep,' notheory.csv | cut -c1-150)...\" does not match shard1.csv:$lfirst: \"# theory: loss=-0.5\" (not the same sweep)" \
    "$GMOE" merge -o bad.csv shard1.csv notheory.csv
[ ! -e bad.csv ] || fail "a refused merge wrote bad.csv"

# ---------------------------------------------------------------- torn and malformed inputs
size=$(wc -c <shard2.csv)
head -c "$((size - 5))" shard2.csv >torn.csv
expect_err 1 "gmoe: torn.csv:$(wc -l <shard2.csv): torn last line (no newline at the end): run the sweep that wrote it again, which cuts the line off and reruns its task" \
    "$GMOE" merge -o bad.csv shard1.csv torn.csv
# The sweep repairs it (cuts the line, reruns the task); then it merges.
expect_ok "$GMOE" sweep --quiet --shard 2/3 -o torn.csv m.conf
expect_ok "$GMOE" merge --quiet -o repaired.csv shard1.csv torn.csv shard3.csv
body repaired.csv >b7
checks=$((checks + 1))
cmp -s b1 b7 || fail "repaired shard: $(diff b1 b7 | head -n 4)"
: >empty.csv
expect_err 1 "gmoe: empty.csv: no column line (not a results file)" "$GMOE" merge empty.csv
{ cat shard1.csv; echo "300,x,1"; } >junk.csv
expect_err 1 "gmoe: junk.csv:$(($(wc -l <shard1.csv) + 1)): not a results row" "$GMOE" merge junk.csv
{ cat shard1.csv; echo "300,9,1"; } >short.csv
ncols=$(grep '^n,rep,' shard1.csv | tr ',' '\n' | wc -l)
expect_err 1 "gmoe: short.csv:$(($(wc -l <shard1.csv) + 1)): expected $ncols fields, found 3" \
    "$GMOE" merge short.csv
expect_err 1 "gmoe: nosuch.csv: cannot open: No such file or directory" \
    "$GMOE" merge shard1.csv nosuch.csv
[ ! -e bad.csv ] || fail "a refused merge wrote bad.csv"

# ---------------------------------------------------------------- --config: completeness
run "$GMOE" merge --config m.conf -o all.csv shard1.csv shard2.csv shard3.csv
[ "$status" -eq 0 ] || fail "--config, complete: exit $status ($(cat err))"
run "$GMOE" merge --config m.conf -o part.csv shard1.csv shard3.csv
[ "$status" -eq 1 ] || fail "--config, incomplete: exit $status, expected 1"
# Shard 2 of 3 holds tasks t = 1, 4, 7, 10 (t = i*3 + rep - 1): the first is (300, 2).
grep -q '^gmoe: merge: 4 of 12 tasks of m.conf are missing (the first: n = 300, rep = 2); part.csv holds the others$' err ||
    fail "--config, incomplete: stderr: $(cat err)"
[ "$(grep -vc '^#' part.csv)" -eq 9 ] || fail "--config, incomplete: part.csv not written with 8 rows"
# The sweep completes it.
run "$GMOE" sweep -o part.csv m.conf
grep -q '^gmoe sweep: 12 tasks (8 resumed, 4 run, 0 failed)' err || fail "completing part.csv: $(cat err)"
lno=$(grep -n '^# seed: ' shard1.csv | cut -d: -f1)
expect_err 1 "gmoe: shard1.csv:$lno: \"# seed: 5\" does not match seed6.conf, which gives \"# seed: 6\" (not the same sweep)" \
    "$GMOE" merge --config seed6.conf shard1.csv

# ---------------------------------------------------------------- scripts/slurm-sweep.sh
# Its two batch roles, run as Slurm would run them (array tasks 0..2 of 3, then the merge),
# and its submission, with an sbatch that records its arguments.
SLURM_SWEEP=$GMOE_DATA/../scripts/slurm-sweep.sh
mkdir -p slurm && cp m.conf slurm/
(
    cd slurm || exit 1
    for i in 0 1 2; do
        SLURM_ARRAY_TASK_ID=$i SLURM_ARRAY_TASK_COUNT=3 SLURM_CPUS_PER_TASK=2 GMOE=$GMOE \
            sh "$SLURM_SWEEP" shard m.conf 2>/dev/null || exit 1
    done
    GMOE=$GMOE sh "$SLURM_SWEEP" merge m.conf >rate.txt 2>/dev/null
) || fail "slurm-sweep.sh shard/merge: exit $?"
body slurm/m.csv >b8
checks=$((checks + 1))
cmp -s b1 b8 || fail "slurm-sweep.sh: merged file: $(diff b1 b8 | head -n 4)"
grep -q '^loss ' slurm/rate.txt || fail "slurm-sweep.sh merge: no rate table"
mkdir -p fakebin
cat >fakebin/sbatch <<'EOF2'
#!/bin/sh
echo "$*" >>"$SBATCH_LOG"
echo "4242;cluster"
EOF2
chmod +x fakebin/sbatch
(
    cd slurm || exit 1
    PATH=$tmp/fakebin:$PATH SBATCH_LOG=$tmp/sbatch.log sh "$SLURM_SWEEP" m.conf 3 --time=1:00:00
) >slurm-out 2>&1 || fail "slurm-sweep.sh submit: $(cat slurm-out)"
checks=$((checks + 1))
grep -q "^--parsable --array=0-2 --output=m-shards/slurm-%A_%a.log --time=1:00:00 .*slurm-sweep.sh shard m.conf\$" sbatch.log &&
    grep -q "^--parsable --dependency=afterok:4242 --job-name=gmoe-merge .*--time=1:00:00 .*slurm-sweep.sh merge m.conf\$" sbatch.log &&
    grep -q '^submitted: shards job array 4242 (3 tasks), merge job 4242 -> m.csv$' slurm-out ||
    fail "slurm-sweep.sh submit: $(cat sbatch.log slurm-out)"

# ---------------------------------------------------------------- usage
expect_err 2 "gmoe: merge: missing results files (RESULTS.csv) (see 'gmoe help merge')" "$GMOE" merge
expect_err 2 "gmoe: merge: unknown option --nosuch (see 'gmoe help merge')" \
    "$GMOE" merge --nosuch shard1.csv
expect_ok "$GMOE" merge --help
grep -q '^Usage: gmoe merge' out || fail "merge --help: no usage line"
expect_ok "$GMOE" help merge
grep -q '^Usage: gmoe merge' out || fail "help merge: no usage line"

finish
