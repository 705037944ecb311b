/* CSV data files. The reader keeps one growing buffer of raw bytes, finds one record at a
 * time in it and splits the record in place (quoted fields are unescaped where they lie, and a
 * NUL is written after each field for strtod), so no field is ever copied or allocated. Only
 * the selected columns are converted; they grow geometrically, and at the end the x columns
 * are packed into one column-major array. */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include "strtod.h"
#include "csv_factor.h"
#include "internal.h"

#ifndef CSV_CHUNK /* the fuzz build makes it tiny, to reach the refill code with small inputs */
#define CSV_CHUNK (1u << 20) /* bytes per fread: large enough to amortise the calls */
#endif
#define CSV_ROWS0 1024 /* initial rows per column */

typedef struct csv_reader {
    const char *name; /* the file as messages name it */
    FILE *fp;
    char *buf;            /* cap + 1 bytes: room for a NUL after the last record */
    size_t cap, pos, len; /* unread bytes are buf[pos..len) */
    int eof;
    size_t line; /* physical line number of buf[pos] */
    gmoe_error *err;

    /* header: ncol names, NUL-terminated, at names + name_off[f] */
    size_t ncol;
    char *names;
    size_t names_len, names_cap;
    size_t *name_off;
    size_t off_cap;
    size_t *htab; /* open-addressing hash of the names: field index or SIZE_MAX */
    size_t hmask;

    /* selection: role[f] is the column slot of field f (x: 0..d-1, y: d) or -1 */
    long *role;
    size_t d;
    int has_y;
    double **col;   /* d + has_y arrays of cap_rows values */
    double max_abs; /* spec->max_abs, or 0 */
    size_t nrows, cap_rows;

    /* factors: fac[slot] indexes levels for a factor covariate, else -1; NULL without any */
    long *fac;
    gmoe__csv_levels *levels;
    size_t nfac;
    const char *factor_option;    /* spec->factor_option: the hint for a non-numeric covariate */
    const gmoe_csv_factor *known; /* spec->levels: the levels factors are coded by, or NULL */
} csv_reader;

enum { FIELD_OK, FIELD_UNTERMINATED, FIELD_AFTER_QUOTE };
enum { NUM_OK, NUM_EMPTY, NUM_BAD, NUM_NONFINITE, NUM_RANGE, NUM_TOOBIG, NUM_NOMEM, NUM_UNKNOWN };

static int is_blank(char c)
{
    return c == ' ' || c == '\t';
}

static int oom(csv_reader *r)
{
    return gmoe_error_set(r->err, GMOE_ENOMEM, "%s: out of memory", r->name);
}

/* Make *p (elements of size sz, capacity *cap) hold at least need elements, doubling. */
static int grow(void *p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 16;
    while (c < need) {
        if (c > SIZE_MAX / 2 / sz) return -1;
        c *= 2;
    }
    void *q = realloc(*(void **)p, c * sz);
    if (!q) return -1;
    *(void **)p = q;
    *cap = c;
    return 0;
}

/* A string for a message: quoted, at most CSV_SHOW bytes, control characters escaped so that
 * the message stays on one line. */
void gmoe__csv_show(char *out, size_t outsz, const char *s, size_t n)
{
    size_t o = 0, lim = n > CSV_SHOW ? CSV_SHOW : n;
    while (lim < n && lim > 0 && ((unsigned char)s[lim] & 0xC0) == 0x80)
        lim--; /* UTF-8 */
    out[o++] = '"';
    for (size_t i = 0; i < lim && o + 8 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\')
            o += (size_t)snprintf(out + o, outsz - o, "\\%c", c);
        else if (c == '\n')
            o += (size_t)snprintf(out + o, outsz - o, "\\n");
        else if (c == '\r')
            o += (size_t)snprintf(out + o, outsz - o, "\\r");
        else if (c == '\t')
            o += (size_t)snprintf(out + o, outsz - o, "\\t");
        else if (c < 0x20 || c == 0x7f)
            o += (size_t)snprintf(out + o, outsz - o, "\\x%02x", c);
        else
            out[o++] = (char)c;
    }
    out[o++] = '"';
    if (lim < n) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
}

static const char *colname(const csv_reader *r, size_t f)
{
    return r->names + r->name_off[f];
}

/* "column "x" (field 2)", or "field 2" for a field that has no column. */
static void field_label(const csv_reader *r, char *out, size_t outsz, size_t f, int header)
{
    if (header || f >= r->ncol) {
        snprintf(out, outsz, "field %zu", f + 1);
        return;
    }
    char name[4 * CSV_SHOW + 8];
    gmoe__csv_show(name, sizeof name, colname(r, f), strlen(colname(r, f)));
    snprintf(out, outsz, "column %s (field %zu)", name, f + 1);
}

/* Move the unread bytes to the front of the buffer (doubling it if they fill it) and append
 * what the file has next. */
static int fill(csv_reader *r)
{
    if (r->pos > 0) {
        memmove(r->buf, r->buf + r->pos, r->len - r->pos);
        r->len -= r->pos;
        r->pos = 0;
    }
    if (r->len == r->cap) {
        if (r->cap > (SIZE_MAX - 1) / 2) return oom(r);
        char *b = realloc(r->buf, 2 * r->cap + 1);
        if (!b) return oom(r);
        r->buf = b;
        r->cap *= 2;
    }
    size_t want = r->cap - r->len;
    size_t got = fread(r->buf + r->len, 1, want, r->fp);
    r->len += got;
    if (got < want) {
        if (ferror(r->fp))
            return gmoe_error_set(r->err, GMOE_EIO, "%s: read error: %s", r->name, strerror(errno));
        r->eof = 1;
    }
    return GMOE_SUCCESS;
}

/* Where the record starting at b[0] ends: the offset of its terminating newline, with the
 * newlines inside quoted fields counted in *nl. Returns 0 when b[0..n) holds no complete
 * record. A quote opens a quoted field only at the start of a field, after blanks: the same
 * rule as split_field's, so both agree on where records end. */
static int record_end(const char *b, size_t n, size_t *end, size_t *nl)
{
    const char *eol = memchr(b, '\n', n);
    size_t lim = eol ? (size_t)(eol - b) : n;
    *nl = 0;
    *end = lim;
    if (b[0] == '#' || !memchr(b, '"', lim)) return eol != NULL;
    enum { START, PLAIN, QUOTED, CLOSED } st = START;
    for (size_t i = 0; i < n; i++) {
        char c = b[i];
        if (c == '\n' && st != QUOTED) {
            *end = i;
            return 1;
        }
        switch (st) {
        case START:
            if (c == '"')
                st = QUOTED;
            else if (c != ',' && !is_blank(c))
                st = PLAIN;
            break;
        case PLAIN:
            if (c == ',') st = START;
            break;
        case QUOTED:
            if (c == '"')
                st = CLOSED;
            else if (c == '\n')
                ++*nl;
            break;
        case CLOSED:
            st = c == '"' ? QUOTED : c == ',' ? START : PLAIN;
            break;
        }
    }
    *end = n;
    return 0;
}

/* The next record that is not a comment or a blank line: r->buf[*s..*e), line end and CR
 * excluded, starting on physical line *line. Returns 1, 0 at end of file, or an error code
 * negated. */
static int next_record(csv_reader *r, size_t *s, size_t *e, size_t *line)
{
    for (;;) {
        size_t end = 0, nl = 0;
        if (!(r->pos < r->len && record_end(r->buf + r->pos, r->len - r->pos, &end, &nl))) {
            if (!r->eof) {
                int rc = fill(r);
                if (rc) return -rc;
                continue;
            }
            if (r->pos == r->len) return 0;
            end = r->len - r->pos; /* the last record has no line end */
        }
        *s = r->pos;
        *e = r->pos + end;
        *line = r->line;
        r->line += nl + 1;
        r->pos = *e < r->len ? *e + 1 : *e;
        if (*e > *s && r->buf[*e - 1] == '\r') --*e;
        if (*e > *s && r->buf[*s] == '#') continue;
        size_t i = *s;
        while (i < *e && is_blank(r->buf[i]))
            i++;
        if (i < *e) return 1;
    }
}

/* Split the next field off the record buf[*p..e). Its text, unquoted and unescaped in place,
 * is buf[*fs..*fe); *p moves past the field and its comma, *more tells whether there was a
 * comma, *line advances over newlines inside quotes and *fline is where the field starts. */
static int split_field(char *buf, size_t *p, size_t e, size_t *fs, size_t *fe, int *more,
                       size_t *line, size_t *fline)
{
    size_t i = *p;
    while (i < e && is_blank(buf[i]))
        i++;
    *fline = *line;
    if (i < e && buf[i] == '"') {
        size_t w = i++;
        *fs = w;
        for (;;) {
            if (i >= e) return FIELD_UNTERMINATED;
            char c = buf[i++];
            if (c == '"') {
                if (i < e && buf[i] == '"')
                    i++;
                else
                    break;
            } else if (c == '\n') {
                ++*line;
            }
            buf[w++] = c;
        }
        *fe = w;
        while (i < e && is_blank(buf[i]))
            i++;
        if (i < e && buf[i] != ',') return FIELD_AFTER_QUOTE;
    } else {
        const char *comma = memchr(buf + i, ',', e - i);
        *fs = i;
        i = comma ? (size_t)(comma - buf) : e;
        size_t j = i;
        while (j > *fs && is_blank(buf[j - 1]))
            j--;
        *fe = j;
    }
    *more = i < e;
    *p = *more ? i + 1 : i;
    return FIELD_OK;
}

static int field_error(csv_reader *r, int rc, size_t line, size_t f, int header)
{
    char label[4 * CSV_SHOW + 64];
    field_label(r, label, sizeof label, f, header);
    return gmoe_error_set(r->err, GMOE_EPARSE, "%s:%zu: %s: %s", r->name, line, label,
                          rc == FIELD_UNTERMINATED ? "unterminated quoted field"
                                                   : "text after closing quote");
}

/* s[n] must be writable: the field is NUL-terminated for strtod. max_abs > 0 bounds |value|.
 * Plain decimals go through the exact fast parser (strtod.c, half of the reading time
 * otherwise); what it leaves, strtod decides, errors included. */
static int parse_number(char *s, size_t n, double max_abs, double *out)
{
    if (n == 0) return NUM_EMPTY;
    double v;
    if (!gmoe__parse_double(s, n, &v)) {
        s[n] = '\0';
        /* strtod skips leading white space, which only a quoted field can still have here. */
        if (isspace((unsigned char)s[0])) return NUM_BAD;
        char *end;
        errno = 0;
        v = strtod(s, &end);
        if (end != s + n) return NUM_BAD;
        if (errno == ERANGE && fabs(v) > 1) return NUM_RANGE; /* underflow is fine */
        if (!isfinite(v)) return NUM_NONFINITE;
    }
    if (max_abs > 0 && fabs(v) > max_abs) return NUM_TOOBIG;
    *out = v;
    return NUM_OK;
}

static uint64_t hash_name(const char *s)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211u;
    return h;
}

static long find_column(const csv_reader *r, const char *name)
{
    for (size_t h = hash_name(name) & r->hmask;; h = (h + 1) & r->hmask) {
        if (r->htab[h] == SIZE_MAX) return -1;
        if (strcmp(colname(r, r->htab[h]), name) == 0) return (long)r->htab[h];
    }
}

static int read_header(csv_reader *r, size_t *hline)
{
    size_t s, e, line;
    int rc = next_record(r, &s, &e, &line);
    if (rc < 0) return -rc;
    if (rc == 0)
        return gmoe_error_set(r->err, GMOE_EPARSE, "%s: empty file (no header row)", r->name);
    *hline = line;
    for (int more = 1; more;) {
        size_t fs, fe, fline;
        rc = split_field(r->buf, &s, e, &fs, &fe, &more, &line, &fline);
        if (rc) return field_error(r, rc, fline, r->ncol, 1);
        size_t n = fe - fs;
        if (grow(&r->names, &r->names_cap, r->names_len + n + 1, 1) ||
            grow(&r->name_off, &r->off_cap, r->ncol + 1, sizeof *r->name_off))
            return oom(r);
        r->name_off[r->ncol++] = r->names_len;
        memcpy(r->names + r->names_len, r->buf + fs, n);
        r->names[r->names_len + n] = '\0';
        r->names_len += n + 1;
    }

    size_t hsize = 16;
    while (hsize < 2 * r->ncol)
        hsize *= 2;
    r->htab = malloc(hsize * sizeof *r->htab);
    if (!r->htab) return oom(r);
    r->hmask = hsize - 1;
    for (size_t h = 0; h < hsize; h++)
        r->htab[h] = SIZE_MAX;
    for (size_t f = 0; f < r->ncol; f++) {
        size_t h = hash_name(colname(r, f)) & r->hmask;
        for (; r->htab[h] != SIZE_MAX; h = (h + 1) & r->hmask) {
            if (strcmp(colname(r, r->htab[h]), colname(r, f)) == 0) {
                char name[4 * CSV_SHOW + 8];
                gmoe__csv_show(name, sizeof name, colname(r, f), strlen(colname(r, f)));
                return gmoe_error_set(r->err, GMOE_EPARSE, "%s:%zu: duplicate column name %s",
                                      r->name, *hline, name);
            }
        }
        r->htab[h] = f;
    }
    return GMOE_SUCCESS;
}

static int no_column(csv_reader *r, size_t hline, const char *want)
{
    char name[4 * CSV_SHOW + 8];
    gmoe__csv_show(name, sizeof name, want, strlen(want));
    return gmoe_error_set(r->err, GMOE_EPARSE, "%s:%zu: no column named %s", r->name, hline, name);
}

/* Rows to allocate at first: the file's size over the mean length of the records in the
 * first chunk, plus a margin, so that a large file fills its columns without reallocation;
 * CSV_ROWS0 when the size is unknown (a pipe). Too few only means the columns grow. */
static size_t rows_estimate(const csv_reader *r)
{
    struct stat st;
    if (fstat(fileno(r->fp), &st) != 0 || !S_ISREG(st.st_mode) || r->eof) return CSV_ROWS0;
    size_t lines = 0;
    for (const char *p = r->buf + r->pos, *e = r->buf + r->len;
         (p = memchr(p, '\n', (size_t)(e - p))) != NULL; p++)
        lines++;
    if (lines < 16) return CSV_ROWS0;
    double per = (double)(r->len - r->pos) / (double)lines, est = (double)st.st_size / per;
    if (!(est < 1e12)) return CSV_ROWS0;
    return (size_t)(1.02 * est) + CSV_ROWS0;
}

/* A column of rows doubles. A large one is aligned for transparent huge pages and asks for
 * them: filling a column touches every page once, and with 4 KiB pages the faults cost as
 * much as parsing the numbers. */
static double *col_alloc(size_t rows)
{
    const size_t huge = (size_t)1 << 21;
    size_t bytes = rows * sizeof(double);
    if (rows > SIZE_MAX / sizeof(double)) return NULL;
    if (bytes < 2 * huge) return malloc(bytes);
    void *p = aligned_alloc(huge, (bytes + huge - 1) / huge * huge);
#ifdef MADV_HUGEPAGE
    if (p) madvise(p, bytes, MADV_HUGEPAGE); /* advice only: without it, small pages */
#endif
    return p;
}

/* Mark the factor columns' slots; a factor must be a selected covariate. */
static int select_factors(csv_reader *r, const gmoe_csv_spec *spec, size_t hline)
{
    if (!spec || spec->nfactors == 0) return GMOE_SUCCESS;
    r->fac = malloc((r->d ? r->d : 1) * sizeof *r->fac);
    r->levels = calloc(spec->nfactors, sizeof *r->levels);
    if (!r->fac || !r->levels) return oom(r);
    r->nfac = spec->nfactors;
    for (size_t t = 0; t < r->d; t++)
        r->fac[t] = -1;
    for (size_t j = 0; j < spec->nfactors; j++) {
        long f = find_column(r, spec->factors[j]);
        if (f < 0) return no_column(r, hline, spec->factors[j]);
        if (r->role[f] < 0 || (size_t)r->role[f] >= r->d) {
            char name[4 * CSV_SHOW + 8];
            gmoe__csv_show(name, sizeof name, spec->factors[j], strlen(spec->factors[j]));
            return gmoe_error_set(r->err, GMOE_EINVAL,
                                  "%s:%zu: factor column %s is not a selected covariate", r->name,
                                  hline, name);
        }
        r->fac[r->role[f]] = (long)j;
        if (r->known && gmoe__csv_levels_preset(&r->levels[j], &r->known[j])) return oom(r);
    }
    return GMOE_SUCCESS;
}

static int select_columns(csv_reader *r, const gmoe_csv_spec *spec, size_t hline)
{
    const char *yname = spec && spec->y ? spec->y : "y";
    r->role = malloc(r->ncol * sizeof *r->role);
    if (!r->role) return oom(r);
    for (size_t f = 0; f < r->ncol; f++)
        r->role[f] = -1;
    long yf = find_column(r, yname);
    if (yf < 0 && !(spec && spec->y_optional)) return no_column(r, hline, yname);
    r->has_y = yf >= 0;
    if (spec && spec->x) {
        for (size_t t = 0; t < spec->nx; t++) {
            long f = find_column(r, spec->x[t]);
            if (f < 0) return no_column(r, hline, spec->x[t]);
            r->role[f] = (long)t;
        }
        r->d = spec->nx;
    } else {
        for (size_t f = 0; f < r->ncol; f++)
            if ((long)f != yf) r->role[f] = (long)r->d++;
    }
    if (r->has_y) r->role[yf] = (long)r->d;
    int rc = select_factors(r, spec, hline);
    if (rc) return rc;

    size_t ncols = r->d + (size_t)r->has_y, rows = rows_estimate(r);
    r->col = calloc(ncols ? ncols : 1, sizeof *r->col);
    if (!r->col) return oom(r);
    for (size_t c = 0; c < ncols; c++)
        if (!(r->col[c] = col_alloc(rows))) return oom(r);
    r->cap_rows = rows;
    return GMOE_SUCCESS;
}

static int grow_rows(csv_reader *r)
{
    size_t ncols = r->d + (size_t)r->has_y;
    if (r->cap_rows > SIZE_MAX / 2 / sizeof(double)) return oom(r);
    size_t cap = 2 * r->cap_rows;
    for (size_t c = 0; c < ncols; c++) {
        double *p = realloc(r->col[c], cap * sizeof(double));
        if (!p) return oom(r);
        r->col[c] = p;
    }
    r->cap_rows = cap;
    return GMOE_SUCCESS;
}

/* A factor's field: its level id, exact in a double (ids are below the row count). */
static int factor_level(csv_reader *r, const char *s, size_t n, long j, double *out)
{
    size_t id;
    if (n == 0) return NUM_EMPTY;
    if (gmoe__csv_levels_intern(&r->levels[j], s, n, &id)) return NUM_NOMEM;
    if (r->known && id >= r->known[j].nlevels) return NUM_UNKNOWN;
    *out = (double)id;
    return NUM_OK;
}

/* A field error is reported only once the row is known to have the right number of fields:
 * a shifted row is better described as ragged than by the first value it garbles. */
static int read_row(csv_reader *r, size_t s, size_t e, size_t line)
{
    if (r->nrows == r->cap_rows) {
        int rc = grow_rows(r);
        if (rc) return rc;
    }
    size_t f = 0, ln = line, bad_f = 0, bad_line = 0, bad_s = 0, bad_e = 0;
    int bad = NUM_OK;
    for (int more = 1; more; f++) {
        size_t fs, fe, fline;
        int rc = split_field(r->buf, &s, e, &fs, &fe, &more, &ln, &fline);
        if (rc) return field_error(r, rc, fline, f, 0);
        long slot = f < r->ncol ? r->role[f] : -1;
        if (slot < 0 || bad) continue;
        if (r->fac && slot < (long)r->d && r->fac[slot] >= 0)
            bad = factor_level(r, r->buf + fs, fe - fs, r->fac[slot], &r->col[slot][r->nrows]);
        else
            bad = parse_number(r->buf + fs, fe - fs, r->max_abs, &r->col[slot][r->nrows]);
        if (bad) {
            bad_f = f;
            bad_line = fline;
            bad_s = fs;
            bad_e = fe;
        }
    }
    if (f != r->ncol)
        return gmoe_error_set(r->err, GMOE_EPARSE, "%s:%zu: expected %zu fields, found %zu",
                              r->name, line, r->ncol, f);
    if (bad == NUM_NOMEM) return oom(r);
    if (bad) {
        char label[4 * CSV_SHOW + 64], text[4 * CSV_SHOW + 8];
        field_label(r, label, sizeof label, bad_f, 0);
        gmoe__csv_show(text, sizeof text, r->buf + bad_s, bad_e - bad_s);
        if (bad == NUM_EMPTY)
            return gmoe_error_set(r->err, GMOE_EPARSE, "%s:%zu: %s: empty field", r->name, bad_line,
                                  label);
        if (bad == NUM_UNKNOWN)
            return gmoe__csv_unknown_level(r->err, r->name, bad_line, label, r->buf + bad_s,
                                           bad_e - bad_s, &r->known[r->fac[r->role[bad_f]]]);
        if (bad == NUM_TOOBIG)
            return gmoe_error_set(r->err, GMOE_EPARSE,
                                  "%s:%zu: %s: too large to fit: %s (|value| > %g)", r->name,
                                  bad_line, label, text, r->max_abs);
        char hint[4 * CSV_SHOW + 64] = "";
        if (bad == NUM_BAD && r->factor_option && r->role[bad_f] < (long)r->d)
            gmoe__csv_factor_hint(colname(r, bad_f), r->factor_option, hint, sizeof hint);
        return gmoe_error_set(r->err, GMOE_EPARSE, "%s:%zu: %s: %s: %s%s", r->name, bad_line, label,
                              bad == NUM_BAD         ? "not a number"
                              : bad == NUM_NONFINITE ? "not finite"
                                                     : "out of range",
                              text, hint);
    }
    r->nrows++;
    return GMOE_SUCCESS;
}

/* Hand the columns over to a gmoe_data: x is column 0 grown to n*d with the others appended,
 * y is shrunk to n. */
static int take_data(csv_reader *r, gmoe_data **out)
{
    size_t n = r->nrows, d = r->d;
    gmoe_data *data = calloc(1, sizeof *data);
    if (!data) return oom(r);
    data->n = n;
    data->d = d;
    if (d > 0) {
        if (n > SIZE_MAX / sizeof(double) / d) goto nomem;
        data->x = realloc(r->col[0], n * d * sizeof(double));
        if (!data->x) goto nomem;
        r->col[0] = NULL;
        for (size_t t = 1; t < d; t++)
            memcpy(data->x + t * n, r->col[t], n * sizeof(double));
    } else {
        if (!(data->x = malloc(sizeof(double)))) goto nomem; /* never NULL, as gmoe_data_alloc */
    }
    if (r->has_y) {
        double *y = realloc(r->col[d], n * sizeof(double));
        data->y = y ? y : r->col[d]; /* a failed shrink leaves the larger block valid */
        r->col[d] = NULL;
    }
    *out = data;
    return GMOE_SUCCESS;
nomem:
    gmoe_data_free(data);
    return oom(r);
}

static void reader_free(csv_reader *r)
{
    if (r->fp && r->fp != stdin) fclose(r->fp);
    free(r->buf);
    free(r->names);
    free(r->name_off);
    free(r->htab);
    free(r->role);
    if (r->col)
        for (size_t c = 0; c < r->d + (size_t)r->has_y; c++)
            free(r->col[c]);
    free(r->col);
    for (size_t j = 0; j < r->nfac; j++)
        gmoe__csv_levels_free(&r->levels[j]);
    free(r->levels);
    free(r->fac);
}

/* Errors in the selection itself, found before the file is opened. */
static int check_spec(const char *name, const gmoe_csv_spec *spec, gmoe_error *err)
{
    if (!spec) return GMOE_SUCCESS;
    if (!spec->x) return gmoe__csv_check_factors(name, spec, err);
    const char *yname = spec->y ? spec->y : "y";
    for (size_t t = 0; t < spec->nx; t++) {
        if (!spec->x[t])
            return gmoe_error_set(err, GMOE_EINVAL, "%s: x column %zu has no name", name, t + 1);
        char shown[4 * CSV_SHOW + 8];
        gmoe__csv_show(shown, sizeof shown, spec->x[t], strlen(spec->x[t]));
        if (strcmp(spec->x[t], yname) == 0)
            return gmoe_error_set(err, GMOE_EINVAL, "%s: column %s selected as both y and x", name,
                                  shown);
        for (size_t u = 0; u < t; u++)
            if (spec->x[u] && strcmp(spec->x[u], spec->x[t]) == 0)
                return gmoe_error_set(err, GMOE_EINVAL, "%s: column %s selected twice as x", name,
                                      shown);
    }
    return gmoe__csv_check_factors(name, spec, err);
}

/* Open path (r->name and r->err set) and read the first chunk, past a byte order mark. */
static int reader_open(csv_reader *r, const char *path)
{
    r->fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (!r->fp)
        return gmoe_error_set(r->err, GMOE_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(r->fp), &st) == 0 && S_ISDIR(st.st_mode))
        return gmoe_error_set(r->err, GMOE_EIO, "%s: is a directory", r->name);
    r->line = 1;
    r->cap = CSV_CHUNK;
    if (!(r->buf = malloc(r->cap + 1))) return oom(r);
    int rc = fill(r);
    if (rc) return rc;
    if (r->len >= 3 && memcmp(r->buf, "\xEF\xBB\xBF", 3) == 0) r->pos = 3;
    return GMOE_SUCCESS;
}

/* The names of the selected columns in one allocation: the d + has_y pointers, then the
 * strings they point to. */
static int take_names(csv_reader *r, char ***names)
{
    size_t nsel = r->d + (size_t)r->has_y, bytes = nsel * sizeof(char *);
    for (size_t f = 0; f < r->ncol; f++)
        if (r->role[f] >= 0) bytes += strlen(colname(r, f)) + 1;
    char **v = malloc(bytes ? bytes : 1);
    if (!v) return oom(r);
    char *p = (char *)(v + nsel);
    for (size_t f = 0; f < r->ncol; f++)
        if (r->role[f] >= 0) {
            size_t len = strlen(colname(r, f)) + 1;
            v[r->role[f]] = memcpy(p, colname(r, f), len);
            p += len;
        }
    *names = v;
    return GMOE_SUCCESS;
}

/* A factor with a single level codes as no column at all: surely not what was meant. */
static int single_levels(csv_reader *r)
{
    for (size_t t = 0; r->fac && !r->known && t < r->d; t++) {
        if (r->fac[t] < 0 || r->levels[r->fac[t]].n > 1) continue;
        const gmoe__csv_levels *lv = &r->levels[r->fac[t]];
        size_t f = 0;
        while (r->role[f] != (long)t)
            f++;
        return gmoe__csv_single_level(r->err, r->name, colname(r, f), lv);
    }
    return GMOE_SUCCESS;
}

int gmoe_csv_read(const char *path, const gmoe_csv_spec *spec, gmoe_data **out, gmoe_error *err)
{
    return gmoe_csv_read_names(path, spec, out, NULL, err);
}

int gmoe_csv_read_names(const char *path, const gmoe_csv_spec *spec, gmoe_data **out, char ***names,
                        gmoe_error *err)
{
    return gmoe_csv_read_coded(path, spec, out, names, NULL, err);
}

/* The factors' levels in spec's order, for the caller to record. */
static int take_factors(csv_reader *r, const gmoe_csv_spec *spec, gmoe_csv_factor **factors)
{
    if (!r->nfac) return GMOE_SUCCESS;
    gmoe_csv_factor *f = calloc(r->nfac, sizeof *f);
    if (!f) return oom(r);
    int rc = GMOE_SUCCESS;
    for (size_t j = 0; !rc && j < r->nfac; j++)
        rc = gmoe__csv_levels_export(&r->levels[j], spec->factors[j], &f[j], r->err, r->name);
    if (rc)
        gmoe_csv_factors_free(f, r->nfac);
    else
        *factors = f;
    return rc;
}

int gmoe_csv_read_coded(const char *path, const gmoe_csv_spec *spec, gmoe_data **out, char ***names,
                        gmoe_csv_factor **factors, gmoe_error *err)
{
    if (out) *out = NULL;
    if (names) *names = NULL;
    if (factors) *factors = NULL;
    if (!path || !out) return gmoe_error_set(err, GMOE_EINVAL, "gmoe_csv_read: NULL argument");
    csv_reader r = {0};
    r.name = strcmp(path, "-") == 0 ? "<stdin>" : path;
    r.err = err;
    r.max_abs = spec ? spec->max_abs : 0;
    r.factor_option = spec ? spec->factor_option : NULL;
    r.known = spec ? spec->levels : NULL;
    int rc = check_spec(r.name, spec, err);
    if (rc) return rc;
    if ((rc = reader_open(&r, path))) goto done;

    size_t hline = 0, s, e, line;
    if ((rc = read_header(&r, &hline)) || (rc = select_columns(&r, spec, hline))) goto done;
    int got;
    while ((got = next_record(&r, &s, &e, &line)) > 0)
        if ((rc = read_row(&r, s, e, line))) goto done;
    if (got < 0) {
        rc = -got;
        goto done;
    }
    if (r.nrows == 0) {
        rc = gmoe_error_set(err, GMOE_EPARSE, "%s: no data rows", r.name);
        goto done;
    }
    if ((rc = single_levels(&r))) goto done;
    if (factors) rc = take_factors(&r, spec, factors);
    if (!rc && names) rc = take_names(&r, names);
    if (!rc && !(rc = take_data(&r, out)) && r.fac)
        rc = gmoe__csv_factor_code(*out, names, r.fac, r.levels, err, r.name);
    if (rc) {
        if (names) free(*names);
        if (names) *names = NULL;
        if (factors) gmoe_csv_factors_free(*factors, r.nfac);
        if (factors) *factors = NULL;
        gmoe_data_free(*out);
        *out = NULL;
    }
done:
    reader_free(&r);
    return rc;
}

int gmoe_csv_row_line(const char *path, size_t row, size_t *line, gmoe_error *err)
{
    if (strcmp(path, "-") == 0)
        return gmoe_error_set(err, GMOE_EINVAL, "<stdin>: cannot be read again");
    csv_reader r = {0};
    r.name = path;
    r.err = err;
    size_t s, e;
    int rc = reader_open(&r, path), got = 1;
    /* The header, then rows 0..row: records as gmoe_csv_read counts them. */
    for (size_t i = 0; !rc && got > 0 && i <= row + 1; i++)
        got = next_record(&r, &s, &e, line);
    if (!rc && got < 0) rc = -got;
    if (!rc && got == 0)
        rc = gmoe_error_set(err, GMOE_EINVAL, "%s: no data row %zu", path, row + 1);
    reader_free(&r);
    return rc;
}
