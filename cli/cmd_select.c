/* gmoe select: choose the number of experts by AIC, BIC, ICL over k and by the dendrogram
 * of mixing measures (DSC) of the largest fit. */
#include <config.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "commands.h"
#include "fit_bound.h"
#include "fit_opts.h"

enum {
    OPT_KMIN = CLI_OPT_FIRST_LOCAL,
    OPT_CRITERION,
    OPT_REFIT,
    OPT_MASS,
    OPT_DSC,
    OPT_VAR_MERGE,
    OPT_DSC_TRIM
};

static void usage(FILE *fp)
{
    fputs(
        "Usage: gmoe select [options] -k K DATA.csv\n"
        "\n"
        "Choose the number of experts: fit every k from --kmin to K (each as 'gmoe fit -k k'\n"
        "with the same starts, seed and --tol), print AIC, BIC and ICL of each fit, build the\n"
        "dendrogram of the K fit (its atoms merged two at a time, no refit) with each\n"
        "level's merge height and dendrogram selection criterion (DSC), and the k that\n"
        "each criterion chooses (lower is better for all four).\n"
        "\n"
        "Model:\n"
        "  -k, --experts K      the largest number of experts fitted (required)\n"
        "      --kmin K         the smallest (default 1; the DSC chooses among levels >= "
        "2)\n" CLI_HELP_FIT_GATE CLI_HELP_Y CLI_HELP_X CLI_HELP_FACTOR "\n"
        "Estimator (for every k):\n" CLI_HELP_FIT_STARTS
        "      --init I         data (default: k-means++, random partitions and random soft\n"
        "                       weights in turn) or random (random partitions)\n" CLI_HELP_FIT_STOP
        "      --tol X          tolerance of the stopping rule (default 1e-6: a fifth of\n"
        "                       the time of gmoe fit's 1e-8, log-likelihoods within a "
        "unit)\n" CLI_HELP_FIT_EM CLI_HELP_SEED "\n"
        "Dendrogram:\n"
        "      --mass M         the atoms' masses: gate (default: the mean gate weight of\n"
        "                       each expert over the data) or intercept (exp(beta0)\n"
        "                       normalised, the weight at x = 0)\n"
        "      --dsc F          plain (default: -(height + log(n) loglik / n)) or rescaled\n"
        "                       (heights over the largest, loglik / n over the K fit's)\n"
        "      --var-merge V    the merged variance: moment (default: moment matching),\n"
        "                       average (the mass-weighted mean, as the authors' prototype)\n"
        "                       or geometric (the mass-weighted geometric mean)\n"
        "      --dsc-trim Q     leave each level's lowest share Q (0 <= Q < 0.5) of the\n"
        "                       per-observation log-likelihoods out of the DSC's loglik / n\n"
        "                       (default 0). With outliers in y, --dsc-trim above their share\n"
        "                       and --var-merge geometric keep the DSC from counting them as\n"
        "                       experts (README, \"How many experts?\")\n"
        "\n"
        "Output:\n"
        "      --json           print one JSON object instead of the tables\n"
        "  -o, --output FILE    write the chosen model file (JSON; - prints it on standard\n"
        "                       output instead of the tables)\n"
        "      --criterion C    the criterion whose choice -o writes: dsc (default: the\n"
        "                       dendrogram's level, a merged model without a fit object),\n"
        "                       aic, bic or icl (the fit for that k)\n"
        "      --refit          with --criterion dsc: run EM from the merged model and write\n"
        "                       that fit\n" CLI_HELP_PROGRESS CLI_HELP_QUIET CLI_HELP_HELP "\n"
        "AIC, BIC and ICL choose among the fits that are not degenerate (all of them if every\n"
        "fit is). See gmoe-select(1).\n"
        "\n"
        "Example:\n"
        "  gmoe select --y waiting --x eruptions -k 4 --starts 20 faithful.csv\n",
        fp);
}

typedef struct select_opts {
    cli_fit_opts fo;
    size_t kmin;
    int kmin_set, crit_set, refit;
    gmoe_criterion crit;
    gmoe_dendrogram_mass mass;
    gmoe_dsc_form form;
    gmoe_dendrogram_var var;
    double trim;
} select_opts;

static int parse_opt(select_opts *so, int c, const char *arg)
{
    switch (c) {
    case OPT_KMIN:
        so->kmin_set = 1;
        return cli_parse_count("--kmin", arg, &so->kmin);
    case OPT_CRITERION:
        so->crit_set = 1;
        if (gmoe_criterion_parse(arg, &so->crit))
            return cli_usage_error("select: --criterion must be dsc, aic, bic or icl (got \"%s\")",
                                   arg);
        return 0;
    case OPT_REFIT:
        so->refit = 1;
        return 0;
    case OPT_MASS:
        if (gmoe_dendrogram_mass_parse(arg, &so->mass))
            return cli_usage_error("select: --mass must be gate or intercept (got \"%s\")", arg);
        return 0;
    case OPT_DSC:
        if (gmoe_dsc_form_parse(arg, &so->form))
            return cli_usage_error("select: --dsc must be plain or rescaled (got \"%s\")", arg);
        return 0;
    case OPT_VAR_MERGE:
        if (gmoe_dendrogram_var_parse(arg, &so->var))
            return cli_usage_error(
                "select: --var-merge must be moment, average or geometric (got \"%s\")", arg);
        return 0;
    case OPT_DSC_TRIM:
        if (cli_parse_double("--dsc-trim", arg, &so->trim)) return CLI_EXIT_USAGE;
        if (!(so->trim >= 0 && so->trim < 0.5))
            return cli_usage_error("select: --dsc-trim must be at least 0 and below 0.5 (got %s)",
                                   arg);
        return 0;
    }
    return cli_fit_opt(&so->fo, "select", c, arg);
}

static int check_opts(const select_opts *so, const cli_common *co, int output_set)
{
    int rc = cli_fit_opts_check(&so->fo, "select");
    if (rc) return rc;
    if (so->fo.par.init == GMOE_INIT_NEAR_TRUE)
        return cli_usage_error("select: --init must be data or random (near-true starts need a "
                               "truth with at most k experts, for every k)");
    if (so->kmin > so->fo.k)
        return cli_usage_error("select: --kmin %zu exceeds -k %zu", so->kmin, so->fo.k);
    if (so->refit && so->crit != GMOE_CRIT_DSC)
        return cli_usage_error("select: --refit only goes with --criterion dsc (the other "
                               "criteria choose a fit already)");
    if (co->json && output_set && strcmp(co->output, "-") == 0)
        return cli_usage_error("select: --json and -o - both write to standard output");
    if ((so->refit || so->crit_set) && !output_set)
        return cli_usage_error("select: --%s only goes with -o FILE (the model it writes)",
                               so->refit ? "refit" : "criterion");
    if (so->var != GMOE_VAR_MOMENT && so->fo.gate == GMOE_GATE_GAUSSIAN)
        return cli_usage_error("select: --var-merge %s does not go with the Gaussian gate (its "
                               "joint components merge by moment matching)",
                               gmoe_dendrogram_var_name(so->var));
    return cli_check_xy(co);
}

/* ---------------------------------------------------------------- progress */

typedef struct progress {
    int tty;
    size_t shown;
} progress;

static void progress_cb(size_t done, size_t total, void *data)
{
    progress *p = data;
    if (p->tty) {
        fprintf(stderr, "\rgmoe select: start %zu of %zu", done, total);
        if (done == total) fputc('\n', stderr);
    } else if (done == total || 10 * (done - p->shown) >= total) {
        fprintf(stderr, "gmoe select: start %zu of %zu\n", done, total);
        p->shown = done;
    }
    fflush(stderr);
}

/* ---------------------------------------------------------------- tables */

static void num(FILE *fp, const char *fmt, double v, int width)
{
    if (isfinite(v))
        fprintf(fp, fmt, width, v);
    else
        fprintf(fp, "%*s", width, "-");
}

/* The acceleration's name as --accel spells it. */
static const char *accel_name(const gmoe_em_params *em)
{
    return em->accel ? gmoe_accel_name(em->accel_method) : "none";
}

/* The estimator options that change the fits, where not the defaults: the acceleration (which
 * may reach another maximum) and the compact parameter set. */
static void print_estimator(FILE *fp, const gmoe_em_params *em, gmoe_gate gate)
{
    const gmoe_em_params def = gmoe_select_default_params().fit.em;
    int accel = em->accel != def.accel || (em->accel && em->accel_method != def.accel_method);
    if (accel) fprintf(fp, "EM acceleration: %s\n", accel_name(em));
    if (isfinite(em->gate_bound)) {
        fputs("gate bound: ", fp);
        fit_bound_print_set(fp, em, gate);
        fputs(" (the status says how many gate parameters end on it)\n", fp);
    }
}

static void print_tables(FILE *fp, const gmoe_select *s, const select_opts *so, const char *path,
                         size_t n)
{
    size_t kmin = gmoe_select_kmin(s), K = gmoe_select_kmax(s);
    const gmoe_dendrogram *dg = gmoe_select_dendrogram(s);
    fprintf(fp,
            "gmoe select: %s, n = %zu, %s gate, k = %zu..%zu, %zu %s start%s per k (seed %lu)\n",
            path, n, gmoe_gate_name(so->fo.gate), kmin, K, so->fo.par.starts,
            gmoe_init_name(so->fo.par.init), so->fo.par.starts == 1 ? "" : "s", so->fo.par.seed);
    print_estimator(fp, &so->fo.par.em, so->fo.gate);
    fprintf(fp, "\nFits (lower AIC, BIC, ICL is better):\n");
    fprintf(fp, "%4s %15s %5s %15s %15s %15s  %s\n", "k", "loglik", "p", "AIC", "BIC", "ICL",
            "status");
    for (size_t k = kmin; k <= K; k++) {
        const gmoe_criteria *c = gmoe_select_criteria(s, k);
        fprintf(fp, "%4zu ", k);
        num(fp, "%*.4f", c->loglik, 15);
        fprintf(fp, " %5zu ", c->nparams);
        num(fp, "%*.4f", c->aic, 15);
        fputc(' ', fp);
        num(fp, "%*.4f", c->bic, 15);
        fputc(' ', fp);
        num(fp, "%*.4f", c->icl, 15);
        const gmoe_em_info *info = &gmoe_select_result(s, k)->info;
        fprintf(fp, "  %s", gmoe_fit_status_name(info->status));
        if (isfinite(so->fo.par.em.gate_bound))
            fprintf(fp, ", %zu on the bound", info->bound_active);
        fputc('\n', fp);
    }
    fprintf(fp, "\nDendrogram of the k = %zu fit (masses: %s;\n", K,
            so->mass == GMOE_MASS_GATE ? "the mean gate weights over the data"
                                       : "exp(beta0) normalised");
    if (so->form == GMOE_DSC_PLAIN)
        fprintf(fp, "DSC = -(height + omega loglik / n), omega = log n = %.4g;\n",
                gmoe_dendrogram_omega(dg));
    else
        fprintf(fp,
                "DSC = -(height / largest height + omega (loglik / n) / |loglik_%zu / n|),\n"
                "omega = log n = %.4g;\n",
                K, gmoe_dendrogram_omega(dg));
    if (so->var != GMOE_VAR_MOMENT)
        fprintf(fp, "merged variances: the %s;\n",
                so->var == GMOE_VAR_AVERAGE ? "mass-weighted mean"
                                            : "mass-weighted geometric mean");
    if (so->trim > 0)
        fprintf(fp, "the DSC's loglik / n: the mean without the lowest %g of the observations;\n",
                so->trim);
    fprintf(fp, "merged: the experts of this level, from 1, that make the next one):\n");
    fprintf(fp, "%4s %15s %12s %12s  %-7s %s\n", "k", "loglik", "height", "DSC", "merged",
            "masses");
    double mass[256];
    for (size_t kappa = K; kappa >= 1; kappa--) {
        fprintf(fp, "%4zu ", kappa);
        num(fp, "%*.4f", gmoe_dendrogram_loglik(dg, kappa), 15);
        fputc(' ', fp);
        num(fp, "%*.5g", gmoe_dendrogram_height(dg, kappa), 12);
        fputc(' ', fp);
        num(fp, "%*.6g", gmoe_dendrogram_dsc(dg, kappa), 12);
        size_t i, j;
        char pair[32] = "-";
        if (gmoe_dendrogram_merged(dg, kappa, &i, &j) == GMOE_SUCCESS)
            snprintf(pair, sizeof pair, "%zu+%zu", i + 1, j + 1);
        fprintf(fp, "  %-7s", pair);
        if (kappa <= sizeof mass / sizeof *mass) {
            gmoe_dendrogram_masses(dg, kappa, mass);
            for (size_t a = 0; a < kappa; a++)
                fprintf(fp, " %.3f", mass[a]);
        }
        fputc('\n', fp);
    }
    fprintf(fp, "\nChosen: DSC %zu, AIC %zu, BIC %zu, ICL %zu\n",
            gmoe_select_chosen(s, GMOE_CRIT_DSC), gmoe_select_chosen(s, GMOE_CRIT_AIC),
            gmoe_select_chosen(s, GMOE_CRIT_BIC), gmoe_select_chosen(s, GMOE_CRIT_ICL));
}

/* ---------------------------------------------------------------- JSON */

static void json_key_num(FILE *fp, const char *key, double v)
{
    fprintf(fp, "\"%s\": ", key);
    cli_json_double(fp, v);
}

static void print_json(FILE *fp, const gmoe_select *s, const select_opts *so, size_t n)
{
    size_t kmin = gmoe_select_kmin(s), K = gmoe_select_kmax(s);
    const gmoe_dendrogram *dg = gmoe_select_dendrogram(s);
    fprintf(fp,
            "{\"n\": %zu, \"k_min\": %zu, \"k_max\": %zu, \"gate\": \"%s\", \"mass\": \"%s\", "
            "\"dsc_form\": \"%s\", \"var_merge\": \"%s\", ",
            n, kmin, K, gmoe_gate_name(so->fo.gate), gmoe_dendrogram_mass_name(so->mass),
            gmoe_dsc_form_name(so->form), gmoe_dendrogram_var_name(so->var));
    json_key_num(fp, "dsc_trim", so->trim);
    fputs(", ", fp);
    json_key_num(fp, "omega", gmoe_dendrogram_omega(dg));
    fprintf(fp, ", \"accel\": \"%s\", ", accel_name(&so->fo.par.em));
    json_key_num(fp, "gate_bound", so->fo.par.em.gate_bound);
    fprintf(fp, ",\n \"chosen\": {");
    for (int c = 0; c < GMOE_NCRIT; c++)
        fprintf(fp, "%s\"%s\": %zu", c ? ", " : "", gmoe_criterion_name((gmoe_criterion)c),
                gmoe_select_chosen(s, (gmoe_criterion)c));
    fprintf(fp, "},\n \"fits\": [");
    for (size_t k = kmin; k <= K; k++) {
        const gmoe_criteria *c = gmoe_select_criteria(s, k);
        const gmoe_fit_result *r = gmoe_select_result(s, k);
        fprintf(fp, "%s\n  {\"k\": %zu, ", k > kmin ? "," : "", k);
        json_key_num(fp, "loglik", c->loglik);
        fputs(", ", fp);
        json_key_num(fp, "aic", c->aic);
        fputs(", ", fp);
        json_key_num(fp, "bic", c->bic);
        fputs(", ", fp);
        json_key_num(fp, "icl", c->icl);
        fprintf(fp, ", \"status\": \"%s\", \"nparams\": %zu, ",
                gmoe_fit_status_name(r->info.status), c->nparams);
        json_key_num(fp, "entropy", c->entropy);
        fprintf(fp, ", \"iterations\": %zu, \"bound_active\": %zu, ", r->info.iterations,
                r->info.bound_active);
        json_key_num(fp, "seconds", r->seconds);
        fputc('}', fp);
    }
    fprintf(fp, "\n ],\n \"dendrogram\": [");
    double *mass = malloc(K * sizeof(double));
    for (size_t kappa = K; kappa >= 1; kappa--) {
        fprintf(fp, "%s\n  {\"k\": %zu, ", kappa < K ? "," : "", kappa);
        json_key_num(fp, "loglik", gmoe_dendrogram_loglik(dg, kappa));
        fputs(", ", fp);
        json_key_num(fp, "height", gmoe_dendrogram_height(dg, kappa));
        fputs(", ", fp);
        json_key_num(fp, "dsc", gmoe_dendrogram_dsc(dg, kappa));
        fputs(", ", fp);
        json_key_num(fp, "dsc_plain", gmoe_dendrogram_dsc_form(dg, kappa, GMOE_DSC_PLAIN));
        fputs(", ", fp);
        json_key_num(fp, "dsc_rescaled", gmoe_dendrogram_dsc_form(dg, kappa, GMOE_DSC_RESCALED));
        fputs(", ", fp);
        json_key_num(fp, "lbar", gmoe_dendrogram_lbar(dg, kappa));
        size_t i, j;
        if (gmoe_dendrogram_merged(dg, kappa, &i, &j) == GMOE_SUCCESS)
            fprintf(fp, ", \"merged\": [%zu, %zu]", i, j);
        else
            fputs(", \"merged\": null", fp);
        if (mass) {
            gmoe_dendrogram_masses(dg, kappa, mass);
            fputs(", \"mass\": [", fp);
            for (size_t a = 0; a < kappa; a++) {
                fputs(a ? ", " : "", fp);
                cli_json_double(fp, mass[a]);
            }
            fputc(']', fp);
        }
        fputc('}', fp);
    }
    free(mass);
    fprintf(fp, "\n ]\n}\n");
}

/* ---------------------------------------------------------------- the chosen model */

/* The model that --criterion chooses, as a model file text: a fit with its fit object, or
 * the dendrogram's level (refitted with --refit). */
static int chosen_model_text(const gmoe_select *s, const select_opts *so, const gmoe_data *data,
                             const char *path, const gmoe_model_names *names, char **text)
{
    size_t k = gmoe_select_chosen(s, so->crit);
    gmoe_model *refit = NULL;
    const gmoe_model *m;
    gmoe_fit_result res;
    const gmoe_fit_result *rp = NULL;
    gmoe_error err;
    gmoe_error_clear(&err);
    if (so->crit != GMOE_CRIT_DSC) {
        m = gmoe_select_model(s, k);
        rp = gmoe_select_result(s, k);
    } else {
        m = gmoe_dendrogram_model(gmoe_select_dendrogram(s), k);
        if (so->refit) {
            if (gmoe_select_refit(data, m, &so->fo.par.em, &refit, &res, &err))
                return cli_data_error(path, &err);
            m = refit;
            rp = &res;
        }
    }
    gmoe_fit_record rec;
    if (rp) gmoe_fit_record_set(&rec, m, rp, &so->fo.par, data->n);
    int rc = cli_fit_dumps(m, rp ? &rec : NULL, names, text, &err);
    gmoe_model_free(refit);
    return rc ? cli_lib_error(&err) : 0;
}

/* ---------------------------------------------------------------- the command */

int main_select(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_HELP,
        CLI_OPTIONS_FIT,
        {"kmin", required_argument, NULL, OPT_KMIN},
        {"criterion", required_argument, NULL, OPT_CRITERION},
        {"refit", no_argument, NULL, OPT_REFIT},
        {"mass", required_argument, NULL, OPT_MASS},
        {"dsc", required_argument, NULL, OPT_DSC},
        {"var-merge", required_argument, NULL, OPT_VAR_MERGE},
        {"dsc-trim", required_argument, NULL, OPT_DSC_TRIM},
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
    cli_common_init(&co, "select");
    select_opts so;
    memset(&so, 0, sizeof so);
    cli_fit_opts_init(&so.fo);
    so.fo.par = gmoe_select_default_params().fit;
    so.kmin = 1;
    so.crit = GMOE_CRIT_DSC;
    so.mass = GMOE_MASS_GATE;
    so.form = GMOE_DSC_PLAIN;
    gmoe_model *templ = NULL;
    gmoe_data *data = NULL;
    gmoe_select *sel = NULL;
    char *text = NULL, **xnames = NULL;
    gmoe_model_names *names = NULL; /* what the model file records of the columns */
    cli_outfile mof;
    memset(&mof, 0, sizeof mof);
    gmoe_error err;
    gmoe_error_clear(&err);
    progress prog = {cli_isatty(stderr), 0};
    int rc = CLI_EXIT_OK, c, output_set = 0;

    while ((c = getopt_long(argc, argv, ":hk:g:o:", opts, NULL)) != -1) {
        if (c == 'h') {
            usage(stdout);
            goto out;
        }
        int r = parse_opt(&so, c, optarg);
        if (r < 0) r = cli_common_opt(&co, c, optarg, argv);
        if ((rc = r)) goto out;
        if (c == 'o') output_set = 1;
    }
    if ((rc = cli_check_positional(&co, argc, argv, 1, 1, "data file (DATA.csv)"))) goto out;
    if ((rc = check_opts(&so, &co, output_set))) goto out;
    const char *path = argv[optind];
    so.fo.par.seed = co.seed;
    if (cli_progress_enabled(&co)) {
        so.fo.par.progress = progress_cb;
        so.fo.par.progress_data = &prog;
    }
    /* -o - puts the model file on stdout instead of the tables. */
    int model_stdout = output_set && strcmp(co.output, "-") == 0;

    if ((rc = cli_fit_read_data(&co, path, &data, &xnames, &names))) goto out;
    if (so.fo.k > data->n) {
        cli_error("%s: -k %zu exceeds the number of observations (n = %zu)", path, so.fo.k,
                  data->n);
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (!(templ = cli_fit_template(&so.fo, data->d))) {
        rc = CLI_EXIT_ERROR;
        goto out;
    }
    if (output_set && !model_stdout && (rc = cli_outfile_open(&mof, co.output))) goto out;
    gmoe_select_params par = gmoe_select_default_params();
    par.fit = so.fo.par;
    par.kmin = so.kmin;
    par.dendrogram.mass = so.mass;
    par.dendrogram.form = so.form;
    par.dendrogram.var = so.var;
    par.dendrogram.trim = so.trim;
    if (gmoe_select_run(data, templ, &par, &sel, &err)) {
        rc = cli_data_error(path, &err);
        goto out;
    }
    if (output_set) {
        if ((rc = chosen_model_text(sel, &so, data, path, names, &text))) goto out;
        fputs(text, model_stdout ? stdout : mof.fp);
        if (!model_stdout && (rc = cli_outfile_commit(&mof))) goto out;
    }
    if (co.json)
        print_json(stdout, sel, &so, data->n);
    else if (!model_stdout)
        print_tables(stdout, sel, &so, path, data->n);
out:
    cli_outfile_abort(&mof);
    free(text);
    free(xnames);
    gmoe_model_names_free(names);
    gmoe_select_free(sel);
    gmoe_model_free(templ);
    gmoe_data_free(data);
    cli_common_free(&co);
    return rc;
}
