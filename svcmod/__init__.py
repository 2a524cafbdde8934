"""svcmod: lint and rewrite Python service code for deadlines, retries and deprecated APIs."""
__version__ = "0.1.0"  # the one place: pyproject.toml reads it (tool.setuptools.dynamic)
HOMEPAGE = "https://github.com/svcmod/svcmod"
