#!/bin/sh
# Failed writes: a full disk (/dev/full, and a file-size limit that makes writes fail part
# way as a full disk does) and a read-only directory are reported in one line with exit 1;
# the previous file is left as it was, no temporary file stays behind, and a sweep whose
# appends fail keeps its earlier rows intact and resumes from them.
. "${srcdir:-.}/tests/testlib.sh"

# limited BLOCKS CMD...: run CMD with regular files limited to BLOCKS blocks (ulimit -f; 512
# or 1024 bytes a block, depending on the shell) and SIGXFSZ ignored, so that a write past
# the limit fails with EFBIG, part way, as on a full disk. Standard output goes to
# /dev/null (a device, not limited), stderr to ./err; the exit status is in $status.
limited()
{
    checks=$((checks + 1))
    blocks=$1
    shift
    (trap '' XFSZ && ulimit -f "$blocks" && exec "$@") >/dev/null 2>err
    status=$?
}

# same_file A B WHAT: A and B have the same bytes.
same_file()
{
    checks=$((checks + 1))
    cmp -s "$1" "$2" || fail "$3: $1 changed"
}

# no_temporaries: no temporary file (NAME.tmp.PID.N) was left behind.
no_temporaries()
{
    checks=$((checks + 1))
    left=$(find . -name '*.tmp.*')
    [ -z "$left" ] || fail "$1: temporary files left: $left"
}

expect_ok "$GMOE" simulate --model "$TRUTH" -n 400 --seed 3 -o data.csv
# Six experts: a model file longer than a block of either size.
expect_ok "$GMOE" fit -k 6 --starts 1 --max-iter 20 -o fit.json data.csv
for f in data.csv fit.json; do cp "$f" "$f.orig"; done
# 80 tasks of about 80 bytes each.
cat >w.conf <<EOF
truth   = $TRUTH
design  = grid 0 1
k       = 2
n       = log:300:3000:4
reps    = 20
seed    = 7
metrics = loss loglik
output  = w.csv
EOF

# ---------------------------------------------------------------- /dev/full
full="No space left on device"
if [ -w /dev/full ]; then
    expect_err 1 "gmoe: /dev/full: write failed: $full" "$GMOE" fit -k 2 --starts 2 -o /dev/full data.csv
    expect_err 1 "gmoe: /dev/full: write failed: $full" \
        "$GMOE" fit -k 2 --starts 2 --trace /dev/full -o fit2.json data.csv
    [ ! -e fit2.json ] || fail "fit --trace /dev/full: wrote fit2.json"
    expect_err 1 "gmoe: /dev/full: write failed: $full" \
        "$GMOE" simulate --model "$TRUTH" -n 10 -o /dev/full
    # (Outputs smaller than stdio's buffer: /dev/full is written in place, where the reason
    # of a failure in the middle of a larger output may be lost with the data stdio drops.)
    head -n 3 data.csv >small.csv
    expect_err 1 "gmoe: /dev/full: write failed: $full" "$GMOE" predict -o /dev/full fit.json small.csv
    # A device stays a device: it is written in place, not replaced by a renamed file.
    [ -c /dev/full ] || fail "/dev/full is no longer a character device"
    expect_err 1 "gmoe: /dev/full: not a regular file (a sweep appends its rows to the file and reads them back to resume)" \
        "$GMOE" sweep -o /dev/full "$GMOE_DATA/../experiments/softmax-exact-k2-quick.conf"
fi
expect_ok "$GMOE" simulate --model "$TRUTH" -n 10 -o /dev/null
[ -c /dev/null ] || fail "/dev/null is no longer a character device"

# ---------------------------------------------------------------- files cut short
# Every output file is written beside its target and renamed: a write that fails leaves the
# previous file as it was. One block holds the messages but none of the outputs.
if (ulimit -f 1) 2>/dev/null; then
    efbig="File too large"
    limited 1 "$GMOE" fit -k 6 --starts 1 --max-iter 20 -o fit.json data.csv
    [ "$status" -eq 1 ] && [ "$(cat err)" = "gmoe: fit.json: write failed: $efbig" ] ||
        fail "fit -o with a full disk: exit $status, $(cat err)"
    limited 1 "$GMOE" simulate --model "$TRUTH" -n 400 --seed 4 -o data.csv
    [ "$status" -eq 1 ] && [ "$(cat err)" = "gmoe: data.csv: write failed: $efbig" ] ||
        fail "simulate -o with a full disk: exit $status, $(cat err)"
    limited 1 "$GMOE" predict -o pred.csv fit.json data.csv
    [ "$status" -eq 1 ] && [ "$(cat err)" = "gmoe: pred.csv: write failed: $efbig" ] ||
        fail "predict -o with a full disk: exit $status, $(cat err)"
    [ ! -e pred.csv ] || fail "predict -o with a full disk: left pred.csv"
    same_file data.csv data.csv.orig "simulate -o with a full disk"
    same_file fit.json fit.json.orig "fit -o with a full disk"
    no_temporaries "outputs with a full disk"

    # A sweep appends a row per task. Its file starts with 4 rows of a complete run; the
    # limit lets a few more rows in, then an append fails part way: the sweep stops, says
    # so, and the file is the first rows whole, without a torn one.
    expect_ok "$GMOE" sweep --quiet --threads 2 -o ref.csv w.conf
    rows=$(grep -v '^#' ref.csv | tail -n +2 | wc -l)
    header=$(grep -c '^#' ref.csv)
    head -n "$((header + 5))" ref.csv >w.csv
    cp w.csv w.start
    size=$(wc -c <w.csv)
    limited "$((size / 512 + 2))" "$GMOE" sweep --quiet --threads 2 w.conf
    got=$(grep -v '^#' w.csv | tail -n +2 | wc -l)
    [ "$status" -eq 1 ] ||
        fail "sweep with a full disk: exit $status (stderr: $(cat err); $got of $rows rows)"
    [ "$(cat err)" = "gmoe: w.csv: write failed: $efbig; the $got rows written before are intact: run the sweep again to resume" ] ||
        fail "sweep with a full disk: stderr $(cat err) ($got rows in w.csv)"
    [ "$got" -ge 4 ] && [ "$got" -lt "$rows" ] || fail "sweep with a full disk: $got rows"
    checks=$((checks + 1))
    cmp -s -n "$size" w.csv w.start || fail "sweep with a full disk: the first rows changed"
    [ "$(tail -c 1 w.csv | od -An -c | tr -d ' ')" = '\n' ] || fail "sweep with a full disk: a torn last row"
    cols=$(grep -v '^#' ref.csv | head -n 1 | awk -F, '{ print NF }')
    grep -v '^#' w.csv | awk -F, -v c="$cols" 'NF != c { exit 1 }' || fail "sweep with a full disk: a short row"
    expect_ok "$GMOE" sweep --quiet w.conf
    grep -v '^#' ref.csv | cut -d, -f1-7,9- | sort >r.ref
    grep -v '^#' w.csv | cut -d, -f1-7,9- | sort >r.got
    same_file r.got r.ref "sweep resumed after a full disk"
fi

# ---------------------------------------------------------------- a read-only directory
# chmod does not stop root (or a process with CAP_DAC_OVERRIDE): then nothing to test.
mkdir ro
cp fit.json data.csv ro/
cp data.csv ro/ro.csv
chmod 444 ro/ro.csv
chmod 555 ro
if touch ro/probe 2>/dev/null; then
    echo "note: read-only directory tests skipped: chmod does not restrict this user (root?)"
    rm -f ro/probe
else
    denied="Permission denied"
    expect_err 1 "gmoe: ro/fit.json: cannot write: $denied" "$GMOE" fit -k 2 -o ro/fit.json data.csv
    same_file ro/fit.json fit.json.orig "fit -o into a read-only directory"
    expect_err 1 "gmoe: ro/new.csv: cannot write: $denied" \
        "$GMOE" simulate --model "$TRUTH" -n 10 -o ro/new.csv
    expect_err 1 "gmoe: ro/s.csv: cannot write: $denied" \
        "$GMOE" sweep --quiet -o ro/s.csv "$GMOE_DATA/../experiments/softmax-exact-k2-quick.conf"
    [ ! -e ro/s.csv ] || fail "sweep into a read-only directory: wrote ro/s.csv"
    # A read-only results file is not appended to.
    cp ro/ro.csv ro.before
    expect_err 1 "gmoe: ro/ro.csv: cannot open: $denied" "$GMOE" sweep --quiet -o ro/ro.csv w.conf
    same_file ro/ro.csv ro.before "sweep into a read-only file"
fi
chmod 755 ro

finish
