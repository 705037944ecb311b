#!/bin/sh
# scripts/plot-dendrogram: PNG and PDF from gmoe select --json (a file or standard input), and
# its errors. Skipped (77) when Debian's python3 lacks matplotlib.
plot=$(cd "${srcdir:-.}" && pwd)/scripts/plot-dendrogram
. "${srcdir:-.}/tests/testlib.sh"

MPLCONFIGDIR=$tmp/mpl # matplotlib warns on stderr when it cannot write its cache
export MPLCONFIGDIR

if ! /usr/bin/python3 -c 'import matplotlib' 2>/dev/null; then
    echo "SKIP: /usr/bin/python3 has no matplotlib"
    exit 77
fi

# magic FILE N: the first N bytes of FILE, as octal-free text.
magic()
{
    head -c "$2" "$1" | od -An -c | tr -d ' \n'
}

expect_ok "$GMOE" select --y waiting --x eruptions -k 4 --starts 5 --json "$GMOE_DATA/faithful.csv"
cp out sel.json
expect_ok "$plot" sel.json -o tree.png
[ -s tree.png ] && [ -s tree.pdf ] || fail "tree.png and tree.pdf not both written"
[ "$(magic tree.png 4)" = "211PNG" ] || fail "tree.png is not a PNG: $(magic tree.png 4)"
[ "$(magic tree.pdf 5)" = "%PDF-" ] || fail "tree.pdf is not a PDF"

# Standard input, a title, an output name without .png; a tree of one expert (no merge).
run "$plot" - -o stdin --title "faithful" <sel.json
[ "$status" -eq 0 ] && [ -s stdin.png ] && [ -s stdin.pdf ] || fail "- -o stdin: $(cat err)"
expect_ok "$GMOE" select --y waiting --x eruptions -k 1 --json "$GMOE_DATA/faithful.csv"
cp out one.json
expect_ok "$plot" one.json -o one.png
[ -s one.png ] || fail "k = 1: no picture"

expect_err 1 "plot-dendrogram: nosuch.json: no such file" "$plot" nosuch.json -o x.png
printf 'not json\n' >bad.json
expect_err 1 "plot-dendrogram: bad.json: not JSON" "$plot" bad.json -o x.png
printf '{"n": 3}\n' >nod.json
expect_err 1 "plot-dendrogram: nod.json: not the JSON of gmoe select --json (no \"dendrogram\")" \
    "$plot" nod.json -o x.png
printf '{"dendrogram": [{"k": 2, "height": 1, "merged": [1, 0]}, {"k": 1}]}\n' >pair.json
expect_err 1 "plot-dendrogram: pair.json: level 2: merged must be two experts of the level" \
    "$plot" pair.json -o x.png
printf '{"dendrogram": [{"k": 3, "height": 1, "merged": [0, 1]}, {"k": 1}]}\n' >gap.json
expect_err 1 "plot-dendrogram: gap.json: the dendrogram does not have every level from 3 to 1" \
    "$plot" gap.json -o x.png
expect_err 2 "plot-dendrogram: the following arguments are required: -o/--output (see plot-dendrogram --help)" \
    "$plot" sel.json
[ ! -e x.png ] || fail "plot-dendrogram wrote x.png after an error"

finish
