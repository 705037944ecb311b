/* The options that describe a fitted model (number of experts, gating family and its
 * parameters) and the estimator (starts, EM settings, threads), shared by the commands that
 * fit (gmoe fit, gmoe select), so that they are spelt, parsed, checked and described the same
 * way in each. */
#ifndef GMOE_CLI_FIT_OPTS_H
#define GMOE_CLI_FIT_OPTS_H

#include "common.h"

/* Option values, above those of common.h and of any subcommand's own options. */
enum {
    CLI_OPT_GATE = 0x200,
    CLI_OPT_TOPK,
    CLI_OPT_TOPK_SELECT,
    CLI_OPT_TAU,
    CLI_OPT_FIX_TAU,
    CLI_OPT_ACT,
    CLI_OPT_STARTS,
    CLI_OPT_INIT,
    CLI_OPT_THREADS,
    CLI_OPT_STOP,
    CLI_OPT_TOL,
    CLI_OPT_MAX_ITER,
    CLI_OPT_NO_ACCEL,
    CLI_OPT_VAR_FLOOR,
    CLI_OPT_ACCEL,
    CLI_OPT_GATE_BOUND
};

/* Entries for a subcommand's struct option array ('k' and 'g' are short options too). */
#define CLI_OPTIONS_FIT                                                                            \
    {"experts", required_argument, NULL, 'k'}, {"gate", required_argument, NULL, 'g'},             \
        {"topk", required_argument, NULL, CLI_OPT_TOPK},                                           \
        {"topk-select", required_argument, NULL, CLI_OPT_TOPK_SELECT},                             \
        {"tau", required_argument, NULL, CLI_OPT_TAU},                                             \
        {"fix-tau", no_argument, NULL, CLI_OPT_FIX_TAU},                                           \
        {"act", required_argument, NULL, CLI_OPT_ACT},                                             \
        {"starts", required_argument, NULL, CLI_OPT_STARTS},                                       \
        {"init", required_argument, NULL, CLI_OPT_INIT},                                           \
        {"threads", required_argument, NULL, CLI_OPT_THREADS},                                     \
        {"stop", required_argument, NULL, CLI_OPT_STOP},                                           \
        {"tol", required_argument, NULL, CLI_OPT_TOL},                                             \
        {"max-iter", required_argument, NULL, CLI_OPT_MAX_ITER},                                   \
        {"no-accel", no_argument, NULL, CLI_OPT_NO_ACCEL},                                         \
        {"var-floor", required_argument, NULL, CLI_OPT_VAR_FLOOR},                                 \
        {"accel", required_argument, NULL, CLI_OPT_ACCEL},                                         \
    {                                                                                              \
        "gate-bound", required_argument, NULL, CLI_OPT_GATE_BOUND                                  \
    }

/* Their help lines (column 23 for descriptions): the gate family's options, and those of
 * the estimator but --init and --tol, whose values or defaults differ between commands. */
#define CLI_HELP_FIT_GATE                                                                          \
    "  -g, --gate G         softmax (default), topk, temperature, activation, sigmoid or\n"        \
    "                       gaussian (fitted by the joint likelihood of (x, y): see\n"             \
    "                       gmoe-fit(1))\n"                                                        \
    "      --topk K         top-K gate: experts kept per observation (required for topk)\n"        \
    "      --topk-select S  top-K selection on the slope beta1'x (slope, default) or the\n"        \
    "                       whole score beta1'x + beta0 (score)\n"                                 \
    "      --tau T          temperature/activation gates: start value of tau (default 1)\n"        \
    "      --fix-tau        hold tau at its start value instead of estimating it\n"                \
    "      --act A          activation gate: tanh (default) or sigmoid\n"
#define CLI_HELP_FIT_STARTS                                                                        \
    "      --starts N       number of starts; the best log-likelihood is kept (default 10)\n"
#define CLI_HELP_FIT_STOP                                                                          \
    "      --stop RULE      per-obs (default: |change| / n <= tol) or relative\n"                  \
    "                       (|change| / |loglik| <= tol, the published rule)\n"
#define CLI_HELP_FIT_EM                                                                            \
    "      --max-iter N     iteration limit per start (default 5000)\n"                            \
    "      --accel A        squarem (default), qn (quasi-Newton: faster near flat\n"               \
    "                       maxima such as over-specified fits) or none (plain EM)\n"              \
    "      --no-accel       plain EM (--accel none)\n"                                             \
    "      --var-floor X    variance floor relative to var(y) (default 1e-6)\n"                    \
    "      --gate-bound B   maximise over the compact set |beta0|, |beta1| <= B (canonical\n"      \
    "                       form; temperature: |beta1/tau|, tau held; activation: also\n"          \
    "                       1/tau <= B; not for the Gaussian gate); default: no bound\n"           \
    "      --threads N      threads for the starts (default: every core; the result\n"             \
    "                       does not depend on it)\n"

typedef struct cli_fit_opts {
    size_t k, topk;
    int topk_set, sel_set, tau_set, act_set;
    gmoe_gate gate;
    gmoe_topk_select sel;
    gmoe_act act;
    double tau;
    gmoe_fit_params par; /* starts, init, EM settings, threads (seed: the caller's) */
} cli_fit_opts;

void cli_fit_opts_init(cli_fit_opts *fo);

/* Handle getopt value c if it is one of these options (returns 0, or CLI_EXIT_USAGE after a
 * message that starts with cmd); returns -1 for any other option. */
int cli_fit_opt(cli_fit_opts *fo, const char *cmd, int c, const char *arg);

/* Cross-option checks once all are parsed: -k given, an option that the chosen gate would
 * ignore, --topk above -k, a --gate-bound that the gate cannot take. Prints the message and returns
 * CLI_EXIT_USAGE, or 0. */
int cli_fit_opts_check(const cli_fit_opts *fo, const char *cmd);

/* The template of the fit: fo->k experts, d covariates, the gate family and its
 * parameters. NULL when out of memory (after a message). */
gmoe_model *cli_fit_template(const cli_fit_opts *fo, size_t d);

/* Read the data file of a fit as gmoe fit and gmoe select do: the columns --y, --x and
 * --factor select, values bounded by GMOE_FIT_MAX_ABS, the "--factor" hint for a text
 * column. *xnames: the covariates' names as coded ("g=b"), as gmoe_csv_read_names gives them
 * (free()). *names: what the model file records of the columns (gmoe_model_names_free). On
 * failure prints the message and returns CLI_EXIT_ERROR (all outputs NULL). */
int cli_fit_read_data(const cli_common *co, const char *path, gmoe_data **data, char ***xnames,
                      gmoe_model_names **names);

/* gmoe_model_dumps_names for the model file of a fit. Names that a JSON file cannot hold (not
 * UTF-8) are left out with a warning: the model is still worth writing, and predict then
 * selects columns by --x as for a file that has no names. */
int cli_fit_dumps(const gmoe_model *m, const gmoe_fit_record *rec, const gmoe_model_names *names,
                  char **text, gmoe_error *err);

#endif
