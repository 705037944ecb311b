/* gmoe rate: the accuracy of the select columns (see rate_accuracy.h). */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "rate_accuracy.h"

size_t rate_k_true(const gmoe_results *res)
{
    size_t k = 0;
    for (size_t i = 0; i < gmoe_results_nheader(res); i++) {
        const char *h = gmoe_results_header(res, i);
        unsigned long v;
        char tail;
        if (sscanf(h, " truth-k: %lu %c", &v, &tail) == 1 && v >= 1) k = (size_t)v;
    }
    return k;
}

int rate_is_accuracy(const char *name)
{
    return strncmp(name, "k_", 2) == 0 && name[2] != '\0';
}

int rate_is_coverage(const char *name)
{
    return strncmp(name, "cover_", 6) == 0 && name[6] != '\0';
}

int rate_accuracy_estimate(const gmoe_results *res, const char *name, size_t k_true, double level,
                           double pool_from, rate_accuracy *out, char *why)
{
    size_t jn, j;
    gmoe_error err;
    memset(out, 0, sizeof *out);
    out->name = name;
    out->coverage = rate_is_coverage(name);
    gmoe_results_find(res, "n", &jn);
    gmoe_results_find(res, name, &j);
    if (gmoe_rate_accuracy(gmoe_results_column(res, jn), gmoe_results_column(res, j),
                           gmoe_results_nrows(res), k_true, level, &out->res, &err)) {
        snprintf(why, GMOE_ERRMSG_MAX, "%s", err.msg);
        return 1;
    }
    if (out->res.ngroups == 0) {
        snprintf(why, GMOE_ERRMSG_MAX, "no finite values");
        return 1;
    }
    gmoe_accuracy_pool(&out->res, pool_from, &out->pool);
    return 0;
}

static void cell(FILE *fp, const gmoe_accuracy_group *g)
{
    char buf[64];
    if (g->count)
        snprintf(buf, sizeof buf, "%.3f [%.3f, %.3f]", g->share, g->ci[0], g->ci[1]);
    else
        snprintf(buf, sizeof buf, "-");
    fprintf(fp, "  %-20s", buf);
}

/* The group of size n in a result, or NULL. */
static const gmoe_accuracy_group *at(const gmoe_accuracy_result *r, double n)
{
    for (size_t i = 0; i < r->ngroups; i++)
        if (r->groups[i].n == n) return &r->groups[i];
    return NULL;
}

void rate_accuracy_print(FILE *fp, const rate_accuracy *all, size_t nall, double pool_from,
                         int coverage)
{
    /* The columns of this kind, in file order. */
    rate_accuracy *acc = malloc((nall + 1) * sizeof *acc);
    size_t count = 0;
    for (size_t m = 0; acc && m < nall; m++)
        if (all[m].coverage == coverage) acc[count++] = all[m];
    if (!count) {
        free(acc);
        return;
    }
    const gmoe_accuracy_result *r0 = &acc[0].res;
    if (coverage)
        fprintf(fp,
                "# coverage: share of replicates whose 95%% Wald interval covers the true value "
                "at each n (nominal 0.95); %g%% Clopper-Pearson interval\n",
                100 * r0->level);
    else
        fprintf(fp,
                "# share of replicates choosing k* = %zu at each n; %g%% Clopper-Pearson "
                "interval\n",
                r0->k_true, 100 * r0->level);
    fprintf(fp, "%10s", "n");
    for (size_t m = 0; m < count; m++)
        fprintf(fp, "  %-20s", acc[m].name);
    fprintf(fp, "  %s\n", "reps");
    /* Every size that any column has, increasing. */
    double last = -1;
    for (;;) {
        double next = INFINITY;
        for (size_t m = 0; m < count; m++)
            for (size_t i = 0; i < acc[m].res.ngroups; i++)
                if (acc[m].res.groups[i].n > last && acc[m].res.groups[i].n < next)
                    next = acc[m].res.groups[i].n;
        if (!isfinite(next)) break;
        fprintf(fp, "%10g", next);
        size_t reps = 0;
        for (size_t m = 0; m < count; m++) {
            const gmoe_accuracy_group *g = at(&acc[m].res, next);
            gmoe_accuracy_group none = {0};
            cell(fp, g ? g : &none);
            if (g && g->count > reps) reps = g->count;
        }
        fprintf(fp, "  %zu\n", reps);
        last = next;
    }
    char label[64];
    snprintf(label, sizeof label, "n >= %g", pool_from);
    fprintf(fp, "%10s", pool_from > 0 ? label : "all n");
    size_t reps = 0;
    for (size_t m = 0; m < count; m++) {
        cell(fp, &acc[m].pool);
        if (acc[m].pool.count > reps) reps = acc[m].pool.count;
    }
    fprintf(fp, "  %zu\n", reps);
    if (!coverage) {
        fprintf(fp, "# chose fewer / more experts than k* (all n):");
        for (size_t m = 0; m < count; m++) {
            gmoe_accuracy_group pooled;
            gmoe_accuracy_pool(&acc[m].res, 0, &pooled);
            fprintf(fp, " %s %zu / %zu%s", acc[m].name, pooled.below, pooled.above,
                    m + 1 < count ? "," : "");
        }
        fputc('\n', fp);
    }
    free(acc);
}

static json_t *jnum(double v)
{
    return isfinite(v) ? json_real(v) : json_null();
}

/* A sample size: an integer when it is one (they always are in sweeps). */
static json_t *jsize(double v)
{
    return v == floor(v) && fabs(v) < 9007199254740992.0 ? json_integer((json_int_t)v) : jnum(v);
}

static json_t *group_json(const gmoe_accuracy_group *g)
{
    return json_pack("{sosIsIsIsIsos[oo]so}", "n", jsize(g->n), "count", (json_int_t)g->count,
                     "correct", (json_int_t)g->correct, "below", (json_int_t)g->below, "above",
                     (json_int_t)g->above, "share", jnum(g->share), "ci", jnum(g->ci[0]),
                     jnum(g->ci[1]), "mean", jnum(g->mean));
}

json_t *rate_accuracy_json(const rate_accuracy *acc, double pool_from)
{
    const gmoe_accuracy_result *r = &acc->res;
    json_t *groups = json_array();
    for (size_t i = 0; i < r->ngroups; i++)
        json_array_append_new(groups, group_json(&r->groups[i]));
    json_t *pool = group_json(&acc->pool);
    json_object_set_new(pool, "n_min", jsize(pool_from));
    json_object_del(pool, "n");
    if (acc->coverage) json_object_set_new(pool, "nominal", json_real(0.95));
    return json_pack("{sos[nn]sosososIsIsIsIsfsoso}", "slope", json_null(), "ci", "slope_median",
                     json_null(), "n_min", jsize(r->groups[0].n), "n_max",
                     jsize(r->groups[r->ngroups - 1].n), "points", (json_int_t)r->ngroups, "rows",
                     (json_int_t)r->rows, "skipped", (json_int_t)r->skipped, "k_true",
                     (json_int_t)r->k_true, "level", r->level, "accuracy", groups, "pooled", pool);
}
