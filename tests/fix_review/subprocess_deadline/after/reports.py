"""Runs the analysts' report scripts; some take many minutes."""

import subprocess


def run_report(script: str) -> bytes:
    return subprocess.check_output(script, shell=True, timeout=1800)


def git_revision() -> str:
    return subprocess.run(
        ["git", "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
        timeout=1800,
    ).stdout
