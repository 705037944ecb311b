/* gmoe eval: how far a fitted model is from the true one: Voronoi loss (D1 or D2, infimum over
 * the gate translations), the published code's pinned variant, per-parameter errors after
 * matching, and the expected Hellinger and total-variation distances (lib/gmoe_eval.h). */
#include <config.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "common.h"
#include "commands.h"

static void usage(FILE *fp)
{
    fputs("Usage: gmoe eval --truth FILE [--loss auto|d1|d2] [--pinned]\n"
          "                 [--design uniform|grid|normal|gate]\n"
          "                 [--lo A --hi B | --mean M --sd S]\n"
          "                 [--samples N] [--seed S] [--json] FIT.json\n"
          "\n"
          "Compare a fitted model with the true one (same gate family and d; the numbers of\n"
          "experts may differ): Voronoi cells (the fitted experts closest to each true\n"
          "expert), the Voronoi loss D1 (k = k*) or D2 (k > k*) as the infimum over the gate\n"
          "translations, the published code's pinned-gate loss, per-parameter errors in each\n"
          "cell, and E_X[Hellinger] and E_X[total variation] between the fitted and the true\n"
          "conditional densities, x drawn from the design.\n"
          "\n"
          "Options:\n"
          "  -t, --truth FILE     the true model file (JSON); required\n"
          "      --loss KIND      auto (default: D1 when k <= k*, D2 when k > k*), d1 or d2\n"
          "      --pinned         report the published code's variant as the loss: both\n"
          "                       models in canonical form (last expert's gate at 0), no\n"
          "                       infimum; cells and errors follow it\n"
          "      --design KIND    the design of x for the distances (default uniform):\n"
          "                       uniform, grid (d = 1; averaged as uniform on [lo, hi]),\n"
          "                       normal, or gate (x ~ sum_j pi_j N(c_j, Gamma_j), the\n"
          "                       true model's Gaussian gate)\n"
          "      --lo A           lower end for uniform and grid (default 0)\n"
          "      --hi B           upper end for uniform and grid (default 1)\n"
          "      --mean M         mean for normal (default 0)\n"
          "      --sd S           standard deviation for normal, > 0 (default 1)\n"
          "      --samples N      Monte Carlo draws of x when d >= 2 (default 2000)\n" CLI_HELP_SEED
              CLI_HELP_JSON CLI_HELP_HELP "\n"
          "For d = 1 the expectation over x is an adaptive quadrature; for d >= 2 it is Monte\n"
          "Carlo with the seed S. Cells list 0-based fitted expert indices. See gmoe-eval(1).\n"
          "\n"
          "Example:\n"
          "  gmoe eval --truth softmax-truth.json --design grid fit.json\n",
          fp);
}

enum { OPT_LOSS = CLI_OPT_FIRST_LOCAL, OPT_PINNED, OPT_SAMPLES };

/* The names of the per-parameter columns, which depend on the gate family. */
static const char *name_beta0(gmoe_gate g)
{
    return g == GMOE_GATE_GAUSSIAN ? "log_pi" : "beta0";
}

static const char *name_beta1(gmoe_gate g)
{
    return g == GMOE_GATE_GAUSSIAN ? "c" : g == GMOE_GATE_TEMPERATURE ? "beta1/tau" : "beta1";
}

/* The members of cell l written out: "[0, 2]" for JSON, "0,2" (or "-" when empty) for
 * text. Owned by the caller (free); NULL when out of memory. An index has at most 5 digits
 * (k <= 100000), so 8 characters an expert are enough. */
static char *cell_members(const gmoe_eval_result *r, const size_t *cell, size_t l, int json)
{
    size_t size = 8 * (r->k + 2), len = 0;
    char *buf = malloc(size);
    if (!buf) return NULL;
    if (json) buf[len++] = '[';
    for (size_t j = 0; j < r->k; j++) {
        if (cell[j] != l) continue;
        const char *sep = len > (size_t)json ? (json ? ", " : ",") : "";
        len += (size_t)snprintf(buf + len, size - len, "%s%zu", sep, j);
    }
    if (!json && len == 0) buf[len++] = '-';
    if (json) buf[len++] = ']';
    buf[len] = '\0';
    return buf;
}

/* Print cell l's members (see cell_members). */
static void print_members(FILE *fp, const gmoe_eval_result *r, const size_t *cell, size_t l,
                          int json, int width)
{
    char *m = cell_members(r, cell, l, json);
    fprintf(fp, "%-*s", width, m ? m : "?");
    free(m);
}

static void json_array(FILE *fp, const char *key, const double *v, size_t n)
{
    fprintf(fp, "  \"%s\": [", key);
    for (size_t i = 0; i < n; i++) {
        if (i) fputs(", ", fp);
        cli_json_double(fp, v[i]);
    }
    fputs("],\n", fp);
}

static void json_cells(FILE *fp, const char *key, const gmoe_eval_result *r, const size_t *cell)
{
    fprintf(fp, "  \"%s\": [", key);
    for (size_t l = 0; l < r->kstar; l++) {
        fputs(l ? ", " : "", fp);
        print_members(fp, r, cell, l, 1, 0);
    }
    fputs("],\n", fp);
}

static void json_num(FILE *fp, const char *key, double v)
{
    fprintf(fp, "  \"%s\": ", key);
    cli_json_double(fp, v);
    fputs(",\n", fp);
}

static void print_json(FILE *fp, const gmoe_eval_result *r, gmoe_gate gate, int pinned,
                       const gmoe_eval_params *par, unsigned long seed)
{
    fputs("{\n", fp);
    json_num(fp, "loss", r->loss);
    fprintf(fp, "  \"loss_name\": \"%s\",\n", gmoe_loss_name(r->kind));
    json_num(fp, "loss_pinned", r->loss_pinned);
    fprintf(fp, "  \"translation\": \"%s\",\n", pinned ? "pinned" : "infimum");
    json_num(fp, "t0", r->t0);
    json_array(fp, "t1", r->t1, r->d);
    fprintf(fp, "  \"rbar_extrapolated\": %s,\n", r->rbar_extrapolated ? "true" : "false");
    json_num(fp, "hellinger", r->hellinger);
    json_num(fp, "hellinger_err", r->hellinger_err);
    json_num(fp, "tv", r->tv);
    json_num(fp, "tv_err", r->tv_err);
    fprintf(fp, "  \"distances_method\": \"%s\",\n",
            r->outer == GMOE_OUTER_MONTECARLO ? "monte-carlo" : "quadrature");
    fprintf(fp, "  \"distances_converged\": %s,\n", r->distances_converged ? "true" : "false");
    const gmoe_design *des = &par->design;
    fprintf(fp, "  \"design\": {\"kind\": \"%s\"", gmoe_design_name(des->kind));
    if (des->kind != GMOE_DESIGN_GATE) { /* the gate design's parameters are the truth's */
        fputs(des->kind == GMOE_DESIGN_NORMAL ? ", \"mean\": " : ", \"lo\": ", fp);
        cli_json_double(fp, des->p1);
        fputs(des->kind == GMOE_DESIGN_NORMAL ? ", \"sd\": " : ", \"hi\": ", fp);
        cli_json_double(fp, des->p2);
    }
    fputs("},\n", fp);
    if (r->outer == GMOE_OUTER_MONTECARLO)
        fprintf(fp, "  \"samples\": %zu,\n  \"seed\": %lu,\n", par->mc_samples, seed);
    json_cells(fp, "cells", r, r->cell);
    json_cells(fp, "cells_pinned", r, r->cell_pinned);
    json_array(fp, "cell_mass", r->mass, r->kstar);
    json_array(fp, "cell_mass_true", r->mass_true, r->kstar);
    json_array(fp, "err_beta0", r->err_beta0, r->kstar);
    json_array(fp, "err_beta1", r->err_beta1, r->kstar);
    if (gate == GMOE_GATE_GAUSSIAN) json_array(fp, "err_gamma", r->err_gamma, r->kstar);
    json_array(fp, "err_a", r->err_a, r->kstar);
    json_array(fp, "err_b", r->err_b, r->kstar);
    json_array(fp, "err_v", r->err_v, r->kstar);
    json_num(fp, "err_tau", r->err_tau);
    fprintf(fp, "  \"gate\": \"%s\",\n  \"kstar\": %zu,\n  \"k\": %zu,\n  \"d\": %zu,\n",
            gmoe_gate_name(gate), r->kstar, r->k, r->d);
    fprintf(fp, "  \"gmoe_version\": \"%s\"\n}\n", gmoe_version());
}

static void print_text(FILE *fp, const gmoe_eval_result *r, gmoe_gate gate, int pinned,
                       const gmoe_eval_params *par)
{
    const char *name = gmoe_loss_name(r->kind);
    fprintf(fp, "loss          %s  %.10g  (%s)\n", name, r->loss,
            pinned ? "pinned: the published code's variant" : "infimum over the gate translations");
    fprintf(fp, "loss_pinned   %s  %.10g  (both gates canonical, last expert at 0)\n", name,
            r->loss_pinned);
    if (!pinned) {
        fprintf(fp, "translation   t0 = %.6g, t1 = (", r->t0);
        for (size_t t = 0; t < r->d; t++)
            fprintf(fp, t ? ", %.6g" : "%.6g", r->t1[t]);
        fputs(")\n", fp);
    }
    const gmoe_design *des = &par->design;
    fprintf(fp, "hellinger     %.10g  (error <= %.2g)\n", r->hellinger, r->hellinger_err);
    fprintf(fp, "tv            %.10g  (error <= %.2g)\n", r->tv, r->tv_err);
    if (des->kind == GMOE_DESIGN_GATE)
        fputs("              E over x ~ the true gate's mixture, ", fp);
    else
        fprintf(fp, "              E over x ~ %s(%g, %g), ", gmoe_design_name(des->kind), des->p1,
                des->p2);
    fputs(r->outer == GMOE_OUTER_MONTECARLO ? "Monte Carlo" : "quadrature", fp);
    if (r->outer == GMOE_OUTER_MONTECARLO) fprintf(fp, ", %zu draws", par->mc_samples);
    fputs(r->distances_converged ? "\n" : ", tolerance not reached\n", fp);
    if (!isnan(r->err_tau)) fprintf(fp, "tau error     %.6g\n", r->err_tau);
    fprintf(fp, "\ncells and errors after matching (fitted experts 0-based):\n");
    fprintf(fp, "%-5s %-10s %-12s %-12s %-10s %-10s", "true", "fitted", "mass", "true_mass",
            name_beta0(gate), name_beta1(gate));
    if (gate == GMOE_GATE_GAUSSIAN) fprintf(fp, " %-10s", "Gamma");
    fprintf(fp, " %-10s %-10s %s\n", "a", "b", "v");
    for (size_t l = 0; l < r->kstar; l++) {
        fprintf(fp, "%-5zu ", l);
        print_members(fp, r, r->cell, l, 0, 10);
        fprintf(fp, " %-12.6g %-12.6g %-10.4g %-10.4g", r->mass[l], r->mass_true[l],
                r->err_beta0[l], r->err_beta1[l]);
        if (gate == GMOE_GATE_GAUSSIAN) fprintf(fp, " %-10.4g", r->err_gamma[l]);
        fprintf(fp, " %-10.4g %-10.4g %.4g\n", r->err_a[l], r->err_b[l], r->err_v[l]);
    }
    if (r->rbar_extrapolated)
        fputs("note: a cell holds 4 or more fitted experts; rbar(m) is not known in closed "
              "form there and 2m was used\n",
              fp);
    if (r->t0 == -INFINITY)
        fputs("note: the fit is so far off that shrinking its gate masses to 0 is best: the "
              "loss is the total true mass\n",
              fp);
}

int main_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        CLI_OPTION_HELP,
        {"truth", required_argument, NULL, 't'},
        {"loss", required_argument, NULL, OPT_LOSS},
        {"pinned", no_argument, NULL, OPT_PINNED},
        CLI_OPTIONS_DESIGN,
        {"samples", required_argument, NULL, OPT_SAMPLES},
        CLI_OPTION_SEED,
        CLI_OPTION_JSON,
        CLI_OPTION_END,
    };
    cli_common co;
    cli_common_init(&co, "eval");
    gmoe_model *truth = NULL, *fit = NULL;
    gmoe_eval_result *res = NULL;
    gmoe_error err;
    gmoe_error_clear(&err);
    gmoe_eval_params par = gmoe_eval_default_params();
    const char *truth_path = NULL;
    cli_design cd;
    cli_design_init(&cd);
    int pinned = 0, rc = CLI_EXIT_OK, c;

    while ((c = getopt_long(argc, argv, ":ht:", opts, NULL)) != -1) {
        switch (c) {
        case 'h':
            usage(stdout);
            goto out;
        case 't':
            truth_path = optarg;
            break;
        case OPT_LOSS:
            if (gmoe_loss_parse(optarg, &par.loss))
                rc = cli_usage_error("--loss must be auto, d1 or d2 (got \"%s\")", optarg);
            break;
        case OPT_PINNED:
            pinned = 1;
            break;
        case OPT_SAMPLES:
            rc = cli_parse_count("--samples", optarg, &par.mc_samples);
            if (!rc && par.mc_samples < 2)
                rc = cli_usage_error("--samples must be at least 2 (got \"%s\")", optarg);
            break;
        default:
            rc = cli_design_opt(&cd, c, optarg);
            if (rc < 0) rc = cli_common_opt(&co, c, optarg, argv);
            break;
        }
        if (rc) goto out;
    }
    if ((rc = cli_check_positional(&co, argc, argv, 1, 1, "fitted model file (FIT.json)")))
        goto out;
    if (!truth_path) {
        rc = cli_usage_error("eval: --truth FILE is required (see 'gmoe help eval')");
        goto out;
    }
    const char *fit_path = argv[optind];
    if (strcmp(truth_path, "-") == 0 && strcmp(fit_path, "-") == 0) {
        rc = cli_usage_error("eval: the truth and the fit cannot both be standard input");
        goto out;
    }
    if ((rc = cli_design_get(&cd, "eval", &par.design))) goto out;
    par.mc_seed = co.seed;

    if (gmoe_model_read(truth_path, &truth, NULL, NULL, &err) ||
        gmoe_model_read(fit_path, &fit, NULL, NULL, &err)) {
        rc = cli_lib_error(&err);
        goto out;
    }
    size_t d = gmoe_model_d(truth);
    gmoe_gate gate = gmoe_model_gate(truth);
    rc = CLI_EXIT_ERROR;
    if (gmoe_model_d(fit) != d) {
        cli_error("%s: d = %zu, but the true model %s has d = %zu", fit_path, gmoe_model_d(fit),
                  truth_path, d);
        goto out;
    }
    if (gmoe_model_gate(fit) != gate) {
        cli_error("%s: a %s gate, but the true model %s has a %s gate (the loss compares "
                  "models of one family)",
                  fit_path, gmoe_gate_name(gmoe_model_gate(fit)), truth_path, gmoe_gate_name(gate));
        goto out;
    }
    if (cli_design_model(&par.design, truth, truth_path)) goto out;
    if (par.design.kind == GMOE_DESIGN_GRID && d != 1) {
        cli_error("%s: the grid design needs models with d = 1 (these have d = %zu)", truth_path,
                  d);
        goto out;
    }
    if (pinned) {
        /* The published form: both models canonical, the loss taken as it stands. */
        gmoe_model_canonicalize(truth);
        gmoe_model_canonicalize(fit);
        par.translate = 0;
    }
    res = gmoe_eval_result_alloc(gmoe_model_k(truth), gmoe_model_k(fit), d);
    if (!res) {
        cli_error("eval: out of memory");
        goto out;
    }
    if (gmoe_eval_run(NULL, truth, fit, &par, res, &err)) {
        rc = cli_lib_error(&err);
        goto out;
    }
    rc = CLI_EXIT_OK;
    if (co.json)
        print_json(stdout, res, gate, pinned, &par, co.seed);
    else
        print_text(stdout, res, gate, pinned, &par);

out:
    gmoe_eval_result_free(res);
    gmoe_model_free(fit);
    gmoe_model_free(truth);
    cli_common_free(&co);
    return rc;
}
