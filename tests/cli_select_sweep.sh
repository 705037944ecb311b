#!/bin/sh
# Choosing k in sweeps: gmoe simulate --contaminate, the sweep metric select and the config
# keys select_kmax, select_mass, select_var_merge, select_trim and contaminate, gmoe rate's
# accuracy of the select columns (text, --json, --pool-from), merging shards, plot-rates,
# and the errors.
plot=$(cd "${srcdir:-.}" && pwd)/scripts/plot-rates
. "${srcdir:-.}/tests/testlib.sh"

# ---------------------------------------------------------------- gmoe simulate --contaminate
expect_ok "$GMOE" simulate --model "$TRUTH" -n 400 --seed 5 -o clean.csv
expect_ok "$GMOE" simulate --model "$TRUTH" -n 400 --seed 5 --contaminate 0,2 -o zero.csv
cmp -s clean.csv zero.csv || fail "--contaminate 0,S changed the data"
expect_ok "$GMOE" simulate --model "$TRUTH" -n 400 --seed 5 --contaminate 0.25,2 -o dirty.csv
# x untouched; about a quarter of the y moved (binomial(400, 0.25): 100 +- 5 sd of 8.7).
moved=$(paste -d, clean.csv dirty.csv | awk -F, 'NR > 1 {
    if ($1 != $3) { print "x"; exit } ; if ($2 != $4) m++ } END { print m + 0 }')
[ "$moved" != x ] || fail "--contaminate changed x"
awk -v m="$moved" 'BEGIN { exit !(m >= 57 && m <= 143) }' || fail "--contaminate 0.25: $moved of 400 moved"
expect_ok "$GMOE" simulate --model "$TRUTH" -n 400 --seed 5 --contaminate 0.25,2 -o again.csv
cmp -s dirty.csv again.csv || fail "--contaminate: not reproducible"
for bad in 0.5 1.5,2 0.1,0 -0.1,2 0.1,x a,1 0.1,2,3; do
    expect_err 2 "gmoe: simulate: --contaminate must be EPS,S with EPS in [0, 1] and S > 0 (got \"$bad\")" \
        "$GMOE" simulate --model "$TRUTH" -n 10 --contaminate "$bad"
done

# ---------------------------------------------------------------- the sweep metric select
cat >sel.conf <<CONF
# choosing k on the published truth with 5 % contamination (a test)
truth       = $TRUTH
design      = uniform 0 1
k           = 3
select_kmax = 3
n           = 300, 1200
reps        = 3
starts      = 2
init        = data
stop        = per-obs 1e-6
metrics     = loss select
contaminate = 0.05 3
seed        = 3
CONF
expect_ok "$GMOE" sweep --quiet --threads 2 sel.conf
grep -q '^# truth-k: 2$' sel.csv || fail "sweep: no truth-k line: $(head -20 sel.csv)"
head_line=$(grep -v '^#' sel.csv | head -n 1)
[ "$head_line" = "n,rep,loglik,loglik_truth,iterations,maps,status,seconds,loss,k_dsc,k_aic,k_bic,k_icl,k_dsc_rescaled" ] ||
    fail "sweep: columns $head_line"
[ "$(grep -vc '^#' sel.csv)" -eq 7 ] || fail "sweep: not 6 rows"
grep -v '^#' sel.csv | tail -n +2 | awk -F, '{ for (i = 10; i <= 14; i++) if ($i !~ /^[123]$/) exit 1 }' ||
    fail "sweep: select columns not in 1..3: $(cat sel.csv)"
grep -q 'share of replicates choosing k\* = 2' out || fail "sweep: no accuracy table: $(cat out)"

# gmoe rate: per n, the share choosing 2, counted here from the file.
expect_ok "$GMOE" rate sel.csv
for col in 10 11; do
    for n in 300 1200; do
        c=$(awk -F, -v n=$n -v col=$col '!/^#/ && $1 == n && $col == 2 { c++ } END { print c + 0 }' sel.csv)
        share=$(awk -v c="$c" 'BEGIN { printf "%.3f", c / 3 }')
        grep -q "^ *$n  $( [ $col = 11 ] && echo '[^ ].*  ')$share \[" out ||
            fail "rate: n = $n column $col: share $share not shown: $(cat out)"
    done
done
grep -q '^ *all n ' out || fail "rate: no pooled row"
grep -q 'k_dsc *-\?[0-9]' out && grep -q '^k_dsc ' out && fail "rate: k_dsc got a slope"
grep -q '^loss ' out || fail "rate: the loss lost its slope"
expect_ok "$GMOE" rate --json --pool-from 1000 sel.csv
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 - out sel.csv <<'PY' || fail "rate --json: accuracy inconsistent: $(cat out)"
import json, sys
o = json.load(open(sys.argv[1]))
rows = [l.strip().split(",") for l in open(sys.argv[2]) if not l.startswith("#")]
cols, rows = rows[0], rows[1:]
for name in ("k_dsc", "k_aic", "k_bic", "k_icl", "k_dsc_rescaled"):
    m = o[name]
    assert m["k_true"] == 2 and m["slope"] is None and m["points"] == 2, m
    j = cols.index(name)
    for g in m["accuracy"]:
        ks = [int(r[j]) for r in rows if int(r[0]) == g["n"]]
        assert g["count"] == len(ks) == 3
        assert g["correct"] == ks.count(2) and g["above"] == sum(k > 2 for k in ks)
        assert abs(g["share"] - ks.count(2) / 3) < 1e-12
        assert 0 <= g["ci"][0] <= g["share"] <= g["ci"][1] <= 1
    big = [int(r[j]) for r in rows if int(r[0]) >= 1000]
    assert m["pooled"]["n_min"] == 1000 and m["pooled"]["count"] == len(big)
    assert m["pooled"]["correct"] == big.count(2)
assert o["loss"]["slope"] is not None
PY
fi

# Shards merge with the truth-k line; rate reads the merged file the same way.
expect_ok "$GMOE" sweep --quiet --shard 1/2 -o s1.csv sel.conf
expect_ok "$GMOE" sweep --quiet --shard 2/2 -o s2.csv sel.conf
run "$GMOE" merge -o all.csv s1.csv s2.csv
[ "$status" -eq 0 ] || fail "merge: exit $status: $(cat err)"
grep -q '^# truth-k: 2$' all.csv || fail "merge dropped the truth-k line"
[ "$(grep -v '^#' all.csv | cut -d, -f1,2,10-)" = "$(grep -v '^#' sel.csv | sort -t, -k1,1n -k2,2n | cut -d, -f1,2,10- | sort -t, -k1,1n -k2,2n)" ] ||
    fail "merged shards differ from the single run"

if /usr/bin/python3 -c 'import matplotlib, numpy' 2>/dev/null; then
    MPLCONFIGDIR=$tmp/mpl
    export MPLCONFIGDIR
    expect_ok "$plot" sel.csv -o sel.png --gmoe "$GMOE"
    [ -s sel.png ] && [ -s sel.pdf ] || fail "plot-rates: no picture of the accuracy"
fi

# ---------------------------------------------------------------- config errors
base="truth = $TRUTH
k = 3
n = 300
init = data"
printf '%s\nselect_kmax = 3\n' "$base" >e1.conf
expect_err 1 "gmoe: e1.conf:5: select_kmax, select_mass, select_var_merge and select_trim go with the metric select" \
    "$GMOE" sweep --quiet e1.conf
printf '%s\nmetrics = select\nselect_kmax = 1\n' "$base" >e2.conf
expect_err 1 "gmoe: e2.conf:6: select_kmax: expected an integer from 2 to 1000 (got \"1\")" \
    "$GMOE" sweep --quiet e2.conf
printf '%s\nmetrics = select\nselect_mass = pi\n' "$base" >e3.conf
expect_err 1 "gmoe: e3.conf:6: select_mass: expected gate or intercept (got \"pi\")" \
    "$GMOE" sweep --quiet e3.conf
# KEY VALUE|what the message says is expected
for case in "select_trim 0.5|a number at least 0 and below 0.5" \
    "select_var_merge median|moment, average or geometric"; do
    kv=${case%%|*}
    printf '%s\nmetrics = select\n%s = %s\n' "$base" "${kv% *}" "${kv#* }" >e3k.conf
    expect_err 1 "gmoe: e3k.conf:6: ${kv% *}: expected ${case#*|} (got \"${kv#* }\")" \
        "$GMOE" sweep --quiet e3k.conf
done
printf '%s\ncontaminate = 0.1\n' "$base" >e4.conf
expect_err 1 "gmoe: e4.conf:5: contaminate: expected EPS S with EPS in [0, 1] and S > 0 (got \"0.1\")" \
    "$GMOE" sweep --quiet e4.conf
printf 'truth = %s\nk = 1\nn = 300\ninit = data\nmetrics = select\n' "$TRUTH" >e5.conf
expect_err 1 "gmoe: e5.conf: select_kmax: the metric select fits k = 1..K with K >= 2 and >= k* = 2 (got K = 1; set select_kmax)" \
    "$GMOE" sweep --quiet e5.conf
printf '%s\nmetrics = select\nselect_kmax = 400\n' "$base" >e6.conf
expect_err 1 "gmoe: e6.conf: n: size 300 is smaller than select_kmax = 400" \
    "$GMOE" sweep --quiet e6.conf

finish
