#!/bin/sh
# A catalogue of bad (and odd but valid) inputs: each must give its exact one-line message and
# exit status 1, or be accepted. Files are made here; expected values come from awk.
. "${srcdir:-.}/tests/testlib.sh"

# A flat model: one expert, gate and mean 0, variance 1, so that every row's log-density is
# -log(2 pi)/2 whatever x is (even 1e308).
printf '{"gmoe_model": 1, "gate": "softmax", "experts": [{"beta0": 0, "beta1": [0], "a": [0], "b": 0, "var": 1}]}\n' >flat.json
half_log_2pi=$(awk 'BEGIN { printf "%.17g", 0.5 * log(2 * atan2(0, -1)) }')

# --- CSV data
expect_err 1 "gmoe: nosuch.csv: cannot open: No such file or directory" \
    "$GMOE" loglik --model flat.json nosuch.csv
mkdir dir.csv
expect_err 1 "gmoe: dir.csv: is a directory" "$GMOE" loglik --model flat.json dir.csv
: >empty.csv
expect_err 1 "gmoe: empty.csv: empty file (no header row)" "$GMOE" loglik --model flat.json empty.csv
printf 'x,y\n' >header.csv
expect_err 1 "gmoe: header.csv: no data rows" "$GMOE" loglik --model flat.json header.csv
printf '# only a comment\n\n' >comment.csv
expect_err 1 "gmoe: comment.csv: empty file (no header row)" \
    "$GMOE" loglik --model flat.json comment.csv
printf 'x,x,y\n1,2,3\n' >dup.csv
expect_err 1 "gmoe: dup.csv:1: duplicate column name \"x\"" "$GMOE" loglik --model flat.json dup.csv
printf 'x,y\n0.5,1\n0.25\n' >ragged.csv
expect_err 1 "gmoe: ragged.csv:3: expected 2 fields, found 1" \
    "$GMOE" loglik --model flat.json ragged.csv
printf 'x,y\n0.5,abc\n' >text.csv
expect_err 1 "gmoe: text.csv:2: column \"y\" (field 2): not a number: \"abc\"" \
    "$GMOE" loglik --model flat.json text.csv
printf 'x,y\nNaN,1\n' >nan.csv
expect_err 1 "gmoe: nan.csv:2: column \"x\" (field 1): not finite: \"NaN\"" \
    "$GMOE" loglik --model flat.json nan.csv
printf 'x,y\n0.5,-inf\n' >inf.csv
expect_err 1 "gmoe: inf.csv:2: column \"y\" (field 2): not finite: \"-inf\"" \
    "$GMOE" loglik --model flat.json inf.csv
printf 'x,y\n0.5,1e309\n' >huge.csv
expect_err 1 "gmoe: huge.csv:2: column \"y\" (field 2): out of range: \"1e309\"" \
    "$GMOE" loglik --model flat.json huge.csv
printf 'x,y\n1,2\n' >noy.csv
expect_err 1 "gmoe: noy.csv:1: no column named \"z\"" "$GMOE" loglik --model flat.json --y z noy.csv

# Accepted: the largest finite magnitudes, and a UTF-8 byte order mark with CRLF line ends.
printf 'x,y\n1e308,0\n-1e308,0\n' >big.csv
expect_ok "$GMOE" loglik --model flat.json big.csv
same_number "$(cat out)" "$(awk -v h="$half_log_2pi" 'BEGIN { printf "%.17g", -2 * h }')" ||
    fail "loglik of big.csv: $(cat out), expected -log(2 pi)"
printf '\357\273\277x,y\r\n0,0\r\n1,0\r\n2,0\r\n' >bom.csv
expect_ok "$GMOE" loglik --model flat.json bom.csv
same_number "$(cat out)" "$(awk -v h="$half_log_2pi" 'BEGIN { printf "%.17g", -3 * h }')" ||
    fail "loglik of bom.csv: $(cat out), expected -3 log(2 pi)/2"

# Values that overflow what a command computes from them. gmoe fit refuses |value| > 1e150
# while reading (its sums of squares would overflow); gmoe loglik and predict name the line
# whose gate scores overflow under the model (25 x 1e308 = inf), past comments and blanks;
# gmoe simulate names the observation whose y overflows.
printf 'x,y\n0,1\n1,2\n2,3\n3,1\n4,7\n1e308,3\n6,2\n' >fitbig.csv
expect_err 1 "gmoe: fitbig.csv:7: column \"x\" (field 1): too large to fit: \"1e308\" (|value| > 1e+150)" \
    "$GMOE" fit -k 2 fitbig.csv
printf 'x,y\n0,1\n1,-2e151\n' >fitbigy.csv
expect_err 1 "gmoe: fitbigy.csv:3: column \"y\" (field 2): too large to fit: \"-2e151\" (|value| > 1e+150)" \
    "$GMOE" fit -k 1 fitbigy.csv
printf 'x,y\n# a comment\n0,1\n\n1e308,2\n' >gatebig.csv
msg="the gate scores overflow (covariates too large for the gate parameters)"
expect_err 1 "gmoe: gatebig.csv:5: $msg" "$GMOE" loglik --model "$TRUTH" gatebig.csv
expect_err 1 "gmoe: gatebig.csv:5: $msg" "$GMOE" predict "$TRUTH" gatebig.csv
expect_err 1 "gmoe: <stdin>: observation 2: $msg" "$GMOE" predict "$TRUTH" - <gatebig.csv
printf '{"gmoe_model": 1, "gate": "softmax", "experts": [{"beta0": 0, "beta1": [0], "a": [1e308], "b": 1e308, "var": 1}]}\n' >huge.json
expect_err 1 "gmoe: huge.json: simulated observation 1: y = inf (expert 1's mean or variance too large for the covariates)" \
    "$GMOE" simulate --model huge.json -n 3 --lo 1 --hi 2 -o sim.csv
[ ! -e sim.csv ] || fail "simulate huge.json: wrote sim.csv"
# Designs whose draws would overflow are usage errors.
expect_err 2 "gmoe: simulate: design uniform: hi - lo (1e+308 - -1e+308) overflows" \
    "$GMOE" simulate --model flat.json -n 3 --lo -1e308 --hi 1e308
expect_err 2 "gmoe: simulate: design normal: mean 1e+308 and sd 1e+307 are so large that draws overflow" \
    "$GMOE" simulate --model flat.json -n 3 --design normal --mean 1e308 --sd 1e307

# --- model files
printf 'x,y\n0,0\n' >one.csv
printf '{"gmoe_model": 1, "gate": "softmax", "topk_selct": "score", "experts": [{"beta0": 0, "beta1": [0], "a": [0], "b": 0, "var": 1}]}\n' >extra.json
expect_err 1 "gmoe: extra.json: topk_selct: unknown key" "$GMOE" loglik --model extra.json one.csv
printf '{"gmoe_model": 1, "gate": "softmax", "experts": [{"beta0": 0, "beta1": [0], "a": [0], "b": 0, "var": 1, "weight": 2}]}\n' >extra2.json
expect_err 1 "gmoe: extra2.json: experts[0].weight: unknown key" \
    "$GMOE" loglik --model extra2.json one.csv
printf '{"gmoe_model": 1, "gate": "softmax", "experts": [{"beta0": 0, "beta1": [0], "a": [0], "var": 1}]}\n' >missing.json
expect_err 1 "gmoe: missing.json: experts[0].b: missing" "$GMOE" loglik --model missing.json one.csv
printf '{"gmoe_model": 1, "gate": "softmax", "experts": [{"beta0": 0, "beta1": [0], "a": [0], "b": "0", "var": 1}]}\n' >invalid.json
expect_err 1 "gmoe: invalid.json: experts[0].b: expected a number (got a string)" \
    "$GMOE" loglik --model invalid.json one.csv
: >empty.json
expect_err 1 "gmoe: empty.json: empty file" "$GMOE" loglik --model empty.json one.csv

# --- sweep configs
printf '# a typo\nkk = 3\n' >typo.conf
expect_err 1 "gmoe: typo.conf:2: unknown key \"kk\"" "$GMOE" sweep --quiet typo.conf
[ ! -e typo.csv ] || fail "sweep typo.conf: wrote typo.csv"

finish
