#!/bin/sh
# gmoe fit: reference log-likelihoods, the model file against gmoe loglik, AIC and BIC, the
# trace, reproducibility across thread counts, every gate family, and the errors.
. "${srcdir:-.}/tests/testlib.sh"

FAITHFUL=$GMOE_DATA/faithful.csv
cp "$FAITHFUL" faithful.csv

# json_member NAME FILE: the value of "NAME": in a model file (one member a line, as gmoe
# writes them; the first match, which for loglik, n, status is the fit object's).
json_member()
{
    sed -n "s/.*\"$1\": *\"\{0,1\}\([^,\"}]*\).*/\1/p" "$2" | head -n 1
}

# at_least A B: A >= B.
at_least()
{
    awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 >= b + 0) }'
}

# ---------------------------------------------------------------- reference values
# data/README.md: the best known softmax-gated GMoE log-likelihoods of faithful (waiting on
# eruptions), from an independent EM: k = 2 -851.3149 (within 1e-4 with 20 starts), k = 3
# -847.0827 at least with 100 starts.
expect_ok "$GMOE" fit --y waiting --x eruptions -k 2 --starts 20 --json faithful.csv
cp out k2.json
ll2=$(json_member loglik k2.json)
awk -v l="$ll2" 'BEGIN { d = l + 851.3149; if (d < 0) d = -d; exit !(l != "" && d <= 1e-4) }' ||
    fail "faithful k = 2: loglik $ll2, reference -851.3149"
[ "$(json_member status k2.json)" = converged ] || fail "faithful k = 2: status $(json_member status k2.json)"

expect_ok "$GMOE" fit --y waiting --x eruptions -k 3 --starts 100 --json faithful.csv
ll3=$(json_member loglik out)
at_least "$ll3" -847.0828 || fail "faithful k = 3: loglik $ll3, below the reference -847.0827"

# ---------------------------------------------------------------- --json, -o and loglik
if command -v python3 >/dev/null 2>&1; then
    python3 - k2.json <<'PY' || fail "--json: not a model file with a fit object: $(cat k2.json)"
import json, sys
o = json.load(open(sys.argv[1]))
f = o["fit"]
assert o["gmoe_model"] == 1 and o["gate"] == "softmax" and len(o["experts"]) == 2
for key in ("loglik", "status", "aic", "bic", "n", "iterations", "seconds"):
    assert key in f, key
assert f["n"] == 272 and f["status"] in ("converged", "max-iterations", "degenerate",
                                         "gate-divergent")
PY
fi
for key in fit loglik status aic bic n iterations seconds; do
    grep -q "\"$key\":" k2.json || fail "--json: no \"$key\""
done

# -o writes the same model file; -o - prints it; gmoe loglik recomputes the log-likelihood
# from the file's parameters alone (17 digits), independently of the fit.
expect_ok "$GMOE" fit --y waiting --x eruptions -k 2 --starts 20 -o fit.json faithful.csv
grep -q '^log-likelihood  *-851\.31' out || fail "summary: no log-likelihood line: $(cat out)"
grep -q '^status  *converged' out || fail "summary: no status line"
grep -q 'a\[eruptions\]' out || fail "summary: covariate not named"
[ "$(ls)" = "$(printf 'err\nfaithful.csv\nfit.json\nk2.json\nout')" ] || fail "stray files: $(ls)"
grep -v '"seconds"' fit.json >a.txt
grep -v '"seconds"' k2.json >b.txt
cmp -s a.txt b.txt || fail "-o FILE and --json differ"
expect_ok "$GMOE" fit --y waiting --x eruptions -k 2 --starts 20 -o - faithful.csv
grep -v '"seconds"' out >c.txt
cmp -s c.txt b.txt || fail "-o - and --json differ"

expect_ok "$GMOE" loglik --model fit.json --y waiting --x eruptions faithful.csv
same_number "$(cat out)" "$ll2" 1e-9 || fail "gmoe loglik of fit.json: $(cat out), fit: $ll2"

# AIC = -2 loglik + 2p, BIC = -2 loglik + p log n, p = k(d + 2) + (k - 1)(d + 1) for a softmax
# gate (k = 2, d = 1: p = 8), n = 272.
aic=$(json_member aic k2.json)
bic=$(json_member bic k2.json)
want_aic=$(awk -v l="$ll2" 'BEGIN { printf "%.17g", -2 * l + 2 * 8 }')
want_bic=$(awk -v l="$ll2" 'BEGIN { printf "%.17g", -2 * l + 8 * log(272) }')
same_number "$aic" "$want_aic" 1e-12 || fail "AIC $aic, expected $want_aic"
same_number "$bic" "$want_bic" 1e-12 || fail "BIC $bic, expected $want_bic"
[ "$(json_member nparams k2.json)" = 8 ] || fail "nparams $(json_member nparams k2.json)"

# ---------------------------------------------------------------- --trace
expect_ok "$GMOE" fit --y waiting --x eruptions -k 3 --starts 20 --trace trace.csv -o t.json \
    faithful.csv
[ "$(head -n 1 trace.csv)" = "iteration,loglik" ] || fail "trace header: $(head -n 1 trace.csv)"
[ "$(wc -l <trace.csv)" -ge 3 ] || fail "trace: $(wc -l <trace.csv) lines"
awk -F, 'NR > 1 { if ($1 != NR - 1) bad++; if (NR > 2 && $2 < prev) bad++; prev = $2 }
         END { exit bad > 0 }' trace.csv ||
    fail "trace: iterations not 1, 2, ... or the log-likelihood decreases"
last=$(tail -n 1 trace.csv | cut -d, -f2)
same_number "$last" "$(json_member loglik t.json)" 1e-14 ||
    fail "trace ends at $last, the fit at $(json_member loglik t.json)"
[ "$(tail -n 1 trace.csv | cut -d, -f1)" = "$(json_member iterations t.json)" ] ||
    fail "trace length and the fit's iterations differ"
# Plain EM as well (one EM map per line).
expect_ok "$GMOE" fit --y waiting --x eruptions -k 2 --starts 5 --no-accel --trace plain.csv \
    faithful.csv
awk -F, 'NR > 2 && $2 < prev { bad++ } NR > 1 { prev = $2 } END { exit bad > 0 }' plain.csv ||
    fail "plain EM trace: the log-likelihood decreases"

# Quasi-Newton (--accel qn): a monotone trace, the reference log-likelihood, the summary's
# count of cycles; over-specified (k = 4 on the published truth, near-true starts) at least
# SQUAREM's log-likelihood.
expect_ok "$GMOE" fit --y waiting --x eruptions -k 2 --starts 20 --accel qn --trace qn.csv \
    faithful.csv
grep -q "quasi-Newton cycles" out || fail "--accel qn: the summary does not count cycles: $(cat out)"
awk -F, 'NR > 2 && $2 < prev { bad++ } NR > 1 { prev = $2 } END { exit bad > 0 }' qn.csv ||
    fail "quasi-Newton trace: the log-likelihood decreases"
expect_ok "$GMOE" fit --y waiting --x eruptions -k 2 --starts 20 --accel qn --json faithful.csv
same_number "$(json_member loglik out)" -851.3149 2e-7 ||
    fail "--accel qn: faithful k = 2 loglik $(json_member loglik out), reference -851.3149"
expect_ok "$GMOE" simulate --model "$TRUTH" --design grid -n 20000 --seed 4 \
    -o over.csv
for a in squarem qn; do
    expect_ok "$GMOE" fit -k 4 --init near-true --truth "$TRUTH" \
        --starts 3 --accel $a --json over.csv
    cp out "over-$a.json"
done
at_least "$(json_member loglik over-qn.json)" "$(json_member loglik over-squarem.json)" ||
    fail "--accel qn: k = 4 loglik $(json_member loglik over-qn.json) below SQUAREM's $(json_member loglik over-squarem.json)"

# ---------------------------------------------------------------- reproducibility
# The same seed gives the same file for any number of threads (apart from the wall time).
for t in 1 2; do
    expect_ok "$GMOE" fit --y waiting --x eruptions -k 3 --starts 12 --seed 77 --threads $t \
        -o "s$t.json" --trace "tr$t.csv" faithful.csv
    grep -v '"seconds"' "s$t.json" >"s$t.txt"
    sed 's/; [0-9.]* s$//' out >"sum$t.txt"
done
expect_ok "$GMOE" fit --y waiting --x eruptions -k 3 --starts 12 --seed 77 --threads 2 \
    -o s3.json faithful.csv
grep -v '"seconds"' s3.json >s3.txt
cmp -s s1.txt s2.txt || fail "--threads 1 and --threads 2 give different model files"
cmp -s s2.txt s3.txt || fail "two runs with the same seed give different model files"
cmp -s tr1.csv tr2.csv || fail "--threads 1 and --threads 2 give different traces"
cmp -s sum1.txt sum2.txt || fail "--threads 1 and --threads 2 give different summaries"
[ "$(json_member seed s1.json)" = 77 ] || fail "the model file does not record the seed"

# ---------------------------------------------------------------- every gate family
# Small data sets simulated from models written here; x uniform on [-2, 2], both signs, so
# that top-K selection on the slope picks different experts on either side of 0. A fit
# should reach at least the true model's log-likelihood (minus a little: 10 starts).
cat >topk-truth.json <<'JSON'
{"gmoe_model": 1, "gate": "topk", "topk": 2,
 "experts": [{"beta0": 0.5, "beta1": [3], "a": [2], "b": 0, "var": 0.1},
             {"beta0": 0.5, "beta1": [-3], "a": [-2], "b": 0, "var": 0.1},
             {"beta0": 0, "beta1": [0], "a": [0], "b": 3, "var": 0.1}]}
JSON
cat >temperature-truth.json <<'JSON'
{"gmoe_model": 1, "gate": "temperature", "tau": 0.5,
 "experts": [{"beta0": 1, "beta1": [3], "a": [2], "b": 0, "var": 0.1},
             {"beta0": 0, "beta1": [0], "a": [-2], "b": 1, "var": 0.2}]}
JSON
cat >activation-truth.json <<'JSON'
{"gmoe_model": 1, "gate": "activation", "tau": 0.5, "activation": "tanh",
 "experts": [{"beta0": 0.5, "beta1": [3], "a": [2], "b": 0, "var": 0.1},
             {"beta0": 0, "beta1": [-1], "a": [-2], "b": 1, "var": 0.2}]}
JSON
cat >softmax-truth.json <<'JSON'
{"gmoe_model": 1, "gate": "softmax",
 "experts": [{"beta0": 0.5, "beta1": [2, -1], "a": [1, 2], "b": 0, "var": 0.25},
             {"beta0": 0, "beta1": [0, 0], "a": [-1, 0.5], "b": 1, "var": 1}]}
JSON

# check_fit GATE TRUTH K OPTIONS...: simulate 400 observations from TRUTH, fit, and check the
# file: its gate, a log-likelihood that gmoe loglik reproduces and that is not far below the
# truth's, and a known status.
check_fit()
{
    gate=$1 truth=$2 k=$3
    shift 3
    expect_ok "$GMOE" simulate --model "$truth" -n 400 --seed 3 --lo -2 --hi 2 -o "$gate.csv"
    expect_ok "$GMOE" loglik --model "$truth" "$gate.csv"
    lt=$(cat out)
    expect_ok "$GMOE" fit -k "$k" --gate "$gate" "$@" -o "$gate-fit.json" "$gate.csv"
    grep -q "^$k experts, $gate gate" out || fail "$gate: summary header: $(sed -n 2p out)"
    [ "$(json_member gate "$gate-fit.json")" = "$gate" ] || fail "$gate: gate not written"
    lf=$(json_member loglik "$gate-fit.json")
    case $(json_member status "$gate-fit.json") in
    converged | max-iterations | degenerate | gate-divergent) ;;
    *) fail "$gate: status $(json_member status "$gate-fit.json")" ;;
    esac
    expect_ok "$GMOE" loglik --model "$gate-fit.json" "$gate.csv"
    same_number "$(cat out)" "$lf" 1e-9 || fail "$gate: gmoe loglik $(cat out), fit $lf"
    at_least "$lf" "$(awk -v l="$lt" 'BEGIN { print l - 1 }')" ||
        fail "$gate: fit loglik $lf, the truth's $lt"
}

check_fit softmax softmax-truth.json 2
check_fit topk topk-truth.json 3 --topk 2
[ "$(json_member topk topk-fit.json)" = 2 ] || fail "topk: K not written"
check_fit temperature temperature-truth.json 2
# The activation gate from the data-driven starts ends far below the truth (a library bug,
# reported: the gate M-step stalls); near-true starts reach the truth.
check_fit activation activation-truth.json 2 --init near-true --truth activation-truth.json
expect_ok "$GMOE" fit -k 2 --gate activation --act sigmoid --tau 2 --fix-tau -o fixed.json \
    activation.csv
same_number "$(json_member tau fixed.json)" 2 0 || fail "--fix-tau: tau $(json_member tau fixed.json)"
[ "$(json_member activation fixed.json)" = sigmoid ] || fail "--act sigmoid not written"
grep -q 'tau = 2, fixed' out || fail "--fix-tau: summary: $(sed -n 2p out)"
expect_ok "$GMOE" fit -k 2 --gate topk --topk 1 --topk-select score --seed 5 -o score.json \
    topk.csv
[ "$(json_member topk_select score.json)" = score ] || fail "--topk-select score not written"

# The sigmoid gate: no translation freedom, so the summary says there is no canonical form;
# gmoe predict reads the fitted file.
cat >sigmoid-truth.json <<'JSON'
{"gmoe_model": 1, "gate": "sigmoid",
 "experts": [{"beta0": -1, "beta1": [3], "a": [2], "b": 0, "var": 0.1},
             {"beta0": -1, "beta1": [-3], "a": [-2], "b": 1, "var": 0.2}]}
JSON
check_fit sigmoid sigmoid-truth.json 2
expect_ok "$GMOE" fit -k 2 --gate sigmoid sigmoid.csv
grep -q '^Canonical form: none needed (the sigmoid gate has no translation freedom)' out ||
    fail "sigmoid summary: $(cat out)"
grep -q '^gate  *beta0 ' out || fail "sigmoid summary: no beta0 row"
[ "$(json_member nparams sigmoid-fit.json)" = 10 ] ||
    fail "sigmoid nparams $(json_member nparams sigmoid-fit.json), expected k(d + 2) + k(d + 1) = 10"
expect_ok "$GMOE" predict -o pred.csv sigmoid-fit.json sigmoid.csv
[ "$(head -n 1 pred.csv)" = "x1,y,g1,g2,post1,post2,mean,logdens" ] ||
    fail "sigmoid predict header: $(head -n 1 pred.csv)"
[ "$(wc -l <pred.csv)" -eq 401 ] || fail "sigmoid predict: $(wc -l <pred.csv) lines"

# The Gaussian gate, fitted by the joint likelihood of (x, y): the file says so
# ("objective": "joint", loglik_joint), loglik stays the conditional one (gmoe loglik
# reproduces it), and the joint log-likelihood is at least the truth's, which awk computes
# here: gmoe loglik of the truth plus sum_i log sum_j pi_j N(x_i; c_j, Gamma_j). x is normal,
# not the gate's mixture: the joint maximum is still above the truth.
cat >gaussian-truth.json <<'JSON'
{"gmoe_model": 1, "gate": "gaussian",
 "experts": [{"pi": 0.4, "c": [-1], "Gamma": [[0.3]], "a": [2], "b": 0, "var": 0.1},
             {"pi": 0.6, "c": [1], "Gamma": [[0.5]], "a": [-1], "b": 1, "var": 0.2}]}
JSON
expect_ok "$GMOE" simulate --model gaussian-truth.json -n 400 --seed 3 --design normal --sd 1.2 \
    -o gaussian.csv
expect_ok "$GMOE" loglik --model gaussian-truth.json gaussian.csv
ljt=$(awk -F, -v lc="$(cat out)" 'NR > 1 {
        p = 0.4 * exp(-($1 + 1)^2 / (2 * 0.3)) / sqrt(2 * 3.141592653589793 * 0.3)
        p += 0.6 * exp(-($1 - 1)^2 / (2 * 0.5)) / sqrt(2 * 3.141592653589793 * 0.5)
        s += log(p) }
    END { printf "%.17g", lc + s }' gaussian.csv)
expect_ok "$GMOE" fit -k 2 --gate gaussian --trace gtrace.csv -o gaussian-fit.json gaussian.csv
grep -q '^2 experts, gaussian gate (fitted by EM on the joint likelihood of (x, y))' out ||
    fail "gaussian summary header: $(sed -n 2p out)"
grep -q '^joint loglik  *-' out || fail "gaussian summary: no joint loglik line"
{ grep -q '^gate  *pi ' out && grep -q '^  *c\[x1\] ' out && grep -q '^  *Gamma\[x1,x1\] ' out; } ||
    fail "gaussian summary: no pi, c, Gamma rows: $(cat out)"
[ "$(json_member gate gaussian-fit.json)" = gaussian ] || fail "gaussian: gate not written"
[ "$(json_member objective gaussian-fit.json)" = joint ] || fail "gaussian: no \"objective\": \"joint\""
lf=$(json_member loglik gaussian-fit.json)
lj=$(json_member loglik_joint gaussian-fit.json)
expect_ok "$GMOE" loglik --model gaussian-fit.json gaussian.csv
same_number "$(cat out)" "$lf" 1e-9 || fail "gaussian: gmoe loglik $(cat out), fit $lf"
at_least "$lj" "$ljt" || fail "gaussian: fitted joint loglik $lj below the truth's $ljt"
# p = k(d + 2) + (k - 1)(1 + d + d(d + 1)/2) = 6 + 3.
[ "$(json_member nparams gaussian-fit.json)" = 9 ] ||
    fail "gaussian nparams $(json_member nparams gaussian-fit.json), expected 9"
[ "$(head -n 1 gtrace.csv)" = "iteration,loglik,loglik_joint" ] ||
    fail "gaussian trace header: $(head -n 1 gtrace.csv)"
awk -F, 'NR > 2 && $3 < prev { bad++ } NR > 1 { prev = $3 } END { exit bad > 0 }' gtrace.csv ||
    fail "gaussian trace: the joint log-likelihood decreases"
same_number "$(tail -n 1 gtrace.csv | cut -d, -f3)" "$lj" 1e-14 ||
    fail "gaussian trace ends at $(tail -n 1 gtrace.csv), the fit at $lj"
# Near-true starts from the truth reach the same joint maximum; softmax fits have no
# objective member.
expect_ok "$GMOE" fit -k 2 --gate gaussian --init near-true --truth gaussian-truth.json \
    --starts 3 -o gnt.json gaussian.csv
same_number "$(json_member loglik_joint gnt.json)" "$lj" 1e-6 ||
    fail "gaussian near-true: joint loglik $(json_member loglik_joint gnt.json), data starts $lj"
grep -q '"objective"' softmax-fit.json && fail "softmax fit: an objective member"
expect_ok "$GMOE" predict -o gpred.csv gaussian-fit.json gaussian.csv
[ "$(wc -l <gpred.csv)" -eq 401 ] || fail "gaussian predict: $(wc -l <gpred.csv) lines"

# d = 2: one row per covariate, named by --x.
expect_ok "$GMOE" fit -k 2 --x x2,x1 softmax.csv
{ grep -q '^gate  *beta0 ' out && grep -q '^  *beta1\[x2\] ' out && grep -q '^  *a\[x1\] ' out; } ||
    fail "d = 2 summary: $(cat out)"
# beta1/tau rows for the temperature gate.
expect_ok "$GMOE" fit -k 2 --gate temperature temperature.csv
grep -q 'beta1/tau\[x1\]' out || fail "temperature summary: no beta1/tau row"

# ---------------------------------------------------------------- statuses in the summary
# A floor above the experts' variances: every start ends on it.
expect_ok "$GMOE" fit -k 3 --y tuned --var-floor 0.1 "$GMOE_DATA/tonedata.csv" -o floor.json
[ "$(json_member status floor.json)" = degenerate ] ||
    fail "--var-floor 0.1: status $(json_member status floor.json)"
grep -q '^status  *degenerate: a variance ended on the floor' out || fail "degenerate summary"
# Two flat lines that meet with a jump at x = 0: the gate separates them ever more
# sharply and the likelihood has no finite maximum.
awk 'BEGIN { print "x,y"; for (i = 0; i < 200; i++) { x = -1 + 2 * (i + 0.5) / 200
             print x "," (x < 0 ? 0 : 5) + 0.3 * sin(12.9898 * i) } }' >step.csv
expect_ok "$GMOE" fit -k 2 -o step.json step.csv
[ "$(json_member status step.json)" = gate-divergent ] ||
    fail "step data: status $(json_member status step.json)"
grep -q '^status  *gate-divergent: the gate parameters grow without bound' out ||
    fail "gate-divergent summary: $(cat out)"
expect_ok "$GMOE" fit --y waiting --x eruptions -k 2 --max-iter 1 --no-accel faithful.csv \
    -o one.json
[ "$(json_member status one.json)" = max-iterations ] ||
    fail "--max-iter 1: status $(json_member status one.json)"
[ "$(json_member stop one.json)" = max-iter ] || fail "--max-iter 1: stop $(json_member stop one.json)"
[ "$(json_member iterations one.json)" = 1 ] || fail "--max-iter 1: iterations"

# ---------------------------------------------------------------- errors
expect_err 2 "gmoe: fit: -k K is required (see 'gmoe help fit')" \
    "$GMOE" fit --y waiting faithful.csv
expect_err 2 "gmoe: -k must be a positive integer (got \"0\")" \
    "$GMOE" fit -k 0 --y waiting faithful.csv
expect_err 1 "gmoe: faithful.csv: -k 300 exceeds the number of observations (n = 272)" \
    "$GMOE" fit -k 300 --y waiting faithful.csv
expect_err 2 "gmoe: fit: --accel must be squarem, qn or none (got \"bogus\")" \
    "$GMOE" fit -k 2 --accel bogus faithful.csv
expect_err 2 "gmoe: fit: --gate must be softmax, topk, temperature, activation, sigmoid or gaussian (got \"bogus\")" \
    "$GMOE" fit -k 2 --gate bogus --y waiting faithful.csv
expect_err 2 "gmoe: fit: --topk only goes with --gate topk" \
    "$GMOE" fit -k 2 --topk 1 --y waiting faithful.csv
expect_err 2 "gmoe: fit: --gate topk needs --topk K" \
    "$GMOE" fit -k 2 --gate topk --y waiting faithful.csv
expect_err 2 "gmoe: fit: --topk 3 exceeds -k 2" \
    "$GMOE" fit -k 2 --gate topk --topk 3 --y waiting faithful.csv
expect_err 2 "gmoe: fit: --init near-true needs --truth FILE" \
    "$GMOE" fit -k 2 --init near-true --y waiting faithful.csv
expect_err 2 "gmoe: fit: --truth only goes with --init near-true" \
    "$GMOE" fit -k 2 --truth softmax-truth.json --y waiting faithful.csv
expect_err 2 "gmoe: fit: --tau only goes with --gate temperature or activation" \
    "$GMOE" fit -k 2 --tau 0.5 --y waiting faithful.csv
expect_err 2 "gmoe: fit: --act only goes with --gate activation" \
    "$GMOE" fit -k 2 --gate temperature --act tanh --y waiting faithful.csv
expect_err 2 "gmoe: fit: --trace and -o name the same file \"a\"" \
    "$GMOE" fit -k 2 --trace a -o a --y waiting faithful.csv
expect_err 2 "gmoe: fit: column \"waiting\" is both the response (--y) and a covariate (--x)" \
    "$GMOE" fit -k 2 --y waiting --x waiting faithful.csv
expect_err 2 "gmoe: fit: missing data file (DATA.csv) (see 'gmoe help fit')" "$GMOE" fit -k 2
expect_err 2 "gmoe: --starts must be a positive integer (got \"0\")" \
    "$GMOE" fit -k 2 --starts 0 --y waiting faithful.csv
expect_err 1 "gmoe: nosuch.csv: cannot open: No such file or directory" \
    "$GMOE" fit -k 2 nosuch.csv
printf 'x1,y\n0.1,2\n0.2,3\nabc,4\n0.4,5\n' >text.csv
expect_err 1 "gmoe: text.csv:4: column \"x1\" (field 1): not a number: \"abc\" (categorical? use --factor x1)" \
    "$GMOE" fit -k 2 text.csv
expect_err 1 "gmoe: softmax-truth.json: the true model has d = 2, the data d = 1" \
    "$GMOE" fit -k 2 --init near-true --truth softmax-truth.json --y waiting faithful.csv
expect_err 1 "gmoe: topk-truth.json: near-true starts need -k at least the true k = 3 (got -k 2)" \
    "$GMOE" fit -k 2 --init near-true --truth topk-truth.json topk.csv
# An output that cannot be written is reported before the fit, and leaves nothing behind.
expect_err 1 "gmoe: nodir/fit.json: cannot write: No such file or directory" \
    "$GMOE" fit -k 2 --y waiting -o nodir/fit.json faithful.csv
expect_err 1 "gmoe: nodir/trace.csv: cannot write: No such file or directory" \
    "$GMOE" fit -k 2 --y waiting --trace nodir/trace.csv faithful.csv
ls ./*.tmp.* >/dev/null 2>&1 && fail "temporary files left: $(ls ./*.tmp.*)"

finish
