#!/bin/sh
# scripts/plot-rates: PNG and PDF from a results file, its errors. Skipped (77) when Debian's
# python3 lacks matplotlib or numpy.
plot=$(cd "${srcdir:-.}" && pwd)/scripts/plot-rates
. "${srcdir:-.}/tests/testlib.sh"

MPLCONFIGDIR=$tmp/mpl # matplotlib warns on stderr when it cannot write its cache
export MPLCONFIGDIR

if ! /usr/bin/python3 -c 'import matplotlib, numpy' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 has no matplotlib or numpy"
    exit 77
fi

# Two metrics over 8 sizes, 4 replicates: loss = n^-0.5 with a spread, tv with a theory line.
awk 'BEGIN {
    print "# theory: loss=-0.5"
    print "n,rep,status,loss,tv"
    for (g = 0; g < 8; g++)
        for (r = 1; r <= 4; r++) {
            n = int(100 * 10 ^ (g / 2.5) + 0.5)
            printf "%d,%d,converged,%.17g,%.17g\n", n, r, n ^ -0.5 * (0.7 + 0.2 * r), 3 * n ^ -0.3 * (1.1 - 0.05 * r)
        }
}' >res.csv

# magic FILE: the first bytes of FILE, as octal-free text.
magic()
{
    head -c "$2" "$1" | od -An -c | tr -d ' \n'
}

expect_ok "$plot" res.csv -o rates.png
[ -s rates.png ] && [ -s rates.pdf ] || fail "plot-rates: rates.png and rates.pdf not both written"
[ "$(magic rates.png 4)" = "211PNG" ] || fail "rates.png is not a PNG: $(magic rates.png 4)"
[ "$(magic rates.pdf 5)" = "%PDF-" ] || fail "rates.pdf is not a PDF"

expect_ok "$plot" res.csv -o one --metric tv
[ -s one.png ] && [ -s one.pdf ] || fail "-o one: one.png and one.pdf not both written"

# The binary: --gmoe, else $GMOE (set by make check); a wrong one is reported.
expect_ok "$plot" res.csv -o g.png --gmoe "$GMOE"
expect_err 1 "plot-rates: cannot run ./nosuch-gmoe: No such file or directory" \
    "$plot" res.csv -o g.png --gmoe ./nosuch-gmoe

expect_err 1 "plot-rates: nosuch.csv: no such file" "$plot" nosuch.csv -o x.png
expect_err 1 "plot-rates: res.csv: no metric named \"los\"" "$plot" res.csv -o x.png --metric los
expect_err 1 "plot-rates: --metric: no metric named" "$plot" res.csv -o x.png --metric ,
printf 'n,rep,status\n100,1,converged\n' >nometric.csv
expect_err 1 "plot-rates: nometric.csv: no metric columns (only bookkeeping columns)" \
    "$plot" nometric.csv -o x.png
expect_err 2 "plot-rates: the following arguments are required: -o/--output (see plot-rates --help)" \
    "$plot" res.csv
[ ! -e x.png ] || fail "plot-rates wrote x.png after an error"

finish
