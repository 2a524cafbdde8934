"""What a file borrows from the project's modules is narrowed to the names it imports (and, of a
module imported whole, the attributes it reads), so that a package re-exporting ``logging`` does
not make every importer of it parsed whole. Narrowing must never lose a finding: each way of
reaching a lent session below is found, with and without the fast path."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write

from svcmod.check.project_index import bound_names

LENDER = """
    import logging
    import requests

    log = logging.getLogger(__name__)
    session = requests.Session()
    """

#: Each file reaches ``pkg.net.session`` another way; each has one SVC101, on line 4.
USERS = {
    "from_name.py": "from pkg.net import session\n\n\nsession.get('http://a')\n",
    "module_attribute.py": "from pkg import net\n\n\nnet.session.get('http://a')\n",
    "module_renamed.py": "from pkg import net as n\n\nm = n\nm.session.get('http://a')\n",
    "plain_import.py": "import pkg.net\n\n\npkg.net.session.get('http://a')\n",
    "package_only.py": "import pkg\n\n\npkg.net.session.get('http://a')\n",
    "parenthesized.py": "from pkg.net import (\n    session,\n)\nsession.get('http://a')\n",
    "relative.py": "from .net import (log,\n    session)\n\nsession.get('http://a')\n",
    "docstring.py": '"""Why import this? see below."""\nfrom pkg.net import session\n\nsession.get("http://a")\n',
    "guarded.py": "if True: from pkg.net import session\n\n\nsession.get('http://a')\n",
    "attribute_split.py": "from pkg import net\n\n\n(net  # the shared one\n .session).get('http://a')\n",
}


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    files = {"pyproject.toml": "[project]\nname = 'pkg'\n", "pkg/__init__.py": "", "pkg/net.py": LENDER}
    files.update({f"pkg/{name}": text for name, text in USERS.items()})
    write(tmp_path, files)
    return tmp_path


def _findings(root: Path, *args: str):
    completed = subprocess.run([sys.executable, "-m", "svcmod", "lint", "--no-cache", "--format", "json",
                                "--exit-zero", "--select", "SVC101", *args, "."], cwd=root,
                               capture_output=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return sorted((Path(f["filename"]).name, f["location"]["row"]) for f in json.loads(completed.stdout))


def test_every_way_of_reaching_a_lent_session_is_found_with_and_without_the_fast_path(project):
    expected = sorted((name, 4) for name in USERS)
    assert _findings(project) == expected
    assert _findings(project, "--no-fast-path") == expected


@pytest.mark.parametrize("source, bound", [
    (b"from a.b import c, d as e\n", {"a.b": {"c", "d"}, "a.b.c": set(), "a.b.d": set()}),
    (b"from a import m\nm.x\nm . y\n", {"a": {"m"}, "a.m": {"x", "y"}}),
    (b"from a import m\nf(m)\n", {"a": {"m"}, "a.m": None}),  # used bare: any attribute
    (b"import a.b as c\n", {"a": None, "a.b": None}),
    (b"from a import *\n", {"a": None}),
    (b"from . import x\n", {"pkg.sub": {"x"}, "pkg.sub.x": set()}),
    (b"'''may not import'''\nimport os\n", {"os": None}),  # prose is no import
    (b">>> import os\n", {}),  # nor a doctest line
])
def test_bound_names_reads_what_each_import_binds(source, bound):
    found = bound_names(source, "pkg.sub")
    assert {k: (set(v) if v is not None else None) for k, v in found.items()} == bound


@pytest.mark.parametrize("source", [
    b"x = 1; import os\n", b"try: import os\nexcept ImportError: pass\n", b"from a \\\n    import b\n",
    b"from \\\n a import b\n", b"from a import (b,  # c\n c)\n",
])
def test_an_import_the_text_does_not_show_whole_narrows_nothing(source):
    assert bound_names(source, "pkg") is None
