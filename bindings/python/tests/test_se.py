"""Standard errors, predictive sd and quantiles, the interior start: gmoe.fit(se=...) and
Model.predict(sd=, quantiles=, se=) against `gmoe fit --se --json` and `gmoe predict --columns
... --se`, to the last bit."""
import json
import math

import numpy as np
import pytest

import gmoe
from conftest import read_csv, write_csv


def _sim(tmp_path, truth_path, n=400, seed=21):
    X, y = gmoe.simulate(gmoe.Model.load(truth_path), n, seed=seed)
    data = tmp_path / "d.csv"
    write_csv(data, X, y)
    return X, y, data


@pytest.mark.parametrize("gate,method,opts,cli_opts", [
    ("softmax", "observed", {}, []),
    ("softmax", "sandwich", {}, []),
    ("softmax", "bootstrap", {"bootstrap": 12}, ["--bootstrap", "12"]),
    ("sigmoid", "observed", {}, []),
    ("gaussian", "observed", {}, []),
    ("temperature", "observed", {"tau": 0.5, "fix_tau": True}, ["--tau", "0.5", "--fix-tau"]),
])
def test_se_same_as_cli(tmp_path, cli, truth_path, gate, method, opts, cli_opts):
    X, y, data = _sim(tmp_path, truth_path)
    f = gmoe.fit(X, y, 2, gate=gate, starts=3, seed=8, se=method, threads=1, **opts)
    ref = json.loads(cli("fit", "-k", 2, "--gate", gate, "--starts", 3, "--seed", 8,
                         "--threads", 1, "--se", method, *cli_opts, "--json", data))
    assert f.loglik == ref["fit"]["loglik"]
    assert f.se_method == method == ref["fit"]["se_method"] == f.fit["se_method"]
    assert f.se_reason is None and "se_reason" not in ref["fit"]
    assert f.se_names == ref["fit"]["se_params"]
    cov = np.array(ref["fit"]["se_cov"])
    assert np.array_equal(f.cov, cov)
    assert f.se.tolist() == np.sqrt(np.diag(cov)).tolist()
    # the per-expert SEs of the file are the same numbers, named by field
    for j, e in enumerate(ref["experts"]):
        for q, name in enumerate(f.se_names):
            if name == f"b_{j + 1}":
                assert f.se[q] == e["se"]["b"]
            if name == f"var_{j + 1}":
                assert f.se[q] == e["se"]["var"]
    ci = f.confint(0.95)
    est = f.estimates
    assert np.allclose(ci[:, 0], est - 1.959963984540054 * f.se, rtol=1e-13, atol=1e-13)
    assert np.all(ci[:, 0] < est) and np.all(est < ci[:, 1])
    if method == "bootstrap":
        assert f.fit["bootstrap_b"] == ref["fit"]["bootstrap_b"] == 12
        assert f.fit["bootstrap_failed"] == ref["fit"]["bootstrap_failed"]
    # a save and a load keep them: the file is the CLI's, bit for bit
    path = tmp_path / "f.json"
    f.save(path)
    g = gmoe.Model.load(path)
    assert g.se_method == method and np.array_equal(g.cov, cov)
    assert json.loads(path.read_text())["fit"]["se_cov"] == ref["fit"]["se_cov"]


def test_se_none_with_reason(tmp_path, cli, truth_path):
    """An over-fitted temperature fit with tau estimated: no SEs, the library's reason."""
    X, y, data = _sim(tmp_path, truth_path)
    f = gmoe.fit(X, y, 2, gate="temperature", starts=2, seed=3, se="observed")
    ref = json.loads(cli("fit", "-k", 2, "--gate", "temperature", "--starts", 2, "--seed", 3,
                         "--se", "--json", data))
    assert f.se is None and f.cov is None and f.confint() is None
    assert f.se_reason == ref["fit"]["se_reason"] and f.se_reason
    with pytest.raises(gmoe.Error, match="level"):
        f.confint(1.5)


def test_predict_sd_quantiles_se_same_as_cli(tmp_path, cli, truth_path):
    X, y, data = _sim(tmp_path, truth_path)
    f = gmoe.fit(X, y, 2, starts=3, seed=8, se="sandwich")
    path = tmp_path / "f.json"
    f.save(path)
    pred = tmp_path / "p.csv"
    cli("predict", "--columns", "mean,sd,quantiles,se_mean", "--quantiles", "0.05,0.5,0.95",
        "--se", "-o", pred, path, data)
    names, ref = read_csv(pred)
    col = {n: ref[:, i] for i, n in enumerate(names)}
    out = f.predict(X, sd=True, quantiles=[0.05, 0.5, 0.95], se=True)
    assert set(out) == {"mean", "sd", "quantiles", "se_mean"}
    assert out["mean"].tolist() == col["mean"].tolist()
    assert out["sd"].tolist() == col["sd"].tolist()
    assert out["se_mean"].tolist() == col["se_mean"].tolist()
    qnames = [n for n in names if n.startswith("q")]
    assert len(qnames) == 3
    assert out["quantiles"].tolist() == np.column_stack([col[n] for n in qnames]).tolist()
    # the model loaded from the file gives the same se_mean (its se_cov)
    g = gmoe.Model.load(path)
    assert g.predict(X, se=True)["se_mean"].tolist() == col["se_mean"].tolist()
    # output="all" keeps every entry; quantiles are monotone in p
    a = f.predict(X, y, output="all", sd=True, quantiles=[0.1, 0.9])
    assert {"gate", "posterior", "logdens", "sd"} <= set(a)
    assert np.all(a["quantiles"][:, 0] < a["quantiles"][:, 1]) and np.all(a["sd"] > 0)


def test_predict_bad_input(truth_path):
    X, y = gmoe.simulate(gmoe.Model.load(truth_path), 50, seed=2)
    m = gmoe.fit(X, y, 2, starts=1, seed=1)
    with pytest.raises(gmoe.Error, match="se=True needs standard errors"):
        m.predict(X, se=True)
    with pytest.raises(gmoe.Error, match="strictly between 0 and 1|quantile"):
        m.predict(X, quantiles=[0.5, 1.0])
    with pytest.raises(gmoe.Error, match="quantiles must"):
        m.predict(X, quantiles=["a"])
    with pytest.raises(gmoe.Error, match="se must be"):
        gmoe.fit(X, y, 2, se="hessian")
    with pytest.raises(gmoe.Error, match="bootstrap only goes with"):
        gmoe.fit(X, y, 2, se="observed", bootstrap=10)
    with pytest.raises(gmoe.Error, match="bootstrap must be an integer >= 2"):
        gmoe.fit(X, y, 2, se="bootstrap", bootstrap=1)
    with pytest.raises(gmoe.Error, match="prefer must be"):
        gmoe.fit(X, y, 2, prefer="worst")
    with pytest.raises(gmoe.Error, match="accel must be one of squarem, qn, none"):
        gmoe.fit(X, y, 2, accel="fast")
    with pytest.raises(gmoe.Error, match="accel must be True, False"):
        gmoe.fit(X, y, 2, accel=2)


@pytest.mark.parametrize("prefer", ["best", "interior"])
def test_prefer_interior_same_as_cli(tmp_path, cli, truth_path, prefer):
    X, y, data = _sim(tmp_path, truth_path, n=150, seed=5)
    f = gmoe.fit(X, y, 3, starts=6, seed=4, prefer=prefer)
    ref = json.loads(cli("fit", "-k", 3, "--starts", 6, "--seed", 4, "--prefer", prefer,
                         "--json", data))
    assert f.loglik == ref["fit"]["loglik"]
    for key in ("loglik_interior", "prefer", "loglik_best"):
        if key in ref["fit"] and ref["fit"][key] is not None:
            assert f.fit[key] == ref["fit"][key], key
        elif key in ref["fit"]:
            assert math.isnan(f.fit[key])
        else:
            assert key not in f.fit
