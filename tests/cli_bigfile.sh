#!/bin/sh
# A data file of 10 million rows (40 MB): gmoe loglik and gmoe fit read it whole and give the
# values awk computes from the same file; a bad value after the last of them is reported
# with its line. Under valgrind (make check-valgrind) it is skipped: memcheck would take
# most of an hour over it, and the shorter files of the other tests reach the same code.
. "${srcdir:-.}/tests/testlib.sh"

if [ -n "${GMOE_VALGRIND:-}" ]; then
    echo "note: skipped under valgrind"
    exit 77
fi

N=10000000
awk -v n="$N" 'BEGIN { print "x,y"; for (i = 0; i < n; i++) printf "%d,%d\n", i % 7, i % 5 }' >big.csv
[ "$(wc -l <big.csv)" -eq $((N + 1)) ] || fail "big.csv: $(wc -l <big.csv) lines"

# Under one standard normal expert every row adds -log(2 pi)/2 - y^2/2; y = i % 5 takes each
# of 0..4 on 2e6 rows.
printf '{"gmoe_model": 1, "gate": "softmax", "experts": [{"beta0": 0, "beta1": [0], "a": [0], "b": 0, "var": 1}]}\n' >flat.json
want=$(awk -v n="$N" 'BEGIN { printf "%.17g", -n / 2 * log(2 * atan2(0, -1)) - (n / 5) * (0 + 1 + 4 + 9 + 16) / 2 }')
expect_ok "$GMOE" loglik --model flat.json big.csv
same_number "$(cat out)" "$want" 1e-12 || fail "loglik of big.csv: $(cat out), expected $want"

# One expert is a linear regression: its maximum log-likelihood is -n/2 (log(2 pi RSS/n) + 1),
# RSS from the sums of the file's columns.
want=$(awk -F, 'NR > 1 { n++; sx += $1; sy += $2; sxx += $1 * $1; sxy += $1 * $2; syy += $2 * $2 }
    END {
        Sxx = sxx - sx * sx / n; Sxy = sxy - sx * sy / n; Syy = syy - sy * sy / n
        printf "%.17g", -n / 2 * (log(2 * atan2(0, -1) * (Syy - Sxy * Sxy / Sxx) / n) + 1)
    }' big.csv)
expect_ok "$GMOE" fit -k 1 --starts 1 --json big.csv
got=$(sed -n 's/.*"loglik": *\([^,]*\),.*/\1/p' out | head -n 1)
same_number "$got" "$want" 1e-10 || fail "fit -k 1 of big.csv: loglik $got, expected $want"
grep -q "\"n\": $N," out || fail "fit -k 1 of big.csv: n is not $N"

# A bad value on the last line, 10000002.
echo '3,abc' >>big.csv
expect_err 1 "gmoe: big.csv:$((N + 2)): column \"y\" (field 2): not a number: \"abc\"" \
    "$GMOE" loglik --model flat.json big.csv

finish
