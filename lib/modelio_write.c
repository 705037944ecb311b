/* Model files (JSON) written with jansson; the reader is in modelio.c. jansson formats the
 * numbers (17 significant digits, so a round trip is exact) and the layout around them is
 * done here by hand, so that each expert is one line a person can scan. */
#include <config.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"
#include "gmoe_infer.h"
#include "modelnames.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#if JSON_INTEGER_IS_LONG_LONG
#define JSON_INT_MAX LLONG_MAX
#else
#define JSON_INT_MAX LONG_MAX
#endif

static int all_zero(const double *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v[i] != 0 || signbit(v[i])) return 0;
    return 1;
}

/* The Gaussian gate ignores beta0 and beta1, so its files leave them out; unless they are
 * set, because gmoe_model_set_gate keeps them and a file should not lose what the model
 * holds. */
static int writes_beta(const gmoe_model *m)
{
    return m->gate != GMOE_GATE_GAUSSIAN || !all_zero(m->beta0, m->k) ||
           !all_zero(m->beta1, m->k * m->d);
}

static int has_tau(gmoe_gate gate)
{
    return gate == GMOE_GATE_TEMPERATURE || gate == GMOE_GATE_ACTIVATION;
}

/* JSON has no NaN or infinity: refuse rather than write a file no reader accepts. */
static int check_model_out(const gmoe_model *m, int beta, gmoe_error *err)
{
    size_t d = m->d;
    int gauss = m->gate == GMOE_GATE_GAUSSIAN;
    if (has_tau(m->gate) && !isfinite(m->tau))
        return gmoe_error_set(err, GMOE_EINVAL, "tau: cannot write a non-finite value (%g)",
                              m->tau);
    for (size_t j = 0; j < m->k; j++) {
        const struct {
            const char *key;
            const double *v;
            int rank; /* 0 scalar, 1 vector of d, 2 d*d matrix */
            int used;
        } f[] = {{"beta0", m->beta0 + j, 0, beta},
                 {"beta1", m->beta1 + j * d, 1, beta},
                 {"pi", m->pi + j, 0, gauss},
                 {"c", m->c + j * d, 1, gauss},
                 {"Gamma", m->Gamma + j * d * d, 2, gauss},
                 {"a", m->a + j * d, 1, 1},
                 {"b", m->b + j, 0, 1},
                 {"var", m->var + j, 0, 1}};
        for (size_t i = 0; i < NELEM(f); i++) {
            size_t n = f[i].rank == 0 ? 1 : f[i].rank == 1 ? d : d * d;
            for (size_t t = 0; f[i].used && t < n; t++) {
                if (isfinite(f[i].v[t])) continue;
                char idx[48] = "";
                if (f[i].rank == 1) snprintf(idx, sizeof idx, "[%zu]", t);
                if (f[i].rank == 2) snprintf(idx, sizeof idx, "[%zu][%zu]", t / d, t % d);
                return gmoe_error_set(err, GMOE_EINVAL,
                                      "experts[%zu].%s%s: cannot write a non-finite value (%g)", j,
                                      f[i].key, idx, f[i].v[t]);
            }
        }
    }
    return GMOE_SUCCESS;
}

static int check_fit_out(const gmoe_fit_record *fit, gmoe_error *err)
{
    const struct {
        const char *key;
        unsigned long long v;
    } counts[] = {{"n", fit->n},
                  {"iterations", fit->iterations},
                  {"nparams", fit->nparams},
                  {"starts", fit->starts},
                  {"seed", fit->seed}};
    for (size_t i = 0; i < NELEM(counts); i++)
        if (counts[i].v > (unsigned long long)JSON_INT_MAX)
            return gmoe_error_set(err, GMOE_EINVAL, "fit.%s: %llu is too large for a JSON integer",
                                  counts[i].key, counts[i].v);
    const struct {
        const char *key;
        const char *s;
        size_t size;
    } strs[] = {{"status", fit->status, sizeof fit->status},
                {"stop", fit->stop, sizeof fit->stop},
                {"objective", fit->objective, sizeof fit->objective},
                {"se_method", fit->se_method, sizeof fit->se_method},
                {"se_reason", fit->se_reason, sizeof fit->se_reason}};
    for (size_t i = 0; i < NELEM(strs); i++)
        for (size_t t = 0; t < strs[i].size && strs[i].s[t]; t++)
            if (strs[i].s[t] < 0x20 || strs[i].s[t] > 0x7e)
                return gmoe_error_set(err, GMOE_EINVAL, "fit.%s: cannot write: not printable ASCII",
                                      strs[i].key);
    return GMOE_SUCCESS;
}

static json_t *real_array(const double *v, size_t n)
{
    json_t *arr = json_array();
    for (size_t t = 0; arr && t < n; t++)
        if (json_array_append_new(arr, json_real(v[t])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    return arr;
}

static json_t *matrix(const double *v, size_t d)
{
    json_t *arr = json_array();
    for (size_t s = 0; arr && s < d; s++)
        if (json_array_append_new(arr, real_array(v + s * d, d)) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    return arr;
}

/* Non-finite statistics (the log-likelihood of a collapsed fit) become null; so do the
 * standard errors of parameters the canonical form fixes (NaN). */
static json_t *real_or_null(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* n standard errors: null when none is defined (a vector the canonical form fixes). */
static json_t *se_array(const double *v, size_t n)
{
    size_t defined = 0;
    for (size_t t = 0; t < n; t++)
        defined += isfinite(v[t]) != 0;
    if (!defined) return json_null();
    json_t *arr = json_array();
    for (size_t t = 0; arr && t < n; t++)
        if (json_array_append_new(arr, real_or_null(v[t])) != 0) {
            json_decref(arr);
            arr = NULL;
        }
    return arr;
}

/* Expert j's "se" object (gmoe_fit_record), null when there are no standard errors. */
static json_t *se_json(const gmoe_model *m, size_t j, const gmoe_se *se)
{
    if (!se || gmoe_se_reason(se)) return json_null();
    size_t d = m->d;
    double *v = malloc((3 * d + d * d + 4) * sizeof(double));
    json_t *e = json_object();
    if (!v || !e) {
        free(v);
        json_decref(e);
        return NULL;
    }
    double *b1 = v + 4, *a = b1 + d, *c = a + d, *G = c + d; /* v: beta0, b, var, pi */
    gmoe_se_get_expert(se, j, v, b1, a, v + 1, v + 2);
    int bad = 0;
    if (m->gate == GMOE_GATE_GAUSSIAN) {
        gmoe_se_get_gauss(se, j, v + 3, c, G);
        bad |= json_object_set_new(e, "pi", real_or_null(v[3]));
        bad |= json_object_set_new(e, "c", se_array(c, d));
        json_t *rows = json_array();
        for (size_t s = 0; rows && s < d; s++)
            bad |= json_array_append_new(rows, se_array(G + s * d, d));
        bad |= json_object_set_new(e, "Gamma", rows);
    } else {
        bad |= json_object_set_new(e, "beta0", real_or_null(v[0]));
        bad |= json_object_set_new(e, "beta1", se_array(b1, d));
    }
    bad |= json_object_set_new(e, "a", se_array(a, d));
    bad |= json_object_set_new(e, "b", real_or_null(v[1]));
    bad |= json_object_set_new(e, "var", real_or_null(v[2]));
    free(v);
    if (bad) {
        json_decref(e);
        return NULL;
    }
    return e;
}

/* json_object_set_new takes the value even when it fails, and fails on a NULL value, so a
 * whole object can be built with one failure check at the end. */
static json_t *expert_json(const gmoe_model *m, size_t j, int beta, const gmoe_fit_record *fit)
{
    size_t d = m->d;
    json_t *e = json_object();
    if (!e) return NULL;
    int bad = 0;
    if (beta) {
        bad |= json_object_set_new(e, "beta0", json_real(m->beta0[j]));
        bad |= json_object_set_new(e, "beta1", real_array(m->beta1 + j * d, d));
    }
    if (m->gate == GMOE_GATE_GAUSSIAN) {
        bad |= json_object_set_new(e, "pi", json_real(m->pi[j]));
        bad |= json_object_set_new(e, "c", real_array(m->c + j * d, d));
        bad |= json_object_set_new(e, "Gamma", matrix(m->Gamma + j * d * d, d));
    }
    bad |= json_object_set_new(e, "a", real_array(m->a + j * d, d));
    bad |= json_object_set_new(e, "b", json_real(m->b[j]));
    bad |= json_object_set_new(e, "var", json_real(m->var[j]));
    if (fit && fit->se_method[0]) bad |= json_object_set_new(e, "se", se_json(m, j, fit->se));
    if (bad) {
        json_decref(e);
        return NULL;
    }
    return e;
}

/* The fit object's standard-error keys (gmoe_fit_record). */
static int se_fit_json(json_t *o, const gmoe_fit_record *f, const gmoe_model *m)
{
    int bad = json_object_set_new(o, "se_method", json_string(f->se_method));
    const gmoe_se *se = f->se;
    if (!strcmp(f->se_method, "bootstrap")) {
        bad |= json_object_set_new(o, "bootstrap_b", json_integer((json_int_t)f->bootstrap_b));
        bad |= json_object_set_new(o, "bootstrap_failed",
                                   json_integer((json_int_t)f->bootstrap_failed));
    }
    if (!se || gmoe_se_reason(se)) {
        const char *why = f->se_reason[0] ? f->se_reason : se ? gmoe_se_reason(se) : "none";
        return bad | json_object_set_new(o, "se_reason", json_string(why));
    }
    size_t p = gmoe_se_nparams(se);
    const double *cov = gmoe_se_cov(se);
    if (isfinite(gmoe_se_get_tau(se)))
        bad |= json_object_set_new(o, "se_tau", json_real(gmoe_se_get_tau(se)));
    json_t *names = json_array(), *rows = json_array();
    char name[96];
    for (size_t q = 0; names && rows && q < p; q++) {
        gmoe_infer_param_name(m, gmoe_se_tau_free(se), q, name, sizeof name);
        bad |= json_array_append_new(names, json_string(name));
        bad |= json_array_append_new(rows, real_array(cov + q * p, p));
    }
    bad |= json_object_set_new(o, "se_params", names);
    bad |= json_object_set_new(o, "se_cov", rows);
    return bad;
}

static json_t *fit_json(const gmoe_fit_record *f, const gmoe_model *m)
{
    json_t *o = json_object();
    if (!o) return NULL;
    int bad = 0;
    bad |= json_object_set_new(o, "loglik", real_or_null(f->loglik));
    if (f->objective[0]) {
        bad |= json_object_set_new(
            o, "objective", json_stringn(f->objective, strnlen(f->objective, sizeof f->objective)));
        bad |= json_object_set_new(o, "loglik_joint", real_or_null(f->loglik_joint));
    }
    if (f->has_interior)
        bad |= json_object_set_new(o, "loglik_interior", real_or_null(f->loglik_interior));
    if (f->prefer[0]) {
        bad |= json_object_set_new(o, "prefer",
                                   json_stringn(f->prefer, strnlen(f->prefer, sizeof f->prefer)));
        bad |= json_object_set_new(o, "loglik_best", real_or_null(f->loglik_best));
    }
    bad |= json_object_set_new(o, "n", json_integer((json_int_t)f->n));
    bad |= json_object_set_new(o, "iterations", json_integer((json_int_t)f->iterations));
    bad |= json_object_set_new(o, "status",
                               json_stringn(f->status, strnlen(f->status, sizeof f->status)));
    bad |= json_object_set_new(o, "stop", json_stringn(f->stop, strnlen(f->stop, sizeof f->stop)));
    bad |= json_object_set_new(o, "aic", real_or_null(f->aic));
    bad |= json_object_set_new(o, "bic", real_or_null(f->bic));
    bad |= json_object_set_new(o, "seconds", real_or_null(f->seconds));
    bad |= json_object_set_new(o, "nparams", json_integer((json_int_t)f->nparams));
    bad |= json_object_set_new(o, "starts", json_integer((json_int_t)f->starts));
    bad |= json_object_set_new(o, "seed", json_integer((json_int_t)f->seed));
    if (f->gate_bound > 0 && isfinite(f->gate_bound)) {
        bad |= json_object_set_new(o, "gate_bound", json_real(f->gate_bound));
        bad |= json_object_set_new(o, "bound_active", json_integer((json_int_t)f->bound_active));
    }
    if (f->se_method[0]) bad |= se_fit_json(o, f, m);
    bad |= json_object_set_new(o, "gmoe_version", json_string(gmoe_version()));
    if (bad) {
        json_decref(o);
        return NULL;
    }
    return o;
}

/* Keys in the order of FORMATS.md (jansson keeps insertion order). */
static json_t *model_json(const gmoe_model *m, const gmoe_fit_record *fit, int beta,
                          const gmoe_model_names *names, gmoe_error *err)
{
    json_t *root = json_object(), *experts = json_array();
    if (!root || !experts) {
        json_decref(root);
        json_decref(experts);
        gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
        return NULL;
    }
    int bad = 0;
    bad |= json_object_set_new(root, "gmoe_model", json_integer(GMOE__MODEL_FORMAT));
    bad |= json_object_set_new(root, "gate", json_string(gmoe_gate_name(m->gate)));
    if (m->gate == GMOE_GATE_TOPK) {
        bad |= json_object_set_new(root, "topk", json_integer((json_int_t)m->topk));
        bad |= json_object_set_new(root, "topk_select",
                                   json_string(gmoe_topk_select_name(m->topk_select)));
    }
    if (has_tau(m->gate)) bad |= json_object_set_new(root, "tau", json_real(m->tau));
    if (m->gate == GMOE_GATE_ACTIVATION)
        bad |= json_object_set_new(root, "activation", json_string(gmoe_act_name(m->act)));
    for (size_t j = 0; j < m->k; j++)
        bad |= json_array_append_new(experts, expert_json(m, j, beta, fit));
    bad |= json_object_set_new(root, "experts", experts);
    if (bad) gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    if (!bad && names && gmoe__names_write(root, names, m->d, err)) bad = 1;
    if (!bad && fit && json_object_set_new(root, "fit", fit_json(fit, m))) {
        gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
        bad = 1;
    }
    if (bad) {
        json_decref(root);
        return NULL;
    }
    return root;
}

typedef struct strbuf {
    char *p;
    size_t len, cap;
    int nomem;
} strbuf;

static void sb_puts(strbuf *sb, const char *s)
{
    size_t n = strlen(s);
    if (sb->nomem) return;
    if (sb->len + n + 1 > sb->cap) {
        size_t cap = sb->cap ? sb->cap : 1024;
        while (cap < sb->len + n + 1)
            cap *= 2;
        char *p = realloc(sb->p, cap);
        if (!p) {
            sb->nomem = 1;
            return;
        }
        sb->p = p;
        sb->cap = cap;
    }
    memcpy(sb->p + sb->len, s, n + 1);
    sb->len += n;
}

/* One value on one line, numbers with 17 significant digits so that reading it back gives
 * the same double. */
static void sb_value(strbuf *sb, const json_t *v)
{
    char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_REAL_PRECISION(17));
    if (!s) {
        sb->nomem = 1;
        return;
    }
    sb_puts(sb, s);
    free(s);
}

static void sb_key(strbuf *sb, const char *indent, const char *key)
{
    sb_puts(sb, indent);
    sb_puts(sb, "\"");
    sb_puts(sb, key); /* our own keys: nothing to escape */
    sb_puts(sb, "\": ");
}

/* The top-level members one per line, and the members of "experts" and "fit" one per line
 * below them: each expert is one row, and a diff of two fits shows which expert moved. */
static void layout(strbuf *sb, json_t *root)
{
    const char *key;
    json_t *v;
    size_t i = 0;
    sb_puts(sb, "{\n");
    json_object_foreach(root, key, v)
    {
        sb_key(sb, "  ", key);
        if (json_is_array(v) && json_array_size(v) > 0) {
            sb_puts(sb, "[\n");
            for (size_t t = 0; t < json_array_size(v); t++) {
                sb_puts(sb, "    ");
                sb_value(sb, json_array_get(v, t));
                sb_puts(sb, t + 1 < json_array_size(v) ? ",\n" : "\n");
            }
            sb_puts(sb, "  ]");
        } else if (json_is_object(v) && json_object_size(v) > 0) {
            const char *k2;
            json_t *v2;
            size_t t = 0;
            sb_puts(sb, "{\n");
            json_object_foreach(v, k2, v2)
            {
                sb_key(sb, "    ", k2);
                sb_value(sb, v2);
                sb_puts(sb, ++t < json_object_size(v) ? ",\n" : "\n");
            }
            sb_puts(sb, "  }");
        } else {
            sb_value(sb, v);
        }
        sb_puts(sb, ++i < json_object_size(root) ? ",\n" : "\n");
    }
    sb_puts(sb, "}\n");
}

int gmoe_model_dumps(const gmoe_model *m, const gmoe_fit_record *fit, char **text, gmoe_error *err)
{
    return gmoe_model_dumps_names(m, fit, NULL, text, err);
}

int gmoe_model_dumps_names(const gmoe_model *m, const gmoe_fit_record *fit,
                           const gmoe_model_names *names, char **text, gmoe_error *err)
{
    *text = NULL;
    int beta = writes_beta(m);
    int rc = check_model_out(m, beta, err);
    if (!rc && fit) rc = check_fit_out(fit, err);
    if (rc) return rc;
    json_t *root = model_json(m, fit, beta, names, err);
    if (!root) return err->code;
    strbuf sb = {NULL, 0, 0, 0};
    layout(&sb, root);
    json_decref(root);
    if (sb.nomem) {
        free(sb.p);
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    }
    *text = sb.p;
    return GMOE_SUCCESS;
}

int gmoe_model_write(const char *path, const gmoe_model *m, const gmoe_fit_record *fit,
                     gmoe_error *err)
{
    return gmoe_model_write_names(path, m, fit, NULL, err);
}

int gmoe_model_write_names(const char *path, const gmoe_model *m, const gmoe_fit_record *fit,
                           const gmoe_model_names *names, gmoe_error *err)
{
    const char *name = strcmp(path, "-") == 0 ? "standard output" : path;
    char *text;
    gmoe_error derr;
    int rc = gmoe_model_dumps_names(m, fit, names, &text, &derr);
    if (rc) return gmoe_error_set(err, rc, "%s: %s", name, derr.msg);
    gmoe_outfile of;
    rc = gmoe_outfile_open(&of, path, err);
    if (!rc) {
        /* A failed fputs leaves the stream's error flag set, which commit reports. */
        fputs(text, of.fp);
        rc = gmoe_outfile_commit(&of, err);
    }
    free(text);
    return rc;
}
