/* --gate-bound B of the commands that fit (cli/fit_bound.h). */
#include <config.h>
#include <math.h>
#include <stdio.h>
#include "common.h"
#include "fit_bound.h"

int fit_bound_parse(const char *arg, gmoe_em_params *em)
{
    return cli_parse_positive_double("--gate-bound", arg, &em->gate_bound);
}

int fit_bound_check(const gmoe_em_params *em, gmoe_gate gate, const char *cmd)
{
    if (isfinite(em->gate_bound) && gate == GMOE_GATE_GAUSSIAN)
        return cli_usage_error("%s: --gate-bound does not apply to --gate gaussian (its pi, c "
                               "and Gamma are moments of x, not free gate parameters)",
                               cmd);
    return 0;
}

void fit_bound_print_set(FILE *fp, const gmoe_em_params *em, gmoe_gate gate)
{
    double B = em->gate_bound;
    const char *what = gate == GMOE_GATE_TEMPERATURE ? "|beta0|, |beta1/tau|" : "|beta0|, |beta1|";
    fprintf(fp, "%s <= %g", what, B);
    if (gate == GMOE_GATE_ACTIVATION && !em->fix_tau) fprintf(fp, ", 1/tau <= %g", B);
}

void fit_bound_print(const gmoe_em_params *em, const gmoe_fit_result *res, gmoe_gate gate)
{
    if (!isfinite(em->gate_bound)) return;
    printf("%-16s ", "gate bound");
    fit_bound_print_set(stdout, em, gate);
    size_t a = res->info.bound_active;
    printf(": %zu gate parameter%s on the bound\n", a, a == 1 ? "" : "s");
}
