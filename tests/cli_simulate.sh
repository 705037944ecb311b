#!/bin/sh
# gmoe simulate: reproducible bytes, designs, and its usage and input errors.
. "${srcdir:-.}/tests/testlib.sh"

cat >m2.json <<'JSON'
{"gmoe_model": 1, "gate": "softmax",
 "experts": [{"beta0": 0.5, "beta1": [2, -1], "a": [1, 2], "b": 0, "var": 0.25},
             {"beta0": 0, "beta1": [0, 0], "a": [-1, 0.5], "b": 1, "var": 1}]}
JSON

# The same arguments give the same bytes; -o - and no -o write stdout.
expect_ok "$GMOE" simulate --model "$TRUTH" -n 1000 --seed 42 -o a.csv
expect_ok "$GMOE" simulate --model "$TRUTH" -n 1000 --seed 42 -o b.csv
cmp -s a.csv b.csv || fail "two runs with the same arguments differ"
expect_ok "$GMOE" simulate --model "$TRUTH" -n 1000 --seed 42
cmp -s out a.csv || fail "stdout differs from -o FILE"
expect_ok "$GMOE" simulate -n 1000 -o - --seed 42 --model "$TRUTH"
cmp -s out a.csv || fail "-o - differs from -o FILE"
[ "$(ls)" = "$(printf 'a.csv\nb.csv\nerr\nm2.json\nout')" ] || fail "stray files: $(ls)"
expect_ok "$GMOE" simulate --model "$TRUTH" -n 1000 --seed 43 -o c.csv
cmp -s a.csv c.csv && fail "different seeds give the same data"

# Default design: uniform on [0, 1]; header x1,y; n rows.
[ "$(head -n 1 a.csv)" = "x1,y" ] || fail "header: $(head -n 1 a.csv)"
[ "$(wc -l <a.csv)" -eq 1001 ] || fail "rows: $(wc -l <a.csv), expected 1001 lines"
awk -F, 'NR > 1 && (NF != 2 || $1 < 0 || $1 >= 1) { bad++ } END { exit bad > 0 }' a.csv ||
    fail "uniform design: x outside [0, 1)"
awk -F, 'NR > 1 { s += $1 } END { m = s / (NR - 1); exit !(m > 0.45 && m < 0.55) }' a.csv ||
    fail "uniform design: mean of x far from 0.5"

# Grid design: x_i = lo + (i-1)(hi-lo)/(n-1), exactly.
expect_ok "$GMOE" simulate --model "$TRUTH" -n 500 --seed 1 --design grid -o g.csv
[ "$(wc -l <g.csv)" -eq 501 ] || fail "grid rows: $(wc -l <g.csv)"
awk -F, 'NR > 1 { i = NR - 2; want = i / 499; d = $1 - want; if (d < 0) d = -d
             if (d > 1e-15) bad++ } END { exit bad > 0 }' g.csv || fail "grid values"
[ "$(sed -n 2p g.csv | cut -d, -f1)" = 0 ] || fail "grid starts at $(sed -n 2p g.csv)"
[ "$(sed -n 501p g.csv | cut -d, -f1)" = 1 ] || fail "grid ends at $(sed -n 501p g.csv)"
# The shipped example is exactly this command's output.
cmp -s g.csv "$GMOE_DATA/softmax-example.csv" ||
    fail "data/softmax-example.csv is not 'gmoe simulate -n 500 --seed 1 --design grid'"
expect_ok "$GMOE" simulate --model "$TRUTH" -n 5 --design grid --lo -2 --hi 2
[ "$(cut -d, -f1 out | tr '\n' ' ')" = "x1 -2 -1 0 1 2 " ] || fail "grid on [-2, 2]: $(cat out)"
# The grid draws no random x: another seed keeps x and changes y.
expect_ok "$GMOE" simulate --model "$TRUTH" -n 500 --seed 2 --design grid -o g2.csv
[ "$(cut -d, -f1 g.csv)" = "$(cut -d, -f1 g2.csv)" ] || fail "grid x depends on the seed"
[ "$(cut -d, -f2 g.csv)" = "$(cut -d, -f2 g2.csv)" ] && fail "grid y does not depend on the seed"

# Uniform on [lo, hi]; normal with --mean and --sd; -n written like 1e3.
expect_ok "$GMOE" simulate --model "$TRUTH" -n 1e3 --lo 2 --hi 3
[ "$(wc -l <out)" -eq 1001 ] || fail "-n 1e3: $(wc -l <out) lines"
awk -F, 'NR > 1 && ($1 < 2 || $1 >= 3) { bad++ } END { exit bad > 0 }' out ||
    fail "uniform on [2, 3]: x outside"
expect_ok "$GMOE" simulate --model "$TRUTH" -n 2000 --design normal --mean 5 --sd 0.5
awk -F, 'NR > 1 { s += $1; q += ($1 - 5)^2 } END { m = s / (NR - 1); v = q / (NR - 1)
             exit !(m > 4.95 && m < 5.05 && v > 0.22 && v < 0.28) }' out ||
    fail "normal design: mean or variance of x off"

# The gate design draws x from a Gaussian gate's mixture: for data/gaussian-truth.json,
# 0.4 N(-1.5, 0.25) + 0.6 N(1, 0.36), mean 0, variance 0.1 + 0.216 + 0.9 + 0.6 = 1.816, and
# 40 % of x below the valley at -0.4 (each component holds all but 1e-4 of its mass on its
# side); the same arguments give the same bytes.
GTRUTH=$GMOE_DATA/gaussian-truth.json
expect_ok "$GMOE" simulate --model "$GTRUTH" -n 20000 --seed 3 --design gate -o gate.csv
expect_ok "$GMOE" simulate --model "$GTRUTH" -n 20000 --seed 3 --design gate
cmp -s out gate.csv || fail "gate design: two runs differ"
awk -F, 'NR > 1 { s += $1; q += $1^2; if ($1 < -0.4) lo++ } END { n = NR - 1; m = s / n
             v = q / n - m * m; f = lo / n
             exit !(m > -0.04 && m < 0.04 && v > 1.72 && v < 1.91 && f > 0.385 && f < 0.415) }' \
    gate.csv || fail "gate design: mean, variance or component share of x off"

# A d = 2 model: header x1,x2,y, covariates uniform on [0, 1]^2.
expect_ok "$GMOE" simulate --model m2.json -n 300 --seed 7 -o d2.csv
[ "$(head -n 1 d2.csv)" = "x1,x2,y" ] || fail "d = 2 header: $(head -n 1 d2.csv)"
[ "$(wc -l <d2.csv)" -eq 301 ] || fail "d = 2 rows: $(wc -l <d2.csv)"
awk -F, 'NR > 1 && (NF != 3 || $1 < 0 || $1 >= 1 || $2 < 0 || $2 >= 1) { bad++ }
         END { exit bad > 0 }' d2.csv || fail "d = 2: x outside [0, 1)^2"

# Usage errors: exit 2.
for bad in abc 0 -5 2.5 1e400 "" " 5" 5x; do
    expect_err 2 "gmoe: -n must be a positive integer (got \"$bad\")" \
        "$GMOE" simulate --model "$TRUTH" -n "$bad"
done
for bad in 0 -1 4294967296 x; do
    expect_err 2 "gmoe: --seed must be an integer from 1 to 4294967295 (got \"$bad\")" \
        "$GMOE" simulate --model "$TRUTH" -n 10 --seed "$bad"
done
expect_err 2 "gmoe: simulate: --model FILE is required (see 'gmoe help simulate')" \
    "$GMOE" simulate -n 10
expect_err 2 "gmoe: simulate: -n N is required (see 'gmoe help simulate')" \
    "$GMOE" simulate --model "$TRUTH"
expect_err 2 "gmoe: simulate: unexpected argument \"extra\" (see 'gmoe help simulate')" \
    "$GMOE" simulate --model "$TRUTH" -n 10 extra
expect_err 2 "gmoe: --design must be uniform, grid, normal or gate (got \"lattice\")" \
    "$GMOE" simulate --model "$TRUTH" -n 10 --design lattice
expect_err 2 "gmoe: simulate: --mean is only used by --design normal (--design grid takes --lo and --hi)" \
    "$GMOE" simulate --model "$TRUTH" -n 10 --design grid --mean 1
expect_err 2 "gmoe: simulate: --sd is only used by --design normal (--design uniform takes --lo and --hi)" \
    "$GMOE" simulate --model "$TRUTH" -n 10 --sd 1
expect_err 2 "gmoe: simulate: --lo is not used by --design normal (use --mean and --sd)" \
    "$GMOE" simulate --model "$TRUTH" -n 10 --lo 0 --design normal
expect_err 2 "gmoe: simulate: design uniform: lo (1) must be below hi (0)" \
    "$GMOE" simulate --model "$TRUTH" -n 10 --lo 1 --hi 0
expect_err 2 "gmoe: simulate: design grid: lo (3) must be below hi (3)" \
    "$GMOE" simulate --model "$TRUTH" -n 10 --design grid --lo 3 --hi 3
expect_err 2 "gmoe: simulate: --design gate takes no --lo, --hi, --mean or --sd (x is drawn from the model's Gaussian gate)" \
    "$GMOE" simulate --model "$GTRUTH" -n 10 --design gate --sd 2
expect_err 2 "gmoe: --sd must be a positive number (got \"0\")" \
    "$GMOE" simulate --model "$TRUTH" -n 10 --design normal --sd 0
expect_err 2 "gmoe: --lo must be a finite number (got \"nan\")" \
    "$GMOE" simulate --model "$TRUTH" -n 10 --lo nan
expect_err 2 "gmoe: -o needs a file name (or - for standard output)" \
    "$GMOE" simulate --model "$TRUTH" -n 10 -o ''

# Input errors: exit 1.
expect_err 1 "gmoe: m2.json: the grid design needs a model with d = 1 (this one has d = 2)" \
    "$GMOE" simulate --model m2.json -n 10 --design grid
expect_err 1 "gmoe: m2.json: --design gate draws x from the model's Gaussian gate, but this model has a softmax gate" \
    "$GMOE" simulate --model m2.json -n 10 --design gate
expect_err 1 "gmoe: nosuch.json: cannot open: No such file or directory" \
    "$GMOE" simulate --model nosuch.json -n 10
printf '{"gmoe_model": 1, "gate": "softmax", "experts": [{"beta0": 0, "beta1": [1], "a": [1], "b": 0, "var": -0.5}]}\n' >neg.json
expect_err 1 "gmoe: neg.json: experts[0].var: must be > 0 (got -0.5)" \
    "$GMOE" simulate --model neg.json -n 10
sed 's/"gmoe_model": 1,/"gmoe_model": 1, "colour": "red",/' m2.json >typo.json
expect_err 1 "gmoe: typo.json: colour: unknown key" "$GMOE" simulate --model typo.json -n 10
# "-o -" and "--model -" are the standard streams.
"$GMOE" simulate --model - -n 10 --seed 5 <"$TRUTH" >stdin.csv 2>err || fail "--model -: $(cat err)"
expect_ok "$GMOE" simulate --model "$TRUTH" -n 10 --seed 5
cmp -s out stdin.csv || fail "--model - differs from --model FILE"
expect_err 1 "gmoe: nodir/out.csv: cannot write: No such file or directory" \
    "$GMOE" simulate --model "$TRUTH" -n 10 -o nodir/out.csv
if [ -w /dev/full ]; then
    "$GMOE" simulate --model "$TRUTH" -n 10 >/dev/full 2>err
    status=$?
    [ "$status" -eq 1 ] || fail "simulate >/dev/full: exit $status, expected 1"
    grep -q '^gmoe: standard output: write error' err || fail "simulate >/dev/full: $(cat err)"
fi

finish
