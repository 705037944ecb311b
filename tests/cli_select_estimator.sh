#!/bin/sh
# gmoe select with the estimator options it shares with gmoe fit (cli/fit_opts.c): the
# compact parameter set (--gate-bound, MODELS.md 7) and the acceleration (--accel). Each fit
# is gmoe fit's with the same options, the JSON and the tables say them, the chosen and the
# refitted models stay in the box, and the errors.
. "${srcdir:-.}/tests/testlib.sh"

cp "$GMOE_DATA/faithful.csv" faithful.csv
PY=/usr/bin/python3

json_member()
{
    sed -n "s/.*\"$1\": *\"\{0,1\}\([^,\"}]*\).*/\1/p" "$2" | head -n 1
}

# fit_member K NAME FILE: NAME of select --json's fit for k = K.
fit_member()
{
    tr -d '\n' <"$3" | sed 's/},/}\n/g' | grep "{\"k\": $1, \"loglik\".*\"aic\"" |
        sed -n "s/.*\"$2\": *\"\{0,1\}\([^,\"}]*\).*/\1/p"
}

# in_box FILE B: every beta0 and beta1 of a model file (d = 1) has |value| <= B.
in_box()
{
    sed -n 's/.*"beta0": *\([^,]*\), *"beta1": *\[\([^]]*\)\].*/\1 \2/p' "$1" |
        awk -v B="$2" '{ if ($1 > B || $1 < -B || $2 > B || $2 < -B) bad++ }
            END { exit bad > 0 }'
}

XY="--y waiting --x eruptions"

# ---------------------------------------------------------------- defaults
# shellcheck disable=SC2086
expect_ok "$GMOE" select $XY -k 2 --starts 3 --json faithful.csv
grep -q '"accel": "squarem", "gate_bound": null' out || fail "defaults: $(head -n 2 out)"
# shellcheck disable=SC2086
expect_ok "$GMOE" select $XY -k 2 --starts 3 faithful.csv
grep -q 'gate bound\|EM acceleration' out && fail "defaults: an estimator line: $(cat out)"

# ---------------------------------------------------------------- --gate-bound
# With B = 1 the two-expert fit of faithful is on the bound (its beta0 runs to -1): every
# fit of select is gmoe fit's with the same bound, counted on the bound alike.
# shellcheck disable=SC2086
expect_ok "$GMOE" select $XY -k 3 --starts 5 --gate-bound 1 --json faithful.csv
cp out bsel.json
[ "$(json_member gate_bound bsel.json)" = 1 ] || fail "--gate-bound 1: gate_bound $(head -n 2 bsel.json)"
for k in 1 2 3; do
    # shellcheck disable=SC2086
    expect_ok "$GMOE" fit $XY -k $k --starts 5 --gate-bound 1 --tol 1e-6 --json faithful.csv
    same_number "$(fit_member $k loglik bsel.json)" "$(json_member loglik out)" 1e-12 ||
        fail "--gate-bound 1, k = $k: select $(fit_member $k loglik bsel.json), fit $(json_member loglik out)"
    [ "$(fit_member $k bound_active bsel.json)" = "$(json_member bound_active out)" ] ||
        fail "--gate-bound 1, k = $k: bound_active differs from gmoe fit's"
done
[ "$(fit_member 2 bound_active bsel.json)" -gt 0 ] || fail "--gate-bound 1: k = 2 not on the bound"
# Unbounded, the k = 2 fit is higher: the bound binds.
# shellcheck disable=SC2086
expect_ok "$GMOE" select $XY -k 3 --starts 5 --json faithful.csv
awk -v a="$(fit_member 2 loglik out)" -v b="$(fit_member 2 loglik bsel.json)" \
    'BEGIN { exit !(a > b + 1e-3) }' || fail "--gate-bound 1 does not bind at k = 2"

# The tables say the bound and count the parameters on it.
# shellcheck disable=SC2086
expect_ok "$GMOE" select $XY -k 3 --starts 5 --gate-bound 1 faithful.csv
grep -q '^gate bound: |beta0|, |beta1| <= 1 ' out || fail "tables: no bound line: $(cat out)"
grep -q '^   2 .*converged, 1 on the bound$' out || fail "tables: k = 2 on the bound: $(cat out)"
# shellcheck disable=SC2086
expect_ok "$GMOE" select $XY -k 3 --starts 5 --gate-bound 1 --gate temperature faithful.csv
grep -q '^gate bound: |beta0|, |beta1/tau| <= 1 ' out || fail "temperature: $(cat out)"

# --criterion bic writes gmoe fit's bounded model file; --refit stays in the box and writes
# the bound in its fit object.
# shellcheck disable=SC2086
expect_ok "$GMOE" select $XY -k 3 --starts 5 --gate-bound 1 -o bic.json --criterion bic \
    faithful.csv
kb=$(sed -n 's/.*"bic": \([0-9]*\), "icl".*/\1/p' bsel.json)
# shellcheck disable=SC2086
expect_ok "$GMOE" fit $XY -k "$kb" --starts 5 --gate-bound 1 --tol 1e-6 -o fitb.json faithful.csv
[ "$(grep -v '"seconds"' bic.json)" = "$(grep -v '"seconds"' fitb.json)" ] ||
    fail "--gate-bound --criterion bic: not gmoe fit -k $kb's model file"
# shellcheck disable=SC2086
expect_ok "$GMOE" select $XY -k 3 --starts 5 --gate-bound 0.5 -o refit.json --refit faithful.csv
grep -q '"gate_bound": 0.5' refit.json || fail "--refit: no gate_bound: $(cat refit.json)"
in_box refit.json 0.5 || fail "--refit: outside the box: $(cat refit.json)"
# shellcheck disable=SC2086
expect_ok "$GMOE" select $XY -k 3 --starts 5 --gate-bound 0.5 --json faithful.csv
kd=$(sed -n 's/.*"dsc": \([0-9]*\), "aic".*/\1/p' out)
[ "$(grep -c '"beta0"' refit.json)" = "$kd" ] || fail "--refit: not $kd experts"

# ---------------------------------------------------------------- --accel
# shellcheck disable=SC2086
expect_ok "$GMOE" select $XY -k 3 --starts 5 --accel qn --json faithful.csv
cp out qsel.json
grep -q '"accel": "qn"' qsel.json || fail "--accel qn: $(head -n 2 qsel.json)"
for k in 2 3; do
    # shellcheck disable=SC2086
    expect_ok "$GMOE" fit $XY -k $k --starts 5 --accel qn --tol 1e-6 --json faithful.csv
    same_number "$(fit_member $k loglik qsel.json)" "$(json_member loglik out)" 1e-12 ||
        fail "--accel qn, k = $k: select $(fit_member $k loglik qsel.json), fit $(json_member loglik out)"
    [ "$(fit_member $k iterations qsel.json)" = "$(json_member iterations out)" ] ||
        fail "--accel qn, k = $k: iterations differ from gmoe fit's"
done
# shellcheck disable=SC2086
expect_ok "$GMOE" select $XY -k 2 --starts 3 --accel qn faithful.csv
grep -q '^EM acceleration: qn$' out || fail "--accel qn: not said: $(cat out)"
# --accel none is --no-accel.
# shellcheck disable=SC2086
expect_ok "$GMOE" select $XY -k 3 --starts 3 --accel none --json faithful.csv
grep -q '"accel": "none"' out || fail "--accel none: $(head -n 2 out)"
sed 's/"seconds": [^,}]*//g' out >none.json
# shellcheck disable=SC2086
expect_ok "$GMOE" select $XY -k 3 --starts 3 --no-accel --json faithful.csv
sed 's/"seconds": [^,}]*//g' out >noaccel.json
cmp -s none.json noaccel.json || fail "--accel none and --no-accel differ"

# ---------------------------------------------------------------- help and errors
expect_ok "$GMOE" select --help
grep -q '^      --gate-bound B ' out || fail "--help: no --gate-bound"
grep -q '^      --accel A ' out || fail "--help: no --accel"
# shellcheck disable=SC2086
expect_err 2 "gmoe: select: --gate-bound does not apply to --gate gaussian (its pi, c and Gamma are moments of x, not free gate parameters)" \
    "$GMOE" select $XY -k 2 --gate gaussian --gate-bound 2 faithful.csv
# shellcheck disable=SC2086
expect_err 2 "gmoe: select: --accel must be squarem, qn or none (got \"fast\")" \
    "$GMOE" select $XY -k 2 --accel fast faithful.csv
# shellcheck disable=SC2086
expect_err 2 "gmoe: --gate-bound must be a positive number (got \"0\")" \
    "$GMOE" select $XY -k 2 --gate-bound 0 faithful.csv
# gmoe fit says the same, from the same code.
# shellcheck disable=SC2086
expect_err 2 "gmoe: fit: --accel must be squarem, qn or none (got \"fast\")" \
    "$GMOE" fit $XY -k 2 --accel fast faithful.csv

finish
