/* The sweep metric `coverage`: for every parameter of every true expert, whether the fit's
 * 95 % Wald interval (observed information, gmoe_infer.h) covers the true value.
 *
 * Exact-specified settings only (k = k*): the fitted experts are matched to the true ones by
 * the Voronoi cells of the loss (gmoe_eval_loss); a task whose cells are not one fitted expert
 * each, or whose fit has no standard errors, gets NaN in every column. Only identified
 * quantities are compared: for gates with a translation freedom the gate parameters relative
 * to the expert matched to the truth's reference (last) expert, beta_pi(l) - beta_pi(L)
 * against beta*_l - beta*_L, with the variance of the difference from the covariance matrix;
 * for the temperature gate beta1 / tau (tau is held: the config must set fix_tau); the
 * activation gate's beta1, the sigmoid gate's parameters and the Gaussian gate's pi, c, Gamma
 * as they are. Columns cover_<param>_<l> (l the true expert, from 1; param beta0, beta1, pi,
 * c, Gamma, a, b, v, with x<t> (and x<t>x<u> for Gamma) appended when d > 1) and cover_tau
 * for an estimated tau. */
#include <config.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sweep_internal.h"
#include "infer_internal.h"

#define Z975 1.959963984540054

enum { K_B0, K_B1, K_PI, K_C, K_G, K_A, K_B, K_V, K_TAU };
static const char *const kind_names[] = {"beta0", "beta1", "pi", "c",  "Gamma",
                                         "a",     "b",     "v",  "tau"};

typedef struct entry {
    size_t l, t, u;
    int kind;
} entry;

static int translated(gmoe_gate g)
{
    return g == GMOE_GATE_SOFTMAX || g == GMOE_GATE_TOPK || g == GMOE_GATE_TEMPERATURE;
}

static int tau_free(const gmoe_sweep *sw)
{
    return gmoe_model_gate(sw->truth) == GMOE_GATE_ACTIVATION && !sw->fit.em.fix_tau;
}

/* The compared quantities, in column order, into out (NULL: count only). */
static size_t entries(const gmoe_sweep *sw, entry *out)
{
    const gmoe_model *t = sw->truth;
    size_t ks = t->k, d = t->d, n = 0;
    gmoe_gate g = t->gate;
    int pin1 = translated(g), pin0 = pin1 || g == GMOE_GATE_ACTIVATION;
#define ADD(L, K, T, U)                                                                            \
    do {                                                                                           \
        if (out) out[n] = (entry){L, T, U, K};                                                     \
        n++;                                                                                       \
    } while (0)
    for (size_t l = 0; l < ks; l++) {
        int last = l + 1 == ks;
        if (g == GMOE_GATE_GAUSSIAN) {
            ADD(l, K_PI, 0, 0);
            for (size_t s = 0; s < d; s++)
                ADD(l, K_C, s, 0);
            for (size_t s = 0; s < d; s++)
                for (size_t u = s; u < d; u++)
                    ADD(l, K_G, s, u);
        } else {
            if (!(pin0 && last)) ADD(l, K_B0, 0, 0);
            for (size_t s = 0; s < d && !(pin1 && last); s++)
                ADD(l, K_B1, s, 0);
        }
        for (size_t s = 0; s < d; s++)
            ADD(l, K_A, s, 0);
        ADD(l, K_B, 0, 0);
        ADD(l, K_V, 0, 0);
    }
    if (tau_free(sw)) ADD(0, K_TAU, 0, 0);
#undef ADD
    return n;
}

size_t gmoe__sweep_coverage_count(const gmoe_sweep *sw)
{
    return entries(sw, NULL);
}

int gmoe__sweep_coverage_names(const gmoe_sweep *sw, char **names)
{
    size_t n = entries(sw, NULL), d = sw->truth->d, len = 0;
    entry *e = malloc((n + 1) * sizeof *e);
    char *s = malloc(n * 48 + 1);
    if (!e || !s) {
        free(e);
        free(s);
        return GMOE_ENOMEM;
    }
    entries(sw, e);
    s[0] = 0;
    for (size_t i = 0; i < n; i++) {
        char idx[40] = "";
        if (d > 1 && (e[i].kind == K_B1 || e[i].kind == K_C || e[i].kind == K_A))
            snprintf(idx, sizeof idx, "x%zu", e[i].t + 1);
        if (d > 1 && e[i].kind == K_G)
            snprintf(idx, sizeof idx, "x%zux%zu", e[i].t + 1, e[i].u + 1);
        if (e[i].kind == K_TAU)
            len += (size_t)sprintf(s + len, ",cover_tau");
        else
            len +=
                (size_t)sprintf(s + len, ",cover_%s%s_%zu", kind_names[e[i].kind], idx, e[i].l + 1);
    }
    free(e);
    *names = s;
    return GMOE_SUCCESS;
}

int gmoe__sweep_coverage_check(const gmoe_sweep *sw, const char *file, gmoe_error *err)
{
    if (!(sw->metrics & GMOE_METRIC_COVERAGE)) return GMOE_SUCCESS;
    size_t ks = gmoe_model_k(sw->truth);
    if (sw->k != ks)
        return gmoe_error_set(err, GMOE_EPARSE,
                              "%s: metrics: coverage needs an exact-specified fit, k = k* = %zu "
                              "(got k = %zu)",
                              file, ks, sw->k);
    if (gmoe_model_gate(sw->truth) == GMOE_GATE_TEMPERATURE && !sw->fit.em.fix_tau)
        return gmoe_error_set(err, GMOE_EPARSE,
                              "%s: metrics: coverage with the temperature gate needs fix_tau "
                              "(with tau estimated only beta1/tau is identified: no standard "
                              "errors)",
                              file);
    return GMOE_SUCCESS;
}

/* Covariance entry (a, b), 0 for a parameter the canonical form fixes. */
static double cv(const double *V, size_t p, size_t a, size_t b)
{
    return a == INFER_NONE || b == INFER_NONE ? 0.0 : V[a * p + b];
}

/* Estimate, truth and variance of entry e for the fit f matched by pi (true -> fitted). */
static void compare(const gmoe_model *f, const gmoe_model *t, const infer_layout *lay,
                    const double *V, const size_t *pi, const entry *e, double out[3])
{
    size_t p = lay->p, d = f->d, l = e->l, L = t->k - 1, j = pi[l], r = pi[L], s = e->t;
    int tr = translated(f->gate) || (f->gate == GMOE_GATE_ACTIVATION && e->kind == K_B0);
    double scale = f->gate == GMOE_GATE_TEMPERATURE ? 1 / f->tau : 1.0;
    double tscale = f->gate == GMOE_GATE_TEMPERATURE ? 1 / t->tau : 1.0;
    size_t qj = INFER_NONE, qr = INFER_NONE;
    double ej = 0, er = 0, tj = 0, tl = 0;
    switch (e->kind) {
    case K_B0:
    case K_B1:
        qj = e->kind == K_B0 ? lay->b0[j] : lay->b1[j] == INFER_NONE ? INFER_NONE : lay->b1[j] + s;
        qr = e->kind == K_B0 ? lay->b0[r] : lay->b1[r] == INFER_NONE ? INFER_NONE : lay->b1[r] + s;
        ej = e->kind == K_B0 ? f->beta0[j] : f->beta1[j * d + s] * scale;
        er = e->kind == K_B0 ? f->beta0[r] : f->beta1[r * d + s] * scale;
        tj = e->kind == K_B0 ? t->beta0[l] : t->beta1[l * d + s] * tscale;
        tl = e->kind == K_B0 ? t->beta0[L] : t->beta1[L * d + s] * tscale;
        if (e->kind == K_B0) scale = 1.0;
        if (!tr) {
            out[0] = ej, out[1] = tj;
            out[2] = scale * scale * cv(V, p, qj, qj);
        } else {
            out[0] = ej - er, out[1] = tj - tl;
            out[2] = scale * scale * (cv(V, p, qj, qj) + cv(V, p, qr, qr) - 2 * cv(V, p, qj, qr));
        }
        return;
    case K_PI: {
        double sf = 0, st = 0, v = 0;
        for (size_t m = 0; m < f->k; m++)
            sf += f->pi[m], st += t->pi[m];
        if (lay->pi[j] != INFER_NONE) {
            v = cv(V, p, lay->pi[j], lay->pi[j]);
        } else {
            for (size_t a = 0; a + 1 < f->k; a++)
                for (size_t b = 0; b + 1 < f->k; b++)
                    v += cv(V, p, lay->pi[a], lay->pi[b]);
        }
        out[0] = f->pi[j] / sf, out[1] = t->pi[l] / st, out[2] = v;
        return;
    }
    case K_C:
        qj = lay->c[j] + s;
        out[0] = f->c[j * d + s], out[1] = t->c[l * d + s];
        break;
    case K_G:
        qj = lay->G[j] + infer_tri(d, s, e->u);
        out[0] = f->Gamma[j * d * d + s * d + e->u], out[1] = t->Gamma[l * d * d + s * d + e->u];
        break;
    case K_A:
        qj = lay->a[j] + s;
        out[0] = f->a[j * d + s], out[1] = t->a[l * d + s];
        break;
    case K_B:
        qj = lay->a[j] + d;
        out[0] = f->b[j], out[1] = t->b[l];
        break;
    case K_V:
        qj = lay->a[j] + d + 1;
        out[0] = f->var[j], out[1] = t->var[l];
        break;
    default:
        qj = lay->tau;
        out[0] = f->tau, out[1] = t->tau;
        break;
    }
    out[2] = cv(V, p, qj, qj);
}

int gmoe__sweep_coverage_task(const gmoe_sweep *sw, const gmoe_data *data, const gmoe_model *fit,
                              const gmoe_fit_result *fr, const gmoe_eval_result *ev, int ev_ok,
                              double *out)
{
    size_t n = entries(sw, NULL), ks = sw->truth->k;
    for (size_t i = 0; i < n; i++)
        out[i] = NAN;
    if (!fit || !ev_ok) return GMOE_SUCCESS;
    /* The matching: every cell one fitted expert. */
    size_t pi[64], *perm = ks <= 64 ? pi : malloc(ks * sizeof(size_t));
    entry *e = malloc(n * sizeof *e);
    gmoe_model *t = gmoe_model_clone(sw->truth);
    gmoe_se_params sp = gmoe_se_default_params();
    sp.tau_free = tau_free(sw);
    gmoe_se *se = gmoe_se_alloc(fit, sp.tau_free);
    infer_layout lay = {0};
    int rc = !perm || !e || !t || !se || infer_layout_init(&lay, fit, sp.tau_free) ? GMOE_ENOMEM
                                                                                   : GMOE_SUCCESS;
    int matched = !rc;
    for (size_t l = 0; matched && l < ks; l++) {
        matched = ev->cell_size[l] == 1;
        for (size_t j = 0; j < fit->k; j++)
            if (ev->cell[j] == l) perm[l] = j;
    }
    if (matched) {
        gmoe_model_canonicalize(t);
        gmoe_error err;
        rc = gmoe_se_compute(se, fit, data, &sp, &fr->info, &err);
    }
    const double *V = matched && !rc ? gmoe_se_cov(se) : NULL;
    if (V) {
        entries(sw, e);
        for (size_t i = 0; i < n; i++) {
            double c[3];
            compare(fit, t, &lay, V, perm, e + i, c);
            out[i] = c[2] > 0 ? (fabs(c[0] - c[1]) <= Z975 * sqrt(c[2])) : NAN;
        }
    }
    if (perm != pi) free(perm);
    free(e);
    gmoe_model_free(t);
    gmoe_se_free(se);
    infer_layout_free(&lay);
    return rc == GMOE_ENOMEM ? rc : GMOE_SUCCESS;
}
