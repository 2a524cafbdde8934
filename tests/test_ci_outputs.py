"""`lint --format sarif` and `--format github`: what code scanning and Actions annotations read."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Dict, List, Tuple
from urllib.parse import unquote

from conftest import write

from svcmod.outputs.github import command, escape_data, escape_property
from svcmod.results import Finding

PROJECT = {
    "src/app.py": """
        import requests


        def fetch(url):
            return requests.get(url)


        def create(url, body):
            return requests.post(
                url,
                json=body,
            )
        """,
    "src/my handlers.py": """
        import requests

        requests.delete("https://example.com/items/1")
        """,
    "src/broken.py": "import requests\n\ndef f(:\n    pass\n",
}


def json_findings(svcmod, root: Path) -> List[dict]:
    return json.loads(svcmod("lint", "--format", "json", ".", cwd=root).stdout)


# -- SARIF ---------------------------------------------------------------------------------------
def test_sarif_has_the_structure_code_scanning_reads(svcmod, tmp_path):
    write(tmp_path, PROJECT)
    result = svcmod("lint", "--format", "sarif", ".", cwd=tmp_path)
    assert result.exit_code == 1, result
    log = json.loads(result.stdout)
    assert "sarif-2.1.0" in log["$schema"]
    assert log["version"] == "2.1.0"
    (run,) = log["runs"]
    driver = run["tool"]["driver"]
    assert driver["name"] == "svcmod" and driver["version"]

    rules = driver["rules"]
    assert [r["id"] for r in rules] == sorted({r["id"] for r in rules})  # each once
    for rule in rules:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"]
    svc101 = next(r for r in rules if r["id"] == "SVC101")
    assert svc101["name"] == "requests-without-timeout"
    assert svc101["helpUri"].startswith("https://")
    assert "## Why is this bad?" in svc101["help"]["markdown"]
    svc901 = next(r for r in rules if r["id"] == "SVC901")
    assert svc901["name"] == "file-not-checked"

    expected = json_findings(svcmod, tmp_path)
    assert len(run["results"]) == len(expected) == 4
    seen = set()
    for item, finding in zip(run["results"], expected):
        assert item["ruleId"] == finding["code"]
        assert rules[item["ruleIndex"]]["id"] == item["ruleId"]
        assert item["level"] == "error"
        assert item["message"]["text"] == finding["message"]
        (location,) = item["locations"]
        artifact = location["physicalLocation"]["artifactLocation"]
        assert not re.match(r"^[a-z]+:|^/", artifact["uri"]), artifact  # relative to the repository
        assert str(tmp_path / unquote(artifact["uri"])) == finding["filename"]
        assert (tmp_path / unquote(artifact["uri"])).is_file()
        region = location["physicalLocation"]["region"]
        assert (region["startLine"], region["startColumn"]) == (finding["location"]["row"],
                                                               finding["location"]["column"])
        assert region["startLine"] >= 1 and region["startColumn"] >= 1
        assert (region["endLine"], region["endColumn"]) >= (region["startLine"], region["startColumn"])
        fingerprint = item["partialFingerprints"]["svcmod/v1"]
        assert re.fullmatch(r"[0-9a-f]{32}", fingerprint)
        seen.add(fingerprint)
    assert len(seen) == 4
    uris = {i["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for i in run["results"]}
    assert "src/my%20handlers.py" in uris
    multi_line = next(i for i in run["results"] if i["locations"][0]["physicalLocation"]["region"]["startLine"] == 9)
    assert multi_line["locations"][0]["physicalLocation"]["region"]["endLine"] == 12


def sarif_fingerprints(svcmod, root: Path) -> Dict[Tuple[str, str], int]:
    log = json.loads(svcmod("lint", "--format", "sarif", ".", cwd=root).stdout)
    return {(r["ruleId"], r["partialFingerprints"]["svcmod/v1"]): r["locations"][0]["physicalLocation"]["region"]["startLine"]
            for r in log["runs"][0]["results"]}


def test_sarif_fingerprints_follow_findings_when_lines_move(svcmod, tmp_path):
    """Code scanning keeps an alert open (not closed + reopened) when code is added above it."""
    write(tmp_path, {"src/app.py": PROJECT["src/app.py"]})
    before = sarif_fingerprints(svcmod, tmp_path)
    app = tmp_path / "src/app.py"
    app.write_text("import logging\n\nLOG = logging.getLogger(__name__)\n" + app.read_text())
    after = sarif_fingerprints(svcmod, tmp_path)
    assert set(before) == set(after) and len(before) == 2
    assert all(after[key] == before[key] + 3 for key in before)


def test_sarif_to_output_file(svcmod, tmp_path):
    write(tmp_path, {"app.py": PROJECT["src/app.py"]})
    result = svcmod("lint", "--format", "sarif", "--output", "svcmod.sarif", ".", cwd=tmp_path)
    assert result.exit_code == 1
    log = json.loads((tmp_path / "svcmod.sarif").read_text())
    assert [r["ruleId"] for r in log["runs"][0]["results"]] == ["SVC101", "SVC101"]


def test_sarif_without_findings_is_an_empty_run(svcmod, tmp_path):
    write(tmp_path, {"app.py": "import requests\nrequests.get(url, timeout=3)\n"})
    result = svcmod("lint", "--format", "sarif", ".", cwd=tmp_path)
    assert result.exit_code == 0
    (run,) = json.loads(result.stdout)["runs"]
    assert run["results"] == [] and run["tool"]["driver"]["rules"] == []


# -- GitHub workflow commands -------------------------------------------------------------------
COMMAND = re.compile(r"^::(?P<level>error|warning|notice) (?P<properties>[^:]*)::(?P<message>.*)$")


def unescape(text: str) -> str:
    for escaped, raw in (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%")):
        text = text.replace(escaped, raw)
    return text


def parse(line: str) -> Tuple[str, Dict[str, str], str]:
    match = COMMAND.match(line)
    assert match, f"not a workflow command: {line!r}"
    properties = dict(item.split("=", 1) for item in match.group("properties").split(","))
    return match.group("level"), {k: unescape(v) for k, v in properties.items()}, unescape(match.group("message"))


def test_github_lines_parse_as_workflow_commands(svcmod, tmp_path):
    odd = "src/odd,name:100%.py"
    write(tmp_path, dict(PROJECT, **{odd: PROJECT["src/my handlers.py"]}))
    result = svcmod("lint", "--format", "github", ".", cwd=tmp_path)
    assert result.exit_code == 1, result
    lines = result.stdout.splitlines()
    expected = json_findings(svcmod, tmp_path)
    assert len(lines) == len(expected) == 5
    for line, finding in zip(lines, expected):
        level, properties, message = parse(line)
        assert level == "error"
        assert list(properties) == ["file", "line", "col", "endLine", "endColumn", "title"]
        assert str(tmp_path / properties["file"]) == finding["filename"]
        assert (int(properties["line"]), int(properties["col"])) == (finding["location"]["row"],
                                                                     finding["location"]["column"])
        assert (int(properties["endLine"]), int(properties["endColumn"])) == (finding["end_location"]["row"],
                                                                              finding["end_location"]["column"])
        assert properties["title"] == finding["code"]
        assert message.startswith(finding["message"])
    assert any(parse(line)[1]["file"] == odd for line in lines)
    assert "file=src/odd%2Cname%3A100%25.py," in result.stdout


def test_github_escaping_follows_the_workflow_command_rules():
    assert escape_data("50% done\r\nnext: a, b") == "50%25 done%0D%0Anext: a, b"
    assert escape_property("a:b,c%d\r\ne") == "a%3Ab%2Cc%25d%0D%0Ae"
    finding = Finding("SVC901", "file-not-checked", "cannot parse: line one\nline two: 100%", "x.py", 3, 1, 3, 1)
    line = command(finding)
    assert "\n" not in line
    level, properties, message = parse(line)
    assert message == "cannot parse: line one\nline two: 100% (file-not-checked)"
    assert properties["title"] == "SVC901"
