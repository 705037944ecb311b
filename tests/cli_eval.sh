#!/bin/sh
# gmoe eval: losses and distances against values worked out here, JSON keys, options, errors.
. "${srcdir:-.}/tests/testlib.sh"

# json KEY: the value of a top-level member of the JSON object in ./out (gmoe eval --json
# writes one member a line).
json()
{
    sed -n "s/^  \"$1\": \(.*\),\$/\1/p; s/^  \"$1\": \([^,]*\)\$/\1/p" out
}

# The truth against itself: loss 0, distances 0, every true expert alone in its cell.
expect_ok "$GMOE" eval --truth "$TRUTH" --json "$TRUTH"
[ "$(json loss)" = 0 ] || fail "loss at the truth: $(json loss)"
[ "$(json loss_pinned)" = 0 ] || fail "pinned loss at the truth: $(json loss_pinned)"
[ "$(json loss_name)" = '"D1"' ] || fail "loss_name at the truth: $(json loss_name)"
[ "$(json hellinger)" = 0 ] || fail "hellinger at the truth: $(json hellinger)"
[ "$(json tv)" = 0 ] || fail "tv at the truth: $(json tv)"
[ "$(json cells)" = '[[0], [1]]' ] || fail "cells at the truth: $(json cells)"
if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json, sys
o = json.load(open("out"))
need = {"loss", "loss_name", "loss_pinned", "hellinger", "tv", "cells"}
sys.exit(not need <= set(o))' || fail "--json output lacks a required member: $(cat out)"
fi

# One expert each (a = 0, so the densities do not depend on x):
#   truth N(0, 1), mass 1, slope 0;  fit N(0.3, 1.2), mass e^0.7, slope 3.5.
# The infimum moves the slope onto the truth's (t1 = -3.5) and the mass onto 1 (t0 = -0.7):
# D1 = |db| + |dv| = 0.5. Hellinger in closed form.
cat >t1.json <<'JSON'
{"gmoe_model": 1, "gate": "softmax",
 "experts": [{"beta0": 0, "beta1": [0], "a": [0], "b": 0, "var": 1}]}
JSON
cat >f1.json <<'JSON'
{"gmoe_model": 1, "gate": "softmax",
 "experts": [{"beta0": 0.7, "beta1": [3.5], "a": [0], "b": 0.3, "var": 1.2}]}
JSON
expect_ok "$GMOE" eval --truth t1.json --json f1.json
same_number "$(json loss)" 0.5 1e-12 || fail "single-expert loss $(json loss), expected 0.5"
same_number "$(json t0)" -0.7 1e-9 || fail "single-expert t0 $(json t0), expected -0.7"
t1=$(json t1 | tr -d '[]')
same_number "$t1" -3.5 1e-7 || fail "single-expert t1 $t1, expected -3.5"
h=$(awk 'BEGIN { v1 = 1.2; v2 = 1; dm = 0.3
    h2 = 1 - sqrt(2 * sqrt(v1 * v2) / (v1 + v2)) * exp(-dm * dm / (4 * (v1 + v2)))
    printf "%.17g", sqrt(h2) }')
same_number "$(json hellinger)" "$h" 1e-8 || fail "hellinger $(json hellinger), closed form $h"
tv=$(json tv)
awk -v h="$h" -v tv="$tv" 'BEGIN { exit !(h * h <= tv && tv <= sqrt(2) * h) }' ||
    fail "tv $tv is not between h^2 and sqrt(2) h (h = $h)"

# The published truth with its reference (last) expert split exactly in two, masses 1/4 and
# 3/4: D2 = 0, but pinned (last expert's gate at 0) the fitted masses are
# (e^-8 / 0.75, 1/3, 1) and the loss is e^-8 / 3 + 1/3.
cat >split.json <<'JSON'
{"gmoe_model": 1, "gate": "softmax",
 "experts": [{"beta0": -8, "beta1": [25], "a": [-20], "b": 15, "var": 0.09},
             {"beta0": -1.3862943611198906, "beta1": [0], "a": [20], "b": -5, "var": 0.16},
             {"beta0": -0.2876820724517809, "beta1": [0], "a": [20], "b": -5, "var": 0.16}]}
JSON
expect_ok "$GMOE" eval --truth "$TRUTH" --json split.json
lp=$(awk 'BEGIN { printf "%.17g", exp(-8) / 3 + 1 / 3 }')
awk -v l="$(json loss)" 'BEGIN { exit !(l < 1e-12) }' || fail "exact split: loss $(json loss)"
same_number "$(json loss_pinned)" "$lp" 1e-12 || fail "split: pinned $(json loss_pinned), expected $lp"
[ "$(json loss_name)" = '"D2"' ] || fail "split: loss_name $(json loss_name)"
[ "$(json cells)" = '[[0], [1, 2]]' ] || fail "split: cells $(json cells)"
[ "$(json translation)" = '"infimum"' ] || fail "split: translation $(json translation)"
expect_ok "$GMOE" eval --truth "$TRUTH" --json --pinned split.json
same_number "$(json loss)" "$lp" 1e-12 || fail "--pinned: loss $(json loss), expected $lp"
[ "$(json translation)" = '"pinned"' ] || fail "--pinned: translation $(json translation)"
expect_ok "$GMOE" eval --truth "$TRUTH" --json --loss d1 split.json
[ "$(json loss_name)" = '"D1"' ] || fail "--loss d1: loss_name $(json loss_name)"

# The plain-text table.
expect_ok "$GMOE" eval --truth "$TRUTH" split.json
grep -q '^loss  *D2  *[0-9e.+-]*  *(infimum' out || fail "text output lacks the loss line: $(cat out)"
grep -q '^loss_pinned  *D2 ' out || fail "text output lacks the pinned loss line"
grep -q '^hellinger ' out && grep -q '^tv ' out || fail "text output lacks the distances"
grep -q '^1  *1,2 ' out || fail "text output lacks cell 1 = {1, 2}: $(cat out)"

# Fewer fitted than true experts: the empty cell costs its true mass e^-8.
cat >one.json <<'JSON'
{"gmoe_model": 1, "gate": "softmax",
 "experts": [{"beta0": 0, "beta1": [0], "a": [20], "b": -5, "var": 0.16}]}
JSON
expect_ok "$GMOE" eval --truth "$TRUTH" --json one.json
[ "$(json cells)" = '[[], [0]]' ] || fail "k < k*: cells $(json cells)"
same_number "$(json loss)" "$(awk 'BEGIN { printf "%.17g", exp(-8) }')" 1e-12 ||
    fail "k < k*: loss $(json loss)"
[ "$(json err_b)" = '[null, 0]' ] || fail "k < k*: err_b $(json err_b)"

# d = 2: Monte Carlo over x, reproducible for a seed.
cat >t2.json <<'JSON'
{"gmoe_model": 1, "gate": "softmax",
 "experts": [{"beta0": 0, "beta1": [1, -1], "a": [1, 0], "b": 0, "var": 0.5},
             {"beta0": 0, "beta1": [0, 0], "a": [0, 2], "b": 1, "var": 0.3}]}
JSON
cat >f2.json <<'JSON'
{"gmoe_model": 1, "gate": "softmax",
 "experts": [{"beta0": 0.1, "beta1": [1.2, -1], "a": [1.1, 0], "b": 0, "var": 0.55},
             {"beta0": 0, "beta1": [0, 0.1], "a": [0, 2], "b": 0.9, "var": 0.3}]}
JSON
expect_ok "$GMOE" eval --truth t2.json --json --samples 200 --seed 5 f2.json
[ "$(json distances_method)" = '"monte-carlo"' ] || fail "d = 2: $(json distances_method)"
[ "$(json samples)" = 200 ] && [ "$(json seed)" = 5 ] || fail "d = 2: samples or seed missing"
cp out mc1
expect_ok "$GMOE" eval --truth t2.json --json --samples 200 --seed 5 f2.json
cmp -s out mc1 || fail "the same seed gave a different output"
expect_ok "$GMOE" eval --truth t2.json --json --samples 200 --seed 6 f2.json
cmp -s out mc1 && fail "another seed gave the same output"
expect_ok "$GMOE" eval --truth t2.json --json --design normal --mean 0.5 --sd 2 f2.json
[ "$(json design)" = '{"kind": "normal", "mean": 0.5, "sd": 2}' ] ||
    fail "normal design: $(json design)"

# The gate design: x from the truth's Gaussian gate, here N(0.5, 0.25). One expert each,
# variance 1, means x and 1.4 x - 0.2: h(x)^2 = 1 - exp(-(0.4 x - 0.2)^2 / 8), averaged by awk
# over z = (x - 0.5) / 0.5 with the normal density (midpoints of step 1e-3 on [-9, 9]).
cat >tg.json <<'JSON'
{"gmoe_model": 1, "gate": "gaussian",
 "experts": [{"pi": 1, "c": [0.5], "Gamma": [[0.25]], "a": [1], "b": 0, "var": 1}]}
JSON
sed -e 's/"a": \[1\], "b": 0/"a": [1.4], "b": -0.2/' tg.json >fg.json
expect_ok "$GMOE" eval --truth tg.json --json --design gate fg.json
[ "$(json design)" = '{"kind": "gate"}' ] || fail "gate design: $(json design)"
h=$(awk 'BEGIN { for (z = -9 + 5e-4; z < 9; z += 1e-3) { x = 0.5 + 0.5 * z; dm = 0.4 * x - 0.2
        s += sqrt(1 - exp(-dm * dm / 8)) * exp(-z * z / 2) / sqrt(2 * 3.141592653589793) * 1e-3 }
    printf "%.17g", s }')
same_number "$(json hellinger)" "$h" 1e-6 || fail "gate design: hellinger $(json hellinger), Riemann sum $h"
expect_ok "$GMOE" eval --truth tg.json --design gate fg.json
grep -q "^ *E over x ~ the true gate's mixture, quadrature\$" out || fail "gate design text: $(cat out)"
expect_err 1 "gmoe: $TRUTH: --design gate draws x from the model's Gaussian gate, but this model has a softmax gate" \
    "$GMOE" eval --truth "$TRUTH" --design gate split.json
expect_err 2 'gmoe: eval: --design gate takes no --lo, --hi, --mean or --sd (x is drawn from the model'"'"'s Gaussian gate)' \
    "$GMOE" eval --truth tg.json --design gate --lo 0 fg.json

# Help.
expect_ok "$GMOE" eval --help
grep -q '^Usage: gmoe eval' out || fail "gmoe eval --help"
expect_ok "$GMOE" help eval
grep -q '^Usage: gmoe eval' out || fail "gmoe help eval"

# Usage errors (exit 2) and input errors (exit 1).
expect_err 2 "gmoe: eval: --truth FILE is required (see 'gmoe help eval')" \
    "$GMOE" eval split.json
expect_err 2 "gmoe: eval: missing fitted model file (FIT.json) (see 'gmoe help eval')" \
    "$GMOE" eval --truth "$TRUTH"
expect_err 2 'gmoe: --loss must be auto, d1 or d2 (got "d3")' \
    "$GMOE" eval --truth "$TRUTH" --loss d3 split.json
expect_err 2 'gmoe: eval: --mean is only used by --design normal (--design uniform takes --lo and --hi)' \
    "$GMOE" eval --truth "$TRUTH" --mean 1 split.json
expect_err 2 'gmoe: eval: the truth and the fit cannot both be standard input' \
    "$GMOE" eval --truth - -
expect_err 1 'gmoe: missing.json: cannot open: No such file or directory' \
    "$GMOE" eval --truth "$TRUTH" missing.json
sed 's/"softmax"/"sigmoid"/' split.json >sig.json
expect_err 1 "gmoe: sig.json: a sigmoid gate, but the true model $TRUTH has a softmax gate (the loss compares models of one family)" \
    "$GMOE" eval --truth "$TRUTH" sig.json
expect_err 1 "gmoe: f2.json: d = 2, but the true model $TRUTH has d = 1" \
    "$GMOE" eval --truth "$TRUTH" f2.json
expect_err 1 'gmoe: t2.json: the grid design needs models with d = 1 (these have d = 2)' \
    "$GMOE" eval --truth t2.json --design grid f2.json

finish
