/* The free-parameter vector of the canonical form: its layout, packing and names. */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include "infer_internal.h"

static int has_tau(const gmoe_model *m)
{
    return m->gate == GMOE_GATE_TEMPERATURE || m->gate == GMOE_GATE_ACTIVATION;
}

int infer_layout_init(infer_layout *lay, const gmoe_model *m, int tau_free)
{
    size_t k = m->k, d = m->d, q = 0;
    lay->k = k;
    lay->d = d;
    lay->tau_free = tau_free && has_tau(m);
    size_t *all = malloc(6 * k * sizeof(size_t));
    if (!all) return GMOE_ENOMEM;
    lay->b0 = all;
    lay->b1 = all + k;
    lay->pi = all + 2 * k;
    lay->c = all + 3 * k;
    lay->G = all + 4 * k;
    lay->a = all + 5 * k;
    gmoe_gate g = m->gate;
    /* Softmax, top-K and temperature gates pin the last expert's whole gate, the activation
     * gate its beta0 only (gmoe_model_canonicalize). */
    int pin1 = g == GMOE_GATE_SOFTMAX || g == GMOE_GATE_TOPK || g == GMOE_GATE_TEMPERATURE;
    int pin0 = pin1 || g == GMOE_GATE_ACTIVATION;
    for (size_t j = 0; j < k; j++) {
        int last = j == k - 1;
        lay->b0[j] = lay->b1[j] = lay->pi[j] = lay->c[j] = lay->G[j] = INFER_NONE;
        if (g == GMOE_GATE_GAUSSIAN) {
            if (!last) lay->pi[j] = q++;
            lay->c[j] = q;
            q += d;
            lay->G[j] = q;
            q += d * (d + 1) / 2;
        } else {
            if (!(pin0 && last)) lay->b0[j] = q++;
            if (!(pin1 && last)) {
                lay->b1[j] = q;
                q += d;
            }
        }
        lay->a[j] = q;
        q += d + 2;
    }
    lay->tau = lay->tau_free ? q++ : INFER_NONE;
    lay->p = q;
    return GMOE_SUCCESS;
}

void infer_layout_free(infer_layout *lay)
{
    free(lay->b0);
    lay->b0 = NULL;
}

size_t gmoe_infer_nparams(const gmoe_model *m, int tau_free)
{
    infer_layout lay;
    if (infer_layout_init(&lay, m, tau_free)) return 0;
    size_t p = lay.p;
    infer_layout_free(&lay);
    return p;
}

/* Copy between theta and the model's fields: dir 0 model -> theta, 1 theta -> model. */
static void move(double *field, double *theta, size_t off, size_t count, int dir)
{
    if (off == INFER_NONE) return;
    for (size_t t = 0; t < count; t++) {
        if (dir)
            field[t] = theta[off + t];
        else
            theta[off + t] = field[t];
    }
}

static void pack_dir(gmoe_model *m, int tau_free, double *theta, int dir)
{
    infer_layout lay;
    if (infer_layout_init(&lay, m, tau_free)) return;
    size_t d = m->d;
    for (size_t j = 0; j < m->k; j++) {
        move(m->beta0 + j, theta, lay.b0[j], 1, dir);
        move(m->beta1 + j * d, theta, lay.b1[j], d, dir);
        move(m->pi + j, theta, lay.pi[j], 1, dir);
        move(m->c + j * d, theta, lay.c[j], d, dir);
        if (lay.G[j] != INFER_NONE) {
            double *G = m->Gamma + j * d * d;
            for (size_t s = 0; s < d; s++)
                for (size_t t = s; t < d; t++) {
                    size_t q = lay.G[j] + infer_tri(d, s, t);
                    if (dir)
                        G[s * d + t] = G[t * d + s] = theta[q];
                    else
                        theta[q] = G[s * d + t];
                }
        }
        move(m->a + j * d, theta, lay.a[j], d, dir);
        move(m->b + j, theta, lay.a[j] + d, 1, dir);
        move(m->var + j, theta, lay.a[j] + d + 1, 1, dir);
    }
    move(&m->tau, theta, lay.tau, 1, dir);
    if (dir && m->gate == GMOE_GATE_GAUSSIAN) {
        double s = 0;
        for (size_t j = 0; j + 1 < m->k; j++)
            s += m->pi[j];
        m->pi[m->k - 1] = 1 - s;
    }
    infer_layout_free(&lay);
}

void gmoe_infer_pack(const gmoe_model *m, int tau_free, double *theta)
{
    pack_dir((gmoe_model *)m, tau_free, theta, 0); /* direction 0 only reads m */
}

void gmoe_infer_unpack(gmoe_model *m, int tau_free, const double *theta)
{
    pack_dir(m, tau_free, (double *)theta, 1); /* direction 1 only reads theta */
}

void gmoe_infer_param_name(const gmoe_model *m, int tau_free, size_t q, char *buf, size_t size)
{
    infer_layout lay;
    if (size) buf[0] = 0;
    if (infer_layout_init(&lay, m, tau_free)) return;
    size_t d = m->d;
    if (q == lay.tau) snprintf(buf, size, "tau");
    for (size_t j = 0; j < m->k; j++) {
        size_t e = j + 1;
        if (q == lay.b0[j]) snprintf(buf, size, "beta0_%zu", e);
        if (q == lay.pi[j]) snprintf(buf, size, "pi_%zu", e);
        for (size_t t = 0; t < d; t++) {
            if (lay.b1[j] != INFER_NONE && q == lay.b1[j] + t)
                snprintf(buf, size, "beta1_%zu[%zu]", e, t + 1);
            if (lay.c[j] != INFER_NONE && q == lay.c[j] + t)
                snprintf(buf, size, "c_%zu[%zu]", e, t + 1);
            if (q == lay.a[j] + t) snprintf(buf, size, "a_%zu[%zu]", e, t + 1);
            for (size_t u = t; u < d && lay.G[j] != INFER_NONE; u++)
                if (q == lay.G[j] + infer_tri(d, t, u))
                    snprintf(buf, size, "Gamma_%zu[%zu,%zu]", e, t + 1, u + 1);
        }
        if (q == lay.a[j] + d) snprintf(buf, size, "b_%zu", e);
        if (q == lay.a[j] + d + 1) snprintf(buf, size, "var_%zu", e);
    }
    infer_layout_free(&lay);
}
