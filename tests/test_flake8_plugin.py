"""The flake8 plugin as editors run it: real flake8, by path and on stdin, same findings as lint."""
from __future__ import annotations

import ast
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional, Set, Tuple

import pytest
from conftest import REPO, run_subprocess, write

from svcmod.integrations import flake8_plugin
from svcmod.integrations.flake8_plugin import SvcmodChecker

FIXTURE = REPO / "fixtures" / "flake8"
FORMAT = "%(path)s|%(row)d|%(col)d|%(code)s"

Found = Set[Tuple[str, int, int, str]]


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A copy of the fixture project, so no run leaves anything in the repository."""
    return Path(shutil.copytree(FIXTURE, tmp_path / "project"))


def flake8(*args: str, cwd: Path, stdin: Optional[bytes] = None) -> subprocess.CompletedProcess:
    # --isolated: no flake8 configuration of the machine or the repository changes the result
    return subprocess.run([sys.executable, "-m", "flake8", "--isolated", "--format", FORMAT, *args],
                          cwd=cwd, input=stdin, capture_output=True, timeout=300)


def flake8_findings(output: bytes) -> Found:
    found = set()
    for line in output.decode("utf-8").splitlines():
        path, row, col, code = line.rsplit("|", 3)
        found.add((os.path.normpath(path), int(row), int(col), code))
    return found


def lint_findings(*paths: str, cwd: Path) -> Found:
    result = run_subprocess(["lint", "--format", "json", "--exit-zero", *paths], cwd)
    assert result.exit_code == 0, result
    return {(os.path.relpath(f["filename"], cwd), f["location"]["row"], f["location"]["column"], f["code"])
            for f in json.loads(result.stdout)}


def test_flake8_by_path_reports_exactly_what_lint_reports(project):
    by_flake8 = flake8("--select", "SVC", ".", cwd=project)
    assert by_flake8.returncode == 1, by_flake8.stderr.decode()
    assert b"Traceback" not in by_flake8.stderr
    expected = lint_findings(".", cwd=project)
    assert flake8_findings(by_flake8.stdout) == expected
    # the comparison means something: several files, families and config effects are in play
    codes = {code for _, _, _, code in expected}
    assert {"SVC101", "SVC106", "SVC306"} <= codes
    assert ("service/client.py", 48, 29, "SVC101") in expected  # two findings on one line
    assert ("service/latin1.py", 5, 20, "SVC101") in expected  # column after a latin-1 character
    assert not any(f[0] == "legacy/old_client.py" and f[3] == "SVC101" for f in expected)  # per-file-ignores
    assert not any(f[0] == "tools/fetch.py" and f[3] == "SVC101" for f in expected)  # nested config


def test_flake8_matches_lint_on_the_sample_monorepo(tmp_path):
    """Every project of the monorepo with its own config, declared deprecations, all rule families."""
    monorepo = Path(shutil.copytree(REPO / "fixtures" / "monorepo", tmp_path / "monorepo"))
    expected = lint_findings(".", cwd=monorepo)
    assert len({code for _, _, _, code in expected}) >= 5
    # E999: a file Python cannot parse is flake8's own finding (svcmod would say SVC901); none here
    assert flake8_findings(flake8("--select", "SVC,E999", ".", cwd=monorepo).stdout) == expected


@pytest.mark.parametrize("name", ["service/client.py", "legacy/old_client.py", "tools/fetch.py"])
def test_stdin_with_display_name_uses_the_config_of_that_path(project, name):
    """pylsp runs ``flake8 - --stdin-display-name path`` with the unsaved buffer."""
    buffer = (project / name).read_bytes()
    by_flake8 = flake8("--select", "SVC", "-", "--stdin-display-name", name, cwd=project, stdin=buffer)
    assert b"Traceback" not in by_flake8.stderr, by_flake8.stderr.decode()
    assert flake8_findings(by_flake8.stdout) == lint_findings(name, cwd=project)


def test_stdin_buffer_wins_over_the_file_on_disk(project):
    edited = (project / "service/clean.py").read_bytes().replace(b", timeout=5", b"")
    by_flake8 = flake8("--select", "SVC", "-", "--stdin-display-name", "service/clean.py",
                       cwd=project, stdin=edited)
    assert flake8_findings(by_flake8.stdout) == {("service/clean.py", 6, 12, "SVC101")}


def test_noqa_is_left_to_flake8(project):
    """The plugin reports noqa'd lines; flake8 drops them, and --disable-noqa shows them."""
    normal = flake8_findings(flake8("--select", "SVC", "service/client.py", cwd=project).stdout)
    everything = flake8_findings(flake8("--select", "SVC", "--disable-noqa", "service/client.py",
                                        cwd=project).stdout)
    assert everything - normal == {("service/client.py", 32, 16, "SVC101")}
    # svcmod's own suppression comment is not flake8's business: it holds either way
    assert not any(line == 35 for _, line, _, _ in everything)


def test_plugin_codes_are_on_by_default(project):
    """flake8 enables a plugin's codes by default: `flake8 file.py` alone shows SVC findings."""
    by_flake8 = flake8("service/clean.py", "tools/fetch.py", cwd=project)
    assert ("tools/fetch.py", 8, 5, "SVC106") in flake8_findings(by_flake8.stdout)


def test_bad_configuration_is_one_finding_not_a_crash(tmp_path):
    write(tmp_path, {
        "pyproject.toml": '[tool.svcmod]\nselekt = ["SVC1"]\n',
        "app.py": "import requests\nrequests.get('https://example.com')\n",
    })
    by_flake8 = flake8("--select", "SVC", "app.py", cwd=tmp_path)
    assert b"Traceback" not in by_flake8.stderr, by_flake8.stderr.decode()
    assert by_flake8.returncode == 1
    (line,) = by_flake8.stdout.decode().splitlines()
    assert line.startswith("app.py|1|1|SVC901")
    message = flake8("--select", "SVC", "--format", "default", "app.py", cwd=tmp_path).stdout.decode()
    assert "unknown key 'selekt'" in message and "did you mean 'select'" in message


def test_another_projects_bad_configuration_does_not_make_the_file_unchecked(tmp_path):
    # the project index walks the working directory (no repository, no marker above the file):
    # a broken pyproject.toml of a sibling project is that project's problem, as in svcmod lint
    write(tmp_path, {
        "other/pyproject.toml": "[tool.svcmod\nbroken",
        "service/app.py": "import requests\nrequests.get('https://example.com')\n",
    })
    by_flake8 = flake8("--select", "SVC", "service/app.py", cwd=tmp_path)
    assert flake8_findings(by_flake8.stdout) == lint_findings("service/app.py", cwd=tmp_path), by_flake8
    assert ("service/app.py", 2, 1, "SVC101") in flake8_findings(by_flake8.stdout)


def test_file_libcst_cannot_parse_gives_one_svc901():
    """flake8 itself reports files Python cannot parse (E999); the plugin must survive the rest."""
    lines = ["import requests\n", "\n", "def fetch(url:\n", "    return requests.get(url)\n"]
    found = list(SvcmodChecker(ast.Module(body=[], type_ignores=[]), lines, "broken.py").run())
    assert len(found) == 1
    line, column, text, _ = found[0]
    assert text.startswith("SVC901 ")
    assert line == 3 and column >= 0


def test_checker_is_built_once_per_config_and_again_when_it_changes(tmp_path, monkeypatch):
    write(tmp_path, {"pyproject.toml": "[tool.svcmod]\nselect = [\"SVC1\"]\n"})
    code = "import requests\nrequests.get(url)\n"
    built = []
    from svcmod.check.checker import Checker
    original = Checker.__init__

    def counting(self, *args, **kwargs):
        built.append(args[0].path)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Checker, "__init__", counting)
    monkeypatch.setattr(flake8_plugin, "_setup", None)

    def check(name: str) -> list:
        lines = code.splitlines(keepends=True)
        return [text.split()[0] for _, _, text, _ in SvcmodChecker(ast.parse(code), lines, str(tmp_path / name)).run()]

    assert [check(f"m{i}.py") for i in range(5)] == [["SVC101"]] * 5
    assert len(built) == 1
    # an editor keeps the process alive while the user edits the configuration
    (tmp_path / "pyproject.toml").write_text("[tool.svcmod]\nselect = [\"SVC1\"]\nignore = [\"SVC101\"]\n")
    assert check("m0.py") == []
    assert len(built) == 2


def test_installing_svcmod_costs_a_flake8_run_that_selects_no_svc_code_no_libcst(tmp_path):
    """flake8 imports and runs every plugin; with --select E svcmod must load nothing but its entry
    point (no LibCST, no rule, not even its configuration), and report nothing."""
    write(tmp_path, {"app.py": "import requests\nrequests.get(url)\n"})
    probe = ("import sys, runpy\n"
             "sys.argv = ['flake8', '--isolated', '--select', 'E,F', 'app.py']\n"
             "try:\n    runpy.run_module('flake8', run_name='__main__')\n"
             "except SystemExit:\n    pass\n"
             "entry = ('svcmod', 'svcmod.integrations', 'svcmod.integrations.flake8_plugin')\n"
             "loaded = sorted(m for m in sys.modules if m == 'libcst' or m.startswith('svcmod') and m not in entry)\n"
             "print('LOADED', loaded)\n")
    completed = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert "SVC101" not in completed.stdout
    assert "LOADED []" in completed.stdout, completed.stdout + completed.stderr
    # the same run selecting SVC does check the file
    selected = flake8("--select", "SVC", "app.py", cwd=tmp_path)
    assert b"SVC101" in selected.stdout


@pytest.mark.parametrize("options, reported", [
    (["--select", "E"], False),
    (["--select", "E", "--extend-select", "SVC1"], True),
    (["--select", "SVC"], True),
    (["--select", "SVC2"], False),
    (["--extend-ignore", "SVC"], False),
    ([], True),  # flake8 selects a plugin's codes by default
])
def test_the_plugin_reports_exactly_when_flake8_selects_its_code(tmp_path, options, reported):
    write(tmp_path, {"app.py": "import requests\nrequests.get(url)\n"})
    completed = flake8(*options, "app.py", cwd=tmp_path)
    assert b"Traceback" not in completed.stderr
    assert (b"SVC101" in completed.stdout) == reported, completed.stdout


@pytest.mark.parametrize("options", [
    [], ["--select", "E"], ["--select", "SVC"], ["--select", "SVC2"], ["--select", "SVC20"], ["--select", "SVC209"],
    ["--select", "S"], ["--select", "E,SVC1", "--ignore", "SVC1"], ["--select", "SVC1", "--extend-ignore", "SVC10"],
    ["--select", "SVC10", "--extend-ignore", "SVC1"], ["--extend-ignore", "SVC"], ["--extend-ignore", "SVC9,SVC1"],
    ["--select", "SVC", "--ignore", "SVC1,SVC2,SVC3,SVC4,SVC5,SVC6,SVC7,SVC8,SVC90,SVC91,SVC92,SVC93,SVC94,SVC95,"
     "SVC96,SVC97,SVC98,SVC990,SVC991,SVC992,SVC993,SVC994,SVC995,SVC996,SVC997,SVC998"],
    ["--select", "SVC", "--ignore", "SVC1,SVC2,SVC3,SVC4,SVC5,SVC6,SVC7,SVC8,SVC90,SVC91,SVC92,SVC93,SVC94,SVC95,"
     "SVC96,SVC97,SVC98,SVC990,SVC991,SVC992,SVC993,SVC994,SVC995,SVC996,SVC997,SVC998,SVC999"],
    ["--extend-select", "SVC999", "--extend-ignore", "SVC"], ["--select", "SVCX"], ["--extend-select", "SVC1000"],
])
def test_the_plugin_asks_flake8_about_its_codes_as_if_one_by_one(options):
    """Whether flake8 selects any SVC code is asked once per group of codes its options treat alike:
    the same answer as asking about each of SVC100 to SVC999."""
    from flake8.options.parse_args import parse_args
    from flake8.style_guide import Decision, DecisionEngine

    from svcmod.integrations.flake8_plugin import selects_a_code
    engine = DecisionEngine(parse_args(["--isolated", *options])[1])
    one_by_one = any(engine.decision_for(f"SVC{number}") == Decision.Selected for number in range(100, 1000))
    assert selects_a_code(engine, Decision.Selected) == one_by_one


@pytest.mark.parametrize("output_format", ["text", "json"])
def test_flake8_reads_the_project_index_from_lints_cache(tmp_path, monkeypatch, output_format):
    """Issue 17, item 5: after ``svcmod lint``, the plugin parses no unchanged file for the index
    (it takes each file's part from lint's cache) and finds what lint found across modules. A JSON
    run keeps its results in a bucket of its own (its findings carry fix.edits): read from either."""
    from svcmod.run import indexing
    monorepo = Path(shutil.copytree(REPO / "fixtures" / "monorepo", tmp_path / "monorepo"))
    expected = lint_findings(".", cwd=monorepo)
    if output_format == "text":  # the cache filled by a text run only
        shutil.rmtree(monorepo / ".svcmod_cache")
        assert run_subprocess(["lint", "--exit-zero", "."], monorepo).exit_code == 0
    catalog = "services/orders/orders/catalog.py"  # sessions of the shared library acme.http
    assert {(row, code) for path, row, _, code in expected if path == catalog} >= {(9, "SVC101"), (14, "SVC101")}
    parsed = []
    real = indexing.module_names
    monkeypatch.setattr(indexing, "module_names", lambda *args, **kwargs: parsed.append(args[1]) or real(*args, **kwargs))
    monkeypatch.setattr(flake8_plugin, "_setup", None)
    monkeypatch.chdir(monorepo)
    lines = (monorepo / catalog).read_text().splitlines(True)
    found = SvcmodChecker(ast.parse("".join(lines)), lines, catalog).findings()
    assert {(f.line, f.column, f.code) for f in found} == {(row, col, code) for path, row, col, code in expected
                                                           if path == catalog}
    assert parsed == []
