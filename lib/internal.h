/* Private declarations shared by the library's modules. Not installed. */
#ifndef GMOE_INTERNAL_H
#define GMOE_INTERNAL_H

#include <stdio.h>
#include "gmoe.h"

struct gmoe_model {
    size_t k, d;
    gmoe_gate gate;
    double *beta0; /* k */
    double *beta1; /* k*d, expert-major: beta1[j*d + t] */
    double *a;     /* k*d, expert-major */
    double *b;     /* k */
    double *var;   /* k */
    double tau;
    size_t topk;
    gmoe_topk_select topk_select;
    gmoe_act act;
    double *pi;    /* k (Gaussian gate) */
    double *c;     /* k*d (Gaussian gate) */
    double *Gamma; /* k*d*d (Gaussian gate), row-major per expert */
};

/* Hot kernels get AVX-512 and AVX2/FMA clones chosen at load time where the toolchain
 * supports them (on an AVX-512 EPYC the v4 clone makes a whole fit 1.5x faster than v3:
 * twice the lanes for the polynomial exp and log). clang refuses clones of functions declared
 * earlier without the attribute, so configure leaves HAVE_TARGET_CLONES undefined for
 * CC=clang; the fuzz build (`make fuzz`) compiles with clang against the main build's config.h
 * and turns them off with GMOE_NO_TARGET_CLONES. */
#if defined(HAVE_TARGET_CLONES) && !defined(GMOE_NO_TARGET_CLONES)
#define GMOE_KERNEL __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define GMOE_KERNEL
#endif

/* Observations are processed in blocks of this many rows, so that per-block scratch arrays
 * (BLOCK*k doubles) stay in L1/L2 cache and need no per-call allocation proportional to n. */
#define GMOE_BLOCK 256

/* Log gate weights for rows [i0, i0+m) of data into lw[j*ld + r], r < m. work must hold
 * gmoe__gate_work_size(m) doubles. Returns GMOE_ENUMERIC for a non-positive-definite Gamma. */
int gmoe__gate_log_block(const gmoe_model *m, const gmoe_data *data, size_t i0, size_t mrows,
                         double *lw, size_t ld, double *work);
size_t gmoe__gate_work_size(const gmoe_model *m);

/* Row-wise log-sum-exp of k arrays v[j*ld + r], r < mrows, in two parts: mx[r] = max_j v,
 * out[r] = log sum_j exp(v - mx) (so lse = mx + out); if prob is non-NULL it receives the
 * normalised weights exp(v - lse) (same layout as v). */
void gmoe__lse_rows(const double *v, size_t ld, size_t k, size_t mrows, double *mx, double *out,
                    double *prob);
/* Top-K ranks: rank[j*GMOE_BLOCK + r] = number of experts ranked above j in row r (keys
 * keys[j*ld + r], larger first, ties to the lower index), as a double. */
void gmoe__topk_ranks(const double *keys, size_t ld, size_t k, size_t mrows, double *rank);

/* gmoe__gate_log_block that also stores the gate weights in gw (same layout) if non-NULL. */
int gmoe__gate_block(const gmoe_model *m, const gmoe_data *data, size_t i0, size_t mrows,
                     double *lw, double *gw, size_t ld, double *work);
/* After gmoe__gate_block on the same work: the sum over the block's rows of the log of the
 * gate scores' normaliser, log sum_j exp(score_j). For the Gaussian gate that is
 * sum_r log p(x_r), p(x) = sum_j pi_j N(x; c_j, Gamma_j) (with the pi summing to 1). */
double gmoe__gate_block_lognorm(const gmoe_model *m, const double *work, size_t mrows);

/* Cholesky factor (lower, in place, row-major) and log-determinant of a d*d symmetric
 * matrix; GMOE_ENUMERIC if it is not positive definite. No allocation. */
int gmoe__chol_logdet(double *L, size_t d, double *logdet);

/* Draws from a Gaussian gate's mixture sum_j pi_j N(c_j, Gamma_j), pi normalised (the gate
 * design). gmoe__gatemix_prepare fills work (gmoe__gatemix_size(m) doubles: the cumulative
 * weights, then the Cholesky factors) once; GMOE_ENUMERIC if a Gamma_j is not positive
 * definite. gmoe__gatemix_draw then writes one x, x[t * stride] for t < d. */
size_t gmoe__gatemix_size(const gmoe_model *m);
int gmoe__gatemix_prepare(const gmoe_model *m, double *work);
void gmoe__gatemix_draw(const gmoe_model *m, const double *work, gsl_rng *rng, double *x,
                        size_t stride);

/* The error for a failed gmoe__gate_block call rc on rows [i0, i0 + mrows) of data: for a
 * valid model GMOE_ENUMERIC means that the scores of some row overflowed (covariates too large
 * for the gate parameters), and the message names the first such observation. */
int gmoe__gate_error(const gmoe_model *m, const gmoe_data *data, size_t i0, size_t mrows, int rc,
                     gmoe_error *err);

/* Activation function and its derivative. */
double gmoe__act(gmoe_act act, double t);
double gmoe__act_deriv(gmoe_act act, double t);

/* The model file format version this library reads and writes (key "gmoe_model"). */
#define GMOE__MODEL_FORMAT 1

#endif
