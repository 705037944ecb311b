/* gmoe_results: reading the results file of a sweep (FORMATS.md, "Results CSV").
 *
 *   # gmoe 0.1.0 sweep results
 *   # seed: 2023
 *   # theory: loss=-0.5 hellinger=-0.5 err_beta1_1=-0.125
 *   n,rep,loglik,loglik_truth,iterations,status,seconds,loss,hellinger,err_beta1_1
 *   1000,1,-431.2,-433.0,12,converged,0.01,0.0312,0.011,0.05
 *
 * '#' lines (anywhere) are kept as header lines; the `# theory:` lines give the theoretical
 * slope of each metric. The first other non-blank line names the columns; it must have `n`
 * and `rep`. The bookkeeping columns are n, rep, loglik, loglik_truth, iterations, maps,
 * status, seconds, start and bound_active; every other column is a metric. Rows may come in any order: they
 * are sorted by (n, rep), ties kept in file order.
 *
 * Values: n must be a finite number > 0 and rep a finite number. A metric value is a number;
 * an empty field or "nan" (a failed task) reads as NaN. Other bookkeeping values are read as
 * numbers where they are numbers and NaN otherwise (status is text). Fields are separated by
 * commas, without quoting; CRLF line ends and a UTF-8 byte order mark are accepted.
 *
 * Errors name the file, the line (1-based, counting every physical line) and the column:
 *   res.csv: cannot open: No such file or directory
 *   res.csv: empty file (no header row)
 *   res.csv: no data rows
 *   res.csv:5: no column named "rep"
 *   res.csv:5: duplicate column name "loss"
 *   res.csv:9: expected 12 fields, found 11
 *   res.csv:9: column "n" (field 1): not a number: "abc"
 *   res.csv:3: theory: "loss": not a number: "fast" */
#ifndef GMOE_RESULTS_H
#define GMOE_RESULTS_H

#include <stddef.h>
#include "gmoe_error.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gmoe_results gmoe_results;

/* Read a results file. *out is owned by the caller: release with gmoe_results_free. */
int gmoe_results_read(const char *path, gmoe_results **out, gmoe_error *err);

/* Release a results table; NULL is a no-op. */
void gmoe_results_free(gmoe_results *res);

/* The accessors below borrow: returned pointers live as long as res. */
size_t gmoe_results_nrows(const gmoe_results *res);
size_t gmoe_results_ncols(const gmoe_results *res);
const char *gmoe_results_colname(const gmoe_results *res, size_t j);

/* 1 if column j is a metric (not a bookkeeping column), else 0. */
int gmoe_results_is_metric(const gmoe_results *res, size_t j);

/* Set *j to the index of the column called name and return 1; return 0 if there is none. */
int gmoe_results_find(const gmoe_results *res, const char *name, size_t *j);

/* The nrows values of column j, in (n, rep) order. */
const double *gmoe_results_column(const gmoe_results *res, size_t j);

/* The '#' header lines, without the '#', one following blank, and the line end. */
size_t gmoe_results_nheader(const gmoe_results *res);
const char *gmoe_results_header(const gmoe_results *res, size_t i);

/* Set *slope to the theoretical slope that a `# theory:` line gives for metric and return 1
 * (a later line wins over an earlier one). Without such a line, the per-cell columns of the
 * sweep metric cells have the rates of MODELS.md 7 built in: cell1_<p> -1/2; cell2_beta1
 * and cell2_b -1/8, cell2_a and cell2_v -1/4; cell3_beta1 and cell3_b -1/12, cell3_a and
 * cell3_v -1/6. Otherwise return 0 (and *slope = NaN). */
int gmoe_results_theory(const gmoe_results *res, const char *metric, double *slope);

#ifdef __cplusplus
}
#endif
#endif
