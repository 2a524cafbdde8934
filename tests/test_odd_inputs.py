"""Odd inputs never crash a run: each gives a finding or a clear message and the other files are checked.

Every case puts one odd file beside an ordinary one (``good.py``, one SVC101) and runs
``svcmod lint --fix --unsafe-fixes`` both as the installed command and through click's runner:
no traceback, the odd file is named with a clear message (or is silently fine when it is valid),
its bytes are untouched, and ``good.py`` is still checked and fixed.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from conftest import write

GOOD = "import requests\nrequests.get('https://example.com')\n"
GOOD_FIXED = "import requests\nrequests.get('https://example.com', timeout=10)\n"
# content must import a module some rule wants, or the prefilter never parses it
NEEDS_PARSE = b"import requests\n"


def lint_json(svcmod, root: Path, *paths: str):
    """Findings by file of a fixing run over ``root``, and the result."""
    result = svcmod("lint", "--fix", "--unsafe-fixes", "--format", "json", *(paths or (".",)), cwd=root)
    assert "Traceback" not in result.stderr + result.stdout, result
    assert result.exit_code in (0, 1), result
    by_file = {}
    for finding in json.loads(result.stdout or "[]"):
        # ruff's JSON names files absolutely: keyed here as the command line named them
        by_file.setdefault(os.path.relpath(finding["filename"], root), []).append(finding)
    return by_file, result


def assert_good_still_fixed(root: Path) -> None:
    assert (root / "good.py").read_text() == GOOD_FIXED


ODD_FILES = {
    # name: (bytes, expected SVC901 message part or None for "valid, no finding")
    "syntax_error.py": (NEEDS_PARSE + b"requests.get(\n", "cannot parse"),
    "python2.py": (NEEDS_PARSE + b'print "x"\n', "cannot parse"),
    "asyncio_async.py": (b"import asyncio\n" + NEEDS_PARSE + b"asyncio.async(main())\n", "cannot parse"),
    "undecodable.py": (NEEDS_PARSE + b'x = "\xff\xfe\xfa"\n', "cannot decode"),
    "wrong_cookie.py": (b"# -*- coding: nonexistent -*-\n" + NEEDS_PARSE + b"requests.get('u')\n", "nonexistent"),
    "latin1_without_cookie.py": (NEEDS_PARSE + b"name = 'Jos\xe9'\n", "cannot decode"),
    "empty.py": (b"", None),
    "only_bom.py": (b"\xef\xbb\xbf", None),
    "binary.py": (b"\x7fELF\x02\x01\x00\x00" + NEEDS_PARSE + b"\x00\x00\xff", "binary"),
    "deep_brackets.py": (NEEDS_PARSE + b"x = " + b"(" * 3000 + b"1" + b")" * 3000 + b"\n", "nesting too deep"),
    "deep_unary.py": (NEEDS_PARSE + b"x = " + b"-" * 5000 + b"1\n", "nesting too deep"),
    "deep_attributes.py": (NEEDS_PARSE + b"x = requests" + b".b" * 5000 + b"\n", "nesting too deep"),
    "deep_sum.py": (NEEDS_PARSE + b"x = " + b"+".join([b"requests.get('u')"] * 5000) + b"\n", "nesting too deep"),
}


@pytest.mark.parametrize("name", sorted(ODD_FILES))
def test_odd_file_is_reported_and_the_run_goes_on(svcmod, tmp_path, name):
    content, expected = ODD_FILES[name]
    write(tmp_path, {"good.py": GOOD, name: content})
    by_file, result = lint_json(svcmod, tmp_path)
    assert_good_still_fixed(tmp_path)
    assert (tmp_path / name).read_bytes() == content
    if expected is None:
        assert name not in by_file, result
    else:
        [finding] = by_file[name]
        assert finding["code"] == "SVC901"
        assert expected in finding["message"], finding
    assert result.exit_code == (1 if expected else 0)


def test_every_odd_file_at_once_through_the_process_pool(tmp_path):
    """All odd files in one tree, checked by two worker processes: none takes the run down."""
    from conftest import run_subprocess
    files = {"good.py": GOOD, **{name: content for name, (content, _) in ODD_FILES.items()}}
    files.update({f"more/good{i}.py": GOOD for i in range(10)})
    write(tmp_path, files)
    result = run_subprocess(["lint", "--fix", "--unsafe-fixes", "--format", "json", "--jobs", "2", "."],
                            tmp_path)
    assert "Traceback" not in result.stderr, result
    findings = json.loads(result.stdout)
    reported = {os.path.relpath(f["filename"], tmp_path) for f in findings if f["code"] == "SVC901"}
    assert reported == {name for name, (_, expected) in ODD_FILES.items() if expected}
    assert all((tmp_path / f"more/good{i}.py").read_text() == GOOD_FIXED for i in range(10))


def test_file_over_max_file_size_is_not_read_whole(svcmod, tmp_path):
    big = NEEDS_PARSE + b"requests.get('u')\n" * 100
    write(tmp_path, {"pyproject.toml": "[tool.svcmod]\nmax-file-size = 1000\n", "good.py": GOOD, "big.py": big})
    by_file, _ = lint_json(svcmod, tmp_path)
    [finding] = by_file["big.py"]
    assert finding["code"] == "SVC901" and "max-file-size" in finding["message"] and "1000" in finding["message"]
    assert (tmp_path / "big.py").read_bytes() == big
    assert_good_still_fixed(tmp_path)


def test_a_file_over_max_file_size_fails_the_gate_with_one_line_naming_it(svcmod, tmp_path):
    big = b"x = 1\n" * 300  # nothing to find in it: only the size keeps the gate closed
    write(tmp_path, {"pyproject.toml": "[tool.svcmod]\nmax-file-size = 1000\n", "clean.py": "x = 1\n", "big.py": big})
    result = svcmod("lint", "--no-cache", ".", cwd=tmp_path)
    assert result.exit_code == 1, result  # documented: 1, findings remain; an unchecked file never passes
    [line] = result.stdout.splitlines()
    assert line.startswith("big.py:1:1: SVC901 ") and "max-file-size" in line and "1000" in line, result
    assert "Traceback" not in result.stderr and "All checks passed" not in result.stdout + result.stderr, result


def test_file_just_under_max_file_size_is_checked(svcmod, tmp_path):
    small = NEEDS_PARSE + b"requests.get('u')\n"
    write(tmp_path, {"pyproject.toml": f"[tool.svcmod]\nmax-file-size = {len(small)}\n", "small.py": small})
    by_file, _ = lint_json(svcmod, tmp_path)
    assert "small.py" not in by_file  # fixed, nothing left
    assert b"timeout=10" in (tmp_path / "small.py").read_bytes()


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs here")
def test_fifo_named_like_a_source_file_does_not_hang(svcmod, tmp_path):
    write(tmp_path, {"good.py": GOOD})
    os.mkfifo(tmp_path / "pipe.py")
    # found by walking: not a regular file, so not a source file
    by_file, _ = lint_json(svcmod, tmp_path)
    assert "pipe.py" not in by_file
    # named explicitly: refused with a message instead of blocking on open()
    by_file, _ = lint_json(svcmod, tmp_path, "pipe.py", "good.py")
    assert by_file["pipe.py"][0]["code"] == "SVC901"
    assert "not a regular file" in by_file["pipe.py"][0]["message"]


@pytest.mark.skipif(sys.platform == "win32" or os.geteuid() == 0,
                    reason="root reads files whatever their mode (see the simulated test below)")
def test_unreadable_file(svcmod, tmp_path):
    write(tmp_path, {"good.py": GOOD, "secret.py": GOOD})
    (tmp_path / "secret.py").chmod(0)
    try:
        by_file, _ = lint_json(svcmod, tmp_path)
    finally:
        (tmp_path / "secret.py").chmod(0o644)
    assert by_file["secret.py"][0]["code"] == "SVC901"
    assert "cannot read" in by_file["secret.py"][0]["message"]
    assert_good_still_fixed(tmp_path)


def test_unreadable_file_simulated(tmp_path, monkeypatch):
    """As root chmod 000 does not stop reads, so the open itself is made to fail as for other users."""
    from conftest import run_in_process

    import svcmod.run.source
    write(tmp_path, {"good.py": GOOD, "secret.py": GOOD})
    real_open = os.open

    def denying_open(path, flags, *args, **kwargs):
        if str(path).endswith("secret.py"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_open(path, flags, *args, **kwargs)

    monkeypatch.setattr(svcmod.run.source.os, "open", denying_open)
    result = run_in_process(["lint", "--fix", "--unsafe-fixes", "--format", "json", "."], tmp_path)
    findings = json.loads(result.stdout)
    [secret] = [f for f in findings if f["filename"] == str(tmp_path / "secret.py")]
    assert secret["code"] == "SVC901" and secret["message"] == "cannot read: Permission denied"
    assert_good_still_fixed(tmp_path)


def test_unlistable_directory_is_a_warning(tmp_path, monkeypatch):
    from conftest import run_in_process

    import svcmod.project.discovery
    write(tmp_path, {"good.py": GOOD, "locked/inner.py": GOOD})
    real_scandir = os.scandir

    def denying_scandir(path="."):
        if str(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(svcmod.project.discovery.os, "scandir", denying_scandir)
    result = run_in_process(["lint", "--fix", "--unsafe-fixes", "."], tmp_path)
    assert "locked: cannot list directory: Permission denied" in result.stderr
    assert_good_still_fixed(tmp_path)


def test_directory_named_like_a_python_file_is_walked_not_read(svcmod, tmp_path):
    write(tmp_path, {"good.py": GOOD, "package.py/inner.py": GOOD})
    by_file, _ = lint_json(svcmod, tmp_path)
    assert by_file == {}
    assert (tmp_path / "package.py/inner.py").read_text() == GOOD_FIXED
    assert_good_still_fixed(tmp_path)


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlink_loops_are_not_followed(svcmod, tmp_path):
    write(tmp_path, {"good.py": GOOD})
    os.symlink("loop_b.py", tmp_path / "loop_a.py")
    os.symlink("loop_a.py", tmp_path / "loop_b.py")
    os.symlink(".", tmp_path / "again")  # a directory link back to the root
    os.symlink("self.py", tmp_path / "self.py")
    by_file, result = lint_json(svcmod, tmp_path)
    assert by_file == {}
    assert_good_still_fixed(tmp_path)
    # named explicitly, a looping link is a read error, not a hang or a crash
    by_file, result = lint_json(svcmod, tmp_path, "self.py", "good.py")
    assert by_file["self.py"][0]["code"] == "SVC901"
    assert "cannot read" in by_file["self.py"][0]["message"]


@pytest.mark.skipif(sys.platform == "win32", reason="symlinks need privileges on Windows")
def test_symlinks_out_of_the_tree_are_neither_followed_nor_written(svcmod, tmp_path):
    outside = tmp_path / "outside"
    write(outside, {"target.py": GOOD, "lib/other.py": GOOD})
    root = tmp_path / "root"
    write(root, {"good.py": GOOD})
    os.symlink(outside / "target.py", root / "link.py")
    os.symlink(outside / "lib", root / "lib")
    by_file, result = lint_json(svcmod, root)
    assert by_file == {}
    assert_good_still_fixed(root)
    assert (outside / "target.py").read_text() == GOOD
    assert (outside / "lib/other.py").read_text() == GOOD
    # named explicitly: the linked directory is not entered, the linked file is checked but never
    # written through
    by_file, result = lint_json(svcmod, root, "link.py", "lib", "good.py")
    assert "lib: is a symbolic link to a directory; not followed" in result.stderr
    assert (outside / "target.py").read_text() == GOOD
    assert (root / "link.py").is_symlink()
    assert [f["code"] for f in by_file["link.py"]] == ["SVC101", "SVC902"]
    assert "symbolic link" in by_file["link.py"][1]["message"]


GENERATED = "# @generated by protoc\nimport requests\nrequests.get('u')\n"


def test_generated_files_are_skipped(svcmod, tmp_path):
    write(tmp_path, {"good.py": GOOD, "client_pb2.py": GENERATED})
    by_file, _ = lint_json(svcmod, tmp_path)
    assert by_file == {}
    assert (tmp_path / "client_pb2.py").read_text() == GENERATED
    assert_good_still_fixed(tmp_path)


def test_generated_files_are_checked_when_asked(svcmod, tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.svcmod]\ncheck-generated = true\n", "client_pb2.py": GENERATED})
    result = svcmod("lint", "--format", "json", ".", cwd=tmp_path)
    assert [f["code"] for f in json.loads(result.stdout)] == ["SVC101"]


def test_a_crashing_worker_process_loses_one_file_not_the_run(tmp_path, monkeypatch):
    """A crash in native code (simulated: the worker exits) is reported for that file only."""
    import svcmod.check.checker
    from svcmod.check.policy import FixPolicy
    from svcmod.run.engine import RunOptions, run
    write(tmp_path, {f"f{i:02}.py": GOOD for i in range(20)})
    write(tmp_path, {"crash.py": GOOD})
    original = svcmod.check.checker.Checker.check

    def check(self, filename, source, *args, **kwargs):
        if filename.endswith("crash.py"):
            os._exit(70)  # as a segfault would: no exception, the process is gone
        return original(self, filename, source, *args, **kwargs)

    monkeypatch.setattr(svcmod.check.checker.Checker, "check", check)
    result = run(RunOptions(paths=[tmp_path], jobs=2, fix=FixPolicy(apply=True, unsafe=True)))
    by_name = {Path(r.filename).name: r for r in result.files}
    assert len(by_name) == 21
    [crashed] = by_name["crash.py"].findings
    assert crashed.code == "SVC901" and "crashed" in crashed.message
    assert (tmp_path / "crash.py").read_text() == GOOD
    assert all((tmp_path / f"f{i:02}.py").read_text() == GOOD_FIXED for i in range(20))


def _dies_on_three(number: int) -> int:
    if number == 3:
        os._exit(1)  # as a worker killed from outside (the OOM killer) between two files
    return number * 10


def test_a_worker_that_dies_loses_only_the_file_it_was_on(tmp_path):
    """Files queued to a worker that dies are checked by its replacement; only the file it was on is lost."""
    from svcmod.run.workers import Job, run_jobs
    done, lost = {}, {}
    finished = run_jobs([Job(n, 60, 2048) for n in range(12)], _dies_on_three, lambda: None, (), 2,
                        done.__setitem__, lost.__setitem__)
    assert finished
    assert done == {n: n * 10 for n in range(12) if n != 3}
    assert list(lost) == [3] and lost[3].reason == "crashed" and "exit code 1" in lost[3].detail


# -- untrusted code: read, never run ------------------------------------------------------------------
SIDE_EFFECT = """\
import pathlib
import requests
pathlib.Path({marker!r}).write_text("imported")
requests.get("https://example.com")
if __name__ == "__main__":
    pathlib.Path({marker!r}).write_text("run")
"""


@pytest.mark.parametrize("command", [["lint", "--fix", "--unsafe-fixes"], ["migrate", "v2"]])
def test_analysed_code_is_never_imported_or_run(svcmod, tmp_path, command):
    marker = tmp_path / "MARKER"
    project = tmp_path / "project"
    code = SIDE_EFFECT.format(marker=str(marker))
    # every name Python or a build tool might import or run: module, package, setup.py, conftest
    write(project, {"service.py": code, "pkg/__init__.py": code, "setup.py": code, "conftest.py": code,
                    "svcmod_plugin.py": code, "pyproject.toml": "[project]\nname = 'p'\n"})
    result = svcmod(*command, ".", cwd=project)
    assert "Traceback" not in result.stderr, result
    assert not marker.exists(), f"analysed code ran: {marker.read_text()}"
    assert "timeout=10" in (project / "service.py").read_text()  # it was read and fixed


def test_plugins_are_not_loaded_from_configuration_or_the_project(svcmod, tmp_path):
    """Rules come from svcmod itself and installed entry points only: a config cannot name a module."""
    marker = tmp_path / "MARKER"
    write(tmp_path, {"pyproject.toml": "[tool.svcmod]\nplugins = ['evil']\n",
                     "evil.py": f"import pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n",
                     "good.py": GOOD})
    result = svcmod("lint", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "plugins" in result.stderr
    assert not marker.exists()


# -- report paths are escaped --------------------------------------------------------------------------
WEIRD_NAMES = ["a%b,c:d.py", "new\nline.py", "x_*|`[y](z)<b>.py", "carriage\rreturn.py"]


@pytest.fixture
def weird_tree(tmp_path):
    if sys.platform == "win32":
        pytest.skip("these names are not allowed on Windows")
    write(tmp_path, {name: GOOD for name in WEIRD_NAMES})
    return tmp_path


def test_github_annotations_escape_file_names(svcmod, weird_tree):
    result = svcmod("lint", "--format", "github", ".", cwd=weird_tree)
    lines = result.stdout.splitlines()
    assert len(lines) == len(WEIRD_NAMES)  # one workflow command per finding: no raw newline leaks
    files = sorted(line.split("file=", 1)[1].split(",line=", 1)[0] for line in lines)
    assert files == sorted(["a%25b%2Cc%3Ad.py", "new%0Aline.py", "x_*|`[y](z)<b>.py", "carriage%0Dreturn.py"])


def test_sarif_uris_are_percent_encoded(svcmod, weird_tree):
    from urllib.parse import unquote
    result = svcmod("lint", "--format", "sarif", ".", cwd=weird_tree)
    sarif = json.loads(result.stdout)
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in sarif["runs"][0]["results"]]
    assert sorted(unquote(u) for u in uris) == sorted(WEIRD_NAMES)
    for uri in uris:
        # a ':' before any '/' would read as a URI scheme; control characters are not allowed
        assert ":" not in uri and "\n" not in uri and "\r" not in uri and " " not in uri, uri


def test_markdown_report_keeps_each_file_on_its_own_line(svcmod, weird_tree, tmp_path_factory):
    report = tmp_path_factory.mktemp("report") / "report.md"
    svcmod("migrate", "v2", "--check", "--report-md", str(report), ".", cwd=weird_tree)
    text = report.read_text()
    for name in WEIRD_NAMES:
        assert name not in text or "\n" not in name and "\r" not in name, name
    entries = [line for line in text.splitlines() if line.startswith("- `")]
    assert len(entries) == 2 * len(WEIRD_NAMES)  # per file, and per behaviour-changing edit
    # markdown characters stay inside code spans: no link, emphasis or table cell is made of a name
    assert "[y](z)" not in text.replace("`[y](z)", "")


def test_patches_carry_only_relative_paths_inside_the_project(svcmod, tmp_path):
    write(tmp_path, {"repo/services/orders/pyproject.toml": "[project]\nname = 'orders'\n",
                     "repo/services/orders/app/client.py": GOOD, "repo/tools/run.py": GOOD})
    patches = tmp_path / "patches"
    result = svcmod("migrate", "v2", "--check", "--patch-dir", str(patches), "repo", cwd=tmp_path)
    assert "Traceback" not in result.stderr, result
    headers = [line for patch in patches.iterdir() for line in patch.read_text().splitlines()
               if line.startswith(("--- ", "+++ ", "diff --git"))]
    assert headers
    for header in headers:
        for path in header.split()[2 if header.startswith("diff") else 1:]:
            assert path.startswith(("a/", "b/")) and ".." not in path.split("/"), header
            assert not path[2:].startswith("/"), header
    assert (tmp_path / "repo/tools/run.py").read_text() == GOOD  # --check wrote nothing


def test_migrate_goes_through_every_odd_file(svcmod, tmp_path):
    files = {"good.py": GOOD, **{name: content for name, (content, _) in ODD_FILES.items()}}
    write(tmp_path, files)
    report = tmp_path / "report.json"
    result = svcmod("migrate", "v2", "--report-json", str(report), ".", cwd=tmp_path)
    assert "Traceback" not in result.stderr + result.stdout, result
    assert result.exit_code in (0, 1), result
    assert_good_still_fixed(tmp_path)
    for name, (content, _) in ODD_FILES.items():
        assert (tmp_path / name).read_bytes() == content
    text = report.read_text()
    for name, (_, expected) in ODD_FILES.items():
        if expected:
            assert name in text, name  # each unreadable file is listed in the report


@pytest.mark.skipif(sys.platform != "linux", reason="file names are bytes only on Linux file systems")
@pytest.mark.parametrize("args", [
    ["lint", "--format", "text"], ["lint", "--format", "json"], ["lint", "--format", "sarif"],
    ["lint", "--format", "github"], ["baseline", "-o", "{out}/baseline.json"],
    ["migrate", "v2", "--check", "--report-md", "{out}/r.md", "--report-json", "{out}/r.json",
     "--patch-dir", "{out}/patches"],
])
def test_a_file_name_that_is_not_utf8_is_reported_not_a_crash(svcmod, tmp_path, args):
    """Regression: SARIF fingerprints and the Markdown report raised UnicodeEncodeError on ``caf\\xe9.py``."""
    root = tmp_path / "root"
    root.mkdir()
    with open(os.path.join(os.fsencode(root), b"caf\xe9.py"), "wb") as handle:
        handle.write(GOOD.encode())
    args = [a.replace("{out}", str(tmp_path)) for a in args]
    result = svcmod(*args, ".", cwd=root)
    assert "Traceback" not in result.stderr + result.stdout, result
    assert result.exit_code in (0, 1), result
    if args[0] == "lint":
        assert "caf" in result.stdout
