#!/bin/sh
# gmoe fit --gate-bound and sweep config gate_bound: the bounded estimator of MODELS.md 7.
# The fitted gate stays in the box (checked from the model file's own numbers), the fit
# object reports gate_bound and bound_active and reads back, a gate that diverges without a
# bound converges on it, a bound the fit never reaches changes nothing, and the errors.
. "${srcdir:-.}/tests/testlib.sh"

json_member()
{
    sed -n "s/.*\"$1\": *\"\{0,1\}\([^,\"}]*\).*/\1/p" "$2" | head -n 1
}

# gate_values FILE: every beta0 and beta1 of a model file, one a line.
gate_values()
{
    sed -n 's/.*"beta0": *\([^,]*\), *"beta1": *\[\([^]]*\)\].*/\1\n\2/p' "$1" | tr ',' '\n'
}

# in_box FILE B [SCALE]: every gate value of FILE has |value| <= B (times SCALE, for beta1
# only when SCALE is given: the temperature gate's box is on beta1/tau); prints how many sit
# on the bound.
in_box()
{
    sed -n 's/.*"beta0": *\([^,]*\), *"beta1": *\[\([^]]*\)\].*/\1 \2/p' "$1" |
        awk -v B="$2" -v s="${3:-1}" '{
            if ($1 > B || $1 < -B) bad++
            on += ($1 == B || $1 == -B)
            if ($2 > B * s * (1 + 1e-15) || $2 < -B * s * (1 + 1e-15)) bad++
            on += ($2 / s >= B * (1 - 1e-12) || $2 / s <= -B * (1 - 1e-12))
        } END { print on + 0; exit bad > 0 }'
}

expect_ok "$GMOE" simulate --model "$TRUTH" -n 3000 --seed 5 --design grid -o sm.csv

# ---------------------------------------------------------------- the box and the fit object
# The published truth has beta1 = 25 and beta0 = -8: a bound of 12 cuts into it.
expect_ok "$GMOE" fit -k 3 --init near-true --truth "$TRUTH" --starts 3 --gate-bound 12 \
    -o b10.json sm.csv
on=$(in_box b10.json 12) || fail "--gate-bound 12: a gate parameter outside the box: $(cat b10.json)"
[ "$on" -gt 0 ] || fail "--gate-bound 12: no gate parameter on the bound: $(cat b10.json)"
[ "$(json_member gate_bound b10.json)" = 12.0 ] || fail "gate_bound: $(json_member gate_bound b10.json)"
[ "$(json_member bound_active b10.json)" = "$on" ] ||
    fail "bound_active $(json_member bound_active b10.json), $on values on the bound"
[ "$(json_member status b10.json)" = converged ] || fail "--gate-bound 12: status $(json_member status b10.json)"
grep -q "^gate bound  *|beta0|, |beta1| <= 12: $on gate parameters* on the bound\$" out ||
    fail "summary: no gate bound line: $(cat out)"
# The file reads back (gmoe loglik recomputes the fit's log-likelihood from it).
expect_ok "$GMOE" loglik --model b10.json sm.csv
same_number "$(cat out)" "$(json_member loglik b10.json)" 1e-9 ||
    fail "gmoe loglik of b10.json: $(cat out), fit $(json_member loglik b10.json)"

# A bound the fit never reaches gives the unbounded fit, number for number, and no keys
# without a bound.
expect_ok "$GMOE" fit -k 3 --init near-true --truth "$TRUTH" --starts 3 --json sm.csv
grep -v '"seconds"' out >free.json
expect_ok "$GMOE" fit -k 3 --init near-true --truth "$TRUTH" --starts 3 --gate-bound 1e9 --json sm.csv
grep -v '"seconds"\|"gate_bound"\|"bound_active"' out >huge.json
cmp -s free.json huge.json || fail "--gate-bound 1e9 differs from no bound: $(diff free.json huge.json)"
[ "$(json_member bound_active out)" = 0 ] || fail "--gate-bound 1e9: bound_active $(json_member bound_active out)"
! grep -q '"gate_bound"\|"bound_active"' free.json || fail "unbounded fit file has bound keys"

# ---------------------------------------------------------------- a divergent gate
# A gate that switches within 1e-4 of x = 0.5 on a grid of step 1/199: the two experts split
# the data exactly, and the unbounded likelihood rises forever with the gate's slope.
cat >steep.json <<'JSON'
{"gmoe_model": 1, "gate": "softmax", "experts": [
 {"beta0": -5000, "beta1": [10000], "a": [-20], "b": 15, "var": 0.09},
 {"beta0": 0, "beta1": [0], "a": [20], "b": -5, "var": 0.16}]}
JSON
expect_ok "$GMOE" simulate --model steep.json -n 200 --seed 3 --design grid -o steep.csv
expect_ok "$GMOE" fit -k 2 --starts 4 --json steep.csv
[ "$(json_member status out)" = gate-divergent ] ||
    fail "steep data, no bound: status $(json_member status out), expected gate-divergent"
expect_ok "$GMOE" fit -k 2 --starts 4 --gate-bound 20 -o steep-b.json steep.csv
[ "$(json_member status steep-b.json)" = converged ] ||
    fail "steep data, bound 20: status $(json_member status steep-b.json)"
on=$(in_box steep-b.json 20) || fail "steep data, bound 20: outside the box: $(cat steep-b.json)"
[ "$on" -gt 0 ] && [ "$(json_member bound_active steep-b.json)" = "$on" ] ||
    fail "steep data, bound 20: $on on the bound, bound_active $(json_member bound_active steep-b.json)"

# ---------------------------------------------------------------- other families
# Temperature: the box is on beta1/tau (tau held at its start value).
expect_ok "$GMOE" simulate --model "$GMOE_DATA/temperature-truth.json" -n 1000 --seed 2 \
    --lo -3 --hi 3 -o temp.csv
expect_ok "$GMOE" fit -k 2 --gate temperature --tau 0.5 --starts 3 --gate-bound 2 -o temp.json temp.csv
grep -q '^gate bound  *|beta0|, |beta1/tau| <= 2: [1-9]' out || fail "temperature summary: $(cat out)"
tau=$(json_member tau temp.json)
[ "$tau" = 0.5 ] || fail "temperature with a bound: tau $tau, expected the start value 0.5"
on=$(in_box temp.json 2 "$tau") || fail "temperature: beta1/tau outside the box: $(cat temp.json)"
[ "$on" -gt 0 ] || fail "temperature: nothing on the bound $(cat temp.json)"
# Activation: 1/tau <= B too.
expect_ok "$GMOE" fit -k 2 --gate activation --starts 2 --gate-bound 2 -o act.json temp.csv
grep -q '^gate bound  *|beta0|, |beta1| <= 2, 1/tau <= 2: ' out || fail "activation summary: $(cat out)"
awk -v t="$(json_member tau act.json)" 'BEGIN { exit !(t >= 0.5) }' ||
    fail "activation: tau $(json_member tau act.json) below 1/B"
in_box act.json 2 >/dev/null || fail "activation: outside the box: $(cat act.json)"
# Sigmoid and top-K fit with a bound too.
expect_ok "$GMOE" fit -k 3 --gate sigmoid --starts 2 --gate-bound 1 -o sig.json sm.csv
in_box sig.json 1 >/dev/null || fail "sigmoid: outside the box: $(cat sig.json)"
expect_ok "$GMOE" fit -k 3 --gate topk --topk 2 --starts 2 --gate-bound 1 -o topk.json sm.csv
in_box topk.json 1 >/dev/null || fail "topk: outside the box: $(cat topk.json)"

# ---------------------------------------------------------------- errors
expect_err 2 'gmoe: --gate-bound must be a positive number (got "0")' \
    "$GMOE" fit -k 2 --gate-bound 0 sm.csv
expect_err 2 'gmoe: --gate-bound must be a positive number (got "inf")' \
    "$GMOE" fit -k 2 --gate-bound inf sm.csv
expect_err 2 'gmoe: fit: --gate-bound does not apply to --gate gaussian (its pi, c and Gamma are moments of x, not free gate parameters)' \
    "$GMOE" fit -k 2 --gate gaussian --gate-bound 5 sm.csv
sed 's/"gate_bound": 12.0,/"gate_bound": -1,/' b10.json >badbound.json
expect_err 1 'gmoe: badbound.json: fit.gate_bound: must be > 0 (got -1)' \
    "$GMOE" loglik --model badbound.json sm.csv

# ---------------------------------------------------------------- sweeps
cat >b.conf <<EOF
truth      = $TRUTH
design     = grid 0 1
k          = 3
n          = 500, 1000
reps       = 2
starts     = 2
gate_bound = 12
metrics    = loss
seed       = 3
EOF
expect_ok "$GMOE" sweep --quiet --threads 2 b.conf
[ "$(grep -v '^#' b.csv | head -n 1)" = "n,rep,loglik,loglik_truth,iterations,maps,status,seconds,bound_active,loss" ] ||
    fail "bounded sweep columns: $(grep -v '^#' b.csv | head -n 1)"
grep -v '^#' b.csv | tail -n +2 | awk -F, '$7 == "failed" || $9 !~ /^[0-9]+$/ { bad++ } { on += $9 }
    END { exit bad > 0 || NR != 4 || on == 0 }' || fail "bounded sweep rows: $(cat b.csv)"
expect_ok "$GMOE" rate --json b.csv
! grep -q bound_active out || fail "gmoe rate treats bound_active as a metric: $(cat out)"
sed 's/^gate_bound.*/gate_bound = -1/' b.conf >bad.conf
expect_err 1 'gmoe: bad.conf:7: gate_bound: expected a number > 0 (got "-1")' "$GMOE" sweep bad.conf
printf 'truth = %s\ndesign = gate\nk = 2\ngate = gaussian\nn = 300\ngate_bound = 5\n' \
    "$GMOE_DATA/gaussian-truth.json" >gauss.conf
expect_err 1 'gmoe: gauss.conf:6: gate_bound: does not apply to the Gaussian gate (its pi, c and Gamma are moments of x, not free gate parameters)' \
    "$GMOE" sweep gauss.conf

finish
