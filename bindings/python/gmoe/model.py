"""gmoe.Model: a mixture of experts held by libgmoe, fitted or built from parameters."""
import json
import math
import numbers

import numpy as np

from ._core import Data, Error, check, cstr, dptr, new_error, text
from ._ffi import ffi, lib

# The keys of a model file's "fit" object that the record holds (gmoe-formats(5)).
_FIT_KEYS = ("loglik", "n", "iterations", "status", "stop", "aic", "bic", "seconds", "nparams",
             "starts", "seed")

_PREDICT = ("mean", "gate", "posterior", "logdens", "all")


def _record_dict(rec):
    out = {}
    for key in _FIT_KEYS:
        v = getattr(rec, key)
        out[key] = text(v) if isinstance(v, ffi.CData) else v
    if rec.objective[0] != b"\0":
        out["objective"] = text(rec.objective)
        out["loglik_joint"] = rec.loglik_joint
    if rec.gate_bound > 0:  # a bounded fit
        out["gate_bound"] = rec.gate_bound
        out["bound_active"] = rec.bound_active
    if rec.se_method[0] != b"\0":
        out["se_method"] = text(rec.se_method)
        if rec.se_reason[0] != b"\0":
            out["se_reason"] = text(rec.se_reason)
        if out["se_method"] == "bootstrap":
            out["bootstrap_b"] = rec.bootstrap_b
            out["bootstrap_failed"] = rec.bootstrap_failed
    if rec.has_interior:
        out["loglik_interior"] = rec.loglik_interior
        if rec.prefer[0] != b"\0":
            out["prefer"] = text(rec.prefer)
            out["loglik_best"] = rec.loglik_best
    return out


def _record_struct(fit, se=None):
    """The C record of a fit dict (as Model.fit holds it), with the standard errors se (a
    gmoe_se, or None) when the dict names a method."""
    rec = ffi.new("gmoe_fit_record *")
    for key in _FIT_KEYS:
        v = fit.get(key)
        if v is None:
            continue
        setattr(rec, key, v.encode()[:31] if isinstance(v, str) else v)
    if "objective" in fit:
        rec.objective = fit["objective"].encode()[:31]
        rec.loglik_joint = fit["loglik_joint"]
    if "gate_bound" in fit:
        rec.gate_bound = fit["gate_bound"]
        rec.bound_active = fit["bound_active"]
    if "se_method" in fit and se is not None:
        rec.se_method = fit["se_method"].encode()[:31]
        rec.se_reason = fit.get("se_reason", "").encode()[:255]
        rec.se = se
        rec.bootstrap_b = fit.get("bootstrap_b", 0)
        rec.bootstrap_failed = fit.get("bootstrap_failed", 0)
    if "loglik_interior" in fit:
        rec.has_interior = 1
        rec.loglik_interior = fit["loglik_interior"]
        if "prefer" in fit:
            rec.prefer = fit["prefer"].encode()[:15]
            rec.loglik_best = fit["loglik_best"]
    return rec


class Model:
    """A Gaussian mixture of experts (libgmoe's gmoe_model).

    Made by gmoe.fit (then `fit` holds the fit object of the model file: loglik, n,
    iterations, status, stop, aic, bic, seconds, nparams, starts, seed; objective and
    loglik_joint for the Gaussian gate; gate_bound and bound_active for a bounded fit;
    loglik_interior, and prefer and loglik_best, of the starts; se_method, se_reason,
    bootstrap_b and bootstrap_failed with standard errors: se, cov, se_names, estimates,
    confint()), gmoe.model (a truth from parameters), Model.load (a model file) or
    Model.from_json. Parameters are read with `params`; `predict`, `save` and gmoe.loglik use
    the library."""

    def __init__(self, ptr, fit=None):
        if ptr == ffi.NULL:
            raise Error("Model: no model")
        self._m = ffi.gc(ptr, lib.gmoe_model_free)
        self.fit = fit
        self._se = None  # a gmoe_se (gmoe.fit with se=..., Model.load of such a file)

    # ------------------------------------------------------------ files and JSON
    @classmethod
    def load(cls, path):
        """Read a model file (JSON, gmoe-formats(5)), with its fit object if it has one and
        its standard errors if `gmoe fit --se` (or gmoe.fit with se=..., saved) wrote them."""
        out = ffi.new("gmoe_model **")
        rec = ffi.new("gmoe_fit_record *")
        has = ffi.new("int *")
        err = new_error()
        cpath = cstr(path, "path", "Model.load")
        check(lib.gmoe_model_read(cpath, out, rec, has, err), err, "Model.load")
        m = cls(out[0], _record_dict(rec) if has[0] else None)
        se = ffi.new("gmoe_se **")
        check(lib.gmoe_se_read(cpath, m._m, se, err), err, "Model.load")
        if se[0] != ffi.NULL:
            m._se = ffi.gc(se[0], lib.gmoe_se_free)
        return m

    @classmethod
    def from_json(cls, text_, name="model"):
        """Parse a model from the text of a model file; name stands for the file in messages.
        Standard errors are read by Model.load only (libgmoe reads them from a file)."""
        if not isinstance(text_, str):
            raise Error(f"Model.from_json: expected a str (got {type(text_).__name__})")
        out = ffi.new("gmoe_model **")
        rec = ffi.new("gmoe_fit_record *")
        has = ffi.new("int *")
        err = new_error()
        check(lib.gmoe_model_parse(text_.encode(), name.encode(), out, rec, has, err), err, "")
        return cls(out[0], _record_dict(rec) if has[0] else None)

    def to_json(self):
        """The model file's text (numbers with 17 significant digits: a round trip is exact)."""
        out = ffi.new("char **")
        err = new_error()
        rec = _record_struct(self.fit, self._se) if self.fit else ffi.NULL
        check(lib.gmoe_model_dumps(self._m, rec, out, err), err, "Model.to_json")
        try:
            return ffi.string(out[0]).decode()
        finally:
            lib.free(out[0])

    def save(self, path):
        """Write the model file (atomically: a temporary file renamed over path)."""
        err = new_error()
        rec = _record_struct(self.fit, self._se) if self.fit else ffi.NULL
        check(lib.gmoe_model_write(cstr(path, "path", "Model.save"), self._m, rec, err), err,
              "Model.save")

    # ------------------------------------------------------------ description
    @property
    def k(self):
        return lib.gmoe_model_k(self._m)

    @property
    def d(self):
        return lib.gmoe_model_d(self._m)

    @property
    def gate(self):
        return text(lib.gmoe_gate_name(lib.gmoe_model_gate(self._m)))

    @property
    def tau(self):
        """tau of the temperature and activation gates, else None."""
        return lib.gmoe_model_tau(self._m) if self.gate in ("temperature", "activation") else None

    @property
    def topk(self):
        """K of the top-K gate, else None."""
        return lib.gmoe_model_topk(self._m) if self.gate == "topk" else None

    @property
    def topk_select(self):
        if self.gate != "topk":
            return None
        return text(lib.gmoe_topk_select_name(lib.gmoe_model_topk_select(self._m)))

    @property
    def activation(self):
        if self.gate != "activation":
            return None
        return text(lib.gmoe_act_name(lib.gmoe_model_act(self._m)))

    @property
    def params(self):
        """The parameters as numpy arrays (copies): beta0 (k), beta1 (k, d), a (k, d), b (k),
        var (k); for the Gaussian gate also pi (k), c (k, d), Gamma (k, d, d); tau for the
        temperature and activation gates. Fitted models are in canonical form."""
        k, d = self.k, self.d
        p = {"beta0": np.empty(k), "beta1": np.empty((k, d)), "a": np.empty((k, d)),
             "b": np.empty(k), "var": np.empty(k)}
        b0, b, v = ffi.new("double *"), ffi.new("double *"), ffi.new("double *")
        for j in range(k):
            lib.gmoe_model_get_expert(self._m, j, b0, dptr(p["beta1"][j]), dptr(p["a"][j]), b, v)
            p["beta0"][j], p["b"][j], p["var"][j] = b0[0], b[0], v[0]
        if self.gate == "gaussian":
            p["pi"], p["c"], p["Gamma"] = np.empty(k), np.empty((k, d)), np.empty((k, d, d))
            pi = ffi.new("double *")
            for j in range(k):
                lib.gmoe_model_get_gauss(self._m, j, pi, dptr(p["c"][j]), dptr(p["Gamma"][j]))
                p["pi"][j] = pi[0]
        if self.tau is not None:
            p["tau"] = self.tau
        return p

    def _fitval(self, key):
        return self.fit.get(key) if self.fit else None

    @property
    def loglik(self):
        """The fit's log-likelihood (None for a model that was not fitted)."""
        return self._fitval("loglik")

    @property
    def status(self):
        """converged | max-iterations | degenerate | gate-divergent (None if not fitted)."""
        return self._fitval("status")

    @property
    def aic(self):
        return self._fitval("aic")

    @property
    def bic(self):
        return self._fitval("bic")

    def __repr__(self):
        s = f"<gmoe.Model: {self.k} experts, {self.gate} gate, d = {self.d}"
        if self.fit:
            s += f", loglik {self.loglik:.6f}, {self.status}"
        return s + ">"

    # ------------------------------------------------------------ standard errors
    def _se_exists(self):
        return self._se is not None and lib.gmoe_se_cov(self._se) != ffi.NULL

    @property
    def se_method(self):
        """"observed", "sandwich" or "bootstrap" when the model carries standard errors
        (gmoe.fit with se=..., or Model.load of a file written by `gmoe fit --se`), else
        None."""
        return None if self._se is None else text(lib.gmoe_se_method_name(
            lib.gmoe_se_get_method(self._se)))

    @property
    def se_reason(self):
        """Why there are no standard errors (the library's sentence), or None."""
        if self._se is None:
            return None
        why = lib.gmoe_se_reason(self._se)
        return None if why == ffi.NULL else text(why)

    @property
    def se_names(self):
        """The names of the free parameters, in the order of se, cov and estimates
        (libgmoe's gmoe_infer_param_name: "beta0_1", "beta1_1[2]", "a_2[1]", "var_2", ...)."""
        if self._se is None:
            return None
        tf = lib.gmoe_se_tau_free(self._se)
        buf = ffi.new("char[]", 96)
        out = []
        for q in range(lib.gmoe_se_nparams(self._se)):
            lib.gmoe_infer_param_name(self._m, tf, q, buf, 96)
            out.append(text(buf))
        return out

    @property
    def estimates(self):
        """The free parameters of the canonical form, in the order of se_names."""
        if self._se is None:
            return None
        theta = np.empty(lib.gmoe_se_nparams(self._se))
        lib.gmoe_infer_pack(self._m, lib.gmoe_se_tau_free(self._se), dptr(theta))
        return theta

    @property
    def cov(self):
        """The covariance matrix of the free parameters ((p, p) array, libgmoe's
        gmoe_se_cov), or None when there are no standard errors (se_reason says why)."""
        if not self._se_exists():
            return None
        p = lib.gmoe_se_nparams(self._se)
        c = lib.gmoe_se_cov(self._se)
        return np.frombuffer(ffi.buffer(c, p * p * 8), dtype=np.float64).reshape(p, p).copy()

    @property
    def se(self):
        """The standard errors of the free parameters (sqrt of cov's diagonal, in the order
        of se_names), or None."""
        c = self.cov
        return None if c is None else np.sqrt(np.diag(c))

    def confint(self, level=0.95):
        """Wald intervals estimate -+ z SE of the free parameters ((p, 2) array), or None
        without standard errors; z is the standard normal's (1 + level) / 2 quantile."""
        if not 0 < level < 1:
            raise Error(f"Model.confint: level must lie strictly between 0 and 1 (got {level})")
        se = self.se
        if se is None:
            return None
        from statistics import NormalDist
        z = NormalDist().inv_cdf((1 + level) / 2)
        est = self.estimates
        return np.column_stack((est - z * se, est + z * se))

    # ------------------------------------------------------------ predictions
    def predict(self, X, y=None, output="mean", *, sd=False, quantiles=None, se=False):
        """Predictions at the rows of X (n, d) (libgmoe's gmoe_model_predict).

        output: "mean" (E[y | x], n values; the default), "gate" (gate weights, (n, k)),
        "posterior" (posterior probabilities of the experts given (x, y), (n, k); needs y),
        "logdens" (log p(y | x), n values; needs y), or "all": a dict of those available.
        With sd=True (the predictive standard deviation sqrt(Var[y | x]),
        gmoe_model_predict_sd), quantiles=[p1, ...] (the predictive quantiles, (n, len(p)),
        gmoe_model_predict_quantiles; every p strictly between 0 and 1) or se=True (the
        delta-method standard error of the predictive mean, gmoe_se_predict; needs standard
        errors: gmoe.fit with se=..., or a file of `gmoe fit --se`; NaN where there are none)
        the result is a dict: output's entry (every entry for "all") and "sd", "quantiles",
        "se_mean" as asked. The numbers are those of `gmoe predict --columns ... --se`."""
        ctx = "Model.predict"
        if output not in _PREDICT:
            raise Error(f"{ctx}: output must be one of {', '.join(_PREDICT)} (got {output!r})")
        if output in ("posterior", "logdens") and y is None:
            raise Error(f"{ctx}: output={output!r} needs y")
        if se and self._se is None:
            raise Error(f"{ctx}: se=True needs standard errors: fit with se=\"observed\" "
                        "(or sandwich, bootstrap), or load a file written by gmoe fit --se")
        probs = None
        if quantiles is not None:
            try:
                probs = np.array(quantiles, dtype=np.float64).ravel()
            except (TypeError, ValueError):
                raise Error(f"{ctx}: quantiles must be a list of numbers") from None
            if probs.size == 0:
                raise Error(f"{ctx}: quantiles must not be empty")
        data = Data(X, y, ctx, d=self.d)
        n, k = data.n, self.k
        gate, mean = np.empty((n, k)), np.empty(n)
        post = np.empty((n, k)) if y is not None else None
        logd = np.empty(n) if y is not None else None
        err = new_error()
        null = ffi.NULL
        check(lib.gmoe_model_predict(self._m, data.ptr, dptr(gate),
                                     dptr(post) if post is not None else null, dptr(mean),
                                     dptr(logd) if logd is not None else null, err), err, ctx)
        out = {"mean": mean, "gate": gate}
        if y is not None:
            out["posterior"], out["logdens"] = post, logd
        if not (sd or probs is not None or se):
            return out if output == "all" else out[output]
        res = out if output == "all" else {output: out[output]}
        if sd:
            res["sd"] = np.empty(n)
            check(lib.gmoe_model_predict_sd(self._m, data.ptr, dptr(res["sd"]), err), err, ctx)
        if probs is not None:
            res["quantiles"] = np.empty((n, probs.size))
            check(lib.gmoe_model_predict_quantiles(self._m, data.ptr, dptr(probs), probs.size,
                                                   dptr(res["quantiles"]), err), err, ctx)
        if se:
            res["se_mean"] = np.empty(n)
            check(lib.gmoe_se_predict(self._se, self._m, data.ptr, null, dptr(res["se_mean"]),
                                      err), err, ctx)
        return res


def _number(v, where):
    """A finite number for the model text (JSON has no NaN)."""
    if isinstance(v, bool):
        raise Error(f"gmoe.model: {where}: expected a number (got a bool)")
    try:
        f = float(v)
    except (TypeError, ValueError):
        raise Error(f"gmoe.model: {where}: expected a number (got {v!r})") from None
    if not math.isfinite(f):
        raise Error(f"gmoe.model: {where}: not finite ({f})")
    return f


def _numbers(v, where):
    arr = np.atleast_1d(np.asarray(v, dtype=object))
    if arr.ndim != 1:
        raise Error(f"gmoe.model: {where}: expected a list of numbers")
    return [_number(x, f"{where}[{i}]") for i, x in enumerate(arr)]


def _expert(e, j):
    if not isinstance(e, dict):
        raise Error(f"gmoe.model: experts[{j}]: expected a dict (got {type(e).__name__})")
    out = {}
    for key, val in e.items():
        where = f"experts[{j}].{key}"
        if key in ("beta1", "a", "c"):
            out[key] = _numbers(val, where)
        elif key == "Gamma":
            rows = np.asarray(val, dtype=object)
            if rows.ndim != 2:
                raise Error(f"gmoe.model: {where}: expected d rows of d numbers")
            out[key] = [_numbers(r, f"{where}[{t}]") for t, r in enumerate(rows)]
        else:
            out[key] = _number(val, where)
    return out


def model(experts, gate="softmax", **family):
    """Build a model (a truth to simulate from) from its parameters.

    experts: a list of dicts with the keys of a model file's experts: beta0, beta1 (d
    numbers), a (d numbers), b, and var (or sd); the Gaussian gate takes pi, c and Gamma.
    family: the gate's own keys, as in model files: topk and topk_select (topk), tau
    (temperature, activation), activation (tanh | sigmoid). libgmoe reads the result as it
    reads a model file, so a missing or bad value gets its message ("model: experts[1].var:
    must be > 0 (got -1)")."""
    if isinstance(experts, dict) or not hasattr(experts, "__iter__"):
        raise Error("gmoe.model: experts must be a list of dicts, one per expert")
    doc = {"gmoe_model": 1, "gate": gate}
    for key, val in family.items():
        if key in ("tau",):
            val = _number(val, key)
        elif (key == "topk" and isinstance(val, numbers.Real) and not isinstance(val, bool)
              and float(val).is_integer()):
            val = int(val)
        doc[key] = val
    doc["experts"] = [_expert(e, j) for j, e in enumerate(experts)]
    return Model.from_json(json.dumps(doc), "model")
