/* Private helpers of the model-selection modules (select.c, sweep_select.c). Not installed. */
#ifndef GMOE_SELECT_INTERNAL_H
#define GMOE_SELECT_INTERNAL_H

#include "gmoe_select.h"

/* The k in kmin..K with the smallest AIC, BIC or ICL (c) among the fits that are not
 * degenerate (among all of them if every fit is); ties to the smaller k. crit and res are
 * indexed by k. */
size_t gmoe__select_choose(const gmoe_criteria *crit, const gmoe_fit_result *res, size_t kmin,
                           size_t K, gmoe_criterion c);

#endif
