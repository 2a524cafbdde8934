"""The fast path never changes a result: it finds what the reference (``--no-fast-path``) finds.

The reference parses every file whole with LibCST and runs every selected rule on it. A fixed-seed
slice of ``bench/differential.py`` runs here: every rule example (with fixes), a sample of the
standard library, small pinned wheels (downloaded with ``pip download --no-deps`` and cached in
the git-ignored ``bench/.corpus/``), mutants of all of them, and hypothesmith modules with rule
examples spliced in. ``python bench/differential.py`` runs the long mode and prints counts.
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

from conftest import REPO, write

sys.path.insert(0, str(REPO / "bench"))

APP = """
import subprocess

import requests


def fetch(url):
    return requests.get(url)


def run(cmd):
    while True:
        try:
            return subprocess.run(cmd, check=True)
        except subprocess.CalledProcessError:
            pass
"""


def test_no_fast_path_reports_the_same_in_every_format_and_keeps_no_cache(svcmod, tmp_path):
    write(tmp_path, {"app.py": APP, "other.py": "print('no rule wants me')\n"})
    for output in ("json", "text", "github"):
        fast = svcmod("lint", "--format", output, "--no-cache", ".", cwd=tmp_path)
        reference = svcmod("lint", "--no-fast-path", "--format", output, ".", cwd=tmp_path)
        assert (fast.exit_code, fast.stdout) == (reference.exit_code, reference.stdout) == (1, fast.stdout), reference
    reference = svcmod("lint", "--no-fast-path", "--format", "json", ".", cwd=tmp_path)
    codes = sorted(finding["code"] for finding in json.loads(reference.stdout))
    assert codes == ["SVC101", "SVC106", "SVC202", "SVC206"]
    assert not (tmp_path / ".svcmod_cache").exists()  # the reference neither reads nor writes results
