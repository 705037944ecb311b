#!/bin/sh
# gmoe fit --se [observed|sandwich|bootstrap] [--bootstrap B]: the summary's table of
# estimates, standard errors and 95 % Wald intervals; the model file's per-expert "se"
# objects and the fit's se_method, se_params and se_cov (the SEs are the square roots of its
# diagonal; null for the parameters the canonical form fixes); the cases with none (a reason
# instead); the bootstrap is the same for any number of threads; usage errors.
. "${srcdir:-.}/tests/testlib.sh"

json_member()
{
    sed -n "s/.*\"$1\": *\"\{0,1\}\([^,\"}]*\).*/\1/p" "$2" | head -n 1
}

expect_ok "$GMOE" simulate --model "$TRUTH" -n 2000 --seed 3 -o sm.csv

# ---------------------------------------------------------------- observed
expect_ok "$GMOE" fit -k 2 --starts 3 --se sm.csv
grep -q '^Standard errors (inverse observed information), 95 % Wald intervals' out ||
    fail "--se: no standard-error section: $(cat out)"
# 8 free parameters (beta0, beta1 of expert 1; a, b, var of both), and each interval is the
# estimate +- 1.96 SE.
rows=$(sed -n '/^expert parameter/,$p' out | tail -n +2)
[ "$(echo "$rows" | wc -l)" -eq 8 ] || fail "--se: not 8 parameter rows: $rows"
echo "$rows" | awk '{ lo = $3 - 1.959964 * $4; hi = $3 + 1.959964 * $4
    if ((lo - $5)^2 > 1e-8 * (1 + lo^2) || (hi - $6)^2 > 1e-8 * (1 + hi^2)) bad++ }
    END { exit bad > 0 }' || fail "--se: an interval is not estimate +- 1.96 SE: $rows"

expect_ok "$GMOE" fit -k 2 --starts 3 --se observed -o obs.json sm.csv
[ "$(json_member se_method obs.json)" = observed ] || fail "se_method: $(json_member se_method obs.json)"
if command -v python3 >/dev/null 2>&1; then
    python3 - obs.json <<'PY' || fail "obs.json: se objects do not match se_cov: $(cat obs.json)"
import json, math, sys
m = json.load(open(sys.argv[1]))
cov, names = m["fit"]["se_cov"], m["fit"]["se_params"]
assert len(cov) == len(names) == 8 and all(len(r) == 8 for r in cov)
sd = {n: math.sqrt(cov[q][q]) for q, n in enumerate(names)}
e1, e2 = m["experts"][0]["se"], m["experts"][1]["se"]
assert e2["beta0"] is None and e2["beta1"] is None  # fixed by the canonical form
for j, e in ((1, e1), (2, e2)):
    for key in ("b", "var"):
        assert abs(e[key] - sd["%s_%d" % (key, j)]) <= 1e-12 * sd["%s_%d" % (key, j)]
    assert abs(e["a"][0] - sd["a_%d[1]" % j]) <= 1e-12 * sd["a_%d[1]" % j]
assert abs(e1["beta1"][0] - sd["beta1_1[1]"]) <= 1e-12 * sd["beta1_1[1]"]
assert all(cov[a][b] == cov[b][a] for a in range(8) for b in range(8))
PY
fi
# A model file with standard errors reads back.
expect_ok "$GMOE" loglik --model obs.json sm.csv
same_number "$(cat out)" "$(json_member loglik obs.json)" 1e-9 || fail "gmoe loglik of obs.json: $(cat out)"
# --se then the data file: the file is not taken for a method.
expect_ok "$GMOE" fit -k 2 --starts 3 --se --json sm.csv
[ "$(json_member se_method out)" = observed ] || fail "--se DATA: $(head -c 300 out)"

# ---------------------------------------------------------------- sandwich, bootstrap
expect_ok "$GMOE" fit -k 2 --starts 3 --se=sandwich --json sm.csv
[ "$(json_member se_method out)" = sandwich ] || fail "--se=sandwich: se_method $(json_member se_method out)"
grep -q '"se": {"beta0": [0-9]' out || fail "--se sandwich: no se object: $(head -c 400 out)"
for t in 1 2; do
    expect_ok "$GMOE" fit -k 2 --starts 3 --se bootstrap --bootstrap 20 --threads $t --json sm.csv
    grep '"se_cov"\|"se":' out >boot$t.txt
    [ "$(json_member bootstrap_b out)" = 20 ] || fail "bootstrap_b: $(json_member bootstrap_b out)"
done
[ -s boot1.txt ] || fail "--se bootstrap: no se_cov"
cmp -s boot1.txt boot2.txt || fail "--se bootstrap: 1 and 2 threads differ"

# ---------------------------------------------------------------- none, with the reason
expect_ok "$GMOE" fit -k 2 --gate temperature --starts 2 --se --json sm.csv
grep -q '"se": null' out || fail "temperature, tau free: se not null: $(head -c 400 out)"
grep -q '"se_reason": "temperature gate with tau estimated' out ||
    fail "temperature, tau free: no se_reason: $(grep se_reason out)"
! grep -q '"se_cov"' out || fail "temperature, tau free: se_cov written"
expect_ok "$GMOE" fit -k 2 --gate temperature --fix-tau --starts 2 --se --json sm.csv
grep -q '"se": {"beta0": [0-9]' out || fail "temperature, tau fixed: no se object"
expect_ok "$GMOE" fit -k 2 --init near-true --truth "$TRUTH" --starts 2 --gate-bound 12 --se sm.csv
grep -q '^Standard errors (inverse observed information): none: [0-9]* gate parameters* .* on the gate bound: not an interior maximum\.$' out ||
    fail "bound active: $(tail -n 3 out)"

# ---------------------------------------------------------------- gmoe predict --se
expect_ok "$GMOE" predict --se obs.json sm.csv
[ "$(head -n 1 out)" = "x1,y,g1,g2,post1,post2,mean,se_mean,logdens" ] || fail "predict --se: header $(head -n 1 out)"
tail -n +2 out | awk -F, '{ if (!($8 > 0 && $8 < 1)) bad++ } END { exit bad > 0 }' ||
    fail "predict --se: an se_mean outside (0, 1): $(head -n 5 out)"
# Without a response too; the means are those of gmoe predict without --se.
cut -d, -f1 sm.csv >x.csv
expect_ok "$GMOE" predict --se obs.json x.csv
[ "$(head -n 1 out)" = "x1,g1,g2,mean,se_mean" ] || fail "predict --se, no y: header $(head -n 1 out)"
cut -d, -f4 out >m1
expect_ok "$GMOE" predict obs.json x.csv
cut -d, -f4 out >m2
cmp -s m1 m2 || fail "predict --se changes the means"
# se_mean selected by --columns: the same numbers as --se writes.
expect_ok "$GMOE" predict --columns se_mean,mean obs.json x.csv
[ "$(head -n 1 out)" = "x1,se_mean,mean" ] || fail "predict --columns se_mean: header $(head -n 1 out)"
cut -d, -f2 out >s1
expect_ok "$GMOE" predict --se obs.json x.csv
cut -d, -f5 out >s2
cmp -s s1 s2 || fail "predict --columns se_mean differs from --se"
expect_err 2 'gmoe: --columns: column "mean" given twice in "mean,sd,mean"' "$GMOE" predict --columns mean,sd,mean obs.json x.csv
expect_ok "$GMOE" fit -k 2 --starts 3 -o plain.json sm.csv
expect_err 1 "gmoe: plain.json: no standard errors in the fit object (write it with gmoe fit --se)" \
    "$GMOE" predict --se plain.json sm.csv
expect_ok "$GMOE" fit -k 2 --gate temperature --starts 2 --se -o temp.json sm.csv
run "$GMOE" predict --se temp.json sm.csv
[ "$status" -eq 1 ] && grep -q '^gmoe: temp.json: the fit has no standard errors: temperature gate with tau estimated' err ||
    fail "predict --se without SEs: exit $status, $(cat err)"

# ---------------------------------------------------------------- the sweep metric coverage
cat >cov.conf <<EOF2
truth    = $TRUTH
design   = grid 0 1
k        = 2
n        = 1000 3000
reps     = 6
starts   = 1
init     = near-true
metrics  = loss coverage
seed     = 7
output   = cov.csv
EOF2
run "$GMOE" sweep --threads 2 cov.conf
[ "$status" -eq 0 ] || fail "coverage sweep: exit $status: $(cat err)"
cols='n,rep,loglik,loglik_truth,iterations,maps,status,seconds,loss,cover_beta0_1,cover_beta1_1,cover_a_1,cover_b_1,cover_v_1,cover_a_2,cover_b_2,cover_v_2'
[ "$(grep -v '^#' cov.csv | head -n 1)" = "$cols" ] || fail "coverage columns: $(grep -v '^#' cov.csv | head -n 1)"
# Every coverage value is 0 or 1 (these fits all have standard errors).
grep -v '^#' cov.csv | tail -n +2 | cut -d, -f10- | tr ',' '\n' | sort -u | tr '\n' ' ' >vals
grep -q '^\(0 \)\{0,1\}1 $' vals || fail "coverage values: $(cat vals)"
expect_ok "$GMOE" rate cov.csv
grep -q '^# coverage: share of replicates whose 95% Wald interval covers the true value' out ||
    fail "gmoe rate: no coverage table: $(cat out)"
grep -q '^      1000  [01]\.[0-9]* \[' out || fail "gmoe rate: no coverage row for n = 1000: $(cat out)"
expect_ok "$GMOE" rate --json cov.csv
grep -q '"cover_b_2": {.*"k_true": 1.*"nominal": 0.9499999' out || fail "gmoe rate --json: $(grep cover_b_2 out)"
sed 's/^k        = 2/k        = 3/' cov.conf >cov3.conf
expect_err 1 "gmoe: cov3.conf: metrics: coverage needs an exact-specified fit, k = k* = 2 (got k = 3)" \
    "$GMOE" sweep cov3.conf

# ---------------------------------------------------------------- usage errors
expect_err 2 'gmoe: fit: --se must be observed, sandwich or bootstrap (got "hessian")' \
    "$GMOE" fit -k 2 --se=hessian sm.csv
expect_err 2 'gmoe: fit: --bootstrap only goes with --se bootstrap' \
    "$GMOE" fit -k 2 --se --bootstrap 50 sm.csv
expect_err 2 'gmoe: fit: --bootstrap must be at least 2' \
    "$GMOE" fit -k 2 --se bootstrap --bootstrap 1 sm.csv

finish
