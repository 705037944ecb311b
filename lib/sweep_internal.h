/* Private state of a sweep: the parsed config. Not installed. */
#ifndef GMOE_SWEEP_INTERNAL_H
#define GMOE_SWEEP_INTERNAL_H

#include "internal.h"
#include "gmoe_sweep.h"
#include "gmoe_fit.h"

struct gmoe_sweep {
    char *path; /* config file as given */
    char *text; /* its text, recorded in the results header */
    gmoe_model *truth;
    gmoe_design design;
    size_t k;          /* fitted number of experts */
    gmoe_model *templ; /* fitted model: k, gate family, K, tau start, activation */
    size_t *ns, nn;
    size_t reps;
    gmoe_fit_params fit;
    unsigned metrics;
    int loss_kind; /* gmoe_loss_kind */
    unsigned long seed;
    char *output; /* resolved against the config's directory */
    int threads;
    char *theory; /* "metric=slope ..." or NULL */
};

/* The header lines that identify a sweep's results ("# gmoe-version:", "# truth-hash:",
 * "# seed:", "# config:" per config line, "# theory:"), each ending in a newline, and its
 * column line (with its newline). Both malloc'ed; the caller frees them. */
int gmoe__sweep_header(const gmoe_sweep *sw, char **ident, char **columns, gmoe_error *err);

/* 1 if a results line is one of these identity lines (by its prefix), else 0. */
int gmoe__sweep_identity_line(const char *line);

#endif
