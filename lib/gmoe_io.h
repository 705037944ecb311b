/* gmoe_io: model files (JSON, format version 1; man gmoe-formats(5)).
 *
 *   {"gmoe_model": 1, "gate": "softmax",
 *    "experts": [{"beta0": -8, "beta1": [25], "a": [-20], "b": 15, "var": 0.09}, ...]}
 *
 * Family parameters at top level: "topk" and "topk_select" (topk), "tau" (temperature,
 * activation), "activation" (activation). Gaussian gates use "pi", "c", "Gamma" per expert.
 * "sd" is accepted instead of "var". A fitted model carries a "fit" object (gmoe_fit_record).
 * Numbers are written with 17 significant digits, so a write/read round trip is exact.
 * Invalid files are rejected with a message naming the file and the field:
 *   truth.json: experts[1].var: must be > 0 (got -0.5)
 * Unknown keys are ignored (other tools may add their own); missing or mistyped ones are
 * errors. */
#ifndef GMOE_IO_H
#define GMOE_IO_H

#include <stddef.h>
#include "gmoe_error.h"
#include "gmoe_model.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The "fit" object of a fitted model file. */
typedef struct gmoe_fit_record {
    double loglik;
    size_t n;
    size_t iterations;
    char status[32];  /* converged | max-iterations | degenerate | gate-divergent */
    char stop[32];    /* the stopping rule that fired: per-obs | relative | max-iter | ... */
    double aic;
    double bic;
    double seconds;
    size_t nparams;   /* free parameters counted by AIC and BIC */
    size_t starts;    /* number of starts run; the best is kept */
    unsigned long seed;
} gmoe_fit_record;

/* Read a model file. *out is owned by the caller. If fit is non-NULL, it receives the
 * file's "fit" object and *has_fit (if non-NULL) is set to 1 when there is one. */
int gmoe_model_read(const char *path, gmoe_model **out, gmoe_fit_record *fit, int *has_fit,
                    gmoe_error *err);

/* Parse a model from a JSON text; name is used in messages in place of a file name. */
int gmoe_model_parse(const char *text, const char *name, gmoe_model **out,
                     gmoe_fit_record *fit, int *has_fit, gmoe_error *err);

/* Serialise a model (and its fit record, if fit is non-NULL) as a JSON text, newline
 * terminated. *text is malloc'ed and owned by the caller (free()). */
int gmoe_model_dumps(const gmoe_model *m, const gmoe_fit_record *fit, char **text,
                     gmoe_error *err);

/* Write a model file atomically (temporary file beside path, then rename). "-" is stdout. */
int gmoe_model_write(const char *path, const gmoe_model *m, const gmoe_fit_record *fit,
                     gmoe_error *err);

#ifdef __cplusplus
}
#endif
#endif
