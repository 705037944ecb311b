"""gmoe.sweep, gmoe.read_results and gmoe.rate: convergence-rate sweeps, their results files
and the rates estimated from them (libgmoe's gmoe_sweep_run, gmoe_results_read and
gmoe_rate_estimate; `gmoe sweep`, `gmoe rate --json`)."""
import csv
import os
import warnings

import numpy as np

from ._core import Error, check, count, cstr, dptr, new_error, seed_value, text
from ._ffi import ffi, lib


def sweep(config, threads=None, output=None):
    """Run the sweep that the config file describes (gmoe-formats(5)), resuming its results
    file if it exists, and return the results as read_results does. threads: worker threads
    (None: the config's, else every core; the rows do not depend on it); output: another
    results file than the config's."""
    ctx = "sweep"
    sw = ffi.new("gmoe_sweep **")
    err = new_error()
    check(lib.gmoe_sweep_load(cstr(config, "config", ctx), sw, err), err, ctx)
    sw = ffi.gc(sw[0], lib.gmoe_sweep_free)
    opt = lib.gmoe_sweep_default_options()
    if threads is not None:
        opt.threads = count(threads, "threads", ctx)
        if opt.threads > 4096:
            raise Error(f"{ctx}: threads must be at most 4096")
    keep = []
    if output is not None:
        keep.append(ffi.new("char[]", cstr(output, "output", ctx)))
        opt.output = keep[-1]
    keep.append(ffi.new("char[]", f"python gmoe.sweep({os.fsdecode(config)!r})".encode()))
    opt.command = keep[-1]
    summary = ffi.new("gmoe_sweep_summary *")
    check(lib.gmoe_sweep_run(sw, ffi.addressof(opt), ffi.NULL, ffi.NULL, summary, err), err, ctx)
    path = os.fsdecode(output) if output is not None else text(lib.gmoe_sweep_output(sw))
    return read_results(path)


def _status(path, n, rep):
    """The status column's text, in the library's row order (sorted by (n, rep), ties in file
    order): the library reads it as NaN, being text."""
    with open(path, newline="") as fh:
        rows = [r for r in csv.reader(line for line in fh if not line.startswith("#")) if r]
    header, rows = rows[0], rows[1:]
    if "status" not in header:
        return None
    js, jn, jr = header.index("status"), header.index("n"), header.index("rep")
    keyed = sorted(range(len(rows)), key=lambda i: (float(rows[i][jn]), float(rows[i][jr])))
    status = np.array([rows[i][js] for i in keyed], dtype=object)
    if len(status) != len(n):
        return None
    return status


class Results(dict):
    """A sweep's results: a dict of numpy arrays, one per column in file order, rows sorted
    by (n, rep) (`status` holds strings), with `metrics` (the metric columns), `theory`
    (metric -> the slope of its `# theory:` line) and `path`."""

    def __init__(self, columns, metrics, theory, path):
        super().__init__(columns)
        self.metrics, self.theory, self.path = metrics, theory, path


def read_results(path, ctx="read_results"):
    """Read a sweep's results file (gmoe_results_read) into a Results dict."""
    out = ffi.new("gmoe_results **")
    err = new_error()
    check(lib.gmoe_results_read(cstr(path, "path", ctx), out, err), err, ctx)
    res = ffi.gc(out[0], lib.gmoe_results_free)
    rows, cols = lib.gmoe_results_nrows(res), lib.gmoe_results_ncols(res)
    table, metrics, theory = {}, [], {}
    slope = ffi.new("double *")
    for j in range(cols):
        name = text(lib.gmoe_results_colname(res, j))
        table[name] = np.frombuffer(ffi.buffer(lib.gmoe_results_column(res, j), rows * 8),
                                    dtype=np.float64).copy()
        if lib.gmoe_results_is_metric(res, j):
            metrics.append(name)
            if lib.gmoe_results_theory(res, name.encode(), slope):
                theory[name] = slope[0]
    if "status" in table:
        status = _status(os.fsdecode(path), table["n"], table["rep"])
        if status is not None:
            table["status"] = status
    return Results(table, metrics, theory, os.fsdecode(path))


def _jnum(v):
    return float(v) if np.isfinite(v) else None


def _rate_dict(r, p, theory, error=None):
    trimmed = [{"trim": t.trim, "slope": _jnum(t.slope), "points": t.points,
                "n_min": _jnum(t.n_min), "se": _jnum(t.se)} for t in r.trimmed[0:r.ntrimmed]]
    groups = [{"n": g.n, "count": g.count, "mean": _jnum(g.mean), "median": _jnum(g.median),
               "sd": _jnum(g.sd), "q10": _jnum(g.q10), "q90": _jnum(g.q90),
               "used": bool(g.used)} for g in (r.groups[i] for i in range(r.ngroups))]
    return {"slope": _jnum(r.slope), "ci": [_jnum(r.ci[0]), _jnum(r.ci[1])],
            "slope_median": _jnum(r.slope_median), "n_min": _jnum(r.n_min),
            "n_max": _jnum(r.n_max), "intercept": _jnum(r.intercept), "se": _jnum(r.se),
            "ci_ols": [_jnum(r.ci_ols[0]), _jnum(r.ci_ols[1])],
            "intercept_median": _jnum(r.intercept_median), "points": r.points, "rows": r.rows,
            "skipped": r.skipped, "nonpositive": r.nonpositive,
            "points_median": r.points_median, "trimmed": trimmed, "theory": _jnum(theory),
            "level": p.level, "bootstrap": p.bootstrap, "boot_used": r.boot_used,
            "seed": p.seed, "groups": groups, "error": error}


def _no_estimate(p, theory, why):
    """A metric without an estimate, as `gmoe rate --json` reports it."""
    nan = float("nan")
    r = ffi.new("gmoe_rate_result *")
    for key in ("slope", "intercept", "se", "slope_median", "intercept_median", "n_min",
                "n_max"):
        setattr(r, key, nan)
    r.ci = [nan, nan]
    r.ci_ols = [nan, nan]
    return _rate_dict(r, p, theory, why)


def rate(results, metrics=None, trim=0, bootstrap=None, seed=1):
    """Convergence rates of a sweep's metrics (libgmoe's gmoe_rate_estimate, as `gmoe rate
    --json`): a dict with one entry per metric, each with slope, ci (bootstrap, 95 %),
    slope_median, n_min, n_max, points, theory, the OLS se and interval, trimmed slopes,
    per-size groups and error. results: a results file, or the Results that read_results and
    sweep return. metrics: names (default every metric column); trim: also the slope without
    the trim smallest sizes; bootstrap: resamples (None: libgmoe's default, 0: none).

    As `gmoe rate`: a metric named in metrics must have an estimate (else gmoe.Error); of the
    default, one without (a column of failed tasks) is kept with its reason in "error" and a
    warning, "identically 0" without a warning, unless no metric has an estimate."""
    ctx = "rate"
    p = lib.gmoe_rate_default_parameters()
    p.trim = count(trim, "trim", ctx, minimum=0)
    if bootstrap is not None:
        p.bootstrap = count(bootstrap, "bootstrap", ctx, minimum=0)
    p.seed = seed_value(seed, ctx)
    table = results if isinstance(results, Results) else read_results(results, ctx)
    names = table.metrics
    if metrics is not None:
        metrics = [metrics] if isinstance(metrics, str) else list(metrics)
        for m in metrics:
            if m not in names:
                raise Error(f"{ctx}: no metric named {m!r}")
        names = metrics
    n = np.ascontiguousarray(table["n"], dtype=np.float64)
    answer, failed = {}, []
    for name in names:
        v = np.ascontiguousarray(table[name], dtype=np.float64)
        theory = table.theory.get(name, float("nan"))
        r = ffi.new("gmoe_rate_result *")
        err = new_error()
        if lib.gmoe_rate_estimate(dptr(n), dptr(v), n.size, ffi.addressof(p), r, err) == 0:
            try:
                answer[name] = _rate_dict(r, p, theory)
            finally:
                lib.gmoe_rate_result_free(r)
            continue
        why = text(err.msg)
        if metrics is not None or err.code == lib.GMOE_ENOMEM:
            raise Error(f"{ctx}: metric {name!r}: {why}", err.code)
        # A column of zeros is no failure: the reference expert's gate errors are 0 by
        # construction of the translation infimum.
        finite = v[np.isfinite(v)]
        zero = finite.size > 0 and not finite.any()
        answer[name] = _no_estimate(p, theory, "identically 0" if zero else why)
        if not zero:
            failed.append((name, why))
    if failed and all(a["error"] is not None for a in answer.values()):
        raise Error(f"{ctx}: metric {failed[0][0]!r}: {failed[0][1]}")
    for name, why in failed:
        warnings.warn(f"{ctx}: metric {name!r} has no estimate: {why}")
    return answer
