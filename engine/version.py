"""The one place Chronicle's version is written.

setuptools reads it statically (pyproject's `[tool.setuptools.dynamic]`), `engine.__version__`
re-exports it, and the compiled-story cache keys on it; a module of its own so that none of them
has to import the package's `__init__` (which imports the compiler, which imports the cache).
"""

__version__ = "0.3.0"
