/* Choosing the number of experts: fits over k, AIC/BIC/ICL and the DSC (gmoe_select.h). */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "internal.h"
#include "gmoe_select.h"

static const char *const crit_names[GMOE_NCRIT] = {"dsc", "aic", "bic", "icl"};

const char *gmoe_criterion_name(gmoe_criterion c)
{
    return (unsigned)c < GMOE_NCRIT ? crit_names[c] : "unknown";
}

int gmoe_criterion_parse(const char *name, gmoe_criterion *c)
{
    for (int i = 0; i < GMOE_NCRIT; i++)
        if (strcmp(name, crit_names[i]) == 0) {
            *c = (gmoe_criterion)i;
            return GMOE_SUCCESS;
        }
    return GMOE_EINVAL;
}

int gmoe_criteria_compute(const gmoe_model *m, const gmoe_data *data, int tau_free,
                          gmoe_criteria *out, gmoe_error *err)
{
    size_t n = data->n, k = m->k;
    double *post = malloc(n * k * sizeof(double)), *logdens = malloc(n * sizeof(double));
    if (!post || !logdens) {
        free(post);
        free(logdens);
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    }
    int rc = gmoe_model_predict(m, data, NULL, post, NULL, logdens, err);
    if (!rc) {
        double l = 0, en = 0;
        for (size_t i = 0; i < n; i++)
            l += logdens[i];
        for (size_t i = 0; i < n * k; i++)
            if (post[i] > 0) en -= post[i] * log(post[i]);
        size_t p = gmoe_em_nparams(m, tau_free);
        out->loglik = l;
        out->nparams = p;
        out->entropy = en;
        out->aic = -2 * l + 2.0 * (double)p;
        out->bic = -2 * l + (double)p * log((double)n);
        out->icl = out->bic + 2 * en;
    }
    free(post);
    free(logdens);
    return rc;
}

gmoe_select_params gmoe_select_default_params(void)
{
    gmoe_select_params p;
    p.fit = gmoe_fit_default_params();
    p.fit.em.tol = 1e-6;
    p.kmin = 1;
    p.dendrogram = gmoe_dendrogram_default_params();
    return p;
}

struct gmoe_select {
    size_t kmin, K;
    gmoe_model **fit;     /* K + 1, by k */
    gmoe_fit_result *res; /* K + 1 */
    gmoe_criteria *crit;  /* K + 1 */
    gmoe_dendrogram *dg;
    size_t chosen[GMOE_NCRIT];
};

void gmoe_select_free(gmoe_select *s)
{
    if (!s) return;
    for (size_t k = 0; s->fit && k <= s->K; k++)
        gmoe_model_free(s->fit[k]);
    free(s->fit);
    free(s->res);
    free(s->crit);
    gmoe_dendrogram_free(s->dg);
    free(s);
}

/* Progress over all the fits: gmoe_fit reports each fit's own count, from one thread at a
 * time; this turns it into one count over every start of every fit. */
typedef struct progress_sum {
    const gmoe_fit_params *outer;
    size_t done, total;
} progress_sum;

static void progress_cb(size_t done, size_t total, void *data)
{
    (void)done, (void)total;
    progress_sum *ps = data;
    ps->done++;
    ps->outer->progress(ps->done, ps->total, ps->outer->progress_data);
}

/* The smallest value of criterion c over the fits, degenerate fits only if all are. */
static size_t choose(const gmoe_select *s, gmoe_criterion c)
{
    size_t best = 0;
    double bv = INFINITY;
    for (int pass = 0; pass < 2 && best == 0; pass++)
        for (size_t k = s->kmin; k <= s->K; k++) {
            if (pass == 0 && s->res[k].info.status == GMOE_FIT_DEGENERATE) continue;
            const gmoe_criteria *cr = &s->crit[k];
            double v = c == GMOE_CRIT_AIC ? cr->aic : c == GMOE_CRIT_BIC ? cr->bic : cr->icl;
            if (best == 0 || v < bv) bv = v, best = k;
        }
    return best;
}

static int fit_one(const gmoe_data *data, const gmoe_model *templ, const gmoe_select_params *par,
                   progress_sum *ps, gmoe_select *s, size_t k, gmoe_error *err)
{
    gmoe_model *t = gmoe_model_alloc(k, templ->d, templ->gate);
    if (!t) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    t->tau = templ->tau;
    t->act = templ->act;
    t->topk = templ->topk < k ? templ->topk : k;
    t->topk_select = templ->topk_select;
    gmoe_fit_params fp = par->fit;
    if (fp.progress) {
        fp.progress = progress_cb;
        fp.progress_data = ps;
    }
    gmoe_error e;
    int rc = gmoe_fit(data, t, &fp, &s->fit[k], &s->res[k], &e);
    if (!rc) rc = gmoe_criteria_compute(s->fit[k], data, !fp.em.fix_tau, &s->crit[k], &e);
    if (rc) gmoe_error_set(err, rc, "k = %zu: %s", k, e.msg);
    gmoe_model_free(t);
    return rc;
}

int gmoe_select_run(const gmoe_data *data, const gmoe_model *templ, const gmoe_select_params *par,
                    gmoe_select **out, gmoe_error *err)
{
    *out = NULL;
    gmoe_select_params p = par ? *par : gmoe_select_default_params();
    size_t K = templ->k;
    if (p.kmin < 1 || p.kmin > K)
        return gmoe_error_set(err, GMOE_EINVAL, "kmin must be between 1 and K = %zu (got %zu)", K,
                              p.kmin);
    gmoe_select *s = calloc(1, sizeof *s);
    if (!s) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    s->kmin = p.kmin;
    s->K = K;
    s->fit = calloc(K + 1, sizeof *s->fit);
    s->res = calloc(K + 1, sizeof *s->res);
    s->crit = calloc(K + 1, sizeof *s->crit);
    int rc = !s->fit || !s->res || !s->crit ? gmoe_error_set(err, GMOE_ENOMEM, "out of memory")
                                            : GMOE_SUCCESS;
    progress_sum ps = {&p.fit, 0, (K - p.kmin + 1) * p.fit.starts};
    for (size_t k = K; !rc && k >= p.kmin; k--)
        rc = fit_one(data, templ, &p, &ps, s, k, err);
    if (!rc) rc = gmoe_dendrogram_build(s->fit[K], data, &p.dendrogram, &s->dg, err);
    if (rc) {
        gmoe_select_free(s);
        return rc;
    }
    s->chosen[GMOE_CRIT_DSC] =
        gmoe_dendrogram_choose_form(s->dg, gmoe_dendrogram_form(s->dg), s->kmin);
    for (int c = GMOE_CRIT_AIC; c < GMOE_NCRIT; c++)
        s->chosen[c] = choose(s, (gmoe_criterion)c);
    *out = s;
    return GMOE_SUCCESS;
}

size_t gmoe_select_kmin(const gmoe_select *s)
{
    return s->kmin;
}

size_t gmoe_select_kmax(const gmoe_select *s)
{
    return s->K;
}

static int has_k(const gmoe_select *s, size_t k)
{
    return k >= s->kmin && k <= s->K;
}

const gmoe_model *gmoe_select_model(const gmoe_select *s, size_t k)
{
    return has_k(s, k) ? s->fit[k] : NULL;
}

const gmoe_fit_result *gmoe_select_result(const gmoe_select *s, size_t k)
{
    return has_k(s, k) ? &s->res[k] : NULL;
}

const gmoe_criteria *gmoe_select_criteria(const gmoe_select *s, size_t k)
{
    return has_k(s, k) ? &s->crit[k] : NULL;
}

const gmoe_dendrogram *gmoe_select_dendrogram(const gmoe_select *s)
{
    return s->dg;
}

size_t gmoe_select_chosen(const gmoe_select *s, gmoe_criterion c)
{
    return (unsigned)c < GMOE_NCRIT ? s->chosen[c] : 0;
}

int gmoe_select_refit(const gmoe_data *data, const gmoe_model *start, const gmoe_em_params *em,
                      gmoe_model **out, gmoe_fit_result *res, gmoe_error *err)
{
    *out = NULL;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    gmoe_em *w = gmoe_em_alloc(data->n, start->d, start->k, start->gate);
    if (!w) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    gmoe_em_info info;
    int rc = gmoe_em_init(w, data, start, em, err);
    if (!rc) rc = gmoe_em_driver(w, NULL, NULL, &info, err);
    if (!rc && !(*out = gmoe_model_clone(gmoe_em_model(w))))
        rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    gmoe_em_free(w);
    if (rc) return rc;
    gmoe_model_canonicalize(*out);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (res) {
        memset(res, 0, sizeof *res);
        res->info = info;
        res->starts = 1;
        res->nparams = gmoe_em_nparams(*out, !em->fix_tau);
        res->aic = -2 * info.loglik + 2.0 * (double)res->nparams;
        res->bic = -2 * info.loglik + (double)res->nparams * log((double)data->n);
        res->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    }
    return GMOE_SUCCESS;
}
