/* Models between R and libgmoe: R lists <-> gmoe_model, model files, the fit record. */
#include <math.h>
#include <string.h>
#include "rgmoe.h"

void rg_fail(const char *context, const gmoe_error *err)
{
    Rf_error("%s: %s", context, err->msg[0] ? err->msg : gmoe_strerror(err->code));
}

void rg_list_init(rg_list *l, int cap)
{
    l->list = PROTECT(Rf_allocVector(VECSXP, cap));
    l->names = PROTECT(Rf_allocVector(STRSXP, cap));
    l->n = 0;
    l->cap = cap;
}

void rg_list_add(rg_list *l, const char *name, SEXP value)
{
    if (l->n >= l->cap) Rf_error("internal error: list of %d elements is full", l->cap);
    SET_VECTOR_ELT(l->list, l->n, value);
    SET_STRING_ELT(l->names, l->n++, Rf_mkChar(name));
}

SEXP rg_list_done(rg_list *l)
{
    SEXP out = l->list, names = l->names;
    if (l->n < l->cap) {
        out = PROTECT(Rf_lengthgets(out, l->n));
        names = PROTECT(Rf_lengthgets(names, l->n));
    }
    Rf_setAttrib(out, R_NamesSymbol, names);
    UNPROTECT(l->n < l->cap ? 4 : 2);
    return out;
}

SEXP rg_elt(SEXP list, const char *name)
{
    SEXP names = Rf_getAttrib(list, R_NamesSymbol);
    if (TYPEOF(list) != VECSXP || names == R_NilValue) return R_NilValue;
    for (R_xlen_t i = 0; i < XLENGTH(list); i++)
        if (strcmp(CHAR(STRING_ELT(names, i)), name) == 0) return VECTOR_ELT(list, i);
    return R_NilValue;
}

const char *rg_str(SEXP s)
{
    if (TYPEOF(s) != STRSXP || XLENGTH(s) != 1 || STRING_ELT(s, 0) == NA_STRING) return NULL;
    return CHAR(STRING_ELT(s, 0));
}

/* The numeric element `name` of the model list with exactly len values (doubles or integers,
 * copied into out), else an error naming it. */
static int get_nums(SEXP list, const char *name, size_t len, double *out, gmoe_error *err)
{
    SEXP v = rg_elt(list, name);
    if ((TYPEOF(v) != REALSXP && TYPEOF(v) != INTSXP) || (size_t)XLENGTH(v) != len)
        return gmoe_error_set(err, GMOE_EINVAL, "%s: expected %zu numbers", name, len);
    for (size_t i = 0; i < len; i++) {
        out[i] = TYPEOF(v) == REALSXP          ? REAL(v)[i]
                 : INTEGER(v)[i] == NA_INTEGER ? NAN
                                               : INTEGER(v)[i];
        if (!isfinite(out[i]))
            return gmoe_error_set(err, GMOE_EINVAL, "%s: value %zu is not finite", name, i + 1);
    }
    return GMOE_SUCCESS;
}

static int get_count(SEXP list, const char *name, size_t *out, gmoe_error *err)
{
    double v;
    int rc = get_nums(list, name, 1, &v, err);
    if (rc) return rc;
    if (v < 1 || v != floor(v) || v > 1e9)
        return gmoe_error_set(err, GMOE_EINVAL, "%s: expected a positive integer (got %g)", name,
                              v);
    *out = (size_t)v;
    return GMOE_SUCCESS;
}

/* Per expert j of k: matrix element (k x d, column-major in R) into row (d values). */
static void row_of(const double *m, size_t k, size_t d, size_t j, double *row)
{
    for (size_t t = 0; t < d; t++)
        row[t] = m[t * k + j];
}

static int set_family(gmoe_model *m, SEXP list, gmoe_error *err)
{
    gmoe_gate gate = gmoe_model_gate(m);
    if (gate == GMOE_GATE_TEMPERATURE || gate == GMOE_GATE_ACTIVATION) {
        double tau;
        if (get_nums(list, "tau", 1, &tau, err)) return err->code;
        gmoe_model_set_tau(m, tau);
    }
    if (gate == GMOE_GATE_TOPK) {
        size_t K;
        gmoe_topk_select sel = GMOE_TOPK_SLOPE;
        if (get_count(list, "topk", &K, err)) return err->code;
        const char *s = rg_str(rg_elt(list, "topk_select"));
        if (s && gmoe_topk_select_parse(s, &sel))
            return gmoe_error_set(err, GMOE_EINVAL, "topk_select: must be slope or score");
        gmoe_model_set_topk(m, K, sel);
    }
    if (gate == GMOE_GATE_ACTIVATION) {
        gmoe_act act;
        const char *s = rg_str(rg_elt(list, "activation"));
        if (!s || gmoe_act_parse(s, &act))
            return gmoe_error_set(err, GMOE_EINVAL, "activation: must be tanh or sigmoid");
        gmoe_model_set_act(m, act);
    }
    return GMOE_SUCCESS;
}

gmoe_model *rg_model_from_list(SEXP list, gmoe_error *err)
{
    gmoe_gate gate;
    size_t k, d;
    const char *g = rg_str(rg_elt(list, "gate"));
    if (!g || gmoe_gate_parse(g, &gate)) {
        gmoe_error_set(err, GMOE_EINVAL, "gate: unknown gate \"%s\"", g ? g : "?");
        return NULL;
    }
    if (get_count(list, "k", &k, err) || get_count(list, "d", &d, err)) return NULL;
    gmoe_model *m = gmoe_model_alloc(k, d, gate);
    double *buf = m ? (double *)R_alloc(6 * k * d + 4 * k + 2 * d, sizeof(double)) : NULL;
    if (!m) {
        gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
        return NULL;
    }
    double *b0 = buf, *b1 = b0 + k, *a = b1 + k * d, *b = a + k * d, *v = b + k;
    double *row1 = v + k, *row2 = row1 + d, *pi = row2 + d, *c = pi + k, *G = c + k * d;
    int gauss = gate == GMOE_GATE_GAUSSIAN;
    int rc = (!gauss && get_nums(list, "beta0", k, b0, err)) ||
             (!gauss && get_nums(list, "beta1", k * d, b1, err)) ||
             get_nums(list, "a", k * d, a, err) || get_nums(list, "b", k, b, err) ||
             get_nums(list, "var", k, v, err);
    if (!rc && gauss)
        rc = get_nums(list, "pi", k, pi, err) || get_nums(list, "c", k * d, c, err) ||
             get_nums(list, "Gamma", k * d * d, G, err);
    if (!rc) rc = set_family(m, list, err);
    if (gauss) { /* beta0 and beta1 are not the Gaussian gate's parameters */
        memset(b0, 0, k * sizeof(double));
        memset(b1, 0, k * d * sizeof(double));
    }
    for (size_t j = 0; !rc && j < k; j++) {
        row_of(b1, k, d, j, row1);
        row_of(a, k, d, j, row2);
        gmoe_model_set_expert(m, j, b0[j], row1, row2, b[j], v[j]);
        if (gauss) {
            /* Gamma is k x d x d in R: element (j, s, t) at j + k (s + d t). */
            double *Gj = (double *)R_alloc(d * d, sizeof(double));
            for (size_t s = 0; s < d; s++)
                for (size_t t = 0; t < d; t++)
                    Gj[s * d + t] = G[j + k * (s + d * t)];
            row_of(c, k, d, j, row1);
            gmoe_model_set_gauss(m, j, pi[j], row1, Gj);
        }
    }
    if (!rc) rc = gmoe_model_validate(m, err);
    if (rc) {
        gmoe_model_free(m);
        return NULL;
    }
    return m;
}

static SEXP mkstr(const char *s)
{
    return Rf_mkString(s);
}

SEXP rg_model_to_list(const gmoe_model *m)
{
    size_t k = gmoe_model_k(m), d = gmoe_model_d(m);
    gmoe_gate gate = gmoe_model_gate(m);
    int gauss = gate == GMOE_GATE_GAUSSIAN,
        fam = gate == GMOE_GATE_TEMPERATURE || gate == GMOE_GATE_ACTIVATION;
    SEXP b0 = PROTECT(Rf_allocVector(REALSXP, k)), b1 = PROTECT(Rf_allocMatrix(REALSXP, k, d));
    SEXP a = PROTECT(Rf_allocMatrix(REALSXP, k, d)), b = PROTECT(Rf_allocVector(REALSXP, k));
    SEXP v = PROTECT(Rf_allocVector(REALSXP, k));
    double *r1 = (double *)R_alloc(2 * d + d * d, sizeof(double)), *r2 = r1 + d, *G = r2 + d;
    for (size_t j = 0; j < k; j++) {
        gmoe_model_get_expert(m, j, REAL(b0) + j, r1, r2, REAL(b) + j, REAL(v) + j);
        for (size_t t = 0; t < d; t++) {
            REAL(b1)[t * k + j] = r1[t];
            REAL(a)[t * k + j] = r2[t];
        }
    }
    rg_list l;
    rg_list_init(&l, 14);
    rg_list_add(&l, "gate", mkstr(gmoe_gate_name(gate)));
    rg_list_add(&l, "k", Rf_ScalarInteger((int)k));
    rg_list_add(&l, "d", Rf_ScalarInteger((int)d));
    rg_list_add(&l, "beta0", b0);
    rg_list_add(&l, "beta1", b1);
    rg_list_add(&l, "a", a);
    rg_list_add(&l, "b", b);
    rg_list_add(&l, "var", v);
    if (fam) rg_list_add(&l, "tau", Rf_ScalarReal(gmoe_model_tau(m)));
    if (gate == GMOE_GATE_TOPK) {
        rg_list_add(&l, "topk", Rf_ScalarInteger((int)gmoe_model_topk(m)));
        rg_list_add(&l, "topk_select", mkstr(gmoe_topk_select_name(gmoe_model_topk_select(m))));
    }
    if (gate == GMOE_GATE_ACTIVATION)
        rg_list_add(&l, "activation", mkstr(gmoe_act_name(gmoe_model_act(m))));
    if (gauss) {
        SEXP pi = Rf_allocVector(REALSXP, k);
        rg_list_add(&l, "pi", pi);
        SEXP c = Rf_allocMatrix(REALSXP, k, d);
        rg_list_add(&l, "c", c);
        SEXP Gam = Rf_alloc3DArray(REALSXP, (int)k, (int)d, (int)d);
        rg_list_add(&l, "Gamma", Gam);
        for (size_t j = 0; j < k; j++) {
            gmoe_model_get_gauss(m, j, REAL(pi) + j, r1, G);
            for (size_t s = 0; s < d; s++) {
                REAL(c)[s * k + j] = r1[s];
                for (size_t t = 0; t < d; t++)
                    REAL(Gam)[j + k * (s + d * t)] = G[s * d + t];
            }
        }
    }
    SEXP out = rg_list_done(&l);
    UNPROTECT(5);
    return out;
}

static const char *const REC_NUM[] = {"loglik", "aic", "bic", "seconds"};
static const char *const REC_INT[] = {"n", "iterations", "nparams", "starts", "seed"};

SEXP rg_record_to_list(const gmoe_fit_record *rec)
{
    if (!rec) return R_NilValue;
    double num[] = {rec->loglik, rec->aic, rec->bic, rec->seconds};
    double cnt[] = {(double)rec->n, (double)rec->iterations, (double)rec->nparams,
                    (double)rec->starts, (double)rec->seed};
    rg_list l;
    rg_list_init(&l, 22);
    for (int j = 0; j < 4; j++)
        rg_list_add(&l, REC_NUM[j], Rf_ScalarReal(num[j]));
    for (int j = 0; j < 5; j++) /* doubles: a seed may exceed R's integers */
        rg_list_add(&l, REC_INT[j], Rf_ScalarReal(cnt[j]));
    rg_list_add(&l, "status", mkstr(rec->status));
    rg_list_add(&l, "stop", mkstr(rec->stop));
    if (rec->objective[0] != '\0') {
        rg_list_add(&l, "objective", mkstr(rec->objective));
        rg_list_add(&l, "loglik_joint", Rf_ScalarReal(rec->loglik_joint));
    }
    if (rec->gate_bound > 0) { /* a bounded fit */
        rg_list_add(&l, "gate_bound", Rf_ScalarReal(rec->gate_bound));
        rg_list_add(&l, "bound_active", Rf_ScalarReal((double)rec->bound_active));
    }
    if (rec->has_interior) { /* a fit by gmoe_fit: the best start that converged */
        rg_list_add(&l, "loglik_interior", Rf_ScalarReal(rec->loglik_interior));
        if (rec->prefer[0] != '\0') {
            rg_list_add(&l, "prefer", mkstr(rec->prefer));
            rg_list_add(&l, "loglik_best", Rf_ScalarReal(rec->loglik_best));
        }
    }
    if (rec->se_method[0] != '\0') rg_list_add(&l, "se_method", mkstr(rec->se_method));
    if (rec->se_reason[0] != '\0') rg_list_add(&l, "se_reason", mkstr(rec->se_reason));
    if (!strcmp(rec->se_method, "bootstrap")) {
        rg_list_add(&l, "bootstrap_b", Rf_ScalarReal((double)rec->bootstrap_b));
        rg_list_add(&l, "bootstrap_failed", Rf_ScalarReal((double)rec->bootstrap_failed));
    }
    return rg_list_done(&l);
}

static int rec_number(SEXP list, const char *name, double *out, gmoe_error *err)
{
    SEXP v = rg_elt(list, name);
    if (v == R_NilValue) return GMOE_SUCCESS; /* missing: left at 0 */
    return get_nums(list, name, 1, out, err);
}

int rg_record_from_list(SEXP list, gmoe_fit_record *rec, gmoe_error *err)
{
    memset(rec, 0, sizeof *rec);
    double *num[] = {&rec->loglik, &rec->aic, &rec->bic, &rec->seconds}, cnt[5] = {0};
    for (int j = 0; j < 4; j++)
        if (rec_number(list, REC_NUM[j], num[j], err)) return err->code;
    for (int j = 0; j < 5; j++)
        if (rec_number(list, REC_INT[j], cnt + j, err)) return err->code;
    rec->n = (size_t)cnt[0];
    rec->iterations = (size_t)cnt[1];
    rec->nparams = (size_t)cnt[2];
    rec->starts = (size_t)cnt[3];
    rec->seed = (unsigned long)cnt[4];
    const char *s = rg_str(rg_elt(list, "status")), *t = rg_str(rg_elt(list, "stop")),
               *o = rg_str(rg_elt(list, "objective"));
    snprintf(rec->status, sizeof rec->status, "%s", s ? s : "");
    snprintf(rec->stop, sizeof rec->stop, "%s", t ? t : "");
    if (o) {
        snprintf(rec->objective, sizeof rec->objective, "%s", o);
        if (rec_number(list, "loglik_joint", &rec->loglik_joint, err)) return err->code;
    }
    double active = 0;
    if (rec_number(list, "gate_bound", &rec->gate_bound, err) ||
        rec_number(list, "bound_active", &active, err))
        return err->code;
    rec->bound_active = (size_t)active;
    /* The standard errors' keys; the se itself comes with rg_write's se argument. */
    const char *sm = rg_str(rg_elt(list, "se_method")), *sr = rg_str(rg_elt(list, "se_reason"));
    snprintf(rec->se_method, sizeof rec->se_method, "%s", sm ? sm : "");
    snprintf(rec->se_reason, sizeof rec->se_reason, "%s", sr ? sr : "");
    double boot[2] = {0, 0};
    if (rec_number(list, "bootstrap_b", boot, err) ||
        rec_number(list, "bootstrap_failed", boot + 1, err))
        return err->code;
    rec->bootstrap_b = (size_t)boot[0];
    rec->bootstrap_failed = (size_t)boot[1];
    return GMOE_SUCCESS;
}

gmoe_data *rg_data(SEXP x, SEXP y, double max_abs, gmoe_error *err)
{
    SEXP dim = Rf_getAttrib(x, R_DimSymbol);
    if (TYPEOF(x) != REALSXP || XLENGTH(dim) != 2) {
        gmoe_error_set(err, GMOE_EINVAL, "x: expected a numeric matrix");
        return NULL;
    }
    size_t n = (size_t)INTEGER(dim)[0], d = (size_t)INTEGER(dim)[1];
    if (y != R_NilValue && (TYPEOF(y) != REALSXP || (size_t)XLENGTH(y) != n)) {
        gmoe_error_set(err, GMOE_EDIM, "y: expected %zu numbers (one per row of x)", n);
        return NULL;
    }
    gmoe_data *data = gmoe_data_alloc(n, d, y != R_NilValue);
    if (!data) {
        gmoe_error_set(err, GMOE_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(data->x, REAL(x), n * d * sizeof(double)); /* both column-major */
    if (y != R_NilValue) memcpy(data->y, REAL(y), n * sizeof(double));
    if (gmoe_data_check(data, max_abs, err)) {
        gmoe_data_free(data);
        return NULL;
    }
    return data;
}

/* ------------------------------------------------------------------ .Call entry points */

/* Check a model list through libgmoe and return it as libgmoe reads it back. */
SEXP rg_model_check(SEXP list)
{
    gmoe_error err;
    gmoe_model *m = rg_model_from_list(list, &err);
    if (!m) rg_fail("gmoe_model", &err);
    SEXP out = PROTECT(rg_model_to_list(m));
    gmoe_model_free(m);
    UNPROTECT(1);
    return out;
}

SEXP rg_read(SEXP path)
{
    gmoe_error err;
    gmoe_model *m = NULL;
    gmoe_fit_record rec;
    int has = 0;
    const char *p = rg_str(path);
    if (!p) Rf_error("gmoe_read: path must be one string");
    if (gmoe_model_read(p, &m, &rec, &has, &err)) rg_fail("gmoe_read", &err);
    gmoe_se *se = NULL; /* the standard errors of a file written by gmoe fit --se */
    if (gmoe_se_read(p, m, &se, &err)) {
        gmoe_model_free(m);
        rg_fail("gmoe_read", &err);
    }
    rg_list l;
    rg_list_init(&l, 3);
    rg_list_add(&l, "model", rg_model_to_list(m));
    rg_list_add(&l, "fit", rg_record_to_list(has ? &rec : NULL));
    if (se) rg_list_add(&l, "se", rg_se_to_list(se, m));
    gmoe_se_free(se);
    gmoe_model_free(m);
    return rg_list_done(&l);
}

/* Write the model list (with the fit record list, or NULL, and its standard errors, an se
 * list or NULL) to path; path NULL returns the JSON text instead. */
SEXP rg_write(SEXP list, SEXP fit, SEXP path, SEXP selist)
{
    gmoe_error err;
    gmoe_fit_record rec;
    const char *p = path == R_NilValue ? NULL : rg_str(path);
    if (path != R_NilValue && !p) Rf_error("gmoe_write: path must be one string");
    if (fit != R_NilValue && rg_record_from_list(fit, &rec, &err)) rg_fail("gmoe_write", &err);
    gmoe_model *m = rg_model_from_list(list, &err);
    if (!m) rg_fail("gmoe_write", &err);
    gmoe_se *se = NULL;
    if (fit != R_NilValue && rec.se_method[0] && selist != R_NilValue) {
        if (!(se = rg_se_from_list(selist, m, &err))) {
            gmoe_model_free(m);
            rg_fail("gmoe_write", &err);
        }
        rec.se = se;
    }
    char *text = NULL;
    int rc = p ? gmoe_model_write(p, m, fit != R_NilValue ? &rec : NULL, &err)
               : gmoe_model_dumps(m, fit != R_NilValue ? &rec : NULL, &text, &err);
    gmoe_se_free(se);
    gmoe_model_free(m);
    if (rc) rg_fail("gmoe_write", &err);
    if (!text) return R_NilValue;
    SEXP out = PROTECT(Rf_mkString(text));
    free(text);
    UNPROTECT(1);
    return out;
}
