/* Merging results files of one sweep (shards, partial runs) into one, as a single run writes
 * it. Works on the text of the rows, not on numbers: the merged rows are the inputs' bytes,
 * so nothing is rounded on the way, and two copies of a task compare field by field. */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sweep_internal.h"

/* Quoted lines in messages are cut here (and end in "..."), so that two of them and the
 * paths fit in a message. */
#define QUOTE_MAX 150

/* One input: its text, with every line NUL-terminated in place. */
typedef struct in_file {
    const char *path;
    char *buf;
    size_t len;
    const char **sig; /* the identity lines, then the column line (pointers into buf) */
    size_t *sigline;  /* their line numbers */
    size_t nsig;
    size_t ncols, jsec; /* fields per row; the seconds field (ncols if there is none) */
} in_file;

typedef struct row {
    unsigned long long n, rep;
    size_t file, line;
    const char *text;
} row;

typedef struct rows {
    row *r;
    size_t len, cap;
} rows;

static int read_whole(in_file *f, gmoe_error *err)
{
    FILE *fp = fopen(f->path, "rb");
    if (!fp) return gmoe_error_set(err, GMOE_EIO, "%s: cannot open: %s", f->path, strerror(errno));
    size_t cap = 0;
    int rc = GMOE_SUCCESS;
    for (;;) {
        if (f->len + 1 >= cap) {
            size_t nc = cap ? 2 * cap : 65536;
            char *b = realloc(f->buf, nc);
            if (!b) {
                rc = gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", f->path);
                break;
            }
            f->buf = b, cap = nc;
        }
        size_t got = fread(f->buf + f->len, 1, cap - 1 - f->len, fp);
        f->len += got;
        if (got == 0) {
            if (ferror(fp))
                rc = gmoe_error_set(err, GMOE_EIO, "%s: read error: %s", f->path,
                                    strerror(errno ? errno : EIO));
            break;
        }
    }
    if (!rc) f->buf[f->len] = '\0';
    fclose(fp);
    return rc;
}

static int push_sig(in_file *f, const char *line, size_t lineno)
{
    const char **s = realloc(f->sig, (f->nsig + 1) * sizeof *s);
    if (!s) return -1;
    f->sig = s;
    size_t *l = realloc(f->sigline, (f->nsig + 1) * sizeof *l);
    if (!l) return -1;
    f->sigline = l;
    s[f->nsig] = line;
    l[f->nsig++] = lineno;
    return 0;
}

/* The column line: the number of fields and which one is "seconds". */
static void columns(in_file *f, const char *line)
{
    f->ncols = 0;
    f->jsec = (size_t)-1;
    for (const char *p = line;; f->ncols++) {
        size_t len = strcspn(p, ",");
        if (len == 7 && !strncmp(p, "seconds", 7)) f->jsec = f->ncols;
        if (!p[len]) break;
        p += len + 1;
    }
    f->ncols++;
    if (f->jsec == (size_t)-1) f->jsec = f->ncols;
}

/* n and rep, the first two fields: integers >= 1. */
static int parse_key(const char *s, unsigned long long *n, unsigned long long *rep)
{
    char *e;
    if (!isdigit((unsigned char)s[0])) return -1;
    errno = 0;
    *n = strtoull(s, &e, 10);
    if (errno || *e != ',' || !isdigit((unsigned char)e[1])) return -1;
    *rep = strtoull(e + 1, &e, 10);
    if (errno || (*e != ',' && *e != '\0') || *n == 0 || *rep == 0) return -1;
    return 0;
}

static int push_row(rows *rs, row r)
{
    if (rs->len == rs->cap) {
        size_t cap = rs->cap ? 2 * rs->cap : 256;
        row *t = realloc(rs->r, cap * sizeof *t);
        if (!t) return -1;
        rs->r = t, rs->cap = cap;
    }
    rs->r[rs->len++] = r;
    return 0;
}

/* Split f into its identity lines, column line and rows (appended to rs). */
static int scan(in_file *f, size_t fi, rows *rs, gmoe_error *err)
{
    char *p = f->buf, *end = f->buf + f->len;
    size_t lineno = 0;
    int have_columns = 0;
    while (p < end) {
        char *nl = memchr(p, '\n', (size_t)(end - p));
        lineno++;
        if (!nl)
            return gmoe_error_set(err, GMOE_EPARSE,
                                  "%s:%zu: torn last line (no newline at the end): run the sweep "
                                  "that wrote it again, which cuts the line off and reruns its "
                                  "task",
                                  f->path, lineno);
        *nl = '\0';
        char *line = p;
        p = nl + 1;
        if (line[0] == '#') {
            if (!have_columns && gmoe__sweep_identity_line(line) && push_sig(f, line, lineno))
                return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", f->path);
            continue;
        }
        if (line[0] == '\0') continue;
        if (!have_columns) {
            if (push_sig(f, line, lineno))
                return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", f->path);
            columns(f, line);
            have_columns = 1;
            continue;
        }
        row r = {0, 0, fi, lineno, line};
        if (parse_key(line, &r.n, &r.rep))
            return gmoe_error_set(err, GMOE_EPARSE, "%s:%zu: not a results row", f->path, lineno);
        size_t nf = 1;
        for (const char *c = line; *c; c++)
            nf += *c == ',';
        if (nf != f->ncols)
            return gmoe_error_set(err, GMOE_EPARSE, "%s:%zu: expected %zu fields, found %zu",
                                  f->path, lineno, f->ncols, nf);
        if (push_row(rs, r)) return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", f->path);
    }
    if (!have_columns)
        return gmoe_error_set(err, GMOE_EPARSE, "%s: no column line (not a results file)", f->path);
    return GMOE_SUCCESS;
}

/* The first place where the header lines b (of file bname, at lines bl) differ from a's: an
 * error naming both; aname is "a.csv" with line numbers al, or a config path (al NULL). */
static int compare_sig(const char *bname, const char *const *b, const size_t *bl, size_t nb,
                       const char *aname, const char *const *a, const size_t *al, size_t na,
                       gmoe_error *err)
{
    size_t i = 0;
    while (i < na && i < nb && !strcmp(a[i], b[i]))
        i++;
    if (i == na && i == nb) return GMOE_SUCCESS;
    /* Both lists end with the column line, so they differ before either ends. */
    size_t ib = i < nb ? i : nb - 1, ia = i < na ? i : na - 1;
    const char *eb = strlen(b[ib]) > QUOTE_MAX ? "..." : "";
    const char *ea = strlen(a[ia]) > QUOTE_MAX ? "..." : "";
    if (al)
        return gmoe_error_set(err, GMOE_EINVAL,
                              "%s:%zu: \"%.*s%s\" does not match %s:%zu: \"%.*s%s\" (not the "
                              "same sweep)",
                              bname, bl[ib], QUOTE_MAX, b[ib], eb, aname, al[ia], QUOTE_MAX, a[ia],
                              ea);
    return gmoe_error_set(err, GMOE_EINVAL,
                          "%s:%zu: \"%.*s%s\" does not match %s, which gives \"%.*s%s\" (not "
                          "the same sweep)",
                          bname, bl[ib], QUOTE_MAX, b[ib], eb, aname, QUOTE_MAX, a[ia], ea);
}

/* Whether two rows have the same fields apart from field skip. */
static int same_but(const char *a, const char *b, size_t skip)
{
    for (size_t j = 0;; j++) {
        size_t la = strcspn(a, ","), lb = strcspn(b, ",");
        if (j != skip && (la != lb || memcmp(a, b, la))) return 0;
        if (!a[la] || !b[lb]) return !a[la] && !b[lb];
        a += la + 1;
        b += lb + 1;
    }
}

static int cmp_row(const void *x, const void *y)
{
    const row *a = x, *b = y;
    if (a->n != b->n) return a->n < b->n ? -1 : 1;
    if (a->rep != b->rep) return a->rep < b->rep ? -1 : 1;
    if (a->file != b->file) return a->file < b->file ? -1 : 1;
    return (a->line > b->line) - (a->line < b->line);
}

/* Check f (the first input) against the sweep's own header lines. */
static int check_sweep_header(const in_file *f, const gmoe_sweep *sw, gmoe_error *err)
{
    char *ident = NULL, *cols = NULL;
    int rc = gmoe__sweep_header(sw, &ident, &cols, err);
    const char **lines = NULL;
    size_t n = 0;
    if (!rc) {
        size_t cap = 1;
        for (const char *c = ident; *c; c++)
            cap += *c == '\n';
        if (!(lines = malloc(cap * sizeof *lines)))
            rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
        for (char *s = ident; !rc && *s;) {
            char *nl = strchr(s, '\n');
            if (nl) *nl = '\0';
            lines[n++] = s;
            s = nl ? nl + 1 : s + strlen(s);
        }
        cols[strcspn(cols, "\n")] = '\0';
        if (!rc) lines[n++] = cols;
    }
    if (!rc) rc = compare_sig(f->path, f->sig, f->sigline, f->nsig, sw->path, lines, NULL, n, err);
    free(lines);
    free(ident);
    free(cols);
    return rc;
}

/* With a sweep: every row one of its tasks; count the tasks that no row holds. */
static int check_tasks(const gmoe_sweep *sw, const in_file *files, const rows *rs,
                       gmoe_sweep_merge_summary *sum, gmoe_error *err)
{
    size_t total = sw->nn * sw->reps;
    unsigned char *have = calloc(total ? total : 1, 1);
    if (!have) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    for (size_t t = 0; t < rs->len; t++) {
        const row *r = &rs->r[t];
        size_t i;
        for (i = 0; i < sw->nn && sw->ns[i] != r->n; i++) {
        }
        if (i == sw->nn || r->rep > sw->reps) {
            free(have);
            return gmoe_error_set(err, GMOE_EINVAL,
                                  "%s:%zu: task (n = %llu, rep = %llu) is not in the sweep of %s",
                                  files[r->file].path, r->line, r->n, r->rep, sw->path);
        }
        have[i * sw->reps + (r->rep - 1)] = 1;
    }
    for (size_t i = 0; i < sw->nn; i++)
        for (size_t r = 0; r < sw->reps; r++) {
            if (have[i * sw->reps + r]) continue;
            if (!sum->missing++ || sw->ns[i] < sum->missing_n ||
                (sw->ns[i] == sum->missing_n && r + 1 < sum->missing_rep))
                sum->missing_n = sw->ns[i], sum->missing_rep = r + 1;
        }
    free(have);
    return GMOE_SUCCESS;
}

static int write_merged(const char *output, const char *command, const in_file *f0, const rows *rs,
                        gmoe_error *err)
{
    const char *ver = NULL;
    static const char vkey[] = "# gmoe-version:";
    for (size_t i = 0; i < f0->nsig && !ver; i++)
        if (!strncmp(f0->sig[i], vkey, sizeof vkey - 1)) ver = f0->sig[i] + sizeof vkey - 1;
    if (!ver)
        return gmoe_error_set(err, GMOE_EPARSE,
                              "%s: no \"# gmoe-version:\" line (not the results of a gmoe sweep)",
                              f0->path);
    ver += strspn(ver, " ");
    gmoe_outfile of;
    int rc = gmoe_outfile_open(&of, output, err);
    if (rc) return rc;
    fprintf(of.fp, "# gmoe %s sweep results\n", ver);
    if (command) fprintf(of.fp, "# command: %s\n", command);
    for (size_t i = 0; i < f0->nsig; i++)
        fprintf(of.fp, "%s\n", f0->sig[i]);
    for (size_t t = 0; t < rs->len; t++)
        fprintf(of.fp, "%s\n", rs->r[t].text);
    return gmoe_outfile_commit(&of, err);
}

int gmoe_sweep_merge(const char *const *inputs, size_t ninputs, const char *output,
                     const char *command, const gmoe_sweep *sw, gmoe_sweep_merge_summary *sump,
                     gmoe_error *err)
{
    gmoe_sweep_merge_summary sum = {0};
    if (ninputs == 0) return gmoe_error_set(err, GMOE_EINVAL, "merge: no input files");
    in_file *files = calloc(ninputs, sizeof *files);
    rows rs = {0};
    int rc = files ? GMOE_SUCCESS : gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    for (size_t i = 0; !rc && i < ninputs; i++) {
        files[i].path = inputs[i];
        rc = read_whole(&files[i], err);
        if (!rc) rc = scan(&files[i], i, &rs, err);
        if (!rc && i > 0)
            rc = compare_sig(files[i].path, files[i].sig, files[i].sigline, files[i].nsig,
                             files[0].path, files[0].sig, files[0].sigline, files[0].nsig, err);
    }
    if (!rc && sw) rc = check_sweep_header(&files[0], sw, err);
    if (!rc) {
        sum.files = ninputs;
        sum.rows = rs.len;
        if (rs.len) qsort(rs.r, rs.len, sizeof *rs.r, cmp_row);
        /* Keep the first copy of each task; later ones must agree with it. */
        size_t kept = 0;
        for (size_t t = 0; !rc && t < rs.len; t++) {
            const row *r = &rs.r[t], *k = kept ? &rs.r[kept - 1] : NULL;
            if (!k || k->n != r->n || k->rep != r->rep) {
                rs.r[kept++] = *r;
                continue;
            }
            sum.duplicates++;
            if (!same_but(k->text, r->text, files[0].jsec))
                rc = gmoe_error_set(err, GMOE_EINVAL,
                                    "%s:%zu and %s:%zu: task (n = %llu, rep = %llu) differs "
                                    "(apart from seconds)",
                                    files[k->file].path, k->line, files[r->file].path, r->line,
                                    r->n, r->rep);
        }
        rs.len = kept;
        sum.tasks = kept;
    }
    if (!rc && sw) rc = check_tasks(sw, files, &rs, &sum, err);
    if (!rc) rc = write_merged(output, command, &files[0], &rs, err);
    if (!rc && sump) *sump = sum;
    for (size_t i = 0; files && i < ninputs; i++) {
        free(files[i].buf);
        free(files[i].sig);
        free(files[i].sigline);
    }
    free(files);
    free(rs.r);
    return rc;
}
