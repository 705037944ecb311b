#!/bin/sh
# gmoe's dispatcher: version, help, and the usage errors every command shares.
. "${srcdir:-.}/tests/testlib.sh"

# --version, --help, help CMD
expect_ok "$GMOE" --version
# (and in a build with MPI a second line that says so: tests/cli_mpi.sh)
[ "$(head -n 1 out)" = "gmoe ${GMOE_VERSION:?}" ] || fail "--version printed: $(cat out)"
[ -n "${GMOE_MPIRUN:-}" ] || [ "$(wc -l <out)" -eq 1 ] || fail "--version printed: $(cat out)"

expect_ok "$GMOE" --help
head -n 1 out | grep -q '^Usage: gmoe COMMAND' || fail "--help: no usage line"
for cmd in simulate loglik help; do
    grep -q "^  $cmd " out || fail "--help does not list $cmd"
done
cp out help.txt
expect_ok "$GMOE" -h
cmp -s out help.txt || fail "-h differs from --help"
for h in help "help help" "help --help"; do
    # shellcheck disable=SC2086
    expect_ok "$GMOE" $h
    cmp -s out help.txt || fail "$h differs from --help"
done

for cmd in simulate loglik; do
    expect_ok "$GMOE" help "$cmd"
    cp out "help-$cmd.txt"
    head -n 1 out | grep -q "^Usage: gmoe $cmd " || fail "help $cmd: no usage line"
    grep -q '^Example' out || fail "help $cmd: no example"
    grep -q -- '--model FILE' out || fail "help $cmd: --model not described"
    expect_ok "$GMOE" "$cmd" --help
    cmp -s out "help-$cmd.txt" || fail "$cmd --help differs from help $cmd"
    expect_ok "$GMOE" "$cmd" -h
    cmp -s out "help-$cmd.txt" || fail "$cmd -h differs from help $cmd"
done
grep -q 'default uniform' help-simulate.txt || fail "simulate --help: no design default"
grep -q 'default 1)' help-simulate.txt || fail "simulate --help: no seed default"

# Usage errors: exit 2 and one "gmoe: " line.
expect_err 2 "gmoe: no command given (see 'gmoe --help')" "$GMOE"
expect_err 2 "gmoe: unknown command \"frobnicate\" (see 'gmoe help')" "$GMOE" frobnicate
expect_err 2 "gmoe: unknown option --frob (see 'gmoe --help')" "$GMOE" --frob
expect_err 2 "gmoe: unknown command \"frobnicate\" (see 'gmoe help')" "$GMOE" help frobnicate
expect_err 2 "gmoe: help: unexpected argument \"loglik\"" "$GMOE" help simulate loglik
expect_err 2 "gmoe: simulate: unknown option --frob (see 'gmoe help simulate')" \
    "$GMOE" simulate --frob
expect_err 2 "gmoe: simulate: unknown option --frob (see 'gmoe help simulate')" \
    "$GMOE" simulate --frob=3
expect_err 2 "gmoe: simulate: unknown option -z (see 'gmoe help simulate')" \
    "$GMOE" simulate -z
expect_err 2 "gmoe: loglik: unknown option -z (see 'gmoe help loglik')" \
    "$GMOE" loglik -zh
expect_err 2 "gmoe: loglik: option --model needs a value (see 'gmoe help loglik')" \
    "$GMOE" loglik data.csv --model
expect_err 2 "gmoe: simulate: option -n needs a value (see 'gmoe help simulate')" \
    "$GMOE" simulate --model m.json -n
expect_err 2 "gmoe: loglik: option --json takes no value (see 'gmoe help loglik')" \
    "$GMOE" loglik --json=yes data.csv
# --seed is shared, but loglik does not take it.
expect_err 2 "gmoe: loglik: unknown option --seed (see 'gmoe help loglik')" \
    "$GMOE" loglik --seed 3 data.csv

# Standard output is checked when gmoe exits: a full disk is an error.
if [ -w /dev/full ]; then
    run "$GMOE" --version
    "$GMOE" --version >/dev/full 2>err
    status=$?
    [ "$status" -eq 1 ] || fail "--version >/dev/full: exit $status, expected 1"
    grep -q '^gmoe: standard output: write error: ' err || fail "--version >/dev/full: $(cat err)"
fi

finish
