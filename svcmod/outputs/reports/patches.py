"""One ``git apply``-able patch per project, paths relative to the project (never absolute, never ``..``).

Apply from the project's directory with ``git apply FILE``, or from the repository root with
``git apply --directory=<project path> FILE``. Bytes are kept as they are (CRLF, latin-1), and
file names git would quote are quoted as git quotes them.
"""
from __future__ import annotations

import difflib
import shlex
from pathlib import Path, PurePosixPath
from typing import Dict, List, Optional, Tuple

from svcmod.outputs.reports import FileChange, ProjectReport, patch_filename

_ESCAPES = {ord("\a"): "\\a", ord("\b"): "\\b", ord("\t"): "\\t", ord("\n"): "\\n", ord("\v"): "\\v",
            ord("\f"): "\\f", ord("\r"): "\\r", ord('"'): '\\"', ord("\\"): "\\\\"}


def quote_path(path: str) -> bytes:
    """A path as git writes it in a patch: C-quoted when it holds control, quote or non-ASCII bytes."""
    raw = path.encode("utf-8", errors="surrogateescape")
    if not any(b < 0x20 or b >= 0x7F or b in (0x22, 0x5C) for b in raw):
        return raw
    out = []
    for b in raw:
        if b in _ESCAPES:
            out.append(_ESCAPES[b])
        elif b < 0x20 or b >= 0x7F:
            out.append(f"\\{b:03o}")
        else:
            out.append(chr(b))
    return ('"' + "".join(out) + '"').encode("ascii")


def _check_relative(path: str) -> None:
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or path.startswith("\\") or (len(path) > 1 and path[1] == ":"):
        raise ValueError(f"refusing to write a patch path that leaves the project: {path!r}")


def _lines(data: bytes) -> List[bytes]:
    """Lines split on LF only, each keeping its ending (a lone CR stays inside its line, as git sees it)."""
    parts = data.split(b"\n")
    lines = [part + b"\n" for part in parts[:-1]]
    if parts[-1]:
        lines.append(parts[-1])
    return lines


def file_patch(change: FileChange, context: int = 3, relative: bool = True) -> bytes:
    """The ``diff --git`` section for one changed file (``relative``: refuse paths leaving the project)."""
    file = change.real_file or change.file  # git names the file by its bytes, as they are on disk
    if relative:
        _check_relative(file)
    old = quote_path("a/" + file)
    new = quote_path("b/" + file)
    out = [b"diff --git " + old + b" " + new + b"\n"]
    # as git: a name with a space gets a tab after it on the ---/+++ lines (GNU patch reads it so)
    tab = b"\t" if b" " in old else b""
    for line in difflib.diff_bytes(difflib.unified_diff, _lines(change.original), _lines(change.fixed),
                                   old + tab, new + tab, lineterm=b"\n", n=context):
        out.append(line)
        if not line.endswith(b"\n"):
            out.append(b"\n\\ No newline at end of file\n")
    return b"".join(out)


def project_patch(report: ProjectReport) -> bytes:
    return b"".join(file_patch(change) for change in sorted(report.changes, key=lambda c: c.file))


def write_patches(reports: List[ProjectReport], directory: Path) -> Dict[str, Path]:
    """Write ``<project>.patch`` for every project with changes; returns project name -> file."""
    directory.mkdir(parents=True, exist_ok=True)
    written: Dict[str, Path] = {}
    used: Dict[str, str] = {}
    for report in reports:
        if not report.changes:
            continue
        name = patch_filename(report.name)
        stem = name[:-len(".patch")]
        counter = 2
        while name in used:  # two projects whose names differ only in odd characters
            name = f"{stem}-{counter}.patch"
            counter += 1
        used[name] = report.name
        target = directory / name
        target.write_bytes(project_patch(report))
        written[report.name] = target
    return written


def _git_root(directory: Path) -> Optional[Path]:
    for candidate in [directory, *directory.parents]:
        if (candidate / ".git").exists():
            return candidate
    return None


def apply_command(report: ProjectReport, patch: str) -> Tuple[str, str]:
    """Where to run what to apply ``patch`` to the project: (place, command).

    Inside a larger git work tree ``git apply`` run in a subdirectory skips the files (paths are
    taken from the top), so the command is run from the top with ``--directory``.
    """
    directory = report.directory.resolve()
    root = _git_root(directory)
    name = shlex.quote(Path(patch).name)
    if root is not None and root != directory:
        relative = directory.relative_to(root).as_posix()
        return "the repository root", f"git apply --directory={shlex.quote(relative)} {name}"
    return "the project's directory", f"git apply {name}"
