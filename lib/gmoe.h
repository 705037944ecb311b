/* gmoe: statistical estimation in Gaussian mixture of experts.
 *
 * The umbrella header: include it to get every public module. Link with
 * `pkg-config --cflags --libs gmoe`. */
#ifndef GMOE_H
#define GMOE_H

#include "gmoe_error.h"
#include "gmoe_data.h"
#include "gmoe_file.h"
#include "gmoe_model.h"
#include "gmoe_sim.h"
#include "gmoe_csv.h"
#include "gmoe_io.h"
#include "gmoe_em.h"
#include "gmoe_fit.h"
#include "gmoe_eval.h"
#include "gmoe_sweep.h"
#include "gmoe_rate.h"
#include "gmoe_results.h"
#include "gmoe_dendrogram.h"
#include "gmoe_select.h"
#include "gmoe_infer.h"

/* The library version, "MAJOR.MINOR.PATCH". */
const char *gmoe_version(void);

#endif
