#!/bin/sh
# The Python module's pytest suite, over the uninstalled module: the package's sources and
# the libtool-built gmoe/_ffi are put together in bindings/python/test-pkg/gmoe, and the
# uninstalled libgmoe is found through LD_LIBRARY_PATH. The tests compare with the gmoe
# binary ($GMOE) and read the example data ($GMOE_DATA).
set -eu
pkg=$GMOE_PY_BUILD/test-pkg
rm -rf "$pkg"
mkdir -p "$pkg/gmoe"
cp "$GMOE_PY_SRC"/gmoe/*.py "$pkg/gmoe/"
cp "$GMOE_PY_BUILD/gmoe/.libs/_ffi.so" "$pkg/gmoe/"
LD_LIBRARY_PATH=$GMOE_LIBDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
PYTHONPATH=$pkg
PYTHONDONTWRITEBYTECODE=1
export LD_LIBRARY_PATH PYTHONPATH PYTHONDONTWRITEBYTECODE
cd "$pkg"
exec "$GMOE_PYTHON" -m pytest -q -p no:cacheprovider "$GMOE_PY_SRC/tests"
