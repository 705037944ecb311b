"""gmoe.fit against `gmoe fit --json`: the same seed and options give the same numbers, bit
for bit; AIC and BIC from their definitions."""
import json
import math
import os

import numpy as np
import pytest

import gmoe
from conftest import write_csv


def assert_same_fit(f, ref):
    """A Model equal, to the last bit, to a model file's parsed JSON."""
    assert f.gate == ref["gate"]
    for j, e in enumerate(ref["experts"]):
        p = f.params
        if "beta0" in e:
            assert p["beta0"][j] == e["beta0"] and p["beta1"][j].tolist() == e["beta1"]
        assert p["a"][j].tolist() == e["a"] and p["b"][j] == e["b"] and p["var"][j] == e["var"]
        if "pi" in e:
            assert p["pi"][j] == e["pi"] and p["c"][j].tolist() == e["c"]
            assert p["Gamma"][j].tolist() == e["Gamma"]
    for key in ("loglik", "n", "iterations", "status", "stop", "aic", "bic", "nparams",
                "starts", "seed"):
        assert f.fit[key] == ref["fit"][key], key
    if "tau" in ref:
        assert f.tau == ref["tau"]


@pytest.mark.parametrize("gate,opts,cli_opts", [
    ("softmax", {}, []),
    ("softmax", {"init": "random", "stop": "relative", "tol": 1e-7, "accel": False,
                 "var_floor": 1e-4, "max_iter": 300},
     ["--init", "random", "--stop", "relative", "--tol", "1e-7", "--no-accel", "--var-floor",
      "1e-4", "--max-iter", "300"]),
    ("topk", {"topk": 2, "topk_select": "score"}, ["--topk", "2", "--topk-select", "score"]),
    ("softmax", {"accel": "qn"}, ["--accel", "qn"]),
    ("softmax", {"accel": "none"}, ["--accel", "none"]),
    ("temperature", {"tau": 0.5}, ["--tau", "0.5"]),
    ("activation", {"activation": "sigmoid", "tau": 2, "fix_tau": True},
     ["--act", "sigmoid", "--tau", "2", "--fix-tau"]),
    ("sigmoid", {}, []),
    ("gaussian", {}, []),
])
def test_fit_same_as_cli(tmp_path, cli, truth_path, gate, opts, cli_opts):
    X, y = gmoe.simulate(gmoe.Model.load(truth_path), 600, seed=21)
    data = tmp_path / "d.csv"
    write_csv(data, X, y)
    k = 3 if gate == "topk" else 2
    f = gmoe.fit(X, y, k, gate=gate, starts=3, seed=8, **opts)
    ref = json.loads(cli("fit", "-k", k, "--gate", gate, "--starts", 3, "--seed", 8, *cli_opts,
                         "--json", data))
    assert_same_fit(f, ref)
    if gate == "gaussian":
        assert f.fit["objective"] == "joint"
        assert f.fit["loglik_joint"] == ref["fit"]["loglik_joint"]


def test_fit_d2_columns_and_criteria(tmp_path, cli):
    """d = 2 with named columns in another order in the file: --x picks them in X's order."""
    m = gmoe.model([{"beta0": 1, "beta1": [3, -2], "a": [1, 2], "b": 0, "var": 0.3},
                    {"beta0": 0, "beta1": [0, 0], "a": [-1, 0.5], "b": 2, "var": 0.2}])
    X, y = gmoe.simulate(m, 800, seed=13, lo=-1, hi=1)
    data = tmp_path / "d.csv"
    write_csv(data, np.column_stack([X[:, 1], X[:, 0]]), y, ["v", "u", "resp"])
    f = gmoe.fit(X, y, 2, starts=4, seed=3)
    ref = json.loads(cli("fit", "-k", 2, "--starts", 4, "--seed", 3, "--y", "resp", "--x",
                         "u,v", "--json", data))
    assert_same_fit(f, ref)
    p = f.fit["nparams"]
    assert p == 2 * (2 + 2) + 1 * (2 + 1)  # experts k(d + 2), gate (k - 1)(d + 1)
    assert f.aic == pytest.approx(-2 * f.loglik + 2 * p, rel=1e-15)
    assert f.bic == pytest.approx(-2 * f.loglik + p * math.log(800), rel=1e-15)
    # The fit reports the last E-step's l (vectorised exp, lib/vmath.h, about 1 ulp), gmoe.loglik
    # sums with libm: the same number up to the rounding of 800 terms.
    assert f.loglik == pytest.approx(gmoe.loglik(f, X, y), rel=1e-14)


def test_near_true_and_threads(tmp_path, cli, truth_path):
    truth = gmoe.Model.load(truth_path)
    X, y = gmoe.simulate(truth, 1000, seed=5, design="grid")
    f1 = gmoe.fit(X, y, 3, starts=3, seed=2, init="near-true", truth=truth, threads=1)
    f2 = gmoe.fit(X, y, 3, starts=3, seed=2, init="near-true", truth=truth, threads=2)
    assert f1.to_json().split('"seconds"')[0] == f2.to_json().split('"seconds"')[0]
    data = tmp_path / "d.csv"
    write_csv(data, X, y)
    ref = json.loads(cli("fit", "-k", 3, "--starts", 3, "--seed", 2, "--init", "near-true",
                         "--truth", truth_path, "--json", data))
    assert_same_fit(f1, ref)


def test_evaluate_same_as_cli(tmp_path, cli, truth_path):
    truth = gmoe.Model.load(truth_path)
    X, y = gmoe.simulate(truth, 2000, seed=17)
    for k in (2, 3):
        f = gmoe.fit(X, y, k, starts=3, seed=1)
        fp = tmp_path / f"fit{k}.json"
        f.save(fp)
        for kw, opts in [({}, []), ({"design": "grid", "lo": 0, "hi": 1},
                                    ["--design", "grid"]),
                         ({"pinned": True, "loss": "d2"}, ["--pinned", "--loss", "d2"])]:
            got = gmoe.evaluate(f, truth, **kw)
            ref = json.loads(cli("eval", "--truth", truth_path, *opts, "--json", fp))
            assert got == ref, (k, kw)
    # d = 2: Monte Carlo over x with the seed
    m = gmoe.model([{"beta0": 1, "beta1": [3, -2], "a": [1, 2], "b": 0, "var": 0.3},
                    {"beta0": 0, "beta1": [0, 0], "a": [-1, 0.5], "b": 2, "var": 0.2}])
    mp = tmp_path / "m.json"
    m.save(mp)
    X, y = gmoe.simulate(m, 500, seed=1)
    f = gmoe.fit(X, y, 2, starts=2, seed=1)
    fp = tmp_path / "f.json"
    f.save(fp)
    got = gmoe.evaluate(f, m, design="normal", sd=0.5, samples=300, seed=4)
    ref = json.loads(cli("eval", "--truth", mp, "--design", "normal", "--sd", 0.5,
                         "--samples", 300, "--seed", 4, "--json", fp))
    assert got == ref and got["distances_method"] == "monte-carlo"
