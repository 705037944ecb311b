/* A model file and the data it is applied to (gmoe predict, gmoe loglik): the columns of the
 * data are those the model was fitted on, found by the names the model file records, its
 * factors coded by the recorded levels; --x and --y choose others. */
#ifndef GMOE_CLI_MODEL_DATA_H
#define GMOE_CLI_MODEL_DATA_H

#include "common.h"

typedef struct cli_model_data {
    gmoe_model *model;
    gmoe_model_names *nm; /* the model file's names, or NULL */
    gmoe_data *data;
    char **names;  /* the data's selected columns as coded (gmoe_csv_read_names), then y's */
    const char *y; /* the response column's name (borrowed from co or nm) */
} cli_model_data;

/* Read the model file mpath, then the data file path: the response is --y, else the model's
 * response, else "y" (y_optional: a file without it is read as covariates only, unless --y
 * named it); the covariates are --x, else the model's columns (each factor's column once);
 * the model's factors among them are coded by its levels. The covariates must be the
 * model's d. Prints the message and returns CLI_EXIT_ERROR on failure; free md with
 * cli_model_data_free either way. */
int cli_model_data_read(cli_model_data *md, const cli_common *co, const char *mpath,
                        const char *path, int y_optional);
void cli_model_data_free(cli_model_data *md);

#endif
