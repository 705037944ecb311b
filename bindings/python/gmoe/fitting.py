"""gmoe.fit: maximum-likelihood fits by libgmoe's multi-start EM (gmoe_fit), with the options
of `gmoe fit`."""
from ._core import (Data, Error, check, count, new_error, parse_name, real, seed_value)
from ._ffi import ffi, lib
from .model import Model, _record_dict

GATES = "softmax, topk, temperature, activation, sigmoid, gaussian"


def _template(k, d, gate, topk, topk_select, tau, activation, ctx):
    g = parse_name(lib.gmoe_gate_parse, "gmoe_gate", gate, "gate", GATES, ctx)
    if gate == "topk" and topk is None:
        raise Error(f"{ctx}: gate='topk' needs topk=K")
    if (topk is not None or topk_select is not None) and gate != "topk":
        raise Error(f"{ctx}: {'topk' if topk is not None else 'topk_select'} only goes with "
                    "gate='topk'")
    if tau is not None and gate not in ("temperature", "activation"):
        raise Error(f"{ctx}: tau only goes with gate='temperature' or 'activation'")
    if activation is not None and gate != "activation":
        raise Error(f"{ctx}: activation only goes with gate='activation'")
    K = count(topk, "topk", ctx) if topk is not None else k
    if K > k:
        raise Error(f"{ctx}: topk = {K} exceeds k = {k}")
    templ = lib.gmoe_model_alloc(k, d, g)
    if templ == ffi.NULL:
        raise Error(f"{ctx}: out of memory", 2)
    templ = ffi.gc(templ, lib.gmoe_model_free)
    sel = parse_name(lib.gmoe_topk_select_parse, "gmoe_topk_select", topk_select or "slope",
                     "topk_select", "slope, score", ctx)
    lib.gmoe_model_set_topk(templ, K, sel)
    lib.gmoe_model_set_tau(templ, real(tau, "tau", ctx, positive=True) if tau is not None else 1.0)
    act = parse_name(lib.gmoe_act_parse, "gmoe_act", activation or "tanh", "activation",
                     "tanh, sigmoid", ctx)
    lib.gmoe_model_set_act(templ, act)
    return templ


def prepare(ctx, par, X, y, k, gate, starts, seed, topk, topk_select, tau, fix_tau,
            activation, init, truth, stop, tol, max_iter, accel, var_floor, threads, gate_bound):
    """The data set, the template model and the gmoe_fit_params of a fit (or of the fits of
    gmoe.select), from the options of `gmoe fit`: par holds the caller's defaults (gmoe_fit's
    or gmoe_select's) and gets the options; returns (data, templ)."""
    k = count(k, "k", ctx)
    par.starts = count(starts, "starts", ctx)
    par.seed = seed_value(seed, ctx)
    par.init = parse_name(lib.gmoe_init_parse, "gmoe_init", init, "init",
                          "data, random, near-true", ctx)
    if init == "near-true" and truth is None:
        raise Error(f"{ctx}: init='near-true' needs truth=Model")
    if truth is not None and init != "near-true":
        raise Error(f"{ctx}: truth only goes with init='near-true'")
    if fix_tau and gate not in ("temperature", "activation"):
        raise Error(f"{ctx}: fix_tau only goes with gate='temperature' or 'activation'")
    par.em.fix_tau = 1 if fix_tau else 0
    par.em.accel = 1 if accel else 0
    if stop is not None:
        par.em.stop = parse_name(lib.gmoe_stop_rule_parse, "gmoe_stop_rule", stop, "stop",
                                 "per-obs, relative", ctx)
    if tol is not None:
        par.em.tol = real(tol, "tol", ctx, positive=True)
    if max_iter is not None:
        par.em.max_iter = count(max_iter, "max_iter", ctx)
    if var_floor is not None:
        par.em.var_floor = real(var_floor, "var_floor", ctx, positive=True)
    if gate_bound is not None:
        if gate == "gaussian":
            raise Error(f"{ctx}: gate_bound does not apply to gate='gaussian'")
        par.em.gate_bound = real(gate_bound, "gate_bound", ctx, positive=True)
    if threads is not None:
        par.threads = count(threads, "threads", ctx)
        if par.threads > 4096:
            raise Error(f"{ctx}: threads must be at most 4096")
    data = Data(X, y, ctx, max_abs=lib.GMOE_FIT_MAX_ABS)
    if k > data.n:
        raise Error(f"{ctx}: k = {k} exceeds the number of observations (n = {data.n})")
    if truth is not None:
        if not isinstance(truth, Model):
            raise Error(f"{ctx}: truth must be a gmoe.Model")
        if truth.d != data.d:
            raise Error(f"{ctx}: the true model has d = {truth.d}, the data d = {data.d}")
        if truth.k > k:
            raise Error(f"{ctx}: near-true starts need k at least the true k = {truth.k} "
                        f"(got k = {k})")
        par.truth = truth._m
    templ = _template(k, data.d, gate, topk, topk_select, tau, activation, ctx)
    return data, templ


def fit(X, y, k, gate="softmax", starts=10, seed=1, *, topk=None, topk_select=None, tau=None,
        fix_tau=False, activation=None, init="data", truth=None, stop=None, tol=None,
        max_iter=None, accel=True, var_floor=None, threads=None, gate_bound=None):
    """Fit a Gaussian mixture of k experts to (X, y) by maximum likelihood: EM from `starts`
    starts, the best log-likelihood kept (libgmoe's gmoe_fit, as `gmoe fit`).

    X: (n, d) covariates (a 1-d array is one covariate), y: n responses; any numeric dtype and
    memory layout; NaN and infinite values are refused, naming the observation and column.
    gate: softmax | topk (with topk=K, topk_select="slope"|"score") | temperature |
    activation (tau: start value, fix_tau, activation="tanh"|"sigmoid") | sigmoid | gaussian.
    init: "data" (k-means++, random partitions, random soft weights in turn), "random", or
    "near-true" (with truth=Model). stop: "per-obs" or "relative", with tol; max_iter; accel
    (SQUAREM); var_floor (relative to var(y)); threads for the starts (None: every core; the
    result does not depend on it); gate_bound: the MLE over the box |beta0|, |beta1| <= B of
    the canonical gate (`gmoe fit --gate-bound`). None means libgmoe's default, as for
    `gmoe fit`. The same arguments give the same numbers as `gmoe fit` with the same options."""
    ctx = "fit"
    par = lib.gmoe_fit_default_params()
    data, templ = prepare(ctx, par, X, y, k, gate, starts, seed, topk, topk_select, tau,
                          fix_tau, activation, init, truth, stop, tol, max_iter, accel,
                          var_floor, threads, gate_bound)
    best = ffi.new("gmoe_model **")
    res = ffi.new("gmoe_fit_result *")
    err = new_error()
    check(lib.gmoe_fit(data.ptr, templ, ffi.addressof(par), best, res, err), err, ctx)
    rec = ffi.new("gmoe_fit_record *")
    lib.gmoe_fit_record_set(rec, best[0], res, ffi.addressof(par), data.n)
    m = Model(best[0], _record_dict(rec))
    m.best_start = res.best_start
    m.failed_starts = res.failed
    m.maps = res.info.maps
    return m
