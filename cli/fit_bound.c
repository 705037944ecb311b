/* gmoe fit --gate-bound B (cli/fit_bound.h). */
#include <config.h>
#include <math.h>
#include <stdio.h>
#include "common.h"
#include "fit_bound.h"

int fit_bound_parse(const char *arg, gmoe_em_params *em)
{
    return cli_parse_positive_double("--gate-bound", arg, &em->gate_bound);
}

int fit_bound_check(const gmoe_em_params *em, gmoe_gate gate)
{
    if (isfinite(em->gate_bound) && gate == GMOE_GATE_GAUSSIAN)
        return cli_usage_error("fit: --gate-bound does not apply to --gate gaussian (its pi, c "
                               "and Gamma are moments of x, not free gate parameters)");
    return 0;
}

void fit_bound_print(const gmoe_em_params *em, const gmoe_fit_result *res, gmoe_gate gate)
{
    if (!isfinite(em->gate_bound)) return;
    double B = em->gate_bound;
    const char *what = gate == GMOE_GATE_TEMPERATURE ? "|beta0|, |beta1/tau|" : "|beta0|, |beta1|";
    printf("%-16s %s <= %g", "gate bound", what, B);
    if (gate == GMOE_GATE_ACTIVATION && !em->fix_tau) printf(", 1/tau <= %g", B);
    size_t a = res->info.bound_active;
    printf(": %zu gate parameter%s on the bound\n", a, a == 1 ? "" : "s");
}
