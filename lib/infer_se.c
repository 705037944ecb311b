/* Standard errors from the observed information: the cases without any, the inverse by a
 * Cholesky factor of the information scaled to a unit diagonal, the sandwich, and the
 * per-expert views. */
#include <config.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lapacke.h>
#include "infer_internal.h"

struct gmoe_se {
    infer_layout lay;
    gmoe_gate gate;
    gmoe_se_method method;
    int have;
    char reason[256];
    double rcond;
    size_t failed; /* bootstrap refits left out */
    double *cov;   /* p*p */
};

static const char *const method_names[] = {"none", "observed", "sandwich", "bootstrap"};

const char *gmoe_se_method_name(gmoe_se_method method)
{
    return (unsigned)method < 4 ? method_names[method] : "unknown";
}

int gmoe_se_method_parse(const char *name, gmoe_se_method *method)
{
    for (size_t i = 0; i < 4; i++)
        if (strcmp(name, method_names[i]) == 0) {
            *method = (gmoe_se_method)i;
            return GMOE_SUCCESS;
        }
    return GMOE_EINVAL;
}

gmoe_se_params gmoe_se_default_params(void)
{
    gmoe_se_params par;
    memset(&par, 0, sizeof par);
    par.method = GMOE_SE_OBSERVED;
    par.rcond_min = 1e-12;
    par.bootstrap = 200;
    par.seed = 1;
    par.em = gmoe_em_default_params();
    return par;
}

gmoe_se *gmoe_se_alloc(const gmoe_model *m, int tau_free)
{
    gmoe_se *se = calloc(1, sizeof *se);
    if (!se) return NULL;
    if (infer_layout_init(&se->lay, m, tau_free)) {
        free(se);
        return NULL;
    }
    se->gate = m->gate;
    se->cov = malloc(se->lay.p * se->lay.p * sizeof(double));
    if (!se->cov) {
        gmoe_se_free(se);
        return NULL;
    }
    se->rcond = NAN;
    snprintf(se->reason, sizeof se->reason, "not computed");
    return se;
}

void gmoe_se_free(gmoe_se *se)
{
    if (!se) return;
    infer_layout_free(&se->lay);
    free(se->cov);
    free(se);
}

static int none(gmoe_se *se, const char *why)
{
    se->have = 0;
    snprintf(se->reason, sizeof se->reason, "%s", why);
    return GMOE_SUCCESS;
}

/* The reason a fit has no standard errors before any information is computed, or NULL. */
static const char *fit_reason(const gmoe_model *m, const gmoe_se_params *par,
                              const gmoe_em_info *info, char *buf, size_t size)
{
    if (info && info->status == GMOE_FIT_DEGENERATE)
        return "the fit is degenerate (a variance on its floor or an expert without mass): "
               "not an interior maximum";
    if (info && info->status == GMOE_FIT_GATE_DIVERGENT)
        return "the fit is gate-divergent: the likelihood has no finite maximum";
    if (info && info->bound_active > 0) {
        snprintf(buf, size, "%zu gate parameter%s on the gate bound: not an interior maximum",
                 info->bound_active, info->bound_active == 1 ? " is" : "s are");
        return buf;
    }
    if (m->gate == GMOE_GATE_TEMPERATURE && par->tau_free)
        return "temperature gate with tau estimated: (beta1, tau) -> (c beta1, c tau) leaves "
               "the model unchanged, so the information is singular (only beta1/tau is "
               "identified; fix tau for standard errors)";
    return NULL;
}

/* cov = (D I D)^-1 scaled back, D = diag(I)^-1/2: the scaling makes the condition number
 * independent of the parameters' units. */
static int invert(gmoe_se *se, double *Inf, double rcond_min)
{
    size_t p = se->lay.p;
    double *D = malloc(p * sizeof(double));
    if (!D) return GMOE_ENOMEM;
    for (size_t a = 0; a < p; a++) {
        if (!(Inf[a * p + a] > 0) || !isfinite(Inf[a * p + a])) {
            free(D);
            return none(se, "the observed information is not positive definite (not a "
                            "maximum)");
        }
        D[a] = 1 / sqrt(Inf[a * p + a]);
    }
    double norm = 0;
    for (size_t a = 0; a < p; a++) {
        double col = 0;
        for (size_t b = 0; b < p; b++) {
            Inf[a * p + b] *= D[a] * D[b];
            col += fabs(Inf[a * p + b]);
        }
        if (col > norm) norm = col;
    }
    lapack_int lp = (lapack_int)p;
    if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', lp, Inf, lp) != 0) {
        free(D);
        return none(se, "the observed information is not positive definite (not a maximum, "
                        "or a direction the data do not determine: an over-fitted model)");
    }
    double rc = 0;
    if (LAPACKE_dpocon(LAPACK_ROW_MAJOR, 'U', lp, Inf, lp, norm, &rc) != 0) rc = 0;
    se->rcond = rc;
    if (!(rc >= rcond_min)) {
        free(D);
        char buf[200];
        snprintf(buf, sizeof buf,
                 "the observed information is ill-conditioned (reciprocal condition number "
                 "%.3g below %.3g): an over-fitted model or a direction the data hardly "
                 "determine",
                 rc, rcond_min);
        return none(se, buf);
    }
    if (LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'U', lp, Inf, lp) != 0) {
        free(D);
        return none(se, "the observed information could not be inverted");
    }
    for (size_t a = 0; a < p; a++)
        for (size_t b = a; b < p; b++)
            se->cov[a * p + b] = se->cov[b * p + a] = Inf[a * p + b] * D[a] * D[b];
    free(D);
    se->have = 1;
    se->reason[0] = 0;
    return GMOE_SUCCESS;
}

/* cov <- cov J cov */
static int sandwich(gmoe_se *se, const double *J)
{
    size_t p = se->lay.p;
    double *T = malloc(2 * p * p * sizeof(double));
    if (!T) return GMOE_ENOMEM;
    double *V = T + p * p;
    memcpy(V, se->cov, p * p * sizeof(double));
    for (size_t a = 0; a < p; a++)
        for (size_t b = 0; b < p; b++) {
            double s = 0;
            for (size_t c = 0; c < p; c++)
                s += V[a * p + c] * J[c * p + b];
            T[a * p + b] = s;
        }
    for (size_t a = 0; a < p; a++)
        for (size_t b = 0; b < p; b++) {
            double s = 0;
            for (size_t c = 0; c < p; c++)
                s += T[a * p + c] * V[c * p + b];
            se->cov[a * p + b] = s;
        }
    free(T);
    return GMOE_SUCCESS;
}

static int bootstrap(gmoe_se *se, const gmoe_model *m, const gmoe_data *data,
                     const gmoe_se_params *par, gmoe_error *err)
{
    if (par->bootstrap < 2)
        return gmoe_error_set(err, GMOE_EINVAL, "the bootstrap needs at least 2 replicates");
    int rc = infer_bootstrap(m, data, par, se->cov, &se->failed);
    if (rc == GMOE_ENOMEM) return gmoe_error_set(err, rc, "out of memory");
    if (rc) {
        char buf[160];
        snprintf(buf, sizeof buf, "fewer than 2 of the %zu bootstrap refits were usable",
                 par->bootstrap);
        return none(se, buf);
    }
    se->have = 1;
    se->reason[0] = 0;
    return GMOE_SUCCESS;
}

int gmoe_se_compute(gmoe_se *se, const gmoe_model *m, const gmoe_data *data,
                    const gmoe_se_params *par, const gmoe_em_info *info, gmoe_error *err)
{
    if (m->k != se->lay.k || m->d != se->lay.d || m->gate != se->gate)
        return gmoe_error_set(err, GMOE_EDIM,
                              "the model does not match the standard errors' shape");
    if (par->method == GMOE_SE_NONE || (unsigned)par->method > GMOE_SE_BOOTSTRAP)
        return gmoe_error_set(err, GMOE_EINVAL, "gmoe_se_compute: no method");
    se->method = par->method;
    se->rcond = NAN;
    se->failed = 0;
    char buf[200];
    const char *why = fit_reason(m, par, info, buf, sizeof buf);
    if (why) return none(se, why);
    int rc = gmoe_model_validate(m, err);
    if (rc) return rc;
    if (par->method == GMOE_SE_BOOTSTRAP) return bootstrap(se, m, data, par, err);
    size_t p = se->lay.p;
    double *Inf = malloc(2 * p * p * sizeof(double));
    if (!Inf) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    double *J = par->method == GMOE_SE_SANDWICH ? Inf + p * p : NULL;
    rc = gmoe_infer_information(m, data, par->tau_free, NULL, Inf, J, NULL, err);
    if (!rc) rc = invert(se, Inf, par->rcond_min);
    if (!rc && se->have && J) rc = sandwich(se, J);
    free(Inf);
    if (rc == GMOE_ENOMEM) return gmoe_error_set(err, rc, "out of memory");
    return rc;
}

const char *gmoe_se_reason(const gmoe_se *se)
{
    return se->have ? NULL : se->reason;
}

gmoe_se_method gmoe_se_get_method(const gmoe_se *se)
{
    return se->method;
}

size_t gmoe_se_bootstrap_failed(const gmoe_se *se)
{
    return se->failed;
}

int gmoe_se_tau_free(const gmoe_se *se)
{
    return se->lay.tau_free;
}

size_t gmoe_se_nparams(const gmoe_se *se)
{
    return se->lay.p;
}

const double *gmoe_se_cov(const gmoe_se *se)
{
    return se->have ? se->cov : NULL;
}

double gmoe_se_rcond(const gmoe_se *se)
{
    return se->rcond;
}

static double sd_at(const gmoe_se *se, size_t q)
{
    if (!se->have || q == INFER_NONE) return NAN;
    double v = se->cov[q * se->lay.p + q];
    return v >= 0 ? sqrt(v) : NAN;
}

static void sd_vec(const gmoe_se *se, size_t q, size_t count, double *out)
{
    if (!out) return;
    for (size_t t = 0; t < count; t++)
        out[t] = q == INFER_NONE ? NAN : sd_at(se, q + t);
}

void gmoe_se_get_expert(const gmoe_se *se, size_t j, double *beta0, double *beta1, double *a,
                        double *b, double *var)
{
    const infer_layout *lay = &se->lay;
    size_t d = lay->d;
    if (beta0) *beta0 = sd_at(se, lay->b0[j]);
    sd_vec(se, lay->b1[j], d, beta1);
    sd_vec(se, lay->a[j], d, a);
    if (b) *b = sd_at(se, lay->a[j] + d);
    if (var) *var = sd_at(se, lay->a[j] + d + 1);
}

void gmoe_se_get_gauss(const gmoe_se *se, size_t j, double *pi, double *c, double *Gamma)
{
    const infer_layout *lay = &se->lay;
    size_t d = lay->d, k = lay->k, p = lay->p;
    if (pi) {
        if (lay->pi[j] != INFER_NONE || !se->have) {
            *pi = sd_at(se, lay->pi[j]);
        } else {
            /* pi_k = 1 - sum of the others: its variance is the sum of their covariances */
            double v = 0;
            for (size_t a = 0; a + 1 < k; a++)
                for (size_t b = 0; b + 1 < k; b++)
                    v += se->cov[lay->pi[a] * p + lay->pi[b]];
            *pi = k > 1 && v >= 0 ? sqrt(v) : NAN;
        }
    }
    sd_vec(se, lay->c[j], d, c);
    if (Gamma)
        for (size_t s = 0; s < d; s++)
            for (size_t t = 0; t < d; t++)
                Gamma[s * d + t] =
                    lay->G[j] == INFER_NONE
                        ? NAN
                        : sd_at(se, lay->G[j] + infer_tri(d, s < t ? s : t, s < t ? t : s));
}

double gmoe_se_get_tau(const gmoe_se *se)
{
    return sd_at(se, se->lay.tau);
}

int gmoe_se_set_cov(gmoe_se *se, gmoe_se_method method, const double *cov, const char *reason)
{
    se->method = method;
    se->rcond = NAN;
    se->failed = 0;
    if (!cov) return none(se, reason ? reason : "none");
    memcpy(se->cov, cov, se->lay.p * se->lay.p * sizeof(double));
    se->have = 1;
    se->reason[0] = 0;
    return GMOE_SUCCESS;
}

int gmoe_se_predict(const gmoe_se *se, const gmoe_model *m, const gmoe_data *data, double *mean,
                    double *se_mean, gmoe_error *err)
{
    if (m->k != se->lay.k || m->d != se->lay.d || m->gate != se->gate)
        return gmoe_error_set(err, GMOE_EDIM,
                              "the model does not match the standard errors' shape");
    size_t n = data->n, p = se->lay.p;
    if (!se->have) {
        for (size_t i = 0; i < n; i++)
            se_mean[i] = NAN;
        return mean ? gmoe_infer_mean_gradient(m, data, se->lay.tau_free, mean, NULL, err)
                    : GMOE_SUCCESS;
    }
    double *G = malloc((n * p + p) * sizeof(double));
    if (!G) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    double *u = G + n * p;
    int rc = gmoe_infer_mean_gradient(m, data, se->lay.tau_free, mean, G, err);
    for (size_t i = 0; !rc && i < n; i++) {
        const double *g = G + i * p;
        double v = 0;
        for (size_t a = 0; a < p; a++) {
            double s = 0;
            for (size_t b = 0; b < p; b++)
                s += se->cov[a * p + b] * g[b];
            u[a] = s;
            v += g[a] * s;
        }
        se_mean[i] = v >= 0 ? sqrt(v) : NAN;
    }
    free(G);
    return rc;
}
