#!/bin/sh
# gmoe select --var-merge and --dsc-trim: the DSC recomputed from the --json heights and
# lbar, a contaminated data set where the spec's DSC counts an outlier expert and the
# robust one does not, the tables, the JSON keys, and the errors.
. "${srcdir:-.}/tests/testlib.sh"

PY=/usr/bin/python3
# 10000 observations of the d = 2, k* = 3 truth with 1 % of the responses given Laplace(0, 5)
# noise (the select-d2-contaminated experiment's setting).
expect_ok "$GMOE" simulate --model "$GMOE_DATA/select-d2-truth.json" -n 10000 --seed 2 \
    --lo -1 --hi 1 --contaminate 0.01,5 -o c.csv
expect_ok "$GMOE" select -k 5 --starts 5 --threads 2 --json c.csv
cp out spec.json
expect_ok "$GMOE" select -k 5 --starts 5 --threads 2 --var-merge geometric --dsc-trim 0.02 \
    --json c.csv
cp out robust.json
for key in var_merge dsc_trim lbar; do
    grep -q "\"$key\":" robust.json || fail "--json: no \"$key\""
done
grep -q '"var_merge": "geometric", "dsc_trim": 0.02,' robust.json ||
    fail "--json: the options not stated: $(head -c 300 robust.json)"
grep -q '"var_merge": "moment", "dsc_trim": 0,' spec.json ||
    fail "--json: the defaults not stated: $(head -c 300 spec.json)"
if [ -x "$PY" ]; then
    "$PY" - spec.json robust.json <<'PY' || fail "--json: inconsistent"
import json, math, sys
s, r = (json.load(open(f)) for f in sys.argv[1:3])
n = s["n"]
# Without a trim the DSC's lbar is loglik / n, and the DSC is -(h + log(n) lbar).
for lv in s["dendrogram"]:
    assert abs(lv["lbar"] - lv["loglik"] / n) < 1e-12 * abs(lv["lbar"]), lv
for o in (s, r):
    for lv in o["dendrogram"][:-1]:
        want = -(lv["height"] + math.log(n) * lv["lbar"])
        assert abs(lv["dsc"] - want) < 1e-12 * abs(want), lv
    ks = [lv["k"] for lv in o["dendrogram"][:-1]]
    best = min(ks, key=lambda k: [lv["dsc"] for lv in o["dendrogram"] if lv["k"] == k][0])
    assert o["chosen"]["dsc"] == best, o["chosen"]
# The same K fit and heights of the first merge; the trimmed mean leaves the lowest 200 of
# 10000 out, so it is above the plain mean.
assert abs(s["dendrogram"][0]["loglik"] - r["dendrogram"][0]["loglik"]) < 1e-9 * n
assert s["dendrogram"][0]["height"] == r["dendrogram"][0]["height"]
for lv in r["dendrogram"]:
    assert lv["lbar"] > lv["loglik"] / n, lv
# The contamination: the spec's DSC counts an outlier expert, the robust one chooses 3;
# BIC counts it too.
assert s["chosen"]["dsc"] == 4 and r["chosen"]["dsc"] == 3, (s["chosen"], r["chosen"])
assert s["chosen"]["bic"] > 3
PY
fi

# The tables say what the DSC is made of.
expect_ok "$GMOE" select -k 5 --starts 5 --threads 2 --var-merge geometric --dsc-trim 0.02 c.csv
grep -q 'merged variances: the mass-weighted geometric mean' out || fail "tables: no variance merge"
grep -q 'without the lowest 0.02 of the observations' out || fail "tables: no trim"
expect_ok "$GMOE" select -k 5 --starts 5 --threads 2 --var-merge average c.csv
grep -q 'merged variances: the mass-weighted mean;' out || fail "tables: no average merge"

# Errors.
expect_err 2 "gmoe: select: --var-merge must be moment, average or geometric (got \"median\")" \
    "$GMOE" select -k 3 --var-merge median c.csv
expect_err 2 "gmoe: select: --dsc-trim must be at least 0 and below 0.5 (got 0.5)" \
    "$GMOE" select -k 3 --dsc-trim 0.5 c.csv
expect_err 2 "gmoe: select: --dsc-trim must be at least 0 and below 0.5 (got -0.1)" \
    "$GMOE" select -k 3 --dsc-trim -0.1 c.csv
expect_err 2 "gmoe: --dsc-trim must be a finite number (got \"x\")" \
    "$GMOE" select -k 3 --dsc-trim x c.csv
expect_err 2 "gmoe: select: --var-merge geometric does not go with the Gaussian gate (its joint components merge by moment matching)" \
    "$GMOE" select -k 3 --gate gaussian --var-merge geometric c.csv

# ---------------------------------------------------------------- sweep keys
# select_var_merge and select_trim change the DSC columns only: the same data and fits, so
# the same AIC, BIC and ICL choices.
cat >plain.conf <<CONF
truth       = $GMOE_DATA/select-d2-truth.json
design      = uniform -1 1
k           = 4
select_kmax = 4
n           = 400, 800
reps        = 2
starts      = 2
init        = data
stop        = per-obs 1e-6
metrics     = select
contaminate = 0.01 5
seed        = 7
CONF
sed 's/^seed .*/&\nselect_var_merge = geometric\nselect_trim = 0.02/' plain.conf >robust.conf
expect_ok "$GMOE" sweep --quiet --threads 2 plain.conf
expect_ok "$GMOE" sweep --quiet --threads 2 robust.conf
grep -q '^# config: select_trim = 0.02$' robust.csv || fail "sweep: select_trim not in the header"
cols() { grep -v '^#' "$1" | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    { print $c["n"], $c["rep"], $c["loglik"], $c["k_aic"], $c["k_bic"], $c["k_icl"] }' | sort; }
[ "$(cols plain.csv)" = "$(cols robust.csv)" ] || fail "sweep: select_trim changed the fits"
grep -v '^#' robust.csv | awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
    $c["k_dsc"] !~ /^[234]$/ || $c["k_dsc_rescaled"] !~ /^[234]$/ { exit 1 }' ||
    fail "sweep: k_dsc outside 2..4: $(cat robust.csv)"

finish
