/* gmoe fit: maximum-likelihood fit of a mixture of experts to a CSV data set. */
#include <config.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "commands.h"
#include "fit_bound.h"
#include "fit_opts.h"
#include "fit_se.h"

enum { OPT_TRUTH = CLI_OPT_FIRST_LOCAL, OPT_TRACE, OPT_SE, OPT_BOOTSTRAP, OPT_PREFER };

static void usage(FILE *fp)
{
    fputs("Usage: gmoe fit [options] -k K DATA.csv\n"
          "\n"
          "Fit a Gaussian mixture of K experts by maximum likelihood (EM from several starts,\n"
          "the best log-likelihood kept), print a summary and write the fitted model file.\n"
          "\n"
          "Model:\n"
          "  -k, --experts K      number of experts (required)\n" CLI_HELP_FIT_GATE CLI_HELP_Y
              CLI_HELP_X CLI_HELP_FACTOR "\n"
          "Estimator:\n" CLI_HELP_FIT_STARTS
          "      --init I         data (default: k-means++, random partitions and random soft\n"
          "                       weights in turn), random (random partitions) or near-true\n"
          "                       (perturbed true parameters; needs --truth)\n"
          "      --truth FILE     true model (model file) for near-true starts\n" CLI_HELP_FIT_STOP
          "      --tol X          tolerance of the stopping rule (default 1e-8)\n" CLI_HELP_FIT_EM
          "      --prefer P       best (default: the best start, whatever its status) or\n"
          "                       interior (the best start that converged, when the best\n"
          "                       one is gate-divergent or degenerate)\n" CLI_HELP_SEED "\n"
          "Output:\n"
          "  -o, --output FILE    write the fitted model file (JSON, with its \"fit\" object);\n"
          "                       - prints it on stdout instead of the summary (default: none)\n"
          "      --json           print the fitted model file on stdout instead of the summary\n"
          "      --trace FILE     write the best start's log-likelihood per iteration "
          "(CSV)\n" FIT_SE_HELP CLI_HELP_PROGRESS CLI_HELP_QUIET CLI_HELP_HELP "\n"
          "The summary shows the parameters in canonical form and the status: converged,\n"
          "max-iterations, degenerate (a variance on the floor or an expert without data) or\n"
          "gate-divergent (the gate runs off to infinity: the likelihood has no finite maximum\n"
          "along that path). See gmoe-fit(1).\n"
          "\n"
          "Example:\n"
          "  gmoe fit --y waiting --x eruptions -k 2 --starts 20 -o fit.json faithful.csv\n",
          fp);
}

typedef struct fit_opts {
    cli_fit_opts fo; /* the options shared with gmoe select (fit_opts.h) */
    int output_set;
    const char *truth, *trace;
    fit_se_opts se;
} fit_opts;

static int parse_opt(fit_opts *fo, int c, const char *arg, int argc, char **argv)
{
    switch (c) {
    case OPT_TRUTH:
        fo->truth = arg;
        return 0;
    case OPT_PREFER:
        if (strcmp(arg, "best") != 0 && strcmp(arg, "interior") != 0)
            return cli_usage_error("fit: --prefer must be best or interior (got \"%s\")", arg);
        fo->fo.par.prefer_interior = strcmp(arg, "interior") == 0;
        return 0;
    case OPT_TRACE:
        if (!*arg || strcmp(arg, "-") == 0)
            return cli_usage_error("fit: --trace needs a file name (standard output holds the "
                                   "summary)");
        fo->trace = arg;
        return 0;
    case OPT_SE:
        return fit_se_parse(&fo->se, arg, argc, argv);
    case OPT_BOOTSTRAP:
        return fit_se_parse_bootstrap(&fo->se, arg);
    }
    return cli_fit_opt(&fo->fo, "fit", c, arg);
}

/* Cross-option checks once everything is parsed: an option that the chosen gate or start
 * strategy would ignore is a mistake worth saying. */
static int check_opts(const fit_opts *fo, const cli_common *co)
{
    int rc = cli_fit_opts_check(&fo->fo, "fit");
    if (rc) return rc;
    if (fit_se_check(&fo->se)) return CLI_EXIT_USAGE;
    if (fo->fo.par.init == GMOE_INIT_NEAR_TRUE && !fo->truth)
        return cli_usage_error("fit: --init near-true needs --truth FILE");
    if (fo->truth && fo->fo.par.init != GMOE_INIT_NEAR_TRUE)
        return cli_usage_error("fit: --truth only goes with --init near-true");
    if (fo->trace && fo->output_set && strcmp(fo->trace, co->output) == 0)
        return cli_usage_error("fit: --trace and -o name the same file \"%s\"", fo->trace);
    return cli_check_xy(co);
}

/* ---------------------------------------------------------------- progress and trace */

typedef struct progress {
    int tty;
    size_t shown; /* starts done at the last report (not on a terminal) */
} progress;

/* On a terminal one line rewritten in place; elsewhere (a log file) a line per tenth of the
 * starts, so that a long fit neither floods the log nor stays silent. */
static void progress_cb(size_t done, size_t total, void *data)
{
    progress *p = data;
    if (p->tty) {
        fprintf(stderr, "\rgmoe fit: start %zu of %zu", done, total);
        if (done == total) fputc('\n', stderr);
    } else if (done == total || 10 * (done - p->shown) >= total) {
        fprintf(stderr, "gmoe fit: start %zu of %zu\n", done, total);
        p->shown = done;
    }
    fflush(stderr);
}

/* The Gaussian gate's EM maximises the joint log-likelihood, which the trace then adds as a
 * third column (the conditional one need not rise). */
static int joint_objective(const gmoe_model *m)
{
    return gmoe_model_gate(m) == GMOE_GATE_GAUSSIAN;
}

static int trace_cb(const gmoe_em *w, void *data)
{
    fprintf(data, "%zu,", gmoe_em_iterations(w));
    cli_csv_double(data, gmoe_em_loglik(w));
    if (joint_objective(gmoe_em_model(w))) {
        fputc(',', data);
        cli_csv_double(data, gmoe_em_objective(w));
    }
    fputc('\n', data);
    return 0;
}

/* Run the best start again, writing its log-likelihood after every iteration to fp. */
static int write_trace(FILE *fp, const gmoe_data *data, const gmoe_model *templ,
                       const gmoe_fit_params *par, size_t start)
{
    fputs(joint_objective(templ) ? "iteration,loglik,loglik_joint\n" : "iteration,loglik\n", fp);
    gmoe_fit_params tp = *par;
    tp.progress = NULL;
    gmoe_error err;
    gmoe_error_clear(&err);
    if (gmoe_fit_trace(data, templ, &tp, start, trace_cb, fp, &err)) return cli_lib_error(&err);
    return 0;
}

/* ---------------------------------------------------------------- summary */

typedef struct summary {
    const char *path;
    const cli_common *co;
    const gmoe_data *data;
    const gmoe_model *m;
    const gmoe_fit_result *res;
    const gmoe_fit_params *par;
    const double *share; /* sum of the posteriors per expert / n, or NULL */
    const gmoe_se *se;   /* standard errors (--se), or NULL */
    char *const *xnames; /* the covariates' names when --x or --factor named them, or NULL */
} summary;

static const char *covariate_name(const summary *s, size_t t, char *buf, size_t size)
{
    if (s->xnames) return s->xnames[t];
    snprintf(buf, size, "x%zu", t + 1);
    return buf;
}

static void print_header(const summary *s)
{
    const gmoe_model *m = s->m;
    size_t k = gmoe_model_k(m), d = gmoe_model_d(m);
    gmoe_gate gate = gmoe_model_gate(m);
    const char *y = s->co->y ? s->co->y : "y";
    printf("gmoe fit: %s, n = %zu, response %s, ", s->path, s->data->n, y);
    if (s->xnames) {
        printf("covariate%s ", d == 1 ? "" : "s");
        for (size_t t = 0; t < d; t++)
            printf("%s%s", t ? ", " : "", s->xnames[t]);
        putchar('\n');
    } else if (d == 1) {
        printf("covariate x1 (the other column)\n");
    } else {
        printf("covariates x1..x%zu (the other columns, in file order)\n", d);
    }
    printf("%zu experts, %s gate", k, gmoe_gate_name(gate));
    const char *est = s->par->em.fix_tau ? "fixed" : "estimated";
    if (gate == GMOE_GATE_TOPK)
        printf(" (K = %zu of %zu per observation, selected on the %s)", gmoe_model_topk(m), k,
               gmoe_model_topk_select(m) == GMOE_TOPK_SLOPE ? "slope beta1'x"
                                                            : "score beta1'x + beta0");
    else if (gate == GMOE_GATE_TEMPERATURE)
        printf(" (tau = %.6g, %s; only beta1/tau is identified)", gmoe_model_tau(m), est);
    else if (gate == GMOE_GATE_ACTIVATION)
        printf(" (%s activation, tau = %.6g, %s)", gmoe_act_name(gmoe_model_act(m)),
               gmoe_model_tau(m), est);
    else if (gate == GMOE_GATE_GAUSSIAN)
        printf(" (fitted by EM on the joint likelihood of (x, y))");
    printf("\n\n");
}

static void print_status(const summary *s, double floor_abs)
{
    const gmoe_fit_result *res = s->res;
    const gmoe_em_params *em = &s->par->em;
    const char *rule = em->stop == GMOE_STOP_RELATIVE ? "|change| / |loglik|" : "|change| / n";
    const char *ind = "\n                 "; /* continuation lines under the value */
    printf("%-16s %s", "status", gmoe_fit_status_name(res->info.status));
    switch (res->info.status) {
    case GMOE_FIT_CONVERGED:
        printf(" (%s <= %g, %s rule)\n", rule, em->tol, gmoe_stop_rule_name(em->stop));
        break;
    case GMOE_FIT_MAX_ITER:
        printf(": the limit of %zu iterations came before%s%s <= %g held; try a larger "
               "--max-iter\n",
               em->max_iter, ind, rule, em->tol);
        break;
    case GMOE_FIT_DEGENERATE:
        printf(": a variance ended on the floor (%g var(y) = %.6g)%sor an expert has no "
               "data: a spurious maximum, and every start that%ssucceeded ended so; try more "
               "starts or another --var-floor\n",
               em->var_floor, floor_abs, ind, ind);
        break;
    case GMOE_FIT_GATE_DIVERGENT:
        printf(": the gate parameters grow without bound while the%slog-likelihood levels "
               "off: no finite maximum along this path; the%sgate parameters below are where "
               "EM stopped, not estimates\n",
               ind, ind);
        break;
    default:
        putchar('\n');
    }
}

/* The best start that converged, when it is not the best start, or that none did: which
 * start --prefer interior writes. */
static void print_interior(const summary *s)
{
    const gmoe_fit_result *res = s->res;
    const char *ind = "\n                 ";
    if (res->best_start != res->top_start) {
        printf("%-16s start %zu, %s, log-likelihood %.6f; written instead%s(--prefer "
               "interior) is the best start that converged\n",
               "best start", res->top_start + 1, gmoe_fit_status_name(res->top_status),
               res->loglik_top, ind);
    } else if (!res->has_interior) {
        printf("%-16s none: no start converged%s\n", "interior best",
               s->par->prefer_interior ? " (--prefer interior wrote the best start)" : "");
    } else if (res->interior_start != res->best_start) {
        printf("%-16s start %zu, converged, log-likelihood %.6f;%s--prefer interior writes "
               "it\n",
               "interior best", res->interior_start + 1, res->loglik_interior, ind);
    }
}

/* One row of the parameter table: a label and k numbers, the variance row marking experts
 * on the floor. */
static void print_row(const char *group, const char *label, int width, const double *v, size_t k,
                      const double *floor_abs)
{
    printf("%-7s%-*s", group, width, label);
    for (size_t j = 0; j < k; j++) {
        printf(" %12.6g", v[j]);
        if (floor_abs && v[j] <= *floor_abs * (1 + 1e-9))
            putchar('*');
        else if (j + 1 < k)
            putchar(' ');
    }
    putchar('\n');
}

/* One row per covariate t of the k*d values v[j*d + t], labelled what[covariate]. */
static void print_covariate_rows(const summary *s, const char *what, const double *v, int width,
                                 double *row)
{
    size_t k = gmoe_model_k(s->m), d = gmoe_model_d(s->m);
    char buf[32], label[256];
    for (size_t t = 0; t < d; t++) {
        for (size_t j = 0; j < k; j++)
            row[j] = v[j * d + t];
        snprintf(label, sizeof label, "%s[%s]", what, covariate_name(s, t, buf, sizeof buf));
        print_row("", label, width, row, k, NULL);
    }
}

/* The Gaussian gate's rows: pi, the centre c per covariate and the upper triangle of
 * Gamma. g holds k(1 + d + d^2) values of scratch. */
static void print_gauss_rows(const summary *s, int width, double *g, double *row)
{
    const gmoe_model *m = s->m;
    size_t k = gmoe_model_k(m), d = gmoe_model_d(m);
    double *c = g + k, *G = c + k * d;
    char b1[32], b2[32], label[256];
    for (size_t j = 0; j < k; j++)
        gmoe_model_get_gauss(m, j, g + j, c + j * d, G + j * d * d);
    print_row("gate", "pi", width, g, k, NULL);
    print_covariate_rows(s, "c", c, width, row);
    for (size_t t = 0; t < d; t++)
        for (size_t u = t; u < d; u++) {
            for (size_t j = 0; j < k; j++)
                row[j] = G[j * d * d + t * d + u];
            snprintf(label, sizeof label, "Gamma[%s,%s]", covariate_name(s, t, b1, sizeof b1),
                     covariate_name(s, u, b2, sizeof b2));
            print_row("", label, width, row, k, NULL);
        }
}

/* The parameters, one row per parameter and one column per expert: it stays readable
 * for any d (k is small). */
static int print_table(const summary *s, double floor_abs)
{
    const gmoe_model *m = s->m;
    size_t k = gmoe_model_k(m), d = gmoe_model_d(m);
    gmoe_gate gate = gmoe_model_gate(m);
    double tau = gmoe_model_tau(m);
    /* p holds beta0 (k), beta1 (k*d), a (k*d), b (k), var (k), then the Gaussian gate's
     * (k(1 + d + d^2)). */
    double *p = malloc((2 * d + 4 + 1 + d + d * d) * k * sizeof(double)),
           *row = malloc(k * sizeof(double));
    if (!p || !row) {
        free(p);
        free(row);
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    double *b0 = p, *b1 = b0 + k, *a = b1 + k * d, *b = a + k * d, *v = b + k;
    for (size_t j = 0; j < k; j++)
        gmoe_model_get_expert(m, j, b0 + j, b1 + j * d, a + j * d, b + j, v + j);

    char buf[32], label[256];
    int width = 13; /* "beta1/tau[" + name + "]" at least, and "data share" */
    for (size_t t = 0; t < d; t++) {
        /* "Gamma[" + name + "," + name + "]" for the Gaussian gate */
        size_t len = strlen(covariate_name(s, t, buf, sizeof buf));
        int w = (int)(gate == GMOE_GATE_GAUSSIAN ? 2 * len + 8 : len + 11);
        if (w > width && w < (int)sizeof label) width = w;
    }
    printf("%-7s%-*s", "", width, "");
    for (size_t j = 0; j < k; j++) {
        snprintf(buf, sizeof buf, "expert %zu", j + 1);
        printf(" %12s%s", buf, j + 1 < k ? " " : "");
    }
    putchar('\n');
    if (gate == GMOE_GATE_GAUSSIAN)
        print_gauss_rows(s, width, v + k, row);
    else
        print_row("gate", "beta0", width, b0, k, NULL);
    for (size_t t = 0; t < d && gate != GMOE_GATE_GAUSSIAN; t++) {
        const char *name = covariate_name(s, t, buf, sizeof buf);
        for (size_t j = 0; j < k; j++)
            row[j] = b1[j * d + t];
        snprintf(label, sizeof label, "beta1[%s]", name);
        print_row("", label, width, row, k, NULL);
        if (gate == GMOE_GATE_TEMPERATURE) {
            for (size_t j = 0; j < k; j++)
                row[j] = b1[j * d + t] / tau;
            snprintf(label, sizeof label, "beta1/tau[%s]", name);
            print_row("", label, width, row, k, NULL);
        }
    }
    print_row("expert", "b", width, b, k, NULL);
    print_covariate_rows(s, "a", a, width, row);
    print_row("", "var", width, v, k, &floor_abs);
    if (s->share) print_row("data", "share", width, s->share, k, NULL);
    free(p);
    free(row);
    return 0;
}

static int print_summary(const summary *s)
{
    const gmoe_fit_result *res = s->res;
    const gmoe_em_params *em = &s->par->em;
    gmoe_gate gate = gmoe_model_gate(s->m);
    double floor_abs = gmoe_em_var_floor(s->data, em->var_floor);
    print_header(s);
    printf("%-16s %.6f\n", "log-likelihood", res->info.loglik);
    if (joint_objective(s->m))
        printf("%-16s %.6f   (of (x, y): what EM maximised; the line above is\n"
               "%-16s of y given x, as everywhere in gmoe)\n",
               "joint loglik", res->info.objective, "");
    printf("%-16s %.4f   (-2 loglik + 2p, p = %zu free parameters)\n", "AIC", res->aic,
           res->nparams);
    printf("%-16s %.4f   (-2 loglik + p log n)\n", "BIC", res->bic);
    print_status(s, floor_abs);
    print_interior(s);
    fit_bound_print(em, res, gate);
    if (em->accel && em->accel_method == GMOE_ACCEL_QN && gate != GMOE_GATE_GAUSSIAN)
        printf("%-16s %zu quasi-Newton cycles (%zu steps)\n", "iterations", res->info.iterations,
               res->info.maps);
    else if (em->accel)
        printf("%-16s %zu SQUAREM cycles (%zu EM maps)\n", "iterations", res->info.iterations,
               res->info.maps);
    else
        printf("%-16s %zu EM iterations\n", "iterations", res->info.iterations);
    printf("%-16s %zu %s start%s (seed %lu), the best %sis start %zu", "starts", res->starts,
           gmoe_init_name(s->par->init), res->starts == 1 ? "" : "s", s->par->seed,
           res->best_start != res->top_start ? "converged " : "", res->best_start + 1);
    if (res->failed) printf("; %zu failed", res->failed);
    printf("; %.3f s\n\n", res->seconds);
    int rc = print_table(s, floor_abs);
    if (rc) return rc;
    printf("\nCanonical form: ");
    if (gate == GMOE_GATE_ACTIVATION)
        printf("the last expert's beta0 is 0 (only differences of beta0 matter).\n");
    else if (gate == GMOE_GATE_SIGMOID)
        printf("none needed (the sigmoid gate has no translation freedom).\n");
    else if (gate == GMOE_GATE_GAUSSIAN)
        printf("the pi sum to 1; (pi, c, Gamma) are those of the Gaussian mixture\n"
               "of x that EM fitted with the experts.\n");
    else
        printf("the last expert's gate parameters are 0 (only differences matter).\n");
    printf("var: variance of the expert's noise");
    if (s->share) printf("; share: sum of the posterior probabilities / n");
    printf(".\n");
    for (size_t j = 0; j < gmoe_model_k(s->m); j++) {
        double v;
        gmoe_model_get_expert(s->m, j, NULL, NULL, NULL, NULL, &v);
        if (v <= floor_abs * (1 + 1e-9)) {
            printf("*: on the variance floor (%g var(y) = %.6g).\n", em->var_floor, floor_abs);
            break;
        }
    }
    fit_se_print(s->se, s->m, s->xnames);
    return 0;
}

/* Sum of the posterior probabilities of each expert over the data, divided by n: the share
 * of the data the expert accounts for (an expert with share 0 has no data). NULL when out of
 * memory (the summary then goes without it). */
static double *posterior_share(const gmoe_model *m, const gmoe_data *data)
{
    size_t n = data->n, k = gmoe_model_k(m);
    double *post = malloc(n * k * sizeof(double)), *share = calloc(k, sizeof(double));
    gmoe_error err;
    if (!post || !share || gmoe_model_predict(m, data, NULL, post, NULL, NULL, &err)) {
        free(post);
        free(share);
        return NULL;
    }
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < k; j++)
            share[j] += post[i * k + j];
    for (size_t j = 0; j < k; j++)
        share[j] /= (double)n;
    free(post);
    return share;
}

/* ---------------------------------------------------------------- the command */

/* A near-true start needs a truth of the data's d with at most k experts. */
static int check_truth(const fit_opts *fo, const gmoe_model *truth, const gmoe_data *data)
{
    if (gmoe_model_d(truth) != data->d) {
        cli_error("%s: the true model has d = %zu, the data d = %zu", fo->truth,
                  gmoe_model_d(truth), data->d);
        return CLI_EXIT_ERROR;
    }
    if (gmoe_model_k(truth) > fo->fo.k) {
        cli_error("%s: near-true starts need -k at least the true k = %zu (got -k %zu)", fo->truth,
                  gmoe_model_k(truth), fo->fo.k);
        return CLI_EXIT_ERROR;
    }
    return 0;
}

int main_fit(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_HELP,
        CLI_OPTIONS_FIT,
        {"truth", required_argument, NULL, OPT_TRUTH},
        {"trace", required_argument, NULL, OPT_TRACE},
        {"se", optional_argument, NULL, OPT_SE},
        {"bootstrap", required_argument, NULL, OPT_BOOTSTRAP},
        {"prefer", required_argument, NULL, OPT_PREFER},
        CLI_OPTION_OUTPUT,
        CLI_OPTION_SEED,
        CLI_OPTION_JSON,
        CLI_OPTION_PROGRESS,
        CLI_OPTION_QUIET,
        CLI_OPTION_Y,
        CLI_OPTION_X,
        CLI_OPTION_FACTOR,
        CLI_OPTION_END,
    };
    cli_common co;
    cli_common_init(&co, "fit");
    fit_opts fo;
    memset(&fo, 0, sizeof fo);
    cli_fit_opts_init(&fo.fo);
    fit_se_init(&fo.se);
    gmoe_se *se = NULL;
    gmoe_model *templ = NULL, *truth = NULL, *best = NULL;
    gmoe_data *data = NULL;
    double *share = NULL;
    char *text = NULL, **names = NULL;
    gmoe_model_names *colnames = NULL; /* what the model file records of the columns */
    cli_outfile mof, tof;              /* the model file and the trace */
    memset(&mof, 0, sizeof mof);
    memset(&tof, 0, sizeof tof);
    gmoe_error err;
    gmoe_error_clear(&err);
    progress prog = {cli_isatty(stderr), 0};
    int rc = CLI_EXIT_OK, c;

    while ((c = getopt_long(argc, argv, ":hk:g:o:", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            goto out;
        }
        int r = parse_opt(&fo, c, optarg, argc, argv);
        if (r < 0) r = cli_common_opt(&co, c, optarg, argv);
        if ((rc = r)) goto out;
        if (c == 'o') fo.output_set = 1;
    }
    if ((rc = cli_check_positional(&co, argc, argv, 1, 1, "data file (DATA.csv)"))) goto out;
    if ((rc = check_opts(&fo, &co))) goto out;
    const char *path = argv[optind];
    /* -o - is the model file on stdout, as --json; no -o writes no file. */
    int to_stdout = co.json || (fo.output_set && strcmp(co.output, "-") == 0);
    const char *file = fo.output_set && strcmp(co.output, "-") != 0 ? co.output : NULL;
    gmoe_fit_params *par = &fo.fo.par;
    par->seed = co.seed;
    if (cli_progress_enabled(&co)) {
        par->progress = progress_cb;
        par->progress_data = &prog;
    }

    if ((rc = cli_fit_read_data(&co, path, &data, &names, &colnames))) goto out;
    if (fo.fo.k > data->n) {
        cli_error("%s: -k %zu exceeds the number of observations (n = %zu)", path, fo.fo.k,
                  data->n);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (fo.truth) {
        if (gmoe_model_read(fo.truth, &truth, NULL, NULL, &err)) goto liberr;
        if ((rc = check_truth(&fo, truth, data))) goto out;
        par->truth = truth;
    }
    if (!(templ = cli_fit_template(&fo.fo, data->d))) {
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    /* Open the output files before the fit, which may be long: a file that cannot be
     * written is reported at once. They replace the targets only once complete. */
    if (file && (rc = cli_outfile_open(&mof, file))) goto out;
    if (fo.trace && (rc = cli_outfile_open(&tof, fo.trace))) goto out;
    gmoe_fit_result res;
    if (gmoe_fit(data, templ, par, &best, &res, &err)) {
        rc = cli_data_error(path, &err);
        goto out;
    }
    if (fo.trace) {
        if ((rc = write_trace(tof.fp, data, templ, par, res.best_start))) goto out;
        if ((rc = cli_outfile_commit(&tof))) goto out;
    }

    gmoe_fit_record rec;
    gmoe_fit_record_set(&rec, best, &res, par, data->n);
    if ((rc = fit_se_compute(&fo.se, best, data, par, &res, &se, &rec))) goto out;
    if (cli_fit_dumps(best, &rec, colnames, &text, &err)) {
        cli_error("%s: %s", file ? file : "standard output", err.msg);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (file) {
        fputs(text, mof.fp);
        if ((rc = cli_outfile_commit(&mof))) goto out;
    }
    if (to_stdout) {
        fputs(text, stdout);
    } else {
        share = posterior_share(best, data);
        summary s = {path, &co, data, best, &res, par, share, se, co.x || co.factor ? names : NULL};
        rc = print_summary(&s);
    }
    goto out;
liberr:
    rc = cli_lib_error(&err);
out:
    cli_outfile_abort(&tof);
    cli_outfile_abort(&mof);
    free(text);
    free(names);
    gmoe_model_names_free(colnames);
    free(share);
    gmoe_se_free(se);
    gmoe_model_free(best);
    gmoe_model_free(templ);
    gmoe_model_free(truth);
    gmoe_data_free(data);
    cli_common_free(&co);
    return rc;
}
