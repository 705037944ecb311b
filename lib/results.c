/* Results files of sweeps: a strict reader of the few things `gmoe rate` needs.
 *
 * Not built on gmoe_csv_read: that reader fills a gmoe_data and rejects NaN and empty values,
 * which here mark failed tasks, and it drops the '#' lines that carry the theory. */
#include <config.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "gmoe.h"

struct gmoe_results {
    size_t nrows, ncols;
    char **names;  /* ncols */
    int *metric;   /* ncols: 1 for a metric column */
    double *data;  /* column-major: data[j*nrows + i] */
    char **header; /* nheader '#' lines */
    size_t nheader;
    char **tname; /* ntheory metric names of the `# theory:` lines */
    double *tslope;
    size_t ntheory;
};

static const char *const bookkeeping[] = {"n",          "rep",         "loglik", "loglik_truth",
                                          "iterations", "maps",        "status", "seconds",
                                          "start",      "bound_active"};

/* The state of one read: the line buffer and the rows so far (row-major, grown geometrically). */
typedef struct reader {
    const char *path;
    FILE *fp;
    char *line;
    size_t cap;
    size_t lineno;
    char **field; /* ncols pointers into line */
    double *rows;
    size_t caprows;
    size_t jn, jrep;
    gmoe_results *res;
} reader;

static void free_strings(char **s, size_t n)
{
    if (!s) return;
    for (size_t i = 0; i < n; i++)
        free(s[i]);
    free(s);
}

void gmoe_results_free(gmoe_results *res)
{
    if (!res) return;
    free_strings(res->names, res->ncols);
    free(res->metric);
    free(res->data);
    free_strings(res->header, res->nheader);
    free_strings(res->tname, res->ntheory);
    free(res->tslope);
    free(res);
}

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t')
        s++;
    size_t len = strlen(s);
    while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
        s[--len] = '\0';
    return s;
}

/* A whole-field number (already trimmed): 0 on success, -1 if s is not one. */
static int parse_number(const char *s, double *v)
{
    char *end;
    if (*s == '\0') return -1;
    *v = strtod(s, &end);
    return *end == '\0' ? 0 : -1;
}

/* Append a copy of s to the array *arr of *n strings. */
static int push_string(char ***arr, size_t *n, const char *s)
{
    char **a = realloc(*arr, (*n + 1) * sizeof *a);
    if (!a) return -1;
    *arr = a;
    if (!(a[*n] = strdup(s))) return -1;
    (*n)++;
    return 0;
}

/* Read the next physical line into r->line without its line end; 0 at end of file. */
static int next_line(reader *r, gmoe_error *err)
{
    errno = 0;
    ssize_t len = getline(&r->line, &r->cap, r->fp);
    if (len < 0) {
        if (ferror(r->fp))
            return -gmoe_error_set(err, GMOE_EIO, "%s: read error: %s", r->path, strerror(errno));
        return 0;
    }
    r->lineno++;
    while (len > 0 && (r->line[len - 1] == '\n' || r->line[len - 1] == '\r'))
        r->line[--len] = '\0';
    if (r->lineno == 1 && strncmp(r->line, "\xEF\xBB\xBF", 3) == 0)
        memmove(r->line, r->line + 3, (size_t)len - 2);
    return 1;
}

/* `theory: name=slope name=slope ...` (text is the header line after '#'). */
static int parse_theory(reader *r, char *text, gmoe_error *err)
{
    gmoe_results *res = r->res;
    char *save = NULL;
    for (char *tok = strtok_r(text, " \t", &save); tok; tok = strtok_r(NULL, " \t", &save)) {
        char *eq = strchr(tok, '=');
        double v;
        if (!eq || eq == tok)
            return gmoe_error_set(err, GMOE_EPARSE, "%s:%zu: theory: expected name=slope: \"%s\"",
                                  r->path, r->lineno, tok);
        *eq = '\0';
        if (parse_number(eq + 1, &v))
            return gmoe_error_set(err, GMOE_EPARSE, "%s:%zu: theory: \"%s\": not a number: \"%s\"",
                                  r->path, r->lineno, tok, eq + 1);
        double *t = realloc(res->tslope, (res->ntheory + 1) * sizeof *t);
        if (!t) return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", r->path);
        res->tslope = t;
        t[res->ntheory] = v;
        if (push_string(&res->tname, &res->ntheory, tok))
            return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", r->path);
    }
    return GMOE_SUCCESS;
}

/* Keep a '#' line; hash points at its '#'. */
static int keep_header(reader *r, char *hash, gmoe_error *err)
{
    char *text = hash + 1;
    if (*text == ' ') text++;
    if (push_string(&r->res->header, &r->res->nheader, text))
        return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", r->path);
    if (strncmp(text, "theory:", 7) == 0) return parse_theory(r, text + 7, err);
    return GMOE_SUCCESS;
}

/* Split r->line at commas into r->field (at most max fields); returns the number of fields. */
static size_t split(reader *r, size_t max)
{
    size_t nf = 0;
    char *s = r->line;
    for (;;) {
        char *c = strchr(s, ',');
        if (c) *c = '\0';
        if (nf < max) r->field[nf] = trim(s);
        nf++;
        if (!c) return nf;
        s = c + 1;
    }
}

static int parse_columns(reader *r, gmoe_error *err)
{
    gmoe_results *res = r->res;
    size_t nf = 1;
    for (const char *c = r->line; *c; c++)
        nf += *c == ',';
    if (!(r->field = malloc(nf * sizeof *r->field)) || !(res->metric = calloc(nf, sizeof(int))))
        return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", r->path);
    split(r, nf);
    for (size_t j = 0; j < nf; j++) {
        const char *name = r->field[j];
        if (*name == '\0')
            return gmoe_error_set(err, GMOE_EPARSE, "%s:%zu: empty column name (field %zu)",
                                  r->path, r->lineno, j + 1);
        for (size_t i = 0; i < j; i++)
            if (strcmp(res->names[i], name) == 0)
                return gmoe_error_set(err, GMOE_EPARSE, "%s:%zu: duplicate column name \"%s\"",
                                      r->path, r->lineno, name);
        res->metric[j] = 1;
        for (size_t b = 0; b < sizeof bookkeeping / sizeof *bookkeeping; b++)
            if (strcmp(name, bookkeeping[b]) == 0) res->metric[j] = 0;
        if (push_string(&res->names, &res->ncols, name))
            return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", r->path);
    }
    if (!gmoe_results_find(res, "n", &r->jn))
        return gmoe_error_set(err, GMOE_EPARSE, "%s:%zu: no column named \"n\"", r->path,
                              r->lineno);
    if (!gmoe_results_find(res, "rep", &r->jrep))
        return gmoe_error_set(err, GMOE_EPARSE, "%s:%zu: no column named \"rep\"", r->path,
                              r->lineno);
    return GMOE_SUCCESS;
}

static int parse_row(reader *r, gmoe_error *err)
{
    gmoe_results *res = r->res;
    size_t nc = res->ncols, nf = split(r, nc);
    if (nf != nc)
        return gmoe_error_set(err, GMOE_EPARSE, "%s:%zu: expected %zu fields, found %zu", r->path,
                              r->lineno, nc, nf);
    if (res->nrows == r->caprows) {
        size_t cap = r->caprows ? 2 * r->caprows : 64;
        double *rows = realloc(r->rows, cap * nc * sizeof *rows);
        if (!rows) return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", r->path);
        r->rows = rows;
        r->caprows = cap;
    }
    double *row = r->rows + res->nrows * nc;
    for (size_t j = 0; j < nc; j++) {
        const char *f = r->field[j];
        int key = j == r->jn || j == r->jrep;
        if (parse_number(f, &row[j]) == 0) {
            if (key && !isfinite(row[j]))
                return gmoe_error_set(err, GMOE_EPARSE,
                                      "%s:%zu: column \"%s\" (field %zu): "
                                      "not finite: \"%s\"",
                                      r->path, r->lineno, res->names[j], j + 1, f);
            if (j == r->jn && !(row[j] > 0))
                return gmoe_error_set(err, GMOE_EPARSE,
                                      "%s:%zu: column \"n\" (field %zu): "
                                      "must be > 0: \"%s\"",
                                      r->path, r->lineno, j + 1, f);
            continue;
        }
        row[j] = NAN;
        if (key || (res->metric[j] && *f != '\0'))
            return gmoe_error_set(err, GMOE_EPARSE,
                                  "%s:%zu: column \"%s\" (field %zu): not a number: \"%s\"",
                                  r->path, r->lineno, res->names[j], j + 1, f);
    }
    res->nrows++;
    return GMOE_SUCCESS;
}

typedef struct sort_key {
    double n, rep;
    size_t i;
} sort_key;

static int cmp_key(const void *a, const void *b)
{
    const sort_key *u = a, *v = b;
    if (u->n != v->n) return u->n < v->n ? -1 : 1;
    if (u->rep != v->rep) return u->rep < v->rep ? -1 : 1;
    return (u->i > v->i) - (u->i < v->i);
}

/* data <- the rows sorted by (n, rep), transposed to columns. */
static int sort_rows(reader *r, gmoe_error *err)
{
    gmoe_results *res = r->res;
    size_t m = res->nrows, nc = res->ncols;
    sort_key *key = malloc(m * sizeof *key);
    res->data = malloc(m * nc * sizeof *res->data);
    if (!key || !res->data) {
        free(key);
        return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", r->path);
    }
    for (size_t i = 0; i < m; i++)
        key[i] = (sort_key){r->rows[i * nc + r->jn], r->rows[i * nc + r->jrep], i};
    qsort(key, m, sizeof *key, cmp_key);
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < nc; j++)
            res->data[j * m + i] = r->rows[key[i].i * nc + j];
    free(key);
    return GMOE_SUCCESS;
}

static int read_all(reader *r, gmoe_error *err)
{
    int got, have_columns = 0, rc;
    while ((got = next_line(r, err)) > 0) {
        char *s = r->line;
        while (*s == ' ' || *s == '\t')
            s++;
        if (*s == '#')
            rc = keep_header(r, s, err);
        else if (*s == '\0')
            continue;
        else if (!have_columns) {
            rc = parse_columns(r, err);
            have_columns = 1;
        } else
            rc = parse_row(r, err);
        if (rc) return rc;
    }
    if (got < 0) return -got;
    if (!have_columns)
        return gmoe_error_set(err, GMOE_EPARSE, "%s: empty file (no header row)", r->path);
    if (r->res->nrows == 0) return gmoe_error_set(err, GMOE_EPARSE, "%s: no data rows", r->path);
    return sort_rows(r, err);
}

int gmoe_results_read(const char *path, gmoe_results **out, gmoe_error *err)
{
    *out = NULL;
    reader r = {.path = path};
    if (!(r.fp = fopen(path, "r")))
        return gmoe_error_set(err, GMOE_EIO, "%s: cannot open: %s", path, strerror(errno));
    int rc = GMOE_SUCCESS;
    if (!(r.res = calloc(1, sizeof *r.res)))
        rc = gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", path);
    else
        rc = read_all(&r, err);
    fclose(r.fp);
    free(r.line);
    free(r.field);
    free(r.rows);
    if (rc) {
        gmoe_results_free(r.res);
        return rc;
    }
    *out = r.res;
    return GMOE_SUCCESS;
}

size_t gmoe_results_nrows(const gmoe_results *res)
{
    return res->nrows;
}

size_t gmoe_results_ncols(const gmoe_results *res)
{
    return res->ncols;
}

const char *gmoe_results_colname(const gmoe_results *res, size_t j)
{
    return j < res->ncols ? res->names[j] : NULL;
}

int gmoe_results_is_metric(const gmoe_results *res, size_t j)
{
    return j < res->ncols && res->metric[j];
}

int gmoe_results_find(const gmoe_results *res, const char *name, size_t *j)
{
    for (size_t i = 0; i < res->ncols; i++)
        if (strcmp(res->names[i], name) == 0) {
            *j = i;
            return 1;
        }
    return 0;
}

const double *gmoe_results_column(const gmoe_results *res, size_t j)
{
    return j < res->ncols ? res->data + j * res->nrows : NULL;
}

size_t gmoe_results_nheader(const gmoe_results *res)
{
    return res->nheader;
}

const char *gmoe_results_header(const gmoe_results *res, size_t i)
{
    return i < res->nheader ? res->header[i] : NULL;
}

/* The per-cell rates of MODELS.md 7 for a column cell<m>_<param> (sweep metric cells): in a
 * cell of m fitted atoms beta1 and b converge like n^-1/(2 rbar(m)), a and v like
 * n^-1/rbar(m), with rbar(2) = 4, rbar(3) = 6; single atoms like n^-1/2. Larger cells have
 * no known rbar. */
static int cell_theory(const char *metric, double *slope)
{
    unsigned m;
    char param[8];
    int used = 0;
    if (sscanf(metric, "cell%u_%7[a-z0-9]%n", &m, param, &used) != 2 || metric[used]) return 0;
    int half = !strcmp(param, "beta1") || !strcmp(param, "b");
    if (!half && strcmp(param, "a") && strcmp(param, "v")) return 0;
    if (m == 1)
        *slope = -0.5;
    else if (m == 2 || m == 3)
        *slope = -1.0 / ((half ? 2.0 : 1.0) * 2.0 * m); /* rbar(m) = 2m for m = 2, 3 */
    else
        return 0;
    return 1;
}

int gmoe_results_theory(const gmoe_results *res, const char *metric, double *slope)
{
    *slope = NAN;
    for (size_t i = res->ntheory; i-- > 0;)
        if (strcmp(res->tname[i], metric) == 0) {
            *slope = res->tslope[i];
            return 1;
        }
    return cell_theory(metric, slope);
}
