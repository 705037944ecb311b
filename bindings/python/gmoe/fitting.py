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
    _set_accel(par.em, accel, ctx)
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
        max_iter=None, accel=True, var_floor=None, threads=None, gate_bound=None,
        prefer="best", se=None, bootstrap=None):
    """Fit a Gaussian mixture of k experts to (X, y) by maximum likelihood: EM from `starts`
    starts, the best log-likelihood kept (libgmoe's gmoe_fit, as `gmoe fit`).

    X: (n, d) covariates (a 1-d array is one covariate), y: n responses; any numeric dtype and
    memory layout; NaN and infinite values are refused, naming the observation and column.
    gate: softmax | topk (with topk=K, topk_select="slope"|"score") | temperature |
    activation (tau: start value, fix_tau, activation="tanh"|"sigmoid") | sigmoid | gaussian.
    init: "data" (k-means++, random partitions, random soft weights in turn), "random", or
    "near-true" (with truth=Model). stop: "per-obs" or "relative", with tol; max_iter; accel:
    "squarem" (or True, the default), "qn" (quasi-Newton) or "none" (or False: plain EM), as
    `gmoe fit --accel`; var_floor (relative to var(y)); threads for the starts (None: every core; the
    result does not depend on it); gate_bound: the MLE over the box |beta0|, |beta1| <= B of
    the canonical gate (`gmoe fit --gate-bound`). None means libgmoe's default, as for
    `gmoe fit`. prefer: "best" (the best start) or "interior" (the best start that converged,
    when one did: `gmoe fit --prefer interior`); the fit dict has loglik_interior (NaN when no
    start converged). se: None, "observed", "sandwich" or "bootstrap" (with bootstrap=B
    replicates, default 200) computes the standard errors of the free parameters
    (gmoe_se_compute, as `gmoe fit --se`): the Model's se, cov, se_names, estimates and
    confint(), and predict(..., se=True); when there are none (a degenerate or
    gate-divergent fit, an active gate bound, a singular information) they are None and
    se_reason says why. The same arguments give the same numbers as `gmoe fit` with the same
    options."""
    ctx = "fit"
    par = lib.gmoe_fit_default_params()
    if prefer not in ("best", "interior"):
        raise Error(f"{ctx}: prefer must be 'best' or 'interior' (got {prefer!r})")
    par.prefer_interior = 1 if prefer == "interior" else 0
    sp = _se_params(se, bootstrap, ctx)
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
    if sp is not None:
        _attach_se(m, sp, par, data, res, ctx)
    m.best_start = res.best_start
    m.failed_starts = res.failed
    m.maps = res.info.maps
    return m


def _se_params(se, bootstrap, ctx):
    """The gmoe_se_params of fit's se= and bootstrap= (None: no standard errors)."""
    if se is None:
        if bootstrap is not None:
            raise Error(f"{ctx}: bootstrap only goes with se='bootstrap'")
        return None
    method = ffi.new("gmoe_se_method *")
    if not isinstance(se, str) or lib.gmoe_se_method_parse(se.encode(), method) or se == "none":
        raise Error(f"{ctx}: se must be 'observed', 'sandwich' or 'bootstrap' (got {se!r})")
    sp = lib.gmoe_se_default_params()
    sp.method = method[0]
    if bootstrap is not None:
        if se != "bootstrap":
            raise Error(f"{ctx}: bootstrap only goes with se='bootstrap'")
        sp.bootstrap = count(bootstrap, "bootstrap", ctx, minimum=2)
    return sp


def _attach_se(m, sp, par, data, res, ctx):
    """The standard errors of the fit m, as `gmoe fit --se` computes them (cli/fit_se.c):
    tau free unless fixed, the fit's seed, threads and EM settings."""
    sp.tau_free = 0 if par.em.fix_tau else 1
    sp.seed = par.seed
    sp.threads = par.threads
    sp.em = par.em
    se = lib.gmoe_se_alloc(m._m, sp.tau_free)
    if se == ffi.NULL:
        raise Error(f"{ctx}: out of memory", 2)
    m._se = ffi.gc(se, lib.gmoe_se_free)
    err = new_error()
    check(lib.gmoe_se_compute(m._se, m._m, data.ptr, ffi.addressof(sp), ffi.addressof(res.info),
                              err), err, ctx)
    m.fit["se_method"] = m.se_method
    if m.se_reason is not None:
        m.fit["se_reason"] = m.se_reason
    if m.fit["se_method"] == "bootstrap":
        m.fit["bootstrap_b"] = sp.bootstrap
        m.fit["bootstrap_failed"] = lib.gmoe_se_bootstrap_failed(m._se)


def _set_accel(em, accel, ctx):
    """accel: True (libgmoe's default acceleration, SQUAREM), False or "none" (plain EM), or
    the name of a method ("squarem", "qn"), as `gmoe fit --accel`."""
    if isinstance(accel, bool):
        em.accel = 1 if accel else 0
        return
    if accel == "none":
        em.accel = 0
        return
    if not isinstance(accel, str):
        raise Error(f"{ctx}: accel must be True, False, 'squarem', 'qn' or 'none' "
                    f"(got {accel!r})")
    em.accel = 1
    em.accel_method = parse_name(lib.gmoe_accel_parse, "gmoe_accel", accel, "accel",
                                 "squarem, qn, none", ctx)
