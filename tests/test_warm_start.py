"""A run whose files are all cached starts fast: it imports neither LibCST nor any rule, yet
reports, and refuses bad configuration, exactly as a run that imports them."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import write

from svcmod.registry import index
from svcmod.registry.rules import builtin_rules

# runs svcmod lint in this process's interpreter, then says which heavy modules it imported
PROBE = ("import sys, runpy\n"
         "sys.argv = ['svcmod'] + sys.argv[1:]\n"
         "try:\n    runpy.run_module('svcmod', run_name='__main__')\n"
         "except SystemExit as exit:\n    code = exit.code\n"
         "loaded = sorted(m for m in sys.modules if m == 'libcst' or m.startswith('svcmod.lint_rules.'))\n"
         "print('EXIT', code, 'LOADED', loaded, file=sys.stderr)\n")


def svcmod_lint(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", PROBE, "lint", *args, "."], cwd=root,
                          capture_output=True, text=True)


def project(tmp_path: Path, config: str = "[tool.svcmod]\nselect = ['SVC']\n") -> Path:
    root = tmp_path / "repo"
    write(root, {"a.py": "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n",
                 "b.py": "x = 1\n", "pyproject.toml": config})
    for name in ("a.py", "b.py"):  # not modified in the moment they are checked (see RACY_SECONDS)
        old = int((time.time() - 60) * 1e9)
        os.utime(root / name, ns=(old, old))
    return root


def test_warm_run_imports_no_libcst_and_no_rule_and_reports_the_same(tmp_path):
    root = project(tmp_path)
    cold = svcmod_lint(root)
    assert "SVC101" in cold.stdout
    assert "'libcst'" in cold.stderr  # the cold run did parse
    warm = svcmod_lint(root)
    assert warm.stdout == cold.stdout
    assert "EXIT 1 LOADED []" in warm.stderr, warm.stderr


def test_a_warm_run_with_declared_deprecations_imports_no_rule(tmp_path):
    root = project(tmp_path, "[tool.svcmod]\nselect = ['SVC']\n\n[[tool.svcmod.deprecations]]\ncode = 'SVC401'\n"
                             "name = 'requests.get'\nreplacement = 'requests.fetch'\n")
    cold = svcmod_lint(root)
    assert "a.py:5:12: SVC401" in cold.stdout and "SVC101" in cold.stdout, cold
    warm = svcmod_lint(root)
    assert warm.stdout == cold.stdout
    assert "EXIT 1 LOADED []" in warm.stderr, warm.stderr


def test_a_changed_file_is_checked_with_the_rules_imported(tmp_path):
    root = project(tmp_path)
    svcmod_lint(root)
    (root / "b.py").write_text("import subprocess\n\nsubprocess.run(['ls'])\n")
    warm = svcmod_lint(root)
    assert "b.py:3:1: SVC106" in warm.stdout and "a.py" in warm.stdout
    assert "'libcst'" in warm.stderr


@pytest.mark.parametrize("bad", [
    "[tool.svcmod]\nselect = ['SVC1O1']",
    "[tool.svcmod]\nper-file-ignores = { 'a.py' = ['SVC77'] }",
    "[tool.svcmod.rules.SVC101]\nnot-an-option = 1",
    "[tool.svcmod.rules.SVC101]\ntimeout = 'ten'",
    "[tool.svcmod.rules.SVC101]\ntimeout = -5",
    "[[tool.svcmod.deprecations]]\ncode = 'SVC401'\nname = 'requests.get'\nbogus = 1",
    "[[tool.svcmod.deprecations]]\ncode = 'SVC101'\nname = 'requests.get'",
    "[[tool.svcmod.deprecations]]\ncode = 'SVC401'\nname = 'requests.get'\n"
    "[tool.svcmod.rules.SVC401]\ntimeout = 1",
])
def test_a_warm_run_refuses_bad_configuration_as_the_reference_does(tmp_path, bad):
    root = project(tmp_path)
    assert "EXIT 1" in svcmod_lint(root).stderr  # writes the rules' record
    (root / "pyproject.toml").write_text(bad + "\n")
    warm = svcmod_lint(root)
    reference = svcmod_lint(root, "--no-cache")
    assert "svcmod: error:" in reference.stderr
    assert warm.stderr.splitlines()[0] == reference.stderr.splitlines()[0]
    assert "EXIT 2 LOADED []" in warm.stderr, warm.stderr


def test_the_record_is_stale_once_a_rule_source_changes(tmp_path, monkeypatch):
    pack = tmp_path / "pack"
    write(pack, {"my_rule.py": "CODE = 'XYZ001'\n"})
    (tmp_path / index.FILE_NAME).write_bytes(
        index.record(builtin_rules(), [str(pack)], index.source_fingerprint([str(pack)])))
    assert [r.code for r in index.load(str(tmp_path)).rules] == [r.code for r in builtin_rules()]
    (pack / "my_rule.py").write_text("CODE = 'XYZ002'\n")
    monkeypatch.setattr(index, "_FINGERPRINTS", {})  # as in a new process
    assert index.load(str(tmp_path)) is None
    (pack / "my_rule.py").write_text("CODE = 'XYZ001'\n")
    (pack / "helper.py").write_text("")  # a new module next to the rules
    monkeypatch.setattr(index, "_FINGERPRINTS", {})
    assert index.load(str(tmp_path)) is None


def test_the_record_is_stale_for_another_svcmod_version(tmp_path, monkeypatch):
    record = index.record(builtin_rules(), [], index.source_fingerprint([]))
    (tmp_path / index.FILE_NAME).write_bytes(record)
    assert index.load(str(tmp_path)) is not None
    monkeypatch.setattr(index, "__version__", "0.0.0-other")
    assert index.load(str(tmp_path)) is None


def planted_records(real: bytes) -> dict:
    """What a repository could commit as ``rules-index.json``: the real record with SVC101 left out
    (unsigned, or with the signature of the real one), and things that are no record at all."""
    data = json.loads(real)
    body = json.loads(data["record"]) if "record" in data else data
    body["rules"] = [entry for entry in body["rules"] if entry[0] != "SVC101"]
    return {
        "edited, unsigned": json.dumps(body).encode(),
        "edited, signature of the real one": json.dumps({"record": json.dumps(body),
                                                         "signature": data.get("signature", "0" * 64)}).encode(),
        "deeply nested": b"[" * 200_000,
        "wrong types": json.dumps({"record": json.dumps({"rules": 5}), "signature": 7}).encode(),
        "not json": b"\xff\xfe",
    }


@pytest.mark.parametrize("case", sorted(planted_records(b'{"rules": []}')))
def test_a_planted_rules_index_is_ignored_and_rebuilt(tmp_path, case):
    root = project(tmp_path, "[tool.svcmod]\nselect = ['SVC101']\n")
    cold = svcmod_lint(root)
    assert "SVC101" in cold.stdout
    path = root / ".svcmod_cache" / index.FILE_NAME
    path.write_bytes(planted_records(path.read_bytes())[case])
    planted = svcmod_lint(root)
    assert "EXIT 1" in planted.stderr and "Traceback" not in planted.stderr, planted.stderr
    assert planted.stdout == cold.stdout  # SVC101 still known, selected and found
    assert "svcmod.lint_rules." in planted.stderr  # the record was not used: the rules were imported
    assert index.load(str(root / ".svcmod_cache")) is not None  # and a record of this user's replaced it


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_a_fifo_planted_as_the_rules_index_does_not_hang(tmp_path):
    root = project(tmp_path)
    cold = svcmod_lint(root)
    path = root / ".svcmod_cache" / index.FILE_NAME
    path.unlink()
    os.mkfifo(path)
    planted = subprocess.run([sys.executable, "-c", PROBE, "lint", "."], cwd=root, capture_output=True,
                             text=True, timeout=120)
    assert planted.stdout == cold.stdout and "EXIT 1" in planted.stderr, planted.stderr
