"""gmoe.dendrogram and gmoe.select: the dendrogram of mixing measures of a fit, the
dendrogram selection criterion, and the choice of k by AIC, BIC, ICL and DSC (libgmoe's
gmoe_dendrogram and gmoe_select; MODELS.md section 7; `gmoe select`)."""
import numpy as np

from ._core import Data, Error, check, count, new_error, parse_name, real, text
from ._ffi import ffi, lib
from .fitting import prepare
from .model import Model


def _jnum(v):
    return float(v) if np.isfinite(v) else None


def dendrogram(fit, X, y, mass="gate", omega=None, dsc="plain", var_merge="moment", dsc_trim=0):
    """Merge the closest atoms of a fitted model's mixing measure again and again, from its k
    experts down to one, without refitting, and score each level on (X, y).

    Returns a dict: "chosen" (the number of experts of the smallest DSC), "omega" (the DSC's
    weight, log n by default), and "levels", one dict per level kappa = k, k-1, ..., 1 with
    "k", "loglik" (on the data), "lbar" (the DSC's loglik / n), "height" (of the merge to kappa - 1; None at 1), "dsc" (of
    the form dsc, "plain" or "rescaled"; None at 1), "dsc_plain", "dsc_rescaled", "merged"
    ([i, j], 0-based experts of that level merged next; None at 1), "mass" (the atoms'
    masses) and "model" (the merged gmoe.Model, canonical). mass: "gate" (mean gate weight
    over the data) or "intercept" (exp(beta0) normalised). var_merge: the merged variance,
    "moment" (moment matching), "average" or "geometric"; dsc_trim: the share of each
    level's lowest per-observation log-likelihoods left out of the DSC's lbar (0 to 0.5)."""
    ctx = "dendrogram"
    if not isinstance(fit, Model):
        raise Error(f"{ctx}: fit must be a gmoe.Model (got {type(fit).__name__})")
    par = _dendrogram_params(mass, dsc, omega, var_merge, dsc_trim, ctx)
    data = Data(X, y, ctx, d=fit.d)
    out = ffi.new("gmoe_dendrogram **")
    err = new_error()
    check(lib.gmoe_dendrogram_build(fit._m, data.ptr, ffi.addressof(par), out, err), err, ctx)
    dg = ffi.gc(out[0], lib.gmoe_dendrogram_free)
    return {"chosen": lib.gmoe_dendrogram_choose(dg), "omega": lib.gmoe_dendrogram_omega(dg),
            "levels": _levels(dg, lib.gmoe_dendrogram_k(dg), with_models=True)}


def _dendrogram_params(mass, dsc, omega, var_merge, dsc_trim, ctx):
    par = lib.gmoe_dendrogram_default_params()
    par.mass = parse_name(lib.gmoe_dendrogram_mass_parse, "gmoe_dendrogram_mass", mass, "mass",
                          "gate, intercept", ctx)
    par.form = parse_name(lib.gmoe_dsc_form_parse, "gmoe_dsc_form", dsc, "dsc",
                          "plain, rescaled", ctx)
    par.var = parse_name(lib.gmoe_dendrogram_var_parse, "gmoe_dendrogram_var", var_merge,
                         "var_merge", "moment, average, geometric", ctx)
    par.trim = real(dsc_trim, "dsc_trim", ctx)
    if not 0 <= par.trim < 0.5:
        raise Error(f"{ctx}: dsc_trim must be at least 0 and below 0.5 (got {dsc_trim!r})")
    if omega is not None:
        par.omega = real(omega, "omega", ctx, positive=True)
    return par


def select(X, y, k, kmin=1, gate="softmax", starts=10, seed=1, *, mass="gate", dsc="plain",
           omega=None, var_merge="moment", dsc_trim=0, **options):
    """Choose the number of experts (libgmoe's gmoe_select, as `gmoe select --json`): fit
    every k from kmin to k (each as gmoe.fit would with the same options, except that the
    tolerance defaults to libgmoe's for select, 1e-6, as in `gmoe select`), score the fits by
    AIC, BIC and ICL, and build the dendrogram of the k fit, whose DSC chooses among its
    levels. options: those of gmoe.fit (topk, tau, init, stop, tol, max_iter, threads, ...).
    mass: the atoms' masses ("gate" or "intercept"); dsc: "plain" or "rescaled"; omega: the
    DSC's weight (default log n); var_merge, dsc_trim: as gmoe.dendrogram's.

    Returns the dict that `gmoe select --json` prints (n, k_min, k_max, gate, mass, dsc_form,
    var_merge, dsc_trim, omega, accel ("squarem", "qn" or "none"), gate_bound, chosen {"dsc", "aic", "bic", "icl"},
    fits [one dict per k, with bound_active], dendrogram [one dict per level, k down to 1])
    with, in addition, "models": {k: the fitted gmoe.Model}."""
    ctx = "select"
    kmin = count(kmin, "kmin", ctx)
    opts = {key: options.pop(key, None) for key in (
        "topk", "topk_select", "tau", "activation", "truth", "stop", "tol", "max_iter",
        "var_floor", "threads", "gate_bound")}
    fix_tau = options.pop("fix_tau", False)
    accel = options.pop("accel", True)
    init = options.pop("init", "data")
    if options:
        raise Error(f"{ctx}: unknown option {sorted(options)[0]!r}")
    par = lib.gmoe_select_default_params()
    data, templ = prepare(ctx, par.fit, X, y, k, gate, starts, seed, opts["topk"],
                          opts["topk_select"], opts["tau"], fix_tau, opts["activation"], init,
                          opts["truth"], opts["stop"], opts["tol"], opts["max_iter"], accel,
                          opts["var_floor"], opts["threads"], opts["gate_bound"])
    par.kmin = kmin
    par.dendrogram = _dendrogram_params(mass, dsc, omega, var_merge, dsc_trim, ctx)
    out = ffi.new("gmoe_select **")
    err = new_error()
    check(lib.gmoe_select_run(data.ptr, templ, ffi.addressof(par), out, err), err, ctx)
    s = ffi.gc(out[0], lib.gmoe_select_free)
    kmin, K = lib.gmoe_select_kmin(s), lib.gmoe_select_kmax(s)
    dg = lib.gmoe_select_dendrogram(s)
    res = {"n": data.n, "k_min": kmin, "k_max": K, "gate": gate,
           "mass": text(lib.gmoe_dendrogram_mass_name(par.dendrogram.mass)),
           "dsc_form": text(lib.gmoe_dsc_form_name(par.dendrogram.form)),
           "var_merge": text(lib.gmoe_dendrogram_var_name(par.dendrogram.var)),
           "dsc_trim": _jnum(par.dendrogram.trim),
           "omega": _jnum(lib.gmoe_dendrogram_omega(dg)),
           "accel": (text(lib.gmoe_accel_name(par.fit.em.accel_method)) if par.fit.em.accel
                     else "none"),
           "gate_bound": _jnum(par.fit.em.gate_bound),
           "chosen": {text(lib.gmoe_criterion_name(c)): lib.gmoe_select_chosen(s, c)
                      for c in range(lib.GMOE_NCRIT)}}
    fits, models = [], {}
    for kk in range(kmin, K + 1):
        c, r = lib.gmoe_select_criteria(s, kk), lib.gmoe_select_result(s, kk)
        fits.append({"k": kk, "loglik": _jnum(c.loglik), "aic": _jnum(c.aic),
                     "bic": _jnum(c.bic), "icl": _jnum(c.icl),
                     "status": text(lib.gmoe_fit_status_name(r.info.status)),
                     "nparams": c.nparams, "entropy": _jnum(c.entropy),
                     "iterations": r.info.iterations, "bound_active": r.info.bound_active,
                     "seconds": _jnum(r.seconds)})
        models[kk] = Model(lib.gmoe_model_clone(lib.gmoe_select_model(s, kk)))
    res["fits"] = fits
    res["dendrogram"] = _levels(dg, K, with_models=False)
    res["models"] = models
    return res


def _levels(dg, K, with_models):
    """The levels of a dendrogram, K down to 1, as `gmoe select --json` lists them."""
    i, j = ffi.new("size_t *"), ffi.new("size_t *")
    out = []
    for kappa in range(K, 0, -1):
        mass = np.empty(kappa)
        lib.gmoe_dendrogram_masses(dg, kappa, ffi.cast("double *", ffi.from_buffer(mass)))
        lv = {"k": kappa, "loglik": _jnum(lib.gmoe_dendrogram_loglik(dg, kappa)),
              "lbar": _jnum(lib.gmoe_dendrogram_lbar(dg, kappa)),
              "height": _jnum(lib.gmoe_dendrogram_height(dg, kappa)),
              "dsc": _jnum(lib.gmoe_dendrogram_dsc(dg, kappa)),
              "dsc_plain": _jnum(lib.gmoe_dendrogram_dsc_form(dg, kappa, lib.GMOE_DSC_PLAIN)),
              "dsc_rescaled": _jnum(lib.gmoe_dendrogram_dsc_form(dg, kappa,
                                                                 lib.GMOE_DSC_RESCALED)),
              "merged": ([i[0], j[0]] if kappa > 1 and
                         lib.gmoe_dendrogram_merged(dg, kappa, i, j) == 0 else None),
              "mass": [float(v) for v in mass]}
        if with_models:
            lv["model"] = Model(lib.gmoe_model_clone(lib.gmoe_dendrogram_model(dg, kappa)))
        out.append(lv)
    return out
