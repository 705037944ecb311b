#!/bin/sh
# scripts/plot-fit: PNG and PDF of a fit over its data, d = 1 (faithful) and d = 2, and its
# errors (gmoe predict's relayed). Skipped (77) when Debian's python3 lacks matplotlib or
# numpy.
plot=$(cd "${srcdir:-.}" && pwd)/scripts/plot-fit
. "${srcdir:-.}/tests/testlib.sh"

MPLCONFIGDIR=$tmp/mpl # matplotlib warns on stderr when it cannot write its cache
export MPLCONFIGDIR

if ! /usr/bin/python3 -c 'import matplotlib, numpy' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 has no matplotlib or numpy"
    exit 77
fi

# magic FILE N: the first N bytes of FILE, as octal-free text.
magic()
{
    head -c "$2" "$1" | od -An -c | tr -d ' \n'
}

# d = 1: the Old Faithful fit, columns selected by name.
cp "$GMOE_DATA/faithful.csv" faithful.csv
expect_ok "$GMOE" fit --y waiting --x eruptions -k 2 --starts 5 -o fit.json faithful.csv
expect_ok "$plot" fit.json faithful.csv --y waiting --x eruptions -o faithful.png
[ -s faithful.png ] && [ -s faithful.pdf ] || fail "faithful.png and faithful.pdf not both written"
[ "$(magic faithful.png 4)" = "211PNG" ] || fail "faithful.png is not a PNG: $(magic faithful.png 4)"
[ "$(magic faithful.pdf 5)" = "%PDF-" ] || fail "faithful.pdf is not a PDF"
ls -d plot-fit.* >/dev/null 2>&1 && fail "temporary files left: $(ls -d plot-fit.*)"

# d = 2, gate weights along the second covariate; -o without .png.
cat >m2.json <<'JSON'
{"gmoe_model": 1, "gate": "softmax",
 "experts": [{"beta0": 0.5, "beta1": [4, -2], "a": [1, 2], "b": 0, "var": 0.05},
             {"beta0": 0, "beta1": [0, 0], "a": [-1, 0.5], "b": 1, "var": 0.1}]}
JSON
expect_ok "$GMOE" simulate --model m2.json -n 200 --seed 3 -o d2.csv
expect_ok "$plot" m2.json d2.csv --along x2 -o d2
[ "$(magic d2.png 4)" = "211PNG" ] && [ "$(magic d2.pdf 5)" = "%PDF-" ] || fail "d = 2: d2.png, d2.pdf"
expect_ok "$plot" m2.json d2.csv -o d2first.png --gmoe "$GMOE"
[ -s d2first.png ] || fail "d = 2 without --along"

expect_err 1 "plot-fit: --along: no covariate named \"x3\" (the covariates: x1,x2)" \
    "$plot" m2.json d2.csv --along x3 -o x.png
expect_err 1 "plot-fit: d2.csv: 1 covariate column selected, but the model m2.json has d = 2 (select columns with --x)" \
    "$plot" m2.json d2.csv --x x1 -o x.png
# The model file names its columns (waiting, eruptions), so no --y or --x is needed; a file
# without the names (as written before gmoe 0.2) needs them, and the messages say so.
expect_ok "$plot" fit.json faithful.csv -o names.png
[ "$(magic names.png 4)" = "211PNG" ] || fail "plot by the model's column names: no PNG"
sed '/"response"/,/^  \],$/d' fit.json >old.json
grep -q covariates old.json && fail "old.json still has names"
expect_err 1 "plot-fit: faithful.csv: 2 covariate columns selected, but the model old.json has d = 1 (select columns with --x)" \
    "$plot" old.json faithful.csv -o x.png
expect_err 1 "plot-fit: faithful.csv: --columns post needs the response, but the file has no column \"y\" (name it with --y)" \
    "$plot" old.json faithful.csv --x eruptions -o x.png
expect_err 1 "plot-fit: cannot run ./nosuch-gmoe: No such file or directory" \
    "$plot" fit.json faithful.csv --y waiting -o x.png --gmoe ./nosuch-gmoe
expect_err 1 "plot-fit: nosuch.json: no such file" "$plot" nosuch.json faithful.csv -o x.png
printf '{"experts": 3}\n' >bad.json
expect_err 1 "plot-fit: bad.json: not a gmoe model file" "$plot" bad.json faithful.csv -o x.png
expect_err 2 "plot-fit: the following arguments are required: -o/--output (see plot-fit --help)" \
    "$plot" fit.json faithful.csv
[ ! -e x.png ] || fail "plot-fit wrote x.png after an error"

finish
