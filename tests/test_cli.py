"""`svcmod lint` as users run it: exit codes, fixes, diffs, stdin, bad input, formats."""
from __future__ import annotations

import json

from conftest import write

MISSING_TIMEOUT = """
import requests


def fetch(url):
    return requests.get(url)
"""

CLEAN = """
import requests


def fetch(url):
    return requests.get(url, timeout=5)
"""


def test_finding_exits_1_and_names_place(svcmod, tmp_path):
    write(tmp_path, {"app.py": MISSING_TIMEOUT})
    result = svcmod("lint", "app.py", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert "app.py:5:12: SVC101 requests call without a timeout" in result.stdout
    assert "Found 1 finding (1 with --unsafe-fixes)." in result.stderr


def test_clean_file_exits_0(svcmod, tmp_path):
    write(tmp_path, {"app.py": CLEAN})
    result = svcmod("lint", ".", cwd=tmp_path)
    assert result.exit_code == 0, result
    assert result.stdout == ""
    assert "All checks passed" in result.stderr


def test_quiet_prints_the_findings_and_nothing_else(svcmod, tmp_path):
    write(tmp_path, {"app.py": MISSING_TIMEOUT, "ok.py": CLEAN})
    result = svcmod("lint", "-q", "app.py", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert "app.py:5:12: SVC101" in result.stdout and result.stderr == ""
    result = svcmod("lint", "--quiet", "ok.py", cwd=tmp_path)
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    result = svcmod("lint", "--quiet", "--diff", "--unsafe-fixes", "app.py", cwd=tmp_path)
    assert result.exit_code == 1 and "+    return requests.get(url, timeout=10)" in result.stdout
    assert result.stderr == ""


def test_exit_zero_keeps_report(svcmod, tmp_path):
    write(tmp_path, {"app.py": MISSING_TIMEOUT})
    result = svcmod("lint", "--exit-zero", ".", cwd=tmp_path)
    assert result.exit_code == 0
    assert "SVC101" in result.stdout


def test_fix_without_unsafe_leaves_unsafe_fix_alone(svcmod, tmp_path):
    write(tmp_path, {"app.py": MISSING_TIMEOUT})
    before = (tmp_path / "app.py").read_bytes()
    result = svcmod("lint", "--fix", ".", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert (tmp_path / "app.py").read_bytes() == before


def test_unsafe_fixes_add_the_timeout(svcmod, tmp_path):
    write(tmp_path, {"app.py": MISSING_TIMEOUT})
    result = svcmod("lint", "--fix", "--unsafe-fixes", ".", cwd=tmp_path)
    assert result.exit_code == 0, result
    assert "requests.get(url, timeout=10)" in (tmp_path / "app.py").read_text()
    assert "Fixed 1 finding" in result.stderr


def test_fix_applies_safe_fixes_only(svcmod, tmp_path):
    write(tmp_path, {"app.py": """
        import logging
        import requests

        log = logging.getLogger(__name__)


        def fetch(url):
            log.warn("fetching %s", url)
            return requests.get(url)
        """})
    result = svcmod("lint", "--fix", "--select", "SVC101,SVC307", ".", cwd=tmp_path)
    text = (tmp_path / "app.py").read_text()
    assert 'log.warning("fetching %s", url)' in text  # safe: applied
    assert "requests.get(url)" in text  # unsafe: not applied
    assert result.exit_code == 1
    assert "SVC101" in result.stdout and "SVC307" not in result.stdout


def test_diff_writes_nothing_and_exits_1(svcmod, tmp_path):
    write(tmp_path, {"app.py": MISSING_TIMEOUT})
    before = (tmp_path / "app.py").read_bytes()
    result = svcmod("lint", "--diff", "--unsafe-fixes", ".", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert "-    return requests.get(url)\n+    return requests.get(url, timeout=10)\n" in result.stdout
    assert result.stdout.startswith("--- a/app.py\n+++ b/app.py\n")
    assert (tmp_path / "app.py").read_bytes() == before


def test_diff_without_changes_exits_0(svcmod, tmp_path):
    write(tmp_path, {"app.py": CLEAN})
    result = svcmod("lint", "--diff", "--unsafe-fixes", ".", cwd=tmp_path)
    assert result.exit_code == 0, result
    assert result.stdout == ""


def test_stdin_is_checked_under_its_name(svcmod, tmp_path):
    source = MISSING_TIMEOUT.lstrip().encode()
    result = svcmod("lint", "--stdin-filename", "svc/app.py", "-", cwd=tmp_path, stdin=source)
    assert result.exit_code == 1, result
    assert "svc/app.py:5:12: SVC101" in result.stdout


def test_stdin_fix_prints_fixed_source(svcmod, tmp_path):
    source = MISSING_TIMEOUT.lstrip().encode()
    result = svcmod("lint", "--fix", "--unsafe-fixes", "--stdin-filename", "app.py", "-", cwd=tmp_path,
                    stdin=source)
    assert result.exit_code == 0, result
    assert result.stdout == MISSING_TIMEOUT.lstrip().replace("get(url)", "get(url, timeout=10)")


def test_bad_files_are_findings_and_the_run_goes_on(svcmod, tmp_path):
    write(tmp_path, {
        "broken.py": "import requests\ndef f(:\n    pass\n",
        "undecodable.py": b"import requests\nx = '\xff\xfe'\n",
        "empty.py": "",
        "app.py": MISSING_TIMEOUT,
    })
    result = svcmod("lint", ".", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert "broken.py:2:7: SVC901 cannot parse: invalid syntax" in result.stdout
    assert "undecodable.py:1:1: SVC901 cannot decode" in result.stdout
    assert "empty.py" not in result.stdout  # an empty module is valid Python
    assert "app.py:5:12: SVC101" in result.stdout
    assert "Traceback" not in result.stderr


def test_json_output_has_ruff_shape(svcmod, tmp_path):
    write(tmp_path, {"pyproject.toml": "[project]\nname = 'orders'\n", "app.py": MISSING_TIMEOUT})
    result = svcmod("lint", "--format", "json", ".", cwd=tmp_path)
    assert result.exit_code == 1
    findings = json.loads(result.stdout)
    assert findings == [{
        "code": "SVC101",
        "name": "requests-without-timeout",
        "message": "requests call without a timeout can hang forever",
        "filename": str(tmp_path / "app.py"),  # absolute, as ruff's
        "location": {"row": 5, "column": 12},
        "end_location": {"row": 5, "column": 29},
        "fix": {"applicability": "unsafe", "message": "add timeout=10",
                "edits": [{"content": ", timeout=10", "location": {"row": 5, "column": 28},
                           "end_location": {"row": 5, "column": 28}}]},
        "project": tmp_path.name,
        "url": "https://github.com/svcmod/svcmod/blob/v0.1.0/README.md#svc101",
        "noqa_row": 5,
        "cell": None,
        "severity": "error",
    }]


def test_output_file_and_statistics(svcmod, tmp_path):
    write(tmp_path, {"a.py": MISSING_TIMEOUT, "b.py": MISSING_TIMEOUT})
    result = svcmod("lint", "--statistics", "--output", "stats.txt", ".", cwd=tmp_path)
    assert result.exit_code == 1
    assert (tmp_path / "stats.txt").read_text() == "    2\tSVC101\trequests-without-timeout\n"


def test_select_and_ignore_prefixes(svcmod, tmp_path):
    write(tmp_path, {"app.py": MISSING_TIMEOUT})
    assert svcmod("lint", "--ignore", "SVC1", ".", cwd=tmp_path).exit_code == 0
    assert svcmod("lint", "--select", "SVC1", ".", cwd=tmp_path).exit_code == 1
    assert svcmod("lint", "--select", "SVC2", ".", cwd=tmp_path).exit_code == 0
    # the more specific selector wins, as in ruff
    assert svcmod("lint", "--select", "SVC101", "--ignore", "SVC1", ".", cwd=tmp_path).exit_code == 1


def test_unknown_code_is_usage_error(svcmod, tmp_path):
    write(tmp_path, {"app.py": CLEAN})
    result = svcmod("lint", "--select", "SVC19", ".", cwd=tmp_path)
    assert result.exit_code == 2
    assert "unknown rule code or prefix 'SVC19'" in result.stderr
    assert "Traceback" not in result.stderr


def test_jobs_gives_same_findings_as_in_process(svcmod, tmp_path):
    for index in range(30):
        write(tmp_path, {f"pkg/m{index:02}.py": MISSING_TIMEOUT if index % 3 == 0 else CLEAN})
    serial = svcmod("lint", "--jobs", "1", "--format", "json", ".", cwd=tmp_path)
    parallel = svcmod("lint", "--jobs", "2", "--format", "json", ".", cwd=tmp_path)
    assert json.loads(serial.stdout) == json.loads(parallel.stdout)
    assert len(json.loads(parallel.stdout)) == 10


def test_gitignore_and_default_excludes(svcmod, tmp_path):
    write(tmp_path, {
        ".gitignore": "generated/\n",
        "generated/client.py": MISSING_TIMEOUT,
        ".venv/lib/x.py": MISSING_TIMEOUT,
        "build/lib/x.py": MISSING_TIMEOUT,
        "src/app.py": MISSING_TIMEOUT,
    })
    result = svcmod("lint", ".", cwd=tmp_path)
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["src/app.py"]
    # a file named explicitly is always checked (pre-commit passes files)
    result = svcmod("lint", "generated/client.py", cwd=tmp_path)
    assert "generated/client.py" in result.stdout


def test_rules_and_rule_pages(svcmod, tmp_path):
    listing = svcmod("rules", cwd=tmp_path)
    assert listing.exit_code == 0 and "SVC101" in listing.stdout and "requests-without-timeout" in listing.stdout
    page = svcmod("rule", "SVC101", cwd=tmp_path)
    assert page.exit_code == 0
    for section in ("## Why is this bad?", "## Example", "## Use instead", "## Fix safety", "timeout=10"):
        assert section in page.stdout
    missing = svcmod("rule", "SVC1O1", cwd=tmp_path)
    assert missing.exit_code == 2 and "unknown rule" in missing.stderr


def test_added_names_go_after_the_existing_ones(svcmod, tmp_path):
    write(tmp_path, {"pyproject.toml": "[tool.svcmod]\nmax-attempts = 3\n", "jobs.py": """
        from tenacity import retry, wait_fixed


        @retry(wait=wait_fixed(1))
        def sync():
            pass
        """})
    svcmod("lint", "--fix", "--unsafe-fixes", "--select", "SVC201", ".", cwd=tmp_path)
    text = (tmp_path / "jobs.py").read_text()
    assert text.startswith("from tenacity import retry, wait_fixed, stop_after_attempt\n"), text
    assert "@retry(wait=wait_fixed(1), stop=stop_after_attempt(3))" in text


def test_a_page_break_shifts_no_line(svcmod, tmp_path):
    """A form feed on a line of its own is whitespace to Python, not a line end: the ``# noqa``
    and the text of the finding's line are those of its own line."""
    write(tmp_path, {"app.py": b"import requests\n\x0c\n\ndef f(url):\n    return requests.get(url)  # noqa: SVC101\n\n\n"
                               b"def g(url):\n    return requests.get(url)\n"})
    result = svcmod("lint", "app.py", cwd=tmp_path)
    assert result.exit_code == 1, result
    assert "app.py:5:" not in result.stdout and "app.py:9:12: SVC101" in result.stdout
    baseline = svcmod("baseline", "app.py", "-o", ".svcmod-baseline.json", cwd=tmp_path)
    assert baseline.exit_code == 0, baseline
    recorded = json.loads((tmp_path / ".svcmod-baseline.json").read_text())["findings"]
    assert [(entry["line"], entry["text"]) for entry in recorded] == [(9, "return requests.get(url)")]


def test_a_diff_keeps_a_page_break_whole(svcmod, tmp_path):
    write(tmp_path, {"app.py": b"import requests\n\x0c\nrequests.get(url)\n"})
    result = svcmod("lint", "--diff", "--unsafe-fixes", "app.py", cwd=tmp_path)
    assert " \x0c\n" in result.stdout, result
    assert "No newline at end of file" not in result.stdout
    assert "+requests.get(url, timeout=10)\n" in result.stdout
