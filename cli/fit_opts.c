/* Options of the fitted model and the estimator, shared by the commands that fit (see
 * fit_opts.h). */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "fit_bound.h"
#include "fit_opts.h"

void cli_fit_opts_init(cli_fit_opts *fo)
{
    memset(fo, 0, sizeof *fo);
    fo->gate = GMOE_GATE_SOFTMAX;
    fo->tau = 1.0;
    fo->par = gmoe_fit_default_params();
}

int cli_fit_opt(cli_fit_opts *fo, const char *cmd, int c, const char *arg)
{
    gmoe_em_params *em = &fo->par.em;
    switch (c) {
    case 'k':
        return cli_parse_count("-k", arg, &fo->k);
    case 'g':
        if (gmoe_gate_parse(arg, &fo->gate))
            return cli_usage_error("%s: --gate must be softmax, topk, temperature, activation, "
                                   "sigmoid or gaussian (got \"%s\")",
                                   cmd, arg);
        return 0;
    case CLI_OPT_TOPK:
        fo->topk_set = 1;
        return cli_parse_count("--topk", arg, &fo->topk);
    case CLI_OPT_TOPK_SELECT:
        fo->sel_set = 1;
        if (gmoe_topk_select_parse(arg, &fo->sel))
            return cli_usage_error("%s: --topk-select must be slope or score (got \"%s\")", cmd,
                                   arg);
        return 0;
    case CLI_OPT_TAU:
        fo->tau_set = 1;
        return cli_parse_positive_double("--tau", arg, &fo->tau);
    case CLI_OPT_FIX_TAU:
        em->fix_tau = 1;
        return 0;
    case CLI_OPT_ACT:
        fo->act_set = 1;
        if (gmoe_act_parse(arg, &fo->act))
            return cli_usage_error("%s: --act must be tanh or sigmoid (got \"%s\")", cmd, arg);
        return 0;
    case CLI_OPT_STARTS:
        return cli_parse_count("--starts", arg, &fo->par.starts);
    case CLI_OPT_INIT:
        if (gmoe_init_parse(arg, &fo->par.init))
            return cli_usage_error("%s: --init must be data, random or near-true (got \"%s\")", cmd,
                                   arg);
        return 0;
    case CLI_OPT_THREADS: {
        size_t t;
        int rc = cli_parse_count("--threads", arg, &t);
        if (!rc && t > 4096) rc = cli_usage_error("%s: --threads must be at most 4096", cmd);
        fo->par.threads = rc ? 0 : (int)t;
        return rc;
    }
    case CLI_OPT_STOP:
        if (gmoe_stop_rule_parse(arg, &em->stop))
            return cli_usage_error("%s: --stop must be per-obs or relative (got \"%s\")", cmd, arg);
        return 0;
    case CLI_OPT_TOL:
        return cli_parse_positive_double("--tol", arg, &em->tol);
    case CLI_OPT_MAX_ITER:
        return cli_parse_count("--max-iter", arg, &em->max_iter);
    case CLI_OPT_NO_ACCEL:
        em->accel = 0;
        return 0;
    case CLI_OPT_ACCEL:
        em->accel = strcmp(arg, "none") != 0;
        if (em->accel && gmoe_accel_parse(arg, &em->accel_method))
            return cli_usage_error("%s: --accel must be squarem, qn or none (got \"%s\")", cmd,
                                   arg);
        return 0;
    case CLI_OPT_GATE_BOUND:
        return fit_bound_parse(arg, em);
    case CLI_OPT_VAR_FLOOR:
        return cli_parse_positive_double("--var-floor", arg, &em->var_floor);
    }
    return -1; /* not ours */
}

/* An option that the chosen gate would ignore is a mistake worth saying. */
int cli_fit_opts_check(const cli_fit_opts *fo, const char *cmd)
{
    gmoe_gate g = fo->gate;
    if (fo->k == 0) return cli_usage_error("%s: -k K is required (see 'gmoe help %s')", cmd, cmd);
    if (g == GMOE_GATE_TOPK && !fo->topk_set)
        return cli_usage_error("%s: --gate topk needs --topk K", cmd);
    if ((fo->topk_set || fo->sel_set) && g != GMOE_GATE_TOPK)
        return cli_usage_error("%s: --%s only goes with --gate topk", cmd,
                               fo->topk_set ? "topk" : "topk-select");
    if (fo->topk_set && fo->topk > fo->k)
        return cli_usage_error("%s: --topk %zu exceeds -k %zu", cmd, fo->topk, fo->k);
    if ((fo->tau_set || fo->par.em.fix_tau) && g != GMOE_GATE_TEMPERATURE &&
        g != GMOE_GATE_ACTIVATION)
        return cli_usage_error("%s: --%s only goes with --gate temperature or activation", cmd,
                               fo->tau_set ? "tau" : "fix-tau");
    if (fo->act_set && g != GMOE_GATE_ACTIVATION)
        return cli_usage_error("%s: --act only goes with --gate activation", cmd);
    return fit_bound_check(&fo->par.em, g, cmd);
}

gmoe_model *cli_fit_template(const cli_fit_opts *fo, size_t d)
{
    gmoe_model *templ = gmoe_model_alloc(fo->k, d, fo->gate);
    if (!templ) {
        cli_error("out of memory");
        return NULL;
    }
    gmoe_model_set_topk(templ, fo->topk_set ? fo->topk : fo->k, fo->sel);
    gmoe_model_set_tau(templ, fo->tau);
    gmoe_model_set_act(templ, fo->act);
    return templ;
}

int cli_fit_read_data(const cli_common *co, const char *path, gmoe_data **data, char ***xnames,
                      gmoe_model_names **names)
{
    gmoe_csv_spec spec;
    cli_csv_spec(co, &spec);
    spec.max_abs = GMOE_FIT_MAX_ABS; /* named with its line here, rather than by gmoe_fit */
    spec.factor_option = "--factor";
    gmoe_csv_factor *fac = NULL;
    gmoe_error err;
    *names = NULL;
    if (gmoe_csv_read_coded(path, &spec, data, xnames, &fac, &err)) return cli_lib_error(&err);
    *names = gmoe_model_names_alloc(co->y ? co->y : "y", (const char *const *)*xnames, (*data)->d,
                                    fac, spec.nfactors);
    gmoe_csv_factors_free(fac, spec.nfactors);
    if (*names) return 0;
    gmoe_data_free(*data);
    free(*xnames);
    *data = NULL;
    *xnames = NULL;
    cli_error("out of memory");
    return CLI_EXIT_ERROR;
}

int cli_fit_dumps(const gmoe_model *m, const gmoe_fit_record *rec, const gmoe_model_names *names,
                  char **text, gmoe_error *err)
{
    int rc = gmoe_model_dumps_names(m, rec, names, text, err);
    if (rc != GMOE_EINVAL || !names) return rc;
    gmoe_error nerr;
    if (gmoe_model_dumps(m, rec, text, &nerr)) return rc; /* not the names' fault */
    fprintf(stderr, "gmoe: warning: the model file records no column names: %s\n", err->msg);
    return GMOE_SUCCESS;
}
