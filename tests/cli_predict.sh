#!/bin/sh
# gmoe predict: columns (named as in the input, selected with --columns), gate weights, posteriors, means and log-densities against an
# independent computation, files with and without the response, and the errors.
. "${srcdir:-.}/tests/testlib.sh"

cp "$GMOE_DATA/softmax-example.csv" example.csv
cp "$TRUTH" truth.json

# With the response: x1, y, the gate weights, the posteriors, the mean, the log-density.
expect_ok "$GMOE" predict truth.json example.csv
cp out pred.csv
[ "$(head -n 1 pred.csv)" = "x1,y,g1,g2,post1,post2,mean,logdens" ] ||
    fail "header with y: $(head -n 1 pred.csv)"
[ "$(wc -l <pred.csv)" -eq 501 ] || fail "rows: $(wc -l <pred.csv), expected 1 + 500"
# The covariates and the response are the input's, digit for digit (both shortest exact).
[ "$(cut -d, -f1,2 pred.csv)" = "$(cat example.csv)" ] || fail "x1,y columns differ from the input"

# Rows of gate weights and of posteriors sum to 1, every value in [0, 1].
awk -F, 'NR > 1 {
        g = $3 + $4; p = $5 + $6
        if (g < 1 - 1e-12 || g > 1 + 1e-12 || p < 1 - 1e-12 || p > 1 + 1e-12) bad++
        for (c = 3; c <= 6; c++) if ($c < 0 || $c > 1) bad++
    } END { exit bad > 0 }' pred.csv || fail "gate weights or posteriors do not sum to 1"

# Against a computation here, from the parameters of data/softmax-truth.json (MODELS.md
# section 6) written out: beta0 = (-8, 0), beta1 = (25, 0), a = (-20, 20), b = (15, -5),
# var = (0.09, 0.16). Each value to 1e-12 relative (absolute below 1).
awk -F, '
    function check(got, want, what,   e, s) {
        e = got - want; if (e < 0) e = -e
        s = want < 0 ? -want : want; if (s < 1) s = 1
        if (e > 1e-12 * s) { printf "row %d %s: %s, expected %.17g\n", NR - 1, what, got, want; bad++ }
    }
    BEGIN { pi = atan2(0, -1); b0[1] = -8; b0[2] = 0; b1[1] = 25; b1[2] = 0
            a[1] = -20; a[2] = 20; b[1] = 15; b[2] = -5; v[1] = 0.09; v[2] = 0.16 }
    NR > 1 {
        x = $1 + 0; y = $2 + 0
        for (j = 1; j <= 2; j++) { s[j] = b0[j] + b1[j] * x; mu[j] = a[j] * x + b[j] }
        m = s[1] > s[2] ? s[1] : s[2]
        z = exp(s[1] - m) + exp(s[2] - m)
        mean = 0
        for (j = 1; j <= 2; j++) {
            g[j] = exp(s[j] - m) / z
            mean += g[j] * mu[j]
            r = y - mu[j]
            l[j] = log(g[j]) - 0.5 * log(2 * pi * v[j]) - r * r / (2 * v[j])
        }
        lm = l[1] > l[2] ? l[1] : l[2]
        lse = lm + log(exp(l[1] - lm) + exp(l[2] - lm))
        check($3, g[1], "g1"); check($4, g[2], "g2")
        check($5, exp(l[1] - lse), "post1"); check($6, exp(l[2] - lse), "post2")
        check($7, mean, "mean"); check($8, lse, "logdens")
    }
    END { exit bad > 0 }' pred.csv >awk.txt || fail "values differ from the independent computation:
$(head -n 5 awk.txt)"

# The log-densities add up to the log-likelihood.
total=$(awk -F, 'NR > 1 { s += $8 } END { printf "%.17g", s }' pred.csv)
expect_ok "$GMOE" loglik --model truth.json example.csv
same_number "$total" "$(cat out)" 1e-12 || fail "sum of logdens $total, loglik $(cat out)"

# Without the response: x1, the gate weights, the mean; the same values as above.
cut -d, -f1 example.csv >xonly.csv
expect_ok "$GMOE" predict truth.json xonly.csv
[ "$(head -n 1 out)" = "x1,g1,g2,mean" ] || fail "header without y: $(head -n 1 out)"
[ "$(cat out)" = "$(cut -d, -f1,3,4,7 pred.csv)" ] || fail "predictions without y differ"

# -o FILE: the same bytes as stdout, no temporary file left.
expect_ok "$GMOE" predict -o p.csv truth.json example.csv
[ ! -s out ] || fail "-o p.csv also wrote stdout"
cmp -s p.csv pred.csv || fail "-o p.csv differs from stdout"
ls ./*.tmp.* >/dev/null 2>&1 && fail "temporary files left: $(ls ./*.tmp.*)"
# Data from standard input.
"$GMOE" predict truth.json - <example.csv >stdin.csv 2>err || fail "data from stdin: $(cat err)"
cmp -s stdin.csv pred.csv || fail "data from stdin differ"

# A fitted model with selected columns: the log-densities add up to the fit's log-likelihood.
cp "$GMOE_DATA/faithful.csv" faithful.csv
expect_ok "$GMOE" fit --y waiting --x eruptions -k 2 --starts 5 --json faithful.csv
cp out fit.json
fll=$(sed -n 's/.*"loglik": *\([^,}]*\).*/\1/p' fit.json)
expect_ok "$GMOE" predict --y waiting --x eruptions fit.json faithful.csv
[ "$(head -n 1 out)" = "eruptions,waiting,g1,g2,post1,post2,mean,logdens" ] ||
    fail "faithful header (the file's names): $(head -n 1 out)"
total=$(awk -F, 'NR > 1 { s += $8 } END { printf "%.17g", s }' out)
same_number "$total" "$fll" 1e-9 || fail "faithful: sum of logdens $total, fit loglik $fll"

cp out faithpred.csv
# The output reads back with the same --y and --x: the same log-likelihood.
expect_ok "$GMOE" loglik --model fit.json --y waiting --x eruptions faithpred.csv
same_number "$(cat out)" "$fll" 1e-9 || fail "loglik of predict's output $(cat out), fit $fll"
# Default columns: the covariates, in the order --x names them, under the file's names.
cat >m2.json <<'JSON'
{"gmoe_model": 1, "gate": "softmax",
 "experts": [{"beta0": 0.5, "beta1": [2, -1], "a": [1, 2], "b": 0, "var": 0.25},
             {"beta0": 0, "beta1": [0, 0], "a": [-1, 0.5], "b": 1, "var": 1}]}
JSON
printf 'b,resp,a\n0.25,1,2\n' >named.csv
expect_ok "$GMOE" predict --y resp --x a,b --columns mean m2.json named.csv
[ "$(head -n 1 out)" = "a,b,resp,mean" ] || fail "names in --x order: $(head -n 1 out)"
[ "$(sed -n 2p out | cut -d, -f1-3)" = "2,0.25,1" ] || fail "values in --x order: $(sed -n 2p out)"

# --columns: the selected groups in the order given, the same numbers as the default's.
expect_ok "$GMOE" predict --y waiting --x eruptions --columns logdens,g,sd fit.json faithful.csv
cp out sel.csv
[ "$(head -n 1 sel.csv)" = "eruptions,waiting,logdens,g1,g2,sd" ] || fail "--columns header: $(head -n 1 sel.csv)"
[ "$(cut -d, -f1-5 sel.csv | sed 1d)" = "$(cut -d, -f1,2,8,3,4 faithpred.csv | sed 1d |
    awk -F, -v OFS=, '{ print $1, $2, $5, $3, $4 }')" ] || fail "--columns values differ from the default's"
# sd against the closed form computed here from the fit's parameters: the law of total
# variance, Var = sum_j g_j (v_j + mu_j^2) - mean^2 (the other way round from gmoe's).
params=$(grep -o '"a": \[[^]]*\], "b": [^,]*, "var": [^}]*' fit.json | tr -d '"abvr:[],' | tr '\n' ' ')
set -- $params
awk -F, -v a1="$1" -v b1="$2" -v v1="$3" -v a2="$4" -v b2="$5" -v v2="$6" '
    NR > 1 {
        mu1 = a1 * $1 + b1; mu2 = a2 * $1 + b2; m = $4 * mu1 + $5 * mu2
        want = sqrt($4 * (v1 + mu1 * mu1) + $5 * (v2 + mu2 * mu2) - m * m)
        e = $6 - want; if (e < 0) e = -e
        if (e > 1e-9 * want) { printf "row %d: sd %s, expected %.17g\n", NR - 1, $6, want; bad++ }
    }
    END { exit bad > 0 || NR != 273 }' sel.csv >awk.txt || fail "sd differs: $params $(head -n 3 awk.txt)"

# mu: the expert means a_j x + b_j of the truth (a = (-20, 20), b = (15, -5)), and the mean
# is their average under the gate weights.
expect_ok "$GMOE" predict --columns mu,g,mean truth.json example.csv
[ "$(head -n 1 out)" = "x1,y,mu1,mu2,g1,g2,mean" ] || fail "mu header: $(head -n 1 out)"
awk -F, 'function off(a, b) { a -= b; if (a < 0) a = -a; return a > 1e-12 * (b < 0 ? -b : b) + 1e-12 }
    NR > 1 { if (off($3, -20 * $1 + 15) || off($4, 20 * $1 - 5) || off($7, $5 * $3 + $6 * $4)) bad++ }
    END { exit bad > 0 || NR != 501 }' out || fail "mu values: $(sed -n 2p out)"

# Quantiles of a single expert (k = 1): the median is the mean, q0.975 - mean is
# Phi^-1(0.975) = 1.959963984540054 sd, q0.025 the mirror image.
cat >one.json <<'JSON'
{"gmoe_model": 1, "gate": "softmax",
 "experts": [{"beta0": 0, "beta1": [0], "a": [2], "b": -1, "var": 0.49}]}
JSON
expect_ok "$GMOE" predict --columns mean,sd,quantiles --quantiles 0.025,0.5,0.975 one.json xonly.csv
[ "$(head -n 1 out)" = "x1,mean,sd,q0.025,q0.5,q0.975" ] || fail "quantile header: $(head -n 1 out)"
awk -F, 'NR > 1 {
        z = 1.959963984540054
        if ($3 != 0.7 || $5 != $2) bad++
        e1 = $6 - $2 - z * $3; e2 = $2 - $4 - z * $3
        if (e1 < 0) e1 = -e1; if (e2 < 0) e2 = -e2
        if (e1 > 1e-12 || e2 > 1e-12) bad++
    } END { exit bad > 0 || NR != 501 }' out || fail "k = 1 quantiles: $(sed -n 2p out)"
# With --quantiles alone, the default columns and then the quantiles; shortest level names.
expect_ok "$GMOE" predict --quantiles 0.1,5e-1,9e-1 truth.json example.csv
[ "$(head -n 1 out)" = "x1,y,g1,g2,post1,post2,mean,logdens,q0.1,q0.5,q0.9" ] ||
    fail "default columns with --quantiles: $(head -n 1 out)"
[ "$(cut -d, -f1-8 out)" = "$(cat pred.csv)" ] || fail "--quantiles changed the default columns"
# Mixture quantiles increase with the level and the median lies between the other two.
awk -F, 'NR > 1 && !($9 < $10 && $10 < $11) { bad++ } END { exit bad > 0 }' out ||
    fail "quantiles not increasing"

# Top-K gate (K = 1 of 3, on the slope): unselected experts get weight exactly 0.
cat >topk.json <<'JSON'
{"gmoe_model": 1, "gate": "topk", "topk": 1,
 "experts": [{"beta0": 0, "beta1": [2], "a": [1], "b": 0, "var": 1},
             {"beta0": 0, "beta1": [-2], "a": [-1], "b": 1, "var": 1},
             {"beta0": 5, "beta1": [0.5], "a": [0], "b": 2, "var": 1}]}
JSON
printf 'x1,y\n-1,0.5\n1,0.5\n' >pm.csv
expect_ok "$GMOE" predict topk.json pm.csv
[ "$(cut -d, -f3-8 out)" = "$(printf 'g1,g2,g3,post1,post2,post3\n0,1,0,0,1,0\n1,0,0,1,0,0')" ] ||
    fail "top-1 weights and posteriors: $(cat out)"
[ "$(cut -d, -f9 out | tr '\n' ' ')" = "mean 2 1 " ] || fail "top-1 means: $(cut -d, -f9 out)"

# Errors.
expect_err 1 "gmoe: example.csv: 1 covariate column selected, but the model m2.json has d = 2 (select columns with --x)" \
    "$GMOE" predict m2.json example.csv
expect_err 1 "gmoe: faithful.csv: 2 covariate columns selected, but the model truth.json has d = 1 (select columns with --x)" \
    "$GMOE" predict truth.json faithful.csv
expect_err 1 "gmoe: xonly.csv:1: no column named \"resp\"" \
    "$GMOE" predict --y resp truth.json xonly.csv
expect_err 1 "gmoe: nosuch.json: cannot open: No such file or directory" \
    "$GMOE" predict nosuch.json example.csv
expect_err 1 "gmoe: nosuch.csv: cannot open: No such file or directory" \
    "$GMOE" predict truth.json nosuch.csv
printf 'x1,y\n0.1,2\n0.2,oops\n' >text.csv
expect_err 1 "gmoe: text.csv:3: column \"y\" (field 2): not a number: \"oops\"" \
    "$GMOE" predict truth.json text.csv
expect_err 1 "gmoe: nodir/p.csv: cannot write: No such file or directory" \
    "$GMOE" predict -o nodir/p.csv truth.json example.csv
expect_err 2 "gmoe: predict: missing model file and data file (see 'gmoe help predict')" \
    "$GMOE" predict truth.json
expect_err 2 "gmoe: predict: unexpected argument \"c.csv\" (see 'gmoe help predict')" \
    "$GMOE" predict truth.json example.csv c.csv
expect_err 2 "gmoe: predict: column \"y\" is both the response (--y) and a covariate (--x)" \
    "$GMOE" predict --x x1,y truth.json example.csv
expect_err 2 "gmoe: predict: the model and the data cannot both come from standard input" \
    "$GMOE" predict - -
expect_err 2 "gmoe: predict: unknown option --json (see 'gmoe help predict')" \
    "$GMOE" predict --json truth.json example.csv

expect_err 2 "gmoe: predict: --columns: unknown column \"foo\" (one of g, post, mean, logdens, sd, quantiles, mu, se_mean)" \
    "$GMOE" predict --columns mean,foo truth.json example.csv
expect_err 2 "gmoe: --columns: column \"sd\" given twice in \"sd,mean,sd\"" \
    "$GMOE" predict --columns sd,mean,sd truth.json example.csv
expect_err 2 "gmoe: predict: --columns quantiles needs --quantiles P1,P2,..." \
    "$GMOE" predict --columns quantiles truth.json example.csv
expect_err 2 "gmoe: predict: --quantiles given, but --columns has no quantiles" \
    "$GMOE" predict --columns mean --quantiles 0.5 truth.json example.csv
expect_err 2 "gmoe: predict: --quantiles: levels must lie strictly between 0 and 1 (got \"1\")" \
    "$GMOE" predict --quantiles 0.5,1 truth.json example.csv
expect_err 2 "gmoe: --quantiles must be a finite number (got \"half\")" \
    "$GMOE" predict --quantiles half truth.json example.csv
expect_err 2 "gmoe: predict: --quantiles: level 0.50 given twice" \
    "$GMOE" predict --quantiles 0.5,0.50 truth.json example.csv
expect_err 1 "gmoe: xonly.csv: --columns logdens needs the response, but the file has no column \"y\" (name it with --y)" \
    "$GMOE" predict --columns mean,logdens truth.json xonly.csv

# y so far out that every density underflows: logdens -inf, posteriors their finite limit
# (the widest expert, var 0.16 in the truth, takes everything), no NaN.
printf 'x1,y\n0.5,1e308\n' >far.csv
expect_ok "$GMOE" predict truth.json far.csv
sed -n 2p out | awk -F, '{ exit !($5 == 0 && $6 == 1 && $8 == "-inf") }' ||
    fail "predict far y: $(sed -n 2p out)"
grep -qi nan out && fail "predict far y: NaN in $(sed -n 2p out)"

# Help.
expect_ok "$GMOE" help predict
head -n 1 out | grep -q '^Usage: gmoe predict ' || fail "help predict: no usage line"
expect_ok "$GMOE" help fit
head -n 1 out | grep -q '^Usage: gmoe fit ' || fail "help fit: no usage line"

finish
