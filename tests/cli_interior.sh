#!/bin/sh
# gmoe fit --prefer interior and loglik_interior: on data whose best start is gate-divergent
# (a steep truth, n = 60) the summary names the best converged start, the fit object records
# both log-likelihoods, and --prefer interior writes that start (gmoe loglik reproduces its
# log-likelihood); on data whose best start converges, and where none does, nothing changes.
. "${srcdir:-.}/tests/testlib.sh"

json_member()
{
    sed -n "s/.*\"$1\": *\"\{0,1\}\([^,\"}]*\).*/\1/p" "$2" | head -n 1
}

# The model file without its fit object (the parameters).
params()
{
    sed '/"fit"/,$d' "$1"
}

cat >steep.json <<'JSON'
{"gmoe_model": 1, "gate": "softmax",
 "experts": [{"beta0": 50, "beta1": [-100], "a": [1], "b": 1, "var": 0.36},
             {"beta0": 0, "beta1": [0], "a": [-1], "b": 3, "var": 0.36}]}
JSON

# Seed 8: the best start runs off, another converges lower.
expect_ok "$GMOE" simulate --model steep.json -n 60 --seed 8 -o div.csv
expect_ok "$GMOE" fit -k 2 --threads 2 -o best.json div.csv
cp out summary.txt
[ "$(json_member status best.json)" = gate-divergent ] || fail "status $(json_member status best.json)"
ll=$(json_member loglik best.json)
lli=$(json_member loglik_interior best.json)
awk -v a="$lli" -v b="$ll" 'BEGIN { exit !(a != "" && a != "null" && a + 0 < b + 0) }' ||
    fail "loglik_interior $lli, expected below loglik $ll"
grep -q '"prefer"' best.json && fail "prefer written without --prefer interior"
istart=$(sed -n 's/^interior best *start \([0-9]*\), converged, log-likelihood \([-0-9.]*\);$/\1/p' summary.txt)
[ -n "$istart" ] || fail "summary without the interior best: $(grep -A1 '^status' summary.txt)"
sed -n 's/^interior best *start [0-9]*, converged, log-likelihood \([-0-9.]*\);$/\1/p' summary.txt >sll
same_number "$(cat sll)" "$lli" 1e-6 || fail "summary interior loglik $(cat sll), file $lli"
grep -q '^ *--prefer interior writes it$' summary.txt || fail "summary does not say --prefer interior"

expect_ok "$GMOE" fit -k 2 --threads 2 --prefer interior -o inter.json div.csv
cp out isummary.txt
[ "$(json_member status inter.json)" = converged ] || fail "preferred status $(json_member status inter.json)"
[ "$(json_member loglik inter.json)" = "$lli" ] || fail "preferred loglik $(json_member loglik inter.json), expected $lli"
[ "$(json_member loglik_interior inter.json)" = "$lli" ] || fail "preferred loglik_interior"
[ "$(json_member prefer inter.json)" = interior ] || fail "prefer $(json_member prefer inter.json)"
[ "$(json_member loglik_best inter.json)" = "$ll" ] || fail "loglik_best $(json_member loglik_best inter.json), expected $ll"
# The written parameters give that log-likelihood when scored again.
expect_ok "$GMOE" loglik --model inter.json div.csv
same_number "$(cat out)" "$lli" 1e-10 || fail "gmoe loglik of the interior fit $(cat out), expected $lli"
grep -q "^starts .*the best converged is start $istart;" isummary.txt || fail "preferred summary: $(grep '^starts' isummary.txt)"
grep -q '^best start *start [0-9]*, gate-divergent, log-likelihood' isummary.txt ||
    fail "preferred summary does not name the best start: $(cat isummary.txt)"
# --json carries the same fit object.
expect_ok "$GMOE" fit -k 2 --threads 2 --prefer interior --json div.csv
[ "$(json_member loglik_best out)" = "$ll" ] || fail "--json loglik_best"
# --prefer best is the default.
expect_ok "$GMOE" fit -k 2 --threads 2 --prefer best -o best2.json div.csv
[ "$(params best2.json)" = "$(params best.json)" ] || fail "--prefer best differs from the default"

# Seed 2: the best start converges; loglik_interior is loglik and preferring changes nothing.
expect_ok "$GMOE" simulate --model steep.json -n 60 --seed 2 -o conv.csv
expect_ok "$GMOE" fit -k 2 --threads 2 -o c1.json conv.csv
grep -q '^interior best' out && fail "interior line for a converged best start"
[ "$(json_member status c1.json)" = converged ] || fail "seed 2 status $(json_member status c1.json)"
[ "$(json_member loglik_interior c1.json)" = "$(json_member loglik c1.json)" ] || fail "seed 2 loglik_interior"
expect_ok "$GMOE" fit -k 2 --threads 2 --prefer interior -o c2.json conv.csv
[ "$(params c2.json)" = "$(params c1.json)" ] || fail "seed 2: --prefer interior changed the fit"
grep -q '"prefer"' c2.json && fail "seed 2: prefer written though the best start is interior"

# Seed 1: no start converges: null, and --prefer interior writes the best start.
expect_ok "$GMOE" simulate --model steep.json -n 60 --seed 1 -o none.csv
expect_ok "$GMOE" fit -k 2 --threads 2 -o n1.json none.csv
[ "$(json_member loglik_interior n1.json)" = null ] || fail "seed 1 loglik_interior $(json_member loglik_interior n1.json)"
grep -q '^interior best *none: no start converged$' out || fail "seed 1 summary: $(cat out)"
expect_ok "$GMOE" fit -k 2 --threads 2 --prefer interior -o n2.json none.csv
grep -q '^interior best *none: no start converged (--prefer interior wrote the best start)$' out ||
    fail "seed 1 preferred summary: $(cat out)"
[ "$(params n2.json)" = "$(params n1.json)" ] || fail "seed 1: --prefer interior changed the fit"
# The file reads back (predict accepts it).
expect_ok "$GMOE" predict --columns mean n2.json none.csv

expect_err 2 "gmoe: fit: --prefer must be best or interior (got \"inside\")" \
    "$GMOE" fit -k 2 --prefer inside none.csv

finish
