#!/bin/sh
# gmoe fit --factor: a text column named in --x is coded as indicator columns (levels sorted
# bytewise, the first dropped, named COL=LEVEL), and the fit equals the fit of the same data
# with the indicator columns made by hand; without --factor the error names file, line and
# column and suggests it.
. "${srcdir:-.}/tests/testlib.sh"

# 200 rows; g's levels appear unsorted (mid, lo, hi): bytewise hi < lo < mid, so hi is the
# reference and the columns are g=lo, g=mid. The same rows with those columns by hand.
factor_data 16 200 x,g,y fac.csv ind.csv

# The model file without the names of the columns and the fit object (which holds timings).
params()
{
    sed '/"response"/,$d' "$1"
}

expect_ok "$GMOE" fit -k 2 --seed 3 --x x,g --factor g -o fac.json fac.csv
head -n 1 out >fac.head
expect_ok "$GMOE" fit -k 2 --seed 3 --x x,g=lo,g=mid -o ind.json ind.csv
params fac.json >fac.par
params ind.json >ind.par
cmp -s fac.par ind.par || fail "fit with --factor differs from the fit on hand-made indicators"
# The model file records the covariates as coded and the factor's levels, reference first.
tr -d ' \n' <fac.json >fac.flat
grep -qF '"response":"y","covariates":["x","g=lo","g=mid"],"factors":[{"column":"g","levels":["hi","lo","mid"]}],"fit"' fac.flat ||
    fail "names in the model file: $(cat fac.flat)"
tr -d ' \n' <ind.json >ind.flat
grep -qF '"response":"y","covariates":["x","g=lo","g=mid"],"fit"' ind.flat ||
    fail "names in the model file without factors: $(cat ind.flat)"
grep -q '^gmoe fit: fac.csv, n = 200, response y, covariates x, g=lo, g=mid$' fac.head ||
    fail "summary header: $(cat fac.head)"
# The summary's parameter labels name the indicator columns.
run "$GMOE" fit -k 2 --seed 3 --x x,g --factor g fac.csv
grep -q '^       beta1\[g=mid\]' out || fail "summary without beta1[g=mid]: $(grep beta1 out)"

# Without --x: every column but y, the factor coded in place.
expect_ok "$GMOE" fit -k 2 --seed 3 --factor g -o all.json fac.csv
params all.json >all.par
cmp -s all.par ind.par || fail "fit with --factor and no --x differs"
# --factor repeated adds up; a name given twice is an error.
expect_err 1 'gmoe: fac.csv: column "g" named twice as a factor' \
    "$GMOE" fit -k 2 --factor g --factor g fac.csv

# Errors: the hint without --factor, a factor that is not a covariate, a single level.
expect_err 1 'gmoe: fac.csv:2: column "g" (field 2): not a number: "mid" (categorical? use --factor g)' \
    "$GMOE" fit -k 2 --x x,g fac.csv
expect_err 1 'gmoe: fac.csv: factor column "g" is not a selected covariate' \
    "$GMOE" fit -k 2 --x x --factor g fac.csv
expect_err 1 'gmoe: fac.csv: factor column "y" is not a selected covariate' \
    "$GMOE" fit -k 2 --factor y fac.csv
expect_err 1 'gmoe: fac.csv: factor column "h" is not a selected covariate' \
    "$GMOE" fit -k 2 --x x,g --factor g,h fac.csv
expect_err 1 'gmoe: fac.csv:1: no column named "h"' \
    "$GMOE" fit -k 2 --factor g,h fac.csv
# gmoe select --factor: the same selection as on the hand-made indicators (--json holds
# every fit's log-likelihood and criteria and the dendrogram), and the chosen model file
# records the factor, so that loglik codes the data file by it.
expect_ok "$GMOE" select -k 3 --starts 4 --seed 2 --x x,g --factor g --json fac.csv
sed 's/"seconds": [^}]*//' out >sel-fac.json
expect_ok "$GMOE" select -k 3 --starts 4 --seed 2 --x x,g=lo,g=mid --json ind.csv
sed 's/"seconds": [^}]*//' out >sel-ind.json
grep -q '"loglik"' sel-ind.json || fail "select --json: $(cat sel-ind.json)"
cmp -s sel-fac.json sel-ind.json || fail "select with --factor differs from the hand-made indicators"
expect_ok "$GMOE" select -k 3 --starts 4 --seed 2 --factor g --criterion bic -o sel.json fac.csv
tr -d ' \n' <sel.json | grep -qF '"factors":[{"column":"g","levels":["hi","lo","mid"]}]' ||
    fail "select's model file without the factor: $(cat sel.json)"
expect_ok "$GMOE" loglik --model sel.json fac.csv
ll=$(sed -n 's/^ *"loglik": \(.*\),$/\1/p' sel.json)
same_number "$(cat out)" "$ll" 1e-12 || fail "loglik of select's model $(cat out), its fit $ll"
expect_err 1 'gmoe: fac.csv:2: column "g" (field 2): not a number: "mid" (categorical? use --factor g)' \
    "$GMOE" select -k 2 fac.csv
printf 'x,g,y\n1,a,2\n2,a,3\n3,a,1\n' >one.csv
expect_err 1 'gmoe: one.csv: factor column "g" has a single level "a"' \
    "$GMOE" fit -k 1 --factor g one.csv
printf 'x,g,y\n1,a,2\n2,,3\n3,b,1\n' >empty.csv
expect_err 1 'gmoe: empty.csv:3: column "g" (field 2): empty field' \
    "$GMOE" fit -k 1 --factor g empty.csv
finish
