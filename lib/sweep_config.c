/* Sweep configs: `key = value` lines, checked key by key with messages naming file and
 * line. */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sweep_internal.h"
#include "gmoe_eval.h"

#define MAX_LINE 4096

typedef struct cfg_ctx {
    gmoe_sweep *sw;
    const char *file;
    size_t line;
    const char *key;
    gmoe_error *err;
    unsigned seen; /* keys given, by index in the key table */
    /* Lines of the keys that later checks across keys refer to (0: not given). */
    size_t truth_line, k_line, n_line, design_line, bound_line;
} cfg_ctx;

static int bad(cfg_ctx *c, const char *what, const char *value)
{
    return gmoe_error_set(c->err, GMOE_EPARSE, "%s:%zu: %s: %s (got \"%s\")", c->file, c->line,
                          c->key, what, value);
}

/* An error about a key's value that the message already shows in full. */
static int fail_at(cfg_ctx *c, size_t line, const char *key, const char *what)
{
    if (!line) return gmoe_error_set(c->err, GMOE_EPARSE, "%s: %s: %s", c->file, key, what);
    return gmoe_error_set(c->err, GMOE_EPARSE, "%s:%zu: %s: %s", c->file, line, key, what);
}

static char *dupstr(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d) memcpy(d, s, n);
    return d;
}

static int parse_ulong(const char *s, unsigned long long *out)
{
    if (!isdigit((unsigned char)*s)) return GMOE_EINVAL;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end) {
        /* Sizes are often written like 1e5: accept a whole number in that form. */
        double dv = strtod(s, &end);
        if (*end || !(dv >= 0) || dv > 1e15 || dv != floor(dv)) return GMOE_EINVAL;
        v = (unsigned long long)dv;
    }
    *out = v;
    return GMOE_SUCCESS;
}

static int get_count(cfg_ctx *c, const char *v, size_t lo, size_t *out)
{
    unsigned long long u;
    if (parse_ulong(v, &u) || u < lo || u > (unsigned long long)1e12) {
        char what[64];
        snprintf(what, sizeof what, "expected an integer >= %zu", lo);
        return bad(c, what, v);
    }
    *out = (size_t)u;
    return GMOE_SUCCESS;
}

static int get_double(cfg_ctx *c, const char *v, double *out)
{
    char *end;
    errno = 0;
    double d = strtod(v, &end);
    if (end == v || *end || errno || !isfinite(d)) return bad(c, "expected a finite number", v);
    *out = d;
    return GMOE_SUCCESS;
}

static int get_bool(cfg_ctx *c, const char *v, int *out)
{
    if (!strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1"))
        *out = 1;
    else if (!strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "false") || !strcmp(v, "0"))
        *out = 0;
    else
        return bad(c, "expected yes or no", v);
    return GMOE_SUCCESS;
}

/* Split v into at most max blank-separated words (v is modified). */
static size_t words(char *v, char **w, size_t max)
{
    size_t n = 0;
    for (char *t = strtok(v, " \t"); t; t = strtok(NULL, " \t")) {
        if (n == max) return max + 1;
        w[n++] = t;
    }
    return n;
}

/* A path relative to the config file's directory. */
static char *resolve(const char *cfgpath, const char *p)
{
    const char *slash = strrchr(cfgpath, '/');
    if (p[0] == '/' || !slash) return dupstr(p);
    size_t dl = (size_t)(slash - cfgpath) + 1, pl = strlen(p);
    char *r = malloc(dl + pl + 1);
    if (!r) return NULL;
    memcpy(r, cfgpath, dl);
    memcpy(r + dl, p, pl + 1);
    return r;
}

static int key_truth(cfg_ctx *c, char *v)
{
    gmoe_error e;
    int rc;
    if (v[0] == '{') {
        char name[512];
        snprintf(name, sizeof name, "%s:%zu: truth", c->file, c->line);
        rc = gmoe_model_parse(v, name, &c->sw->truth, NULL, NULL, &e);
        if (rc) return gmoe_error_set(c->err, rc, "%s", e.msg);
    } else {
        char *p = resolve(c->file, v);
        if (!p) return gmoe_error_set(c->err, GMOE_ENOMEM, "out of memory");
        rc = gmoe_model_read(p, &c->sw->truth, NULL, NULL, &e);
        free(p);
    }
    if (rc) return gmoe_error_set(c->err, rc, "%s:%zu: truth: %s", c->file, c->line, e.msg);
    return GMOE_SUCCESS;
}

static int key_design(cfg_ctx *c, char *v)
{
    char copy[MAX_LINE];
    snprintf(copy, sizeof copy, "%s", v);
    char *w[4];
    size_t nw = words(copy, w, 3);
    gmoe_design *des = &c->sw->design;
    *des = gmoe_design_default();
    if (nw < 1 || gmoe_design_parse(w[0], &des->kind) ||
        nw != (des->kind == GMOE_DESIGN_GATE ? 1u : 3u))
        return bad(c, "expected grid LO HI, uniform LO HI, normal MEAN SD or gate", v);
    /* gate: x from the truth's Gaussian gate, checked once the truth is known */
    if (des->kind == GMOE_DESIGN_GATE) return GMOE_SUCCESS;
    if (get_double(c, w[1], &des->p1) || get_double(c, w[2], &des->p2)) return c->err->code;
    gmoe_error e;
    /* gmoe_design_validate says "design normal: ..."; the key is named once. */
    if (gmoe_design_validate(des, 1, &e) && des->kind != GMOE_DESIGN_GRID)
        return fail_at(c, c->line, "design", strncmp(e.msg, "design ", 7) ? e.msg : e.msg + 7);
    if (des->kind == GMOE_DESIGN_GRID && !(des->p1 < des->p2))
        return bad(c, "lo must be below hi", v);
    return GMOE_SUCCESS;
}

static int key_stop(cfg_ctx *c, char *v)
{
    char copy[MAX_LINE];
    snprintf(copy, sizeof copy, "%s", v);
    char *w[3];
    size_t nw = words(copy, w, 2);
    gmoe_em_params *em = &c->sw->fit.em;
    if (nw < 1 || nw > 2 || gmoe_stop_rule_parse(w[0], &em->stop))
        return bad(c, "expected per-obs TOL or relative TOL", v);
    if (nw == 2 && (get_double(c, w[1], &em->tol) || !(em->tol >= 0)))
        return bad(c, "the tolerance must be a number >= 0", v);
    return GMOE_SUCCESS;
}

static int key_metrics(cfg_ctx *c, char *v)
{
    /* One line per metric: the name in configs and its flag (gmoe_sweep.h). */
    static const struct {
        const char *name;
        unsigned flag;
    } known[] = {
        {"loss", GMOE_METRIC_LOSS},           {"loss_pinned", GMOE_METRIC_LOSS_PINNED},
        {"hellinger", GMOE_METRIC_HELLINGER}, {"tv", GMOE_METRIC_TV},
        {"params", GMOE_METRIC_PARAMS},       {"loglik", GMOE_METRIC_LOGLIK},
        {"cells", GMOE_METRIC_CELLS},         {"merged", GMOE_METRIC_MERGED},
        {"select", GMOE_METRIC_SELECT},       {"coverage", GMOE_METRIC_COVERAGE},
    };
    const size_t nk = sizeof known / sizeof *known;
    char copy[MAX_LINE];
    snprintf(copy, sizeof copy, "%s", v);
    char *w[16];
    size_t nw = words(copy, w, 15);
    if (nw == 0 || nw > 15) return bad(c, "expected a list of metrics", v);
    c->sw->metrics = 0;
    for (size_t i = 0; i < nw; i++) {
        size_t m = 0;
        while (m < nk && strcmp(w[i], known[m].name))
            m++;
        if (m == nk) {
            char what[400];
            int len = snprintf(what, sizeof what, "unknown metric \"%s\" (known:", w[i]);
            for (size_t q = 0; q < nk && len > 0 && (size_t)len < sizeof what; q++)
                len += snprintf(what + len, sizeof what - (size_t)len, "%s %s", q ? "," : "",
                                known[q].name);
            if (len > 0 && (size_t)len < sizeof what)
                snprintf(what + len, sizeof what - (size_t)len, ")");
            return fail_at(c, c->line, "metrics", what);
        }
        c->sw->metrics |= known[m].flag;
    }
    return GMOE_SUCCESS;
}

/* theory = metric=slope ...: checked here, kept as text for the results header. */
static int key_theory(cfg_ctx *c, char *v)
{
    char copy[MAX_LINE];
    snprintf(copy, sizeof copy, "%s", v);
    char *w[64];
    size_t nw = words(copy, w, 63);
    if (nw == 0 || nw > 63) return bad(c, "expected metric=slope pairs", v);
    for (size_t i = 0; i < nw; i++) {
        char *eq = strchr(w[i], '=');
        double s;
        char *end;
        if (!eq || eq == w[i]) return bad(c, "expected metric=slope pairs", v);
        s = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !isfinite(s)) return bad(c, "expected metric=slope pairs", v);
    }
    free(c->sw->theory);
    c->sw->theory = dupstr(v);
    return c->sw->theory ? GMOE_SUCCESS : GMOE_ENOMEM;
}

static int key_value(cfg_ctx *c, const char *key, char *v)
{
    gmoe_sweep *sw = c->sw;
    gmoe_fit_params *fp = &sw->fit;
    if (!strcmp(key, "truth")) return c->truth_line = c->line, key_truth(c, v);
    if (!strcmp(key, "design")) return c->design_line = c->line, key_design(c, v);
    if (!strcmp(key, "stop")) return key_stop(c, v);
    if (!strcmp(key, "metrics")) return key_metrics(c, v);
    if (!strcmp(key, "theory")) return key_theory(c, v);
    if (!strcmp(key, "k")) {
        c->k_line = c->line;
        if (get_count(c, v, 1, &sw->k)) return c->err->code;
        if (sw->k > 1000) return bad(c, "at most 1000 experts", v);
        return GMOE_SUCCESS;
    }
    if (!strcmp(key, "n")) {
        gmoe_error e;
        free(sw->ns);
        sw->ns = NULL;
        c->n_line = c->line;
        if (gmoe_sweep_parse_sizes(v, &sw->ns, &sw->nn, &e)) return fail_at(c, c->line, "n", e.msg);
        return GMOE_SUCCESS;
    }
    if (!strcmp(key, "reps")) return get_count(c, v, 1, &sw->reps);
    if (!strcmp(key, "starts")) return get_count(c, v, 1, &fp->starts);
    if (!strcmp(key, "max_iter")) return get_count(c, v, 1, &fp->em.max_iter);
    if (!strcmp(key, "threads")) {
        size_t t;
        if (get_count(c, v, 0, &t) || t > 4096) return bad(c, "expected 0 (every core) to 4096", v);
        sw->threads = (int)t;
        return GMOE_SUCCESS;
    }
    if (!strcmp(key, "seed")) {
        unsigned long long u;
        if (parse_ulong(v, &u) || u < 1 || u > 4294967295ULL)
            return bad(c, "expected an integer from 1 to 4294967295", v);
        sw->seed = (unsigned long)u;
        return GMOE_SUCCESS;
    }
    if (!strcmp(key, "init")) {
        if (gmoe_init_parse(v, &fp->init)) return bad(c, "expected near-true, random or data", v);
        return GMOE_SUCCESS;
    }
    if (!strcmp(key, "accel")) {
        /* yes / no, or the acceleration by name (qn, squarem) */
        if (!gmoe_accel_parse(v, &fp->em.accel_method)) {
            fp->em.accel = 1;
            return GMOE_SUCCESS;
        }
        return get_bool(c, v, &fp->em.accel) ? bad(c, "expected qn, squarem, yes or no", v)
                                             : GMOE_SUCCESS;
    }
    if (!strcmp(key, "fix_tau")) return get_bool(c, v, &fp->em.fix_tau);
    if (!strcmp(key, "var_floor")) {
        if (get_double(c, v, &fp->em.var_floor) || !(fp->em.var_floor >= 0))
            return bad(c, "expected a number >= 0", v);
        return GMOE_SUCCESS;
    }
    if (!strcmp(key, "gate_bound")) {
        c->bound_line = c->line;
        if (get_double(c, v, &fp->em.gate_bound) || !(fp->em.gate_bound > 0))
            return bad(c, "expected a number > 0", v);
        return GMOE_SUCCESS;
    }
    if (!strcmp(key, "loss")) {
        gmoe_loss_kind lk;
        if (gmoe_loss_parse(v, &lk)) return bad(c, "expected auto, d1 or d2", v);
        sw->loss_kind = (int)lk;
        return GMOE_SUCCESS;
    }
    if (!strcmp(key, "output")) {
        free(sw->output);
        sw->output = resolve(c->file, v);
        return sw->output ? GMOE_SUCCESS : GMOE_ENOMEM;
    }
    int rc = gmoe__sweep_select_key(sw, c->file, c->line, key, v, c->err);
    if (rc >= 0) return rc;
    if (!strcmp(key, "name") || !strcmp(key, "source") || !strcmp(key, "description"))
        return GMOE_SUCCESS; /* documentation, kept through the config text */
    return gmoe_error_set(c->err, GMOE_EPARSE, "%s:%zu: unknown key \"%s\"", c->file, c->line, key);
}

/* Family keys apply to the fitted model once k and gate are known; they are kept aside. */
typedef struct family_keys {
    char gate[32], topk[32], topk_select[32], tau[64], activation[32];
    size_t gate_line, topk_line, select_line, tau_line, act_line;
} family_keys;

static int family_key(family_keys *fk, const char *key, const char *v, size_t line)
{
    struct {
        const char *name;
        char *buf;
        size_t size;
        size_t *line;
    } t[] = {{"gate", fk->gate, sizeof fk->gate, &fk->gate_line},
             {"topk", fk->topk, sizeof fk->topk, &fk->topk_line},
             {"topk_select", fk->topk_select, sizeof fk->topk_select, &fk->select_line},
             {"tau", fk->tau, sizeof fk->tau, &fk->tau_line},
             {"activation", fk->activation, sizeof fk->activation, &fk->act_line}};
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
        if (!strcmp(key, t[i].name)) {
            snprintf(t[i].buf, t[i].size, "%s", v);
            *t[i].line = line;
            return 1;
        }
    return 0;
}

static int apply_family(cfg_ctx *c, family_keys *fk)
{
    gmoe_model *m = c->sw->templ;
    gmoe_gate gate = GMOE_GATE_SOFTMAX;
    if (fk->gate_line) {
        c->line = fk->gate_line, c->key = "gate";
        if (gmoe_gate_parse(fk->gate, &gate))
            return bad(c, "expected softmax, topk, temperature, activation, sigmoid or gaussian",
                       fk->gate);
    }
    gmoe_model_set_gate(m, gate);
    if (fk->topk_line) {
        size_t K;
        c->line = fk->topk_line, c->key = "topk";
        if (gate != GMOE_GATE_TOPK) return bad(c, "only for gate = topk", fk->topk);
        if (get_count(c, fk->topk, 1, &K)) return c->err->code;
        if (K > gmoe_model_k(m)) return bad(c, "must not exceed k", fk->topk);
        gmoe_model_set_topk(m, K, gmoe_model_topk_select(m));
    } else if (gate == GMOE_GATE_TOPK) {
        return fail_at(c, fk->gate_line, "gate", "topk needs the key topk = K");
    }
    if (fk->select_line) {
        gmoe_topk_select sel;
        c->line = fk->select_line, c->key = "topk_select";
        if (gate != GMOE_GATE_TOPK) return bad(c, "only for gate = topk", fk->topk_select);
        if (gmoe_topk_select_parse(fk->topk_select, &sel))
            return bad(c, "expected slope or score", fk->topk_select);
        gmoe_model_set_topk(m, gmoe_model_topk(m), sel);
    }
    if (fk->tau_line) {
        double tau;
        c->line = fk->tau_line, c->key = "tau";
        if (gate != GMOE_GATE_TEMPERATURE && gate != GMOE_GATE_ACTIVATION)
            return bad(c, "only for gate = temperature or activation", fk->tau);
        if (get_double(c, fk->tau, &tau)) return c->err->code;
        if (!(tau > 0)) return bad(c, "must be > 0", fk->tau);
        gmoe_model_set_tau(m, tau);
    }
    if (fk->act_line) {
        gmoe_act act;
        c->line = fk->act_line, c->key = "activation";
        if (gate != GMOE_GATE_ACTIVATION)
            return bad(c, "only for gate = activation", fk->activation);
        if (gmoe_act_parse(fk->activation, &act))
            return bad(c, "expected tanh or sigmoid", fk->activation);
        gmoe_model_set_act(m, act);
    }
    return GMOE_SUCCESS;
}

/* Sizes one list may generate, duplicates included: more is surely a typo (each size is a
 * column of tasks), and the bound keeps parsing fast. */
#define SWEEP_MAX_SIZES 1000000

typedef struct size_at {
    size_t value, pos;
} size_at;

static int by_value_then_pos(const void *a, const void *b)
{
    const size_at *x = a, *y = b;
    if (x->value != y->value) return x->value < y->value ? -1 : 1;
    return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Keep the first of equal sizes, in order, in O(n log n): a grid of many sizes with a naive
 * pairwise check took minutes. */
static int drop_duplicates(size_t *ns, size_t *nn)
{
    size_t n = *nn, kept = 0;
    size_at *t = malloc(n * sizeof *t);
    unsigned char *dup = calloc(n, 1);
    if (!t || !dup) {
        free(t);
        free(dup);
        return GMOE_ENOMEM;
    }
    for (size_t i = 0; i < n; i++)
        t[i].value = ns[i], t[i].pos = i;
    qsort(t, n, sizeof *t, by_value_then_pos);
    for (size_t i = 1; i < n; i++)
        if (t[i].value == t[i - 1].value) dup[t[i].pos] = 1;
    for (size_t i = 0; i < n; i++)
        if (!dup[i]) ns[kept++] = ns[i];
    *nn = kept;
    free(t);
    free(dup);
    return GMOE_SUCCESS;
}

int gmoe_sweep_parse_sizes(const char *text, size_t **sizes, size_t *count, gmoe_error *err)
{
    size_t cap = 64, nn = 0;
    size_t *ns = malloc(cap * sizeof(size_t));
    char *copy = dupstr(text);
    int rc = GMOE_SUCCESS;
    if (!ns || !copy) {
        rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
        goto done;
    }
    for (char *item = strtok(copy, ", \t"); item && !rc; item = strtok(NULL, ", \t")) {
        int logsp = 0;
        char *spec = item;
        if (!strncmp(item, "lin:", 4))
            spec = item + 4;
        else if (!strncmp(item, "log:", 4))
            spec = item + 4, logsp = 1;
        double a, b, m = 1;
        char *end;
        a = strtod(spec, &end);
        if (end == spec) goto bad_item;
        if (*end == ':') {
            char *p2 = end + 1;
            b = strtod(p2, &end);
            if (end == p2 || *end != ':') goto bad_item;
            char *p3 = end + 1;
            m = strtod(p3, &end);
            if (end == p3 || *end || m < 1 || m != floor(m) || m > 1e6) goto bad_item;
        } else {
            if (*end || spec != item) goto bad_item;
            b = a;
        }
        if (!(a >= 1) || !(b >= 1) || a > 1e12 || b > 1e12) goto bad_item;
        if (m > SWEEP_MAX_SIZES - nn) {
            rc = gmoe_error_set(err, GMOE_EPARSE, "more than %d sizes", SWEEP_MAX_SIZES);
            goto done;
        }
        for (size_t i = 0; i < (size_t)m; i++) {
            double f = m > 1 ? (double)i / (m - 1) : 0;
            double v = logsp ? exp(log(a) + f * (log(b) - log(a))) : a + f * (b - a);
            size_t nv = (size_t)floor(v + 0.5);
            if (nn == cap) {
                size_t *t = realloc(ns, 2 * cap * sizeof(size_t));
                if (!t) {
                    rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
                    goto done;
                }
                ns = t, cap *= 2;
            }
            ns[nn++] = nv;
        }
        continue;
    bad_item:
        rc = gmoe_error_set(
            err, GMOE_EPARSE,
            "bad size \"%s\" (expected N, A:B:M, lin:A:B:M or log:A:B:M, sizes >= 1)", item);
    }
    if (!rc && nn == 0) rc = gmoe_error_set(err, GMOE_EPARSE, "no sizes");
    if (!rc && (rc = drop_duplicates(ns, &nn)))
        rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
done:
    free(copy);
    if (rc) {
        free(ns);
        return rc;
    }
    *sizes = ns;
    *count = nn;
    return GMOE_SUCCESS;
}

/* Read the whole config file (a few kB; larger than 1 MB is refused). */
static int read_text(const char *path, char **out, gmoe_error *err)
{
    FILE *fp = fopen(path, "r");
    if (!fp) return gmoe_error_set(err, GMOE_EIO, "%s: cannot open: %s", path, strerror(errno));
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int rc = buf ? GMOE_SUCCESS : GMOE_ENOMEM;
    while (!rc) {
        if (len + 1 == cap) {
            char *t = cap < (1u << 20) ? realloc(buf, 2 * cap) : NULL;
            if (!t) {
                rc = gmoe_error_set(err, GMOE_EPARSE, "%s: too large for a config", path);
                break;
            }
            buf = t, cap *= 2;
        }
        size_t got = fread(buf + len, 1, cap - 1 - len, fp);
        len += got;
        if (got == 0) {
            if (ferror(fp)) rc = gmoe_error_set(err, GMOE_EIO, "%s: read error", path);
            break;
        }
    }
    fclose(fp);
    if (rc) {
        free(buf);
        return rc == GMOE_ENOMEM ? gmoe_error_set(err, rc, "out of memory") : rc;
    }
    buf[len] = '\0';
    if (strlen(buf) != len) {
        free(buf);
        return gmoe_error_set(err, GMOE_EPARSE, "%s: not a text file (NUL byte)", path);
    }
    *out = buf;
    return GMOE_SUCCESS;
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    char *e = s + strlen(s);
    while (e > s && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return s;
}

static int parse_lines(cfg_ctx *c, char *text, family_keys *fk)
{
    char *seen[64];
    size_t nseen = 0;
    int rc = GMOE_SUCCESS;
    char *save = NULL;
    c->line = 0;
    for (char *p = text; p && !rc; p = save) {
        char *nl = strchr(p, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl) *nl = '\0';
        c->line++;
        if (strlen(p) >= MAX_LINE)
            return gmoe_error_set(c->err, GMOE_EPARSE, "%s:%zu: line too long", c->file, c->line);
        char *hash = strchr(p, '#');
        if (hash) *hash = '\0';
        char *s = trim(p);
        if (!*s) continue;
        char *eq = strchr(s, '=');
        if (!eq)
            return gmoe_error_set(c->err, GMOE_EPARSE, "%s:%zu: expected key = value (got \"%s\")",
                                  c->file, c->line, s);
        *eq = '\0';
        char *key = trim(s), *val = trim(eq + 1);
        if (!*key)
            return gmoe_error_set(c->err, GMOE_EPARSE, "%s:%zu: missing key before '='", c->file,
                                  c->line);
        for (size_t i = 0; i < nseen; i++)
            if (!strcmp(seen[i], key))
                return gmoe_error_set(c->err, GMOE_EPARSE, "%s:%zu: key \"%s\" given twice",
                                      c->file, c->line, key);
        if (nseen < 64) seen[nseen++] = key;
        c->key = key;
        if (!*val)
            return gmoe_error_set(c->err, GMOE_EPARSE, "%s:%zu: %s: missing value", c->file,
                                  c->line, key);
        if (!family_key(fk, key, val, c->line)) rc = key_value(c, key, val);
    }
    return rc;
}

static void sweep_defaults(gmoe_sweep *sw)
{
    sw->design = gmoe_design_default();
    sw->reps = 1;
    sw->fit = gmoe_fit_default_params();
    sw->fit.init = GMOE_INIT_NEAR_TRUE;
    sw->fit.starts = 1;
    sw->fit.em.max_iter = 2000;
    sw->metrics = GMOE_METRIC_LOSS | GMOE_METRIC_LOSS_PINNED | GMOE_METRIC_HELLINGER |
                  GMOE_METRIC_TV | GMOE_METRIC_PARAMS | GMOE_METRIC_LOGLIK;
    sw->loss_kind = GMOE_LOSS_AUTO;
    sw->seed = 1;
}

/* What the keys mean together: required keys, the template, the truth against the fit. */
static int sweep_finish(cfg_ctx *c, family_keys *fk)
{
    gmoe_sweep *sw = c->sw;
    const char *missing = !sw->truth ? "truth" : !sw->k ? "k" : !sw->ns ? "n" : NULL;
    if (missing)
        return gmoe_error_set(c->err, GMOE_EPARSE, "%s: missing key \"%s\"", c->file, missing);
    size_t d = gmoe_model_d(sw->truth);
    sw->templ = gmoe_model_alloc(sw->k, d, GMOE_GATE_SOFTMAX);
    if (!sw->templ) return gmoe_error_set(c->err, GMOE_ENOMEM, "out of memory");
    int rc = apply_family(c, fk);
    if (rc) return rc;
    gmoe_gate gt = gmoe_model_gate(sw->truth), gf = gmoe_model_gate(sw->templ);
    if (gt != gf) {
        char what[256];
        snprintf(what, sizeof what,
                 "the fitted family (%s) differs from the truth's (%s); the Voronoi losses "
                 "compare models of one family",
                 gmoe_gate_name(gf), gmoe_gate_name(gt));
        return fail_at(c, fk->gate_line ? fk->gate_line : c->truth_line, "gate", what);
    }
    if (gf == GMOE_GATE_GAUSSIAN && c->bound_line)
        return fail_at(c, c->bound_line, "gate_bound",
                       "does not apply to the Gaussian gate (its pi, c and Gamma are moments of "
                       "x, not free gate parameters)");
    if (gf == GMOE_GATE_ACTIVATION && fk->act_line &&
        gmoe_model_act(sw->templ) != gmoe_model_act(sw->truth))
        return gmoe_error_set(c->err, GMOE_EPARSE,
                              "%s:%zu: activation: the fitted activation (%s) differs from the "
                              "truth's (%s); the Voronoi losses compare models of one family",
                              c->file, fk->act_line, gmoe_act_name(gmoe_model_act(sw->templ)),
                              gmoe_act_name(gmoe_model_act(sw->truth)));
    if (!fk->tau_line) gmoe_model_set_tau(sw->templ, gmoe_model_tau(sw->truth));
    if (!fk->act_line) gmoe_model_set_act(sw->templ, gmoe_model_act(sw->truth));
    char what[160];
    if (sw->fit.init == GMOE_INIT_NEAR_TRUE && sw->k < gmoe_model_k(sw->truth)) {
        snprintf(what, sizeof what, "near-true starts need k >= k* (k = %zu, k* = %zu)", sw->k,
                 gmoe_model_k(sw->truth));
        return fail_at(c, c->k_line, "k", what);
    }
    if (sw->design.kind == GMOE_DESIGN_GATE && gt != GMOE_GATE_GAUSSIAN) {
        snprintf(what, sizeof what,
                 "gate: x is drawn from the truth's Gaussian gate, but the truth has a %s gate",
                 gmoe_gate_name(gt));
        return fail_at(c, c->design_line, "design", what);
    }
    gmoe_error e;
    if (gmoe_design_validate(&sw->design, d, &e))
        return fail_at(c, c->design_line, "design",
                       strncmp(e.msg, "design ", 7) ? e.msg : e.msg + 7);
    for (size_t i = 0; i < sw->nn; i++)
        if (sw->ns[i] < sw->k) {
            snprintf(what, sizeof what, "size %zu is smaller than k = %zu", sw->ns[i], sw->k);
            return fail_at(c, c->n_line, "n", what);
        }
    if (!sw->output) {
        /* Default output: the config's name with .csv. */
        size_t len = strlen(sw->path);
        const char *dot = strrchr(sw->path, '.'), *slash = strrchr(sw->path, '/');
        if (dot && (!slash || dot > slash)) len = (size_t)(dot - sw->path);
        sw->output = malloc(len + 5);
        if (!sw->output) return gmoe_error_set(c->err, GMOE_ENOMEM, "out of memory");
        memcpy(sw->output, sw->path, len);
        memcpy(sw->output + len, ".csv", 5);
    }
    sw->fit.truth = sw->truth;
    sw->fit.threads = 1;
    int rc2 = gmoe__sweep_coverage_check(sw, c->file, c->err);
    return rc2 ? rc2 : gmoe__sweep_select_check(sw, c->file, c->err);
}

int gmoe_sweep_load(const char *path, gmoe_sweep **out, gmoe_error *err)
{
    *out = NULL;
    gmoe_sweep *sw = calloc(1, sizeof *sw);
    if (!sw) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    sweep_defaults(sw);
    char *work = NULL;
    int rc = GMOE_SUCCESS;
    sw->path = dupstr(path);
    if (!sw->path) rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    if (!rc) rc = read_text(path, &sw->text, err);
    if (!rc && !(work = dupstr(sw->text))) rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    cfg_ctx c = {sw, path, 0, "", err, 0, 0, 0, 0, 0, 0};
    family_keys fk;
    memset(&fk, 0, sizeof fk);
    if (!rc) rc = parse_lines(&c, work, &fk);
    if (!rc) rc = sweep_finish(&c, &fk);
    free(work);
    if (rc) {
        gmoe_sweep_free(sw);
        return rc;
    }
    *out = sw;
    return GMOE_SUCCESS;
}

void gmoe_sweep_free(gmoe_sweep *sw)
{
    if (!sw) return;
    free(sw->path);
    free(sw->text);
    gmoe_model_free(sw->truth);
    gmoe_model_free(sw->templ);
    free(sw->ns);
    free(sw->output);
    free(sw->theory);
    free(sw);
}

const char *gmoe_sweep_output(const gmoe_sweep *sw)
{
    return sw->output;
}
size_t gmoe_sweep_ntasks(const gmoe_sweep *sw)
{
    return sw->nn * sw->reps;
}
size_t gmoe_sweep_reps(const gmoe_sweep *sw)
{
    return sw->reps;
}
const gmoe_model *gmoe_sweep_truth(const gmoe_sweep *sw)
{
    return sw->truth;
}
int gmoe_sweep_threads(const gmoe_sweep *sw)
{
    return sw->threads;
}

const size_t *gmoe_sweep_sizes(const gmoe_sweep *sw, size_t *count)
{
    *count = sw->nn;
    return sw->ns;
}
