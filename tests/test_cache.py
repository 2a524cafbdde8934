"""The results cache: a warm run checks nothing unchanged, and never serves a stale or wrong result."""
from __future__ import annotations

import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import pytest
from conftest import write

import svcmod.registry.index as rule_index
import svcmod.run.cache as cache_module
from svcmod.check.checker import Checker
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config
from svcmod.run.cache import bucket_key
from svcmod.run.engine import RunOptions, run

MISSING = """
import requests


def fetch(url):
    return requests.get(url)
"""

FIXED = """
import requests


def fetch(url):
    return requests.get(url, timeout=10)
"""

OTHER = """
import subprocess

subprocess.run(["ls"])
"""


class CheckLog:
    """The files checked, as a list; written to a file, since files are checked in worker processes."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.write_text("")

    def names(self) -> list:
        return self.path.read_text().splitlines()

    def clear(self) -> None:
        self.path.write_text("")

    def __iter__(self):
        return iter(self.names())

    def __len__(self) -> int:
        return len(self.names())

    def __eq__(self, other) -> bool:
        return self.names() == other


@pytest.fixture
def checks(monkeypatch, tmp_path):
    """Paths that went through the parser-and-rules path (in whichever process checked them)."""
    seen = CheckLog(tmp_path / "checked.log")
    original = Checker.check

    def counting(self, filename, source, *args, **kwargs):
        with open(seen.path, "a") as log:
            log.write(filename + "\n")
        return original(self, filename, source, *args, **kwargs)

    monkeypatch.setattr(Checker, "check", counting)
    return seen


def lint(root: Path, **options) -> list:
    """Findings as (file name, line, code) of a cached in-process run over ``root``."""
    options.setdefault("cache_dir", root / ".svcmod_cache")
    result = run(RunOptions(paths=[root], jobs=1, cache=True, **options))
    return [(Path(f.filename).name, f.line, f.code) for f in result.findings]


def tree(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    write(root, {"a.py": MISSING, "b.py": OTHER, "c.py": "x = 1\n",
                 # subprocess-timeout: SVC106 fixes only where the project says how long processes may run
                 "pyproject.toml": "[tool.svcmod]\nselect = ['SVC']\nsubprocess-timeout = 60\n"})
    # as files are in real use: not written in the same moment as checked (see RACY_SECONDS)
    for name in ("a.py", "b.py", "c.py"):
        set_mtime(root / name, time.time() - 60)
    return root


def set_mtime(path: Path, seconds: float) -> None:
    os.utime(path, ns=(int(seconds * 1e9), int(seconds * 1e9)))


def test_warm_run_checks_no_unchanged_file_and_reports_the_same(tmp_path, checks, monkeypatch):
    root = tree(tmp_path)
    cold = lint(root)
    assert cold == [("a.py", 5, "SVC101"), ("b.py", 3, "SVC106")]
    assert len(checks) == 3
    checks.clear()
    opened = []
    real_open = open

    def watching_open(file, *args, **kwargs):
        if str(file).endswith(".py"):
            opened.append(file)
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr("builtins.open", watching_open)
    assert lint(root) == cold
    assert checks == []
    assert opened == []  # not even read: stat says unchanged


def test_two_copies_of_a_tree_do_not_share_a_bucket(tmp_path, checks):
    import shutil
    first = write(tmp_path / "repo", {"a.py": MISSING, "c.py": "x = 1\n"})  # the default configuration
    for name in ("a.py", "c.py"):
        set_mtime(first / name, time.time() - 60)
    lint(first)
    second = tmp_path / "copy"
    shutil.copytree(first, second, copy_function=shutil.copy2)  # its cache too, as a committed one would be
    checks.clear()
    assert lint(second) == lint(first)
    assert len(checks) == 2  # nothing taken from the copied cache
    buckets = {p.name for p in (first / ".svcmod_cache").glob("svcmod-*.json")}
    copied = {p.name for p in (second / ".svcmod_cache").glob("svcmod-*.json")}
    assert copied - buckets, "the copy's run used the bucket of the original's directory"


def test_cache_directory_is_tagged_and_git_ignored(tmp_path):
    root = tree(tmp_path)
    lint(root)
    directory = root / ".svcmod_cache"
    assert (directory / "CACHEDIR.TAG").read_text().startswith("Signature: 8a477f597d28d172789f06886806bc55")
    assert (directory / ".gitignore").read_text().splitlines()[-1] == "*"


def test_default_location_is_the_configuration_root(tmp_path, monkeypatch):
    root = tree(tmp_path)
    monkeypatch.chdir(tmp_path)
    run(RunOptions(paths=[root / "a.py"], jobs=1, cache=True))
    assert (root / ".svcmod_cache" / "CACHEDIR.TAG").is_file()
    assert not (tmp_path / ".svcmod_cache").exists()


def test_edited_file_is_checked_again_alone(tmp_path, checks):
    root = tree(tmp_path)
    lint(root)
    checks.clear()
    (root / "a.py").write_text(FIXED.lstrip("\n"))
    assert lint(root) == [("b.py", 3, "SVC106")]
    assert [Path(c).name for c in checks] == ["a.py"]


def test_same_size_edit_in_the_same_clock_tick_is_seen(tmp_path, checks):
    root = tree(tmp_path)
    # modified as it was checked (an mtime not older than the check): the stat cannot be trusted
    set_mtime(root / "a.py", time.time() + 3600)
    lint(root)
    stat = os.stat(root / "a.py")
    # same length, same mtime: only the content hash can tell (the racily-clean case)
    (root / "a.py").write_text(MISSING.lstrip("\n").replace("fetch", "fetcH"))
    os.utime(root / "a.py", ns=(stat.st_atime_ns, stat.st_mtime_ns))
    checks.clear()
    lint(root)
    assert [Path(c).name for c in checks] == ["a.py"]


def test_touched_but_unchanged_file_is_not_parsed_again(tmp_path, checks):
    root = tree(tmp_path)
    cold = lint(root)
    os.utime(root / "a.py", ns=(10**18, 10**18))
    checks.clear()
    assert lint(root) == cold
    assert checks == []


def test_config_change_invalidates(tmp_path, checks):
    root = tree(tmp_path)
    lint(root)
    (root / "pyproject.toml").write_text("[tool.svcmod]\nselect = ['SVC']\nignore = ['SVC106']\n")
    checks.clear()
    assert lint(root) == [("a.py", 5, "SVC101")]
    assert len(checks) == 3


def test_command_line_selection_is_part_of_the_key(tmp_path):
    root = tree(tmp_path)
    lint(root)
    assert lint(root, select=("SVC106",)) == [("b.py", 3, "SVC106")]
    assert lint(root) == [("a.py", 5, "SVC101"), ("b.py", 3, "SVC106")]


def test_editing_a_rule_module_changes_the_key(tmp_path, monkeypatch):
    package = tmp_path / "pack"
    package.mkdir()
    module_file = package / "my_rule.py"
    module_file.write_text("from svcmod.rule import Rule\n\nclass MyRule(Rule):\n    code = 'XYZ001'\n")
    spec = importlib.util.spec_from_file_location("pack_my_rule", module_file)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "pack_my_rule", module)
    spec.loader.exec_module(module)
    rules = (module.MyRule,)
    before = bucket_key(Config(), rules, FixPolicy(), None)
    monkeypatch.setattr(rule_index, "_FINGERPRINTS", {})
    module_file.write_text(module_file.read_text() + "    message = 'changed'\n")
    after = bucket_key(Config(), rules, FixPolicy(), None)
    assert before[0] != after[0]
    assert before[1] == after[1]  # same owner: the old bucket is superseded and pruned


def test_fix_run_is_not_fooled_by_cached_lint_results(tmp_path):
    root = tree(tmp_path)
    lint(root)
    lint(root, fix=FixPolicy(apply=True, unsafe=True), write=True)
    assert (root / "a.py").read_text() == FIXED.lstrip("\n")
    assert lint(root) == []  # b.py was fixed too
    assert lint(root, fix=FixPolicy(apply=True, unsafe=True), write=True) == []


def test_diff_run_twice_still_has_the_fixed_text(tmp_path):
    root = tree(tmp_path)
    policy = FixPolicy(apply=True, unsafe=True)
    for _ in range(2):
        result = run(RunOptions(paths=[root], jobs=1, cache=True, cache_dir=root / ".svcmod_cache",
                                fix=policy, write=False, keep_sources=True))
        fixed = {Path(r.filename).name: r.fixed for r in result.files if r.fixed is not None}
        assert sorted(fixed) == ["a.py", "b.py"]
    assert (root / "a.py").read_text() == MISSING.lstrip("\n")


def test_deleted_files_and_superseded_buckets_are_pruned(tmp_path):
    root = tree(tmp_path)
    directory = root / ".svcmod_cache"
    lint(root)
    (root / "pyproject.toml").write_text("[tool.svcmod]\nselect = ['SVC']\ndefault-timeout = 3\n")
    (root / "c.py").unlink()
    lint(root)
    buckets = list(directory.glob("svcmod-*.json"))
    assert len(buckets) == 1  # the bucket of the old settings is gone
    entries = json.loads(buckets[0].read_text())["files"]
    assert sorted(Path(p).name for p in entries) == ["a.py", "b.py"]


def test_corrupt_cache_is_ignored(tmp_path):
    root = tree(tmp_path)
    cold = lint(root)
    for bucket in (root / ".svcmod_cache").glob("*.json"):
        bucket.write_text("{not json")
    assert lint(root) == cold
    assert lint(root) == cold


def test_no_cache_writes_nothing(svcmod, tmp_path):
    root = tree(tmp_path)
    result = svcmod("lint", "--no-cache", ".", cwd=root)
    assert result.exit_code == 1, result
    assert not (root / ".svcmod_cache").exists()
    result = svcmod("lint", "--cache-dir", str(tmp_path / "elsewhere"), ".", cwd=root)
    assert result.exit_code == 1, result
    assert (tmp_path / "elsewhere" / "CACHEDIR.TAG").is_file()
    assert not (root / ".svcmod_cache").exists()


def test_cli_warm_run_prints_the_same(svcmod, tmp_path):
    root = tree(tmp_path)
    first = svcmod("lint", "--format", "json", ".", cwd=root)
    second = svcmod("lint", "--format", "json", ".", cwd=root)
    assert first.exit_code == second.exit_code == 1
    assert json.loads(first.stdout) == json.loads(second.stdout)
    assert len(json.loads(first.stdout)) == 2


def test_unwritable_cache_directory_does_not_fail_the_run(tmp_path):
    root = tree(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    assert lint(root, cache_dir=blocker / "cache") == [("a.py", 5, "SVC101"), ("b.py", 3, "SVC106")]



# The cache owns only what it created: its clean-up must never delete a file svcmod did not write.

def test_a_directory_svcmod_did_not_create_is_refused_and_left_as_it_was(tmp_path, svcmod):
    root = tree(tmp_path)
    data = root / "data"
    write(data, {"package.json": "{}\n", "tsconfig.json": "{}\n"})
    for name in ("package.json", "tsconfig.json"):
        set_mtime(data / name, time.time() - 60 * 86400)  # older than the clean-up's age limit
    result = svcmod("lint", "--cache-dir", "data", "a.py", cwd=root)
    assert result.exit_code == 2, result
    assert "data" in result.stderr and "not created by svcmod" in result.stderr
    assert "Traceback" not in result.stderr
    assert sorted(p.name for p in data.iterdir()) == ["package.json", "tsconfig.json"]


def test_cache_dir_dot_in_configuration_is_refused_and_deletes_nothing(tmp_path, svcmod):
    root = tree(tmp_path)
    write(root, {"pyproject.toml": "[tool.svcmod]\nselect = ['SVC']\ncache-dir = '.'\n",
                 "package.json": "{}\n"})
    set_mtime(root / "package.json", time.time() - 60 * 86400)
    result = svcmod("lint", "a.py", cwd=root)
    assert result.exit_code == 2, result
    assert (root / "package.json").exists()
    assert not (root / ".gitignore").exists() and not (root / "CACHEDIR.TAG").exists()


def test_a_cache_directory_that_is_a_symlink_is_refused(tmp_path, svcmod):
    root = tree(tmp_path)
    outside = tmp_path / "outside"
    outside.mkdir()
    (root / ".svcmod_cache").symlink_to(outside, target_is_directory=True)
    result = svcmod("lint", "a.py", cwd=root)
    assert result.exit_code == 2, result
    assert "symbolic link" in result.stderr
    assert list(outside.iterdir()) == []


def test_a_planted_tag_of_another_tool_does_not_make_a_directory_svcmod_s(tmp_path):
    root = tree(tmp_path)
    write(root / "cache", {"CACHEDIR.TAG": "Signature: 8a477f597d28d172789f06886806bc55\n# created by pytest\n",
                           "keep.json": "{}\n"})
    with pytest.raises(cache_module.CacheDirectoryError):
        lint(root, cache_dir=root / "cache")


def test_clean_up_deletes_only_its_own_stale_bucket_files(tmp_path):
    root = tree(tmp_path)
    directory = root / ".svcmod_cache"
    lint(root)
    stale_bucket = directory / ("svcmod-" + "0" * 24 + ".json")
    legacy_bucket = directory / ("1" * 24 + ".json")
    foreign = [directory / "package.json", directory / "notes.txt", directory / ("svcmod-" + "2" * 24 + ".json.bak")]
    for path in [stale_bucket, legacy_bucket, *foreign]:
        path.write_text("{}")
        set_mtime(path, time.time() - 60 * 86400)
    (root / "a.py").write_text(FIXED.lstrip("\n"))  # something new to save, so the clean-up runs
    lint(root)
    assert not stale_bucket.exists() and not legacy_bucket.exists()
    assert all(path.exists() for path in foreign)
    assert any(p.name.startswith("svcmod-") for p in directory.iterdir())


def test_a_cache_directory_svcmod_made_is_used_again(tmp_path):
    root = tree(tmp_path)
    assert lint(root) == lint(root) == [("a.py", 5, "SVC101"), ("b.py", 3, "SVC106")]


def edits_by_finding(root: Path, **options) -> dict:
    options.setdefault("cache_dir", root / ".svcmod_cache")
    result = run(RunOptions(paths=[root], jobs=1, cache=True, **options))
    return {(Path(f.filename).name, f.line, f.code): f.fix_edits for f in result.findings}


def test_a_warm_json_run_takes_each_fixs_edits_from_the_cache_and_a_text_runs_entry_has_none(tmp_path, checks):
    root = tree(tmp_path)
    assert set(edits_by_finding(root).values()) == {None}  # a text run makes no edits...
    checks.clear()
    cold = edits_by_finding(root, fix_edits=True)  # ...so its entries cannot serve a JSON run
    assert cold[("a.py", 5, "SVC101")] == [{"content": ", timeout=10", "location": {"row": 5, "column": 28},
                                             "end_location": {"row": 5, "column": 28}}]
    assert all(cold.values()) and checks != []
    checks.clear()
    assert edits_by_finding(root, fix_edits=True) == cold
    assert checks == []  # neither checked nor fixed again: no parser in a warm JSON run


def test_a_warm_json_run_does_not_import_the_parser(tmp_path):
    import subprocess
    root = tree(tmp_path)
    command = [sys.executable, "-X", "importtime", "-m", "svcmod", "lint", "--format", "json", "."]
    cold = subprocess.run(command, cwd=root, capture_output=True, text=True)
    warm = subprocess.run(command, cwd=root, capture_output=True, text=True)
    assert cold.returncode == warm.returncode == 1, warm.stderr
    assert json.loads(warm.stdout) == json.loads(cold.stdout)
    assert [f["fix"]["edits"] for f in json.loads(warm.stdout)][0], warm.stdout
    assert " libcst" not in warm.stderr
