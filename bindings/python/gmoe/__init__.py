"""gmoe: maximum-likelihood estimation in Gaussian mixtures of experts, from Python.

A thin layer over the installed C library libgmoe: every number comes from it. numpy arrays
go in and come out; failures raise gmoe.Error with the library's one-line message.

    import gmoe
    truth = gmoe.Model.load("softmax-truth.json")
    X, y = gmoe.simulate(truth, 2000, seed=7)
    fit = gmoe.fit(X, y, k=2, starts=10, seed=1)
    print(fit.loglik, fit.status, fit.bic, fit.params["beta1"])
    fit.save("fit.json")
    print(gmoe.evaluate(fit, truth)["loss"])
    fit = gmoe.fit(X, y, k=2, se="observed")     # standard errors, as gmoe fit --se
    print(fit.se_names, fit.se, fit.confint(0.95))
    out = fit.predict(X, sd=True, quantiles=[0.05, 0.95], se=True)
"""
from ._core import Error, text as _text
from ._ffi import lib as _lib
from .analysis import evaluate, loglik, simulate
from .experiments import Results, rate, read_results, sweep
from .fitting import fit
from .model import Model, model
from .selection import dendrogram, select

__version__ = _text(_lib.gmoe_version())
__all__ = ["Error", "Model", "model", "fit", "simulate", "loglik", "evaluate", "sweep", "rate",
           "read_results", "Results", "dendrogram", "select", "__version__"]
