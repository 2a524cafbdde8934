"""Per-project reports: patches that `git apply` takes byte for byte, Markdown that cannot be broken by a
file name, JSON with every project, the terminal table."""
from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import write

from svcmod.migrate.migration import migrate
from svcmod.outputs.reports import (
    AppliedEdit,
    FileChange,
    FollowUp,
    ProjectReport,
    json_report,
    markdown,
    patch_filename,
    terminal,
)
from svcmod.outputs.reports.patches import (
    apply_command,
    file_patch,
    project_patch,
    write_patches,
)

GIT = shutil.which("git")
needs_git = pytest.mark.skipif(GIT is None, reason="git is not installed")


def git(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([GIT, "-c", "user.email=t@example.com", "-c", "user.name=t", *args], cwd=cwd,
                          capture_output=True, check=False)


def git_repo(root: Path, files: dict) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert git("init", "-q", cwd=root).returncode == 0
    assert git("add", "-A", cwd=root).returncode == 0
    assert git("commit", "-q", "-m", "pristine", cwd=root).returncode == 0
    return root


def applies(root: Path, patch: bytes, directory: str = "") -> None:
    (root.parent / "change.patch").write_bytes(patch)
    args = ["apply", "--check", "--verbose"] + ([f"--directory={directory}"] if directory else [])
    checked = git(*args, str(root.parent / "change.patch"), cwd=root)
    assert checked.returncode == 0, checked.stderr.decode()
    assert b"Skipped" not in checked.stderr, checked.stderr.decode()
    applied = git(*args[:1], *args[3:], str(root.parent / "change.patch"), cwd=root)
    assert applied.returncode == 0, applied.stderr.decode()


ODD_FILES = [
    pytest.param("app.py", b"a = 1\r\nb = 2\r\nc = 3\r\n", b"a = 1\r\nb = 20\r\nc = 3\r\n", id="crlf"),
    pytest.param("app.py", b"a = 1\nb = 2", b"a = 1\nb = 3", id="no-newline-at-end"),
    pytest.param("app.py", b"a = 1\nb = 2", b"a = 1\nb = 2\n", id="newline-added"),
    pytest.param("app.py", b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\nx = 1\n",
                 b"# -*- coding: latin-1 -*-\nname = '\xe9t\xe9'\nx = 2\n", id="latin-1"),
    pytest.param("app.py", b"a = 1\rstill_line_one = 1\nb = 2\n", b"a = 1\rstill_line_one = 1\nb = 3\n",
                 id="lone-cr"),
    pytest.param("my app.py", b"x = 1\n", b"x = 2\n", id="space-in-name"),
    pytest.param("caf\u00e9.py", b"x = 1\n", b"x = 2\n", id="non-ascii-name"),
    pytest.param('we"ird\\name.py', b"x = 1\n", b"x = 2\n", id="quote-and-backslash-in-name"),
    pytest.param("pkg/deep/mod.py", b"".join(b"line%d = %d\n" % (i, i) for i in range(40)),
                 b"".join(b"line%d = %d\n" % (i, i * (i != 20)) for i in range(40)), id="context-hunks"),
]


@needs_git
@pytest.mark.parametrize("name,before,after", ODD_FILES)
def test_a_file_patch_applies_with_git_and_gives_the_exact_bytes(tmp_path, name, before, after):
    root = git_repo(tmp_path / "repo", {name: before})
    applies(root, file_patch(FileChange(name, name, before, after)))
    assert (root / name).read_bytes() == after


@needs_git
def test_a_project_patch_applies_from_the_repository_root_with_its_directory(tmp_path):
    root = git_repo(tmp_path / "mono", {"services/api/app.py": b"x = 1\n", "services/api/lib/db.py": b"y = 1\n"})
    report = ProjectReport("services/api", root / "services/api", changes=[
        FileChange("app.py", "services/api/app.py", b"x = 1\n", b"x = 2\n"),
        FileChange("lib/db.py", "services/api/lib/db.py", b"y = 1\n", b"y = 2\n"),
    ])
    place, command = apply_command(report, "services-api.patch")
    assert place == "the repository root"
    assert command == "git apply --directory=services/api services-api.patch"
    applies(root, project_patch(report), directory="services/api")
    assert (root / "services/api/app.py").read_bytes() == b"x = 2\n"
    assert (root / "services/api/lib/db.py").read_bytes() == b"y = 2\n"


def test_a_project_at_the_top_of_its_repository_applies_from_its_directory(tmp_path):
    (tmp_path / "api" / ".git").mkdir(parents=True)
    report = ProjectReport("api", tmp_path / "api")
    assert apply_command(report, "/out/api.patch") == ("the project's directory", "git apply api.patch")


@pytest.mark.parametrize("bad", ["/etc/passwd", "../outside.py", "a/../../b.py", "C:/x.py"])
def test_patch_paths_never_leave_the_project(bad):
    with pytest.raises(ValueError, match="leaves the project"):
        file_patch(FileChange(bad, bad, b"x = 1\n", b"x = 2\n"))


def test_patch_file_names_are_safe_and_distinct(tmp_path):
    reports = [ProjectReport(name, tmp_path, changes=[FileChange("a.py", "a.py", b"1\n", b"2\n")])
               for name in ("services/api", "services-api", "../evil", "")]
    written = write_patches(reports, tmp_path / "patches")
    files = sorted(p.name for p in written.values())
    assert len(set(files)) == 4
    assert all("/" not in f and not f.startswith(".") for f in files)
    assert patch_filename("services/orders") == "services-orders.patch"
    assert all(p.parent == tmp_path / "patches" for p in written.values())


# -- Markdown ------------------------------------------------------------------------------------
def hostile_report(tmp_path: Path) -> ProjectReport:
    name = "svc`x`|*<b>.py"
    return ProjectReport(
        "team/*api*", tmp_path, files_scanned=3,
        edits=[AppliedEdit("SVC101", "requests-without-timeout", name, 4, "add timeout=10", True),
               AppliedEdit("SVC307", "logging-warn", name, 9, "rename `warn` to `warning`", False)],
        follow_ups=[FollowUp("SVC306", "naive-utc-datetime", "naive UTC <datetime> [link](x)", name, 12, 5)],
        changes=[FileChange(name, name, b"x\n", b"y\n")],
    )


def test_markdown_keeps_file_names_inside_code_spans(tmp_path):
    body = markdown.project_body(hostile_report(tmp_path), "v2", "write")
    assert "``svc`x`|*<b>.py``" in body  # the fence is longer than the backticks inside
    assert "``svc`x`|*<b>.py:12``" in body  # follow-ups carry file:line
    assert "<b>" not in body.replace("``svc`x`|*<b>.py", "")  # no raw HTML outside code spans
    assert "naive UTC \\<datetime\\> \\[link\\](x)" in body
    assert "rename `warn` to `warning`" in body  # a rule's own code spans stay code


def test_markdown_marks_behaviour_changing_edits_and_lists_follow_ups(tmp_path):
    body = markdown.project_body(hostile_report(tmp_path), "v2", "write")
    assert "### Edits that change behaviour" in body
    changing = body.split("### Edits that change behaviour")[1].split("###")[0]
    assert "SVC101" in changing and "SVC307" not in changing
    assert "line 4: SVC101 add timeout=10 — **changes behaviour**" in body
    assert "- [ ] ``svc`x`|*<b>.py:12`` SVC306" in body


def test_markdown_into_a_directory_writes_one_body_per_project(tmp_path):
    reports = [hostile_report(tmp_path), ProjectReport("services/orders", tmp_path)]
    written = markdown.write(reports, f"{tmp_path}/bodies/", migration="v2", mode="check")
    assert sorted(p.name for p in written) == ["services-orders.md", "team-api.md"]
    assert "Would apply" in (tmp_path / "bodies" / "services-orders.md").read_text()


# -- reports of a real run ---------------------------------------------------------------------------
TREE = {
    "api/pyproject.toml": "[project]\nname = 'api'\n",
    "api/app.py": """
        import logging
        import requests
        logging.warn("starting")
        requests.post("http://users/", json={})
    """,
    "worker/setup.cfg": "[metadata]\nname = worker\n",
    "worker/jobs.py": """
        import datetime
        import requests
        def run():
            return requests.get("http://jobs/"), datetime.datetime.utcnow()
    """,
    "worker/clean.py": "x = 1\n",
}


def test_json_report_lists_every_project_with_edits_and_follow_ups(tmp_path):
    write(tmp_path, TREE)
    outcome = migrate("v2", [tmp_path], mode="check")
    data = json.loads(json_report.render(outcome.projects, migration="v2", mode="check",
                                         elapsed=outcome.result.elapsed, plans=outcome.plans))
    projects = {p["name"]: p for p in data["projects"]}
    assert set(projects) == {"api", "worker"}
    api, worker = projects["api"], projects["worker"]
    assert [(e["code"], e["file"], e["line"], e["changes_behaviour"]) for e in api["edits"]] == [
        ("SVC307", "app.py", 3, False), ("SVC101", "app.py", 4, True)]
    assert api["edits_by_rule"]["SVC101"] == {"name": "requests-without-timeout", "count": 1, "changes_behaviour": 1}
    assert worker["files_scanned"] == 2 and worker["files_changed"] == ["jobs.py"]
    assert [(f["code"], f["file"], f["line"]) for f in worker["follow_ups"]] == [("SVC306", "jobs.py", 4)]
    assert data["totals"]["edits"] == 3 and data["totals"]["follow_ups"] == 1
    assert data["steps"][1]["title"] == "every outbound call gets a deadline"


def test_terminal_table_has_a_row_per_project(tmp_path):
    write(tmp_path, TREE)
    outcome = migrate("v2", [tmp_path], mode="check")
    stream = io.StringIO()
    terminal.render(outcome.projects, stream, mode="check")
    text = stream.getvalue()
    assert "api" in text and "worker" in text
    assert "Would make 3 edits (2 changing behaviour) in 2 files across 2 projects; 1 manual follow-up." in text


@needs_git
def test_patches_of_a_run_recreate_the_migrated_tree(tmp_path):
    write(tmp_path / "work", TREE)
    pristine = tmp_path / "pristine"
    shutil.copytree(tmp_path / "work", pristine)
    git_repo(pristine, {})
    outcome = migrate("v2", [tmp_path / "work"])
    written = write_patches(outcome.projects, tmp_path / "patches")
    assert set(written) == {"api", "worker"}
    for name, patch in written.items():
        text = patch.read_bytes()
        assert b"/tmp" not in text and b"/.." not in text and b" a/" + name.encode() not in text
        applies(pristine, text, directory=name)
    for relative in ("api/app.py", "worker/jobs.py", "worker/clean.py"):
        assert (pristine / relative).read_bytes() == (tmp_path / "work" / relative).read_bytes()
