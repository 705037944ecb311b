/* gmoe_csv: reading and writing numeric data sets as CSV.
 *
 * Format (man gmoe-formats(5)): a header row of column names; comma-separated fields;
 * fields may be double-quoted ("" is a quote inside a quoted field, which may also hold commas
 * and line breaks); spaces and tabs around a field, outside its quotes, are ignored; lines
 * starting with '#' and blank lines are ignored, before the header too; CRLF line ends and a
 * UTF-8 byte order mark are accepted. Numbers are read with strtod in the C locale: NaN and
 * infinities are rejected, underflow to a subnormal or zero is not an error. Files are
 * streamed: memory grows geometrically with the rows kept, never quadratically.
 *
 * Every malformed input is an error whose message names the file, the line (1-based, counting
 * every physical line; the line where the row, or the bad field, starts) and the column (by
 * name and by 1-based field number; by number only in the header or past the last column).
 * A field's text is shown quoted, with control characters escaped and cut after 64 bytes.
 * A row with the wrong number of fields is reported as such, not by the values it garbles.
 *   data.csv: cannot open: No such file or directory               (GMOE_EIO)
 *   data.csv: is a directory                                       (GMOE_EIO)
 *   data.csv: read error: Input/output error                       (GMOE_EIO)
 *   data.csv: empty file (no header row)                           (GMOE_EPARSE, as below)
 *   data.csv: no data rows
 *   data.csv:1: duplicate column name "x"
 *   data.csv:1: no column named "y"
 *   data.csv:1: field 3: unterminated quoted field
 *   data.csv:12: expected 3 fields, found 2
 *   data.csv:12: column "x" (field 1): not a number: "abc"
 *   data.csv:12: column "x" (field 1): empty field
 *   data.csv:12: column "x" (field 1): not finite: "nan"           (also "inf", "-Infinity")
 *   data.csv:12: column "x" (field 1): out of range: "1e999"
 *   data.csv:12: column "x" (field 1): too large to fit: "1e308" (|value| > 1e+150)  (max_abs)
 *   data.csv:12: column "x" (field 1): unterminated quoted field
 *   data.csv:12: column "x" (field 1): text after closing quote    ("1"2)
 *   data.csv: column "y" selected as both y and x                  (GMOE_EINVAL)
 *   data.csv: column "x" selected twice as x                       (GMOE_EINVAL)
 *   data.csv: column "g" named twice as a factor                   (GMOE_EINVAL)
 *   data.csv: factor column "g" is not a selected covariate        (GMOE_EINVAL)
 *   data.csv:1: factor column "g" is not a selected covariate      (not in the header's x)
 *   data.csv: factor column "g" has a single level "a"
 *   data.csv:12: column "g" (field 1): not a number: "a" (categorical? use --factor g)
 *                                                   (the hint when spec->factor_option is set)
 *   data.csv:12: column "g" (field 1): unknown level "d" (known levels: "a", "b", "c")
 *                                                   (a factor coded by spec->levels)
 *   data.csv: out of memory                                        (GMOE_ENOMEM)
 */
#ifndef GMOE_CSV_H
#define GMOE_CSV_H

#include <stddef.h>
#include "gmoe_error.h"
#include "gmoe_data.h"

#ifdef __cplusplus
extern "C" {
#endif

/* A factor column and its levels: as gmoe_csv_read_coded found them in a file, or as a model
 * file recorded them (gmoe_io.h). The levels are distinct, in bytewise order (a text that is a
 * prefix of another first); levels[0] is the reference, which has no indicator column. */
typedef struct gmoe_csv_factor {
    char *column;   /* the column's name */
    char **levels;  /* nlevels texts */
    size_t nlevels; /* at least 2 */
} gmoe_csv_factor;

/* Release the n factors at f and their strings (all owned), then f itself. NULL is a no-op. */
void gmoe_csv_factors_free(gmoe_csv_factor *f, size_t n);

typedef struct gmoe_csv_spec {
    const char *y;        /* response column; NULL means "y" */
    const char *const *x; /* covariate columns, in order; NULL: every column but y, in
                             file order */
    size_t nx;            /* number of names in x (ignored when x is NULL) */
    int y_optional;       /* nonzero: a file without the y column is read with y = NULL */
    double max_abs;       /* > 0: a selected value with |value| > max_abs is an error that
                             names it (gmoe fit passes GMOE_FIT_MAX_ABS); 0: no limit */
    /* Categorical covariates: the columns named in factors (distinct covariates) are read as
     * text, each distinct text a level. The levels are sorted bytewise; the first is the
     * reference and is dropped, and each other level L becomes an indicator column (1 where
     * the field is L, else 0) named "col=L", in place of the column and in level order. So d
     * is the number of numeric covariates plus, for each factor, its levels less one. A
     * factor with a single level is an error; an empty field is one, as in a numeric
     * column. */
    const char *const *factors;
    size_t nfactors;
    const char *factor_option; /* non-NULL: a covariate field that is not a number adds the
                                  hint "(categorical? use OPTION COLUMN)" to the message */
    /* NULL, or nfactors entries (borrowed): factor j is coded by levels[j].levels (distinct,
     * in bytewise order, at least 2; the entry's column is not used) instead of by the
     * levels the file holds, so that new data is coded as the data a model was fitted on:
     * the same indicator columns in the same order, a level that the file lacks giving a
     * column of zeros. A field that is none of the levels is an error naming it. */
    const gmoe_csv_factor *levels;
} gmoe_csv_spec;

/* Read the selected columns of a CSV file into a new data set (owned by the caller; *out is
 * NULL on failure). Only the selected columns are parsed as numbers, but every row must have
 * as many fields as the header. The names in spec->x must be distinct and differ from y (the
 * selection is checked before the file is opened); x non-NULL with nx = 0, or a file with no
 * column but y, gives d = 0. spec NULL means all defaults. path "-" reads standard input,
 * named "<stdin>" in messages. */
int gmoe_csv_read(const char *path, const gmoe_csv_spec *spec, gmoe_data **out, gmoe_error *err);

/* gmoe_csv_read that also gives the header's names of the selected columns: (*names)[t] is
 * covariate t's (t < d), (*names)[d] the response's when the data set has y. *names is one
 * allocation, released with free(); NULL on failure. names NULL is gmoe_csv_read. */
int gmoe_csv_read_names(const char *path, const gmoe_csv_spec *spec, gmoe_data **out, char ***names,
                        gmoe_error *err);

/* gmoe_csv_read_names that also gives the factors' levels as the data was coded: *factors
 * (NULL when spec has no factor) is spec->nfactors entries in the order of spec->factors,
 * owned by the caller (gmoe_csv_factors_free(*factors, spec->nfactors)); NULL on failure.
 * factors NULL is gmoe_csv_read_names. A level holding a NUL byte cannot be given as a C
 * string and is an error here (GMOE_EPARSE, naming the column), not in the other readers. */
int gmoe_csv_read_coded(const char *path, const gmoe_csv_spec *spec, gmoe_data **out, char ***names,
                        gmoe_csv_factor **factors, gmoe_error *err);

/* The physical line (1-based) on which data row `row` (0-based: observation row + 1 of the
 * data set gmoe_csv_read makes of the file) starts, for a message about that observation
 * (gmoe_error.obs). Reads the file again, so it must not have changed; standard input ("-")
 * cannot be read again and is GMOE_EINVAL. */
int gmoe_csv_row_line(const char *path, size_t row, size_t *line, gmoe_error *err);

/* Write data as CSV with columns x1..xd,y (y omitted when data->y is NULL), each number
 * as gmoe_csv_format_double writes it, so a round trip is bit-exact (-0 included). The file is
 * written to a temporary name beside path and renamed on success, so path is never left
 * half-written. path "-" writes to stdout. A NaN or infinite value is GMOE_EINVAL, found before
 * anything is written: data.csv: row 12: x1 is not finite as is a data set with no column at all (d
 * = 0 and no y). */
int gmoe_csv_write(const char *path, const gmoe_data *data, gmoe_error *err);

/* Room for any output of gmoe_csv_format_double, terminating NUL included. */
#define GMOE_CSV_NUMBUF 32

/* Write v into buf (at least GMOE_CSV_NUMBUF bytes) as data files hold numbers: the shortest
 * decimal that strtod reads back as exactly v (3.6, not 3.6000000000000001), laid out as
 * printf("%.17g") lays out its digits in the C locale (exponential form below 1e-4 and from
 * 1e17; inf, -inf and nan for the non-finite). NUL-terminated; returns the length. */
size_t gmoe_csv_format_double(double v, char *buf);

#ifdef __cplusplus
}
#endif
#endif
