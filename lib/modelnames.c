/* The names of a model's data columns (gmoe_model_names): built by gmoe fit from the header
 * of the data file, kept in the model file, and used to select and code new data the same
 * way. A factor is recorded with all its levels, the reference included, because the
 * indicator names alone ("g=b", "g=c") do not say which level they were measured against. */
#include <config.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "modelnames.h"

static char *dup_str(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    return p ? memcpy(p, s, n) : NULL;
}

void gmoe_model_names_free(gmoe_model_names *nm)
{
    if (!nm) return;
    free(nm->response);
    for (size_t t = 0; nm->covariates && t < nm->d; t++)
        free(nm->covariates[t]);
    free(nm->covariates);
    gmoe_csv_factors_free(nm->factors, nm->nfactors);
    free(nm);
}

gmoe_model_names *gmoe_model_names_alloc(const char *response, const char *const *covariates,
                                         size_t d, const gmoe_csv_factor *factors, size_t nfactors)
{
    gmoe_model_names *nm = calloc(1, sizeof *nm);
    if (!nm) return NULL;
    int ok = !response || (nm->response = dup_str(response));
    if (ok && d) {
        ok = (nm->covariates = calloc(d, sizeof *nm->covariates)) != NULL;
        if (ok) nm->d = d;
        for (size_t t = 0; ok && t < d; t++)
            ok = (nm->covariates[t] = dup_str(covariates[t])) != NULL;
    }
    if (ok && nfactors) {
        ok = (nm->factors = calloc(nfactors, sizeof *nm->factors)) != NULL;
        if (ok) nm->nfactors = nfactors;
        for (size_t j = 0; ok && j < nfactors; j++) {
            gmoe_csv_factor *f = &nm->factors[j];
            size_t nl = factors[j].nlevels;
            ok = (f->column = dup_str(factors[j].column)) &&
                 (f->levels = calloc(nl ? nl : 1, sizeof *f->levels));
            for (size_t i = 0; ok && i < nl; i++) {
                ok = (f->levels[i] = dup_str(factors[j].levels[i])) != NULL;
                f->nlevels = i + 1;
            }
        }
    }
    if (!ok) {
        gmoe_model_names_free(nm);
        return NULL;
    }
    return nm;
}

/* Whether covariates[t..] are f's indicator columns "column=level", levels 1.. in order. */
static int indicators_at(const gmoe_model_names *nm, size_t t, const gmoe_csv_factor *f)
{
    size_t len = strlen(f->column);
    if (t + f->nlevels - 1 > nm->d) return 0;
    for (size_t i = 1; i < f->nlevels; i++) {
        const char *c = nm->covariates[t + i - 1];
        if (strncmp(c, f->column, len) != 0 || c[len] != '=' ||
            strcmp(c + len + 1, f->levels[i]) != 0)
            return 0;
    }
    return 1;
}

/* Whether name is "column=level" for one of f's levels (the reference included). */
static int indicator_named(const char *name, const gmoe_csv_factor *f)
{
    size_t len = strlen(f->column);
    if (strncmp(name, f->column, len) != 0 || name[len] != '=') return 0;
    for (size_t i = 0; i < f->nlevels; i++)
        if (strcmp(name + len + 1, f->levels[i]) == 0) return 1;
    return 0;
}

int gmoe_model_names_columns(const gmoe_model_names *nm, const char ***columns, size_t *ncolumns,
                             gmoe_error *err)
{
    *columns = NULL;
    *ncolumns = 0;
    const char **cols = malloc((nm->d ? nm->d : 1) * sizeof *cols);
    char *used = calloc(nm->nfactors ? nm->nfactors : 1, 1);
    if (!cols || !used) {
        free(cols);
        free(used);
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    }
    size_t nc = 0, amb = SIZE_MAX, ambf = 0;
    int rc = GMOE_SUCCESS;
    for (size_t t = 0; t < nm->d;) {
        size_t j = 0;
        while (j < nm->nfactors && (used[j] || !indicators_at(nm, t, &nm->factors[j])))
            j++;
        if (j < nm->nfactors) {
            used[j] = 1;
            cols[nc++] = nm->factors[j].column;
            t += nm->factors[j].nlevels - 1;
            continue;
        }
        /* A numeric column named like an indicator would make the layout ambiguous. */
        for (size_t f = 0; amb == SIZE_MAX && f < nm->nfactors; f++)
            if (indicator_named(nm->covariates[t], &nm->factors[f])) {
                amb = t;
                ambf = f;
            }
        cols[nc++] = nm->covariates[t++];
    }
    for (size_t j = 0; !rc && j < nm->nfactors; j++) {
        const gmoe_csv_factor *f = &nm->factors[j];
        if (!used[j])
            rc = gmoe_error_set(err, GMOE_EINVAL,
                                "factors[%zu]: the covariates lack its indicator columns "
                                "%s=%s..%s=%s, in level order",
                                j, f->column, f->levels[1], f->column, f->levels[f->nlevels - 1]);
    }
    if (!rc && amb != SIZE_MAX)
        rc = gmoe_error_set(err, GMOE_EINVAL,
                            "covariates[%zu]: \"%s\" is named like an indicator column of factor "
                            "\"%s\"",
                            amb, nm->covariates[amb], nm->factors[ambf].column);
    /* A column that comes twice could not be selected from a data file. */
    for (size_t c = 0; !rc && c < nc; c++)
        for (size_t e = 0; !rc && e < c; e++)
            if (strcmp(cols[c], cols[e]) == 0)
                rc = gmoe_error_set(err, GMOE_EINVAL, "covariates: column \"%s\" comes twice",
                                    cols[c]);
    free(used);
    if (rc) {
        free(cols);
        return rc;
    }
    *columns = cols;
    *ncolumns = nc;
    return GMOE_SUCCESS;
}

/* ------------------------------------------------------------------ JSON */

const char *gmoe__json_kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT:
        return "an object";
    case JSON_ARRAY:
        return json_array_size(v) ? "an array" : "an empty array";
    case JSON_STRING:
        return "a string";
    case JSON_INTEGER:
    case JSON_REAL:
        return "a number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "a boolean";
    default:
        return "null";
    }
}

/* An array of strings (count: its length, or want when want > 0) as borrowed pointers. */
static int string_array(const json_t *v, const char *path, size_t want, const char ***out,
                        size_t *count, gmoe_error *err)
{
    if (!json_is_array(v) || (want && json_array_size(v) != want)) {
        if (want)
            return gmoe_error_set(
                err, GMOE_EPARSE, "%s: expected an array of %zu strings (got %s%s", path, want,
                gmoe__json_kind(v), json_is_array(v) ? " of another length)" : ")");
        return gmoe_error_set(err, GMOE_EPARSE, "%s: expected an array of strings (got %s)", path,
                              gmoe__json_kind(v));
    }
    size_t n = json_array_size(v);
    const char **s = malloc((n ? n : 1) * sizeof *s);
    if (!s) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *e = json_array_get(v, i);
        if (!json_is_string(e)) {
            free(s);
            return gmoe_error_set(err, GMOE_EPARSE, "%s[%zu]: expected a string (got %s)", path, i,
                                  gmoe__json_kind(e));
        }
        s[i] = json_string_value(e);
    }
    *out = s;
    *count = n;
    return GMOE_SUCCESS;
}

/* factors[j]: {"column": name, "levels": [...]}, the levels as gmoe_csv_read orders them. */
static int read_factor(const json_t *v, size_t j, gmoe_csv_factor *f, gmoe_error *err)
{
    char path[64];
    const char *key;
    json_t *m;
    if (!json_is_object(v))
        return gmoe_error_set(err, GMOE_EPARSE, "factors[%zu]: expected an object (got %s)", j,
                              gmoe__json_kind(v));
    json_object_foreach((json_t *)v, key, m)
    {
        if (strcmp(key, "column") != 0 && strcmp(key, "levels") != 0)
            return gmoe_error_set(err, GMOE_EPARSE, "factors[%zu].%.40s: unknown key", j, key);
    }
    const json_t *c = json_object_get(v, "column"), *l = json_object_get(v, "levels");
    if (!json_is_string(c))
        return gmoe_error_set(err, GMOE_EPARSE, "factors[%zu].column: %s", j,
                              c ? "expected a string" : "missing");
    if (!l) return gmoe_error_set(err, GMOE_EPARSE, "factors[%zu].levels: missing", j);
    snprintf(path, sizeof path, "factors[%zu].levels", j);
    const char **lv;
    size_t n;
    int rc = string_array(l, path, 0, &lv, &n, err);
    if (rc) return rc;
    if (n < 2) rc = gmoe_error_set(err, GMOE_EPARSE, "%s: needs at least 2 levels", path);
    for (size_t i = 1; !rc && i < n; i++)
        if (strcmp(lv[i - 1], lv[i]) >= 0)
            rc = gmoe_error_set(err, GMOE_EPARSE,
                                "%s: \"%.40s\" after \"%.40s\": levels must be distinct, in "
                                "bytewise order",
                                path, lv[i], lv[i - 1]);
    if (rc) {
        free(lv);
        return rc;
    }
    f->column = (char *)json_string_value(c);
    f->levels = (char **)lv; /* the strings borrowed from the JSON until copied */
    f->nlevels = n;
    return GMOE_SUCCESS;
}

int gmoe__names_read(const json_t *root, size_t d, gmoe_model_names **out, gmoe_error *err)
{
    const json_t *r = json_object_get(root, "response"), *c = json_object_get(root, "covariates"),
                 *fs = json_object_get(root, "factors");
    *out = NULL;
    if (!r && !c && !fs) return GMOE_SUCCESS;
    if (r && !json_is_string(r))
        return gmoe_error_set(err, GMOE_EPARSE, "response: expected a string (got %s)",
                              gmoe__json_kind(r));
    if (fs && !c)
        return gmoe_error_set(err, GMOE_EPARSE, "factors: needs covariates, the names they code");
    if (fs && !json_is_array(fs))
        return gmoe_error_set(err, GMOE_EPARSE, "factors: expected an array of objects (got %s)",
                              gmoe__json_kind(fs));
    const char **cov = NULL;
    size_t nc = 0, nf = fs ? json_array_size(fs) : 0;
    gmoe_csv_factor *f = calloc(nf ? nf : 1, sizeof *f);
    int rc = f ? GMOE_SUCCESS : gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    if (!rc && c) rc = string_array(c, "covariates", d, &cov, &nc, err);
    for (size_t j = 0; !rc && j < nf; j++)
        rc = read_factor(json_array_get(fs, j), j, &f[j], err);
    for (size_t j = 0; !rc && j < nf; j++)
        for (size_t i = 0; !rc && i < j; i++)
            if (strcmp(f[i].column, f[j].column) == 0)
                rc = gmoe_error_set(err, GMOE_EPARSE, "factors[%zu].column: \"%.40s\" comes twice",
                                    j, f[j].column);
    gmoe_model_names *nm = NULL;
    if (!rc && !(nm = gmoe_model_names_alloc(r ? json_string_value(r) : NULL, cov, nc, f, nf)))
        rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    const char **cols = NULL;
    size_t ncols;
    if (!rc && nf) rc = gmoe_model_names_columns(nm, &cols, &ncols, err);
    if (rc == GMOE_EINVAL) err->code = rc = GMOE_EPARSE; /* a problem of the file's content */
    free(cols);
    for (size_t j = 0; j < nf; j++)
        free(f[j].levels); /* the arrays only: the strings belong to the JSON */
    free(f);
    free(cov);
    if (rc) {
        gmoe_model_names_free(nm);
        return rc;
    }
    *out = nm;
    return GMOE_SUCCESS;
}

/* JSON holds UTF-8 text only: a name in another encoding is refused rather than mangled. */
static int utf8_check(char *const *s, size_t n, const char *path, gmoe_error *err)
{
    for (size_t i = 0; i < n; i++) {
        json_t *v = json_string(s[i]);
        if (!v)
            return gmoe_error_set(err, GMOE_EINVAL,
                                  "%s[%zu]: not valid UTF-8 (a JSON file holds UTF-8 text)", path,
                                  i);
        json_decref(v);
    }
    return GMOE_SUCCESS;
}

static json_t *strings_json(char *const *s, size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < n; i++)
        if (json_array_append_new(a, json_string(s[i]))) {
            json_decref(a);
            return NULL;
        }
    return a;
}

int gmoe__names_write(json_t *root, const gmoe_model_names *nm, size_t d, gmoe_error *err)
{
    if (nm->d && nm->d != d)
        return gmoe_error_set(err, GMOE_EINVAL,
                              "covariates: %zu names for a model of d = %zu covariates", nm->d, d);
    if (nm->nfactors && !nm->d)
        return gmoe_error_set(err, GMOE_EINVAL, "factors: needs covariates, the names they code");
    /* The checks the reader makes, so that a file written is one that reads back. */
    for (size_t j = 0; j < nm->nfactors; j++) {
        const gmoe_csv_factor *f = &nm->factors[j];
        int ok = f->nlevels >= 2;
        for (size_t i = 1; ok && i < f->nlevels; i++)
            ok = strcmp(f->levels[i - 1], f->levels[i]) < 0;
        if (!ok)
            return gmoe_error_set(err, GMOE_EINVAL,
                                  "factors[%zu].levels: levels must be at least 2, distinct, in "
                                  "bytewise order",
                                  j);
    }
    const char **cols = NULL;
    size_t ncols;
    int rc = nm->nfactors ? gmoe_model_names_columns(nm, &cols, &ncols, err) : GMOE_SUCCESS;
    free(cols);
    char path[64];
    if (!rc && nm->response) rc = utf8_check(&nm->response, 1, "response", err);
    if (!rc) rc = utf8_check(nm->covariates, nm->d, "covariates", err);
    for (size_t j = 0; !rc && j < nm->nfactors; j++) {
        snprintf(path, sizeof path, "factors[%zu].levels", j);
        rc = utf8_check(nm->factors[j].levels, nm->factors[j].nlevels, path, err);
    }
    if (rc) return rc;
    int bad = 0;
    if (nm->response) bad |= json_object_set_new(root, "response", json_string(nm->response));
    if (nm->d) bad |= json_object_set_new(root, "covariates", strings_json(nm->covariates, nm->d));
    if (nm->nfactors) {
        json_t *fs = json_array();
        for (size_t j = 0; fs && j < nm->nfactors; j++) {
            const gmoe_csv_factor *f = &nm->factors[j];
            json_t *o = json_object();
            if (o) {
                bad |= json_object_set_new(o, "column", json_string(f->column));
                bad |= json_object_set_new(o, "levels", strings_json(f->levels, f->nlevels));
            }
            bad |= json_array_append_new(fs, o);
        }
        bad |= json_object_set_new(root, "factors", fs);
    }
    return bad ? gmoe_error_set(err, GMOE_ENOMEM, "out of memory") : GMOE_SUCCESS;
}
