/* gmoe fit: maximum-likelihood fit of a mixture of experts to a CSV data set. */
#include <config.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "commands.h"

enum {
    OPT_GATE = CLI_OPT_FIRST_LOCAL,
    OPT_TOPK,
    OPT_TOPK_SELECT,
    OPT_TAU,
    OPT_FIX_TAU,
    OPT_ACT,
    OPT_STARTS,
    OPT_INIT,
    OPT_TRUTH,
    OPT_THREADS,
    OPT_STOP,
    OPT_TOL,
    OPT_MAX_ITER,
    OPT_NO_ACCEL,
    OPT_VAR_FLOOR,
    OPT_TRACE
};

static void usage(FILE *fp)
{
    fputs("Usage: gmoe fit [options] -k K DATA.csv\n"
          "\n"
          "Fit a Gaussian mixture of K experts by maximum likelihood (EM, best of several\n"
          "starts), print a summary and write the fitted model file.\n"
          "\n"
          "Model:\n"
          "  -k, --experts K      number of experts (required)\n"
          "  -g, --gate G         softmax (default), topk, temperature or activation\n"
          "      --topk K         top-K gate: experts kept per observation (required for topk)\n"
          "      --topk-select S  top-K selection on the slope (default) or the whole score\n"
          "      --tau T          temperature/activation gates: tau (start value; default 1)\n"
          "      --fix-tau        hold tau at its start value\n"
          "      --act A          activation gate: tanh (default) or sigmoid\n" CLI_HELP_Y
              CLI_HELP_X "\n"
          "Estimator:\n"
          "      --starts N       number of starts; the best log-likelihood is kept (default 10)\n"
          "      --init I         data (default: k-means, random partitions, soft weights in\n"
          "                       turn), random (random partitions) or near-true (needs --truth)\n"
          "      --truth FILE     true model for near-true starts\n"
          "      --stop RULE      per-obs (default: |change| / n <= tol) or relative\n"
          "                       (|change| / |loglik| <= tol, the published rule)\n"
          "      --tol X          tolerance of the stopping rule (default 1e-8)\n"
          "      --max-iter N     iteration limit per start (default 5000)\n"
          "      --no-accel       plain EM instead of SQUAREM\n"
          "      --var-floor X    variance floor relative to var(y) (default 1e-6)\n"
          "      --threads N      threads for the starts (default: every core)\n" CLI_HELP_SEED
          "\n"
          "Output:\n" CLI_HELP_OUTPUT
          "      --json           print the fitted model file on stdout instead of the summary\n"
          "      --trace FILE     write the best start's log-likelihood per iteration (CSV)\n"
              CLI_HELP_PROGRESS CLI_HELP_QUIET CLI_HELP_HELP
          "\n"
          "The summary shows the parameters in canonical form (the last expert's gate\n"
          "parameters at 0) and the status: converged, max-iterations, degenerate (a variance\n"
          "on the floor or an empty expert) or gate-divergent (the gate runs off to infinity:\n"
          "the likelihood has no finite maximum along that path).\n"
          "\n"
          "Example:\n"
          "  gmoe fit --y waiting --x eruptions -k 2 --starts 20 -o fit.json faithful.csv\n",
          fp);
}

typedef struct fit_opts {
    size_t k, topk, starts, max_iter;
    int topk_set, tau_set, threads;
    gmoe_gate gate;
    gmoe_topk_select sel;
    gmoe_act act;
    double tau;
    gmoe_fit_params par;
    const char *truth, *trace;
} fit_opts;

static int parse_opt(fit_opts *fo, int c, const char *arg)
{
    gmoe_em_params *em = &fo->par.em;
    switch (c) {
    case 'k':
        return cli_parse_count("-k", arg, &fo->k);
    case 'g':
        if (gmoe_gate_parse(arg, &fo->gate) || fo->gate == GMOE_GATE_SIGMOID ||
            fo->gate == GMOE_GATE_GAUSSIAN)
            return cli_usage_error("fit: --gate must be softmax, topk, temperature or "
                                   "activation (got \"%s\")",
                                   arg);
        return 0;
    case OPT_TOPK:
        fo->topk_set = 1;
        return cli_parse_count("--topk", arg, &fo->topk);
    case OPT_TOPK_SELECT:
        if (gmoe_topk_select_parse(arg, &fo->sel))
            return cli_usage_error("fit: --topk-select must be slope or score (got \"%s\")", arg);
        return 0;
    case OPT_TAU:
        fo->tau_set = 1;
        return cli_parse_positive_double("--tau", arg, &fo->tau);
    case OPT_FIX_TAU:
        em->fix_tau = 1;
        return 0;
    case OPT_ACT:
        if (gmoe_act_parse(arg, &fo->act))
            return cli_usage_error("fit: --act must be tanh or sigmoid (got \"%s\")", arg);
        return 0;
    case OPT_STARTS:
        return cli_parse_count("--starts", arg, &fo->par.starts);
    case OPT_INIT:
        if (gmoe_init_parse(arg, &fo->par.init))
            return cli_usage_error("fit: --init must be data, random or near-true (got \"%s\")",
                                   arg);
        return 0;
    case OPT_TRUTH:
        fo->truth = arg;
        return 0;
    case OPT_THREADS: {
        size_t t;
        int rc = cli_parse_count("--threads", arg, &t);
        if (!rc && t > 4096) rc = cli_usage_error("fit: --threads must be at most 4096");
        fo->threads = (int)t;
        return rc;
    }
    case OPT_STOP:
        if (gmoe_stop_rule_parse(arg, &em->stop))
            return cli_usage_error("fit: --stop must be per-obs or relative (got \"%s\")", arg);
        return 0;
    case OPT_TOL:
        return cli_parse_positive_double("--tol", arg, &em->tol);
    case OPT_MAX_ITER:
        return cli_parse_count("--max-iter", arg, &em->max_iter);
    case OPT_NO_ACCEL:
        em->accel = 0;
        return 0;
    case OPT_VAR_FLOOR:
        return cli_parse_positive_double("--var-floor", arg, &em->var_floor);
    case OPT_TRACE:
        fo->trace = arg;
        return 0;
    }
    return -1; /* not ours */
}

/* Cross-option checks once everything is parsed. */
static int check_opts(fit_opts *fo)
{
    if (fo->k == 0) return cli_usage_error("fit: -k K is required (see 'gmoe help fit')");
    if (fo->gate == GMOE_GATE_TOPK && !fo->topk_set)
        return cli_usage_error("fit: --gate topk needs --topk K");
    if (fo->topk_set && fo->gate != GMOE_GATE_TOPK)
        return cli_usage_error("fit: --topk only goes with --gate topk");
    if (fo->topk_set && fo->topk > fo->k)
        return cli_usage_error("fit: --topk %zu exceeds -k %zu", fo->topk, fo->k);
    if ((fo->tau_set || fo->par.em.fix_tau) && fo->gate != GMOE_GATE_TEMPERATURE &&
        fo->gate != GMOE_GATE_ACTIVATION)
        return cli_usage_error("fit: --tau and --fix-tau go with the temperature and "
                               "activation gates");
    if (fo->par.init == GMOE_INIT_NEAR_TRUE && !fo->truth)
        return cli_usage_error("fit: --init near-true needs --truth FILE");
    return 0;
}

static int trace_cb(const gmoe_em *w, void *data)
{
    FILE *fp = data;
    fprintf(fp, "%zu,%.17g\n", gmoe_em_iterations(w), gmoe_em_loglik(w));
    return 0;
}

static void progress_cb(size_t done, size_t total, void *data)
{
    (void)data;
    fprintf(stderr, "\rgmoe fit: start %zu of %zu", done, total);
    if (done == total) fputc('\n', stderr);
    fflush(stderr);
}

static void print_summary(const char *path, const gmoe_data *data, const gmoe_model *m,
                          const gmoe_fit_result *res, const gmoe_fit_params *par)
{
    size_t k = gmoe_model_k(m), d = gmoe_model_d(m);
    gmoe_gate gate = gmoe_model_gate(m);
    printf("gmoe fit: %s, n = %zu, d = %zu, k = %zu, gate %s", path, data->n, d, k,
           gmoe_gate_name(gate));
    if (gate == GMOE_GATE_TOPK)
        printf(" (K = %zu, selection on the %s)", gmoe_model_topk(m),
               gmoe_topk_select_name(gmoe_model_topk_select(m)));
    if (gate == GMOE_GATE_TEMPERATURE || gate == GMOE_GATE_ACTIVATION)
        printf(" (tau = %.6g%s)", gmoe_model_tau(m), par->em.fix_tau ? ", fixed" : "");
    if (gate == GMOE_GATE_ACTIVATION) printf(" act %s", gmoe_act_name(gmoe_model_act(m)));
    printf("\n\nlog-likelihood %.6f   AIC %.4f   BIC %.4f   parameters %zu\n", res->info.loglik,
           res->aic, res->bic, res->nparams);
    printf("status %s (%s rule, tol %g), %zu iterations, %zu EM maps\n",
           gmoe_fit_status_name(res->info.status), gmoe_stop_rule_name(res->info.stop),
           par->em.tol, res->info.iterations, res->info.maps);
    printf("best of %zu starts (%s; start %zu)%s, %.3f s\n\n", res->starts,
           gmoe_init_name(par->init), res->best_start + 1,
           res->failed ? " (some starts failed)" : "", res->seconds);
    printf("expert %12s", "beta0");
    for (size_t t = 0; t < d; t++) printf(" %10s%zu]", "beta1[", t + 1);
    if (gate == GMOE_GATE_TEMPERATURE)
        for (size_t t = 0; t < d; t++) printf(" %7s%zu]/tau", "beta1[", t + 1);
    for (size_t t = 0; t < d; t++) printf(" %10s%zu]", "a[", t + 1);
    printf(" %12s %12s\n", "b", "var");
    double *b1 = malloc(d * sizeof(double)), *a = malloc(d * sizeof(double));
    if (!b1 || !a) {
        free(b1), free(a);
        return;
    }
    for (size_t j = 0; j < k; j++) {
        double b0, b, v;
        gmoe_model_get_expert(m, j, &b0, b1, a, &b, &v);
        printf("%-6zu %12.6g", j + 1, b0);
        for (size_t t = 0; t < d; t++) printf(" %12.6g", b1[t]);
        if (gate == GMOE_GATE_TEMPERATURE)
            for (size_t t = 0; t < d; t++) printf(" %12.6g", b1[t] / gmoe_model_tau(m));
        for (size_t t = 0; t < d; t++) printf(" %12.6g", a[t]);
        printf(" %12.6g %12.6g\n", b, v);
    }
    free(b1), free(a);
    printf("\n(canonical form: the last expert's gate parameters are 0)\n");
}

int main_fit(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_HELP,
        {"experts", required_argument, NULL, 'k'},
        {"gate", required_argument, NULL, 'g'},
        {"topk", required_argument, NULL, OPT_TOPK},
        {"topk-select", required_argument, NULL, OPT_TOPK_SELECT},
        {"tau", required_argument, NULL, OPT_TAU},
        {"fix-tau", no_argument, NULL, OPT_FIX_TAU},
        {"act", required_argument, NULL, OPT_ACT},
        {"starts", required_argument, NULL, OPT_STARTS},
        {"init", required_argument, NULL, OPT_INIT},
        {"truth", required_argument, NULL, OPT_TRUTH},
        {"threads", required_argument, NULL, OPT_THREADS},
        {"stop", required_argument, NULL, OPT_STOP},
        {"tol", required_argument, NULL, OPT_TOL},
        {"max-iter", required_argument, NULL, OPT_MAX_ITER},
        {"no-accel", no_argument, NULL, OPT_NO_ACCEL},
        {"var-floor", required_argument, NULL, OPT_VAR_FLOOR},
        {"trace", required_argument, NULL, OPT_TRACE},
        CLI_OPTION_OUTPUT,
        CLI_OPTION_SEED,
        CLI_OPTION_JSON,
        CLI_OPTION_PROGRESS,
        CLI_OPTION_QUIET,
        CLI_OPTION_Y,
        CLI_OPTION_X,
        CLI_OPTION_END,
    };
    cli_common co;
    cli_common_init(&co, "fit");
    fit_opts fo;
    memset(&fo, 0, sizeof fo);
    fo.gate = GMOE_GATE_SOFTMAX;
    fo.tau = 1.0;
    fo.par = gmoe_fit_default_params();
    gmoe_model *templ = NULL, *truth = NULL, *best = NULL;
    gmoe_data *data = NULL;
    FILE *trace = NULL;
    gmoe_error err;
    gmoe_error_clear(&err);
    int rc = CLI_EXIT_OK, c;

    while ((c = getopt_long(argc, argv, ":hk:g:o:", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            goto out;
        }
        int r = parse_opt(&fo, c, optarg);
        if (r < 0) r = cli_common_opt(&co, c, optarg, argv);
        if ((rc = r)) goto out;
    }
    if ((rc = cli_check_positional(&co, argc, argv, 1, 1, "data file (DATA.csv)"))) goto out;
    if ((rc = check_opts(&fo))) goto out;
    const char *path = argv[optind];
    fo.par.seed = co.seed;
    fo.par.threads = fo.threads;
    if (cli_progress_enabled(&co)) fo.par.progress = progress_cb;

    gmoe_csv_spec spec;
    cli_csv_spec(&co, &spec);
    if (gmoe_csv_read(path, &spec, &data, &err)) goto liberr;
    if (fo.truth) {
        if (gmoe_model_read(fo.truth, &truth, NULL, NULL, &err)) goto liberr;
        fo.par.truth = truth;
    }
    if (fo.k > data->n) {
        cli_error("%s: -k %zu exceeds the number of observations (n = %zu)", path, fo.k, data->n);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (!(templ = gmoe_model_alloc(fo.k, data->d, fo.gate))) {
        gmoe_error_set(&err, GMOE_ENOMEM, "out of memory");
        goto liberr;
    }
    gmoe_model_set_topk(templ, fo.topk_set ? fo.topk : fo.k, fo.sel);
    gmoe_model_set_tau(templ, fo.tau);
    gmoe_model_set_act(templ, fo.act);
    gmoe_fit_result res;
    if (gmoe_fit(data, templ, &fo.par, &best, &res, &err)) goto liberr;
    if (fo.trace) {
        if (!(trace = fopen(fo.trace, "w"))) {
            cli_error("%s: cannot write: %s", fo.trace, strerror(errno));
            rc = CLI_EXIT_ERROR;
            goto out;
        }
        fprintf(trace, "iteration,loglik\n");
        gmoe_fit_params tp = fo.par;
        tp.progress = NULL;
        if (gmoe_fit_trace(data, templ, &tp, res.best_start, trace_cb, trace, &err)) goto liberr;
        if (fclose(trace) != 0) {
            trace = NULL;
            cli_error("%s: write failed", fo.trace);
            rc = CLI_EXIT_ERROR;
            goto out;
        }
        trace = NULL;
    }
    gmoe_fit_record rec;
    memset(&rec, 0, sizeof rec);
    rec.loglik = res.info.loglik;
    rec.n = data->n;
    rec.iterations = res.info.iterations;
    snprintf(rec.status, sizeof rec.status, "%s", gmoe_fit_status_name(res.info.status));
    snprintf(rec.stop, sizeof rec.stop, "%s", gmoe_stop_rule_name(res.info.stop));
    rec.aic = res.aic;
    rec.bic = res.bic;
    rec.seconds = res.seconds;
    rec.nparams = res.nparams;
    rec.starts = res.starts;
    rec.seed = co.seed;
    if (strcmp(co.output, "-") != 0 && gmoe_model_write(co.output, best, &rec, &err)) goto liberr;
    if (co.json) {
        char *text = NULL;
        if (gmoe_model_dumps(best, &rec, &text, &err)) goto liberr;
        fputs(text, stdout);
        free(text);
    } else {
        print_summary(path, data, best, &res, &fo.par);
    }
    goto out;
liberr:
    rc = cli_lib_error(&err);
out:
    if (trace) fclose(trace);
    gmoe_model_free(best);
    gmoe_model_free(templ);
    gmoe_model_free(truth);
    gmoe_data_free(data);
    cli_common_free(&co);
    return rc;
}
