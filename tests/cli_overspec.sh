#!/bin/sh
# Sweep metrics of over-specified fits (MODELS.md 7): cells, the per-cell-size columns, their
# built-in theory slopes in gmoe rate, and plot-rates drawing them; merged, the fit's
# dendrogram cut at k* atoms against the truth.
plot=$(cd "${srcdir:-.}" && pwd)/scripts/plot-rates
. "${srcdir:-.}/tests/testlib.sh"

# k = 3 fitted for k* = 2: cells of 1 and 2 fitted experts.
cat >c.conf <<EOC
truth   = $TRUTH
design  = grid 0 1
k       = 3
n       = 800, 1600, 3200
reps    = 3
starts  = 2
metrics = loss cells
seed    = 5
EOC
expect_ok "$GMOE" sweep --quiet --threads 2 c.conf
[ "$(grep -v '^#' c.csv | head -n 1)" = "n,rep,loglik,loglik_truth,iterations,maps,status,seconds,loss,cell1_beta1,cell1_a,cell1_b,cell1_v,cell2_beta1,cell2_a,cell2_b,cell2_v" ] ||
    fail "cells columns: $(grep -v '^#' c.csv | head -n 1)"
# Every row: errors are numbers >= 0 or nan (no cell of that size), and a task has a cell of
# 2 (k = 3 experts in 2 cells) unless one true cell is empty.
grep -v '^#' c.csv | tail -n +2 | awk -F, '
    { for (i = 10; i <= 17; i++) if ($i != "nan" && !($i >= 0)) bad++
      if ($14 != "nan") two++ }
    END { exit bad > 0 || NR != 9 || two == 0 }' || fail "cells rows: $(cat c.csv)"

# The theory column of gmoe rate: -1/2 for single cells, -1/8 (beta1, b) and -1/4 (a, v) for
# cells of 2.
expect_ok "$GMOE" rate --json --metric cell1_a,cell2_beta1,cell2_b,cell2_a,cell2_v c.csv
for mt in cell1_a:-0.5 cell2_beta1:-0.125 cell2_b:-0.125 cell2_a:-0.25 cell2_v:-0.25; do
    /usr/bin/python3 - "${mt%%:*}" "${mt#*:}" out <<'PY' || fail "rate theory of $mt: $(cat out)"
import json, sys
r = json.load(open(sys.argv[3]))[sys.argv[1]]
assert r["theory"] == float(sys.argv[2]), r["theory"]
PY
done
expect_ok "$GMOE" rate --metric cell2_beta1 c.csv
grep -q '^cell2_beta1 .* -0\.125 ' out || fail "rate table: no theory -0.125 for cell2_beta1: $(cat out)"

if /usr/bin/python3 -c 'import matplotlib, numpy' 2>/dev/null; then
    MPLCONFIGDIR=$tmp/mpl
    export MPLCONFIGDIR
    expect_ok "$plot" c.csv -o cells.png --metric cell1_beta1,cell2_beta1,cell2_a
    [ -s cells.png ] && [ -s cells.pdf ] || fail "plot-rates: cells.png and cells.pdf not both written"
fi

# ---------------------------------------------------------------- merged
# With k = k* the cut at k* atoms is the fit itself: loss_merged is the loss (D1) and every
# err_merged column the err column.
cat >m2.conf <<EOC
truth   = $TRUTH
design  = grid 0 1
k       = 2
n       = 500, 1000
reps    = 2
metrics = loss params merged
seed    = 5
EOC
expect_ok "$GMOE" sweep --quiet --threads 2 m2.conf
[ "$(grep -v '^#' m2.csv | head -n 1)" = "n,rep,loglik,loglik_truth,iterations,maps,status,seconds,loss,err_beta0_1,err_beta1_1,err_a_1,err_b_1,err_v_1,err_beta0_2,err_beta1_2,err_a_2,err_b_2,err_v_2,loss_merged,err_merged_beta0_1,err_merged_beta1_1,err_merged_a_1,err_merged_b_1,err_merged_v_1,err_merged_beta0_2,err_merged_beta1_2,err_merged_a_2,err_merged_b_2,err_merged_v_2" ] ||
    fail "merged columns: $(grep -v '^#' m2.csv | head -n 1)"
grep -v '^#' m2.csv | tail -n +2 | awk -F, '
    function near(a, b) { d = a - b; if (d < 0) d = -d; return d <= 1e-9 * (b < 0 ? -b : b) + 1e-12 }
    { if (!near($20, $9)) bad++
      for (i = 10; i <= 19; i++) if (!near($(i + 11), $i)) bad++ }
    END { exit bad > 0 || NR != 4 }' || fail "k = k*: merged differs from the fit: $(cat m2.csv)"
# k = 3: the merged model has k* atoms, a finite D1 below the total true mass.
sed -e 's/^k .*/k = 3/' -e 's/^output.*//' m2.conf >m3.conf
expect_ok "$GMOE" sweep --quiet --threads 2 m3.conf
grep -v '^#' m3.csv | tail -n +2 | awk -F, '!($20 > 0 && $20 <= 1 + exp(-8) + 1e-9) { bad++ }
    END { exit bad > 0 || NR != 4 }' || fail "k = 3: loss_merged off: $(cat m3.csv)"

finish
