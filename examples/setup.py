"""Compiles the webgraph example's per-link hot path with Cython (see webgraph.wat_fast).

The extensions are optional: where no C compiler is found the install goes on and the same
modules run interpreted (correct, about 1.6x slower; ``webgraph.wat_fast.COMPILED`` says which).
"""

from Cython.Build import cythonize
from setuptools import setup

HOT_PATH = ["wat_fast", "urls", "extract", "records"]

extensions = cythonize(
    [f"webgraph/{name}.py" for name in HOT_PATH],
    compiler_directives={"language_level": "3"},
    quiet=True,
)
for extension in extensions:
    extension.optional = True

setup(ext_modules=extensions)
