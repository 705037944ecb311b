"""The compiled layer, errors, and the conversion of arrays into libgmoe's data sets.

Nothing here computes: arrays are checked for shape and converted to float64, then libgmoe
checks their values (gmoe_data_check) and does every computation."""
import numbers
import os

import numpy as np

from ._ffi import ffi, lib


class Error(Exception):
    """A failure reported by libgmoe (its one-line message) or a bad argument.

    `code` is libgmoe's error code (gmoe_error.h: 1 invalid argument, 2 out of memory, 3 file
    system, 4 malformed input, 5 numerical failure, 6 dimensions), or 1 for an argument that
    the bindings refuse before calling the library."""

    def __init__(self, message, code=1):
        super().__init__(message)
        self.code = code


def new_error():
    return ffi.new("gmoe_error *")


def raise_error(err, context):
    """Raise the library's message, prefixed with the calling function's name."""
    msg = ffi.string(err.msg).decode("utf-8", "replace")
    raise Error(f"{context}: {msg}" if context else msg, err.code or 1)


def check(rc, err, context):
    if rc != 0:
        raise_error(err, context)


def text(s):
    return ffi.string(s).decode("utf-8", "replace")


def cstr(value, what, context):
    """A str (or os.PathLike) as a C string."""
    try:
        value = os.fsencode(value)
    except TypeError:
        raise Error(f"{context}: {what} must be a string or a path (got {type(value).__name__})")
    if b"\0" in value:
        raise Error(f"{context}: {what} holds a NUL character")
    return value


def count(value, what, context, minimum=1):
    """A positive integer (bool refused; integral floats such as 3.0 accepted)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise Error(f"{context}: {what} must be an integer >= {minimum} (got {value!r})")
    if isinstance(value, numbers.Integral):
        v = int(value)
    elif float(value).is_integer():
        v = int(value)
    else:
        raise Error(f"{context}: {what} must be an integer >= {minimum} (got {value!r})")
    if v < minimum:
        raise Error(f"{context}: {what} must be an integer >= {minimum} (got {v})")
    return v


def seed_value(seed, context):
    """A seed of the MT19937 generator, 1..4294967295, as on the command line."""
    s = count(seed, "seed", context)
    if s > 4294967295:
        raise Error(f"{context}: seed must be between 1 and 4294967295 (got {s})")
    return s


def real(value, what, context, positive=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise Error(f"{context}: {what} must be a number (got {value!r})")
    v = float(value)
    if not np.isfinite(v) or (positive and v <= 0):
        raise Error(f"{context}: {what} must be a finite number{' > 0' if positive else ''} "
                    f"(got {value!r})")
    return v


def parse_name(parser, ctype, name, what, choices, context):
    """A name that libgmoe parses (a gate, a design, a stopping rule, ...)."""
    if not isinstance(name, str):
        raise Error(f"{context}: {what} must be one of {choices} (got {name!r})")
    out = ffi.new(ctype + " *")
    if parser(name.encode(), out) != 0:
        raise Error(f"{context}: {what} must be one of {choices} (got {name!r})")
    return out[0]


def _numeric(a, name, context):
    if np.iscomplexobj(a):
        raise Error(f"{context}: {name} must hold real numbers (got complex values)")
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise Error(f"{context}: {name} must hold numbers ({e})") from None
    return arr


def as_matrix(X, context, name="X"):
    """X as an (n, d) float64 array: a 1-d array is one covariate."""
    arr = _numeric(X, name, context)
    if arr.ndim == 1:
        arr = arr.reshape(-1, 1)
    elif arr.ndim != 2:
        raise Error(f"{context}: {name} must be a 1-d or 2-d array (got {arr.ndim} dimensions)")
    if arr.shape[0] == 0:
        raise Error(f"{context}: {name} has no observations (no rows)")
    if arr.shape[1] == 0:
        raise Error(f"{context}: {name} has no covariates (no columns)")
    return arr


def as_vector(y, n, context, name="y"):
    arr = _numeric(y, name, context)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise Error(f"{context}: {name} must be a 1-d array (got shape {arr.shape})")
    if arr.shape[0] != n:
        raise Error(f"{context}: X has {n} rows but {name} has {arr.shape[0]} values")
    return arr


class Data:
    """A libgmoe data set (gmoe_data) holding a copy of X (and y), values checked by the
    library: a NaN or an infinity is refused with the observation (1-based) and the column
    (x1..xd for the columns of X, y) that hold it."""

    def __init__(self, X, y, context, max_abs=0.0, d=None):
        Xa = as_matrix(X, context)
        n, dx = Xa.shape
        if d is not None and dx != d:
            raise Error(f"{context}: X has {dx} columns but the model has d = {d} covariates")
        ya = as_vector(y, n, context) if y is not None else None
        ptr = lib.gmoe_data_alloc(n, dx, 1 if ya is not None else 0)
        if ptr == ffi.NULL:
            raise Error(f"{context}: out of memory", 2)
        self.ptr = ffi.gc(ptr, lib.gmoe_data_free)
        xs = np.frombuffer(ffi.buffer(ptr.x, n * dx * 8), dtype=np.float64).reshape(dx, n)
        xs[:] = Xa.T  # column-major in the library: x[t*n + i]
        if ya is not None:
            np.frombuffer(ffi.buffer(ptr.y, n * 8), dtype=np.float64)[:] = ya
        err = new_error()
        check(lib.gmoe_data_check(ptr, max_abs, err), err, context)
        self.n, self.d = n, dx


def data_arrays(ptr):
    """(X (n, d), y (n,)) copied out of a library data set."""
    n, d = ptr.n, ptr.d
    X = np.frombuffer(ffi.buffer(ptr.x, n * d * 8), dtype=np.float64).reshape(d, n).T.copy()
    y = np.frombuffer(ffi.buffer(ptr.y, n * 8), dtype=np.float64).copy() if ptr.y else None
    return X, y


def dptr(arr):
    """A double * into a contiguous float64 array (borrowed: keep arr alive)."""
    return ffi.cast("double *", ffi.from_buffer(arr))
