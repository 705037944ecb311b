/* The dendrogram of mixing measures: greedy merges of a fitted model's atoms, each level's
 * log-likelihood and the DSC (gmoe_dendrogram.h). */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "internal.h"
#include "gmoe_dendrogram.h"

struct gmoe_dendrogram {
    size_t K, d, n;
    double omega, trim;
    gmoe_dsc_form form;
    gmoe_model **level;             /* K + 1; level[kappa], kappa >= 1 */
    double *mass;                   /* (K + 1) * K: mass[kappa * K + j], j < kappa */
    size_t *atom;                   /* (K + 1) * K: atom[kappa * K + leaf] */
    double *height, *loglik, *lbar; /* K + 1; lbar: the DSC's (gmoe_dendrogram_lbar) */
    double *dsc[2];                 /* K + 1, per gmoe_dsc_form */
    size_t *pi, *pj;                /* K + 1 */
};

static const char *const mass_names[] = {"gate", "intercept"};
static const char *const form_names[] = {"plain", "rescaled"};
static const char *const var_names[] = {"moment", "average", "geometric"};

/* The name and parse functions of an enum whose values index names: an unknown value is
 * "unknown", an unknown name GMOE_EINVAL. */
#define NAME_AND_PARSE(type, name_fn, parse_fn, names)                                             \
    const char *name_fn(type v)                                                                    \
    {                                                                                              \
        return (unsigned)v < sizeof names / sizeof *names ? names[v] : "unknown";                  \
    }                                                                                              \
    int parse_fn(const char *name, type *v)                                                        \
    {                                                                                              \
        for (size_t i = 0; i < sizeof names / sizeof *names; i++)                                  \
            if (strcmp(name, names[i]) == 0) {                                                     \
                *v = (type)i;                                                                      \
                return GMOE_SUCCESS;                                                               \
            }                                                                                      \
        return GMOE_EINVAL;                                                                        \
    }

NAME_AND_PARSE(gmoe_dendrogram_mass, gmoe_dendrogram_mass_name, gmoe_dendrogram_mass_parse,
               mass_names)
NAME_AND_PARSE(gmoe_dsc_form, gmoe_dsc_form_name, gmoe_dsc_form_parse, form_names)
NAME_AND_PARSE(gmoe_dendrogram_var, gmoe_dendrogram_var_name, gmoe_dendrogram_var_parse, var_names)

gmoe_dendrogram_params gmoe_dendrogram_default_params(void)
{
    gmoe_dendrogram_params p = {GMOE_MASS_GATE, NAN, GMOE_DSC_PLAIN, GMOE_VAR_MOMENT, 0.0};
    return p;
}

void gmoe_dendrogram_free(gmoe_dendrogram *dg)
{
    if (!dg) return;
    for (size_t kappa = 0; dg->level && kappa <= dg->K; kappa++)
        gmoe_model_free(dg->level[kappa]);
    free(dg->level);
    free(dg->mass);
    free(dg->atom);
    free(dg->height);
    free(dg->loglik);
    free(dg->lbar);
    free(dg->dsc[0]);
    free(dg->dsc[1]);
    free(dg->pi);
    free(dg->pj);
    free(dg);
}

static gmoe_dendrogram *dendrogram_alloc(size_t K, size_t d, size_t n)
{
    gmoe_dendrogram *dg = calloc(1, sizeof *dg);
    if (!dg) return NULL;
    dg->K = K, dg->d = d, dg->n = n;
    dg->level = calloc(K + 1, sizeof *dg->level);
    dg->mass = calloc((K + 1) * K, sizeof(double));
    dg->atom = calloc((K + 1) * K, sizeof(size_t));
    dg->height = malloc((K + 1) * sizeof(double));
    dg->loglik = malloc((K + 1) * sizeof(double));
    dg->lbar = malloc((K + 1) * sizeof(double));
    dg->dsc[0] = malloc((K + 1) * sizeof(double));
    dg->dsc[1] = malloc((K + 1) * sizeof(double));
    dg->pi = calloc(K + 1, sizeof(size_t));
    dg->pj = calloc(K + 1, sizeof(size_t));
    if (!dg->level || !dg->mass || !dg->atom || !dg->height || !dg->loglik || !dg->lbar ||
        !dg->dsc[0] || !dg->dsc[1] || !dg->pi || !dg->pj) {
        gmoe_dendrogram_free(dg);
        return NULL;
    }
    for (size_t kappa = 0; kappa <= K; kappa++)
        dg->height[kappa] = dg->loglik[kappa] = dg->lbar[kappa] = NAN;
    for (size_t kappa = 0; kappa <= K; kappa++)
        dg->dsc[0][kappa] = dg->dsc[1][kappa] = NAN;
    return dg;
}

/* ------------------------------------------------------------------ atoms */

/* Scratch for one build: the gate weights of the current level over the data (n * K,
 * expert-major), the data's centre, two n-vectors for the sigmoid gate's beta0 (u also
 * holds the per-observation log-likelihoods of the trimmed lbar), the variance merge. */
typedef struct work {
    const gmoe_data *data;
    double *gw, *xbar, *u, *t;
    gmoe_dendrogram_var var;
} work;

/* Gate weights of m over the data into w->gw. */
static int gate_weights(const gmoe_model *m, work *w, gmoe_error *err)
{
    size_t n = w->data->n, nk = n * m->k;
    int rc = gmoe_model_gate_log(m, w->data, w->gw);
    if (rc) return gmoe_error_set(err, rc, "gate weights of the fitted model are not finite");
    for (size_t i = 0; i < nk; i++)
        w->gw[i] = exp(w->gw[i]);
    return GMOE_SUCCESS;
}

static double logaddexp(double a, double b)
{
    double mx = a > b ? a : b;
    return mx + log1p(exp(-fabs(a - b)));
}

static double sigmoid(double s)
{
    return s >= 0 ? 1.0 / (1.0 + exp(-s)) : exp(s) / (1.0 + exp(s));
}

/* The masses of the K fit's atoms into p (summing to 1). */
static int initial_mass(const gmoe_model *m, gmoe_dendrogram_mass kind, work *w, double *p,
                        gmoe_error *err)
{
    size_t k = m->k, n = w->data->n;
    double tot = 0;
    if (m->gate == GMOE_GATE_GAUSSIAN) {
        memcpy(p, m->pi, k * sizeof(double));
    } else if (kind == GMOE_MASS_GATE) {
        int rc = gate_weights(m, w, err);
        if (rc) return rc;
        for (size_t j = 0; j < k; j++) {
            double s = 0;
            for (size_t i = 0; i < n; i++)
                s += w->gw[j * n + i];
            p[j] = s / (double)n;
        }
    } else if (m->gate == GMOE_GATE_SIGMOID) {
        for (size_t j = 0; j < k; j++)
            p[j] = sigmoid(m->beta0[j]);
    } else {
        double mx = -INFINITY;
        for (size_t j = 0; j < k; j++)
            if (m->beta0[j] > mx) mx = m->beta0[j];
        for (size_t j = 0; j < k; j++)
            p[j] = exp(m->beta0[j] - mx);
    }
    for (size_t j = 0; j < k; j++)
        tot += p[j];
    for (size_t j = 0; j < k; j++)
        p[j] /= tot;
    return GMOE_SUCCESS;
}

static double norm_diff(const double *x, const double *y, size_t len, double scale)
{
    double s = 0;
    for (size_t t = 0; t < len; t++) {
        double e = (x[t] - y[t]) * scale;
        s += e * e;
    }
    return s;
}

/* d(i, j) of gmoe_dendrogram.h. Two atoms without mass merge at height 0. */
static double dissimilarity(const gmoe_model *m, const double *p, size_t i, size_t j)
{
    size_t d = m->d;
    if (!(p[i] + p[j] > 0)) return 0;
    double s2, extra = 0;
    if (m->gate == GMOE_GATE_GAUSSIAN) {
        s2 = norm_diff(m->c + i * d, m->c + j * d, d, 1.0);
        extra = sqrt(norm_diff(m->Gamma + i * d * d, m->Gamma + j * d * d, d * d, 1.0));
    } else {
        double sc = m->gate == GMOE_GATE_TEMPERATURE ? 1.0 / m->tau : 1.0;
        s2 = norm_diff(m->beta1 + i * d, m->beta1 + j * d, d, sc);
    }
    double db = m->b[i] - m->b[j];
    double da = sqrt(norm_diff(m->a + i * d, m->a + j * d, d, 1.0));
    double dv = fabs(m->var[i] - m->var[j]);
    return p[i] * p[j] / (p[i] + p[j]) * (s2 + db * db + da + dv + extra);
}

/* The mass weights of the pair (equal when neither has mass). */
static void pair_weights(const double *p, size_t i, size_t j, double *wi, double *wj)
{
    double tot = p[i] + p[j];
    *wi = tot > 0 ? p[i] / tot : 0.5;
    *wj = tot > 0 ? p[j] / tot : 0.5;
}

static void weighted(double *out, const double *x, const double *y, size_t len, double wi,
                     double wj)
{
    for (size_t t = 0; t < len; t++)
        out[t] = wi * x[t] + wj * y[t];
}

/* Moment matching of the joint Gaussian components (x, y) of a Gaussian-gated model:
 * component j has mean (c_j, a_j'c_j + b_j) and covariance [Gamma_j, Gamma_j a_j; a_j'Gamma_j,
 * a_j'Gamma_j a_j + v_j]. The merged one is written into expert i of out. S is scratch of
 * (d + 1)^2 + 2 (d + 1) + d^2 doubles. */
static int merge_gauss(const gmoe_model *m, size_t i, size_t j, double wi, double wj,
                       gmoe_model *out, size_t io, double *S)
{
    size_t d = m->d, D = d + 1;
    double *mu = S + D * D, *mk = mu + D, *L = mk + D;
    memset(S, 0, D * D * sizeof(double));
    memset(mu, 0, D * sizeof(double));
    const size_t idx[2] = {i, j};
    const double wt[2] = {wi, wj};
    for (int q = 0; q < 2; q++) {
        size_t l = idx[q];
        const double *G = m->Gamma + l * d * d, *a = m->a + l * d, *c = m->c + l * d;
        double my = m->b[l];
        for (size_t s = 0; s < d; s++)
            my += a[s] * c[s];
        for (size_t s = 0; s < d; s++)
            mk[s] = c[s];
        mk[d] = my;
        double aGa = 0;
        for (size_t s = 0; s < d; s++) {
            double Ga = 0;
            for (size_t t = 0; t < d; t++) {
                S[s * D + t] += wt[q] * G[s * d + t];
                Ga += G[s * d + t] * a[t];
            }
            S[s * D + d] += wt[q] * Ga;
            S[d * D + s] += wt[q] * Ga;
            aGa += a[s] * Ga;
        }
        S[d * D + d] += wt[q] * (aGa + m->var[l]);
        for (size_t s = 0; s < D; s++)
            mu[s] += wt[q] * mk[s];
    }
    /* The spread of the means: w_i w_j (m_i - m_j)(m_i - m_j)'. */
    for (size_t s = 0; s < d; s++)
        mk[s] = m->c[i * d + s] - m->c[j * d + s];
    double yi = m->b[i], yj = m->b[j];
    for (size_t s = 0; s < d; s++) {
        yi += m->a[i * d + s] * m->c[i * d + s];
        yj += m->a[j * d + s] * m->c[j * d + s];
    }
    mk[d] = yi - yj;
    for (size_t s = 0; s < D; s++)
        for (size_t t = 0; t < D; t++)
            S[s * D + t] += wi * wj * mk[s] * mk[t];
    /* Read back: Gamma = Sxx, a = Sxx^-1 Sxy, b = mu_y - a'c, v = Syy - Sxy'a. */
    double *c = out->c + io * d, *G = out->Gamma + io * d * d, *a = out->a + io * d, logdet;
    for (size_t s = 0; s < d; s++) {
        c[s] = mu[s];
        for (size_t t = 0; t < d; t++)
            G[s * d + t] = L[s * d + t] = S[s * D + t];
    }
    if (gmoe__chol_logdet(L, d, &logdet)) return GMOE_ENUMERIC;
    for (size_t s = 0; s < d; s++) { /* forward: L z = Sxy */
        double v = S[s * D + d];
        for (size_t t = 0; t < s; t++)
            v -= L[s * d + t] * a[t];
        a[s] = v / L[s * d + s];
    }
    for (size_t s = d; s-- > 0;) { /* back: L' a = z */
        double v = a[s];
        for (size_t t = s + 1; t < d; t++)
            v -= L[t * d + s] * a[t];
        a[s] = v / L[s * d + s];
    }
    double b = mu[d], v = S[d * D + d];
    for (size_t s = 0; s < d; s++) {
        b -= a[s] * c[s];
        v -= S[s * D + d] * a[s];
    }
    out->b[io] = b;
    out->var[io] = v;
    out->pi[io] = m->pi[i] + m->pi[j];
    return GMOE_SUCCESS;
}

/* The mean over the data of g_m(x) = u / (u + R), u = sigmoid(beta0 + t(x)). */
static double sigmoid_mean_weight(const work *w, double beta0)
{
    size_t n = w->data->n;
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        double u = sigmoid(beta0 + w->t[i]);
        s += u > 0 ? u / (u + w->u[i]) : 0;
    }
    return s / (double)n;
}

/* The sigmoid gate's merged beta0: its mean gate weight over the data equals the pair's sum
 * (the merged slope already in out). The weight rises with beta0, so bisection finds it. */
static double sigmoid_beta0(const gmoe_model *m, size_t i, size_t j, const gmoe_model *out,
                            size_t io, const work *w)
{
    size_t n = w->data->n, d = m->d, k = m->k;
    double target = 0;
    for (size_t r = 0; r < n; r++) {
        double R = 0, t = 0;
        for (size_t l = 0; l < k; l++) {
            if (l == i || l == j) continue;
            double s = m->beta0[l];
            for (size_t q = 0; q < d; q++)
                s += m->beta1[l * d + q] * w->data->x[q * n + r];
            R += sigmoid(s);
        }
        for (size_t q = 0; q < d; q++)
            t += out->beta1[io * d + q] * w->data->x[q * n + r];
        w->u[r] = R;
        w->t[r] = t;
        target += w->gw[i * n + r] + w->gw[j * n + r];
    }
    target /= (double)n;
    double lo = fmin(m->beta0[i], m->beta0[j]) - 40, hi = fmax(m->beta0[i], m->beta0[j]) + 40;
    if (sigmoid_mean_weight(w, lo) >= target) return lo;
    if (sigmoid_mean_weight(w, hi) <= target) return hi;
    for (int it = 0; it < 200 && hi - lo > 1e-13 * (1 + fabs(lo)); it++) {
        double mid = 0.5 * (lo + hi);
        if (sigmoid_mean_weight(w, mid) < target)
            lo = mid;
        else
            hi = mid;
    }
    return 0.5 * (lo + hi);
}

/* Top-K: K - 1 when the pair was selected together at most of the observations where either
 * was selected. */
static size_t merged_topk(const gmoe_model *m, size_t i, size_t j, const work *w)
{
    size_t n = w->data->n, both = 0, either = 0, K = m->topk;
    for (size_t r = 0; r < n; r++) {
        int si = w->gw[i * n + r] > 0, sj = w->gw[j * n + r] > 0;
        both += si && sj;
        either += si || sj;
    }
    if (2 * both > either && K > 1) K--;
    return K < m->k - 1 ? K : m->k - 1;
}

/* Level kappa - 1 from level kappa = m by merging atoms i < j; masses p -> q. */
static int merge_level(const gmoe_model *m, const double *p, size_t i, size_t j, work *w,
                       gmoe_model **outp, double *q, gmoe_error *err)
{
    size_t k = m->k, d = m->d;
    int rc = GMOE_SUCCESS;
    gmoe_model *out = gmoe_model_alloc(k - 1, d, m->gate);
    double *S = malloc(((d + 1) * (d + 1) + 2 * (d + 1) + d * d) * sizeof(double));
    if (!out || !S) {
        gmoe_model_free(out);
        free(S);
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    }
    out->tau = m->tau;
    out->act = m->act;
    out->topk_select = m->topk_select;
    for (size_t l = 0, o = 0; l < k; l++) {
        if (l == j) continue;
        out->beta0[o] = m->beta0[l];
        memcpy(out->beta1 + o * d, m->beta1 + l * d, d * sizeof(double));
        memcpy(out->a + o * d, m->a + l * d, d * sizeof(double));
        out->b[o] = m->b[l];
        out->var[o] = m->var[l];
        out->pi[o] = m->pi[l];
        memcpy(out->c + o * d, m->c + l * d, d * sizeof(double));
        memcpy(out->Gamma + o * d * d, m->Gamma + l * d * d, d * d * sizeof(double));
        q[o++] = p[l];
    }
    double wi, wj;
    pair_weights(p, i, j, &wi, &wj);
    q[i] = p[i] + p[j];
    if (m->gate == GMOE_GATE_GAUSSIAN) {
        rc = merge_gauss(m, i, j, wi, wj, out, i, S);
        if (rc)
            rc = gmoe_error_set(err, rc, "merging experts %zu and %zu: singular Gamma", i + 1,
                                j + 1);
    } else {
        weighted(out->beta1 + i * d, m->beta1 + i * d, m->beta1 + j * d, d, wi, wj);
        weighted(out->a + i * d, m->a + i * d, m->a + j * d, d, wi, wj);
        out->b[i] = wi * m->b[i] + wj * m->b[j];
        double mui = m->b[i], muj = m->b[j];
        for (size_t t = 0; t < d; t++) {
            mui += m->a[i * d + t] * w->xbar[t];
            muj += m->a[j * d + t] * w->xbar[t];
        }
        if (w->var == GMOE_VAR_GEOMETRIC)
            out->var[i] = exp(wi * log(m->var[i]) + wj * log(m->var[j]));
        else
            out->var[i] = wi * m->var[i] + wj * m->var[j] +
                          (w->var == GMOE_VAR_MOMENT ? wi * wj * (mui - muj) * (mui - muj) : 0);
        if (m->gate == GMOE_GATE_SIGMOID || m->gate == GMOE_GATE_TOPK) rc = gate_weights(m, w, err);
        if (!rc && m->gate == GMOE_GATE_SIGMOID)
            out->beta0[i] = sigmoid_beta0(m, i, j, out, i, w);
        else
            out->beta0[i] = logaddexp(m->beta0[i], m->beta0[j]);
        out->topk = m->gate == GMOE_GATE_TOPK && !rc ? merged_topk(m, i, j, w) : k - 1;
    }
    free(S);
    if (!rc) {
        gmoe_model_canonicalize(out);
        rc = gmoe_model_validate(out, err);
    }
    if (rc) {
        gmoe_model_free(out);
        return rc;
    }
    *outp = out;
    return GMOE_SUCCESS;
}

/* ------------------------------------------------------------------ the tree */

static int check_input(const gmoe_model *fit, const gmoe_data *data, gmoe_error *err)
{
    int rc = gmoe_model_validate(fit, err);
    if (rc) return rc;
    if (!data || data->n == 0 || !data->y)
        return gmoe_error_set(err, GMOE_EINVAL, "the dendrogram needs data with a response y");
    if (data->d != fit->d)
        return gmoe_error_set(err, GMOE_EDIM, "data have %zu covariates, the model has %zu",
                              data->d, fit->d);
    return GMOE_SUCCESS;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Level kappa's log-likelihood, and the lbar of its DSC: loglik / n, or with a trim the
 * mean of the per-observation log-likelihoods without the lowest floor(trim n). */
static int level_loglik(gmoe_dendrogram *dg, size_t kappa, const gmoe_data *data, work *w,
                        gmoe_error *err)
{
    size_t n = data->n, drop = (size_t)floor(dg->trim * (double)n);
    if (dg->trim == 0) {
        int rc = gmoe_model_loglik(dg->level[kappa], data, &dg->loglik[kappa], err);
        dg->lbar[kappa] = dg->loglik[kappa] / (double)n;
        return rc;
    }
    int rc = gmoe_model_predict(dg->level[kappa], data, NULL, NULL, NULL, w->u, err);
    if (rc) return rc;
    double all = 0, kept = 0;
    for (size_t i = 0; i < n; i++)
        all += w->u[i];
    qsort(w->u, n, sizeof(double), cmp_double);
    for (size_t i = drop; i < n; i++)
        kept += w->u[i];
    dg->loglik[kappa] = all;
    dg->lbar[kappa] = kept / (double)(n - drop);
    return GMOE_SUCCESS;
}

static int build_levels(gmoe_dendrogram *dg, const gmoe_model *fit, const gmoe_data *data,
                        gmoe_dendrogram_mass mass, work *w, gmoe_error *err)
{
    size_t K = dg->K, d = dg->d, n = data->n;
    for (size_t t = 0; t < d; t++) {
        double s = 0;
        for (size_t i = 0; i < n; i++)
            s += data->x[t * n + i];
        w->xbar[t] = s / (double)n;
    }
    if (!(dg->level[K] = gmoe_model_clone(fit)))
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    gmoe_model_canonicalize(dg->level[K]);
    int rc = initial_mass(dg->level[K], mass, w, dg->mass + K * K, err);
    for (size_t leaf = 0; leaf < K; leaf++)
        dg->atom[K * K + leaf] = leaf;
    for (size_t kappa = K; !rc && kappa >= 2; kappa--) {
        const gmoe_model *m = dg->level[kappa];
        const double *p = dg->mass + kappa * K;
        double best = INFINITY;
        size_t bi = 0, bj = 1;
        for (size_t i = 0; i < kappa; i++)
            for (size_t j = i + 1; j < kappa; j++) {
                double h = dissimilarity(m, p, i, j);
                if (h < best) best = h, bi = i, bj = j;
            }
        dg->height[kappa] = best;
        dg->pi[kappa] = bi;
        dg->pj[kappa] = bj;
        rc = merge_level(m, p, bi, bj, w, &dg->level[kappa - 1], dg->mass + (kappa - 1) * K, err);
        for (size_t leaf = 0; leaf < K; leaf++) {
            size_t a = dg->atom[kappa * K + leaf];
            dg->atom[(kappa - 1) * K + leaf] = a == bj ? bi : a > bj ? a - 1 : a;
        }
    }
    for (size_t kappa = 1; !rc && kappa <= K; kappa++)
        rc = level_loglik(dg, kappa, data, w, err);
    return rc;
}

/* Both forms of the DSC for levels 2..K: plain -(h + omega lbar), and rescaled
 * -(h / h_max + omega lbar / |lbar_K|) (a zero divisor counts as 1). */
static void dsc_values(gmoe_dendrogram *dg)
{
    size_t K = dg->K;
    double hmax = 0, lK = fabs(dg->lbar[K]);
    for (size_t kappa = 2; kappa <= K; kappa++)
        if (dg->height[kappa] > hmax) hmax = dg->height[kappa];
    if (!(hmax > 0)) hmax = 1;
    if (!(lK > 0)) lK = 1;
    for (size_t kappa = 2; kappa <= K; kappa++) {
        double h = dg->height[kappa], lbar = dg->lbar[kappa];
        dg->dsc[GMOE_DSC_PLAIN][kappa] = -(h + dg->omega * lbar);
        dg->dsc[GMOE_DSC_RESCALED][kappa] = -(h / hmax + dg->omega * lbar / lK);
    }
}

int gmoe_dendrogram_build(const gmoe_model *fit, const gmoe_data *data,
                          const gmoe_dendrogram_params *par, gmoe_dendrogram **out, gmoe_error *err)
{
    *out = NULL;
    gmoe_dendrogram_params p = par ? *par : gmoe_dendrogram_default_params();
    int rc = check_input(fit, data, err);
    if (rc) return rc;
    if ((unsigned)p.mass > GMOE_MASS_INTERCEPT || (unsigned)p.form > GMOE_DSC_RESCALED ||
        (unsigned)p.var > GMOE_VAR_GEOMETRIC)
        return gmoe_error_set(err, GMOE_EINVAL,
                              "unknown dendrogram mass, variance merge or DSC form");
    if (!(p.trim >= 0 && p.trim < 0.5))
        return gmoe_error_set(err, GMOE_EINVAL, "the DSC's trim must be in [0, 0.5) (got %g)",
                              p.trim);
    if (fit->gate == GMOE_GATE_GAUSSIAN && p.var != GMOE_VAR_MOMENT)
        return gmoe_error_set(err, GMOE_EINVAL,
                              "the Gaussian gate's atoms merge by moment matching only (variance "
                              "merge %s)",
                              gmoe_dendrogram_var_name(p.var));
    size_t K = fit->k, n = data->n;
    gmoe_dendrogram *dg = dendrogram_alloc(K, fit->d, n);
    work w = {data, NULL, NULL, NULL, NULL, p.var};
    w.gw = malloc(n * K * sizeof(double));
    w.xbar = malloc(fit->d * sizeof(double));
    w.u = malloc(n * sizeof(double));
    w.t = malloc(n * sizeof(double));
    if (!dg || !w.gw || !w.xbar || !w.u || !w.t)
        rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    if (!rc) {
        dg->trim = p.trim;
        rc = build_levels(dg, fit, data, p.mass, &w, err);
    }
    free(w.gw);
    free(w.xbar);
    free(w.u);
    free(w.t);
    if (rc) {
        gmoe_dendrogram_free(dg);
        return rc;
    }
    dg->omega = isnan(p.omega) || p.omega <= 0 ? log((double)n) : p.omega;
    dg->form = p.form;
    dsc_values(dg);
    *out = dg;
    return GMOE_SUCCESS;
}

int gmoe_dendrogram_cut(const gmoe_model *fit, const gmoe_data *data, size_t kappa,
                        const gmoe_dendrogram_params *par, gmoe_model **out, gmoe_error *err)
{
    *out = NULL;
    if (kappa < 1 || kappa > fit->k)
        return gmoe_error_set(err, GMOE_EINVAL, "cannot cut %zu experts at %zu atoms", fit->k,
                              kappa);
    gmoe_dendrogram *dg;
    int rc = gmoe_dendrogram_build(fit, data, par, &dg, err);
    if (rc) return rc;
    *out = gmoe_model_clone(dg->level[kappa]);
    gmoe_dendrogram_free(dg);
    return *out ? GMOE_SUCCESS : gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
}

/* ------------------------------------------------------------------ accessors */

static int in_range(const gmoe_dendrogram *dg, size_t kappa)
{
    return kappa >= 1 && kappa <= dg->K;
}

size_t gmoe_dendrogram_k(const gmoe_dendrogram *dg)
{
    return dg->K;
}

size_t gmoe_dendrogram_n(const gmoe_dendrogram *dg)
{
    return dg->n;
}

const gmoe_model *gmoe_dendrogram_model(const gmoe_dendrogram *dg, size_t kappa)
{
    return in_range(dg, kappa) ? dg->level[kappa] : NULL;
}

double gmoe_dendrogram_height(const gmoe_dendrogram *dg, size_t kappa)
{
    return in_range(dg, kappa) ? dg->height[kappa] : NAN;
}

int gmoe_dendrogram_merged(const gmoe_dendrogram *dg, size_t kappa, size_t *i, size_t *j)
{
    if (!in_range(dg, kappa) || kappa < 2) return GMOE_EINVAL;
    *i = dg->pi[kappa];
    *j = dg->pj[kappa];
    return GMOE_SUCCESS;
}

double gmoe_dendrogram_loglik(const gmoe_dendrogram *dg, size_t kappa)
{
    return in_range(dg, kappa) ? dg->loglik[kappa] : NAN;
}

double gmoe_dendrogram_lbar(const gmoe_dendrogram *dg, size_t kappa)
{
    return in_range(dg, kappa) ? dg->lbar[kappa] : NAN;
}

double gmoe_dendrogram_dsc(const gmoe_dendrogram *dg, size_t kappa)
{
    return gmoe_dendrogram_dsc_form(dg, kappa, dg->form);
}

double gmoe_dendrogram_dsc_form(const gmoe_dendrogram *dg, size_t kappa, gmoe_dsc_form form)
{
    return in_range(dg, kappa) && (unsigned)form < 2 ? dg->dsc[form][kappa] : NAN;
}

void gmoe_dendrogram_masses(const gmoe_dendrogram *dg, size_t kappa, double *mass)
{
    if (in_range(dg, kappa)) memcpy(mass, dg->mass + kappa * dg->K, kappa * sizeof(double));
}

size_t gmoe_dendrogram_atom(const gmoe_dendrogram *dg, size_t kappa, size_t leaf)
{
    return in_range(dg, kappa) && leaf < dg->K ? dg->atom[kappa * dg->K + leaf] : 0;
}

double gmoe_dendrogram_omega(const gmoe_dendrogram *dg)
{
    return dg->omega;
}

gmoe_dsc_form gmoe_dendrogram_form(const gmoe_dendrogram *dg)
{
    return dg->form;
}

size_t gmoe_dendrogram_choose(const gmoe_dendrogram *dg)
{
    return gmoe_dendrogram_choose_form(dg, dg->form, 1);
}

size_t gmoe_dendrogram_choose_form(const gmoe_dendrogram *dg, gmoe_dsc_form form, size_t kmin)
{
    size_t K = dg->K, best = K < 2 ? K : 0;
    double bv = INFINITY;
    for (size_t kappa = kmin > 2 ? kmin : 2; kappa <= K; kappa++) {
        double v = gmoe_dendrogram_dsc_form(dg, kappa, form);
        if (best == 0 || v < bv) bv = v, best = kappa;
    }
    return best;
}
