"""``--changed-since GITREF``: only the files git says changed since a ref (plus untracked ones)."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import List, Optional, Sequence, Set

from svcmod.project.config import ConfigFinder
from svcmod.project.discovery import Discovery


class GitError(Exception):
    """git is missing, this is not a repository, or the ref is unknown; the message says which."""


def _git(args: Sequence[str], cwd: Path) -> str:
    try:
        completed = subprocess.run(["git", *args], cwd=str(cwd), capture_output=True, timeout=120)
    except FileNotFoundError:
        raise GitError("--changed-since needs git, and no git command was found") from None
    except subprocess.TimeoutExpired:
        raise GitError(f"git {' '.join(args)} did not finish in 120 s") from None
    if completed.returncode != 0:
        message = completed.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GitError(f"git {' '.join(args)}: {message[-1] if message else 'failed'}")
    return completed.stdout.decode("utf-8", "surrogateescape")


def changed_files(ref: str, cwd: Optional[Path] = None) -> Set[Path]:
    """Files that differ between the working tree and where ``ref`` forked off, and untracked ones.

    The fork point (``git merge-base ref HEAD``) rather than ``ref`` itself: in a pull request
    against ``origin/main``, commits that landed on main since the branch was made are not the
    branch's changes. Deleted files are left out; files ignored by git are not untracked files.
    """
    cwd = cwd or Path.cwd()
    if ref.startswith("-"):
        raise GitError(f"--changed-since: '{ref}' is not a git ref")
    try:
        top = Path(_git(["rev-parse", "--show-toplevel"], cwd).strip())
    except GitError as error:
        if "not a git repository" not in str(error):
            raise
        raise GitError(f"--changed-since: {cwd} is not inside a git repository") from None
    try:
        _git(["rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}"], cwd)
    except GitError:
        raise GitError(f"--changed-since: '{ref}' is not a commit, branch or tag of {top}") from None
    try:
        base = _git(["merge-base", ref, "HEAD"], cwd).strip()
    except GitError:
        base = ref  # unrelated histories, or no HEAD yet: compare with the ref itself
    names = _git(["diff", "--name-only", "-z", "--no-renames", "--diff-filter=d", base, "--"], cwd).split("\0")
    names += _git(["ls-files", "--others", "--exclude-standard", "-z", "--full-name"], cwd).split("\0")
    return {(top / name).resolve() for name in names if name}


def files_changed_since(ref: str, paths: Sequence[Path], config_file: Optional[Path] = None,
                        force_exclude: bool = False) -> List[Path]:
    """The files ``svcmod lint PATHS`` would check that changed since ``ref``.

    The usual discovery (excludes, .gitignore) picks the files, so a changed file in an excluded
    folder stays excluded.
    """
    changed = changed_files(ref)
    discovery = Discovery(ConfigFinder(config_file), force_exclude)
    return [p for p in discovery.files(list(paths)) if Path(os.path.abspath(p)).resolve() in changed]
