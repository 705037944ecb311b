"""gmoe.simulate, gmoe.loglik and gmoe.evaluate: libgmoe's simulation, log-likelihood and
evaluation of a fit against the truth (`gmoe simulate`, `gmoe loglik`, `gmoe eval --json`)."""
import numpy as np

from ._core import (Data, Error, check, count, data_arrays, new_error, parse_name, real,
                    seed_value, text)
from ._ffi import ffi, lib
from .model import Model

DESIGNS = "uniform, grid, normal, gate"


def _model(m, what, ctx):
    if not isinstance(m, Model):
        raise Error(f"{ctx}: {what} must be a gmoe.Model (got {type(m).__name__})")
    return m


def _design(design, lo, hi, mean, sd, m, ctx):
    """The design of x, checked by libgmoe for models with m's d (and, for the gate design,
    m's gate)."""
    des = lib.gmoe_design_default()
    des.kind = parse_name(lib.gmoe_design_parse, "gmoe_design_kind", design, "design", DESIGNS,
                          ctx)
    if design == "gate":
        if any(v is not None for v in (lo, hi, mean, sd)):
            raise Error(f"{ctx}: design='gate' takes no lo, hi, mean or sd (x is drawn from the "
                        "model's Gaussian gate)")
    elif design == "normal":
        if lo is not None or hi is not None:
            raise Error(f"{ctx}: {'lo' if lo is not None else 'hi'} is not used by "
                        "design='normal' (use mean and sd)")
        des.p1 = real(mean, "mean", ctx) if mean is not None else 0.0
        des.p2 = real(sd, "sd", ctx, positive=True) if sd is not None else 1.0
    else:
        if mean is not None or sd is not None:
            raise Error(f"{ctx}: {'mean' if mean is not None else 'sd'} is only used by "
                        f"design='normal' (design={design!r} takes lo and hi)")
        des.p1 = real(lo, "lo", ctx) if lo is not None else 0.0
        des.p2 = real(hi, "hi", ctx) if hi is not None else 1.0
    des.model = m._m
    err = new_error()
    check(lib.gmoe_design_validate(ffi.addressof(des), m.d, err), err, ctx)
    return des


def simulate(model, n, seed=1, design="uniform", lo=None, hi=None, mean=None, sd=None):
    """Draw n observations from model: x from the design (uniform on [lo, hi], default [0, 1];
    grid (d = 1); normal(mean, sd); gate: the model's Gaussian gate), y | x from the model.
    Returns (X (n, d), y (n,)): the same numbers as `gmoe simulate` with the same arguments."""
    ctx = "simulate"
    m = _model(model, "model", ctx)
    n = count(n, "n", ctx)
    des = _design(design, lo, hi, mean, sd, m, ctx)
    out = ffi.new("gmoe_data **")
    err = new_error()
    check(lib.gmoe_sim_data(m._m, ffi.addressof(des), n, seed_value(seed, ctx), out, err), err,
          ctx)
    data = ffi.gc(out[0], lib.gmoe_data_free)
    return data_arrays(data)


def loglik(model, X, y):
    """The total log-likelihood sum_i log p(y_i | x_i) of (X, y) under model."""
    ctx = "loglik"
    m = _model(model, "model", ctx)
    data = Data(X, y, ctx, d=m.d)
    ll = ffi.new("double *")
    err = new_error()
    check(lib.gmoe_model_loglik(m._m, data.ptr, ll, err), err, ctx)
    return ll[0]


def _floats(ptr, count_):
    return [ptr[i] for i in range(count_)]


def _jnum(v):
    """JSON's null for a non-finite number, as `gmoe eval --json` writes."""
    return v if np.isfinite(v) else None


def _cells(cell, kstar, k):
    return [[j for j in range(k) if cell[j] == l] for l in range(kstar)]


def evaluate(fit, truth, design="uniform", lo=None, hi=None, mean=None, sd=None, loss="auto",
             pinned=False, samples=None, seed=1):
    """Compare a fitted model with the true one (libgmoe's gmoe_eval_run): the dict that
    `gmoe eval --json` prints, with the same keys (loss, loss_name, loss_pinned, hellinger,
    tv, cells, err_*, ...); cells are lists of 0-based fitted experts. The design is that of x
    for the expected distances (default uniform on [0, 1]); samples and seed drive the Monte
    Carlo average when d >= 2; pinned=True reports the published code's variant as the loss."""
    ctx = "evaluate"
    f, t = _model(fit, "fit", ctx), _model(truth, "truth", ctx)
    if f.d != t.d:
        raise Error(f"{ctx}: the fit has d = {f.d}, but the truth has d = {t.d}")
    if f.gate != t.gate:
        raise Error(f"{ctx}: the fit has a {f.gate} gate, but the truth a {t.gate} gate (the "
                    "loss compares models of one family)")
    par = lib.gmoe_eval_default_params()
    par.loss = parse_name(lib.gmoe_loss_parse, "gmoe_loss_kind", loss, "loss", "auto, d1, d2",
                          ctx)
    par.design = _design(design, lo, hi, mean, sd, t, ctx)
    par.design.model = ffi.NULL  # the truth's own gate, as `gmoe eval`
    if samples is not None:
        par.mc_samples = count(samples, "samples", ctx, minimum=2)
    par.mc_seed = seed_value(seed, ctx)
    tm, fm = t._m, f._m
    if pinned:  # the published form: both canonical, no infimum (on copies)
        tm = ffi.gc(lib.gmoe_model_clone(tm), lib.gmoe_model_free)
        fm = ffi.gc(lib.gmoe_model_clone(fm), lib.gmoe_model_free)
        lib.gmoe_model_canonicalize(tm)
        lib.gmoe_model_canonicalize(fm)
        par.translate = 0
    kstar, k, d = t.k, f.k, t.d
    res = lib.gmoe_eval_result_alloc(kstar, k, d)
    if res == ffi.NULL:
        raise Error(f"{ctx}: out of memory", 2)
    res = ffi.gc(res, lib.gmoe_eval_result_free)
    err = new_error()
    check(lib.gmoe_eval_run(ffi.NULL, tm, fm, ffi.addressof(par), res, err), err, ctx)
    mc = res.outer == lib.GMOE_OUTER_MONTECARLO
    des = par.design
    dkind = text(lib.gmoe_design_name(des.kind))
    design_out = {"kind": dkind}
    if dkind == "normal":
        design_out.update(mean=des.p1, sd=des.p2)
    elif dkind != "gate":
        design_out.update(lo=des.p1, hi=des.p2)
    out = {
        "loss": _jnum(res.loss),
        "loss_name": text(lib.gmoe_loss_name(res.kind)),
        "loss_pinned": _jnum(res.loss_pinned),
        "translation": "pinned" if pinned else "infimum",
        "t0": _jnum(res.t0),
        "t1": [_jnum(v) for v in _floats(res.t1, d)],
        "rbar_extrapolated": bool(res.rbar_extrapolated),
        "hellinger": _jnum(res.hellinger),
        "hellinger_err": _jnum(res.hellinger_err),
        "tv": _jnum(res.tv),
        "tv_err": _jnum(res.tv_err),
        "distances_method": "monte-carlo" if mc else "quadrature",
        "distances_converged": bool(res.distances_converged),
        "design": design_out,
    }
    if mc:
        out["samples"], out["seed"] = par.mc_samples, par.mc_seed
    out["cells"] = _cells(res.cell, kstar, k)
    out["cells_pinned"] = _cells(res.cell_pinned, kstar, k)
    out["cell_mass"] = [_jnum(v) for v in _floats(res.mass, kstar)]
    out["cell_mass_true"] = [_jnum(v) for v in _floats(res.mass_true, kstar)]
    errs = ["beta0", "beta1"] + (["gamma"] if t.gate == "gaussian" else []) + ["a", "b", "v"]
    for name in errs:
        out["err_" + name] = [_jnum(v) for v in _floats(getattr(res, "err_" + name), kstar)]
    out["err_tau"] = _jnum(res.err_tau)
    out.update(gate=t.gate, kstar=kstar, k=k, d=d, gmoe_version=text(lib.gmoe_version()))
    return out
