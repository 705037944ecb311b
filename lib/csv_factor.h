/* Private to the CSV reader: the levels of a categorical (factor) covariate column, and the
 * coding of such columns as indicator columns once the file is read. */
#ifndef GMOE_CSV_FACTOR_H
#define GMOE_CSV_FACTOR_H

#include <stddef.h>
#include "gmoe_data.h"
#include "gmoe_csv.h"
#include "gmoe_error.h"

#define CSV_SHOW 64 /* bytes of a field or name quoted in a message */

/* The distinct texts of one column, each a level id in order of first appearance. Texts are
 * compared as bytes with their length, so any field text (NUL bytes included) is a level. */
typedef struct gmoe__csv_levels {
    char *bytes; /* level i is bytes[off[i] .. off[i + 1]) */
    size_t len, bytes_cap;
    size_t *off; /* n + 1 offsets */
    size_t n, off_cap;
    size_t *htab; /* open-addressing hash: level id or SIZE_MAX */
    size_t hmask;
} gmoe__csv_levels;

/* The level id of text s[0..n), added as a new level when unseen. GMOE_ENOMEM on failure
 * (no message: the reader names its file). */
int gmoe__csv_levels_intern(gmoe__csv_levels *lv, const char *s, size_t n, size_t *id);

void gmoe__csv_levels_free(gmoe__csv_levels *lv);

/* Code the factor columns of data as indicators. fac[t] is, for covariate t, the index into
 * lv of its levels when it is a factor, or -1; its values are then level ids. Each factor's
 * levels are sorted bytewise (a shorter text first when one is a prefix of the other), the
 * first is dropped as the reference and every other level L becomes a 0/1 column named
 * "name=L", in place of the column, in its levels' order. data->x and *names (the layout of
 * gmoe_csv_read_names: d covariate names, then y's when data->y) are replaced; on failure
 * (GMOE_ENOMEM) they are left as they were. */
int gmoe__csv_factor_code(gmoe_data *data, char ***names, const long *fac, gmoe__csv_levels *lv,
                          gmoe_error *err, const char *file);

/* Shared with csv.c. A string for a message: quoted, at most CSV_SHOW bytes, control
 * characters escaped so that the message stays on one line (out: 4 * CSV_SHOW + 8 bytes). */
void gmoe__csv_show(char *out, size_t outsz, const char *s, size_t n);

/* Errors in spec's factors, found before the file (named file) is opened: each must be a
 * distinct selected covariate. */
int gmoe__csv_check_factors(const char *file, const gmoe_csv_spec *spec, gmoe_error *err);

/* " (categorical? use OPTION NAME)" into out: NAME as a shell word when it is a plain one. */
void gmoe__csv_factor_hint(const char *column, const char *option, char *out, size_t outsz);

/* The error for a factor column whose levels lv are a single one. */
int gmoe__csv_single_level(gmoe_error *err, const char *file, const char *column,
                           const gmoe__csv_levels *lv);

/* Intern f's levels in their order, so that level i has id i (lv empty before). */
int gmoe__csv_levels_preset(gmoe__csv_levels *lv, const gmoe_csv_factor *f);

/* The levels of lv in bytewise order into out (column: the column's name), owned by out
 * (gmoe_csv_factors_free). GMOE_ENOMEM, or GMOE_EPARSE for a level holding a NUL byte. */
int gmoe__csv_levels_export(const gmoe__csv_levels *lv, const char *column, gmoe_csv_factor *out,
                            gmoe_error *err, const char *file);

/* The error for field text s[0..n) at line of the file, a factor coded by f's levels: label
 * names the column ("column "g" (field 2)"). */
int gmoe__csv_unknown_level(gmoe_error *err, const char *file, size_t line, const char *label,
                            const char *s, size_t n, const gmoe_csv_factor *f);

#endif
