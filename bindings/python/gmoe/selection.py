"""gmoe.dendrogram: the dendrogram of mixing measures of a fit and the dendrogram selection
criterion (libgmoe's gmoe_dendrogram; MODELS.md section 7)."""
import numpy as np

from ._core import Data, Error, check, new_error, parse_name, real
from ._ffi import ffi, lib
from .model import Model


def _jnum(v):
    return float(v) if np.isfinite(v) else None


def dendrogram(fit, X, y, mass="gate", omega=None):
    """Merge the closest atoms of a fitted model's mixing measure again and again, from its k
    experts down to one, without refitting, and score each level on (X, y).

    Returns a dict: "chosen" (the number of experts of the smallest DSC), "omega" (the DSC's
    weight, log n by default), and "levels", one dict per level kappa = k, k-1, ..., 1 with
    "k", "loglik" (on the data), "height" (of the merge to kappa - 1; None at 1), "dsc" (None
    at 1), "merged" ([i, j], 0-based experts of that level merged next; None at 1), "masses"
    (numpy array) and "model" (the merged gmoe.Model, canonical). mass: "gate" (mean gate
    weight over the data) or "intercept" (exp(beta0) normalised)."""
    ctx = "dendrogram"
    if not isinstance(fit, Model):
        raise Error(f"{ctx}: fit must be a gmoe.Model (got {type(fit).__name__})")
    par = lib.gmoe_dendrogram_default_params()
    par.mass = parse_name(lib.gmoe_dendrogram_mass_parse, "gmoe_dendrogram_mass", mass, "mass",
                          "gate, intercept", ctx)
    if omega is not None:
        par.omega = real(omega, "omega", ctx, positive=True)
    data = Data(X, y, ctx, d=fit.d)
    out = ffi.new("gmoe_dendrogram **")
    err = new_error()
    check(lib.gmoe_dendrogram_build(fit._m, data.ptr, ffi.addressof(par), out, err), err, ctx)
    dg = ffi.gc(out[0], lib.gmoe_dendrogram_free)
    K = lib.gmoe_dendrogram_k(dg)
    i, j = ffi.new("size_t *"), ffi.new("size_t *")
    levels = []
    for kappa in range(K, 0, -1):
        masses = np.empty(kappa)
        lib.gmoe_dendrogram_masses(dg, kappa, ffi.cast("double *", ffi.from_buffer(masses)))
        merged = None
        if kappa > 1 and lib.gmoe_dendrogram_merged(dg, kappa, i, j) == 0:
            merged = [i[0], j[0]]
        levels.append({
            "k": kappa,
            "loglik": _jnum(lib.gmoe_dendrogram_loglik(dg, kappa)),
            "height": _jnum(lib.gmoe_dendrogram_height(dg, kappa)),
            "dsc": _jnum(lib.gmoe_dendrogram_dsc(dg, kappa)),
            "merged": merged,
            "masses": masses,
            "model": Model(lib.gmoe_model_clone(lib.gmoe_dendrogram_model(dg, kappa))),
        })
    return {"chosen": lib.gmoe_dendrogram_choose(dg), "omega": lib.gmoe_dendrogram_omega(dg),
            "levels": levels}
