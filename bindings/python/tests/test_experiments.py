"""gmoe.sweep, gmoe.read_results and gmoe.rate against `gmoe sweep` and `gmoe rate --json`."""
import json
import math

import numpy as np
import pytest

import gmoe
from conftest import read_csv

CONFIG = """# a small sweep for the tests
truth    = {truth}
design   = grid 0 1
k        = 2
gate     = softmax
n        = 300, 600, 1200, 2400
reps     = 3
starts   = 1
init     = near-true
stop     = relative 1e-6
metrics  = loss hellinger tv params loglik
seed     = 5
output   = {output}
theory   = loss=-0.5 hellinger=-0.5
"""


@pytest.fixture
def config(tmp_path, truth_path):
    path = tmp_path / "small.conf"
    path.write_text(CONFIG.format(truth=truth_path, output="py.csv"))
    return path


def test_sweep_same_rows_as_cli(tmp_path, cli, config):
    res = gmoe.sweep(config, threads=2)
    assert isinstance(res, gmoe.Results) and res.path == str(tmp_path / "py.csv")
    cli("sweep", "--quiet", "--threads", 1, "-o", tmp_path / "cli.csv", config)
    names, ref = read_csv_text(tmp_path / "cli.csv")
    order = sorted(range(len(ref)), key=lambda i: (float(ref[i][0]), float(ref[i][1])))
    assert [c for c in res] == names
    assert len(res["n"]) == 12 and res["n"].tolist() == sorted(res["n"].tolist())
    for j, name in enumerate(names):
        want = [ref[i][j] for i in order]
        if name == "status":
            assert res[name].tolist() == want
        elif name != "seconds":
            got = res[name].tolist()
            assert all(g == float(w) or (math.isnan(g) and w in ("", "nan"))
                       for g, w in zip(got, want)), name
    assert res.theory == {"loss": -0.5, "hellinger": -0.5}
    assert "loss" in res.metrics and "n" not in res.metrics and "status" not in res.metrics
    # a second run resumes: nothing to do, the same table
    again = gmoe.sweep(config)
    assert all(np.array_equal(again[c], res[c]) for c in res if c not in ("status",))


def read_csv_text(path):
    with open(path) as fh:
        lines = [ln for ln in fh.read().splitlines() if ln and not ln.startswith("#")]
    return lines[0].split(","), [ln.split(",") for ln in lines[1:]]


def test_rate_same_as_cli(tmp_path, cli, config):
    res = gmoe.sweep(config)
    for kw, opts in [({}, []), ({"metrics": ["loss", "tv"], "trim": 1, "bootstrap": 200,
                                 "seed": 9},
                                ["--metric", "loss,tv", "--trim", 1, "--bootstrap", 200,
                                 "--seed", 9])]:
        ref = json.loads(cli("rate", *opts, "--json", res.path))
        assert gmoe.rate(res.path, **kw) == ref
        assert gmoe.rate(res, **kw) == ref


def test_rate_closed_form():
    """Exact power laws: the slope is the exponent, whatever the replicates."""
    n = np.repeat([100.0, 400.0, 1600.0, 6400.0], 3)
    cols = {"n": n, "rep": np.tile([1.0, 2.0, 3.0], 4), "loss": 3 * n ** -0.5,
            "tv": np.tile([1.0, 2.0, 4.0], 4) * n ** -0.25}
    r = gmoe.rate(gmoe.Results(cols, ["loss", "tv"], {}, ""), bootstrap=50)
    assert r["loss"]["slope"] == pytest.approx(-0.5, abs=1e-12)
    assert r["tv"]["slope"] == pytest.approx(-0.25, abs=1e-12)
    assert r["loss"]["intercept"] == pytest.approx(math.log(3), abs=1e-12)
    assert r["loss"]["points"] == 4 and r["loss"]["theory"] is None
