/* The data columns of a model file (see model_data.h). */
#include <config.h>
#include <stdlib.h>
#include <string.h>
#include "model_data.h"

void cli_model_data_free(cli_model_data *md)
{
    gmoe_model_free(md->model);
    gmoe_model_names_free(md->nm);
    gmoe_data_free(md->data);
    free(md->names);
    memset(md, 0, sizeof *md);
}

static int selected(const gmoe_csv_spec *spec, const char *col)
{
    for (size_t t = 0; t < spec->nx; t++)
        if (strcmp(spec->x[t], col) == 0) return 1;
    return 0;
}

/* spec for the data: the options', completed by the model's names. cols and fac are
 * scratch arrays the spec points into (free() them after the read). */
static int model_spec(const cli_common *co, const gmoe_model_names *nm, gmoe_csv_spec *spec,
                      const char ***cols, const char ***fac, gmoe_csv_factor **lv)
{
    gmoe_error err;
    cli_csv_spec(co, spec);
    if (!nm) return 0;
    if (!co->y && nm->response) spec->y = nm->response;
    if (!co->x && nm->d) {
        if (gmoe_model_names_columns(nm, cols, &spec->nx, &err)) return cli_lib_error(&err);
        spec->x = *cols;
    }
    if (!nm->nfactors || !spec->x) return 0;
    *fac = malloc(nm->nfactors * sizeof **fac);
    *lv = malloc(nm->nfactors * sizeof **lv);
    if (!*fac || !*lv) {
        cli_error("out of memory");
        return CLI_EXIT_ERROR;
    }
    /* Only the factors among the covariates: --x may leave some out. */
    for (size_t j = 0; j < nm->nfactors; j++)
        if (selected(spec, nm->factors[j].column)) {
            (*fac)[spec->nfactors] = nm->factors[j].column;
            (*lv)[spec->nfactors++] = nm->factors[j];
        }
    spec->factors = *fac;
    spec->levels = *lv;
    return 0;
}

int cli_model_data_read(cli_model_data *md, const cli_common *co, const char *mpath,
                        const char *path, int y_optional)
{
    gmoe_error err;
    memset(md, 0, sizeof *md);
    if (gmoe_model_read_names(mpath, &md->model, NULL, NULL, &md->nm, &err))
        return cli_lib_error(&err);
    gmoe_csv_spec spec;
    const char **cols = NULL, **fac = NULL;
    gmoe_csv_factor *lv = NULL;
    int rc = model_spec(co, md->nm, &spec, &cols, &fac, &lv);
    /* A response named with --y must be there; the default one may be missing. */
    spec.y_optional = y_optional && !co->y;
    md->y = spec.y ? spec.y : "y";
    if (!rc && gmoe_csv_read_names(path, &spec, &md->data, &md->names, &err))
        rc = cli_lib_error(&err);
    free(cols);
    free(fac);
    free(lv);
    if (rc) return rc;
    size_t d = gmoe_model_d(md->model);
    if (md->data->d != d) {
        cli_error("%s: %zu covariate column%s selected, but the model %s has d = %zu (select "
                  "columns with --x)",
                  path, md->data->d, md->data->d == 1 ? "" : "s", mpath, d);
        return CLI_EXIT_ERROR;
    }
    return 0;
}
