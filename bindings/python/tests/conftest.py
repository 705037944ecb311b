"""Fixtures of the Python module's tests: the gmoe command-line tool (the reference the
bindings must agree with, bit for bit) and the example data.

GMOE names the gmoe binary (else the first gmoe on PATH) and GMOE_DATA the data folder (else
the repository's data/ beside bindings/)."""
import json
import os
import shutil
import subprocess

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))


@pytest.fixture(scope="session")
def datadir():
    d = os.environ.get("GMOE_DATA") or os.path.join(HERE, "..", "..", "..", "data")
    if not os.path.isfile(os.path.join(d, "softmax-truth.json")):
        pytest.fail(f"example data not found in {d}: set GMOE_DATA")
    return d


@pytest.fixture(scope="session")
def cli():
    """Run the gmoe binary; returns its standard output (raises on a non-zero exit)."""
    exe = os.environ.get("GMOE") or shutil.which("gmoe")
    if not exe:
        pytest.fail("the gmoe binary is needed for the comparisons: set GMOE")

    def run(*args):
        p = subprocess.run([exe, *map(str, args)], capture_output=True, text=True)
        assert p.returncode == 0, f"gmoe {' '.join(map(str, args))}: {p.stderr}"
        return p.stdout

    return run


@pytest.fixture
def truth_path(datadir):
    return os.path.join(datadir, "softmax-truth.json")


def read_csv(path):
    """A gmoe CSV (header, %.17g numbers) as (names, float array): float() reads %.17g
    exactly."""
    with open(path) as fh:
        lines = [ln for ln in fh.read().splitlines() if ln and not ln.startswith("#")]
    names = lines[0].split(",")
    rows = [[float(v) for v in ln.split(",")] for ln in lines[1:]]
    return names, np.array(rows)


def write_csv(path, X, y, names=None):
    """(X, y) as a CSV that gmoe reads back exactly (repr is the shortest round trip)."""
    d = X.shape[1]
    names = names or [f"x{t + 1}" for t in range(d)] + ["y"]
    with open(path, "w") as fh:
        fh.write(",".join(names) + "\n")
        for i in range(X.shape[0]):
            fh.write(",".join(repr(float(v)) for v in list(X[i]) + [y[i]]) + "\n")


def cli_json(run, *args):
    return json.loads(run(*args))
