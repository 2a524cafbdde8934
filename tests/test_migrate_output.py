"""What `svcmod migrate` prints: readable at 80 columns, follow-ups under a heading, short piped lines."""
from __future__ import annotations

import io
import shutil
import subprocess
from pathlib import Path

from conftest import REPO, run_subprocess

from svcmod.migrate.migration import migrate
from svcmod.outputs.reports import terminal


def demo_copy(tmp_path: Path) -> Path:
    target = tmp_path / "demo"
    shutil.copytree(REPO / "fixtures" / "monorepo", target)
    return target


def test_migrate_output_at_80_columns_names_every_project_whole(tmp_path, monkeypatch):
    root = demo_copy(tmp_path)
    monkeypatch.chdir(root)
    outcome = migrate("v2", [Path(".")], mode="check")
    stream = io.StringIO()
    terminal.render(outcome.projects, stream, mode="check", width=80)
    text = stream.getvalue()
    table = text.split("\n\n")[0].splitlines()
    assert all(len(row) <= 80 for row in table), table
    for name in ("services/notifications", "services/orders", "services/payments", "libs/acme-framework"):
        assert any(row.startswith(name + " ") for row in table), (name, table)
    assert "…" not in text


def test_follow_ups_come_after_the_table_under_a_heading_and_piped_lines_stay_short(tmp_path):
    root = demo_copy(tmp_path)
    result = run_subprocess(["migrate", "v2", ".", "--check"], root)
    assert result.exit_code == 1, result
    lines = result.stdout.splitlines()
    heading = next(i for i, line in enumerate(lines) if line.startswith("Manual follow-ups"))
    assert lines[0].startswith("project ")  # the table first
    follow_ups = [line for line in lines[heading + 1:] if line.startswith("  services/")]
    assert len(follow_ups) == int(lines[heading].rsplit(": ", 1)[1])
    assert all(not line[0].isalnum() for line in lines[heading + 1:heading + 1 + len(follow_ups)])  # indented
    findings_free = [line for line in lines if not line.startswith("  ")]
    assert max(len(line) for line in findings_free) <= 100, max(findings_free, key=len)
    assert "/tmp/" not in result.stdout.replace(str(tmp_path), "")  # manifests named relative to here


def test_readme_demo_command_is_safe_to_run_twice(tmp_path):
    text = (REPO / "README.md").read_text()
    command = next(line for line in text.splitlines() if "svcmod-demo" in line)
    copying = command[command.index("rm -rf"):command.index("&& svcmod migrate")].rstrip(" &")
    demo = tmp_path / "demo"
    script = copying.replace("/tmp/svcmod-demo", str(demo)).replace("fixtures/monorepo",
                                                                    str(REPO / "fixtures/monorepo"))
    for _ in range(2):
        subprocess.run(script, shell=True, check=True, cwd=tmp_path)
    assert not (demo / "monorepo").exists()  # `cp -r` into an existing directory nests the copy
    assert sorted(p.name for p in demo.iterdir()) == sorted(p.name for p in (REPO / "fixtures/monorepo").iterdir())


def test_baseline_reads_the_lint_cache_and_draws_progress_on_a_terminal(tmp_path, monkeypatch):
    import os
    import pty

    from conftest import run_in_process, svcmod_executable

    from svcmod.check.checker import Checker

    root = demo_copy(tmp_path)
    # files are checked in worker processes (forked: they inherit the patch): they log to a file
    log = tmp_path / "checked.log"
    original = Checker.check

    def counting(self, name, *args, **kwargs):
        with open(log, "a") as checked:
            checked.write(f"{name}\n")
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(Checker, "check", counting)
    assert run_in_process(["lint", "--exit-zero", "-q", "."], root).exit_code == 0
    assert log.read_text().count("\n") > 10  # the count sees the checks lint's workers made
    log.write_text("")
    written = run_in_process(["baseline", ".", "-o", "base.json"], root)
    assert written.exit_code == 0, written
    assert log.read_text() == ""  # every file's result came from the cache lint wrote
    from svcmod.project.config import ConfigFinder
    from svcmod.project.discovery import Discovery
    checked = len(Discovery(ConfigFinder()).files([root]))  # every file lint checks, whatever the fixture holds
    assert f"findings from {checked} files to base.json" in written.stderr, written

    controller, terminal_end = pty.openpty()
    try:
        process = subprocess.Popen([svcmod_executable(), "baseline", "--no-cache", ".", "-o", "again.json"], cwd=root,
                                   stdout=subprocess.DEVNULL, stderr=terminal_end,
                                   env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})
        os.close(terminal_end)
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            drawn += chunk
        assert process.wait(timeout=120) == 0
    finally:
        os.close(controller)
    assert b"Checking" in drawn and f"/{checked}".encode() in drawn, drawn[-500:]
