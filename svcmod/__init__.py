"""svcmod: lint and rewrite Python service code for deadlines, retries and deprecated APIs."""
__version__ = "0.1.0"
