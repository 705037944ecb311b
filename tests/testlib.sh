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

finish()
{
    if [ "$failures" -gt 0 ]; then
        echo "$failures of $checks checks failed" >&2
        exit 1
    fi
    echo "$checks checks passed"
    exit 0
}
