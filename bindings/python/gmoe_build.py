"""cffi builder of gmoe._ffi, the compiled layer of the Python module over libgmoe.

API mode: the C compiler reads <gmoe.h>, so every struct's layout comes from the installed
headers; the structs below list only the members Python reads or sets (the trailing `...;`
leaves the rest, and any member added later, to the compiler). Used three ways:

  python3 gmoe_build.py --emit FILE.c   write the C source (the Autotools build compiles it
                                        with libtool against the libgmoe it builds);
  setup.py (cffi_modules)               pip install from this folder, against the libgmoe
                                        that pkg-config finds (or GMOE_PREFIX);
  python3 gmoe_build.py --inplace       build gmoe/_ffi*.so here, the same way.
"""
import os
import shlex
import subprocess
import sys

import cffi

CDEF = r"""
enum { GMOE_SUCCESS = 0, GMOE_EINVAL = 1, GMOE_ENOMEM = 2, GMOE_EIO = 3, GMOE_EPARSE = 4,
       GMOE_ENUMERIC = 5, GMOE_EDIM = 6 };
typedef struct gmoe_error { int code; size_t obs; char msg[...]; ...; } gmoe_error;
const char *gmoe_version(void);

/* data */
typedef struct gmoe_data { size_t n; size_t d; double *x; double *y; ...; } gmoe_data;
gmoe_data *gmoe_data_alloc(size_t n, size_t d, int with_y);
void gmoe_data_free(gmoe_data *data);
int gmoe_data_check(const gmoe_data *data, double max_abs, gmoe_error *err);
static const double GMOE_FIT_MAX_ABS;

/* model */
typedef int... gmoe_gate;
typedef int... gmoe_act;
typedef int... gmoe_topk_select;
typedef struct gmoe_model gmoe_model;
const char *gmoe_gate_name(gmoe_gate gate);
int gmoe_gate_parse(const char *name, gmoe_gate *gate);
const char *gmoe_act_name(gmoe_act act);
int gmoe_act_parse(const char *name, gmoe_act *act);
const char *gmoe_topk_select_name(gmoe_topk_select sel);
int gmoe_topk_select_parse(const char *name, gmoe_topk_select *sel);
gmoe_model *gmoe_model_alloc(size_t k, size_t d, gmoe_gate gate);
void gmoe_model_free(gmoe_model *m);
gmoe_model *gmoe_model_clone(const gmoe_model *m);
size_t gmoe_model_k(const gmoe_model *m);
size_t gmoe_model_d(const gmoe_model *m);
gmoe_gate gmoe_model_gate(const gmoe_model *m);
void gmoe_model_get_expert(const gmoe_model *m, size_t j, double *beta0, double *beta1, double *a,
                           double *b, double *var);
double gmoe_model_tau(const gmoe_model *m);
void gmoe_model_set_tau(gmoe_model *m, double tau);
void gmoe_model_set_topk(gmoe_model *m, size_t K, gmoe_topk_select sel);
size_t gmoe_model_topk(const gmoe_model *m);
gmoe_topk_select gmoe_model_topk_select(const gmoe_model *m);
void gmoe_model_set_act(gmoe_model *m, gmoe_act act);
gmoe_act gmoe_model_act(const gmoe_model *m);
void gmoe_model_get_gauss(const gmoe_model *m, size_t j, double *pi, double *c, double *Gamma);
void gmoe_model_canonicalize(gmoe_model *m);
int gmoe_model_loglik(const gmoe_model *m, const gmoe_data *data, double *loglik, gmoe_error *err);
int gmoe_model_predict(const gmoe_model *m, const gmoe_data *data, double *gate, double *post,
                       double *mean, double *logdens, gmoe_error *err);
int gmoe_model_predict_sd(const gmoe_model *m, const gmoe_data *data, double *sd, gmoe_error *err);
int gmoe_model_predict_quantiles(const gmoe_model *m, const gmoe_data *data, const double *p,
                                 size_t np, double *q, gmoe_error *err);

/* model files */
typedef struct gmoe_fit_record {
    double loglik; size_t n; size_t iterations; char status[32]; char stop[32]; double aic;
    double bic; double seconds; size_t nparams; size_t starts; unsigned long seed;
    char objective[32]; double loglik_joint; double gate_bound; size_t bound_active;
    char se_method[32]; char se_reason[256]; const struct gmoe_se *se; size_t bootstrap_b;
    size_t bootstrap_failed; int has_interior; double loglik_interior; char prefer[16];
    double loglik_best; ...;
} gmoe_fit_record;
int gmoe_model_read(const char *path, gmoe_model **out, gmoe_fit_record *fit, int *has_fit,
                    gmoe_error *err);
int gmoe_model_parse(const char *text, const char *name, gmoe_model **out, gmoe_fit_record *fit,
                     int *has_fit, gmoe_error *err);
int gmoe_model_dumps(const gmoe_model *m, const gmoe_fit_record *fit, char **text,
                     gmoe_error *err);
int gmoe_model_write(const char *path, const gmoe_model *m, const gmoe_fit_record *fit,
                     gmoe_error *err);
void free(void *);

/* fitting */
typedef int... gmoe_stop_rule;
typedef int... gmoe_fit_status;
typedef int... gmoe_init;
const char *gmoe_fit_status_name(gmoe_fit_status status);
const char *gmoe_stop_rule_name(gmoe_stop_rule rule);
int gmoe_stop_rule_parse(const char *name, gmoe_stop_rule *rule);
const char *gmoe_init_name(gmoe_init init);
int gmoe_init_parse(const char *name, gmoe_init *init);
typedef int... gmoe_accel;
const char *gmoe_accel_name(gmoe_accel method);
int gmoe_accel_parse(const char *name, gmoe_accel *method);
typedef struct gmoe_em_params {
    gmoe_stop_rule stop; double tol; size_t max_iter; int accel; double var_floor; int fix_tau;
    double gate_bound; gmoe_accel accel_method; ...;
} gmoe_em_params;
typedef struct gmoe_em_info {
    double loglik; double objective; size_t iterations; size_t maps; gmoe_fit_status status;
    gmoe_stop_rule stop; double seconds; size_t bound_active; ...;
} gmoe_em_info;
double gmoe_em_var_floor(const gmoe_data *data, double rel);
typedef struct gmoe_fit_params {
    gmoe_em_params em; gmoe_init init; size_t starts; unsigned long seed;
    const gmoe_model *truth; int threads; int prefer_interior; ...;
} gmoe_fit_params;
gmoe_fit_params gmoe_fit_default_params(void);
typedef struct gmoe_fit_result {
    gmoe_em_info info; size_t best_start; size_t starts; size_t failed; size_t nparams;
    double aic; double bic; double seconds; int has_interior; size_t interior_start;
    double loglik_interior; ...;
} gmoe_fit_result;
int gmoe_fit(const gmoe_data *data, const gmoe_model *templ, const gmoe_fit_params *par,
             gmoe_model **best, gmoe_fit_result *res, gmoe_error *err);
void gmoe_fit_record_set(gmoe_fit_record *rec, const gmoe_model *best, const gmoe_fit_result *res,
                         const gmoe_fit_params *par, size_t n);

/* standard errors */
typedef int... gmoe_se_method;
int gmoe_se_method_parse(const char *name, gmoe_se_method *method);
const char *gmoe_se_method_name(gmoe_se_method method);
void gmoe_infer_pack(const gmoe_model *m, int tau_free, double *theta);
void gmoe_infer_param_name(const gmoe_model *m, int tau_free, size_t q, char *buf, size_t size);
typedef struct gmoe_se_params {
    gmoe_se_method method; int tau_free; double rcond_min; size_t bootstrap; unsigned long seed;
    int threads; gmoe_em_params em; ...;
} gmoe_se_params;
gmoe_se_params gmoe_se_default_params(void);
typedef struct gmoe_se gmoe_se;
gmoe_se *gmoe_se_alloc(const gmoe_model *m, int tau_free);
void gmoe_se_free(gmoe_se *se);
int gmoe_se_compute(gmoe_se *se, const gmoe_model *m, const gmoe_data *data,
                    const gmoe_se_params *par, const gmoe_em_info *info, gmoe_error *err);
const char *gmoe_se_reason(const gmoe_se *se);
gmoe_se_method gmoe_se_get_method(const gmoe_se *se);
int gmoe_se_tau_free(const gmoe_se *se);
size_t gmoe_se_nparams(const gmoe_se *se);
const double *gmoe_se_cov(const gmoe_se *se);
size_t gmoe_se_bootstrap_failed(const gmoe_se *se);
int gmoe_se_predict(const gmoe_se *se, const gmoe_model *m, const gmoe_data *data, double *mean,
                    double *se_mean, gmoe_error *err);
int gmoe_se_read(const char *path, const gmoe_model *m, gmoe_se **out, gmoe_error *err);
/* simulation */
typedef int... gmoe_design_kind;
typedef struct gmoe_design {
    gmoe_design_kind kind; double p1; double p2; const gmoe_model *model; ...;
} gmoe_design;
gmoe_design gmoe_design_default(void);
const char *gmoe_design_name(gmoe_design_kind kind);
int gmoe_design_parse(const char *name, gmoe_design_kind *kind);
int gmoe_design_validate(const gmoe_design *des, size_t d, gmoe_error *err);
int gmoe_sim_data(const gmoe_model *m, const gmoe_design *des, size_t n, unsigned long seed,
                  gmoe_data **out, gmoe_error *err);

/* evaluation */
typedef int... gmoe_loss_kind;
typedef int... gmoe_outer_kind;
const char *gmoe_loss_name(gmoe_loss_kind kind);
int gmoe_loss_parse(const char *name, gmoe_loss_kind *kind);
typedef struct gmoe_eval_params {
    gmoe_loss_kind loss; int translate; gmoe_design design; size_t mc_samples;
    unsigned long mc_seed; ...;
} gmoe_eval_params;
gmoe_eval_params gmoe_eval_default_params(void);
typedef struct gmoe_eval_result {
    size_t kstar, k, d; gmoe_loss_kind kind; double loss; double loss_pinned; double t0;
    double *t1; int rbar_extrapolated; size_t *cell; size_t *cell_pinned; size_t *cell_size;
    double *mass; double *mass_true; double *err_beta0, *err_beta1, *err_gamma, *err_a, *err_b,
    *err_v; double err_tau; double hellinger, hellinger_err; double tv, tv_err;
    gmoe_outer_kind outer; int distances_converged; ...;
} gmoe_eval_result;
gmoe_eval_result *gmoe_eval_result_alloc(size_t kstar, size_t k, size_t d);
void gmoe_eval_result_free(gmoe_eval_result *res);
typedef struct gmoe_eval gmoe_eval;
int gmoe_eval_run(gmoe_eval *w, const gmoe_model *truth, const gmoe_model *fit,
                  const gmoe_eval_params *par, gmoe_eval_result *res, gmoe_error *err);
#define GMOE_OUTER_MONTECARLO ...

/* dendrogram of mixing measures */
typedef int... gmoe_dendrogram_mass;
int gmoe_dendrogram_mass_parse(const char *name, gmoe_dendrogram_mass *mass);
typedef int... gmoe_dsc_form;
int gmoe_dsc_form_parse(const char *name, gmoe_dsc_form *form);
const char *gmoe_dsc_form_name(gmoe_dsc_form form);
const char *gmoe_dendrogram_mass_name(gmoe_dendrogram_mass mass);
typedef int... gmoe_dendrogram_var;
int gmoe_dendrogram_var_parse(const char *name, gmoe_dendrogram_var *var);
const char *gmoe_dendrogram_var_name(gmoe_dendrogram_var var);
typedef struct gmoe_dendrogram_params {
    gmoe_dendrogram_mass mass; double omega; gmoe_dsc_form form; gmoe_dendrogram_var var;
    double trim; ...;
} gmoe_dendrogram_params;
gmoe_dendrogram_params gmoe_dendrogram_default_params(void);
typedef struct gmoe_dendrogram gmoe_dendrogram;
int gmoe_dendrogram_build(const gmoe_model *fit, const gmoe_data *data,
                          const gmoe_dendrogram_params *par, gmoe_dendrogram **out,
                          gmoe_error *err);
void gmoe_dendrogram_free(gmoe_dendrogram *dg);
size_t gmoe_dendrogram_k(const gmoe_dendrogram *dg);
const gmoe_model *gmoe_dendrogram_model(const gmoe_dendrogram *dg, size_t kappa);
double gmoe_dendrogram_height(const gmoe_dendrogram *dg, size_t kappa);
int gmoe_dendrogram_merged(const gmoe_dendrogram *dg, size_t kappa, size_t *i, size_t *j);
double gmoe_dendrogram_loglik(const gmoe_dendrogram *dg, size_t kappa);
double gmoe_dendrogram_lbar(const gmoe_dendrogram *dg, size_t kappa);
double gmoe_dendrogram_dsc(const gmoe_dendrogram *dg, size_t kappa);
void gmoe_dendrogram_masses(const gmoe_dendrogram *dg, size_t kappa, double *mass);
double gmoe_dendrogram_omega(const gmoe_dendrogram *dg);
size_t gmoe_dendrogram_choose(const gmoe_dendrogram *dg);
double gmoe_dendrogram_dsc_form(const gmoe_dendrogram *dg, size_t kappa, gmoe_dsc_form form);
#define GMOE_DSC_PLAIN ...
#define GMOE_DSC_RESCALED ...

/* choosing k */
typedef int... gmoe_criterion;
#define GMOE_NCRIT ...
const char *gmoe_criterion_name(gmoe_criterion c);
typedef struct gmoe_criteria {
    double loglik; size_t nparams; double entropy; double aic, bic, icl; ...;
} gmoe_criteria;
typedef struct gmoe_select_params {
    gmoe_fit_params fit; size_t kmin; gmoe_dendrogram_params dendrogram; ...;
} gmoe_select_params;
gmoe_select_params gmoe_select_default_params(void);
typedef struct gmoe_select gmoe_select;
int gmoe_select_run(const gmoe_data *data, const gmoe_model *templ,
                    const gmoe_select_params *par, gmoe_select **out, gmoe_error *err);
void gmoe_select_free(gmoe_select *s);
size_t gmoe_select_kmin(const gmoe_select *s);
size_t gmoe_select_kmax(const gmoe_select *s);
const gmoe_model *gmoe_select_model(const gmoe_select *s, size_t k);
const gmoe_fit_result *gmoe_select_result(const gmoe_select *s, size_t k);
const gmoe_criteria *gmoe_select_criteria(const gmoe_select *s, size_t k);
const gmoe_dendrogram *gmoe_select_dendrogram(const gmoe_select *s);
size_t gmoe_select_chosen(const gmoe_select *s, gmoe_criterion c);

/* sweeps, results and rates */
typedef struct gmoe_sweep gmoe_sweep;
int gmoe_sweep_load(const char *path, gmoe_sweep **out, gmoe_error *err);
void gmoe_sweep_free(gmoe_sweep *sw);
const char *gmoe_sweep_output(const gmoe_sweep *sw);
typedef struct gmoe_sweep_options {
    int threads; const char *output; const char *command; ...;
} gmoe_sweep_options;
gmoe_sweep_options gmoe_sweep_default_options(void);
typedef struct gmoe_sweep_summary {
    size_t tasks; size_t skipped; size_t done; size_t failed; double seconds; ...;
} gmoe_sweep_summary;
typedef int (*gmoe_sweep_progress)(size_t done, size_t total, void *data);
int gmoe_sweep_run(gmoe_sweep *sw, const gmoe_sweep_options *opt, gmoe_sweep_progress cb, void *cbdata,
                   gmoe_sweep_summary *sum, gmoe_error *err);

typedef struct gmoe_results gmoe_results;
int gmoe_results_read(const char *path, gmoe_results **out, gmoe_error *err);
void gmoe_results_free(gmoe_results *res);
size_t gmoe_results_nrows(const gmoe_results *res);
size_t gmoe_results_ncols(const gmoe_results *res);
const char *gmoe_results_colname(const gmoe_results *res, size_t j);
int gmoe_results_is_metric(const gmoe_results *res, size_t j);
int gmoe_results_find(const gmoe_results *res, const char *name, size_t *j);
const double *gmoe_results_column(const gmoe_results *res, size_t j);
int gmoe_results_theory(const gmoe_results *res, const char *metric, double *slope);

typedef struct gmoe_rate_params {
    size_t bootstrap; unsigned long seed; size_t trim; double level; ...;
} gmoe_rate_params;
gmoe_rate_params gmoe_rate_default_parameters(void);
typedef struct gmoe_rate_group {
    double n; size_t count; double mean, median, sd, q10, q90; int used; ...;
} gmoe_rate_group;
typedef struct gmoe_rate_trim {
    size_t trim; size_t points; double n_min; double slope, se; ...;
} gmoe_rate_trim;
typedef struct gmoe_rate_result {
    double slope, intercept; double se; double ci_ols[2]; double ci[2]; size_t boot_used;
    double slope_median, intercept_median; size_t points_median; gmoe_rate_trim trimmed[...];
    size_t ntrimmed; double n_min, n_max; size_t points; size_t rows; size_t skipped;
    size_t nonpositive; size_t ngroups; gmoe_rate_group *groups; ...;
} gmoe_rate_result;
int gmoe_rate_estimate(const double *n, const double *value, size_t rows,
                       const gmoe_rate_params *params, gmoe_rate_result *res, gmoe_error *err);
void gmoe_rate_result_free(gmoe_rate_result *res);
"""

SOURCE = r"""
#include <stdlib.h>
#include <gmoe.h>
"""


def _pkg_config(*args):
    try:
        out = subprocess.run(["pkg-config", *args, "gmoe"], check=True, capture_output=True,
                             text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return shlex.split(out)


def _flags():
    """Include and library directories of the installed libgmoe: GMOE_PREFIX, else
    pkg-config."""
    prefix = os.environ.get("GMOE_PREFIX")
    if prefix:
        inc = [os.path.join(prefix, "include", "gmoe")]
        libdirs = [os.path.join(prefix, "lib")]
        cflags = _pkg_config("--cflags") or []
    else:
        cflags = _pkg_config("--cflags")
        libs = _pkg_config("--libs")
        if cflags is None or libs is None:
            sys.exit("gmoe_build: libgmoe not found: install gmoe (make install) so that "
                     "pkg-config finds gmoe.pc, or set GMOE_PREFIX")
        inc = [f[2:] for f in cflags if f.startswith("-I")]
        libdirs = [f[2:] for f in libs if f.startswith("-L")]
    inc += [f[2:] for f in cflags if f.startswith("-I")]
    return inc, libdirs


def make_builder(include_dirs=(), library_dirs=()):
    ffi = cffi.FFI()
    ffi.cdef(CDEF)
    ffi.set_source("gmoe._ffi", SOURCE, libraries=["gmoe"], include_dirs=list(include_dirs),
                   library_dirs=list(library_dirs), runtime_library_dirs=list(library_dirs))
    return ffi


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--emit":
    make_builder().emit_c_code(sys.argv[2])
elif __name__ == "__main__" and sys.argv[1:] == ["--inplace"]:
    here = os.path.dirname(os.path.abspath(__file__))
    make_builder(*_flags()).compile(tmpdir=here, verbose=False)
elif __name__ == "__main__":
    sys.exit("usage: gmoe_build.py --emit FILE.c | --inplace")
else:
    ffibuilder = make_builder(*_flags())
