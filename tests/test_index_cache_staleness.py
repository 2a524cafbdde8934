"""A warm run finds what a cold one finds when a module the checked file reaches only through
another starts lending a client (issue 17): the cache must not keep a file's results, nor a
file's names, past a change in what it re-exports.

Each case: a first run caches the project as it was; then one module changes; the warm run must
report exactly what ``--no-cache`` reports (a CI gate or commit hook runs warm).
"""
from __future__ import annotations

import pytest

from conftest import write

SESSION = "import requests\nsession = requests.Session()\n"
USER = """
    from pkg.c import session


    def fetch(url):
        return session.get(url)
    """

CASES = [
    # pkg.c re-exports pkg.b's ``session``; pkg.b's becomes a requests session: pkg.c's names do
    # not change, what they stand for does
    pytest.param("import requests\nsession = None\n", id="re-exported-name-becomes-a-session"),
    # pkg.b lent nothing and imported nothing a rule looks for, so pkg.c was never read for its
    # names when it was cached
    pytest.param("X = 1\n", id="module-that-was-never-read-starts-lending"),
]


@pytest.mark.parametrize("before", CASES)
@pytest.mark.parametrize("named", [".", "pkg/a.py"], ids=["whole-project", "named-file"])
@pytest.mark.parametrize("re_export", ["from pkg.b import session\n", "from .b import session\n"],
                         ids=["absolute", "relative"])
def test_a_warm_run_after_an_upstream_change_finds_what_a_cold_run_finds(svcmod, tmp_path, before, named, re_export):
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'x'\n", "pkg/__init__.py": "",
                     "pkg/b.py": before, "pkg/c.py": re_export, "pkg/a.py": USER})
    first = svcmod("lint", named, cwd=tmp_path)
    assert first.exit_code == 0, first
    (tmp_path / "pkg" / "b.py").write_text(SESSION)
    warm = svcmod("lint", named, cwd=tmp_path)
    cold = svcmod("lint", "--no-cache", named, cwd=tmp_path)
    assert cold.exit_code == 1 and "pkg/a.py:5:12: SVC101" in cold.stdout, cold
    assert warm.exit_code == cold.exit_code and warm.stdout == cold.stdout, (warm, cold)
