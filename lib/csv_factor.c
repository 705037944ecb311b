/* Categorical covariates in CSV files: the reader turns each field of a factor column into a
 * level id (a hash of the texts seen so far), and once every row is read the ids become
 * indicator columns, with the levels in bytewise order so that the coding depends only on the
 * set of levels, not on the order of the rows. */
#include <config.h>
#include <ctype.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "csv_factor.h"
#include "internal.h"

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 14695981039346656037u; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211u;
    return h;
}

static const char *level_text(const gmoe__csv_levels *lv, size_t i, size_t *n)
{
    *n = lv->off[i + 1] - lv->off[i];
    return lv->bytes + lv->off[i];
}

/* Double the hash table (or make the first one) and put every level back in it. */
static int rehash(gmoe__csv_levels *lv)
{
    size_t size = lv->htab ? 2 * (lv->hmask + 1) : 64;
    size_t *t = malloc(size * sizeof *t);
    if (!t) return GMOE_ENOMEM;
    for (size_t h = 0; h < size; h++)
        t[h] = SIZE_MAX;
    for (size_t i = 0; i < lv->n; i++) {
        size_t n;
        const char *s = level_text(lv, i, &n);
        size_t h = hash_bytes(s, n) & (size - 1);
        while (t[h] != SIZE_MAX)
            h = (h + 1) & (size - 1);
        t[h] = i;
    }
    free(lv->htab);
    lv->htab = t;
    lv->hmask = size - 1;
    return GMOE_SUCCESS;
}

static int reserve(void **p, size_t *cap, size_t need, size_t sz)
{
    if (need <= *cap) return 0;
    size_t c = *cap ? *cap : 64;
    while (c < need) {
        if (c > SIZE_MAX / 2 / sz) return GMOE_ENOMEM;
        c *= 2;
    }
    void *q = realloc(*p, c * sz);
    if (!q) return GMOE_ENOMEM;
    *p = q;
    *cap = c;
    return 0;
}

int gmoe__csv_levels_intern(gmoe__csv_levels *lv, const char *s, size_t n, size_t *id)
{
    if (!lv->htab && rehash(lv)) return GMOE_ENOMEM;
    size_t h = hash_bytes(s, n) & lv->hmask;
    for (; lv->htab[h] != SIZE_MAX; h = (h + 1) & lv->hmask) {
        size_t m;
        const char *t = level_text(lv, lv->htab[h], &m);
        if (m == n && memcmp(t, s, n) == 0) {
            *id = lv->htab[h];
            return GMOE_SUCCESS;
        }
    }
    if (reserve((void **)&lv->bytes, &lv->bytes_cap, lv->len + n, 1) ||
        reserve((void **)&lv->off, &lv->off_cap, lv->n + 2, sizeof *lv->off))
        return GMOE_ENOMEM;
    if (lv->n == 0) lv->off[0] = 0;
    if (n) memcpy(lv->bytes + lv->len, s, n);
    lv->len += n;
    lv->off[lv->n + 1] = lv->len;
    lv->htab[h] = lv->n;
    *id = lv->n++;
    /* Keep the table at most half full, so that probes stay short. */
    if (2 * lv->n > lv->hmask && rehash(lv)) return GMOE_ENOMEM;
    return GMOE_SUCCESS;
}

void gmoe__csv_levels_free(gmoe__csv_levels *lv)
{
    free(lv->bytes);
    free(lv->off);
    free(lv->htab);
    memset(lv, 0, sizeof *lv);
}

static const gmoe__csv_levels *sort_lv; /* qsort has no context argument */

static int level_cmp(const void *a, const void *b)
{
    size_t na, nb;
    const char *sa = level_text(sort_lv, *(const size_t *)a, &na);
    const char *sb = level_text(sort_lv, *(const size_t *)b, &nb);
    int c = memcmp(sa, sb, na < nb ? na : nb);
    return c ? c : (na > nb) - (na < nb);
}

/* rank[id] = position of level id in bytewise order, from order = the ids sorted. */
static size_t *level_ranks(const gmoe__csv_levels *lv, size_t **order)
{
    size_t *o = malloc((lv->n ? lv->n : 1) * sizeof *o),
           *rank = malloc((lv->n ? lv->n : 1) * sizeof *rank);
    if (!o || !rank) {
        free(o);
        free(rank);
        return NULL;
    }
    for (size_t i = 0; i < lv->n; i++)
        o[i] = i;
    sort_lv = lv;
    qsort(o, lv->n, sizeof *o, level_cmp);
    for (size_t i = 0; i < lv->n; i++)
        rank[o[i]] = i;
    *order = o;
    return rank;
}

/* Columns of the coded data: each numeric covariate one, each factor its levels less one. */
static size_t coded_width(const gmoe_data *data, const long *fac, const gmoe__csv_levels *lv)
{
    size_t w = 0;
    for (size_t t = 0; t < data->d; t++)
        w += fac[t] < 0 ? 1 : (lv[fac[t]].n ? lv[fac[t]].n - 1 : 0);
    return w;
}

/* The new names block: w pointers (+ y's), then the strings. */
static char **coded_names(char **names, size_t d, int has_y, size_t w, const long *fac,
                          const gmoe__csv_levels *lv, size_t **order)
{
    size_t bytes = (w + (size_t)has_y) * sizeof(char *);
    for (size_t t = 0; t < d + (size_t)has_y; t++) {
        size_t len = strlen(names[t]) + 1;
        if (t < d && fac[t] >= 0)
            bytes += (lv[fac[t]].n ? lv[fac[t]].n - 1 : 0) * (len + 1) + lv[fac[t]].len;
        else
            bytes += len;
    }
    char **v = malloc(bytes);
    if (!v) return NULL;
    char *p = (char *)(v + w + (size_t)has_y);
    size_t c = 0;
    for (size_t t = 0; t < d + (size_t)has_y; t++) {
        size_t len = strlen(names[t]);
        if (t < d && fac[t] >= 0) {
            const gmoe__csv_levels *l = &lv[fac[t]];
            for (size_t k = 1; k < l->n; k++) {
                size_t m;
                const char *s = level_text(l, order[fac[t]][k], &m);
                v[c++] = p;
                memcpy(p, names[t], len);
                p[len] = '=';
                memcpy(p + len + 1, s, m);
                p[len + 1 + m] = '\0';
                p += len + m + 2;
            }
        } else {
            v[c++] = memcpy(p, names[t], len + 1);
            p += len + 1;
        }
    }
    return v;
}

static void free_orders(size_t **order, size_t **rank, size_t nf)
{
    for (size_t j = 0; j < nf; j++) {
        free(order[j]);
        free(rank[j]);
    }
    free(order);
    free(rank);
}

int gmoe__csv_factor_code(gmoe_data *data, char ***names, const long *fac, gmoe__csv_levels *lv,
                          gmoe_error *err, const char *file)
{
    size_t nf = 0, n = data->n;
    for (size_t t = 0; t < data->d; t++)
        if (fac[t] >= 0 && (size_t)fac[t] + 1 > nf) nf = (size_t)fac[t] + 1;
    size_t **order = calloc(nf ? nf : 1, sizeof *order), **rank = calloc(nf ? nf : 1, sizeof *rank);
    size_t w = coded_width(data, fac, lv);
    double *x = NULL;
    char **v = NULL;
    int ok = order && rank && n <= SIZE_MAX / sizeof(double) / (w ? w : 1);
    for (size_t j = 0; ok && j < nf; j++)
        ok = (rank[j] = level_ranks(&lv[j], &order[j])) != NULL;
    if (ok) ok = (x = calloc(n * w > 0 ? n * w : 1, sizeof *x)) != NULL;
    if (ok && names)
        ok = (v = coded_names(*names, data->d, data->y != NULL, w, fac, lv, order)) != NULL;
    if (!ok) {
        free(x);
        if (order && rank)
            free_orders(order, rank, nf);
        else {
            free(order);
            free(rank);
        }
        return gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", file);
    }
    size_t c = 0;
    for (size_t t = 0; t < data->d; t++) {
        const double *col = data->x + t * n;
        if (fac[t] < 0) {
            memcpy(x + c * n, col, n * sizeof *x);
            c++;
            continue;
        }
        /* Level of rank r >= 1 sets column c + r - 1; the reference level (rank 0) none. */
        const size_t *rk = rank[fac[t]];
        for (size_t i = 0; i < n; i++) {
            size_t r = rk[(size_t)col[i]];
            if (r) x[(c + r - 1) * n + i] = 1;
        }
        c += lv[fac[t]].n ? lv[fac[t]].n - 1 : 0;
    }
    free_orders(order, rank, nf);
    free(data->x);
    data->x = x;
    data->d = w;
    if (names) {
        free(*names);
        *names = v;
    }
    return GMOE_SUCCESS;
}

/* Levels given to code by must be what a reader would have made: at least two, distinct and
 * in bytewise order, as the model file reader checks them too. */
static int check_given_levels(const gmoe_csv_factor *f)
{
    int ok = f->levels && f->nlevels >= 2;
    for (size_t i = 0; ok && i < f->nlevels; i++)
        ok = f->levels[i] && (i == 0 || strcmp(f->levels[i - 1], f->levels[i]) < 0);
    return ok;
}

/* The factors must be distinct covariates: named in x when x is given, never y. */
int gmoe__csv_check_factors(const char *name, const gmoe_csv_spec *spec, gmoe_error *err)
{
    const char *yname = spec->y ? spec->y : "y";
    for (size_t j = 0; j < spec->nfactors; j++) {
        const char *g = spec->factors[j];
        if (!g) return gmoe_error_set(err, GMOE_EINVAL, "%s: factor %zu has no name", name, j + 1);
        char shown[4 * CSV_SHOW + 8];
        gmoe__csv_show(shown, sizeof shown, g, strlen(g));
        int in_x = !spec->x;
        for (size_t t = 0; spec->x && t < spec->nx && !in_x; t++)
            in_x = spec->x[t] && strcmp(spec->x[t], g) == 0;
        if (!in_x || strcmp(g, yname) == 0)
            return gmoe_error_set(err, GMOE_EINVAL,
                                  "%s: factor column %s is not a selected covariate", name, shown);
        for (size_t u = 0; u < j; u++)
            if (spec->factors[u] && strcmp(spec->factors[u], g) == 0)
                return gmoe_error_set(err, GMOE_EINVAL, "%s: column %s named twice as a factor",
                                      name, shown);
        if (spec->levels && !check_given_levels(&spec->levels[j]))
            return gmoe_error_set(err, GMOE_EINVAL,
                                  "%s: factor column %s: the levels to code by must be at least "
                                  "two distinct texts in bytewise order",
                                  name, shown);
    }
    return GMOE_SUCCESS;
}

/* " (categorical? use --factor NAME)": the name as a shell word when it is a plain one. */
void gmoe__csv_factor_hint(const char *cn, const char *option, char *out, size_t outsz)
{
    char name[4 * CSV_SHOW + 8];
    int plain = strlen(cn) <= CSV_SHOW;
    for (const char *p = cn; *p && plain; p++)
        plain = isalnum((unsigned char)*p) || strchr("._-+:=/", *p);
    if (plain)
        snprintf(name, sizeof name, "%s", cn);
    else
        gmoe__csv_show(name, sizeof name, cn, strlen(cn));
    snprintf(out, outsz, " (categorical? use %s %s)", option, name);
}

int gmoe__csv_single_level(gmoe_error *err, const char *file, const char *column,
                           const gmoe__csv_levels *lv)
{
    char name[4 * CSV_SHOW + 8], level[4 * CSV_SHOW + 8];
    gmoe__csv_show(name, sizeof name, column, strlen(column));
    gmoe__csv_show(level, sizeof level, lv->bytes, lv->len);
    return gmoe_error_set(err, GMOE_EPARSE, "%s: factor column %s has a single level %s", file,
                          name, level);
}

void gmoe_csv_factors_free(gmoe_csv_factor *f, size_t n)
{
    for (size_t j = 0; f && j < n; j++) {
        for (size_t i = 0; f[j].levels && i < f[j].nlevels; i++)
            free(f[j].levels[i]);
        free(f[j].levels);
        free(f[j].column);
    }
    free(f);
}

int gmoe__csv_levels_preset(gmoe__csv_levels *lv, const gmoe_csv_factor *f)
{
    for (size_t i = 0; i < f->nlevels; i++) {
        size_t id;
        if (gmoe__csv_levels_intern(lv, f->levels[i], strlen(f->levels[i]), &id))
            return GMOE_ENOMEM;
    }
    return GMOE_SUCCESS;
}

static char *dup_bytes(const char *s, size_t n)
{
    char *p = malloc(n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

int gmoe__csv_levels_export(const gmoe__csv_levels *lv, const char *column, gmoe_csv_factor *out,
                            gmoe_error *err, const char *file)
{
    memset(out, 0, sizeof *out);
    size_t *order = NULL, *rank = level_ranks(lv, &order);
    int ok = rank && (out->column = dup_bytes(column, strlen(column))) &&
             (out->levels = calloc(lv->n ? lv->n : 1, sizeof *out->levels));
    for (size_t i = 0; ok && i < lv->n; i++) {
        size_t m;
        const char *s = level_text(lv, order[i], &m);
        if (memchr(s, '\0', m)) {
            char name[4 * CSV_SHOW + 8], level[4 * CSV_SHOW + 8];
            gmoe__csv_show(name, sizeof name, column, strlen(column));
            gmoe__csv_show(level, sizeof level, s, m);
            free(order);
            free(rank);
            return gmoe_error_set(err, GMOE_EPARSE,
                                  "%s: factor column %s: level %s holds a NUL byte, which "
                                  "cannot be recorded",
                                  file, name, level);
        }
        ok = (out->levels[i] = dup_bytes(s, m)) != NULL;
        out->nlevels = i + 1;
    }
    free(order);
    free(rank);
    return ok ? GMOE_SUCCESS : gmoe_error_set(err, GMOE_ENOMEM, "%s: out of memory", file);
}

int gmoe__csv_unknown_level(gmoe_error *err, const char *file, size_t line, const char *label,
                            const char *s, size_t n, const gmoe_csv_factor *f)
{
    /* The known levels as far as they fit in the one-line message. */
    char text[4 * CSV_SHOW + 8], known[GMOE_ERRMSG_MAX / 2], one[4 * CSV_SHOW + 8];
    size_t used = 0;
    gmoe__csv_show(text, sizeof text, s, n);
    known[0] = '\0';
    for (size_t i = 0; i < f->nlevels; i++) {
        gmoe__csv_show(one, sizeof one, f->levels[i], strlen(f->levels[i]));
        size_t m = strlen(one) + 2;
        if (used + m + 8 >= sizeof known) {
            snprintf(known + used, sizeof known - used, ", ...");
            break;
        }
        used += (size_t)snprintf(known + used, sizeof known - used, "%s%s", i ? ", " : "", one);
    }
    return gmoe_error_set(err, GMOE_EPARSE, "%s:%zu: %s: unknown level %s (known levels: %s)", file,
                          line, label, text, known);
}
