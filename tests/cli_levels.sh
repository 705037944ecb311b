#!/bin/sh
# gmoe predict and gmoe loglik with a model file that records its columns (response,
# covariates, factors): new data is selected by those names and its factor columns are coded
# by the model's levels, checked against the same rows with indicator columns made by hand;
# an unknown level is an error naming it; --x and --y still choose; a model file without the
# names works as before.
. "${srcdir:-.}/tests/testlib.sh"

# 300 rows, the factor first and the response in the middle; g's levels hi < lo < mid
# (bytewise), hi the reference. The same rows with the indicators by hand, and the rows
# without level mid (new data with a subset of the levels), both ways.
factor_data 7 300 g,resp,x fac.csv ind.csv sub.csv subind.csv

expect_ok "$GMOE" fit -k 2 --seed 5 --y resp --x x,g --factor g -o fac.json fac.csv
fit_ll=$(sed -n 's/^ *"loglik": \(.*\),$/\1/p' fac.json)

# loglik on the training file, no --x nor --y: the fit's log-likelihood.
expect_ok "$GMOE" loglik --model fac.json fac.csv
same_number "$(cat out)" "$fit_ll" 1e-12 || fail "loglik $(cat out), fit $fit_ll"
# The same through the hand-made indicators, selected with --x (the response: the model's).
expect_ok "$GMOE" loglik --model fac.json --x x,g=lo,g=mid ind.csv
same_number "$(cat out)" "$fit_ll" 1e-12 || fail "loglik by hand $(cat out), fit $fit_ll"

# predict on the training file: the same rows as with the hand-made indicators, whose
# posteriors sum to the fit's data share, and whose log-densities add up to the loglik.
expect_ok "$GMOE" predict -o fac.pred fac.json fac.csv
expect_ok "$GMOE" predict -o ind.pred --x x,g=lo,g=mid fac.json ind.csv
head -n 1 fac.pred | grep -q '^x,g=lo,g=mid,resp,g1,g2,post1,post2,mean,logdens$' ||
    fail "predict header: $(head -n 1 fac.pred)"
cmp -s fac.pred ind.pred || fail "predict with the model's levels differs from hand-made indicators"
sum=$(awk -F, 'NR > 1 { s += $10 } END { printf "%.17g", s }' fac.pred)
same_number "$sum" "$fit_ll" 1e-10 || fail "sum of logdens $sum, fit $fit_ll"

# New data with a subset of the levels (no mid): all three indicator columns still, the
# absent level's all 0.
expect_ok "$GMOE" predict -o sub.pred fac.json sub.csv
expect_ok "$GMOE" predict -o subind.pred --x x,g=lo,g=mid fac.json subind.csv
cmp -s sub.pred subind.pred || fail "predict on a subset of the levels differs"
awk -F, 'NR > 1 && $3 != 0 { bad = 1 } END { exit bad }' sub.pred || fail "g=mid not all 0"
expect_ok "$GMOE" loglik --model fac.json --json sub.csv
grep -q '"n": 2[0-9][0-9],' out || fail "loglik on the subset: $(cat out)"

# A level the model does not know: one line naming file, line, field, level and the levels.
{ head -n 3 fac.csv; echo 'top,1,2'; } >bad.csv
expect_err 1 'gmoe: bad.csv:4: column "g" (field 1): unknown level "top" (known levels: "hi", "lo", "mid")' \
    "$GMOE" predict fac.json bad.csv
expect_err 1 'gmoe: bad.csv:4: column "g" (field 1): unknown level "top" (known levels: "hi", "lo", "mid")' \
    "$GMOE" loglik --model fac.json bad.csv
# A recorded column that the data lacks.
cut -d, -f2,3 fac.csv >nog.csv
expect_err 1 'gmoe: nog.csv:1: no column named "g"' "$GMOE" loglik --model fac.json nog.csv
# --y still names another response.
sed '1s/resp/other/' fac.csv >other.csv
expect_err 1 'gmoe: other.csv:1: no column named "resp"' "$GMOE" loglik --model fac.json other.csv
expect_ok "$GMOE" loglik --model fac.json --y other other.csv
same_number "$(cat out)" "$fit_ll" 1e-12 || fail "loglik --y other $(cat out)"

# A numeric column named like an indicator column would make the recorded layout ambiguous:
# the model file is written without names, with a warning.
awk 'BEGIN { srand(3); print "g=b,g,y"
    for (i = 0; i < 60; i++) printf "%.4f,%s,%.4f\n", rand(), (i % 2 ? "a" : "b"), rand() }' >amb.csv
run "$GMOE" fit -k 1 --factor g -o amb.json amb.csv
[ "$status" -eq 0 ] || fail "fit on amb.csv: exit $status ($(cat err))"
grep -qx 'gmoe: warning: the model file records no column names: covariates\[1\]: "g=b" is named like an indicator column of factor "g"' err ||
    fail "fit on amb.csv: stderr $(cat err)"
grep -q '"covariates"' amb.json && fail "amb.json records names"

# Without factors: the covariates are found by name in any column order, and a model file
# without the names (as written before) selects as before (every column but y).
"$GMOE" simulate --model "$TRUTH" -n 200 --seed 3 -o sim.csv
expect_ok "$GMOE" fit -k 2 --seed 2 -o sim.json sim.csv
awk -F, '{ print $2 "," ($1 == "x1" ? "z" : $1 * 2) "," $1 }' sim.csv >moved.csv
expect_ok "$GMOE" predict -o sim.pred sim.json sim.csv
expect_ok "$GMOE" predict -o moved.pred sim.json moved.csv
cmp -s sim.pred moved.pred || fail "predict does not find x1 by name"
sed '/"response"/,/^  \],$/d' sim.json >old.json
grep -q covariates old.json && fail "old.json still has names"
expect_ok "$GMOE" predict -o old.pred old.json sim.csv
cmp -s sim.pred old.pred || fail "a model file without names predicts otherwise"
expect_err 1 'gmoe: moved.csv: 2 covariate columns selected, but the model old.json has d = 1 (select columns with --x)' \
    "$GMOE" predict old.json moved.csv
finish
