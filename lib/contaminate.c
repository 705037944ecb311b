/* Contamination of simulated data: Laplace noise added to a share of the responses
 * (gmoe_sim.h). */
#include <config.h>
#include <math.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include "internal.h"

int gmoe_sim_contaminate(gmoe_data *data, double eps, double scale, unsigned long seed,
                         gmoe_error *err)
{
    if (!(eps >= 0 && eps <= 1))
        return gmoe_error_set(err, GMOE_EINVAL, "contamination share must be in [0, 1] (got %g)",
                              eps);
    if (!(scale > 0) || !isfinite(scale))
        return gmoe_error_set(err, GMOE_EINVAL, "contamination scale must be > 0 (got %g)", scale);
    if (!data->y) return gmoe_error_set(err, GMOE_EINVAL, "data have no response y");
    if (eps == 0) return GMOE_SUCCESS;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!rng) return gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    /* A generator of its own, so that the clean part of the data (x, and y before the noise)
     * is the same with and without contamination. */
    gsl_rng_set(rng, gmoe_sim_seed(seed, GMOE_SIM_CONTAMINATE_TAG, 0));
    for (size_t i = 0; i < data->n; i++)
        if (gsl_rng_uniform(rng) < eps) data->y[i] += gsl_ran_laplace(rng, scale);
    gsl_rng_free(rng);
    return GMOE_SUCCESS;
}
