"""`svcmod migrate v2` on the fixture monorepo as its teams wrote it (aligned continuation lines,
lines already too long) keeps what real ruff found: a file ``ruff format --check`` passed still
passes, and no line the migration wrote is over the project's limit unless it stands for one that
was, and is no wider."""
from __future__ import annotations

import shutil
from pathlib import Path

from conftest import REPO, run_subprocess
from test_fix_review import lines_grown_over, ruff_formatted, ruff_long_lines

from svcmod.project.config import ConfigFinder


def test_migrating_the_monorepo_as_written_keeps_each_files_format_and_line_limit(tmp_path: Path):
    root = tmp_path / "monorepo"
    shutil.copytree(REPO / "fixtures" / "monorepo", root)
    finder = ConfigFinder()
    by_limit: dict = {}
    for path in sorted(root.rglob("*.py")):
        by_limit.setdefault(finder.for_path(path).line_length, []).append(path)
    before = {path: path.read_text() for paths in by_limit.values() for path in paths}
    formatted_before = {path: ok for limit, paths in by_limit.items() for path, ok in ruff_formatted(paths, limit).items()}
    long_before = {path: lines for limit, paths in by_limit.items()
                   for path, lines in ruff_long_lines(paths, limit).items()}

    result = run_subprocess(["migrate", "v2", "."], root)
    assert result.exit_code in (0, 1), result

    changed = {path for path, text in before.items() if path.read_text() != text}
    assert len(changed) > 15  # the migration did rewrite the services
    failures = []
    for limit, paths in by_limit.items():
        formatted_after = ruff_formatted(paths, limit)
        long_after = ruff_long_lines(paths, limit)
        for path in paths:
            name = path.relative_to(root)
            if formatted_before[path] and not formatted_after[path]:
                failures.append(f"{name}: ruff format --check passes before the migration, not after")
            if path in changed:
                failures += [f"{name}: {line}" for line in
                             lines_grown_over(before[path], path.read_text(), long_before[path], long_after[path])]
    assert not failures, "\n".join(failures)
