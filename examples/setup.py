"""Compiles the webgraph example's per-link hot path with Cython (see webgraph.wat_fast)."""

from Cython.Build import cythonize
from setuptools import setup

setup(
    ext_modules=cythonize(
        ["webgraph/wat_fast.py", "webgraph/urls.py", "webgraph/extract.py", "webgraph/records.py"],
        compiler_directives={"language_level": "3"},
        quiet=True,
    )
)
