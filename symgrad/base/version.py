"""symgrad's version (``symgrad.__version__``, ``symgrad --version``); pyproject.toml holds the same."""

__version__ = "0.1.0"
