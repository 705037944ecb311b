"""Bad input through the bindings: a gmoe.Error with the library's one-line message (or the
bindings' own, naming the argument), never a crash of the interpreter."""
import os

import numpy as np
import pytest

import gmoe


@pytest.fixture(scope="module")
def sim(datadir):
    truth = gmoe.Model.load(os.path.join(datadir, "softmax-truth.json"))
    X, y = gmoe.simulate(truth, 100, seed=1)
    return truth, X, y


def raises(msg, fn, *args, **kw):
    with pytest.raises(gmoe.Error) as e:
        fn(*args, **kw)
    assert str(e.value) == msg, str(e.value)
    return e.value


def test_nan_and_inf_named(sim):
    truth, X, y = sim
    Xb = X.copy()
    Xb[6, 0] = np.nan
    raises("fit: observation 7: x1 = nan is not finite", gmoe.fit, Xb, y, 2)
    yb = y.copy()
    yb[2] = np.inf
    raises("fit: observation 3: y = inf is not finite", gmoe.fit, X, yb, 2)
    raises("loglik: observation 7: x1 = nan is not finite", gmoe.loglik, truth, Xb, y)
    raises("Model.predict: observation 7: x1 = nan is not finite", truth.predict, Xb)
    yb[2] = 1e200
    e = raises("fit: observation 3: y = 1e+200 is too large to fit (|value| > 1e+150)",
               gmoe.fit, X, yb, 2)
    assert e.code == 1


def test_shapes(sim):
    truth, X, y = sim
    raises("fit: X has 100 rows but y has 99 values", gmoe.fit, X, y[:-1], 2)
    raises("fit: X must be a 1-d or 2-d array (got 3 dimensions)", gmoe.fit,
           X.reshape(10, 10, 1), y, 2)
    raises("fit: y must be a 1-d array (got shape (50, 2))", gmoe.fit, X, y.reshape(50, 2), 2)
    raises("fit: X has no observations (no rows)", gmoe.fit, np.zeros((0, 1)), [], 2)
    raises("loglik: X has 2 columns but the model has d = 1 covariates", gmoe.loglik, truth,
           np.column_stack([X, X]), y)
    raises("fit: X must hold numbers (could not convert string to float: 'a')", gmoe.fit,
           [["a"]] * 100, y, 2)
    raises("fit: X must hold real numbers (got complex values)", gmoe.fit, X + 1j, y, 2)


def test_k_and_options(sim):
    truth, X, y = sim
    raises("fit: k must be an integer >= 1 (got 0)", gmoe.fit, X, y, 0)
    raises("fit: k must be an integer >= 1 (got -2)", gmoe.fit, X, y, -2)
    raises("fit: k must be an integer >= 1 (got 1.5)", gmoe.fit, X, y, 1.5)
    raises("fit: k = 101 exceeds the number of observations (n = 100)", gmoe.fit, X, y, 101)
    raises("fit: gate must be one of softmax, topk, temperature, activation, sigmoid, gaussian "
           "(got 'softmx')", gmoe.fit, X, y, 2, gate="softmx")
    raises("fit: gate='topk' needs topk=K", gmoe.fit, X, y, 2, gate="topk")
    raises("fit: topk = 3 exceeds k = 2", gmoe.fit, X, y, 2, gate="topk", topk=3)
    raises("fit: tau only goes with gate='temperature' or 'activation'", gmoe.fit, X, y, 2,
           tau=2)
    raises("fit: init='near-true' needs truth=Model", gmoe.fit, X, y, 2, init="near-true")
    raises("fit: seed must be between 1 and 4294967295 (got 4294967296)", gmoe.fit, X, y, 2,
           seed=2 ** 32)
    raises("fit: starts must be an integer >= 1 (got 0)", gmoe.fit, X, y, 2, starts=0)
    raises("fit: tol must be a finite number > 0 (got nan)", gmoe.fit, X, y, 2,
           tol=float("nan"))
    raises("fit: near-true starts need k at least the true k = 2 (got k = 1)", gmoe.fit, X, y,
           1, init="near-true", truth=truth)


def test_files(tmp_path):
    raises("Model.load: nofile.json: cannot open: No such file or directory", gmoe.Model.load,
           "nofile.json")
    bad = tmp_path / "bad.json"
    bad.write_text('{"gmoe_model": 1, "gate": "softmax", "experts": [{"beta0": 0, '
                   '"beta1": [1], "a": [1], "b": 0, "var": -1}]}')
    raises(f"Model.load: {bad}: experts[0].var: must be > 0 (got -1)", gmoe.Model.load, bad)
    raises("sweep: none.conf: cannot open: No such file or directory", gmoe.sweep, "none.conf")
    raises("read_results: none.csv: cannot open: No such file or directory", gmoe.read_results,
           "none.csv")
    raises("rate: none.csv: cannot open: No such file or directory", gmoe.rate, "none.csv")
    raises("Model.load: path must be a string or a path (got int)", gmoe.Model.load, 3)


def test_model_builder_errors():
    raises("model: experts[1].var: must be > 0 (got -1)", gmoe.model,
           [{"beta0": 0, "beta1": [1], "a": [1], "b": 0, "var": 1},
            {"beta0": 0, "beta1": [1], "a": [1], "b": 0, "var": -1}])
    raises("model: experts[0].b: missing", gmoe.model,
           [{"beta0": 0, "beta1": [1], "a": [1], "var": 1}])
    raises("gmoe.model: experts[0].b: not finite (nan)", gmoe.model,
           [{"beta0": 0, "beta1": [1], "a": [1], "b": float("nan"), "var": 1}])
    raises("model: tau: missing (required for the temperature gate)", gmoe.model,
           [{"beta0": 0, "beta1": [1], "a": [1], "b": 0, "var": 1}], gate="temperature")
    raises("model: gate: unknown gate \"softmx\"", gmoe.model,
           [{"beta0": 0, "beta1": [1], "a": [1], "b": 0, "var": 1}], gate="softmx")


def test_evaluate_and_simulate_errors(sim):
    truth, X, y = sim
    other = gmoe.model([{"beta0": 0, "beta1": [1, 1], "a": [1, 1], "b": 0, "var": 1}])
    raises("evaluate: the fit has d = 2, but the truth has d = 1", gmoe.evaluate, other, truth)
    raises("simulate: design must be one of uniform, grid, normal, gate (got 'grd')",
           gmoe.simulate, truth, 10, design="grd")
    raises("simulate: n must be an integer >= 1 (got 0)", gmoe.simulate, truth, 0)
    raises("simulate: sd is only used by design='normal' (design='uniform' takes lo and hi)",
           gmoe.simulate, truth, 10, sd=2)
    raises("simulate: model must be a gmoe.Model (got str)", gmoe.simulate, "truth.json", 10)
    e = raises("Model.predict: output='posterior' needs y", truth.predict, X,
               output="posterior")
    assert isinstance(e, Exception)
