"""pip's build of the module: the pure-Python package and gmoe._ffi, compiled by cffi from
gmoe_build.py against the installed libgmoe (pkg-config gmoe, or GMOE_PREFIX)."""
from setuptools import setup

setup(cffi_modules=["gmoe_build.py:ffibuilder"])
