"""``--changed-since GITREF``: only the files git says changed since a ref (plus untracked ones)."""
from __future__ import annotations

import os
import signal
import subprocess
import threading
from pathlib import Path
from typing import List, Optional, Sequence, Set, Tuple

from svcmod.project.config import ConfigFinder
from svcmod.project.discovery import Discovery


class GitError(Exception):
    """git is missing, this is not a repository, or the ref is unknown; the message says which."""


#: What makes git run nothing a repository configured: no fsmonitor hook, no hooks, no pager, no
#: external diff or text conversion, no prompts. A repository's ``.git/config`` (or one it includes)
#: is not the user's: a checked-out tree, an unpacked archive or a shared folder can carry one.
_SAFE_CONFIG = ("core.fsmonitor=false", "core.hooksPath=/dev/null", "core.pager=cat", "diff.external=",
                "core.untrackedCache=false", "protocol.allow=never")
_SAFE_ENV = {"GIT_CONFIG_NOSYSTEM": "1", "GIT_PAGER": "cat", "PAGER": "cat", "GIT_TERMINAL_PROMPT": "0",
             "GIT_OPTIONAL_LOCKS": "0", "GIT_EXTERNAL_DIFF": "", "GIT_ASKPASS": "", "SSH_ASKPASS": ""}


def _run(args: Sequence[str], cwd: Path, extra: Sequence[str] = ()) -> "subprocess.CompletedProcess[bytes]":
    command = ["git", "--no-pager"]
    for setting in (*_SAFE_CONFIG, *extra):
        command += ["-c", setting]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_") or k in ("GIT_CONFIG_GLOBAL",)}
    env.update(_SAFE_ENV)
    # Ctrl-C raises where the program is (svcmod.run.stopping): one that came while Popen was
    # still starting git would leave git running, Popen having no process to kill yet. SIGINT and
    # SIGTERM wait until git's process is at hand (git starts with them blocked too: it is killed
    # rather than interrupted, and nothing of it is kept)
    held = _hold_signals()
    try:
        process = subprocess.Popen([*command, *args], cwd=str(cwd), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   env=env, stdin=subprocess.DEVNULL)
    except FileNotFoundError:
        raise GitError("--changed-since needs git, and no git command was found") from None
    finally:
        if held:
            signal.pthread_sigmask(signal.SIG_SETMASK, held[0])
    with process:
        try:
            stdout, stderr = process.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise GitError(f"git {' '.join(args)} did not finish in 120 s") from None
        except BaseException:  # Interrupted: git goes too
            process.kill()
            process.wait()
            raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _hold_signals() -> Tuple[Set[int], ...]:
    """Block SIGINT and SIGTERM (main thread only: elsewhere they are not svcmod's to handle) and
    give the mask to restore, or nothing."""
    if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "pthread_sigmask"):
        return ()
    return (signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM}),)


def _filter_overrides(cwd: Path) -> List[str]:
    """Settings that turn every configured content filter into a no-op: comparing the working tree
    runs a file's ``clean`` filter, a command that the repository's own config may name."""
    listed = _run(["config", "--name-only", "--get-regexp", r"^filter\."], cwd)
    names = {line.rsplit(".", 1)[0] for line in listed.stdout.decode("utf-8", "replace").splitlines()
             if line.count(".") >= 2}
    overrides: List[str] = []
    for name in sorted(names):
        overrides += [f"{name}.clean=cat", f"{name}.smudge=cat", f"{name}.process=", f"{name}.required=false"]
    return overrides


def _git(args: Sequence[str], cwd: Path, extra: Sequence[str] = ()) -> str:
    completed = _run(args, cwd, extra)
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
    safe = _filter_overrides(top)
    names = _git(["diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", "--no-textconv", "--diff-filter=d",
                  base, "--"], top, safe).split("\0")
    names += _git(["ls-files", "--others", "--exclude-standard", "-z", "--full-name"], top, safe).split("\0")
    return {(top / name).resolve() for name in names if name}


def files_changed_since(ref: str, paths: Sequence[Path], config_file: Optional[Path] = None,
                        force_exclude: bool = False) -> List[Path]:
    """The files ``svcmod lint PATHS`` would check that changed since ``ref``.

    Each path is compared in the git repository it belongs to (not the working directory's: several
    checked-out repositories may be named at once). The usual discovery (excludes, .gitignore) picks
    the files, so a changed file in an excluded folder stays excluded.
    """
    changed: Set[Path] = set()
    asked: Set[Path] = set()
    for path in paths or [Path(".")]:
        where = Path(os.path.abspath(path))
        where = where if where.is_dir() else where.parent
        if where not in asked:
            asked.add(where)
            changed |= changed_files(ref, where)
    discovery = Discovery(ConfigFinder(config_file), force_exclude)
    return [p for p in discovery.files(list(paths)) if Path(os.path.abspath(p)).resolve() in changed]
