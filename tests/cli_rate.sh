#!/bin/sh
# gmoe rate: slopes of results files written here from known power laws, the JSON keys,
# determinism, errors.
. "${srcdir:-.}/tests/testlib.sh"

# power_law SIZES REPS: a results file (rows in reverse order) with
#   loss = 0.8 n^-0.5 exactly (every replicate the same),
#   tv   = 2 n^-0.25 times a deterministic spread (1 + (rep - 2)/4), mean 2 n^-0.25,
#   err  = n^-0.125 times pseudo-random noise, and "nan" for rep 1 at the smallest size,
# over SIZES sizes log-spaced from 100 to 1e5.
power_law()
{
    awk -v S="$1" -v R="$2" 'BEGIN {
        srand(3)
        print "# gmoe 0.1.0 sweep results"
        print "# seed: 2023"
        print "# theory: loss=-0.5 tv=-0.25"
        print "n,rep,loglik,loglik_truth,iterations,status,seconds,loss,tv,err"
        for (g = S - 1; g >= 0; g--)
            for (r = R; r >= 1; r--) {
                n = int(100 * 1000 ^ (g / (S - 1)) + 0.5)
                err = (g == 0 && r == 1) ? "nan" : sprintf("%.17g", n ^ -0.125 * (0.5 + rand()))
                printf "%d,%d,-1,-1,10,converged,0.01,%.17g,%.17g,%s\n", n, r, 0.8 * n ^ -0.5,
                    2 * n ^ -0.25 * (1 + (r - 2) / 4), err
            }
    }'
}

# member METRIC KEY [FILE]: the value of the first "KEY" in METRIC's line of FILE (default
# ./out, the output of gmoe rate --json), for scalar members.
member()
{
    grep "^  \"$1\": {" "${3:-out}" | awk -v k="\"$2\": " '{
        i = index($0, k)
        if (!i) exit
        s = substr($0, i + length(k))
        match(s, /^[^,}]*/)
        print substr(s, 1, RLENGTH)
    }'
}

power_law 10 3 >res.csv

# ---------------------------------------------------------------- the table
expect_ok "$GMOE" rate res.csv
[ "$(wc -l <out)" -eq 5 ] || fail "rate: expected a comment, a header and 3 metric lines"
head -n 1 out | grep -q '^# slopes of log(mean) on log(n); 95% CI: bootstrap, 1000 resamples, seed 1$' ||
    fail "rate: comment line: $(head -n 1 out)"
sed -n 2p out | grep -q '^metric  *slope  *95% CI  *median  *trim 25%  *trim 50%  *theory  *n range  *points  *rows  *skipped$' ||
    fail "rate: header line: $(sed -n 2p out)"
grep -q '^loss  *-0\.5000  *\[-0\.5000, -0\.5000\]  *-0\.5000  *-0\.5000  *-0\.5000  *-0\.5  *100\.\.100000  *10  *30  *0$' out ||
    fail "rate: loss line: $(grep '^loss' out)"
grep -q '^err .* - *100\.\.100000  *10  *29  *1$' out || fail "rate: err line: $(grep '^err' out)"

expect_ok "$GMOE" rate --trim 3 --metric tv res.csv
grep -q '^metric  *slope  *95% CI  *median  *trim 3  *trim 25%' out || fail "--trim 3: header: $(sed -n 2p out)"
grep -q '^tv  *-0\.2500 .* -0\.2500  *-0\.2500  *-0\.2500  *-0\.2500  *-0\.25  *100\.\.100000' out ||
    fail "--trim 3: tv line: $(grep '^tv' out)"
grep -q '^loss' out && fail "--metric tv: loss reported"

# ---------------------------------------------------------------- JSON
expect_ok "$GMOE" rate res.csv --json
[ "$(head -n 1 out)" = "{" ] && [ "$(tail -n 1 out)" = "}" ] || fail "--json: not one object"
[ "$(grep -c '^  "[a-z]*": {' out)" -eq 3 ] || fail "--json: expected 3 members"
for m in loss tv err; do
    line=$(grep "^  \"$m\": {" out)
    for key in slope ci slope_median n_min n_max points intercept se ci_ols trimmed theory \
        rows skipped nonpositive groups; do
        case $line in *"\"$key\": "*) ;; *) fail "--json: $m has no \"$key\"" ;; esac
    done
done
# The exact power law: slope, interval and intercept exact.
same_number "$(member loss slope)" -0.5 1e-12 || fail "loss slope $(member loss slope)"
same_number "$(member loss slope_median)" -0.5 1e-12 || fail "loss median slope"
same_number "$(member loss intercept)" "$(awk 'BEGIN { printf "%.17g", log(0.8) }')" 1e-12 ||
    fail "loss intercept $(member loss intercept)"
grep '^  "loss"' out | grep -q '"ci": \[-0\.5[0-9]*, -0\.5[0-9]*\]' || fail "loss ci not [-0.5, -0.5]"
lo=$(sed -n 's/^  "loss".*"ci": \[\([^,]*\),.*/\1/p' out)
hi=$(sed -n 's/^  "loss".*"ci": \[[^,]*, \([^]]*\)\].*/\1/p' out)
[ "$lo" = "$hi" ] || fail "loss: bootstrap interval [$lo, $hi] has a width"
[ "$(member loss n_min)" = 100 ] || fail "loss n_min $(member loss n_min)"
[ "$(member loss n_max)" = 100000 ] || fail "loss n_max $(member loss n_max)"
[ "$(member loss points)" = 10 ] || fail "loss points $(member loss points)"
[ "$(member loss rows)" = 30 ] || fail "loss rows"
[ "$(member loss theory)" = -0.5 ] || fail "loss theory $(member loss theory)"
# The mean of tv is 2 n^-0.25 exactly (rep spreads 0.75, 1, 1.25); its median too.
same_number "$(member tv slope)" -0.25 1e-12 || fail "tv slope $(member tv slope)"
same_number "$(member tv slope_median)" -0.25 1e-12 || fail "tv median slope"
[ "$(member tv theory)" = -0.25 ] || fail "tv theory"
# err: one nan row, no theory, a slope near -0.125.
[ "$(member err skipped)" = 1 ] || fail "err skipped $(member err skipped)"
[ "$(member err rows)" = 29 ] || fail "err rows $(member err rows)"
[ "$(member err theory)" = null ] || fail "err theory $(member err theory)"
awk -v s="$(member err slope)" 'BEGIN { exit !(s > -0.3 && s < 0.05) }' || fail "err slope $(member err slope)"
grep '^  "loss"' out | grep -q '"trimmed": \[{"trim": 2, "slope": -0\.5[0-9]*, "points": 8, "n_min": 464' ||
    fail "loss trimmed: $(grep -o '"trimmed": [^]]*]' out | head -n 1)"
if [ -x /usr/bin/python3 ]; then
    /usr/bin/python3 -c 'import json, sys; d = json.load(sys.stdin); assert list(d) == ["loss", "tv", "err"]' <out ||
        fail "--json: not valid JSON"
fi

# The same file and seed give the same bytes; another seed another interval for the noisy err.
cp out json1
expect_ok "$GMOE" rate --json res.csv
cmp -s out json1 || fail "--json: two runs differ"
{ head -n 4 res.csv; tail -n +5 res.csv | sort -t, -k2,2n -k1,1n; } >res-rev.csv
expect_ok "$GMOE" rate --json res-rev.csv
cmp -s out json1 || fail "--json: the row order changes the output"
expect_ok "$GMOE" rate --json --seed 7 --metric err res.csv
[ "$(member err slope)" = "$(member err slope json1)" ] ||
    fail "--seed changed the slope"
[ "$(grep -o '"ci": [^]]*]' out)" != "$(grep '^  "err"' json1 | grep -o '"ci": [^]]*]')" ] ||
    fail "--seed 7 gives the interval of seed 1"
expect_ok "$GMOE" rate --json --bootstrap 0 --metric loss res.csv
grep -q '"ci": \[null, null\]' out || fail "--bootstrap 0: ci not null"

# A metric without an estimate (every mean <= 0): left out with a warning when all metrics
# are asked for, an error when named.
awk -F, 'BEGIN { OFS = "," } /^#/ { print; next } !h { print $0 ",gap"; h = 1; next }
    { print $0 ",-0.001" }' res.csv >gap.csv
why="0 sizes with a positive mean (30 rows, 0 skipped); need 2"
run "$GMOE" rate --json gap.csv
[ "$status" -eq 0 ] || fail "gap.csv: exit $status"
[ "$(cat err)" = "gmoe: warning: gap.csv: metric \"gap\" has no estimate: $why" ] ||
    fail "gap.csv: stderr: $(cat err)"
[ "$(member gap slope)" = null ] && grep -q "^  \"gap\": {.*\"error\": \"$why\"}\$" out ||
    fail "gap.csv: gap member: $(grep '"gap"' out)"
[ "$(member loss error)" = null ] || fail "gap.csv: loss has an error"
same_number "$(member loss slope)" -0.5 1e-12 || fail "gap.csv: loss slope"
run "$GMOE" rate gap.csv
grep -q "^gap  *no estimate: $why\$" out || fail "gap.csv: table: $(grep '^gap' out)"
expect_err 1 "gmoe: gap.csv: metric \"gap\": $why" "$GMOE" rate --metric loss,gap gap.csv

# ---------------------------------------------------------------- errors
expect_err 1 "gmoe: nosuch.csv: cannot open: No such file or directory" "$GMOE" rate nosuch.csv
expect_err 1 "gmoe: res.csv: no metric named \"los\"" "$GMOE" rate --metric loss,los res.csv
expect_err 1 "gmoe: res.csv: column \"rep\" is bookkeeping, not a metric" \
    "$GMOE" rate --metric rep res.csv
expect_err 1 "gmoe: res.csv: metric \"loss\": trim 9 leaves fewer than 2 of the 10 sizes" \
    "$GMOE" rate --trim 9 res.csv
printf 'n,rep,loss\n100,1,0.5\n200,1\n' >ragged.csv
expect_err 1 "gmoe: ragged.csv:3: expected 3 fields, found 2" "$GMOE" rate ragged.csv
printf '# x\nn,rep,loss\nabc,1,0.5\n' >text.csv
expect_err 1 "gmoe: text.csv:3: column \"n\" (field 1): not a number: \"abc\"" "$GMOE" rate text.csv
printf 'rep,loss\n1,0.5\n' >non.csv
expect_err 1 "gmoe: non.csv:1: no column named \"n\"" "$GMOE" rate non.csv
: >empty.csv
expect_err 1 "gmoe: empty.csv: empty file (no header row)" "$GMOE" rate empty.csv
printf 'n,rep,loss\n100,1,nan\n200,1,\n' >failed.csv
expect_err 1 "gmoe: failed.csv: metric \"loss\": 0 sizes with a positive mean (2 rows, 2 skipped); need 2" \
    "$GMOE" rate failed.csv
printf 'n,rep,status\n100,1,converged\n' >nometric.csv
expect_err 1 "gmoe: nometric.csv: no metric columns (only bookkeeping columns)" \
    "$GMOE" rate nometric.csv
expect_err 2 "gmoe: rate: missing results file (RESULTS.csv) (see 'gmoe help rate')" "$GMOE" rate
expect_err 2 "gmoe: rate: unexpected argument \"b.csv\" (see 'gmoe help rate')" \
    "$GMOE" rate res.csv b.csv
expect_err 2 "gmoe: --trim must be an integer >= 0 (got \"x\")" "$GMOE" rate --trim x res.csv
expect_err 2 "gmoe: --bootstrap must be an integer >= 0 (got \"-1\")" \
    "$GMOE" rate --bootstrap -1 res.csv
expect_err 2 "gmoe: --metric: empty column name in \"loss,\"" "$GMOE" rate --metric loss, res.csv
expect_err 2 "gmoe: rate: option --metric needs a value (see 'gmoe help rate')" \
    "$GMOE" rate res.csv --metric
expect_err 2 "gmoe: rate: unknown option --model (see 'gmoe help rate')" \
    "$GMOE" rate --model x res.csv

expect_ok "$GMOE" rate --help
grep -q '^Usage: gmoe rate' out || fail "rate --help: no usage line"
expect_ok "$GMOE" help
grep -q '^  rate ' out || fail "gmoe help does not list rate"

finish
