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

from svcmod.check.project_index import bound_names, code_only

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


#: A long file (an excerpt is cut from it) that reaches what ``pkg`` lends only through names it
#: imports from the project: each finding below is on a function the excerpt must keep.
FILLER = "".join(f"def filler_{i}(x):\n    return x + {i}\n\n\n" for i in range(45))
BORROWER = '''"""Docstring naming util and compat alone, and import as a word."""
# compat/util header comment
from pkg import compat, util
from pkg.compat import sh
from pkg.log import logger


''' + FILLER + '''def runs():
    sh(["ls"])


def fetches():
    util.session.get("http://a")


def shells():
    compat.subprocess.check_call(["ls"])


def warns():
    logger.warn("old")


def passes_whole(f):
    return f(util)  # the module itself passed on: any of its names may be read
'''


@pytest.fixture()
def long_project(tmp_path: Path) -> Path:
    write(tmp_path, {
        "pyproject.toml": "[project]\nname = 'pkg'\n",
        "pkg/__init__.py": "",
        "pkg/compat.py": "import subprocess\nfrom subprocess import run as sh\n",
        "pkg/util.py": "import requests\n\nsession = requests.Session()\n",
        "pkg/log.py": "import logging\n\nlogger = logging.getLogger(__name__)\n",
        "pkg/borrower.py": BORROWER,
    })
    return tmp_path


def _all_findings(root: Path, *args: str):
    completed = subprocess.run([sys.executable, "-m", "svcmod", "lint", "--no-cache", "--format", "json",
                                "--exit-zero", *args, "."], cwd=root, capture_output=True, timeout=300)
    assert completed.returncode == 0, completed.stderr
    return sorted((Path(f["filename"]).name, f["location"]["row"], f["code"]) for f in json.loads(completed.stdout))


def test_a_long_file_borrowing_through_its_imports_is_cut_and_loses_nothing(long_project):
    def row(text: str) -> int:
        return next(number for number, line in enumerate(BORROWER.splitlines(), 1) if text in line)

    expected = sorted([("borrower.py", row('sh(["ls"])'), "SVC106"),
                       ("borrower.py", row("util.session.get"), "SVC101"),
                       ("borrower.py", row("compat.subprocess.check_call"), "SVC106"),
                       ("borrower.py", row('logger.warn("old")'), "SVC307")])
    found = _all_findings(long_project)
    assert [f for f in found if f[0] == "borrower.py"] == expected
    assert found == _all_findings(long_project, "--no-fast-path")


@pytest.mark.parametrize("source, kept", [
    # comments and docstrings go; strings that may be code (annotations, f-strings) stay
    (b'"""util"""\nx = 1  # util\n', b'          \nx = 1        \n'),
    (b'x = "# util"\n', b'x = "# util"\n'),
    (b'x = f"{util}"  # util\n', b'x = f"{util}"  # util\n'),
    (b'def f(a: "util.X"):\n    """util"""\n', b'def f(a: "util.X"):\n              \n'),
    # a line inside a statement holding a triple quote may be inside a string: left as it is
    (b'x = """\n# util\n"""\n', b'x = """\n# util\n"""\n'),
    (b'@dec("""\n# util""")\ndef f(): pass\n', b'@dec("""\n# util""")\ndef f(): pass\n'),
    (b'x = ("a"\n     # util\n     )\n', b'x = ("a"\n           \n     )\n'),
])
def test_code_only_blanks_what_cannot_be_code(source, kept):
    assert code_only(source) == kept


def test_code_only_leaves_files_whose_positions_are_not_their_bytes_to_the_text_reading():
    assert code_only(b"# -*- coding: latin-1 -*-\nx = 1\n") is None
    assert code_only(b"\xef\xbb\xbfx = 1\n") is None
    assert code_only(b"x = 1\ry = 2\n") is None
    assert code_only(b"def (:\n") is None
