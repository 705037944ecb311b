/* The observed information and the per-observation scores in one pass over the data
 * (gmoe_infer.h gives the formulas). Per observation the gradients D z_l of the gate scores
 * and h_l of f_l are dense vectors of the p free parameters (p is small: tens); their outer
 * products are summed by dsyrk over batches of rows, the few second derivatives that are
 * not outer products (the experts', and those of nonlinear scores) entry by entry. */
#include <config.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cblas.h>
#include <lapacke.h>
#include "infer_internal.h"

#define LOG_2PI 1.8378770664093454836

/* Scratch of one pass. Rows of the batches are vectors of p values. */
typedef struct pass {
    const gmoe_model *m;
    const gmoe_data *data;
    infer_layout lay;
    size_t p, cap;        /* batch capacity in rows */
    double *Z, *zbar, *s; /* k*p gate-score gradients, their g-mean, the score */
    double *pos, *neg, *sc;
    size_t npos, nneg, nsc;
    double *Hd;       /* p*p: the terms that are not outer products (upper triangle) */
    double *Hp, *Hn;  /* p*p: sums of the r- and g-weighted outer products */
    double *J, *grad; /* NULL when not asked for, else Jown and gown */
    double *Jown, *gown, *Hh;
    double *P, *Pld; /* Gaussian gate: Gamma_j^-1 (k*d*d) and log-determinants (k) */
    double *rsum;    /* Gaussian gate: sum_i r_ij (k) */
    double *lw, *gw, *work;
    double *gwb, *lc; /* the block's gate weights (GMOE_BLOCK*k), -(log 2 pi + log var_l)/2 */
    double *f, *r, *x, *val;
    size_t *idx;
    size_t *sup, *nsup, *ngate; /* per expert: support() of f_l, k*p, k, k */
    double *blk; /* per expert l: the Hessian terms in its support, nsup[l]^2 (upper) of p*p */
    double total;
} pass;

static void addu(double *H, size_t p, size_t q1, size_t q2, double v)
{
    if (q1 > q2) {
        size_t t = q1;
        q1 = q2;
        q2 = t;
    }
    H[q1 * p + q2] += v;
}

static void flush(pass *ps, double *rows, size_t *nrows, double *C)
{
    if (*nrows == 0) return;
    cblas_dsyrk(CblasRowMajor, CblasUpper, CblasTrans, (int)ps->p, (int)*nrows, 1.0, rows,
                (int)ps->p, 1.0, C, (int)ps->p);
    *nrows = 0;
}

/* A free slot for one more row of a batch (flushing a full batch first). */
static double *slot(pass *ps, double *rows, size_t *nrows, double *C)
{
    if (*nrows == ps->cap) flush(ps, rows, nrows, C);
    return rows + (*nrows)++ * ps->p;
}

/* Expert l's log density at (x, y), its gradient into h (its a, b, var entries) and, with
 * weight wt, its Hessian into Hd. */
static double expert_terms(pass *ps, size_t l, const double *x, double y, double *h, double wt)
{
    const gmoe_model *m = ps->m;
    size_t d = m->d, qa = ps->lay.a[l], qv = qa + d + 1;
    /* The expert's block of the local matrix of expert l (gmoe_infer_information's blk):
     * its parameters are the last d + 2 of the support, in the order a, b, var. */
    size_t nt = ps->nsup[l], o = nt - (d + 2);
    double *B = ps->blk + l * ps->p * ps->p;
    double mu = m->b[l];
    for (size_t t = 0; t < d; t++)
        mu += m->a[l * d + t] * x[t];
    double v = m->var[l], del = y - mu, dv = del / v, wv = wt / v;
    for (size_t t = 0; t <= d; t++) {
        double xt = t < d ? x[t] : 1.0;
        h[qa + t] += dv * xt;
        if (wt != 0) {
            double *Bt = B + (o + t) * nt + o;
            for (size_t u = t; u <= d; u++)
                Bt[u] -= wv * xt * (u < d ? x[u] : 1.0);
            Bt[d + 1] -= wv * dv * xt;
        }
    }
    h[qv] += 0.5 * (dv * dv - 1.0 / v);
    if (wt != 0) B[(o + d + 1) * nt + o + d + 1] += wt * (0.5 / (v * v) - dv * dv / v);
    return -0.5 * (LOG_2PI + log(v) + del * dv);
}

/* Gradient of gate score z_l (softmax-type gates) into Zl, and wt times its Hessian into Hd. */
static void score_terms(pass *ps, size_t l, const double *x, double *Zl, double wt)
{
    const gmoe_model *m = ps->m;
    const infer_layout *lay = &ps->lay;
    size_t d = m->d, p = ps->p, q0 = lay->b0[l], q1 = lay->b1[l], qt = lay->tau;
    double w = 0, itau = 1.0 / m->tau;
    for (size_t t = 0; t < d; t++)
        w += m->beta1[l * d + t] * x[t];
    double ds = 1, d2s = 0, dtau = 0, d2tau = 0, dcross = 0; /* dz/dw etc. */
    switch (m->gate) {
    case GMOE_GATE_TEMPERATURE:
        ds = itau;
        dtau = -w * itau * itau;
        d2tau = 2 * w * itau * itau * itau;
        dcross = -itau * itau;
        break;
    case GMOE_GATE_ACTIVATION: {
        double a = gmoe__act(m->act, w), a1 = gmoe__act_deriv(m->act, w);
        /* tanh'' = -2 tanh tanh', sigmoid'' = sigmoid' (1 - 2 sigmoid) */
        double a2 = m->act == GMOE_ACT_SIGMOID ? a1 * (1 - 2 * a) : -2 * a * a1;
        ds = a1 * itau;
        d2s = a2 * itau;
        dtau = -a * itau * itau;
        d2tau = 2 * a * itau * itau * itau;
        dcross = -a1 * itau * itau;
        break;
    }
    case GMOE_GATE_SIGMOID: {
        double sc = w + m->beta0[l], e = exp(-fabs(sc));
        double sn = sc > 0 ? e / (1 + e) : 1 / (1 + e); /* sigmoid(-sc) */
        ds = sn;
        d2s = -sn * (1 - sn);
        break;
    }
    default:
        break;
    }
    /* The score's nonlinear part is a function of one linear form: sigmoid of
     * beta0 + beta1'x, act of beta1'x; list its coefficients once. */
    int sig = m->gate == GMOE_GATE_SIGMOID;
    size_t nl = 0;
    if (q0 != INFER_NONE) Zl[q0] = sig ? ds : 1.0;
    if (sig && q0 != INFER_NONE) {
        ps->idx[nl] = q0;
        ps->val[nl++] = 1.0;
    }
    if (q1 != INFER_NONE)
        for (size_t t = 0; t < d; t++) {
            Zl[q1 + t] = ds * x[t];
            ps->idx[nl] = q1 + t;
            ps->val[nl++] = x[t];
        }
    if (qt != INFER_NONE) Zl[qt] = dtau;
    if (wt == 0) return;
    if (d2s != 0)
        for (size_t s = 0; s < nl; s++)
            for (size_t u = s; u < nl; u++)
                addu(ps->Hd, p, ps->idx[s], ps->idx[u], wt * d2s * ps->val[s] * ps->val[u]);
    if (qt != INFER_NONE) {
        addu(ps->Hd, p, qt, qt, wt * d2tau);
        if (q1 != INFER_NONE)
            for (size_t t = 0; t < d; t++)
                addu(ps->Hd, p, q1 + t, qt, wt * dcross * x[t]);
    }
}

/* Expert l's log density; lc = -(log 2 pi + log var_l) / 2, computed once per pass. */
static double expert_logpdf(const gmoe_model *m, size_t l, const double *x, double y, double lc)
{
    double mu = m->b[l];
    for (size_t t = 0; t < m->d; t++)
        mu += m->a[l * m->d + t] * x[t];
    double del = y - mu;
    return lc - 0.5 * del * del / m->var[l];
}

/* Gaussian gate: P_l = Gamma_l^-1 and log det Gamma_l for every expert. */
static int gauss_prepare(pass *ps)
{
    const gmoe_model *m = ps->m;
    size_t d = m->d;
    for (size_t l = 0; l < m->k; l++) {
        double *P = ps->P + l * d * d, ld = 0;
        memcpy(P, m->Gamma + l * d * d, d * d * sizeof(double));
        if (LAPACKE_dpotrf(LAPACK_ROW_MAJOR, 'U', (lapack_int)d, P, (lapack_int)d))
            return GMOE_ENUMERIC;
        for (size_t s = 0; s < d; s++)
            ld += 2 * log(P[s * d + s]);
        if (LAPACKE_dpotri(LAPACK_ROW_MAJOR, 'U', (lapack_int)d, P, (lapack_int)d))
            return GMOE_ENUMERIC;
        for (size_t s = 0; s < d; s++)
            for (size_t t = 0; t < s; t++)
                P[s * d + t] = P[t * d + s];
        ps->Pld[l] = ld;
    }
    return GMOE_SUCCESS;
}

/* zeta = P_l (x - c_l); returns the Gaussian gate's log pi_l N(x; c_l, Gamma_l). */
static double gauss_score(pass *ps, size_t l, const double *x, double *zeta)
{
    const gmoe_model *m = ps->m;
    size_t d = m->d;
    const double *P = ps->P + l * d * d, *c = m->c + l * d;
    double q = 0;
    for (size_t s = 0; s < d; s++) {
        double v = 0;
        for (size_t t = 0; t < d; t++)
            v += P[s * d + t] * (x[t] - c[t]);
        zeta[s] = v;
        q += v * (x[s] - c[s]);
    }
    return log(m->pi[l]) - 0.5 * (ps->Pld[l] + (double)d * LOG_2PI + q);
}

/* E_st v for the symmetric unit direction E_st of Gamma (s <= t), as at most two entries. */
static size_t unit_apply(size_t s, size_t t, const double *v, size_t *at, double *val)
{
    at[0] = s;
    val[0] = v[t];
    if (s == t) return 1;
    at[1] = t;
    val[1] = v[s];
    return 2;
}

/* Gradient of the Gaussian gate's score l into Zl and wt times its x-dependent Hessian into
 * Hd (the constant parts are added once, weighted by sum_i r_il, in gauss_constant). */
static void gauss_terms(pass *ps, size_t l, const double *x, double *Zl, double wt)
{
    const gmoe_model *m = ps->m;
    const infer_layout *lay = &ps->lay;
    size_t d = m->d, k = m->k, p = ps->p, qc = lay->c[l], qG = lay->G[l];
    const double *P = ps->P + l * d * d;
    double *zeta = ps->val;
    gauss_score(ps, l, x, zeta);
    if (l + 1 < k)
        Zl[lay->pi[l]] = 1 / m->pi[l];
    else
        for (size_t j = 0; j + 1 < k; j++)
            Zl[lay->pi[j]] = -1 / m->pi[l];
    for (size_t s = 0; s < d; s++) {
        Zl[qc + s] = zeta[s];
        for (size_t t = s; t < d; t++)
            Zl[qG + infer_tri(d, s, t)] = s == t ? 0.5 * (zeta[s] * zeta[s] - P[s * d + s])
                                                 : zeta[s] * zeta[t] - P[s * d + t];
    }
    if (wt == 0) return;
    size_t a1[2], a2[2];
    double v1[2], v2[2];
    for (size_t s1 = 0; s1 < d; s1++)
        for (size_t t1 = s1; t1 < d; t1++) {
            size_t q1 = qG + infer_tri(d, s1, t1), n1 = unit_apply(s1, t1, zeta, a1, v1);
            /* d2/dc dGamma_E = -P E zeta */
            for (size_t u = 0; u < d; u++) {
                double v = 0;
                for (size_t e = 0; e < n1; e++)
                    v += P[u * d + a1[e]] * v1[e];
                addu(ps->Hd, p, qc + u, q1, -wt * v);
            }
            /* d2/dGamma_E1 dGamma_E2, x-dependent part: -(E1 zeta)' P (E2 zeta) */
            for (size_t s2 = s1; s2 < d; s2++)
                for (size_t t2 = s2 == s1 ? t1 : s2; t2 < d; t2++) {
                    size_t n2 = unit_apply(s2, t2, zeta, a2, v2);
                    double v = 0;
                    for (size_t e = 0; e < n1; e++)
                        for (size_t f = 0; f < n2; f++)
                            v += v1[e] * P[a1[e] * d + a2[f]] * v2[f];
                    addu(ps->Hd, p, q1, qG + infer_tri(d, s2, t2), -wt * v);
                }
        }
}

/* The Gaussian gate's Hessian parts that do not depend on x, times sum_i r_il: -1/pi^2 for
 * log pi, -P for the centre, 1/2 tr(P E2 P E1) for Gamma. */
static void gauss_constant(pass *ps)
{
    const gmoe_model *m = ps->m;
    const infer_layout *lay = &ps->lay;
    size_t d = m->d, k = m->k, p = ps->p;
    for (size_t l = 0; l < k; l++) {
        double R = ps->rsum[l], ip2 = 1 / (m->pi[l] * m->pi[l]);
        const double *P = ps->P + l * d * d;
        size_t qc = lay->c[l], qG = lay->G[l];
        if (l + 1 < k)
            addu(ps->Hd, p, lay->pi[l], lay->pi[l], -R * ip2);
        else
            for (size_t i = 0; i + 1 < k; i++)
                for (size_t j = i; j + 1 < k; j++)
                    addu(ps->Hd, p, lay->pi[i], lay->pi[j], -R * ip2);
        for (size_t s = 0; s < d; s++)
            for (size_t t = s; t < d; t++)
                addu(ps->Hd, p, qc + s, qc + t, -R * P[s * d + t]);
        for (size_t s1 = 0; s1 < d; s1++)
            for (size_t t1 = s1; t1 < d; t1++)
                for (size_t s2 = 0; s2 < d; s2++)
                    for (size_t t2 = s2; t2 < d; t2++) {
                        size_t q1 = qG + infer_tri(d, s1, t1), q2 = qG + infer_tri(d, s2, t2);
                        if (q2 < q1) continue;
                        /* tr(P E2 P E1) = sum over the unit entries (a,b) of E1 and (c,e)
                         * of E2 of P_bc P_ea */
                        size_t A[2][2] = {{s1, t1}, {t1, s1}}, C[2][2] = {{s2, t2}, {t2, s2}};
                        double tr = 0;
                        for (size_t e1 = 0; e1 < (s1 == t1 ? 1u : 2u); e1++)
                            for (size_t e2 = 0; e2 < (s2 == t2 ? 1u : 2u); e2++)
                                tr += P[A[e1][1] * d + C[e2][0]] * P[C[e2][1] * d + A[e1][0]];
                        addu(ps->Hd, p, q1, q2, 0.5 * R * tr);
                    }
    }
}

/* The parameters that expert l's f_l = log g_l-score + log density depends on, into sup
 * (gate-score part first: *ngate of them), returning their number. */
static size_t support(const infer_layout *lay, gmoe_gate gate, size_t l, size_t *sup, size_t *ngate)
{
    size_t n = 0, d = lay->d, k = lay->k;
    if (gate == GMOE_GATE_GAUSSIAN) {
        for (size_t j = 0; j + 1 < k; j++)
            if (j == l || l + 1 == k) sup[n++] = lay->pi[j];
        for (size_t t = 0; t < d + d * (d + 1) / 2; t++)
            sup[n++] = t < d ? lay->c[l] + t : lay->G[l] + t - d;
    } else {
        if (lay->b0[l] != INFER_NONE) sup[n++] = lay->b0[l];
        for (size_t t = 0; lay->b1[l] != INFER_NONE && t < d; t++)
            sup[n++] = lay->b1[l] + t;
        if (lay->tau != INFER_NONE) sup[n++] = lay->tau;
    }
    *ngate = n;
    for (size_t t = 0; t < d + 2; t++)
        sup[n++] = lay->a[l] + t;
    return n;
}

/* Observation i (row r of the current block, whose log gate weights are in ps->lw). With
 * v_l = D f_l (sparse: expert l's own parameters), z_l = D z_l (its gate part), w = sum_l
 * r_l v_l and zbar = sum_l g_l z_l, the score is s = w - zbar and the Hessian's outer-product
 * terms sum_l r_l (h_l - s)(h_l - s)' - sum_l g_l (z_l - zbar)(z_l - zbar)' (gmoe_infer.h)
 * expand to sum_l (r_l v_l v_l' - g_l z_l z_l') - w w' + zbar zbar': sparse blocks added
 * entry by entry, and two dense rank-one terms per observation for dsyrk (k times fewer
 * than the centred form). */
static void observe(pass *ps, size_t i, size_t r)
{
    const gmoe_model *m = ps->m;
    size_t k = m->k, d = m->d, p = ps->p, n = ps->data->n;
    int gauss = m->gate == GMOE_GATE_GAUSSIAN;
    double *x = ps->x, y = ps->data->y[i], *f = ps->f, *rr = ps->r, *g = ps->gw;
    for (size_t t = 0; t < d; t++)
        x[t] = ps->data->x[t * n + i];
    double mx = -INFINITY;
    for (size_t l = 0; l < k; l++) {
        double lg = gauss ? gauss_score(ps, l, x, ps->val) : ps->lw[l * GMOE_BLOCK + r];
        g[l] = gauss ? 0.0 : ps->gwb[l * GMOE_BLOCK + r];
        f[l] = lg + expert_logpdf(m, l, x, y, ps->lc[l]);
        if (f[l] > mx) mx = f[l];
    }
    double sum = 0;
    for (size_t l = 0; l < k; l++)
        sum += rr[l] = exp(f[l] - mx);
    for (size_t l = 0; l < k; l++)
        rr[l] /= sum;
    ps->total += mx + log(sum);
    /* w and zbar go straight into their rows of the dsyrk batches */
    double *D = ps->Z, *w = slot(ps, ps->neg, &ps->nneg, ps->Hn);
    double *zbar = gauss ? ps->zbar : slot(ps, ps->pos, &ps->npos, ps->Hp);
    memset(zbar, 0, p * sizeof(double));
    memset(w, 0, p * sizeof(double));
    for (size_t l = 0; l < k; l++) {
        if (rr[l] == 0 && g[l] == 0) continue; /* an expert top-K leaves out */
        if (gauss) {
            gauss_terms(ps, l, x, D, rr[l]);
            ps->rsum[l] += rr[l];
        } else {
            score_terms(ps, l, x, D, rr[l] - g[l]);
        }
        expert_terms(ps, l, x, y, D, rr[l]);
        const size_t *S = ps->sup + l * p;
        size_t nt = ps->nsup[l], ng = ps->ngate[l];
        double *v = ps->Hh;
        for (size_t a = 0; a < nt; a++) {
            v[a] = D[S[a]];
            D[S[a]] = 0;
            w[S[a]] += rr[l] * v[a];
            if (a < ng) zbar[S[a]] += g[l] * v[a];
        }
        /* into expert l's local matrix (nt x nt, upper), scattered once per pass */
        double *B = ps->blk + l * p * p;
        for (size_t a = 0; a < nt; a++) {
            double ra = rr[l] * v[a], ga = a < ng ? g[l] * v[a] : 0.0, *Ba = B + a * nt;
            for (size_t b = a; b < ng; b++)
                Ba[b] += (ra - ga) * v[b];
            for (size_t b = a > ng ? a : ng; b < nt; b++)
                Ba[b] += ra * v[b];
        }
    }
    if (!ps->grad && !ps->J) return;
    double *sc = ps->J ? slot(ps, ps->sc, &ps->nsc, ps->J) : ps->s;
    for (size_t q = 0; q < p; q++)
        sc[q] = w[q] - zbar[q]; /* the score */
    if (ps->grad)
        for (size_t q = 0; q < p; q++)
            ps->grad[q] += sc[q];
}

static void pass_free(pass *ps)
{
    free(ps->Z);
    free(ps->idx);
    infer_layout_free(&ps->lay);
}

static int pass_alloc(pass *ps, const gmoe_model *m, const gmoe_data *data, int tau_free)
{
    memset(ps, 0, sizeof *ps);
    ps->m = m;
    ps->data = data;
    if (infer_layout_init(&ps->lay, m, tau_free)) return GMOE_ENOMEM;
    size_t k = m->k, d = m->d, p = ps->lay.p;
    ps->p = p;
    /* Batches of about a megabyte, and at least one observation's rows. */
    ps->cap = (size_t)1 << 17 < p * (k + 1) ? k + 1 : ((size_t)1 << 17) / p;
    size_t gws = gmoe__gate_work_size(m);
    size_t total = GMOE_BLOCK * k + k + k * p * p + 2 * k * p + 2 * p + 3 * ps->cap * p +
                   4 * p * p + p + k * d * d + 3 * k + GMOE_BLOCK * k + gws + 2 * k + 2 * d + 2;
    double *all = calloc(total, sizeof(double));
    ps->idx = malloc((d + 1 + k * p + 2 * k) * sizeof(size_t));
    ps->Z = all;
    if (!all || !ps->idx) {
        pass_free(ps);
        return GMOE_ENOMEM;
    }
    double *q = all + k * p;
    ps->Hh = q, q += k * p;
    ps->zbar = q, q += p;
    ps->s = q, q += p;
    ps->pos = q, q += ps->cap * p;
    ps->neg = q, q += ps->cap * p;
    ps->sc = q, q += ps->cap * p;
    ps->Hd = q, q += p * p;
    ps->Hp = q, q += p * p;
    ps->Hn = q, q += p * p;
    ps->Jown = q, q += p * p;
    ps->gown = q, q += p;
    ps->P = q, q += k * d * d;
    ps->Pld = q, q += k;
    ps->rsum = q, q += k;
    ps->gw = q, q += k;
    ps->lw = q, q += GMOE_BLOCK * k;
    ps->work = q, q += gws;
    ps->f = q, q += k;
    ps->r = q, q += k;
    ps->x = q, q += d + 1;
    ps->val = q, q += d + 1;
    ps->gwb = q, q += GMOE_BLOCK * k;
    ps->lc = q, q += k;
    for (size_t l = 0; l < k; l++)
        ps->lc[l] = -0.5 * (LOG_2PI + log(m->var[l]));
    ps->blk = q;
    ps->sup = ps->idx + d + 1;
    ps->nsup = ps->sup + k * p;
    ps->ngate = ps->nsup + k;
    for (size_t l = 0; l < k; l++)
        ps->nsup[l] = support(&ps->lay, m->gate, l, ps->sup + l * p, ps->ngate + l);
    return GMOE_SUCCESS;
}

int gmoe_infer_information(const gmoe_model *m, const gmoe_data *data, int tau_free,
                           double *objective, double *info, double *opg, double *grad,
                           gmoe_error *err)
{
    if (data->d != m->d)
        return gmoe_error_set(err, GMOE_EDIM, "data have %zu covariates, the model has %zu",
                              data->d, m->d);
    if (!data->y) return gmoe_error_set(err, GMOE_EINVAL, "data have no response y");
    pass ps;
    if (pass_alloc(&ps, m, data, tau_free))
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    size_t p = ps.p, n = data->n;
    ps.J = opg ? ps.Jown : NULL;
    ps.grad = grad ? ps.gown : NULL;
    int rc = GMOE_SUCCESS;
    if (m->gate == GMOE_GATE_GAUSSIAN && gauss_prepare(&ps)) {
        pass_free(&ps);
        return gmoe_error_set(err, GMOE_ENUMERIC, "a Gamma is not positive definite");
    }
    size_t i0, mr = 0;
    for (i0 = 0; i0 < n; i0 += GMOE_BLOCK) {
        mr = n - i0 < GMOE_BLOCK ? n - i0 : GMOE_BLOCK;
        if (m->gate != GMOE_GATE_GAUSSIAN &&
            (rc = gmoe__gate_block(m, data, i0, mr, ps.lw, ps.gwb, GMOE_BLOCK, ps.work)))
            break;
        for (size_t r = 0; r < mr; r++)
            observe(&ps, i0 + r, r);
    }
    if (rc) {
        pass_free(&ps);
        return gmoe__gate_error(m, data, i0, mr, rc, err);
    }
    flush(&ps, ps.pos, &ps.npos, ps.Hp);
    flush(&ps, ps.neg, &ps.nneg, ps.Hn);
    if (ps.J) flush(&ps, ps.sc, &ps.nsc, ps.J);
    if (m->gate == GMOE_GATE_GAUSSIAN) gauss_constant(&ps);
    for (size_t l = 0; l < m->k; l++) {
        const size_t *S = ps.sup + l * p, nt = ps.nsup[l];
        const double *B = ps.blk + l * p * p;
        for (size_t a = 0; a < nt; a++)
            for (size_t b = a; b < nt; b++)
                addu(ps.Hd, p, S[a], S[b], B[a * nt + b]);
    }
    /* Fill both triangles from the upper one. */
    for (size_t a = 0; a < p; a++)
        for (size_t b = a; b < p; b++) {
            double h = ps.Hd[a * p + b] + ps.Hp[a * p + b] - ps.Hn[a * p + b];
            if (info) info[a * p + b] = info[b * p + a] = -h;
            if (opg) opg[a * p + b] = opg[b * p + a] = ps.J[a * p + b];
        }
    if (grad) memcpy(grad, ps.grad, p * sizeof(double));
    if (objective) *objective = ps.total;
    pass_free(&ps);
    return GMOE_SUCCESS;
}

int gmoe_infer_mean_gradient(const gmoe_model *m, const gmoe_data *data, int tau_free, double *mean,
                             double *grad, gmoe_error *err)
{
    if (data->d != m->d)
        return gmoe_error_set(err, GMOE_EDIM, "data have %zu covariates, the model has %zu",
                              data->d, m->d);
    pass ps;
    if (pass_alloc(&ps, m, data, tau_free))
        return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    size_t p = ps.p, n = data->n, k = m->k, d = m->d;
    int gauss = m->gate == GMOE_GATE_GAUSSIAN, rc = GMOE_SUCCESS;
    if (gauss && gauss_prepare(&ps)) {
        pass_free(&ps);
        return gmoe_error_set(err, GMOE_ENUMERIC, "a Gamma is not positive definite");
    }
    /* d mean = sum_j g_j x~ d(a_j, b_j) + sum_j g_j (mu_j - mean) D z_j: the gate weights'
     * derivatives are g_j (D z_j - zbar), and sum_j g_j (mu_j - mean) zbar = 0. */
    size_t i0, mr = 0;
    for (i0 = 0; i0 < n && !rc; i0 += GMOE_BLOCK) {
        mr = n - i0 < GMOE_BLOCK ? n - i0 : GMOE_BLOCK;
        if (!gauss && (rc = gmoe__gate_log_block(m, data, i0, mr, ps.lw, GMOE_BLOCK, ps.work)))
            break;
        for (size_t r = 0; r < mr; r++) {
            size_t i = i0 + r;
            double *x = ps.x, *g = ps.gw, *mu = ps.f, mx = -INFINITY, s = 0, mbar = 0;
            for (size_t t = 0; t < d; t++)
                x[t] = data->x[t * n + i];
            for (size_t l = 0; l < k; l++) {
                g[l] = gauss ? gauss_score(&ps, l, x, ps.val) : ps.lw[l * GMOE_BLOCK + r];
                if (g[l] > mx) mx = g[l];
            }
            for (size_t l = 0; l < k; l++)
                s += g[l] = gauss ? exp(g[l] - mx) : exp(g[l]);
            for (size_t l = 0; l < k; l++) {
                if (gauss) g[l] /= s;
                mu[l] = m->b[l];
                for (size_t t = 0; t < d; t++)
                    mu[l] += m->a[l * d + t] * x[t];
                mbar += g[l] * mu[l];
            }
            double *gi = grad ? grad + i * p : ps.s;
            memset(gi, 0, p * sizeof(double));
            for (size_t l = 0; l < k; l++) {
                double *Zl = ps.Z;
                memset(Zl, 0, p * sizeof(double));
                if (gauss)
                    gauss_terms(&ps, l, x, Zl, 0);
                else
                    score_terms(&ps, l, x, Zl, 0);
                for (size_t q = 0; q < p; q++)
                    gi[q] += g[l] * (mu[l] - mbar) * Zl[q];
                size_t qa = ps.lay.a[l];
                for (size_t t = 0; t < d; t++)
                    gi[qa + t] += g[l] * x[t];
                gi[qa + d] += g[l];
            }
            if (mean) mean[i] = mbar;
        }
    }
    pass_free(&ps);
    if (rc) return gmoe__gate_error(m, data, i0, mr, rc, err);
    return GMOE_SUCCESS;
}
