# Helpers for the shell tests of the gmoe command-line tool; sourced by tests/cli_*.sh.
# make check sets GMOE (the binary), GMOE_DATA (the source tree's data/) and GMOE_VERSION.
# Each test runs in a fresh temporary directory, so that messages name short relative paths.

: "${GMOE:?GMOE must name the gmoe binary (make check sets it)}"
: "${GMOE_DATA:?GMOE_DATA must name the data directory (make check sets it)}"

case $GMOE in /*) ;; *) GMOE=$(pwd)/$GMOE ;; esac
case $GMOE_DATA in /*) ;; *) GMOE_DATA=$(pwd)/$GMOE_DATA ;; esac
TRUTH=$GMOE_DATA/softmax-truth.json

tmp=$(mktemp -d "${TMPDIR:-/tmp}/gmoe-test.XXXXXX") || exit 99
trap 'rm -rf "$tmp" "$tmp.vg"' EXIT
cd "$tmp" || exit 99

# make check-valgrind sets GMOE_VALGRIND (the valgrind command and its options) and
# GMOE_LIBTOOL: every gmoe run then goes through memcheck, the libtool wrapper replaced by
# libtool --mode=execute so that memcheck sees gmoe rather than the shell. The script lives
# outside the test directory, which some tests check for stray files.
if [ -n "${GMOE_VALGRIND:-}" ]; then
    mkdir "$tmp.vg" || exit 99
    printf '#!/bin/sh\nexec %s --mode=execute %s "%s" "$@"\n' \
        "${GMOE_LIBTOOL:?GMOE_LIBTOOL must name libtool}" "$GMOE_VALGRIND" "$GMOE" >"$tmp.vg/gmoe"
    chmod +x "$tmp.vg/gmoe"
    GMOE=$tmp.vg/gmoe
fi

failures=0
checks=0

fail()
{
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# run CMD...: run it with stdout in ./out, stderr in ./err and the exit status in $status.
run()
{
    checks=$((checks + 1))
    "$@" >out 2>err
    status=$?
}

# expect_ok CMD...: exit 0 and nothing on stderr.
expect_ok()
{
    run "$@"
    [ "$status" -eq 0 ] || fail "$*: exit $status, expected 0 (stderr: $(cat err))"
    [ ! -s err ] || fail "$*: unexpected stderr: $(cat err)"
}

# expect_err STATUS MESSAGE CMD...: exit STATUS, nothing on stdout, and stderr exactly the
# one line MESSAGE.
expect_err()
{
    want_status=$1
    want_err=$2
    shift 2
    run "$@"
    [ "$status" -eq "$want_status" ] || fail "$*: exit $status, expected $want_status"
    [ ! -s out ] || fail "$*: unexpected stdout: $(head -c 200 out)"
    got=$(cat err)
    [ "$got" = "$want_err" ] || fail "$*: stderr was
  [$got]
expected
  [$want_err]"
    [ "$(wc -l <err)" -eq 1 ] || fail "$*: stderr is not one line"
}

# same_number A B [TOL]: A and B agree to a relative TOL (default 1e-10).
same_number()
{
    awk -v a="$1" -v b="$2" -v tol="${3:-1e-10}" 'BEGIN {
        r = a - b; if (r < 0) r = -r
        s = b < 0 ? -b : b
        exit !(a != "" && b != "" && r <= tol * s)
    }'
}

# factor_data SEED N LAYOUT FAC IND [SUB SUBIND]: N rows of a covariate x in [0, 4), a factor g
# whose levels mid, lo, hi are drawn at random (bytewise hi < lo < mid, so hi is the reference
# and the indicators are g=lo, g=mid) and a response from two lines shifted by the level. FAC has the columns of LAYOUT (x, g and the response's name, in
# any order); IND the same rows as x,g=lo,g=mid,RESPONSE; SUB and SUBIND, when named, the rows
# without level mid both ways (new data with a subset of the levels).
factor_data()
{
    awk -v seed="$1" -v n="$2" -v layout="$3" -v fac="$4" -v ind="$5" -v sfac="${6:-}" \
        -v sind="${7:-}" 'BEGIN {
        srand(seed)
        nc = split(layout, col, ",")
        for (c = 1; c <= nc; c++) if (col[c] != "x" && col[c] != "g") resp = col[c]
        print layout >fac; print "x,g=lo,g=mid," resp >ind
        if (sfac != "") { print layout >sfac; print "x,g=lo,g=mid," resp >sind }
        split("mid lo hi", lv, " ")
        for (i = 0; i < n; i++) {
            x = rand() * 4; l = lv[1 + int(rand() * 3)]
            eff = l == "lo" ? -1 : l == "mid" ? 2 : 0
            y = (rand() < 0.5 ? 1 + x : 5 - x) + eff + (rand() - 0.5) * 0.6
            v["x"] = sprintf("%.6f", x); v["g"] = l; v[resp] = sprintf("%.6f", y)
            row = v[col[1]]
            for (c = 2; c <= nc; c++) row = row "," v[col[c]]
            coded = sprintf("%.6f,%d,%d,%.6f", x, l == "lo", l == "mid", y)
            print row >fac; print coded >ind
            if (sfac == "" || l == "mid") continue
            print row >sfac; print coded >sind
        }
    }'
}

# summary TASKS RESUMED RUN FAILED OUTPUT: the line gmoe sweep ends with, as a pattern.
summary()
{
    echo "^gmoe sweep: $1 tasks ($2 resumed, $3 run, $4 failed) in [0-9]*\.[0-9] s -> $5\$"
}

# result_rows FILE: the number of result rows in FILE (0 if there is no FILE).
result_rows()
{
    if [ -f "$1" ]; then grep -v '^#' "$1" | tail -n +2 | wc -l; else echo 0; fi
}

# wait_rows FILE ROWS PID: wait until FILE holds ROWS result rows, or process PID has ended, or
# 10 s have passed.
wait_rows()
{
    i=0
    while [ "$i" -lt 100 ] && kill -0 "$3" 2>/dev/null && [ "$(result_rows "$1")" -lt "$2" ]; do
        sleep 0.1
        i=$((i + 1))
    done
}

# interrupt ROWS RESULTS TOTAL CMD...: run the sweep CMD in the background (stdout in out,
# stderr in err, the exit status in $status) and send it SIGINT once RESULTS holds ROWS rows:
# it has finished all TOTAL tasks, or it exits 1 with its message and the rows of the tasks
# it says it has in RESULTS.
interrupt()
{
    rows=$1 results=$2 total=$3
    shift 3
    checks=$((checks + 1))
    "$@" >out 2>err &
    pid=$!
    wait_rows "$results" "$rows" "$pid"
    kill -INT "$pid" 2>/dev/null
    wait "$pid"
    status=$?
    # (mpirun may report the signal after a sweep that has finished)
    if grep -q "^gmoe sweep: $total tasks (" err; then
        [ "$(result_rows "$results")" -eq "$total" ] || fail "SIGINT: $results is not complete"
    elif [ "$status" -eq 1 ]; then
        n=$(sed -n "s/^gmoe: sweep: interrupted after \([0-9]*\) of $total tasks; $results keeps them: run the same command again to resume\$/\1/p" err)
        if [ -z "$n" ]; then
            fail "SIGINT: stderr: $(cat err)"
        elif [ "$(result_rows "$results")" -ne "$n" ]; then
            fail "SIGINT: not $n rows in $results"
        fi
    elif [ "$status" -ne 0 ]; then
        fail "SIGINT: exit $status ($(cat err))"
    fi
}

finish()
{
    if [ "$failures" -gt 0 ]; then
        echo "$failures of $checks checks failed" >&2
        exit 1
    fi
    echo "$checks checks passed"
    exit 0
}
