"""Excerpts of long files: LibCST reads only the parts a rule could match, and the findings are
exactly those of the whole file (same codes, lines, columns, messages, fixes)."""
from __future__ import annotations

import textwrap

import pytest

from svcmod.check.checker import Checker
from svcmod.check.names import imported_modules
from svcmod.check.policy import FixPolicy
from svcmod.fastpath import excerpt as excerpts
from svcmod.project.config import Config
from svcmod.registry.rules import builtin_rules
from svcmod.rule import Invalid

#: Functions, methods, docstrings and tables that no rule looks for.
DECOYS = textwrap.dedent('''
    """A module docstring
    over several lines."""

    LIMITS = {
        "a": 1,
        "b": [2, 3],
    }


    def _decoy_one(values):
        """Sum the values."""
        total = 0
        for value in values:
            total += value
        return total


    class _DecoyTable:
        """A table."""

        ROWS = (1, 2, 3)

        def __init__(self, rows):
            self.rows = list(rows)

        def first(self):
            return self.rows[0]

        @property
        def size(self):
            return len(self.rows)


    if LIMITS:
        def _decoy_two():
            return LIMITS["a"]
    else:
        def _decoy_two():
            return 0
''')


def findings(source: str, monkeypatch, excerpt: bool, select=("SVC",), fix=False, options=None):
    monkeypatch.setattr(excerpts, "MIN_LINES", 0)
    config = Config(select=tuple(select), rule_options=options or {})
    result = Checker(config, FixPolicy(apply=fix, unsafe=True), excerpts=excerpt).check("example.py", source.encode())
    keys = sorted((f.code, f.line, f.column, f.end_line, f.end_column, f.message, f.fix_applicability,
                   f.fix_message) for f in result.findings)
    return keys, result


def excerpt_of(source: str, monkeypatch, select=("SVC",)) -> str:
    monkeypatch.setattr(excerpts, "MIN_LINES", 0)
    checker = Checker(Config(select=tuple(select)))
    rules = [type(rule) for rule in checker.rules.values()]
    imported = imported_modules(source.encode())
    wanted = [r for r in rules if r.wants(source.encode(), imported)]
    cut = excerpts.excerpt(source.encode(), wanted, imported)
    if cut is None:
        return None
    text = cut.source.decode()
    originals = source.splitlines()
    for number, line in enumerate(text.splitlines(), 1):  # each line is the file's own, or a stub
        original = originals[cut.line_of(number) - 1]
        assert line == original or line.strip() == "pass" or line.strip().endswith((": pass", "= 0")), line
        assert line[:len(line) - len(line.lstrip())] == original[:len(original) - len(original.lstrip())]
    return text


def _with_decoys(code: str) -> str:
    lines = code.splitlines(keepends=True)
    head = 0
    while head < len(lines) and lines[head].startswith(("import ", "from ")):
        head += 1
    return "".join(lines[:head]) + DECOYS + "\n\n" + "".join(lines[head:]) + "\n\n" + DECOYS.replace("_decoy", "_later")


EXAMPLES = [
    pytest.param(rule, example, id=f"{rule.code}-{index}")
    for rule in builtin_rules()
    for index, example in enumerate(rule.examples)
]


@pytest.mark.parametrize("rule,example", EXAMPLES)
def test_every_example_among_decoys_gives_the_same_findings(rule, example, monkeypatch):
    source = _with_decoys(example.code)
    options = {rule.code: dict(example.options)} if example.options else None
    cut, _ = findings(source, monkeypatch, excerpt=True, select=(rule.code,), options=options)
    whole, _ = findings(source, monkeypatch, excerpt=False, select=(rule.code,), options=options)
    assert cut == whole
    if isinstance(example, Invalid):
        assert [c for c, *_ in cut].count(rule.code) >= 1
        if rule.fast_path.parts is not None:  # the decoys were really left out
            assert "def _decoy_one(): pass" in excerpt_of(source, monkeypatch, select=(rule.code,))


def test_an_excerpt_keeps_what_may_match_and_stubs_the_rest(monkeypatch):
    source = "import subprocess\n" + DECOYS + "\n\nclass Runner:\n    def go(self):\n        subprocess.run(['ls'])\n"
    cut = excerpt_of(source, monkeypatch)
    assert cut is not None
    assert "    def go(self):\n        subprocess.run(['ls'])\n" in cut
    assert "def _decoy_one(): pass\n" in cut and "total += value" not in cut
    assert "    def first(): pass\n" in cut
    assert "    def size(): pass\n" in cut and "@property" not in cut  # decorators go with their function
    assert "LIMITS = 0\n" in cut and '"b": [2, 3]' not in cut
    assert "if LIMITS:\n    def _decoy_two(): pass\n" in cut  # a stub keeps the if/else bodies non-empty
    assert '"""A table."""' not in cut
    assert "\n\n" not in cut.split("\n", 2)[2]  # blank lines between statements are left out (but
    # the first two lines, where an encoding may be declared)
    found, _ = findings(source, monkeypatch, excerpt=True)
    assert [(code, line, column) for code, line, column, *_ in found] == \
        [("SVC106", source.splitlines().index("        subprocess.run(['ls'])") + 1, 9)]


def test_an_attribute_set_in_another_method_is_still_followed(monkeypatch):
    source = textwrap.dedent('''
        import requests

        class Client:
            def __init__(self, base):
                self.base = base
                self.http = requests.Session()

            def unrelated(self):
                return self.base.upper()

            def fetch(self, path):
                return self.http.get(self.base + path)
    ''') + DECOYS
    cut = excerpt_of(source, monkeypatch)
    assert "self.http = requests.Session()" in cut and "self.http.get(" in cut
    assert "return self.base.upper()" not in cut
    found, _ = findings(source, monkeypatch, excerpt=True)
    assert [code for code, *_ in found] == ["SVC101"]
    assert found == findings(source, monkeypatch, excerpt=False)[0]


def test_a_method_that_rebinds_the_attribute_is_kept_so_it_stays_unknown(monkeypatch):
    source = textwrap.dedent('''
        import requests

        class Client:
            def __init__(self):
                self.http = requests.Session()

            def reconnect(self):
                self.http = make_session()

            def fetch(self, url):
                return self.http.get(url)
    ''') + DECOYS
    cut = excerpt_of(source, monkeypatch)
    assert "self.http = make_session()" in cut
    assert findings(source, monkeypatch, excerpt=True)[0] == findings(source, monkeypatch, excerpt=False)[0] == []


@pytest.mark.parametrize("alias,use", [
    ("from datetime import datetime\nnow = datetime.utcnow\n", "now()"),
    ("import datetime as dt\nclock = dt.datetime\n", "clock.utcnow()"),
    ("from pymongo import MongoClient as Mongo\n", "Mongo('mongodb://db')"),
    ("import subprocess as sp\nrunner = sp.run\n", "runner(['ls'])"),
])
def test_names_derived_at_module_level_keep_the_functions_using_them(alias, use, monkeypatch):
    source = alias + DECOYS + f"\n\ndef job():\n    return {use}\n"
    whole, _ = findings(source, monkeypatch, excerpt=False)
    assert whole, "the example must be a finding"
    assert findings(source, monkeypatch, excerpt=True)[0] == whole
    assert use in excerpt_of(source, monkeypatch)


def test_an_attribute_bound_in_a_method_no_rule_wants_still_keeps_its_users(monkeypatch):
    # __init__ mentions threading but calls nothing SVC109 looks for, so it is hidden from Python's
    # parse at first (svcmod/fastpath/outline.py); `stop` mentions no threading name at all: only the name
    # derived from __init__'s binding ties its join() to a Thread
    source = textwrap.dedent('''
        import threading

        class Worker:
            def __init__(self, target):
                self.runner = threading.Thread(target=target)

            def describe(self):
                return "worker"

            def stop(self):
                self.runner.join()
    ''') + DECOYS
    whole, _ = findings(source, monkeypatch, excerpt=False, select=("SVC109",))
    assert [code for code, *_ in whole] == ["SVC109"]
    assert findings(source, monkeypatch, excerpt=True, select=("SVC109",))[0] == whole
    cut = excerpt_of(source, monkeypatch, select=("SVC109",))
    assert "self.runner = threading.Thread(target=target)" in cut and "self.runner.join()" in cut
    assert 'return "worker"' not in cut


def test_a_timeout_key_set_in_another_method_still_counts(monkeypatch):
    source = textwrap.dedent('''
        import requests

        class Client:
            def __init__(self):
                self.options = {}

            def configure(self):
                self.options["timeout"] = 5

            def fetch(self, url):
                return requests.get(url, **self.options)
    ''') + DECOYS
    assert findings(source, monkeypatch, excerpt=True)[0] == findings(source, monkeypatch, excerpt=False)[0] == []


def test_fixes_are_made_on_the_whole_file(monkeypatch):
    source = "import requests\n" + DECOYS + "\n\ndef fetch(url):\n    return requests.get(url)\n"
    _, cut = findings(source, monkeypatch, excerpt=True, fix=True)
    _, whole = findings(source, monkeypatch, excerpt=False, fix=True)
    assert cut.fixed is not None and cut.fixed == whole.fixed
    assert cut.fixed.decode() == source.replace("requests.get(url)", "requests.get(url, timeout=10)")


@pytest.mark.parametrize("source", [
    pytest.param("import subprocess\n" + DECOYS + "\ndef f(:\n    subprocess.run(['ls'])\n", id="syntax-error"),
    pytest.param(("import subprocess\r" + DECOYS.replace("\n", "\r") + "\rsubprocess.run(['ls'])\r"), id="lone-cr"),
    pytest.param("import subprocess\nsubprocess.run(['ls'])\n", id="nothing-to-leave-out"),
])
def test_files_an_excerpt_cannot_serve_are_parsed_whole(source, monkeypatch):
    assert excerpt_of(source, monkeypatch) is None
    assert findings(source, monkeypatch, excerpt=True)[0] == findings(source, monkeypatch, excerpt=False)[0]


def test_a_rule_that_is_not_local_sees_the_whole_file(monkeypatch):
    source = "from tenacity import retry\n" + DECOYS + "\n\n@retry\ndef fetch():\n    return call()\n"
    assert excerpt_of(source, monkeypatch, select=("SVC208",)) is None
    assert excerpt_of(source, monkeypatch, select=("SVC306",)) is None  # no rule wants the file at all


def test_coroutines_stay_coroutines_in_stubs(monkeypatch):
    source = textwrap.dedent('''
        import asyncio

        class Client:
            async def ping(self):
                await asyncio.sleep(0)
                return True

            @asyncio.coroutine
            def legacy(self):
                yield from self.ping()
    ''') + DECOYS
    cut = excerpt_of(source, monkeypatch, select=("SVC304",))
    assert "    async def ping(): pass\n" in cut
    whole, _ = findings(source, monkeypatch, excerpt=False, select=("SVC304",))
    assert [code for code, *_ in whole] == ["SVC304"]
    assert findings(source, monkeypatch, excerpt=True, select=("SVC304",))[0] == whole


def test_short_files_are_parsed_whole(monkeypatch):
    source = "import subprocess\n" + DECOYS + "\nsubprocess.run(['ls'])\n"
    monkeypatch.setattr(excerpts, "MIN_LINES", 10_000)
    assert excerpts.excerpt(source.encode(), [type(r) for r in Checker(Config()).rules.values()
                                              if r.fast_path.parts is not None], frozenset({"subprocess"})) is None


def test_a_file_declaring_another_encoding_is_parsed_whole(monkeypatch):
    source = "# -*- coding: latin-1 -*-\nimport subprocess\n" + DECOYS + "\nsubprocess.run(['ls'])\n"
    assert excerpt_of(source, monkeypatch) is None
    assert findings(source, monkeypatch, excerpt=True)[0] == findings(source, monkeypatch, excerpt=False)[0]


def test_names_in_any_script_are_words(monkeypatch):
    source = "import requests\nsesión = requests.Session()\n" + DECOYS + "\ndef fetch(url):\n    return sesión.get(url)\n"
    found, _ = findings(source, monkeypatch, excerpt=True, select=("SVC101",))
    assert [code for code, *_ in found] == ["SVC101"]
    assert found == findings(source, monkeypatch, excerpt=False, select=("SVC101",))[0]


def test_a_blank_line_continuing_a_statement_stays(monkeypatch):
    source = "import subprocess\nrun = subprocess.run \\\n\n(['ls'])\n" + DECOYS + "\nsubprocess.run(['ls'])\n"
    cut = excerpt_of(source, monkeypatch)
    assert "run = subprocess.run \\\n\n(['ls'])" in cut  # not joined into a call
    assert findings(source, monkeypatch, excerpt=True)[0] == findings(source, monkeypatch, excerpt=False)[0]


def test_a_class_holding_only_a_docstring_stays_valid(monkeypatch):
    source = "import subprocess\n\nclass Failed(Exception):\n    '''Raised when it fails.'''\n\n" \
             + DECOYS + "\nsubprocess.run(['ls'])\n"
    cut = excerpt_of(source, monkeypatch)
    assert "class Failed(Exception):\n    pass\n" in cut
    compile(cut, "cut.py", "exec")


def test_a_file_where_nothing_could_match_is_not_parsed(monkeypatch):
    source = "import subprocess\n" + DECOYS + "\nERRORS = (subprocess.CalledProcessError,)\n"
    monkeypatch.setattr(excerpts, "MIN_LINES", 0)
    cut = excerpts.excerpt(source.encode(), [type(r) for r in Checker(Config(select=("SVC106",))).rules.values()],
                           frozenset({"subprocess"}))
    assert cut is not None and cut.empty
    found, result = findings(source, monkeypatch, excerpt=True, select=("SVC106",))
    assert found == [] and not result.parsed


def test_module_level_code_is_looked_at_even_when_no_function_is_kept(monkeypatch):
    source = "import subprocess\n" + DECOYS + "\nsubprocess.run(['make'])\n"
    found, result = findings(source, monkeypatch, excerpt=True, select=("SVC106",))
    assert [code for code, *_ in found] == ["SVC106"] and result.parsed
    assert found == findings(source, monkeypatch, excerpt=False, select=("SVC106",))[0]


def test_python_s_warnings_about_the_code_are_not_printed(tmp_path):
    from conftest import run_subprocess
    body = "".join(f"def f{i}():\n    return {i}\n" for i in range(100))
    (tmp_path / "app.py").write_text("import subprocess\n" + body + "x = '\\d'\nsubprocess.run(['ls'])\n")
    # Python 3.12 shows this SyntaxWarning by default; 3.11 a DeprecationWarning, when asked to
    result = run_subprocess(["lint", "--no-cache", "app.py"], tmp_path, env={"PYTHONWARNINGS": "always"})
    assert result.exit_code == 1 and "app.py:203:1: SVC106" in result.stdout
    assert "escape sequence" not in result.stderr
