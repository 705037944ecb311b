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
    /* metric select (sweep_select.c): fits of k = 1..select_kmax, the dendrogram's masses,
     * variance merge and the DSC's trim */
    size_t select_kmax, select_line;
    int select_mass, select_var;
    double select_trim;
    double contam_eps, contam_scale; /* contaminate = EPS S (eps 0: none) */
};

/* The header lines that identify a sweep's results ("# gmoe-version:", "# truth-hash:",
 * "# seed:", "# config:" per config line, "# theory:"), each ending in a newline, and its
 * column line (with its newline). Both malloc'ed; the caller frees them. */
int gmoe__sweep_header(const gmoe_sweep *sw, char **ident, char **columns, gmoe_error *err);

/* 1 if a results line is one of these identity lines (by its prefix), else 0. */
int gmoe__sweep_identity_line(const char *line);

/* The metric select and the key contaminate (sweep_select.c). _key handles one of their
 * config keys (select_kmax, select_mass, select_var_merge, select_trim, contaminate) and returns -1
 * for any other key; _check checks them once the config is read; _task fits k = 1..select_kmax for
 * one task (the sweep's own fit, fit with seed, serves for its k) and fills the k that each column
 * of GMOE__SWEEP_SELECT_COLUMNS chooses. */
#define GMOE__SWEEP_SELECT_COLUMNS ",k_dsc,k_aic,k_bic,k_icl,k_dsc_rescaled"
#define GMOE__SWEEP_SELECT_NCOL 5
int gmoe__sweep_select_key(gmoe_sweep *sw, const char *file, size_t line, const char *key,
                           const char *v, gmoe_error *err);
int gmoe__sweep_select_check(gmoe_sweep *sw, const char *file, gmoe_error *err);
int gmoe__sweep_select_task(const gmoe_sweep *sw, const gmoe_data *data, const gmoe_model *fit,
                            const gmoe_fit_result *fr, unsigned long seed,
                            size_t chosen[GMOE__SWEEP_SELECT_NCOL]);

/* The metric coverage (sweep_coverage.c): _check refuses it unless k = k* (and, for the
 * temperature gate, tau is fixed); _count and _names give its columns (names: ",cover_..."
 * malloc'ed); _task fills _count values (1, 0 or NaN) for one task, given the fit, its result
 * and the evaluation against the truth (ev_ok: gmoe_eval_loss succeeded). */
int gmoe__sweep_coverage_check(const gmoe_sweep *sw, const char *file, gmoe_error *err);
size_t gmoe__sweep_coverage_count(const gmoe_sweep *sw);
int gmoe__sweep_coverage_names(const gmoe_sweep *sw, char **names);
int gmoe__sweep_coverage_task(const gmoe_sweep *sw, const gmoe_data *data, const gmoe_model *fit,
                              const gmoe_fit_result *fr, const gmoe_eval_result *ev, int ev_ok,
                              double *out);

#endif
