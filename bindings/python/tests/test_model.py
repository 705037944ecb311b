"""Models, files, simulation, log-likelihood and predictions: the bindings against the gmoe
command-line tool (same bytes) and against the formulas of MODELS.md computed here."""
import json
import os

import numpy as np
import pytest

import gmoe
from conftest import read_csv, write_csv


def softmax_loglik(p, X, y):
    """log p(y | x) summed, straight from MODELS.md section 2 (softmax gate), in numpy."""
    s = X @ p["beta1"].T + p["beta0"]
    g = np.exp(s - s.max(axis=1, keepdims=True))
    g /= g.sum(axis=1, keepdims=True)
    mu = X @ p["a"].T + p["b"]
    dens = np.exp(-(y[:, None] - mu) ** 2 / (2 * p["var"])) / np.sqrt(2 * np.pi * p["var"])
    return float(np.log((g * dens).sum(axis=1)).sum()), g, mu


def test_load_params(truth_path):
    m = gmoe.Model.load(truth_path)
    assert (m.k, m.d, m.gate) == (2, 1, "softmax")
    assert m.fit is None and m.loglik is None and m.status is None
    p = m.params
    assert p["beta0"].tolist() == [-8, 0] and p["beta1"].tolist() == [[25], [0]]
    assert p["a"].tolist() == [[-20], [20]] and p["b"].tolist() == [15, -5]
    assert p["var"].tolist() == [0.09, 0.16]


def test_model_builder_equals_file(truth_path):
    built = gmoe.model([
        {"beta0": -8, "beta1": [25], "a": [-20], "b": 15, "sd": 0.3},
        {"beta0": 0, "beta1": [0], "a": [20], "b": -5, "var": 0.16},
    ])
    loaded = gmoe.Model.load(truth_path)
    for key, v in loaded.params.items():
        np.testing.assert_allclose(built.params[key], v, rtol=1e-15)
    t = gmoe.model([{"beta0": 1, "beta1": [2, 3], "a": [0, 1], "b": 0, "var": 1},
                    {"beta0": 0, "beta1": [0, 0], "a": [1, 0], "b": 1, "var": 2}],
                   gate="temperature", tau=0.5)
    assert t.gate == "temperature" and t.tau == 0.5 and t.d == 2
    k = gmoe.model([{"beta0": 0, "beta1": [1], "a": [1], "b": 0, "var": 1}] * 3, gate="topk",
                   topk=2, topk_select="score")
    assert (k.topk, k.topk_select) == (2, "score")


def test_save_load_roundtrip(tmp_path, truth_path):
    m = gmoe.Model.load(truth_path)
    X, y = gmoe.simulate(m, 400, seed=3)
    f = gmoe.fit(X, y, 2, starts=2, seed=5)
    path = tmp_path / "fit.json"
    f.save(path)
    g = gmoe.Model.load(path)
    assert g.fit == f.fit
    for key, v in f.params.items():
        assert np.array_equal(g.params[key], v)  # 17 digits: exact
    assert g.to_json() == f.to_json() == path.read_text()
    assert json.loads(f.to_json())["fit"]["status"] == f.status


def test_simulate_same_bytes_as_cli(tmp_path, cli, truth_path):
    for design, extra, kw in [("uniform", [], {}), ("grid", ["--lo", -1, "--hi", 2],
                                                     {"lo": -1, "hi": 2}),
                              ("normal", ["--mean", 0.5, "--sd", 2], {"mean": 0.5, "sd": 2})]:
        out = tmp_path / f"{design}.csv"
        cli("simulate", "--model", truth_path, "-n", 300, "--seed", 11, "--design", design,
            *extra, "-o", out)
        X, y = gmoe.simulate(gmoe.Model.load(truth_path), 300, seed=11, design=design, **kw)
        names, ref = read_csv(out)
        assert names == ["x1", "y"]
        assert np.array_equal(X[:, 0], ref[:, 0]) and np.array_equal(y, ref[:, 1]), design


def test_loglik_cli_and_formula(tmp_path, cli, truth_path):
    m = gmoe.Model.load(truth_path)
    X, y = gmoe.simulate(m, 500, seed=2)
    ll = gmoe.loglik(m, X, y)
    direct, _, _ = softmax_loglik(m.params, X, y)
    assert ll == pytest.approx(direct, rel=1e-12)
    path = tmp_path / "d.csv"
    write_csv(path, X, y)
    assert ll == float(cli("loglik", "--model", truth_path, path))


def test_d2_layouts_and_dtypes(tmp_path, cli):
    """Covariate order survives every layout: a d = 2 model whose covariates play different
    parts, data as C and Fortran arrays, strided views, lists, float32 and int values."""
    m = gmoe.model([{"beta0": 0.5, "beta1": [2, -1], "a": [1, 3], "b": 0, "var": 0.5},
                    {"beta0": 0, "beta1": [0, 0], "a": [-2, 0.5], "b": 1, "var": 0.25}])
    X, y = gmoe.simulate(m, 200, seed=9, lo=-1, hi=1)
    X = np.round(X * 64) / 64  # exact in float32 and in small integers times 1/64
    y = np.round(y * 64) / 64
    ref = gmoe.loglik(m, X, y)
    direct, _, _ = softmax_loglik(m.params, X, y)
    assert ref == pytest.approx(direct, rel=1e-12)
    wide = np.zeros((200, 5))
    wide[:, 1], wide[:, 3] = X[:, 0], X[:, 1]
    for Xv in (np.asfortranarray(X), wide[:, 1::2], X.astype(np.float32), X.tolist()):
        assert gmoe.loglik(m, Xv, y) == ref
    assert gmoe.loglik(m, X, y.astype(np.float32)) == ref
    assert gmoe.loglik(m, X, y[:, None]) == ref
    Xi = (X * 64).astype(np.int64)
    mi = gmoe.model([{"beta0": 0.5, "beta1": [2 / 64, -1 / 64], "a": [1 / 64, 3 / 64], "b": 0,
                      "var": 0.5},
                     {"beta0": 0, "beta1": [0, 0], "a": [-2 / 64, 0.5 / 64], "b": 1,
                      "var": 0.25}])
    assert gmoe.loglik(mi, Xi, y) == pytest.approx(ref, rel=1e-13)
    path = tmp_path / "d2.csv"
    write_csv(path, X, y)
    assert ref == float(cli("loglik", "--model", _save(tmp_path, m), path))


def _save(tmp_path, m):
    p = tmp_path / "m.json"
    m.save(p)
    return p


def test_predict_cli_and_formula(tmp_path, cli, truth_path):
    m = gmoe.Model.load(truth_path)
    X, y = gmoe.simulate(m, 50, seed=4)
    out = m.predict(X, y, output="all")
    _, g, mu = softmax_loglik(m.params, X, y)
    np.testing.assert_allclose(out["gate"], g, rtol=1e-12, atol=1e-300)
    np.testing.assert_allclose(out["mean"], (g * mu).sum(axis=1), rtol=1e-12, atol=1e-12)
    assert np.array_equal(m.predict(X), out["mean"])
    assert np.array_equal(m.predict(X, output="gate"), out["gate"])
    np.testing.assert_allclose(out["posterior"].sum(axis=1), 1, rtol=1e-14)
    data = tmp_path / "d.csv"
    write_csv(data, X, y)
    pred = tmp_path / "pred.csv"
    cli("predict", "-o", pred, truth_path, data)
    names, ref = read_csv(pred)
    col = {n: ref[:, i] for i, n in enumerate(names)}
    for j in range(2):
        assert np.array_equal(out["gate"][:, j], col[f"g{j + 1}"])
        assert np.array_equal(out["posterior"][:, j], col[f"post{j + 1}"])
    assert np.array_equal(out["mean"], col["mean"])
    assert np.array_equal(out["logdens"], col["logdens"])
