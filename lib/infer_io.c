/* Reading a fitted model file's standard errors (gmoe_se_read): the fit object's se_method,
 * se_params and se_cov (or se_reason), as modelio_write.c writes them. */
#include <config.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include "infer_internal.h"

/* Check se_params against the names of m's free parameters and fill the matrix. */
static int read_cov(const char *path, const json_t *fit, const gmoe_model *m, int tau_free,
                    double *cov, size_t p, gmoe_error *err)
{
    const json_t *names = json_object_get(fit, "se_params"), *rows = json_object_get(fit, "se_cov");
    if (!json_is_array(names) || json_array_size(names) != p)
        return gmoe_error_set(err, GMOE_EPARSE,
                              "%s: fit.se_params: expected the %zu free parameters of the model",
                              path, p);
    for (size_t q = 0; q < p; q++) {
        char want[96];
        gmoe_infer_param_name(m, tau_free, q, want, sizeof want);
        const char *got = json_string_value(json_array_get(names, q));
        if (!got || strcmp(got, want))
            return gmoe_error_set(err, GMOE_EPARSE, "%s: fit.se_params[%zu]: expected \"%s\"", path,
                                  q, want);
    }
    if (!json_is_array(rows) || json_array_size(rows) != p)
        return gmoe_error_set(err, GMOE_EPARSE, "%s: fit.se_cov: expected %zu rows", path, p);
    for (size_t a = 0; a < p; a++) {
        const json_t *row = json_array_get(rows, a);
        if (!json_is_array(row) || json_array_size(row) != p)
            return gmoe_error_set(err, GMOE_EPARSE, "%s: fit.se_cov[%zu]: expected %zu numbers",
                                  path, a, p);
        for (size_t b = 0; b < p; b++) {
            const json_t *v = json_array_get(row, b);
            if (!json_is_number(v) || !isfinite(json_number_value(v)))
                return gmoe_error_set(err, GMOE_EPARSE,
                                      "%s: fit.se_cov[%zu][%zu]: expected a number", path, a, b);
            cov[a * p + b] = json_number_value(v);
        }
    }
    return GMOE_SUCCESS;
}

int gmoe_se_read(const char *path, const gmoe_model *m, gmoe_se **out, gmoe_error *err)
{
    *out = NULL;
    json_error_t je;
    json_t *root = strcmp(path, "-") ? json_load_file(path, 0, &je) : NULL;
    if (!root)
        return gmoe_error_set(err, GMOE_EPARSE, "%s: cannot read the standard errors: %s", path,
                              strcmp(path, "-") ? je.text : "standard input is read once");
    const json_t *fit = json_object_get(root, "fit");
    const char *method = json_string_value(json_object_get(fit, "se_method"));
    gmoe_se_method meth;
    if (!method || gmoe_se_method_parse(method, &meth) || meth == GMOE_SE_NONE) {
        json_decref(root);
        return GMOE_SUCCESS;
    }
    const json_t *names = json_object_get(fit, "se_params");
    size_t nn = json_array_size(names);
    /* tau is a free parameter when it was estimated: the names say so */
    const char *lastname = nn > 0 ? json_string_value(json_array_get(names, nn - 1)) : NULL;
    int tau_free = lastname && !strcmp(lastname, "tau");
    gmoe_se *se = gmoe_se_alloc(m, tau_free);
    double *cov = se ? malloc(gmoe_se_nparams(se) * gmoe_se_nparams(se) * sizeof(double)) : NULL;
    int rc = GMOE_SUCCESS;
    if (!se || !cov) {
        rc = gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
    } else if (json_object_get(fit, "se_cov")) {
        rc = read_cov(path, fit, m, tau_free, cov, gmoe_se_nparams(se), err);
        if (!rc) gmoe_se_set_cov(se, meth, cov, NULL);
    } else {
        const char *why = json_string_value(json_object_get(fit, "se_reason"));
        gmoe_se_set_cov(se, meth, NULL, why ? why : "none");
    }
    free(cov);
    json_decref(root);
    if (rc) {
        gmoe_se_free(se);
        return rc;
    }
    *out = se;
    return GMOE_SUCCESS;
}
