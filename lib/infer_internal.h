/* Private to infer*.c: where each free parameter of the canonical form sits in the vector
 * theta (gmoe_infer.h gives the order). */
#ifndef GMOE_INFER_INTERNAL_H
#define GMOE_INFER_INTERNAL_H

#include "internal.h"
#include "gmoe_infer.h"

#define INFER_NONE ((size_t)-1)

typedef struct infer_layout {
    size_t k, d, p;
    int tau_free; /* tau estimated and the gate has one */
    /* Per expert j: offsets of beta0, beta1 (d), pi, c (d), Gamma (d(d+1)/2), a (d); b and
     * var follow a. INFER_NONE where the canonical form fixes the parameter. */
    size_t *b0, *b1, *pi, *c, *G, *a;
    size_t tau;
} infer_layout;

int infer_layout_init(infer_layout *lay, const gmoe_model *m, int tau_free);
void infer_layout_free(infer_layout *lay);

/* The bootstrap's covariance of the free parameters into cov (p*p); failed: refits left
 * out. GMOE_EINVAL when fewer than 2 refits are usable, GMOE_ENOMEM. */
int infer_bootstrap(const gmoe_model *m, const gmoe_data *data, const gmoe_se_params *par,
                    double *cov, size_t *failed);

/* Index of Gamma_st (s <= t) inside a Gamma block. */
static inline size_t infer_tri(size_t d, size_t s, size_t t)
{
    return s * d - s * (s - 1) / 2 + (t - s);
}

#endif
