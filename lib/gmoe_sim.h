/* gmoe_sim: designs of x and sampling of y | x from a model.
 *
 * Designs: uniform, grid and normal draw x on their own; the gate design draws x from the
 * mixture sum_j pi_j N(c_j, Gamma_j) of a Gaussian-gated model, the one distribution of x under
 * which that model's joint-likelihood EM (gmoe_em.h) is consistent.
 *
 * Every draw comes from a GSL random number generator that the caller owns; the same
 * generator state gives the same data on every run. gmoe_sim_seed derives independent
 * seeds for the tasks of a sweep from (seed, a, b) alone, so results do not depend on the
 * order or the number of workers. */
#ifndef GMOE_SIM_H
#define GMOE_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <gsl/gsl_rng.h>
#include "gmoe_error.h"
#include "gmoe_data.h"
#include "gmoe_model.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
    GMOE_DESIGN_UNIFORM = 0, /* x_it ~ U(p1, p2), independently */
    GMOE_DESIGN_GRID,        /* d = 1: x_i = p1 + (i-1)(p2-p1)/(n-1) (x_1 = (p1+p2)/2 if n = 1) */
    GMOE_DESIGN_NORMAL,      /* x_it ~ N(p1, p2^2), p2 = standard deviation */
    GMOE_DESIGN_GATE         /* x_i ~ sum_j pi_j N(c_j, Gamma_j) of a Gaussian gate (pi
                                normalised); p1 and p2 unused */
} gmoe_design_kind;

typedef struct gmoe_design {
    gmoe_design_kind kind;
    double p1; /* lo (uniform, grid) or mean (normal) */
    double p2; /* hi (uniform, grid) or standard deviation (normal) */
    /* The gate design's model (borrowed; must have a Gaussian gate). NULL: the model at hand,
     * which gmoe_sim_data (the model simulated) and gmoe_eval (the true model) fill in;
     * gmoe_sim_x needs it set. */
    const gmoe_model *model;
} gmoe_design;

/* The default design: uniform on [0, 1]. */
gmoe_design gmoe_design_default(void);
const char *gmoe_design_name(gmoe_design_kind kind);
int gmoe_design_parse(const char *name, gmoe_design_kind *kind);
/* Check p1 < p2 (uniform, grid), p2 > 0 (normal), finite values, grid only with d = 1; for
 * the gate design a model, if set, with a Gaussian gate and d covariates. */
int gmoe_design_validate(const gmoe_design *des, size_t d, gmoe_error *err);

/* Fill data->x (all n rows, all d columns) from the design. The gate design takes, per
 * observation, one uniform for the component (inverse CDF of the normalised pi) and then d
 * standard normal deviates z: x = c_j + L_j z, L_j the Cholesky factor of Gamma_j. */
int gmoe_sim_x(const gmoe_design *des, gsl_rng *rng, gmoe_data *data, gmoe_error *err);

/* Fill data->y with draws from p(y | x) of the model, given data->x. */
int gmoe_sim_y(const gmoe_model *m, gsl_rng *rng, gmoe_data *data, gmoe_error *err);

/* Convenience: allocate a data set (owned by the caller), draw x from the design and y from
 * the model with a fresh MT19937 generator seeded with seed: first all of x, then all of y.
 * The gate design without a model draws x from m's own gate. */
int gmoe_sim_data(const gmoe_model *m, const gmoe_design *des, size_t n, unsigned long seed,
                  gmoe_data **out, gmoe_error *err);

/* A well-mixed seed for task (a, b) of a run seeded with seed (SplitMix64 finaliser over the
 * three values). Never 0. */
unsigned long gmoe_sim_seed(uint64_t seed, uint64_t a, uint64_t b);

/* Contamination (MODELS.md 7, FORMATS "Added in version 0.2"): with probability eps, add
 * Laplace(0, scale) noise (density exp(-|u| / scale) / (2 scale)) to an observation's y. The
 * draws come from an MT19937 generator of their own, seeded with
 * gmoe_sim_seed(seed, GMOE_SIM_CONTAMINATE_TAG, 0): per observation, in order, one uniform
 * and, for a contaminated one, the Laplace draw (GSL's gsl_ran_laplace). eps = 0 changes
 * nothing. Errors: eps outside [0, 1], scale <= 0 or not finite, data without y
 * (GMOE_EINVAL). */
#define GMOE_SIM_CONTAMINATE_TAG 0xC047A317u
int gmoe_sim_contaminate(gmoe_data *data, double eps, double scale, unsigned long seed,
                         gmoe_error *err);

#ifdef __cplusplus
}
#endif
#endif
