"""Sharded lint across CI jobs: every file in exactly one shard, and the merged reports equal one run."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import run_in_process, write

from svcmod.run.sharding import parse_shard, select_shard

MISSING = "import requests\n\n\ndef fetch(url):\n    return requests.get(url)\n"
SUBPROCESS = "import subprocess\n\nsubprocess.run(['make'])\nsubprocess.call('ls', shell=True)\n"


def monorepo(root: Path) -> Path:
    files = {}
    for service in ("billing", "users", "search"):
        files[f"services/{service}/pyproject.toml"] = f"[project]\nname = '{service}'\n"
        for number in range(6):
            files[f"services/{service}/app/mod{number}.py"] = MISSING if number % 2 else SUBPROCESS
        files[f"services/{service}/app/broken.py"] = "def (:\n"
        files[f"services/{service}/app/clean.py"] = "x = 1\n"
    return write(root, files)


def lint_json(root: Path, *extra: str) -> list:
    result = run_in_process(["lint", "--no-cache", "--format", "json", *extra, "."], root)
    assert result.exit_code in (0, 1), result
    return json.loads(result.stdout)


def test_merged_shards_equal_one_unsharded_run(tmp_path):
    root = monorepo(tmp_path / "repo")
    whole = lint_json(root)
    assert len(whole) > 20
    reports = []
    for k in (1, 2, 3):
        shard = lint_json(root, "--shard", f"{k}/3")
        assert shard, "each of 3 shards of 24 files gets some findings"
        (tmp_path / f"shard{k}.json").write_text(json.dumps(shard))
        reports.append(str(tmp_path / f"shard{k}.json"))
    merged = run_in_process(["report", "merge", *reports, "-o", str(tmp_path / "merged.json")], tmp_path)
    assert merged.exit_code == 1, merged  # findings remain, as lint would say
    assert json.loads((tmp_path / "merged.json").read_text()) == whole
    printed = run_in_process(["report", "merge", "--exit-zero", *reversed(reports)], tmp_path)
    assert printed.exit_code == 0
    assert json.loads(printed.stdout) == whole  # order of the inputs does not matter


def test_every_file_is_in_exactly_one_shard_wherever_the_checkout_is(tmp_path):
    first = monorepo(tmp_path / "checkout-a")
    second = tmp_path / "elsewhere" / "checkout-b"
    shutil.copytree(first, second)

    def split(root: Path) -> list:
        files = sorted(root.rglob("*.py"))
        return [sorted(p.relative_to(root).as_posix() for p in select_shard(files, [root], k, 4))
                for k in (1, 2, 3, 4)]

    parts = split(first)
    assert sorted(name for part in parts for name in part) == \
        sorted(p.relative_to(first).as_posix() for p in first.rglob("*.py"))
    assert split(second) == parts
    assert sum(1 for part in parts if part) >= 3  # 24 files do spread


def test_bad_shard_is_a_usage_error(tmp_path):
    root = monorepo(tmp_path / "repo")
    for bad in ("0/3", "4/3", "3", "a/b", "1/0"):
        result = run_in_process(["lint", "--shard", bad, "."], root)
        assert result.exit_code == 2, (bad, result)
        assert "--shard" in result.stderr
    assert parse_shard(" 2 / 5 ") == (2, 5)


def test_merge_rejects_what_is_not_a_shard_output(tmp_path):
    (tmp_path / "text.txt").write_text("app.py:1:1: SVC101 ...\n")
    result = run_in_process(["report", "merge", str(tmp_path / "text.txt")], tmp_path)
    assert result.exit_code == 2
    assert "text.txt" in result.stderr
    (tmp_path / "plain.json").write_text("[]")  # an unsharded output says nothing of what it covers
    result = run_in_process(["report", "merge", str(tmp_path / "plain.json")], tmp_path)
    assert result.exit_code == 2 and "plain.json" in result.stderr and "--shard" in result.stderr


def shard_outputs(root: Path, out: Path, n: int, *extra: str) -> list:
    paths = []
    for k in range(1, n + 1):
        target = out / f"shard{k}.json"
        result = run_in_process(["lint", "--no-cache", "--format", "json", "--shard", f"{k}/{n}", *extra,
                                 "--output", str(target), "."], root)
        assert result.exit_code in (0, 1), result
        paths.append(str(target))
    return paths


def test_merge_refuses_a_missing_doubled_or_foreign_shard(svcmod, tmp_path):
    root = monorepo(tmp_path / "repo")
    one, two, three = shard_outputs(root, tmp_path, 3)

    missing = svcmod("report", "merge", one, three, cwd=tmp_path)
    assert missing.exit_code == 2, missing
    assert missing.stderr.count("\n") == 1 and "shard 2/3 missing" in missing.stderr

    doubled = svcmod("report", "merge", one, two, two, three, cwd=tmp_path)
    assert doubled.exit_code == 2 and "shard 2/3 is given twice" in doubled.stderr, doubled

    (tmp_path / "other").mkdir()
    (other,) = [p for p in shard_outputs(root, tmp_path / "other", 3, "--select", "SVC101") if "shard2" in p]
    foreign = svcmod("report", "merge", one, other, three, cwd=tmp_path)
    assert foreign.exit_code == 2 and "configuration" in foreign.stderr and "shard 2/3" in foreign.stderr, foreign

    (root / "services" / "users" / "app" / "new.py").write_text("x = 1\n")  # another checkout
    (late,) = [p for p in shard_outputs(root, tmp_path / "other", 3) if "shard2" in p]
    mixed = svcmod("report", "merge", one, late, three, cwd=tmp_path)
    assert mixed.exit_code == 2 and "file list" in mixed.stderr, mixed


def test_merged_shards_give_text_sarif_and_github(svcmod, tmp_path):
    root = monorepo(tmp_path / "repo")
    shards = shard_outputs(root, tmp_path, 2)
    whole = run_in_process(["lint", "--no-cache", "."], root)
    text = svcmod("report", "merge", "--format", "text", *shards, cwd=root)
    assert text.exit_code == 1
    assert text.stdout == whole.stdout
    sarif = svcmod("report", "merge", "--format", "sarif", *shards, cwd=root)
    log = json.loads(sarif.stdout)
    assert len(log["runs"][0]["results"]) == len(whole.stdout.splitlines())
    github = svcmod("report", "merge", "--format", "github", *shards, cwd=root)
    assert github.stdout.count("::error file=services/") == len(whole.stdout.splitlines())


def test_a_migration_split_by_project_merges_into_the_unsharded_report(svcmod, tmp_path):
    root = monorepo(tmp_path / "repo")
    reports, patches = [], tmp_path / "patches"
    for k in (1, 2, 3):
        report = tmp_path / f"migrate-{k}.json"
        result = run_in_process(["migrate", "v2", ".", "--check", "--shard", f"{k}/3", "--report-json", str(report),
                                 "--patch-dir", str(patches)], root)
        assert result.exit_code in (0, 1), result
        reports.append(str(report))
    merged = svcmod("report", "merge", *reports, "--output", str(tmp_path / "merged.json"), cwd=tmp_path)
    assert merged.exit_code == 1, merged  # changes pending with --check, as the unsharded run says
    whole = run_in_process(["migrate", "v2", ".", "--check", "--report-json", str(tmp_path / "whole.json")], root)
    assert whole.exit_code == 1

    def projects(path):
        return [{k: v for k, v in p.items() if k not in ("seconds", "patch", "apply")}
                for p in json.loads(Path(path).read_text())["projects"]]

    assert projects(tmp_path / "merged.json") == projects(tmp_path / "whole.json")
    assert len(list(patches.iterdir())) == 3  # one patch per project, each from the one job that had it
    missing = svcmod("report", "merge", reports[0], reports[2], cwd=tmp_path)
    assert missing.exit_code == 2 and "shard 2/3 missing" in missing.stderr


def test_merged_migrate_shards_give_the_pull_request_bodies_of_one_run(svcmod, tmp_path):
    import re
    root = monorepo(tmp_path / "repo")
    (root / "services" / "billing" / "requirements.txt").write_text("requests>=2\nretrying==1.3.4\n")
    (root / "services" / "billing" / "app" / "retried.py").write_text(
        "from retrying import retry\n\n\n@retry(stop_max_attempt_number=3)\ndef f():\n    return 1\n")
    reports = []
    for k in (1, 2):
        report = tmp_path / f"migrate-{k}.json"
        result = run_in_process(["migrate", "v2", ".", "--check", "--shard", f"{k}/2", "--report-json", str(report),
                                 "--patch-dir", str(tmp_path / "patches")], root)
        assert result.exit_code in (0, 1), result
        reports.append(str(report))
    merged = svcmod("report", "merge", *reports, "--output", str(tmp_path / "merged.json"),
                    "--report-md", str(tmp_path / "merged.md"), cwd=tmp_path)
    assert merged.exit_code == 1, merged
    per_project = svcmod("report", "merge", *reports, "--output", str(tmp_path / "again.json"),
                         "--report-md", str(tmp_path / "bodies") + "/", cwd=tmp_path)
    assert per_project.exit_code == 1, per_project
    whole = run_in_process(["migrate", "v2", ".", "--check", "--report-md", str(tmp_path / "whole.md"),
                            "--patch-dir", str(tmp_path / "patches")], root)
    assert whole.exit_code == 1, whole

    def timeless(text: str) -> str:  # each run's own time
        return re.sub(r"\(\d+\.\d s\)", "(s)", text)

    body = timeless((tmp_path / "merged.md").read_text())
    assert body == timeless((tmp_path / "whole.md").read_text())
    assert "### Dependencies" in body and "tenacity" in body and "git apply" in body
    assert sorted(p.name for p in (tmp_path / "bodies").iterdir()) == [
        "services-billing.md", "services-search.md", "services-users.md"]
    lint_shard = tmp_path / "lint.json"
    lint_shard.write_text(json.dumps(lint_json(root, "--shard", "1/1")))
    refused = svcmod("report", "merge", str(lint_shard), "--report-md", str(tmp_path / "x.md"), cwd=tmp_path)
    assert refused.exit_code == 2 and "--report-md is for migrate reports" in refused.stderr, refused
    assert not (tmp_path / "x.md").exists()
