/* Running a sweep: tasks in parallel, rows appended as they finish, resume. */
#include <config.h>
#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif
#include "dtoa.h"
#include "sweep_internal.h"
#include "gmoe_eval.h"
#include "gmoe_dendrogram.h"

gmoe_sweep_options gmoe_sweep_default_options(void)
{
    gmoe_sweep_options o = {0, NULL, NULL, 0, 0};
    return o;
}

/* Growable text buffer for the header and the rows. */
typedef struct sbuf {
    char *s;
    size_t len, cap;
    int oom;
} sbuf;

static void sb_printf(sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(sbuf *b, const char *fmt, ...)
{
    if (b->oom) return;
    for (;;) {
        va_list ap;
        va_start(ap, fmt);
        int need = vsnprintf(b->s ? b->s + b->len : NULL, b->s ? b->cap - b->len : 0, fmt, ap);
        va_end(ap);
        if (need < 0) {
            b->oom = 1;
            return;
        }
        if (b->s && b->len + (size_t)need < b->cap) {
            b->len += (size_t)need;
            return;
        }
        size_t cap = b->cap ? b->cap : 256;
        while (cap <= b->len + (size_t)need)
            cap *= 2;
        char *t = realloc(b->s, cap);
        if (!t) {
            b->oom = 1;
            return;
        }
        b->s = t, b->cap = cap;
    }
}

/* Shortest exact decimals: a row reads back as the very doubles computed. */
static void sb_num(sbuf *b, double v)
{
    char num[GMOE__DTOA_BUFSIZE];
    if (isnan(v)) {
        sb_printf(b, ",nan");
        return;
    }
    gmoe__dtoa_short(v, num);
    sb_printf(b, ",%s", num);
}

static int has(const gmoe_sweep *sw, unsigned m)
{
    return (sw->metrics & m) != 0;
}

static int tau_family(const gmoe_sweep *sw)
{
    gmoe_gate g = gmoe_model_gate(sw->truth);
    return g == GMOE_GATE_TEMPERATURE || g == GMOE_GATE_ACTIVATION;
}

/* The per-parameter errors of a true expert, in column order (as in gmoe eval's output);
 * err_gamma, the covariance of a Gaussian gate, only for that family. */
#define NPARAM 6
static const char *const param_names[NPARAM] = {"beta0", "beta1", "gamma", "a", "b", "v"};

static int param_shown(const gmoe_sweep *sw, size_t p)
{
    return p != 2 || gmoe_model_gate(sw->truth) == GMOE_GATE_GAUSSIAN;
}

/* A bounded fit (config gate_bound) also reports how many gate parameters end on the bound. */
static int bounded(const gmoe_sweep *sw)
{
    return isfinite(sw->fit.em.gate_bound);
}

/* Per-cell metrics (GMOE_METRIC_CELLS): cell sizes 1 to k - k* + 1, the largest a cell can
 * be while every true expert has a fitted one. */
static const char *const cell_params[4] = {"beta1", "a", "b", "v"};

static size_t cell_sizes(const gmoe_sweep *sw)
{
    size_t ks = gmoe_model_k(sw->truth);
    return sw->k > ks ? sw->k - ks + 1 : 1;
}

/* The per-parameter error columns of every true expert (metric params, and with the prefix
 * "merged_" metric merged), and their values from an evaluation (NaN when ok is 0). */
static void param_columns(const gmoe_sweep *sw, sbuf *b, const char *prefix)
{
    for (size_t l = 1; l <= gmoe_model_k(sw->truth); l++)
        for (size_t p = 0; p < NPARAM; p++)
            if (param_shown(sw, p)) sb_printf(b, ",err_%s%s_%zu", prefix, param_names[p], l);
    if (tau_family(sw)) sb_printf(b, ",err_%stau", prefix);
}

static void param_values(const gmoe_sweep *sw, sbuf *row, const gmoe_eval_result *r, int ok)
{
    const double *e[NPARAM] = {r->err_beta0, r->err_beta1, r->err_gamma,
                               r->err_a,     r->err_b,     r->err_v};
    for (size_t l = 0; l < gmoe_model_k(sw->truth); l++)
        for (size_t p = 0; p < NPARAM; p++)
            if (param_shown(sw, p)) sb_num(row, ok ? e[p][l] : NAN);
    if (tau_family(sw)) sb_num(row, ok ? r->err_tau : NAN);
}

/* Metric merged: the fit's dendrogram cut at k* atoms (at k when k < k*). */
static size_t merged_atoms(const gmoe_sweep *sw)
{
    size_t ks = gmoe_model_k(sw->truth);
    return sw->k < ks ? sw->k : ks;
}

static void column_names(const gmoe_sweep *sw, sbuf *b)
{
    sb_printf(b, "n,rep,loglik,loglik_truth,iterations,maps,status,seconds");
    if (bounded(sw)) sb_printf(b, ",bound_active");
    if (has(sw, GMOE_METRIC_LOSS)) sb_printf(b, ",loss");
    if (has(sw, GMOE_METRIC_LOSS_PINNED)) sb_printf(b, ",loss_pinned");
    if (has(sw, GMOE_METRIC_HELLINGER)) sb_printf(b, ",hellinger");
    if (has(sw, GMOE_METRIC_TV)) sb_printf(b, ",tv");
    if (has(sw, GMOE_METRIC_PARAMS)) param_columns(sw, b, "");
    if (has(sw, GMOE_METRIC_LOGLIK)) sb_printf(b, ",loglik_gap");
    if (has(sw, GMOE_METRIC_CELLS))
        for (size_t m = 1; m <= cell_sizes(sw); m++)
            for (size_t p = 0; p < 4; p++)
                sb_printf(b, ",cell%zu_%s", m, cell_params[p]);
    if (has(sw, GMOE_METRIC_MERGED)) {
        sb_printf(b, ",loss_merged");
        param_columns(sw, b, "merged_");
    }
    if (has(sw, GMOE_METRIC_SELECT)) sb_printf(b, "%s", GMOE__SWEEP_SELECT_COLUMNS);
    if (has(sw, GMOE_METRIC_COVERAGE)) {
        char *names = NULL;
        if (gmoe__sweep_coverage_names(sw, &names))
            b->oom = 1;
        else
            sb_printf(b, "%s", names);
        free(names);
    }
    sb_printf(b, "\n");
}

/* The header lines that identify the run: a resumed file must have the same ones. */
static void identity_lines(const gmoe_sweep *sw, sbuf *b)
{
    /* The version and the true model's parameters belong to the identity too: a resumed
     * file must not mix rows of another gmoe or of an edited truth file. */
    char *truth = NULL;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a over the truth as gmoe writes it */
    if (gmoe_model_dumps(sw->truth, NULL, &truth, NULL) == GMOE_SUCCESS)
        for (const char *p = truth; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    free(truth);
    sb_printf(b, "# gmoe-version: %s\n", gmoe_version());
    sb_printf(b, "# truth-hash: %016llx\n", (unsigned long long)h);
    sb_printf(b, "# seed: %lu\n", sw->seed);
    const char *p = sw->text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        sb_printf(b, "# config: %.*s\n", (int)len, p);
        p += len + (nl ? 1 : 0);
    }
    if (sw->theory) sb_printf(b, "# theory: %s\n", sw->theory);
    /* gmoe rate scores the select columns against the true number of experts. */
    if (has(sw, GMOE_METRIC_SELECT)) sb_printf(b, "# truth-k: %zu\n", gmoe_model_k(sw->truth));
}

int gmoe__sweep_identity_line(const char *line)
{
    static const char *const prefix[] = {
        "# gmoe-version:", "# truth-hash:", "# seed:", "# config:", "# theory:", "# truth-k:"};
    for (size_t i = 0; i < sizeof prefix / sizeof *prefix; i++)
        if (!strncmp(line, prefix[i], strlen(prefix[i]))) return 1;
    return 0;
}

int gmoe__sweep_header(const gmoe_sweep *sw, char **ident, char **columns, gmoe_error *err)
{
    sbuf id = {0}, col = {0};
    identity_lines(sw, &id);
    column_names(sw, &col);
    if (id.oom || col.oom) {
        free(id.s);
        free(col.s);
        *ident = *columns = NULL;
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    }
    *ident = id.s;
    *columns = col.s;
    return GMOE_SUCCESS;
}

int gmoe_sweep_signature(const gmoe_sweep *sw, char **text, gmoe_error *err)
{
    sbuf b = {0};
    identity_lines(sw, &b);
    column_names(sw, &b);
    if (b.oom) {
        free(b.s);
        *text = NULL;
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    }
    *text = b.s;
    return GMOE_SUCCESS;
}

/* ------------------------------------------------------------------ one task */

struct gmoe_sweep_worker {
    const gmoe_sweep *sw;
    gmoe_eval *ev;
    gmoe_eval_result *res;
    gmoe_eval_params evp;
    /* metric merged: the merged model against the truth, by D1 */
    gmoe_eval *evm;
    gmoe_eval_result *resm;
    double *cover; /* metric coverage: one task's values */
    sbuf row;
};

gmoe_sweep_worker *gmoe_sweep_worker_alloc(const gmoe_sweep *sw)
{
    gmoe_sweep_worker *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    size_t ks = gmoe_model_k(sw->truth), d = gmoe_model_d(sw->truth);
    w->sw = sw;
    w->ev = gmoe_eval_alloc(ks, sw->k, d);
    w->res = gmoe_eval_result_alloc(ks, sw->k, d);
    w->evp = gmoe_eval_default_params();
    w->evp.loss = (gmoe_loss_kind)sw->loss_kind;
    w->evp.design = sw->design;
    /* A rate is read off log(mean) over replicates whose spread is tens of percent: four or
     * five correct digits of each distance are plenty, and far cheaper. */
    w->evp.outer_epsrel = 1e-5;
    w->evp.inner_epsrel = 1e-7;
    if (has(sw, GMOE_METRIC_MERGED)) {
        w->evm = gmoe_eval_alloc(ks, merged_atoms(sw), d);
        w->resm = gmoe_eval_result_alloc(ks, merged_atoms(sw), d);
        if (!w->evm || !w->resm) {
            gmoe_sweep_worker_free(w);
            return NULL;
        }
    }
    if (has(sw, GMOE_METRIC_COVERAGE))
        w->cover = malloc((gmoe__sweep_coverage_count(sw) + 1) * sizeof(double));
    if (!w->ev || !w->res || (has(sw, GMOE_METRIC_COVERAGE) && !w->cover)) {
        gmoe_sweep_worker_free(w);
        return NULL;
    }
    return w;
}

void gmoe_sweep_worker_free(gmoe_sweep_worker *w)
{
    if (!w) return;
    gmoe_eval_free(w->ev);
    gmoe_eval_result_free(w->res);
    gmoe_eval_free(w->evm);
    gmoe_eval_result_free(w->resm);
    free(w->cover);
    free(w->row.s);
    free(w);
}

/* Metric merged: cut the fit's dendrogram (gmoe_dendrogram.h, default masses) at the true
 * number of atoms and evaluate that model against the truth by D1; 1 on success. */
static int eval_merged(gmoe_sweep_worker *w, const gmoe_model *fit, const gmoe_data *data,
                       gmoe_error *err)
{
    gmoe_model *merged = NULL;
    gmoe_eval_params par = w->evp;
    par.loss = GMOE_LOSS_D1;
    int ok =
        gmoe_dendrogram_cut(fit, data, merged_atoms(w->sw), NULL, &merged, err) == GMOE_SUCCESS &&
        gmoe_eval_loss(w->evm, w->sw->truth, merged, &par, w->resm, err) == GMOE_SUCCESS;
    gmoe_model_free(merged);
    return ok;
}

const char *gmoe_sweep_worker_run(gmoe_sweep_worker *w, gmoe_sweep_task t)
{
    const gmoe_sweep *sw = w->sw;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long seed = gmoe_sim_seed(sw->seed, t.n, t.rep);
    gmoe_data *data = NULL;
    gmoe_model *fit = NULL;
    gmoe_fit_result fr;
    gmoe_error err;
    double llt = NAN;
    int row_oom = 0;
    unsigned long fseed = gmoe_sim_seed(seed, 0x5eedf17, 0);
    int ok = gmoe_sim_data(sw->truth, &sw->design, t.n, seed, &data, &err) == GMOE_SUCCESS;
    if (ok && sw->contam_eps > 0)
        ok = !gmoe_sim_contaminate(data, sw->contam_eps, sw->contam_scale, seed, &err);
    if (ok) ok = gmoe_model_loglik(sw->truth, data, &llt, &err) == GMOE_SUCCESS;
    if (ok) {
        gmoe_fit_params fp = sw->fit;
        fp.seed = fseed;
        ok = gmoe_fit(data, sw->templ, &fp, &fit, &fr, &err) == GMOE_SUCCESS;
    }
    size_t sel[GMOE__SWEEP_SELECT_NCOL];
    int sel_ok = ok && has(sw, GMOE_METRIC_SELECT) &&
                 !gmoe__sweep_select_task(sw, data, fit, &fr, fseed, sel);
    int eval_ok = 0, dist_ok = 0;
    if (ok && (sw->metrics & (GMOE_METRIC_LOSS | GMOE_METRIC_LOSS_PINNED | GMOE_METRIC_PARAMS |
                              GMOE_METRIC_CELLS | GMOE_METRIC_COVERAGE)))
        eval_ok = gmoe_eval_loss(w->ev, sw->truth, fit, &w->evp, w->res, &err) == GMOE_SUCCESS;
    if (ok && (sw->metrics & (GMOE_METRIC_HELLINGER | GMOE_METRIC_TV)))
        dist_ok = gmoe_eval_distances(w->ev, sw->truth, fit, &w->evp, w->res, &err) == GMOE_SUCCESS;
    int merged_ok = ok && has(sw, GMOE_METRIC_MERGED) && eval_merged(w, fit, data, &err);
    if (has(sw, GMOE_METRIC_COVERAGE) &&
        gmoe__sweep_coverage_task(sw, data, ok ? fit : NULL, &fr, w->res, eval_ok, w->cover))
        row_oom = 1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    const gmoe_eval_result *r = w->res;
    sbuf *row = &w->row;
    row->len = 0;
    row->oom = 0;
    sb_printf(row, "%zu,%zu", t.n, t.rep);
    sb_num(row, ok ? fr.info.loglik : NAN);
    sb_num(row, llt);
    if (ok)
        sb_printf(row, ",%zu,%zu,%s", fr.info.iterations, fr.info.maps,
                  gmoe_fit_status_name(fr.info.status));
    else
        sb_printf(row, ",0,0,failed");
    sb_printf(row, ",%.3f", secs);
    if (bounded(sw)) {
        if (ok)
            sb_printf(row, ",%zu", fr.info.bound_active);
        else
            sb_printf(row, ",nan");
    }
    if (has(sw, GMOE_METRIC_LOSS)) sb_num(row, eval_ok ? r->loss : NAN);
    if (has(sw, GMOE_METRIC_LOSS_PINNED)) sb_num(row, eval_ok ? r->loss_pinned : NAN);
    if (has(sw, GMOE_METRIC_HELLINGER)) sb_num(row, dist_ok ? r->hellinger : NAN);
    if (has(sw, GMOE_METRIC_TV)) sb_num(row, dist_ok ? r->tv : NAN);
    if (has(sw, GMOE_METRIC_PARAMS)) param_values(sw, row, r, eval_ok);
    if (has(sw, GMOE_METRIC_LOGLIK)) sb_num(row, ok ? (fr.info.loglik - llt) / (double)t.n : NAN);
    if (has(sw, GMOE_METRIC_CELLS))
        for (size_t m = 1; m <= cell_sizes(sw); m++) {
            double mx[4] = {NAN, NAN, NAN, NAN};
            if (eval_ok) gmoe_eval_cell_maxima(r, m, mx);
            for (size_t p = 0; p < 4; p++)
                sb_num(row, mx[p]);
        }
    if (has(sw, GMOE_METRIC_MERGED)) {
        sb_num(row, merged_ok ? w->resm->loss : NAN);
        param_values(sw, row, w->resm, merged_ok);
    }
    for (size_t q = 0; has(sw, GMOE_METRIC_SELECT) && q < GMOE__SWEEP_SELECT_NCOL; q++) {
        if (sel_ok)
            sb_printf(row, ",%zu", sel[q]);
        else
            sb_num(row, NAN);
    }
    for (size_t q = 0; has(sw, GMOE_METRIC_COVERAGE) && q < gmoe__sweep_coverage_count(sw); q++) {
        if (isnan(w->cover[q]))
            sb_num(row, NAN);
        else
            sb_printf(row, ",%d", w->cover[q] > 0);
    }
    sb_printf(row, "\n");
    if (row_oom) row->oom = 1;
    gmoe_model_free(fit);
    gmoe_data_free(data);
    return row->oom ? NULL : row->s;
}

/* ------------------------------------------------------------------ output and resume */

/* Read an existing results file: check that it belongs to this sweep, mark the tasks it
 * holds, and cut off a torn last line. *exists = 0 if there is no file. */
static int resume_scan(const gmoe_sweep *sw, const char *path, const char *ident,
                       const char *columns, unsigned char *done, int *exists, gmoe_error *err)
{
    *exists = 0;
    FILE *fp = fopen(path, "r+");
    if (!fp) {
        if (errno == ENOENT) return GMOE_SUCCESS;
        return gmoe_error_set(err, GMOE_EIO, "%s: cannot open: %s", path, strerror(errno));
    }
    *exists = 1;
    struct stat st;
    if (fstat(fileno(fp), &st) == 0 && !S_ISREG(st.st_mode)) {
        fclose(fp);
        return gmoe_error_set(err, GMOE_EIO,
                              "%s: not a regular file (a sweep appends its rows to the file and "
                              "reads them back to resume)",
                              path);
    }
    sbuf id = {0};
    char *line = NULL;
    size_t cap = 0, lineno = 0;
    long good_end = 0;
    int rc = GMOE_SUCCESS, seen_columns = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, fp)) > 0) {
        lineno++;
        if (line[len - 1] != '\n') break; /* torn: cut off below */
        if (line[0] == '#') {
            if (gmoe__sweep_identity_line(line)) sb_printf(&id, "%s", line);
        } else if (!seen_columns) {
            seen_columns = 1;
            if (id.oom || strcmp(id.s ? id.s : "", ident)) {
                rc = gmoe_error_set(err, GMOE_EINVAL,
                                    "%s: holds results of another configuration, seed, truth "
                                    "or gmoe version; remove it or choose another output",
                                    path);
                break;
            }
            if (strcmp(line, columns)) {
                rc = gmoe_error_set(err, GMOE_EPARSE, "%s:%zu: unexpected columns", path, lineno);
                break;
            }
        } else {
            unsigned long long n, rep;
            char tail;
            if (sscanf(line, "%llu,%llu%c", &n, &rep, &tail) != 3 || tail != ',') {
                rc = gmoe_error_set(err, GMOE_EPARSE, "%s:%zu: not a results row", path, lineno);
                break;
            }
            size_t i;
            for (i = 0; i < sw->nn && sw->ns[i] != n; i++) {
            }
            if (i == sw->nn || rep < 1 || rep > sw->reps) {
                rc = gmoe_error_set(err, GMOE_EPARSE,
                                    "%s:%zu: task (n = %llu, rep = %llu) is "
                                    "not in this sweep",
                                    path, lineno, n, rep);
                break;
            }
            done[i * sw->reps + (rep - 1)] = 1;
        }
        good_end = ftell(fp);
    }
    if (!rc && !seen_columns)
        rc = gmoe_error_set(err, GMOE_EPARSE, "%s: no column line; remove the file", path);
    if (!rc && ftruncate(fileno(fp), good_end) != 0)
        rc = gmoe_error_set(err, GMOE_EIO, "%s: cannot truncate: %s", path, strerror(errno));
    free(line);
    free(id.s);
    fclose(fp);
    return rc;
}

static int write_new(const char *path, const gmoe_sweep *sw, const gmoe_sweep_options *opt,
                     const char *ident, const char *columns, gmoe_error *err)
{
    gmoe_outfile of;
    int rc = gmoe_outfile_open(&of, path, err);
    if (rc) return rc;
    fprintf(of.fp, "# gmoe %s sweep results\n", gmoe_version());
    if (opt->command) fprintf(of.fp, "# command: %s\n", opt->command);
    fprintf(of.fp, "%s%s", ident, columns);
    return gmoe_outfile_commit(&of, err);
}

/* Append len bytes to fd (opened O_APPEND), whose whole rows end at *good. Returns 0, or the
 * errno of a failed write after cutting the file back to *good. */
static int append_row(int fd, const char *s, size_t len, off_t *good)
{
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, s + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            int e = w < 0 ? errno : EIO;
            /* Should the cut fail too, the torn row stays, and a resume cuts it off. */
            int cut = ftruncate(fd, *good);
            (void)cut;
            return e;
        }
        done += (size_t)w;
    }
    *good += (off_t)len;
    return 0;
}

static int cmp_task(const void *a, const void *b)
{
    const gmoe_sweep_task *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1; /* largest n first */
    return x->rep < y->rep ? -1 : x->rep > y->rep;
}

struct gmoe_sweep_out {
    const char *path; /* borrowed from the options or the sweep */
    int fd;           /* appended to with write(2); -1 when not open */
    off_t good;       /* where the last whole row ends */
    gmoe_sweep_task *tasks;
    size_t ntasks, skipped, written, failed;
    struct timespec t0;
};

int gmoe_sweep_out_open(const gmoe_sweep *sw, const gmoe_sweep_options *optp, gmoe_sweep_out **outp,
                        gmoe_error *err)
{
    gmoe_sweep_options opt = optp ? *optp : gmoe_sweep_default_options();
    size_t total = sw->nn * sw->reps, nsh = opt.nshards > 1 ? opt.nshards : 1;
    *outp = NULL;
    if (opt.shard >= nsh)
        return gmoe_error_set(err, GMOE_EINVAL, "shard %zu of %zu does not exist", opt.shard, nsh);
    gmoe_sweep_out *o = calloc(1, sizeof *o);
    sbuf ident = {0}, columns = {0};
    identity_lines(sw, &ident);
    column_names(sw, &columns);
    unsigned char *done = calloc(total ? total : 1, 1);
    int rc = GMOE_SUCCESS, exists = 0;
    if (o) {
        o->fd = -1;
        clock_gettime(CLOCK_MONOTONIC, &o->t0);
        o->path = opt.output ? opt.output : sw->output;
        o->tasks = malloc((total ? total : 1) * sizeof *o->tasks);
    }
    if (!o || !o->tasks || !done || ident.oom || columns.oom)
        rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    if (!rc) rc = resume_scan(sw, o->path, ident.s, columns.s, done, &exists, err);
    if (!rc && !exists) rc = write_new(o->path, sw, &opt, ident.s, columns.s, err);
    for (size_t i = 0; !rc && i < sw->nn; i++)
        for (size_t r = 0; r < sw->reps; r++) {
            size_t id = i * sw->reps + r;
            if (id % nsh != opt.shard) continue;
            if (done[id]) {
                o->skipped++;
                continue;
            }
            o->tasks[o->ntasks].n = sw->ns[i];
            o->tasks[o->ntasks++].rep = r + 1;
        }
    if (!rc) qsort(o->tasks, o->ntasks, sizeof *o->tasks, cmp_task);
    struct stat st;
    if (!rc && ((o->fd = open(o->path, O_WRONLY | O_APPEND)) < 0 || fstat(o->fd, &st) != 0))
        rc = gmoe_error_set(err, GMOE_EIO, "%s: cannot append: %s", o->path, strerror(errno));
    if (!rc) o->good = st.st_size;
    free(ident.s);
    free(columns.s);
    free(done);
    if (rc) {
        gmoe_sweep_out_close(o, NULL, NULL);
        return rc;
    }
    *outp = o;
    return GMOE_SUCCESS;
}

size_t gmoe_sweep_out_tasks(const gmoe_sweep_out *o, const gmoe_sweep_task **tasks)
{
    *tasks = o->tasks;
    return o->ntasks;
}

int gmoe_sweep_out_append(gmoe_sweep_out *o, const char *row, gmoe_error *err)
{
    size_t len = strlen(row);
    if (!len || row[len - 1] != '\n' || memchr(row, '\n', len - 1))
        return gmoe_error_set(err, GMOE_EINVAL, "%s: a results row must be one line", o->path);
    /* Rows are appended whole, and a write that fails part way (a full disk) is cut back to
     * the end of the last whole row: the file keeps its earlier rows and nothing else, and a
     * later run resumes from them. */
    int e = append_row(o->fd, row, len, &o->good);
    if (e)
        return gmoe_error_set(err, GMOE_EIO,
                              "%s: write failed: %s; the %zu rows written before are intact: "
                              "run the sweep again to resume",
                              o->path, strerror(e), o->skipped + o->written);
    o->written++;
    o->failed += strstr(row, ",failed,") != NULL;
    return GMOE_SUCCESS;
}

int gmoe_sweep_out_close(gmoe_sweep_out *o, gmoe_sweep_summary *sum, gmoe_error *err)
{
    if (!o) return GMOE_SUCCESS;
    int rc = GMOE_SUCCESS;
    if (o->fd >= 0) {
        if (fsync(o->fd) != 0 && errno != EINVAL)
            rc = gmoe_error_set(err, GMOE_EIO, "%s: sync failed: %s", o->path, strerror(errno));
        if (close(o->fd) != 0 && !rc)
            rc = gmoe_error_set(err, GMOE_EIO, "%s: write failed: %s", o->path, strerror(errno));
    }
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (sum) {
        sum->tasks = o->ntasks + o->skipped;
        sum->skipped = o->skipped;
        sum->done = o->written;
        sum->failed = o->failed;
        sum->seconds =
            (double)(t1.tv_sec - o->t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - o->t0.tv_nsec);
    }
    free(o->tasks);
    free(o);
    return rc;
}

/* ------------------------------------------------------------------ the whole run */

int gmoe_sweep_run(gmoe_sweep *sw, const gmoe_sweep_options *opt, gmoe_sweep_progress cb,
                   void *cbdata, gmoe_sweep_summary *sum, gmoe_error *err)
{
    gmoe_sweep_out *out;
    int rc = gmoe_sweep_out_open(sw, opt, &out, err);
    if (rc) return rc;
    const gmoe_sweep_task *tasks;
    size_t nt = gmoe_sweep_out_tasks(out, &tasks), finished = 0;
    int stop = 0, threads = opt && opt->threads > 0 ? opt->threads : sw->threads;
#pragma omp parallel num_threads(threads > 0 ? threads : omp_get_max_threads())
    {
        gmoe_sweep_worker *w = gmoe_sweep_worker_alloc(sw);
#pragma omp for schedule(dynamic, 1)
        for (size_t t = 0; t < nt; t++) {
            int halt;
#pragma omp atomic read
            halt = stop;
            if (halt || !w) continue;
            const char *row = gmoe_sweep_worker_run(w, tasks[t]);
#pragma omp critical(gmoe_sweep_out)
            if (row && !rc) {
                rc = gmoe_sweep_out_append(out, row, err);
                finished++;
                if (rc || (cb && cb(finished, nt, cbdata))) {
#pragma omp atomic write
                    stop = 1;
                }
            }
        }
        if (!w) {
#pragma omp atomic write
            stop = 1;
        }
        gmoe_sweep_worker_free(w);
    }
    /* Without a callback nothing asks to stop: a task left out ran out of memory. */
    if (!rc && finished < nt && !cb) rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    gmoe_error cerr;
    int crc = gmoe_sweep_out_close(out, sum, &cerr);
    if (!rc && crc) {
        rc = crc;
        if (err) *err = cerr;
    }
    return rc;
}
