/* gmoe_csv: reading and writing numeric data sets as CSV.
 *
 * Format (man gmoe-formats(5)): a header row of column names; comma-separated fields;
 * fields may be double-quoted ("" is a quote inside a quoted field); lines starting with '#'
 * and blank lines are ignored; CRLF line ends and a UTF-8 byte order mark are accepted.
 * Files are streamed: memory grows geometrically with the rows kept, never quadratically.
 *
 * Every malformed input is an error whose message names the file, the line (1-based, counting
 * every physical line) and the column (by name, and by 1-based field number):
 *   data.csv: cannot open: No such file or directory
 *   data.csv: empty file (no header row)
 *   data.csv: no data rows
 *   data.csv:1: duplicate column name "x"
 *   data.csv:1: no column named "y"
 *   data.csv:12: expected 3 fields, found 2
 *   data.csv:12: column "x" (field 1): not a number: "abc"
 *   data.csv:12: column "x" (field 1): not finite: "nan"
 */
#ifndef GMOE_CSV_H
#define GMOE_CSV_H

#include <stddef.h>
#include "gmoe_error.h"
#include "gmoe_data.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct gmoe_csv_spec {
    const char *y;           /* response column; NULL means "y" */
    const char *const *x;    /* covariate columns, in order; NULL: every column but y, in
                                file order */
    size_t nx;               /* number of names in x (ignored when x is NULL) */
    int y_optional;          /* nonzero: a file without the y column is read with y = NULL */
} gmoe_csv_spec;

/* Read the selected columns of a CSV file into a new data set (owned by the caller).
 * Only the selected columns are parsed as numbers, but every row must have as many fields
 * as the header. */
int gmoe_csv_read(const char *path, const gmoe_csv_spec *spec, gmoe_data **out,
                  gmoe_error *err);

/* Write data as CSV with columns x1..xd,y (y omitted when data->y is NULL), numbers with 17
 * significant digits. The file is written to a temporary name beside path and renamed on
 * success, so path is never left half-written. path "-" writes to stdout. */
int gmoe_csv_write(const char *path, const gmoe_data *data, gmoe_error *err);

#ifdef __cplusplus
}
#endif
#endif
