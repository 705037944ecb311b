/* Private declarations of the evaluation module (eval.c, voronoi.c, distance.c). */
#ifndef GMOE_EVAL_INTERNAL_H
#define GMOE_EVAL_INTERNAL_H

#include <gsl/gsl_multimin.h>
#include <gsl/gsl_rng.h>
#include "internal.h"
#include "gmoe_eval.h"

/* One model seen as a mixing measure: per expert a log mass, a gate slope (beta1, beta1/tau
 * or the Gaussian gate's centre c), the Gaussian gate's covariance and the expert's (a, b, v).
 */
typedef struct eval_atoms {
    size_t k, d;
    int gamma;   /* the atom holds Gamma (Gaussian gate) */
    int has_tau; /* temperature and activation gates: the loss adds |dtau| */
    double tau;
    double *lm; /* k: log mass (beta0, or log of the normalised pi) */
    double *s;  /* k*d: gate slope */
    double *G;  /* k*d*d: Gamma (Gaussian gate) */
    double *a;  /* k*d */
    double *b;  /* k */
    double *v;  /* k */
} eval_atoms;

/* The parts of the distance from fitted expert j to its cell's true atom (the layout of
 * gmoe_eval_result.atom_err). */
enum {
    EV_S = GMOE_ATOM_SLOPE,
    EV_G = GMOE_ATOM_GAMMA,
    EV_A = GMOE_ATOM_A,
    EV_B = GMOE_ATOM_B,
    EV_V = GMOE_ATOM_V,
    EV_NPART = GMOE_ATOM_NPARTS
};

/* Room for the breakpoints of the inner integral: 5 per component and the range's ends. */
#define EV_NPTS(k, kstar) (5 * ((k) + (kstar)) + 2)

/* The nodes of the Gauss-Kronrod rule of the density distances. */
#define GK_NODES 21

/* A subinterval of an adaptive quadrature of two integrands: estimates r and errors e. */
typedef struct eval_iv {
    double a, b, r[2], e[2];
} eval_iv;

typedef struct eval_quad {
    eval_iv *iv;
    size_t cap;
} eval_quad;

/* A Gaussian mixture in y at a fixed x: coef_j N(y; mu_j, sd_j^2) with coef_j the gate weight
 * (only the experts with a positive weight are kept). */
typedef struct eval_mix {
    size_t n;
    double *coef;         /* gate weight / (sd sqrt(2 pi)) */
    double *mu, *sd, *ih; /* mean, standard deviation, 1 / (2 var) */
    double *w;            /* gate weights of all experts (scratch) */
} eval_mix;

struct gmoe_eval {
    size_t kstar, k, d;
    eval_atoms tru, fit;
    /* loss scratch */
    size_t *cell;  /* k */
    size_t *size;  /* kstar */
    double *part;  /* k*EV_NPART: parts of the distance to the cell's atom */
    double *term;  /* k: the expert's loss term, exponents applied */
    double *logM;  /* kstar: log of the cell's fitted mass */
    double *tvec;  /* d: a translation in slope units */
    double *cand;  /* (k*kstar + 2)*d candidate translations */
    double *cval;  /* k*kstar + 2 */
    size_t *order; /* k*kstar + 2 */
    int extrap;    /* the last evaluation used an extrapolated rbar */
    gsl_multimin_fminimizer *nm;
    gsl_vector *nm_x, *nm_step;
    gmoe_model *pin_truth, *pin_fit;
    /* distances scratch */
    eval_mix mfit, mtru;
    double *pts; /* breakpoints of the inner integral */
    double *x;   /* d */
    eval_quad outer, inner;
    gsl_rng *rng;
};

/* eval.c */
int eval__check(const gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit, int same_family,
                gmoe_error *err);
/* w itself, or when w is NULL a workspace allocated for the models (*owned = 1: the caller
 * frees it). NULL (and err set) on allocation failure. */
gmoe_eval *eval__borrow(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit, int *owned,
                        gmoe_error *err);

#endif
