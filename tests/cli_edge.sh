#!/bin/sh
# Numerical edge cases through the command line: gmoe fit on data where the likelihood has no
# regular maximum, for every gate family, ends with a documented status and a model file of
# finite numbers that gmoe loglik reproduces; a sweep whose fits hit such cases writes rows
# whose fit columns are finite. Data are made here with awk (sin() as deterministic noise).
. "${srcdir:-.}/tests/testlib.sh"

# json_member NAME FILE: the value of "NAME": (the first match: the fit object's).
json_member()
{
    sed -n "s/.*\"$1\": *\"\{0,1\}\([^,\"}]*\).*/\1/p" "$2" | head -n 1
}

# make_csv NAME N EXPR-X EXPR-Y: columns x,y for i = 0..N-1; u and e are deterministic
# uniform(0, 1) and roughly standard normal noise of row i.
make_csv()
{
    awk -v n="$2" 'BEGIN {
        print "x,y"
        for (i = 0; i < n; i++) {
            u = sin(i * 12.9898 + 1) * 43758.5453; u -= int(u); if (u < 0) u += 1
            e = sin(i * 78.233 + 2) * 1.7
            x = '"$3"'; y = '"$4"'
            printf "%.17g,%.17g\n", x, y
        }
    }' >"$1.csv"
}

# k above the number of distinct x; a constant y; a y of zeros and one of subnormal numbers;
# two clusters of x that the gate separates perfectly; fewer observations than parameters;
# a third of the points exactly on a line (its expert's variance collapses to the floor);
# four experts for a single line (responsibilities of the extra experts may vanish).
make_csv distinct 60 'i % 2' '(i % 4 < 2 ? 1 : -1) + x + 0.3 * e'
make_csv consty 50 '4 * u - 2' '3'
make_csv zeroy 40 '4 * u - 2' '0'
make_csv subnormal 40 '4 * u - 2' '(i % 2) * 1e-300 * 5e-24'
make_csv separable 200 '(i < 100 ? -3 : 2) + u' '(i < 100 ? 1 + 2 * x : -1 - x) + 0.2 * e'
make_csv small 5 '4 * u - 2' 'e'
make_csv floorline 150 '4 * u - 2' '(i % 3 == 0 ? 1 + 2 * x : -x + 0.5 * e)'
make_csv oneline 80 '4 * u - 2' 'x + 0.3 * e'

STATUSES=" converged max-iterations degenerate gate-divergent "

# fit_case CASE K GATE-OPTIONS...: the fit ends with a documented status; the summary and
# the model file hold no nan, inf or null; gmoe loglik of the file gives the fit's loglik.
fit_case()
{
    name=$1 k=$2
    shift 2
    what="fit $* -k $k $name.csv"
    rm -f fit.json
    run "$GMOE" fit --starts 3 -k "$k" "$@" -o fit.json "$name.csv"
    if [ "$status" -ne 0 ]; then
        fail "$what: exit $status ($(cat err))"
        return
    fi
    [ ! -s err ] || fail "$what: stderr: $(cat err)"
    # loglik_interior is null by design when no start converged (gmoe-formats(5)).
    grep -v '"loglik_interior": null' fit.json >fitnums.json
    ! grep -qiE 'nan|inf|null' out fitnums.json || fail "$what: not finite: $(grep -iE 'nan|inf|null' out fitnums.json | head -n 3)"
    st=$(json_member status fit.json)
    case $STATUSES in *" $st "*) ;; *) fail "$what: status \"$st\"" ;; esac
    case $name in
    consty | zeroy | subnormal)
        [ "$st" = degenerate ] || fail "$what: a constant y gives status $st" ;;
    separable)
        [ "$st" = converged ] || [ "$st" = gate-divergent ] ||
            fail "$what: separable data give status $st" ;;
    esac
    ll=$(json_member loglik fit.json)
    run "$GMOE" loglik --model fit.json "$name.csv"
    [ "$status" -eq 0 ] && same_number "$(cat out)" "$ll" 1e-9 ||
        fail "$what: gmoe loglik of the model file: $(cat out) $(cat err), the fit's $ll"
}

for gate in softmax topk temperature activation; do
    set -- -g "$gate"
    [ "$gate" = topk ] && set -- -g topk --topk 2
    fit_case distinct 3 "$@"
    fit_case consty 2 "$@"
    fit_case zeroy 2 "$@"
    fit_case subnormal 2 "$@"
    fit_case separable 2 "$@"
    fit_case small 2 "$@"
    fit_case floorline 2 "$@"
    fit_case oneline 4 "$@"
done

# ---------------------------------------------------------------- a sweep of such fits
# A truth with a near-step gate (beta1 = 1e4) and an expert of variance 1e-12, far below the
# floor; three fitted experts for two; sizes down to n = k. Every task's fit columns are
# finite; metrics are numbers, nan only for an empty Voronoi cell, inf only where
# gmoe-formats(5) allows it (err_beta0_l and the pinned loss of a diverging gate, whose
# masses exp(beta0) overflow).
cat >etruth.json <<'EOF'
{"gmoe_model": 1, "gate": "softmax", "experts": [
 {"beta0": 0, "beta1": [10000], "a": [1], "b": 3, "var": 1e-12},
 {"beta0": 0, "beta1": [0], "a": [-1], "b": -3, "var": 0.5}]}
EOF
cat >edge.conf <<'EOF'
truth  = etruth.json
design = uniform -1 1
k      = 3
n      = 3, 5, 8, 40
reps   = 3
init   = random
starts = 2
seed   = 5
output = edge.csv
EOF
run "$GMOE" sweep --quiet --threads 2 edge.conf
[ "$status" -eq 0 ] || fail "edge sweep: exit $status ($(cat err))"
grep -v '^#' edge.csv | awk -F, -v statuses="$STATUSES" '
    NR == 1 { for (i = 1; i <= NF; i++) col[i] = $i; next }
    function num(v) { return v ~ /^-?[0-9.]+(e[-+]?[0-9]+)?$/ }
    {
        rows++
        if (index(statuses, " " $7 " ") == 0) { print "row " NR ": status " $7; bad = 1 }
        for (i = 1; i <= NF; i++) {
            c = col[i]
            if (c == "status") continue
            if (num($i)) continue
            if ($i == "nan" && c ~ /^err_/) { empty[$1 "," $2 "," substr(c, length(c))]++; continue }
            if ($i == "inf" && (c == "loss_pinned" || c ~ /^err_beta0_/)) continue
            print "row " NR ": " c " = " $i; bad = 1
        }
    }
    END {
        # A nan error is a whole empty cell: the five errors of true expert l together.
        for (e in empty) if (empty[e] != 5) { print "cell " e ": " empty[e] " nan errors"; bad = 1 }
        if (rows != 12) { print rows " rows"; bad = 1 }
        exit bad
    }' >awk.out || fail "edge sweep rows: $(head -n 3 awk.out)"

finish
