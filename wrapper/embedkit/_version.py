"""The one place the version is written.

The build reads it (pyproject.toml), and so do `embedkit.__version__` and `embedkit --version`, so the three
can never disagree.
"""

__version__ = "0.1.0"
