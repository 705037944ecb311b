#!/bin/sh
# gmoe select: each fit is gmoe fit's, the criteria and the DSC recomputed from the --json
# numbers and the model files (gmoe loglik), the chosen model files, thread independence,
# the tables, and the errors.
. "${srcdir:-.}/tests/testlib.sh"

cp "$GMOE_DATA/faithful.csv" faithful.csv
PY=/usr/bin/python3

# json_member NAME FILE: the first value of "NAME": in a JSON file.
json_member()
{
    sed -n "s/.*\"$1\": *\"\{0,1\}\([^,\"}]*\).*/\1/p" "$2" | head -n 1
}

# ---------------------------------------------------------------- --json against gmoe fit
expect_ok "$GMOE" select --y waiting --x eruptions -k 3 --starts 20 --json faithful.csv
cp out sel.json
for key in n k_max chosen fits dendrogram dsc aic bic icl loglik height merged status; do
    grep -q "\"$key\":" sel.json || fail "--json: no \"$key\""
done
# The k = 2 fit is gmoe fit's with the same starts, seed and tolerance (select's default
# 1e-6; data/README.md: -851.3149).
expect_ok "$GMOE" fit --y waiting --x eruptions -k 2 --starts 20 --tol 1e-6 --json faithful.csv
fit2=$(json_member loglik out)
if [ -x "$PY" ]; then
    "$PY" - sel.json "$fit2" <<'PY' || fail "--json: inconsistent: $(cat sel.json)"
import json, math, sys
o = json.load(open(sys.argv[1]))
fit2 = float(sys.argv[2])
n = o["n"]
assert n == 272 and o["k_max"] == 3 and o["k_min"] == 1, o
fits = {f["k"]: f for f in o["fits"]}
assert sorted(fits) == [1, 2, 3]
assert abs(fits[2]["loglik"] - fit2) <= 1e-9 * abs(fit2), (fits[2], fit2)
assert abs(fit2 + 851.3149) < 1e-3
for f in o["fits"]:
    l, p = f["loglik"], f["nparams"]
    assert p == 3 * f["k"] + 2 * (f["k"] - 1), f  # experts k(d + 2), gate (k - 1)(d + 1), d = 1
    assert abs(f["aic"] - (-2 * l + 2 * p)) < 1e-8
    assert abs(f["bic"] - (-2 * l + p * math.log(n))) < 1e-8
    assert abs(f["icl"] - (f["bic"] + 2 * f["entropy"])) < 1e-8 and f["entropy"] >= 0
for c in ("aic", "bic", "icl"):
    ok = [f for f in o["fits"] if f["status"] != "degenerate"] or o["fits"]
    assert o["chosen"][c] == min(ok, key=lambda f: (f[c], f["k"]))["k"], c
levels = o["dendrogram"]
assert [d["k"] for d in levels] == [3, 2, 1]
for d in levels:
    assert abs(sum(d["mass"]) - 1) < 1e-12 and len(d["mass"]) == d["k"]
    if d["k"] == 1:
        assert d["height"] is None and d["dsc"] is None and d["merged"] is None
        continue
    i, j = d["merged"]
    assert 0 <= i < j < d["k"]
    assert abs(d["dsc"] - -(d["height"] + math.log(n) * d["loglik"] / n)) < 1e-9 * abs(d["dsc"])
    assert d["dsc"] == d["dsc_plain"]
# The K level is the K fit itself.
assert abs(levels[0]["loglik"] - fits[3]["loglik"]) < 1e-8 * abs(fits[3]["loglik"])
assert o["chosen"]["dsc"] == min(levels[:-1], key=lambda d: (d["dsc"], d["k"]))["k"]
PY
fi

# ---------------------------------------------------------------- -o and --criterion
# The DSC's model is the dendrogram's level: a merged model without a fit object, whose
# log-likelihood gmoe loglik recomputes from the file alone.
expect_ok "$GMOE" select --y waiting --x eruptions -k 3 --starts 20 -o dsc.json faithful.csv
grep -q '^Chosen: DSC' out || fail "select -o: no tables: $(cat out)"
grep -q '"fit"' dsc.json && fail "-o (dsc): a merged model has no fit object"
kd=$(sed -n 's/.*"dsc": \([0-9]*\), "aic".*/\1/p' sel.json)
[ "$(grep -c '"beta0"' dsc.json)" = "$kd" ] || fail "-o (dsc): not $kd experts: $(cat dsc.json)"
expect_ok "$GMOE" loglik --model dsc.json --y waiting --x eruptions faithful.csv
lvl=$(tr -d '\n' <sel.json | sed "s/.*{\"k\": $kd, \"loglik\": \([^,]*\), \"height\".*/\1/")
same_number "$(cat out)" "$lvl" 1e-12 || fail "-o (dsc): loglik $(cat out), level $kd has $lvl"

# --refit: EM from the merged model, with a fit object, no lower than the merged level.
expect_ok "$GMOE" select --y waiting --x eruptions -k 3 --starts 20 -o refit.json --refit \
    faithful.csv
grep -q '"status": "converged"' refit.json || fail "--refit: not converged: $(cat refit.json)"
awk -v a="$(json_member loglik refit.json)" -v b="$lvl" 'BEGIN { exit !(a + 0 >= b - 1e-9) }' ||
    fail "--refit: loglik $(json_member loglik refit.json) below the merged level's $lvl"

# --criterion bic: the fit for BIC's k, as gmoe fit writes it.
expect_ok "$GMOE" select --y waiting --x eruptions -k 3 --starts 20 -o bic.json \
    --criterion bic faithful.csv
kb=$(sed -n 's/.*"bic": \([0-9]*\), "icl".*/\1/p' sel.json)
expect_ok "$GMOE" fit --y waiting --x eruptions -k "$kb" --starts 20 --tol 1e-6 -o fitb.json \
    faithful.csv
[ "$(grep -v '"seconds"' bic.json)" = "$(grep -v '"seconds"' fitb.json)" ] ||
    fail "--criterion bic: not gmoe fit -k $kb's model file"

# -o - prints the model file instead of the tables.
expect_ok "$GMOE" select --y waiting --x eruptions -k 3 --starts 20 -o - faithful.csv
[ "$(cat out)" = "$(cat dsc.json)" ] || fail "-o -: not the model file"

# ---------------------------------------------------------------- threads, tables, help
expect_ok "$GMOE" select --y waiting --x eruptions -k 3 --starts 20 --json --threads 1 \
    faithful.csv
sed 's/"seconds": [^,}]*//g' out >t1.json
expect_ok "$GMOE" select --y waiting --x eruptions -k 3 --starts 20 --json --threads 3 \
    faithful.csv
sed 's/"seconds": [^,}]*//g' out >t3.json
cmp -s t1.json t3.json || fail "--threads 1 and 3 differ"

expect_ok "$GMOE" select --y waiting --x eruptions -k 3 --kmin 2 --starts 5 --dsc rescaled \
    --mass intercept faithful.csv
grep -q 'height / largest height' out || fail "--dsc rescaled: not said"
grep -q 'exp(beta0) normalised' out || fail "--mass intercept: not said"
expect_ok "$GMOE" select --y waiting --x eruptions -k 3 --kmin 2 --starts 5 --json faithful.csv
grep -q '"k_min": 2' out || fail "--kmin 2: k_min"
grep '"status"' out | grep -q '{"k": 1,' && fail "--kmin 2: k = 1 fitted"

expect_ok "$GMOE" help select
grep -q '^Usage: gmoe select' out || fail "gmoe help select"
expect_ok "$GMOE" --help
grep -q '^  select ' out || fail "gmoe --help does not list select"

# Every gate family runs (a small data set, few starts).
expect_ok "$GMOE" simulate --model "$GMOE_DATA/softmax-truth.json" -n 300 --seed 4 -o s.csv
for g in "softmax" "topk --topk 2" "temperature" "activation" "sigmoid" "gaussian"; do
    # shellcheck disable=SC2086
    expect_ok "$GMOE" select -k 3 --starts 2 --gate $g --json s.csv
    grep -q '"chosen"' out || fail "--gate $g: no JSON"
done

# ---------------------------------------------------------------- errors
expect_err 2 "gmoe: select: -k K is required (see 'gmoe help select')" \
    "$GMOE" select --y waiting faithful.csv
expect_err 2 "gmoe: select: --kmin 4 exceeds -k 3" \
    "$GMOE" select -k 3 --kmin 4 --y waiting faithful.csv
expect_err 2 "gmoe: --kmin must be a positive integer (got \"0\")" \
    "$GMOE" select -k 3 --kmin 0 --y waiting faithful.csv
expect_err 2 "gmoe: select: --criterion must be dsc, aic, bic or icl (got \"hqc\")" \
    "$GMOE" select -k 3 --criterion hqc -o x.json --y waiting faithful.csv
expect_err 2 "gmoe: select: --criterion only goes with -o FILE (the model it writes)" \
    "$GMOE" select -k 3 --criterion bic --y waiting faithful.csv
expect_err 2 "gmoe: select: --refit only goes with -o FILE (the model it writes)" \
    "$GMOE" select -k 3 --refit --y waiting faithful.csv
expect_err 2 "gmoe: select: --refit only goes with --criterion dsc (the other criteria choose a fit already)" \
    "$GMOE" select -k 3 --refit --criterion aic -o x.json --y waiting faithful.csv
expect_err 2 "gmoe: select: --json and -o - both write to standard output" \
    "$GMOE" select -k 3 --json -o - --y waiting faithful.csv
expect_err 2 "gmoe: select: --init must be data or random (near-true starts need a truth with at most k experts, for every k)" \
    "$GMOE" select -k 3 --init near-true --y waiting faithful.csv
expect_err 2 "gmoe: select: --mass must be gate or intercept (got \"pi\")" \
    "$GMOE" select -k 3 --mass pi --y waiting faithful.csv
expect_err 2 "gmoe: select: --dsc must be plain or rescaled (got \"scaled\")" \
    "$GMOE" select -k 3 --dsc scaled --y waiting faithful.csv
expect_err 2 "gmoe: select: --topk only goes with --gate topk" \
    "$GMOE" select -k 3 --topk 2 --y waiting faithful.csv
expect_err 2 "gmoe: select: missing data file (DATA.csv) (see 'gmoe help select')" \
    "$GMOE" select -k 3
expect_err 2 "gmoe: select: column \"waiting\" is both the response (--y) and a covariate (--x)" \
    "$GMOE" select -k 3 --y waiting --x waiting faithful.csv
expect_err 1 "gmoe: faithful.csv: -k 300 exceeds the number of observations (n = 272)" \
    "$GMOE" select -k 300 --y waiting faithful.csv
expect_err 1 "gmoe: nosuch.csv: cannot open: No such file or directory" \
    "$GMOE" select -k 3 nosuch.csv
printf 'x1,y\n0.1,2\n0.2,3\nabc,4\n0.4,5\n' >text.csv
expect_err 1 "gmoe: text.csv:4: column \"x1\" (field 1): not a number: \"abc\" (categorical? use --factor x1)" \
    "$GMOE" select -k 2 text.csv
expect_err 1 "gmoe: nodir/x.json: cannot write: No such file or directory" \
    "$GMOE" select -k 2 --y waiting -o nodir/x.json faithful.csv
ls ./*.tmp.* >/dev/null 2>&1 && fail "temporary files left: $(ls ./*.tmp.*)"

finish
