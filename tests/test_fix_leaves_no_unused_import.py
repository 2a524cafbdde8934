"""A fix that rewrites the last use of an import removes that import (issue 21, no fix leaves F401).

As ruff and Fixit: only an import nothing else reads and ``__all__`` does not re-export, in a module's,
class's or function's own body; a guarded one (under ``try``/``if``/``with``) stays, and an unused
import the fix cannot remove means the fix is not written (SVC902, file untouched).
"""
from __future__ import annotations

import textwrap

import pytest

from conftest import write

DECLARED = """
    [[tool.svcmod.deprecations]]
    code = "SVC401"
    name = "acme.rpc.call"
    replacement = "acme.rpc.v2.invoke"
    message = "acme.rpc.call was removed in the v2 framework"
"""

CASES = [
    pytest.param(
        """
        import flask

        page = flask.Markup("<b>hi</b>")
        """,
        """
        import markupsafe

        page = markupsafe.Markup("<b>hi</b>")
        """, id="flask-module-import-of-the-rewritten-name"),
    pytest.param(
        """
        from flask import Flask
        import flask

        app = Flask(__name__)
        text = flask.escape("<")
        """,
        """
        from flask import Flask
        import markupsafe

        app = Flask(__name__)
        text = markupsafe.escape("<")
        """, id="other-names-of-the-package-stay"),
    pytest.param(
        """
        import flask

        __all__ = ["flask"]
        page = flask.Markup("<b>hi</b>")
        """,
        """
        import flask
        import markupsafe

        __all__ = ["flask"]
        page = markupsafe.Markup("<b>hi</b>")
        """, id="re-exported-via-all-stays"),
    pytest.param(
        """
        import flask

        page = flask.Markup("<b>hi</b>")


        def context():
            return flask.g
        """,
        """
        import flask
        import markupsafe

        page = markupsafe.Markup("<b>hi</b>")


        def context():
            return flask.g
        """, id="still-used-elsewhere-stays"),
    pytest.param(
        """
        from acme import rpc

        rpc.call(1)
        """,
        """
        from acme.rpc.v2 import invoke

        invoke(1)
        """, id="declared-deprecation-old-module-import"),
    pytest.param(
        """
        import acme.rpc as r

        r.call(1)
        """,
        """
        from acme.rpc.v2 import invoke

        invoke(1)
        """, id="declared-deprecation-aliased-import"),
    pytest.param(
        """
        async def fuzzed(user_input):
            import flask
            return flask.escape(user_input)
        """,
        """
        import markupsafe

        async def fuzzed(user_input):
            return markupsafe.escape(user_input)
        """, id="function-local-import"),
    pytest.param(
        """
        class Page:
            import flask
            body = flask.Markup("<b>hi</b>")
        """,
        """
        import markupsafe

        class Page:
            body = markupsafe.Markup("<b>hi</b>")
        """, id="class-body-import"),
]


def _text(code: str) -> str:
    return textwrap.dedent(code).lstrip("\n")


@pytest.mark.parametrize("before, after", CASES)
def test_the_fix_removes_the_import_it_leaves_unused(svcmod, tmp_path, before, after):
    write(tmp_path, {"pyproject.toml": "[tool.svcmod]\n" + textwrap.dedent(DECLARED), "app.py": before})
    result = svcmod("lint", "--fix", "--unsafe-fixes", "--no-cache", "app.py", cwd=tmp_path)
    assert result.exit_code == 0, result
    assert (tmp_path / "app.py").read_text() == _text(after)


def test_an_import_left_unused_that_cannot_be_removed_means_no_fix(svcmod, tmp_path):
    # the import is guarded: removing it would empty the ``try``, so the rewrite would leave F401 behind
    source = """
        def page():
            try:
                import flask
            except ImportError:
                raise
            return flask.Markup("<b>hi</b>")
        """
    write(tmp_path, {"app.py": source})
    result = svcmod("lint", "--fix", "--no-cache", "app.py", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert "SVC902" in result.stdout and "unused imports: flask" in result.stdout, result
    assert (tmp_path / "app.py").read_text() == _text(source)
