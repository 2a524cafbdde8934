"""The CI gate fails closed: mistyped paths, broken named files and bad output paths are errors, not passes."""
from __future__ import annotations

import json
import os
import pty
import re
import subprocess

import pytest
from conftest import run_subprocess, svcmod_executable, write

MISSING_PATH_COMMANDS = {
    "lint": ["lint", "nope/"],
    "baseline": ["baseline", "nope/", "-o", "b.json"],
    "migrate": ["migrate", "v2", "nope/"],
}


@pytest.mark.parametrize("command", sorted(MISSING_PATH_COMMANDS))
def test_a_path_that_does_not_exist_is_an_error_naming_it(svcmod, tmp_path, command):
    write(tmp_path, {"app.py": "import requests\nrequests.get('u')\n"})
    result = svcmod(*MISSING_PATH_COMMANDS[command], cwd=tmp_path)
    assert result.exit_code == 2, result
    (line,) = result.stderr.strip().splitlines()
    assert re.fullmatch(r"svcmod: error: nope/?: no such file or directory", line), line
    assert not (tmp_path / "b.json").exists()
    assert (tmp_path / "app.py").read_text() == "import requests\nrequests.get('u')\n"  # nothing migrated


def test_a_named_file_is_parsed_even_when_no_rule_wants_it(svcmod, tmp_path):
    write(tmp_path, {"broken.py": "def f(:\n    pass\n"})
    result = svcmod("lint", "--format", "json", "broken.py", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert '"SVC901"' in result.stdout and "cannot parse" in result.stdout


def test_a_walk_may_skip_a_broken_file_no_rule_wants_and_a_cached_walk_does_not_hide_a_named_one(svcmod, tmp_path):
    """Documented: discovery does not parse files no rule wants; naming the file always does,
    also when a directory run cached it first."""
    write(tmp_path, {"broken.py": "def f(:\n    pass\n"})
    assert svcmod("lint", ".", cwd=tmp_path).exit_code == 0
    assert svcmod("lint", "broken.py", cwd=tmp_path).exit_code == 1
    assert svcmod("lint", ".", cwd=tmp_path).exit_code == 0  # the named run's finding is not cached


# -- 4: output paths are checked before any work ---------------------------------------------------
APP = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"


@pytest.mark.parametrize("args", [
    ["lint", "--format", "json", "--output", "/nonexistent/x.json", "."],
    ["baseline", ".", "-o", "/nonexistent/b.json"],
    ["migrate", "v2", ".", "--report-json", "/nonexistent/r.json"],
    ["migrate", "v2", ".", "--report-md", "/nonexistent/r.md"],
    ["migrate", "v2", ".", "--patch-dir", "app.py"],
])
def test_an_output_that_cannot_be_written_fails_before_any_work(svcmod, tmp_path, args):
    write(tmp_path, {"app.py": APP})
    result = svcmod(*args, cwd=tmp_path)
    assert result.exit_code == 2, result
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("svcmod: error: ") and "Traceback" not in result.stderr
    assert (tmp_path / "app.py").read_text() == APP  # nothing migrated first


def test_a_usage_error_is_one_line(svcmod, tmp_path):
    result = svcmod("lint", "--no-such-option", ".", cwd=tmp_path)
    assert result.exit_code == 2
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("svcmod: error: ") and "--no-such-option" in line and "svcmod lint --help" in line


# -- 5: SARIF paths from the repository root -------------------------------------------------------
def test_sarif_paths_are_relative_to_the_repository_root_wherever_svcmod_runs(svcmod, tmp_path):
    write(tmp_path, {"services/orders/db.py": APP})
    (tmp_path / ".git").mkdir()
    result = svcmod("lint", "--format", "sarif", ".", cwd=tmp_path / "services" / "orders")
    log = json.loads(result.stdout)
    (run,) = log["runs"]
    location = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert location == {"uri": "services/orders/db.py", "uriBaseId": "%SRCROOT%"}
    assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == tmp_path.as_uri() + "/"
    assert all(rule["helpUri"].startswith("https://") for rule in run["tool"]["driver"]["rules"])

    elsewhere = svcmod("lint", "--format", "sarif", "--project-root", ".", "orders",
                       "--rule-docs-url", "https://docs.example.com/lint/{code}", cwd=tmp_path / "services")
    run = json.loads(elsewhere.stdout)["runs"][0]
    uri = run["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
    assert uri == "orders/db.py"
    assert run["tool"]["driver"]["rules"][0]["helpUri"] == "https://docs.example.com/lint/SVC101"


def test_declared_rules_have_a_help_uri(svcmod, tmp_path):
    write(tmp_path, {
        "pyproject.toml": """
            [[tool.svcmod.deprecations]]
            code = "SVC401"
            name = "acme.rpc.call"
            replacement = "acme.rpc.v2.invoke"
            """,
        "app.py": "import acme.rpc\n\nacme.rpc.call('x')\n",
    })
    result = svcmod("lint", "--format", "sarif", "--rule-docs-url", "https://wiki.acme/{code}", ".", cwd=tmp_path)
    rules = json.loads(result.stdout)["runs"][0]["tool"]["driver"]["rules"]
    assert [(r["id"], r["helpUri"]) for r in rules] == [("SVC401", "https://wiki.acme/SVC401")]


# -- 6: ruff's JSON and ruff's flag names ----------------------------------------------------------
def test_json_has_ruffs_fields_and_ruffs_flag_names_work(svcmod, tmp_path):
    write(tmp_path, {"app.py": APP})
    result = svcmod("lint", "--output-format", "json", "--output-file", "out.json", ".", cwd=tmp_path)
    assert result.exit_code == 1, result
    (finding,) = json.loads((tmp_path / "out.json").read_text())
    assert finding["filename"] == str(tmp_path / "app.py")
    assert finding["url"].startswith("https://") and finding["noqa_row"] == 5
    assert finding["project"] == tmp_path.name


def test_exit_non_zero_on_fix_and_show_fixes(svcmod, tmp_path):
    write(tmp_path, {"app.py": "import logging\nlogging.warn('x')\n"})
    result = svcmod("lint", "--fix", "--show-fixes", "--exit-non-zero-on-fix", ".", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert "Fixed app.py:2: SVC307" in result.stderr
    assert (tmp_path / "app.py").read_text() == "import logging\nlogging.warning('x')\n"
    assert svcmod("lint", "--fix", "--exit-non-zero-on-fix", ".", cwd=tmp_path).exit_code == 0


def test_add_noqa_silences_todays_findings_only(svcmod, tmp_path):
    write(tmp_path, {"app.py": APP + 'TEXT = """\nrequests.get(u)\n"""\n'})
    result = svcmod("lint", "--add-noqa", ".", cwd=tmp_path)
    assert result.exit_code == 0, result
    assert "Added 1 noqa directive in 1 file." in result.stderr
    assert "    return requests.get(url)  # noqa: SVC101\n" in (tmp_path / "app.py").read_text()
    assert svcmod("lint", ".", cwd=tmp_path).exit_code == 0
    (tmp_path / "new.py").write_text(APP)
    assert svcmod("lint", ".", cwd=tmp_path).exit_code == 1


# -- 7: conventions ---------------------------------------------------------------------------------
def test_force_color_colours_a_pipe_and_no_color_wins(tmp_path):
    write(tmp_path, {"app.py": APP})
    forced = run_subprocess(["lint", "."], tmp_path, env={"FORCE_COLOR": "1", "NO_COLOR": ""})
    assert "\x1b[" in forced.stdout
    plain = run_subprocess(["lint", "."], tmp_path, env={"FORCE_COLOR": "1", "NO_COLOR": "1"})
    assert "\x1b[" not in plain.stdout and "app.py:5:12: SVC101" in plain.stdout


def test_no_color_on_a_terminal(tmp_path):
    write(tmp_path, {"app.py": APP})
    controller, terminal = pty.openpty()
    try:
        process = subprocess.run([svcmod_executable(), "lint", "--no-cache", "."], cwd=tmp_path, stdout=terminal,
                                 stderr=subprocess.DEVNULL, env={**os.environ, "NO_COLOR": "1", "TERM": "xterm"},
                                 timeout=120)
        os.close(terminal)
        drawn = os.read(controller, 65536)
    finally:
        os.close(controller)
    assert process.returncode == 1
    assert b"SVC101" in drawn and b"\x1b[" not in drawn


def test_git_info_exclude_is_honoured(svcmod, tmp_path):
    write(tmp_path, {"app.py": APP, "scratch.py": APP})
    subprocess.run(["git", "init", "-q", "."], cwd=tmp_path, check=True)
    (tmp_path / ".git" / "info").mkdir(exist_ok=True)
    (tmp_path / ".git" / "info" / "exclude").write_text("scratch.py\n")
    result = svcmod("lint", "--no-cache", ".", cwd=tmp_path)
    assert "app.py:5" in result.stdout and "scratch.py" not in result.stdout


def test_counts_read_as_english(svcmod, tmp_path):
    write(tmp_path, {"clean.py": "x = 1\n"})
    assert svcmod("lint", ".", cwd=tmp_path).stderr == "All checks passed (1 file).\n"
    write(tmp_path, {"app.py": "import logging\nlogging.warn('x')\n"})
    fixed = svcmod("lint", "--fix", ".", cwd=tmp_path)
    assert "Fixed 1 finding in 1 file." in fixed.stderr and "(s)" not in fixed.stderr


def test_unsafe_fixes_without_fix_marks_unsafe_fixable_findings(svcmod, tmp_path):
    write(tmp_path, {"app.py": APP})
    plain = svcmod("lint", ".", cwd=tmp_path)
    assert "SVC101 requests" in plain.stdout
    marked = svcmod("lint", "--unsafe-fixes", ".", cwd=tmp_path)
    assert "SVC101 [*] requests" in marked.stdout
    assert "(1 fixable with --fix)" in marked.stderr
