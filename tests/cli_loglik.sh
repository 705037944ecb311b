#!/bin/sh
# gmoe loglik: the value against an independent computation, column selection, errors.
. "${srcdir:-.}/tests/testlib.sh"

# awk_loglik FILE K D "B0" "B1" "A" "B" "V" [YCOL [XCOLS]]: the softmax-gated GMoE
# log-likelihood computed here by brute force, independently of gmoe: for each row,
# log sum_j g_j(x) N(y; a_j'x + b_j, v_j) with a log-sum-exp over j; B1 and A list k*d values
# expert by expert; XCOLS is a comma list (default: every column but YCOL, in file order).
awk_loglik()
{
    awk -F, -v K="$2" -v D="$3" -v B0s="$4" -v B1s="$5" -v As="$6" -v Bs="$7" -v Vs="$8" \
        -v ycol="${9:-y}" -v xcols="${10:-}" '
    BEGIN {
        pi = atan2(0, -1)
        split(B0s, b0, " "); split(B1s, b1, " "); split(As, a, " ")
        split(Bs, b, " "); split(Vs, v, " ")
    }
    /^#/ || /^[ \t\r]*$/ { next }
    !header {
        header = 1
        for (c = 1; c <= NF; c++) col[$c] = c
        yc = col[ycol]
        if (xcols != "") {
            nx = split(xcols, xn, ",")
            for (t = 1; t <= nx; t++) xc[t] = col[xn[t]]
        } else {
            nx = 0
            for (c = 1; c <= NF; c++) if (c != yc) xc[++nx] = c
        }
        if (nx != D || !yc) { print "awk_loglik: bad columns" > "/dev/stderr"; exit 1 }
        next
    }
    {
        y = $yc + 0
        smax = -1e308
        for (j = 1; j <= K; j++) {
            s[j] = b0[j]; mu[j] = b[j]
            for (t = 1; t <= D; t++) {
                x = $(xc[t]) + 0
                s[j] += b1[(j - 1) * D + t] * x
                mu[j] += a[(j - 1) * D + t] * x
            }
            if (s[j] > smax) smax = s[j]
        }
        ssum = 0
        for (j = 1; j <= K; j++) ssum += exp(s[j] - smax)
        lmax = -1e308
        for (j = 1; j <= K; j++) {
            r = y - mu[j]
            l[j] = s[j] - smax - log(ssum) - 0.5 * log(2 * pi * v[j]) - r * r / (2 * v[j])
            if (l[j] > lmax) lmax = l[j]
        }
        lsum = 0
        for (j = 1; j <= K; j++) lsum += exp(l[j] - lmax)
        total += lmax + log(lsum)
        n++
    }
    END { if (n) printf "%.17g\n", total }' "$1"
}

# The parameters of data/softmax-truth.json (MODELS.md section 6), written out here.
truth_awk()
{
    awk_loglik "$1" 2 1 '-8 0' '25 0' '-20 20' '15 -5' '0.09 0.16' "${2:-y}" "${3:-}"
}

EXAMPLE=$GMOE_DATA/softmax-example.csv

# The shipped example under the shipped truth.
expect_ok "$GMOE" loglik --model "$TRUTH" "$EXAMPLE"
ll=$(cat out)
[ "$(wc -l <out)" -eq 1 ] || fail "loglik printed more than one line"
want=$(truth_awk "$EXAMPLE")
same_number "$ll" "$want" 1e-10 || fail "loglik $ll, independent computation $want"
# A correctly specified model: about -0.45 per observation (the experts' differential
# entropies, mostly). A sanity range, not a test of the value.
same_number "$ll" -225 0.2 || fail "loglik $ll is implausible"
expect_ok "$GMOE" loglik "$EXAMPLE" --model "$TRUTH"
[ "$(cat out)" = "$ll" ] || fail "option order changes the result"

# --json
expect_ok "$GMOE" loglik --model "$TRUTH" --json "$EXAMPLE"
[ "$(wc -l <out)" -eq 1 ] || fail "--json printed more than one line"
jl=$(sed -n 's/.*"loglik": *\([^,}]*\).*/\1/p' out)
jn=$(sed -n 's/.*"n": *\([^,}]*\).*/\1/p' out)
jp=$(sed -n 's/.*"per_obs": *\([^,}]*\).*/\1/p' out)
[ "$jl" = "$ll" ] || fail "--json loglik $jl, plain $ll"
[ "$jn" = 500 ] || fail "--json n $jn"
same_number "$jp" "$(awk -v l="$ll" 'BEGIN { printf "%.17g", l / 500 }')" 1e-15 ||
    fail "--json per_obs $jp"
if command -v python3 >/dev/null 2>&1; then
    python3 -c 'import json, sys; o = json.load(open("out")); sys.exit(set(o) < {"loglik", "n", "per_obs"})' ||
        fail "--json output is not a JSON object with loglik, n, per_obs: $(cat out)"
fi

# Column selection: the same data with the columns renamed, reordered and padded with a text
# column (columns that are not selected are not parsed as numbers).
awk -F, 'NR == 1 { print "# made by the test"; print "id,resp,note,xa"; next }
         { print NR - 1 "," $2 ",word" NR "," $1 }' "$EXAMPLE" >renamed.csv
expect_ok "$GMOE" loglik --model "$TRUTH" --y resp --x xa renamed.csv
[ "$(cat out)" = "$ll" ] || fail "--y resp --x xa: $(cat out), expected $ll"

# The same data from standard input, and with a byte order mark, quoted fields, blanks
# around fields and CRLF line ends.
"$GMOE" loglik --model "$TRUTH" - <"$EXAMPLE" >out 2>err || fail "data from stdin: $(cat err)"
[ "$(cat out)" = "$ll" ] || fail "data from stdin: $(cat out), expected $ll"
{
    printf '\357\273\277"x1", "y"\r\n'
    tail -n +2 "$EXAMPLE" | sed 's/^\([^,]*\),/"\1" ,/; s/$/\r/'
} >crlf.csv
expect_ok "$GMOE" loglik --model "$TRUTH" crlf.csv
[ "$(cat out)" = "$ll" ] || fail "BOM, quotes and CRLF: $(cat out), expected $ll"

# d = 2, columns in another order than the model's.
cat >m2.json <<'JSON'
{"gmoe_model": 1, "gate": "softmax",
 "experts": [{"beta0": 0.5, "beta1": [2, -1], "a": [1, 2], "b": 0, "var": 0.25},
             {"beta0": 0, "beta1": [0, 0], "a": [-1, 0.5], "b": 1, "var": 1}]}
JSON
M2='0.5 0'
expect_ok "$GMOE" simulate --model m2.json -n 400 --seed 11 -o d2.csv
expect_ok "$GMOE" loglik --model m2.json d2.csv
ll2=$(cat out)
want2=$(awk_loglik d2.csv 2 2 "$M2" '2 -1 0 0' '1 2 -1 0.5' '0 1' '0.25 1')
same_number "$ll2" "$want2" 1e-10 || fail "d = 2: loglik $ll2, independent computation $want2"
awk -F, '{ print $3 "," $2 "," $1 }' d2.csv >swapped.csv
expect_ok "$GMOE" loglik --model m2.json --x x1,x2 swapped.csv
[ "$(cat out)" = "$ll2" ] || fail "--x x1,x2 on reordered columns: $(cat out), expected $ll2"
expect_ok "$GMOE" loglik --model m2.json --x x2,x1 d2.csv
want21=$(awk_loglik d2.csv 2 2 "$M2" '2 -1 0 0' '1 2 -1 0.5' '0 1' '0.25 1' y x2,x1)
same_number "$(cat out)" "$want21" 1e-10 || fail "--x x2,x1: $(cat out), expected $want21"

# Input errors: exit 1, the message names the file, the line and the column.
cp "$TRUTH" truth.json
cp "$GMOE_DATA/npreg.csv" npreg.csv
expect_err 1 "gmoe: npreg.csv: 2 covariate columns selected, but the model truth.json has d = 1 (select columns with --x)" \
    "$GMOE" loglik --model truth.json --y yn npreg.csv
expect_ok "$GMOE" loglik --model truth.json --y yn --x x npreg.csv
expect_err 1 "gmoe: d2.csv: 1 covariate column selected, but the model m2.json has d = 2 (select columns with --x)" \
    "$GMOE" loglik --model m2.json --x x1 d2.csv
expect_err 1 "gmoe: nosuch.json: cannot open: No such file or directory" \
    "$GMOE" loglik --model nosuch.json "$EXAMPLE"
expect_err 1 "gmoe: nosuch.csv: cannot open: No such file or directory" \
    "$GMOE" loglik --model truth.json nosuch.csv
printf 'x1,y\n0.1,2\n0.2\n0.3,4\n' >ragged.csv
expect_err 1 "gmoe: ragged.csv:3: expected 2 fields, found 1" \
    "$GMOE" loglik --model truth.json ragged.csv
printf '# comment\nx1,y\n0.1,2\n\nabc,4\n' >text.csv
expect_err 1 "gmoe: text.csv:5: column \"x1\" (field 1): not a number: \"abc\"" \
    "$GMOE" loglik --model truth.json text.csv
printf 'x1,y\n0.1,\n' >emptyfield.csv
expect_err 1 "gmoe: emptyfield.csv:2: column \"y\" (field 2): empty field" \
    "$GMOE" loglik --model truth.json emptyfield.csv
printf 'x1,y\n0.1,1e999\n' >huge.csv
expect_err 1 "gmoe: huge.csv:2: column \"y\" (field 2): out of range: \"1e999\"" \
    "$GMOE" loglik --model truth.json huge.csv
printf 'x1,y\n0.1,2\n0.2,nan\n' >nan.csv
expect_err 1 "gmoe: nan.csv:3: column \"y\" (field 2): not finite: \"nan\"" \
    "$GMOE" loglik --model truth.json nan.csv
expect_err 1 "gmoe: npreg.csv:1: no column named \"y\"" \
    "$GMOE" loglik --model truth.json npreg.csv
expect_err 1 "gmoe: npreg.csv:1: no column named \"x3\"" \
    "$GMOE" loglik --model truth.json --y yn --x x3 npreg.csv
: >empty.csv
expect_err 1 "gmoe: empty.csv: empty file (no header row)" \
    "$GMOE" loglik --model truth.json empty.csv
printf 'x1,y\n' >header.csv
expect_err 1 "gmoe: header.csv: no data rows" "$GMOE" loglik --model truth.json header.csv

# Usage errors: exit 2.
expect_err 2 "gmoe: loglik: missing data file (DATA.csv) (see 'gmoe help loglik')" \
    "$GMOE" loglik --model truth.json
expect_err 2 "gmoe: loglik: unexpected argument \"b.csv\" (see 'gmoe help loglik')" \
    "$GMOE" loglik --model truth.json a.csv b.csv
expect_err 2 "gmoe: loglik: --model FILE is required (see 'gmoe help loglik')" \
    "$GMOE" loglik "$EXAMPLE"
expect_err 2 "gmoe: --x: empty column name in \"x1,,x2\"" \
    "$GMOE" loglik --model m2.json --x x1,,x2 d2.csv
expect_err 2 "gmoe: --x: empty column name in \"x1,\"" \
    "$GMOE" loglik --model m2.json --x x1, d2.csv
expect_err 2 "gmoe: --x: column \"x1\" given twice in \"x1,x2,x1\"" \
    "$GMOE" loglik --model m2.json --x x1,x2,x1 d2.csv
expect_err 2 "gmoe: loglik: column \"y\" is both the response (--y) and a covariate (--x)" \
    "$GMOE" loglik --model m2.json --x x1,y d2.csv
expect_err 2 "gmoe: --y needs a column name" "$GMOE" loglik --model m2.json --y '' d2.csv

finish
