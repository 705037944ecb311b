/* Model files (JSON) read with jansson; the writer is in modelio_write.c. Each key is
 * checked here, in a fixed order, instead of leaving everything to gmoe_model_validate, so
 * that a message points at the JSON path the user typed ("experts[1].var") and the first
 * error reported does not depend on the order of keys in the file. */
#include <config.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "internal.h"
#include "modelnames.h"

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define FORMAT_VERSION GMOE__MODEL_FORMAT
#define PATH_LEN 160

/* ------------------------------------------------------------------ messages */

typedef struct reader {
    const char *name; /* the file name messages start with */
    gmoe_error *err;
} reader;

static int fail(const reader *r, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int fail(const reader *r, int code, const char *fmt, ...)
{
    char msg[GMOE_ERRMSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return gmoe_error_set(r->err, code, "%s: %s", r->name, msg);
}

/* Text from the file (a key, a gate name, jansson's "near '...'") is quoted in messages;
 * control characters would break the one-line rule, and a runaway string would crowd out
 * the rest of the message. */
static const char *clean(const char *s, char *buf, size_t size)
{
    size_t i = 0;
    for (; s[i] && i + 1 < size; i++) {
        unsigned char ch = (unsigned char)s[i];
        buf[i] = ch < 0x20 || ch == 0x7f ? '?' : (char)ch;
    }
    buf[i] = '\0';
    if (s[i] && size > 4) memcpy(buf + size - 4, "...", 4);
    return buf;
}

/* ------------------------------------------------------------------ typed getters */

static int want_number(const reader *r, const json_t *v, const char *path, double *out)
{
    if (!json_is_number(v))
        return fail(r, GMOE_EPARSE, "%s: expected a number (got %s)", path, gmoe__json_kind(v));
    *out = json_number_value(v);
    return GMOE_SUCCESS;
}

static int want_positive(const reader *r, const json_t *v, const char *path, double *out)
{
    int rc = want_number(r, v, path, out);
    if (!rc && !(*out > 0)) rc = fail(r, GMOE_EPARSE, "%s: must be > 0 (got %g)", path, *out);
    return rc;
}

static int want_int(const reader *r, const json_t *v, const char *path, json_int_t *out)
{
    if (!json_is_integer(v))
        return fail(r, GMOE_EPARSE, "%s: expected an integer (got %s)", path,
                    json_is_real(v) ? "a real number" : gmoe__json_kind(v));
    *out = json_integer_value(v);
    return GMOE_SUCCESS;
}

static int want_string(const reader *r, const json_t *v, const char *path, const char **out)
{
    if (!json_is_string(v))
        return fail(r, GMOE_EPARSE, "%s: expected a string (got %s)", path, gmoe__json_kind(v));
    *out = json_string_value(v);
    return GMOE_SUCCESS;
}

static int want_numbers(const reader *r, const json_t *v, const char *path, size_t d, double *out)
{
    if (!json_is_array(v))
        return fail(r, GMOE_EPARSE, "%s: expected an array of %zu numbers (got %s)", path, d,
                    gmoe__json_kind(v));
    if (json_array_size(v) != d)
        return fail(r, GMOE_EPARSE,
                    "%s: d mismatch: expected an array of %zu numbers (got an array of %zu)", path,
                    d, json_array_size(v));
    for (size_t t = 0; t < d; t++) {
        const json_t *e = json_array_get(v, t);
        if (!json_is_number(e))
            return fail(r, GMOE_EPARSE, "%s[%zu]: expected a number (got %s)", path, t,
                        gmoe__json_kind(e));
        out[t] = json_number_value(e);
    }
    return GMOE_SUCCESS;
}

/* A d*d matrix as d rows, stored row-major. */
static int want_matrix(const reader *r, const json_t *v, const char *path, size_t d, double *out)
{
    if (!json_is_array(v))
        return fail(r, GMOE_EPARSE, "%s: expected an array of %zu arrays of %zu numbers (got %s)",
                    path, d, d, gmoe__json_kind(v));
    if (json_array_size(v) != d)
        return fail(r, GMOE_EPARSE,
                    "%s: d mismatch: expected an array of %zu arrays of %zu numbers (got an "
                    "array of %zu)",
                    path, d, d, json_array_size(v));
    for (size_t s = 0; s < d; s++) {
        char row[PATH_LEN + 24];
        snprintf(row, sizeof row, "%s[%zu]", path, s);
        int rc = want_numbers(r, json_array_get(v, s), row, d, out + s * d);
        if (rc) return rc;
    }
    return GMOE_SUCCESS;
}

static int is_one_of(const char *key, const char *const *list, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(key, list[i]) == 0) return 1;
    return 0;
}

/* ------------------------------------------------------------------ top level */

#define GATE_BIT(g) (1u << (g))

/* Family keys and the gates they belong to. */
static const struct family_key {
    const char *key;
    unsigned gates;
} family_keys[] = {
    {"topk", GATE_BIT(GMOE_GATE_TOPK)},
    {"topk_select", GATE_BIT(GMOE_GATE_TOPK)},
    {"tau", GATE_BIT(GMOE_GATE_TEMPERATURE) | GATE_BIT(GMOE_GATE_ACTIVATION)},
    {"activation", GATE_BIT(GMOE_GATE_ACTIVATION)},
};

static const char *const core_keys[] = {"gmoe_model", "gate",       "experts", "fit",
                                        "response",   "covariates", "factors"};
/* Informational keys that people and other tools attach; kept out of the model. */
static const char *const note_keys[] = {"comment", "source", "name"};

static int read_version(const reader *r, const json_t *root)
{
    const json_t *v = json_object_get(root, "gmoe_model");
    if (!v) return fail(r, GMOE_EPARSE, "gmoe_model: missing (not a gmoe model file?)");
    json_int_t version = 0;
    int rc = want_int(r, v, "gmoe_model", &version);
    if (!rc && version != FORMAT_VERSION)
        rc = fail(r, GMOE_EPARSE,
                  "gmoe_model: unsupported format version %" JSON_INTEGER_FORMAT
                  " (this gmoe reads version %d)",
                  version, FORMAT_VERSION);
    return rc;
}

static int read_gate(const reader *r, const json_t *root, gmoe_gate *gate)
{
    const json_t *v = json_object_get(root, "gate");
    if (!v) return fail(r, GMOE_EPARSE, "gate: missing");
    const char *name = NULL;
    int rc = want_string(r, v, "gate", &name);
    if (rc) return rc;
    if (gmoe_gate_parse(name, gate) != GMOE_SUCCESS) {
        char buf[48];
        return fail(r, GMOE_EPARSE, "gate: unknown gate \"%s\"", clean(name, buf, sizeof buf));
    }
    return GMOE_SUCCESS;
}

/* Every top-level key must be known, so that a typo ("topk_selct") is reported rather than
 * silently replaced by a default. */
static int check_top_keys(const reader *r, json_t *root, gmoe_gate gate)
{
    const char *key;
    json_t *v;
    json_object_foreach(root, key, v)
    {
        char buf[48];
        if (is_one_of(key, core_keys, NELEM(core_keys)) || strcmp(key, "meta") == 0) continue;
        if (is_one_of(key, note_keys, NELEM(note_keys))) {
            const char *s;
            int rc = want_string(r, v, key, &s);
            if (rc) return rc;
            continue;
        }
        const struct family_key *fk = NULL;
        for (size_t i = 0; i < NELEM(family_keys); i++)
            if (strcmp(key, family_keys[i].key) == 0) fk = &family_keys[i];
        if (!fk) return fail(r, GMOE_EPARSE, "%s: unknown key", clean(key, buf, sizeof buf));
        if (!(fk->gates & GATE_BIT(gate)))
            return fail(r, GMOE_EPARSE, "%s: not a parameter of the %s gate", key,
                        gmoe_gate_name(gate));
    }
    return GMOE_SUCCESS;
}

static int read_family(const reader *r, const json_t *root, gmoe_model *m)
{
    const char *gname = gmoe_gate_name(m->gate);
    const json_t *v;
    const char *s = NULL;
    char buf[48];
    int rc = GMOE_SUCCESS;
    if (m->gate == GMOE_GATE_TOPK) {
        json_int_t K = 0;
        if (!(v = json_object_get(root, "topk")))
            return fail(r, GMOE_EPARSE, "topk: missing (required for the topk gate)");
        if ((rc = want_int(r, v, "topk", &K))) return rc;
        if (K < 1 || (unsigned long long)K > m->k)
            return fail(r, GMOE_EPARSE,
                        "topk: must be between 1 and k = %zu (got %" JSON_INTEGER_FORMAT ")", m->k,
                        K);
        gmoe_topk_select sel = GMOE_TOPK_SLOPE;
        if ((v = json_object_get(root, "topk_select"))) {
            if ((rc = want_string(r, v, "topk_select", &s))) return rc;
            if (gmoe_topk_select_parse(s, &sel) != GMOE_SUCCESS)
                return fail(r, GMOE_EPARSE, "topk_select: unknown selection rule \"%s\"",
                            clean(s, buf, sizeof buf));
        }
        gmoe_model_set_topk(m, (size_t)K, sel);
    }
    if (m->gate == GMOE_GATE_TEMPERATURE || m->gate == GMOE_GATE_ACTIVATION) {
        if (!(v = json_object_get(root, "tau")))
            return fail(r, GMOE_EPARSE, "tau: missing (required for the %s gate)", gname);
        if ((rc = want_positive(r, v, "tau", &m->tau))) return rc;
    }
    if (m->gate == GMOE_GATE_ACTIVATION) {
        if (!(v = json_object_get(root, "activation")))
            return fail(r, GMOE_EPARSE, "activation: missing (required for the %s gate)", gname);
        if ((rc = want_string(r, v, "activation", &s))) return rc;
        if (gmoe_act_parse(s, &m->act) != GMOE_SUCCESS)
            return fail(r, GMOE_EPARSE, "activation: unknown activation \"%s\"",
                        clean(s, buf, sizeof buf));
    }
    return rc;
}

/* ------------------------------------------------------------------ experts */

/* "se" holds a fitted model's standard errors (gmoe_fit_record); reading ignores them. */
static const char *const expert_keys[] = {"beta0", "beta1", "a", "b", "var", "sd", "se"};
static const char *const gauss_keys[] = {"pi", "c", "Gamma"};

/* k and d, from the shape of "experts". d is the length of the first expert's beta1 (c for
 * the Gaussian gate, whose beta1 is optional); when that is not an array, its a gives d, so
 * that the message can say how long the bad array should be. */
static int experts_shape(const reader *r, const json_t *root, gmoe_gate gate,
                         const json_t **experts, size_t *k, size_t *d)
{
    const json_t *ex = json_object_get(root, "experts");
    if (!ex) return fail(r, GMOE_EPARSE, "experts: missing");
    if (!json_is_array(ex) || json_array_size(ex) == 0)
        return fail(r, GMOE_EPARSE, "experts: expected a non-empty array of objects (got %s)",
                    gmoe__json_kind(ex));
    for (size_t j = 0; j < json_array_size(ex); j++)
        if (!json_is_object(json_array_get(ex, j)))
            return fail(r, GMOE_EPARSE, "experts[%zu]: expected an object (got %s)", j,
                        gmoe__json_kind(json_array_get(ex, j)));
    const json_t *first = json_array_get(ex, 0);
    const char *dim_key = gate == GMOE_GATE_GAUSSIAN ? "c" : "beta1";
    const char *keys[2] = {dim_key, "a"};
    for (size_t i = 0; i < 2; i++) {
        const json_t *v = json_object_get(first, keys[i]);
        if (!json_is_array(v)) continue;
        if (json_array_size(v) == 0)
            return fail(r, GMOE_EPARSE,
                        "experts[0].%s: expected a non-empty array of numbers (got an empty "
                        "array)",
                        keys[i]);
        *experts = ex;
        *k = json_array_size(ex);
        *d = json_array_size(v);
        return GMOE_SUCCESS;
    }
    const json_t *v = json_object_get(first, dim_key);
    if (!v) return fail(r, GMOE_EPARSE, "experts[0].%s: missing", dim_key);
    return fail(r, GMOE_EPARSE, "experts[0].%s: expected an array of numbers (got %s)", dim_key,
                gmoe__json_kind(v));
}

/* Looks up key in expert j and leaves its path in path[PATH_LEN]. */
static json_t *field(json_t *e, size_t j, const char *key, char *path)
{
    snprintf(path, PATH_LEN, "experts[%zu].%s", j, key);
    return json_object_get(e, key);
}

static int read_variance(const reader *r, json_t *e, size_t j, double *var)
{
    char path[PATH_LEN];
    json_t *v = field(e, j, "var", path), *sd = json_object_get(e, "sd");
    if (v && sd) return fail(r, GMOE_EPARSE, "experts[%zu]: give var or sd, not both", j);
    if (!v && !sd) return fail(r, GMOE_EPARSE, "%s: missing (or give sd)", path);
    if (v) return want_positive(r, v, path, var);
    double s;
    field(e, j, "sd", path);
    int rc = want_positive(r, sd, path, &s);
    if (rc) return rc;
    *var = s * s;
    if (!(*var > 0) || !isfinite(*var))
        return fail(r, GMOE_EPARSE, "%s: sd^2 is not a usable variance (sd = %g)", path, s);
    return GMOE_SUCCESS;
}

static int read_expert(const reader *r, json_t *e, size_t j, gmoe_model *m)
{
    size_t d = m->d;
    int gauss = m->gate == GMOE_GATE_GAUSSIAN;
    char path[PATH_LEN], buf[48];
    const char *key;
    json_t *v;
    int rc;
    json_object_foreach(e, key, v)
    {
        if (is_one_of(key, expert_keys, NELEM(expert_keys))) continue;
        if (!is_one_of(key, gauss_keys, NELEM(gauss_keys)))
            return fail(r, GMOE_EPARSE, "experts[%zu].%s: unknown key", j,
                        clean(key, buf, sizeof buf));
        if (!gauss)
            return fail(r, GMOE_EPARSE, "experts[%zu].%s: not a parameter of the %s gate", j, key,
                        gmoe_gate_name(m->gate));
    }
    if (gauss) {
        if (!(v = field(e, j, "pi", path))) return fail(r, GMOE_EPARSE, "%s: missing", path);
        if ((rc = want_positive(r, v, path, &m->pi[j]))) return rc;
        if (!(v = field(e, j, "c", path))) return fail(r, GMOE_EPARSE, "%s: missing", path);
        if ((rc = want_numbers(r, v, path, d, m->c + j * d))) return rc;
        if (!(v = field(e, j, "Gamma", path))) return fail(r, GMOE_EPARSE, "%s: missing", path);
        if ((rc = want_matrix(r, v, path, d, m->Gamma + j * d * d))) return rc;
    }
    /* The Gaussian gate does not use beta0 and beta1; a file may still carry them. */
    if ((v = field(e, j, "beta0", path)) || !gauss) {
        if (!v) return fail(r, GMOE_EPARSE, "%s: missing", path);
        if ((rc = want_number(r, v, path, &m->beta0[j]))) return rc;
    }
    if ((v = field(e, j, "beta1", path)) || !gauss) {
        if (!v) return fail(r, GMOE_EPARSE, "%s: missing", path);
        if ((rc = want_numbers(r, v, path, d, m->beta1 + j * d))) return rc;
    }
    if (!(v = field(e, j, "a", path))) return fail(r, GMOE_EPARSE, "%s: missing", path);
    if ((rc = want_numbers(r, v, path, d, m->a + j * d))) return rc;
    if (!(v = field(e, j, "b", path))) return fail(r, GMOE_EPARSE, "%s: missing", path);
    if ((rc = want_number(r, v, path, &m->b[j]))) return rc;
    return read_variance(r, e, j, &m->var[j]);
}

/* ------------------------------------------------------------------ fit record */

static int read_count(const reader *r, const json_t *fit, const char *key, unsigned long long max,
                      unsigned long long *out)
{
    const json_t *v = json_object_get(fit, key);
    if (!v) return GMOE_SUCCESS;
    char path[PATH_LEN];
    snprintf(path, sizeof path, "fit.%s", key);
    json_int_t x = 0;
    int rc = want_int(r, v, path, &x);
    if (!rc && x < 0)
        rc = fail(r, GMOE_EPARSE, "%s: must be >= 0 (got %" JSON_INTEGER_FORMAT ")", path, x);
    if (!rc && (unsigned long long)x > max)
        rc = fail(r, GMOE_EPARSE, "%s: too large (got %" JSON_INTEGER_FORMAT ")", path, x);
    if (!rc) *out = (unsigned long long)x;
    return rc;
}

/* gate_bound (a number > 0) and bound_active of a bounded fit. */
static int read_bound(const reader *r, const json_t *fit, gmoe_fit_record *rec)
{
    const json_t *x = json_object_get(fit, "gate_bound");
    int rc;
    if (x && (rc = want_number(r, x, "fit.gate_bound", &rec->gate_bound))) return rc;
    if (x && !(rec->gate_bound > 0))
        return fail(r, GMOE_EPARSE, "fit.gate_bound: must be > 0 (got %g)", rec->gate_bound);
    unsigned long long active = 0;
    if ((rc = read_count(r, fit, "bound_active", SIZE_MAX, &active))) return rc;
    rec->bound_active = (size_t)active;
    return GMOE_SUCCESS;
}

static int read_fit(const reader *r, const json_t *v, gmoe_fit_record *fit)
{
    if (!json_is_object(v))
        return fail(r, GMOE_EPARSE, "fit: expected an object (got %s)", gmoe__json_kind(v));
    char path[PATH_LEN];
    int rc;
    /* JSON has no NaN or infinity: the writer stores a non-finite statistic (the
     * log-likelihood of a collapsed fit, say) as null. */
    const struct {
        const char *key;
        double *out;
    } reals[] = {{"loglik", &fit->loglik},
                 {"loglik_joint", &fit->loglik_joint},
                 {"aic", &fit->aic},
                 {"bic", &fit->bic},
                 {"seconds", &fit->seconds},
                 {"loglik_interior", &fit->loglik_interior},
                 {"loglik_best", &fit->loglik_best}};
    for (size_t i = 0; i < NELEM(reals); i++) {
        const json_t *x = json_object_get(v, reals[i].key);
        snprintf(path, sizeof path, "fit.%s", reals[i].key);
        if (json_is_null(x))
            *reals[i].out = NAN;
        else if (x && (rc = want_number(r, x, path, reals[i].out)))
            return rc;
    }
    const struct {
        const char *key;
        size_t *out;
    } counts[] = {{"n", &fit->n},
                  {"iterations", &fit->iterations},
                  {"nparams", &fit->nparams},
                  {"starts", &fit->starts},
                  {"bootstrap_b", &fit->bootstrap_b},
                  {"bootstrap_failed", &fit->bootstrap_failed}};
    for (size_t i = 0; i < NELEM(counts); i++) {
        unsigned long long x = 0;
        if ((rc = read_count(r, v, counts[i].key, SIZE_MAX, &x))) return rc;
        *counts[i].out = (size_t)x;
    }
    unsigned long long seed = 0;
    if ((rc = read_count(r, v, "seed", ULONG_MAX, &seed))) return rc;
    fit->seed = (unsigned long)seed;
    if ((rc = read_bound(r, v, fit))) return rc;
    fit->has_interior = json_object_get(v, "loglik_interior") != NULL;
    const struct {
        const char *key;
        char *out;
        size_t size;
    } strs[] = {{"status", fit->status, sizeof fit->status},
                {"stop", fit->stop, sizeof fit->stop},
                {"objective", fit->objective, sizeof fit->objective},
                {"se_method", fit->se_method, sizeof fit->se_method},
                {"se_reason", fit->se_reason, sizeof fit->se_reason},
                {"prefer", fit->prefer, sizeof fit->prefer}};
    for (size_t i = 0; i < NELEM(strs); i++) {
        const json_t *x = json_object_get(v, strs[i].key);
        const char *s = NULL;
        if (!x) continue;
        snprintf(path, sizeof path, "fit.%s", strs[i].key);
        if ((rc = want_string(r, x, path, &s))) return rc;
        if (strlen(s) >= strs[i].size)
            return fail(r, GMOE_EPARSE, "%s: longer than %zu characters", path, strs[i].size - 1);
        memcpy(strs[i].out, s, strlen(s) + 1);
    }
    return GMOE_SUCCESS;
}

/* ------------------------------------------------------------------ reading */

static int read_root(const reader *r, json_t *root, gmoe_model **out, gmoe_fit_record *fit,
                     int *has_fit, gmoe_model_names **names)
{
    if (!json_is_object(root))
        return fail(r, GMOE_EPARSE, "expected a JSON object (got %s)", gmoe__json_kind(root));
    gmoe_gate gate = GMOE_GATE_SOFTMAX;
    const json_t *experts = NULL;
    size_t k = 0, d = 0;
    int rc = read_version(r, root);
    if (!rc) rc = read_gate(r, root, &gate);
    if (!rc) rc = check_top_keys(r, root, gate);
    if (!rc) rc = experts_shape(r, root, gate, &experts, &k, &d);
    if (rc) return rc;
    gmoe_model *m = gmoe_model_alloc(k, d, gate);
    if (!m) return fail(r, GMOE_ENOMEM, "out of memory (k = %zu, d = %zu)", k, d);
    rc = read_family(r, root, m);
    for (size_t j = 0; !rc && j < k; j++)
        rc = read_expert(r, json_array_get(experts, j), j, m);
    const json_t *f = json_object_get(root, "fit");
    if (!rc && f) {
        rc = read_fit(r, f, fit);
        *has_fit = 1;
    }
    /* The names are checked whoever reads the file, so that it is valid or not for all. */
    gmoe_error nerr;
    gmoe_model_names *nm = NULL;
    if (!rc && (rc = gmoe__names_read(root, d, &nm, &nerr))) rc = fail(r, rc, "%s", nerr.msg);
    if (names)
        *names = nm;
    else
        gmoe_model_names_free(nm);
    if (rc) {
        gmoe_model_free(m);
        return rc;
    }
    *out = m;
    return GMOE_SUCCESS;
}

static int parse_buffer(const char *text, size_t len, const char *name, gmoe_model **out,
                        gmoe_fit_record *fit, int *has_fit, gmoe_model_names **names,
                        gmoe_error *err)
{
    reader r = {name, err};
    gmoe_model_names *nm = NULL;
    if (names) *names = NULL;
    gmoe_fit_record rec;
    int got_fit = 0;
    memset(&rec, 0, sizeof rec);
    *out = NULL;
    if (fit) *fit = rec;
    if (has_fit) *has_fit = 0;

    /* Editors on some systems start UTF-8 files with a byte order mark; RFC 8259 lets a
     * parser skip it. */
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    size_t i = 0;
    while (i < len && text[i] && strchr(" \t\r\n", text[i]))
        i++;
    if (i == len) return fail(&r, GMOE_EPARSE, "empty file");

    json_error_t je;
    json_t *root = json_loadb(text, len, JSON_DECODE_ANY | JSON_REJECT_DUPLICATES, &je);
    if (!root) {
        char buf[sizeof je.text];
#if JANSSON_VERSION_HEX >= 0x020b00
        if (json_error_code(&je) == json_error_out_of_memory)
            return fail(&r, GMOE_ENOMEM, "out of memory");
#endif
        return fail(&r, GMOE_EPARSE, "line %d column %d: JSON syntax error: %s", je.line, je.column,
                    clean(je.text, buf, sizeof buf));
    }
    gmoe_model *m = NULL;
    int rc = read_root(&r, root, &m, &rec, &got_fit, &nm);
    json_decref(root);
    if (rc) return rc;

    /* Every check above is a JSON-level one; the model's own invariants (a symmetric
     * positive-definite Gamma) are checked once, where the rest of the library checks them. */
    gmoe_error verr;
    if (gmoe_model_validate(m, &verr) != GMOE_SUCCESS) {
        gmoe_model_free(m);
        gmoe_model_names_free(nm);
        return fail(&r, GMOE_EPARSE, "%s", verr.msg);
    }
    *out = m;
    if (names)
        *names = nm;
    else
        gmoe_model_names_free(nm);
    if (fit) *fit = rec;
    if (has_fit) *has_fit = got_fit;
    return GMOE_SUCCESS;
}

int gmoe_model_parse(const char *text, const char *name, gmoe_model **out, gmoe_fit_record *fit,
                     int *has_fit, gmoe_error *err)
{
    return parse_buffer(text, strlen(text), name, out, fit, has_fit, NULL, err);
}

int gmoe_model_parse_names(const char *text, const char *name, gmoe_model **out,
                           gmoe_fit_record *fit, int *has_fit, gmoe_model_names **names,
                           gmoe_error *err)
{
    return parse_buffer(text, strlen(text), name, out, fit, has_fit, names, err);
}

/* The whole stream into a malloc'ed buffer. Returns 0, or an errno value. */
static int slurp(FILE *fp, char **text, size_t *len)
{
    size_t cap = 4096, n = 0;
    char *buf = malloc(cap);
    if (!buf) return ENOMEM;
    for (;;) {
        n += fread(buf + n, 1, cap - n, fp);
        if (ferror(fp)) {
            int e = errno ? errno : EIO;
            free(buf);
            return e;
        }
        if (feof(fp)) break;
        if (n == cap) {
            char *bigger = cap <= SIZE_MAX / 2 ? realloc(buf, cap * 2) : NULL;
            if (!bigger) {
                free(buf);
                return ENOMEM;
            }
            buf = bigger;
            cap *= 2;
        }
    }
    *text = buf;
    *len = n;
    return 0;
}

int gmoe_model_read(const char *path, gmoe_model **out, gmoe_fit_record *fit, int *has_fit,
                    gmoe_error *err)
{
    return gmoe_model_read_names(path, out, fit, has_fit, NULL, err);
}

int gmoe_model_read_names(const char *path, gmoe_model **out, gmoe_fit_record *fit, int *has_fit,
                          gmoe_model_names **names, gmoe_error *err)
{
    int from_stdin = strcmp(path, "-") == 0;
    const char *name = from_stdin ? "standard input" : path;
    *out = NULL;
    if (has_fit) *has_fit = 0;
    if (names) *names = NULL;
    if (fit) memset(fit, 0, sizeof *fit);
    FILE *fp = from_stdin ? stdin : fopen(path, "rb");
    if (!fp) return gmoe_error_set(err, GMOE_EIO, "%s: cannot open: %s", name, strerror(errno));
    char *text = NULL;
    size_t len = 0;
    errno = 0;
    int e = slurp(fp, &text, &len);
    if (!from_stdin) fclose(fp);
    if (e == ENOMEM) return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", name);
    if (e) return gmoe_error_set(err, GMOE_EIO, "%s: cannot read: %s", name, strerror(e));
    int rc = parse_buffer(text, len, name, out, fit, has_fit, names, err);
    free(text);
    return rc;
}
