/* EM control: workspace, init / iterate / test, SQUAREM acceleration, stopping and status. */
#include <config.h>
#include <float.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "em_internal.h"

#define B GMOE_BLOCK

static const char *const status_names[] = {"running", "converged", "max-iterations", "degenerate",
                                           "gate-divergent"};
static const char *const stop_names[] = {"per-obs", "relative"};
static const char *const accel_names[] = {"qn", "squarem"};

const char *gmoe_fit_status_name(gmoe_fit_status status)
{
    return (unsigned)status < 5 ? status_names[status] : "unknown";
}

const char *gmoe_stop_rule_name(gmoe_stop_rule rule)
{
    return (unsigned)rule < 2 ? stop_names[rule] : "unknown";
}

int gmoe_stop_rule_parse(const char *name, gmoe_stop_rule *rule)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(name, stop_names[i]) == 0) {
            *rule = (gmoe_stop_rule)i;
            return GMOE_SUCCESS;
        }
    return GMOE_EINVAL;
}

const char *gmoe_accel_name(gmoe_accel method)
{
    return (unsigned)method < 2 ? accel_names[method] : "unknown";
}

int gmoe_accel_parse(const char *name, gmoe_accel *method)
{
    for (int i = 0; i < 2; i++)
        if (strcmp(name, accel_names[i]) == 0) {
            *method = (gmoe_accel)i;
            return GMOE_SUCCESS;
        }
    return GMOE_EINVAL;
}

gmoe_em_params gmoe_em_default_params(void)
{
    gmoe_em_params p;
    p.stop = GMOE_STOP_PER_OBS;
    p.tol = 1e-8;
    p.max_iter = 5000;
    p.accel = 1;
    p.accel_method = GMOE_ACCEL_SQUAREM;
    p.var_floor = 1e-6;
    p.fix_tau = 0;
    p.gate_newton = 5;
    p.gate_div = 50;
    p.gate_bound = INFINITY;
    return p;
}

size_t gmoe_em_nparams(const gmoe_model *m, int tau_free)
{
    size_t k = m->k, d = m->d;
    size_t np = k * (d + 2);
    switch (m->gate) {
    case GMOE_GATE_ACTIVATION:
        np += (k - 1) + k * d + (tau_free ? 1 : 0);
        break;
    case GMOE_GATE_SIGMOID:
        np += k * (d + 1);
        break;
    case GMOE_GATE_GAUSSIAN:
        /* As a function of x the gate is a softmax of (1, x, the products x_s x_t): only
         * differences between experts count, (k - 1)(1 + d + d(d+1)/2) (what AIC and BIC
         * with the conditional log-likelihood need; the marginal of x is not counted). */
        np += (k - 1) * (1 + d + d * (d + 1) / 2);
        break;
    default: /* softmax, topk, temperature: tau is not identifiable apart from beta1 */
        np += (k - 1) * (d + 1);
        break;
    }
    return np;
}

void gmoe_em_free(gmoe_em *w)
{
    if (!w) return;
    gmoe_model_free(w->m);
    gmoe_model_free(w->trial);
    free(w->r);
    free(w->lw);
    free(w->Sr);
    free(w->xbar);
    free(w->gfloor);
    free(w->p0);
    em_qn_free(w->qn);
    em_gate_sys_free(&w->g);
    free(w);
}

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
void openblas_set_num_threads(int num_threads);
#endif

/* gmoe's systems are tiny ((d+1)(k-1) unknowns): OpenBLAS's own threads would only spin
 * (sched_yield) beside the OpenMP workers of starts and sweeps. One BLAS thread. */
static void blas_single_thread(void)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(1);
#endif
}

gmoe_em *gmoe_em_alloc(size_t n, size_t d, size_t k, gmoe_gate gate)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, blas_single_thread);
    if (n == 0 || d == 0 || k == 0) return NULL;
    gmoe_em *w = calloc(1, sizeof *w);
    if (!w) return NULL;
    size_t q = d + 1;
    w->n = n;
    w->d = d;
    w->k = k;
    w->q = q;
    w->gate = gate;
    w->m = gmoe_model_alloc(k, d, gate);
    w->trial = gmoe_model_alloc(k, d, gate);
    w->r = malloc(n * k * sizeof(double));
    /* One block of scratch: lw, rb, gb, eb (B*k each), wb, u, mxb, smb, yc (B), xc (B*d), phi
     * (B*k*q), psi (B*k), gate work. */
    size_t gws = w->m ? gmoe__gate_work_size(w->m) : 0;
    size_t blk = 4 * B * k + 5 * B + B * d + B * k * q + B * k + B * q * (q + 1) / 2 + gws;
    w->lw = malloc(blk * sizeof(double));
    /* Expert statistics: Sr, Ssq (k), Sxx (k*q*q), Sxy (k*q), coef (q), mat (q*q), cref
     * (k*q). */
    w->Sr = calloc(2 * k + k * q * q + k * q + q + q * q + k * q, sizeof(double));
    w->xbar = calloc(2 * d, sizeof(double));
    /* Gaussian gate: covariance floor (d) and the M-step's scratch (2 d^2 + 5 d). */
    w->gfloor = calloc(2 * d * d + 6 * d, sizeof(double));
    if (!w->m || !w->trial || !w->r || !w->lw || !w->Sr || !w->xbar || !w->gfloor ||
        em_gate_sys_alloc(&w->g, k, d) != GMOE_SUCCESS) {
        gmoe_em_free(w);
        return NULL;
    }
    w->rb = w->lw + B * k;
    w->gb = w->rb + B * k;
    w->eb = w->gb + B * k;
    w->wb = w->eb + B * k;
    w->u = w->wb + B;
    w->mxb = w->u + B;
    w->smb = w->mxb + B;
    w->yc = w->smb + B;
    w->xc = w->yc + B;
    w->phi = w->xc + B * d;
    w->psi = w->phi + B * k * q;
    w->pp = w->psi + B * k;
    w->gwork = w->pp + B * q * (q + 1) / 2;
    w->Ssq = w->Sr + k;
    w->Sxx = w->Ssq + k;
    w->Sxy = w->Sxx + k * q * q;
    w->coef = w->Sxy + k * q;
    w->mat = w->coef + q;
    w->cref = w->mat + q * q;
    w->xsd = w->xbar + d;
    w->gscr = w->gfloor + d;
    /* SQUAREM vectors: gate theta (P, at most k*q + 1, or the Gaussian gate's packing), a
     * (k*d), b (k), log var (k). */
    size_t ng = em_gate_npack(k, d, GMOE_GATE_GAUSSIAN, NULL);
    w->npar = (ng > k * q + 1 ? ng : k * q + 1) + k * d + 2 * k;
    w->p0 = calloc(5 * w->npar, sizeof(double));
    w->qn = em_qn_alloc(k * q + 1 + k * d + 2 * k, w->npar);
    if (!w->p0 || !w->qn) {
        gmoe_em_free(w);
        return NULL;
    }
    w->p1 = w->p0 + w->npar;
    w->p2 = w->p1 + w->npar;
    w->pr = w->p2 + w->npar;
    w->pv = w->pr + w->npar;
    return w;
}

double gmoe_em_var_floor(const gmoe_data *data, double rel)
{
    size_t n = data->n;
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += data->y[i];
    double mean = s / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (data->y[i] - mean) * (data->y[i] - mean);
    /* The scale of y: its variance; for a constant y (or one whose variance underflows, as
     * with subnormal values) its magnitude; for zeros 1. Below DBL_MIN log(var) and 1/var,
     * which every density needs, would lose their meaning. */
    double v = ss / (double)n, m2 = mean * mean;
    double f = rel * (v >= DBL_MIN ? v : (m2 >= DBL_MIN ? m2 : 1.0));
    return f > DBL_MIN ? f : DBL_MIN;
}

static void data_moments(gmoe_em *w)
{
    const gmoe_data *data = w->data;
    size_t n = w->n;
    for (size_t t = 0; t < w->d; t++) {
        const double *xt = data->x + t * n;
        double s = 0, ss = 0;
        for (size_t i = 0; i < n; i++)
            s += xt[i];
        double mean = s / (double)n;
        for (size_t i = 0; i < n; i++)
            ss += (xt[i] - mean) * (xt[i] - mean);
        w->xbar[t] = mean;
        w->xsd[t] = sqrt(ss / (double)n);
    }
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += data->y[i];
    w->ybar = s / (double)n;
    for (size_t i = 0; i < n; i++)
        ss += (data->y[i] - w->ybar) * (data->y[i] - w->ybar);
    w->yvar = ss / (double)n;
}

/* Everything gmoe_em_init and gmoe_em_init_resp share: checks, parameters, the start model
 * in canonical form, data moments and the variance floor. */
static int em_setup(gmoe_em *w, const gmoe_data *data, const gmoe_model *start,
                    const gmoe_em_params *par, gmoe_error *err)
{
    if (data->n != w->n || data->d != w->d)
        return gmoe_error_set(err, GMOE_EDIM,
                              "workspace is for n = %zu, d = %zu; data have n = %zu, d = %zu", w->n,
                              w->d, data->n, data->d);
    if (start->k != w->k || start->d != w->d || start->gate != w->gate)
        return gmoe_error_set(err, GMOE_EDIM, "start model does not match the workspace");
    if (!data->y) return gmoe_error_set(err, GMOE_EINVAL, "data have no response y");
    int rc = gmoe_model_validate(start, err);
    if (rc) return rc;
    w->par = par ? *par : gmoe_em_default_params();
    if (!(w->par.tol >= 0) || w->par.gate_newton == 0 || !(w->par.var_floor >= 0))
        return gmoe_error_set(err, GMOE_EINVAL, "invalid EM parameters");
    if ((rc = em_bound_check(w->par.gate_bound, w->gate, err))) return rc;
    w->data = data;
    em_gate_sys_setup(&w->g, w->k, w->d, w->gate, em_bound_tau_free(&w->par, w->gate));
    w->ngate = em_gate_npack(w->k, w->d, w->gate, &w->g);
    w->npar = w->ngate + w->k * w->d + 2 * w->k;
    gmoe_model_copy(w->m, start);
    gmoe_model_canonicalize(w->m);
    em_bound_setup(w);
    if (w->g.bounded) { /* the start, projected onto the box */
        em_gate_to_theta(w, w->m, w->g.theta);
        em_bound_project(&w->g, w->g.theta);
        em_theta_to_gate(w, w->g.theta, w->m);
    }
    data_moments(w);
    /* The Gaussian gate's covariance floor, var_floor var(x_t) per covariate (a constant
     * covariate falls back to its square, or 1, as y does; var_floor 0: no floor). */
    for (size_t t = 0; t < w->d; t++) {
        double v = w->xsd[t] * w->xsd[t], mt = w->xbar[t];
        w->gfloor[t] = w->par.var_floor * (v > 0 ? v : (mt != 0 ? mt * mt : 1.0));
    }
    w->gamma_floored = 0;
    w->var_floor = gmoe_em_var_floor(data, w->par.var_floor);
    for (size_t j = 0; j < w->k; j++)
        if (w->m->var[j] < w->var_floor) w->m->var[j] = w->var_floor;
    em_qn_reset(w);
    /* The quasi-Newton steps need neither Q nor stored responsibilities: the fast E-step. */
    w->fast_estep = w->par.accel && w->par.accel_method == GMOE_ACCEL_QN && em_estep_fast_ok(w);
    w->fast_full = 0;
    w->iter = 0;
    w->maps = 0;
    w->passes = 0;
    w->status = GMOE_FIT_RUNNING;
    w->ll_prev = -INFINITY;
    w->ll = w->ll_cond = -INFINITY;
    w->started = 0;
    w->resp_given = 0;
    w->fisher_ok = 0;
    w->gate_unchecked = 0;
    w->reverts = 0;
    w->refused = 0;
    w->fisher_drift = 0;
    return GMOE_SUCCESS;
}

int gmoe_em_init(gmoe_em *w, const gmoe_data *data, const gmoe_model *start,
                 const gmoe_em_params *par, gmoe_error *err)
{
    int rc = em_setup(w, data, start, par, err);
    if (rc) return rc;
    rc = em_estep(w);
    if (rc) return gmoe_error_set(err, rc, "the start model gives a non-finite log-likelihood");
    w->started = 1;
    return GMOE_SUCCESS;
}

int gmoe_em_init_resp(gmoe_em *w, const gmoe_data *data, const gmoe_model *gate_start,
                      const double *resp, const gmoe_em_params *par, gmoe_error *err)
{
    int rc = em_setup(w, data, gate_start, par, err);
    if (rc) return rc;
    /* A caller inside the library (gmoe_fit) writes the start straight into w->r. */
    if (resp != w->r) memcpy(w->r, resp, w->n * w->k * sizeof(double));
    /* A top-K gate at its start selects the same K experts everywhere; fit the first gate
     * densely so that every expert gets a region. */
    size_t K = w->m->topk;
    w->m->topk = w->k;
    /* At a flat start gate the scores do not depend on tau: hold it for this first step. */
    em_gate_sys_setup(&w->g, w->k, w->d, w->gate, 0);
    w->resp_given = 1;
    rc = em_estep(w);
    w->resp_given = 0;
    size_t newton = w->par.gate_newton;
    w->par.gate_newton = newton < 25 ? 25 : newton;
    if (!rc) rc = em_mstep_experts(w);
    if (!rc) rc = em_mstep_gate(w, 0);
    em_gate_sys_setup(&w->g, w->k, w->d, w->gate, em_bound_tau_free(&w->par, w->gate));
    w->par.gate_newton = newton;
    w->m->topk = K;
    w->fisher_ok = 0; /* the statistics were those of the dense gate */
    if (rc) return gmoe_error_set(err, rc, "the start partition gives a singular M-step");
    em_mstep_variances(w);
    rc = em_estep(w);
    if (rc) return gmoe_error_set(err, rc, "the start partition gives a non-finite log-likelihood");
    w->started = 1;
    return GMOE_SUCCESS;
}

/* One EM map: M-step from the current E-step statistics, then the E-step at the new point.
 * A gate step taken without checking Q is checked here by the log-likelihood: if it fell
 * (beyond rounding), the gate goes back to the last checked point; the expert update alone
 * (an exact M-step of the experts) never lowers the log-likelihood. */
static int em_map(gmoe_em *w)
{
    double ll0 = w->ll;
    int rc = em_mstep_experts(w);
    if (!rc) rc = em_mstep_gate(w, 1);
    if (rc) return rc;
    em_mstep_variances(w);
    w->maps++;
    rc = em_estep(w);
    if (w->gate_unchecked) {
        w->gate_unchecked = 0;
        if (rc || !(w->ll >= ll0 - 1e-12 * fabs(ll0))) {
            em_theta_to_gate(w, w->g.safe, w->m);
            w->fisher_ok = 0;
            w->reverts++;
            rc = em_estep(w);
        }
    }
    return rc;
}

static void pack(const gmoe_em *w, double *p);
static int unpack(gmoe_em *w, double *p);

void em_pack(const gmoe_em *w, double *p)
{
    pack(w, p);
}

int em_unpack(gmoe_em *w, double *p)
{
    return unpack(w, p);
}

int em_map_step(gmoe_em *w)
{
    return em_map(w);
}

static void pack(const gmoe_em *w, double *p)
{
    size_t k = w->k, d = w->d, P = w->ngate;
    em_gate_to_theta(w, w->m, p);
    memcpy(p + P, w->m->a, k * d * sizeof(double));
    memcpy(p + P + k * d, w->m->b, k * sizeof(double));
    for (size_t j = 0; j < k; j++)
        p[P + k * d + k + j] = log(w->m->var[j]);
}

static int unpack(gmoe_em *w, double *p)
{
    size_t k = w->k, d = w->d, P = w->ngate;
    w->fisher_ok = 0;
    for (size_t s = 0; s < w->npar; s++)
        if (!isfinite(p[s])) return GMOE_ENUMERIC;
    em_bound_project(&w->g, p); /* the gate entries lead p, in theta's layout */
    em_theta_to_gate(w, p, w->m);
    memcpy(w->m->a, p + P, k * d * sizeof(double));
    memcpy(w->m->b, p + P + k * d, k * sizeof(double));
    for (size_t j = 0; j < k; j++) {
        double v = exp(p[P + k * d + k + j]);
        w->m->var[j] = v > w->var_floor ? v : w->var_floor;
    }
    if (!(w->m->tau > 0) || !isfinite(w->m->tau)) return GMOE_ENUMERIC;
    /* An extrapolated Gamma need not be positive definite: not a point to try. */
    if (w->gate == GMOE_GATE_GAUSSIAN)
        for (size_t j = 0; j < k; j++) {
            double ld;
            memcpy(w->gscr, w->m->Gamma + j * d * d, d * d * sizeof(double));
            if (gmoe__chol_logdet(w->gscr, d, &ld)) return GMOE_ENUMERIC;
        }
    return GMOE_SUCCESS;
}

/* One SQUAREM cycle (S3 step length, Varadhan and Roland 2008). The extrapolated point is
 * kept only if its log-likelihood is at least that of the cycle's start; otherwise the step
 * length is pulled back towards -1, which is the plain double EM step. */
static int squarem_cycle(gmoe_em *w)
{
    size_t np = w->npar;
    double ll0 = w->ll;
    pack(w, w->p0);
    int rc = em_map(w);
    if (rc) return rc;
    pack(w, w->p1);
    rc = em_map(w);
    if (rc) return rc;
    pack(w, w->p2);
    double ll2 = w->ll, sr = 0, sv = 0;
    for (size_t s = 0; s < np; s++) {
        w->pr[s] = w->p1[s] - w->p0[s];
        w->pv[s] = w->p2[s] - 2 * w->p1[s] + w->p0[s];
        sr += w->pr[s] * w->pr[s];
        sv += w->pv[s] * w->pv[s];
    }
    if (!(sv > 0)) return GMOE_SUCCESS;
    double alpha = -sqrt(sr / sv);
    if (alpha > -1) return GMOE_SUCCESS; /* the plain double step is already at p2 */
    int ok = 0;
    for (int tries = 0; tries < 6 && alpha < -1; tries++) {
        for (size_t s = 0; s < np; s++)
            w->p1[s] = w->p0[s] - 2 * alpha * w->pr[s] + alpha * alpha * w->pv[s];
        int valid = unpack(w, w->p1) == GMOE_SUCCESS;
        w->refused += !valid;
        if (valid && em_estep(w) == GMOE_SUCCESS && w->ll >= ll0) {
            ok = 1;
            break;
        }
        alpha = (alpha - 1) / 2;
    }
    if (ok) return em_map(w); /* stabilising EM step from the extrapolated point */
    /* Fall back to the plain double step p2. */
    unpack(w, w->p2);
    rc = em_estep(w);
    if (!rc && w->ll < ll2 - 1e-9 * fabs(ll2)) rc = GMOE_ENUMERIC;
    return rc;
}

/* Largest spread of the gate slopes between two experts, in units of sd(x). Gates whose
 * experts' scores are not translation invariant (activation, sigmoid) use each expert's own
 * slope instead; the sigmoid gate also the size of each score at the mean of x, which runs
 * off when the gate drifts to its softmax limit (every score to -inf) or saturates. */
static double gate_steepness(const gmoe_em *w)
{
    const gmoe_model *m = w->m;
    size_t k = w->k, d = w->d;
    double best = 0;
    if (w->gate == GMOE_GATE_ACTIVATION || w->gate == GMOE_GATE_SIGMOID) {
        int act = w->gate == GMOE_GATE_ACTIVATION;
        double slope0 = act && m->act == GMOE_ACT_SIGMOID ? 0.25 : 1.0;
        double itau = act ? 1.0 / m->tau : 1.0;
        for (size_t j = 0; j < k; j++) {
            double s = 0, centre = m->beta0[j];
            for (size_t t = 0; t < d; t++) {
                double v = m->beta1[j * d + t] * w->xsd[t];
                s += v * v;
                centre += m->beta1[j * d + t] * w->xbar[t];
            }
            s = sqrt(s) * slope0 * itau;
            if (s > best) best = s;
            if (!act && fabs(centre) > best) best = fabs(centre);
        }
        return best;
    }
    if (w->gate == GMOE_GATE_GAUSSIAN) return 0; /* covariances are floored: no divergence */
    double itau = w->gate == GMOE_GATE_TEMPERATURE ? 1.0 / m->tau : 1.0;
    for (size_t j = 0; j < k; j++)
        for (size_t l = j + 1; l < k; l++) {
            double s = 0;
            for (size_t t = 0; t < d; t++) {
                double v = (m->beta1[j * d + t] - m->beta1[l * d + t]) * w->xsd[t];
                s += v * v;
            }
            s = sqrt(s) * itau;
            if (s > best) best = s;
        }
    return best;
}

static gmoe_fit_status final_status(const gmoe_em *w, gmoe_fit_status base)
{
    for (size_t j = 0; j < w->k; j++)
        if (w->m->var[j] <= w->var_floor * (1 + 1e-9) || w->Sr[j] < 1e-8 * (double)w->n)
            return GMOE_FIT_DEGENERATE;
    if (w->gamma_floored) return GMOE_FIT_DEGENERATE;
    /* A gate in a box cannot run off: steep is what the bound allows. */
    if (!w->g.bounded && gate_steepness(w) > w->par.gate_div) return GMOE_FIT_GATE_DIVERGENT;
    return base;
}

int gmoe_em_iterate(gmoe_em *w, gmoe_error *err)
{
    if (!w->started) return gmoe_error_set(err, GMOE_EINVAL, "gmoe_em_iterate before init");
    if (w->status != GMOE_FIT_RUNNING) return GMOE_SUCCESS;
    w->ll_prev = w->ll;
    int rc;
    if (!w->par.accel)
        rc = em_map(w);
    else if (w->par.accel_method == GMOE_ACCEL_QN && w->gate != GMOE_GATE_GAUSSIAN)
        rc = em_qn_cycle(w);
    else
        rc = squarem_cycle(w);
    if (rc) {
        return gmoe_error_set(err, rc, "EM iteration %zu failed: %s", w->iter + 1,
                              rc == GMOE_ENUMERIC ? "non-finite log-likelihood"
                                                  : gmoe_strerror(rc));
    }
    w->iter++;
    return GMOE_SUCCESS;
}

int gmoe_em_test(gmoe_em *w)
{
    if (w->status != GMOE_FIT_RUNNING) return GMOE_SUCCESS;
    if (w->iter == 0) return GMOE_CONTINUE;
    double dl = fabs(w->ll - w->ll_prev);
    int conv = w->par.stop == GMOE_STOP_RELATIVE ? dl <= w->par.tol * fabs(w->ll_prev)
                                                 : dl <= w->par.tol * (double)w->n;
    if (conv)
        w->status = final_status(w, GMOE_FIT_CONVERGED);
    else if (w->iter >= 20 && !w->g.bounded && gate_steepness(w) > 4 * w->par.gate_div)
        w->status = final_status(w, GMOE_FIT_GATE_DIVERGENT); /* running away */
    else if (w->iter >= w->par.max_iter)
        w->status = final_status(w, GMOE_FIT_MAX_ITER);
    return w->status == GMOE_FIT_RUNNING ? GMOE_CONTINUE : GMOE_SUCCESS;
}

const gmoe_model *gmoe_em_model(const gmoe_em *w)
{
    return w->m;
}
double gmoe_em_loglik(const gmoe_em *w)
{
    return w->ll_cond;
}
double gmoe_em_objective(const gmoe_em *w)
{
    return w->ll;
}
size_t gmoe_em_iterations(const gmoe_em *w)
{
    return w->iter;
}
gmoe_fit_status gmoe_em_status(const gmoe_em *w)
{
    return w->status;
}

int gmoe_em_driver(gmoe_em *w, gmoe_em_callback cb, void *cbdata, gmoe_em_info *info,
                   gmoe_error *err)
{
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    int rc = GMOE_SUCCESS;
    while (gmoe_em_test(w) == GMOE_CONTINUE) {
        rc = gmoe_em_iterate(w, err);
        if (rc) break;
        if (cb && cb(w, cbdata)) {
            w->status = final_status(w, GMOE_FIT_MAX_ITER);
            break;
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    if (info) {
        info->loglik = w->ll_cond;
        info->objective = w->ll;
        info->iterations = w->iter;
        info->maps = w->maps;
        info->passes = w->passes;
        info->status = w->status;
        info->stop = w->par.stop;
        info->bound_active = em_bound_count(w);
        info->seconds = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    }
    return rc;
}
