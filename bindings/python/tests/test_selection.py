"""gmoe.dendrogram: the DSC from its definition, level loglikelihoods, an exact merge."""
import json
import math

import numpy as np
import pytest

import gmoe
from conftest import write_csv


def test_dsc_definition_and_levels(truth_path):
    truth = gmoe.Model.load(truth_path)
    X, y = gmoe.simulate(truth, 1500, seed=4)
    fit = gmoe.fit(X, y, 4, starts=4, seed=2)
    dg = gmoe.dendrogram(fit, X, y)
    levels = dg["levels"]
    assert [lv["k"] for lv in levels] == [4, 3, 2, 1]
    assert dg["omega"] == pytest.approx(math.log(1500), rel=1e-15)
    top = levels[0]["model"]
    for key, v in fit.params.items():
        np.testing.assert_allclose(top.params[key], v, rtol=1e-12, atol=1e-12)
    for lv in levels:
        assert lv["loglik"] == pytest.approx(gmoe.loglik(lv["model"], X, y), rel=1e-12)
        assert lv["model"].k == lv["k"] and sum(lv["mass"]) == pytest.approx(1, rel=1e-12)
        if lv["k"] == 1:
            assert lv["height"] is None and lv["dsc"] is None and lv["merged"] is None
        else:
            want = -(lv["height"] + dg["omega"] * lv["loglik"] / 1500)
            assert lv["dsc"] == pytest.approx(want, rel=1e-12)
            assert 0 <= lv["merged"][0] < lv["merged"][1] < lv["k"]
    best = min((lv for lv in levels if lv["dsc"] is not None), key=lambda lv: (lv["dsc"], lv["k"]))
    assert dg["chosen"] == best["k"]


def test_identical_experts_merge_exactly():
    """Two copies of one expert sharing its gate mass merge at height 0 into the original."""
    p = 0.3
    two = gmoe.model([{"beta0": math.log(p), "beta1": [4], "a": [1], "b": 0, "var": 0.5},
                      {"beta0": math.log(1 - p), "beta1": [0], "a": [-1], "b": 2, "var": 0.2}])
    half = math.log(p / 2)
    three = gmoe.model([{"beta0": half, "beta1": [4], "a": [1], "b": 0, "var": 0.5},
                        {"beta0": half, "beta1": [4], "a": [1], "b": 0, "var": 0.5},
                        {"beta0": math.log(1 - p), "beta1": [0], "a": [-1], "b": 2,
                         "var": 0.2}])
    X, y = gmoe.simulate(two, 500, seed=3, lo=-1, hi=1)
    dg = gmoe.dendrogram(three, X, y, mass="intercept")
    lv2 = dg["levels"][1]
    assert dg["levels"][0]["merged"] == [0, 1]
    assert dg["levels"][0]["height"] == pytest.approx(0, abs=1e-15)
    assert lv2["loglik"] == pytest.approx(gmoe.loglik(two, X, y), rel=1e-13)
    np.testing.assert_allclose(lv2["mass"], [p, 1 - p], rtol=1e-13)


def test_dendrogram_errors(truth_path):
    truth = gmoe.Model.load(truth_path)
    X, y = gmoe.simulate(truth, 50, seed=1)
    with pytest.raises(gmoe.Error, match="dendrogram: mass must be one of gate, intercept"):
        gmoe.dendrogram(truth, X, y, mass="weight")
    with pytest.raises(gmoe.Error, match="dendrogram: X has 2 columns but the model has d = 1"):
        gmoe.dendrogram(truth, np.column_stack([X, X]), y)
    with pytest.raises(gmoe.Error, match="dendrogram: observation 2: y = nan is not finite"):
        gmoe.dendrogram(truth, X, np.where(np.arange(50) == 1, np.nan, y))


def test_select_same_as_cli(tmp_path, cli, truth_path):
    truth = gmoe.Model.load(truth_path)
    X, y = gmoe.simulate(truth, 800, seed=6)
    data = tmp_path / "d.csv"
    write_csv(data, X, y)
    for kw, opts in [({}, []), ({"kmin": 2, "mass": "intercept", "dsc": "rescaled",
                                 "init": "random", "tol": 1e-7},
                                ["--kmin", 2, "--mass", "intercept", "--dsc", "rescaled",
                                 "--init", "random", "--tol", "1e-7"]),
                     ({"accel": "qn", "gate_bound": 5}, ["--accel", "qn", "--gate-bound", 5])]:
        got = gmoe.select(X, y, 3, starts=3, seed=4, **kw)
        ref = json.loads(cli("select", "-k", 3, "--starts", 3, "--seed", 4, *opts, "--json",
                             data))
        models = got.pop("models")
        for f in got["fits"] + ref["fits"]:
            f.pop("seconds")
        assert got == ref, kw
        for f in got["fits"]:  # each k's fit is gmoe fit's
            one = gmoe.fit(X, y, f["k"], starts=3, seed=4, init=kw.get("init", "data"),
                           tol=kw.get("tol", 1e-6),  # select's default tolerance
                           accel=kw.get("accel", True), gate_bound=kw.get("gate_bound"))
            assert models[f["k"]].params["b"].tolist() == one.params["b"].tolist()
            # the criteria recompute the log-likelihood at the fit (the last bits may differ)
            assert f["loglik"] == pytest.approx(one.loglik, rel=1e-13)


def test_gate_bound_same_as_cli(tmp_path, cli, truth_path):
    truth = gmoe.Model.load(truth_path)
    X, y = gmoe.simulate(truth, 600, seed=9)
    data = tmp_path / "d.csv"
    write_csv(data, X, y)
    f = gmoe.fit(X, y, 3, starts=3, seed=2, gate_bound=5)
    ref = json.loads(cli("fit", "-k", 3, "--starts", 3, "--seed", 2, "--gate-bound", 5,
                         "--json", data))
    assert f.fit["gate_bound"] == ref["fit"]["gate_bound"] == 5
    assert f.fit["bound_active"] == ref["fit"]["bound_active"]
    assert f.params["beta1"].tolist() == [e["beta1"] for e in ref["experts"]]
    assert np.all(np.abs(f.params["beta1"]) <= 5) and np.all(np.abs(f.params["beta0"]) <= 5)
    path = tmp_path / "f.json"
    f.save(path)
    assert gmoe.Model.load(path).fit == f.fit
    with pytest.raises(gmoe.Error, match="gate_bound does not apply to gate='gaussian'"):
        gmoe.fit(X, y, 2, gate="gaussian", gate_bound=5)
