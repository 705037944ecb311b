/* Private to the model file reader and writer: the "response", "covariates" and "factors"
 * keys (gmoe_model_names, gmoe_io.h) to and from JSON. */
#ifndef GMOE_MODELNAMES_H
#define GMOE_MODELNAMES_H

#include <jansson.h>
#include "gmoe_io.h"

/* The names in root for a model of d covariates: *out NULL when root has none of the keys.
 * Messages are "<field path>: <problem>" (the caller adds the file name). */
int gmoe__names_read(const json_t *root, size_t d, gmoe_model_names **out, gmoe_error *err);

/* Add nm's keys to root, checked against the model's d as gmoe_model_dumps_names says. */
int gmoe__names_write(json_t *root, const gmoe_model_names *nm, size_t d, gmoe_error *err);

/* "a number", "an empty array", ...: a JSON value's kind in messages. */
const char *gmoe__json_kind(const json_t *v);

#endif
