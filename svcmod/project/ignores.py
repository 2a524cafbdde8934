"""``per-file-ignores``: which codes the configuration turns off for one file."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

import pathspec

from svcmod.project.config import Config

#: id(config) -> its compiled (pattern, codes) pairs; one per caller, kept across files.
CompiledIgnores = Dict[int, List[Tuple[pathspec.PathSpec, Tuple[str, ...]]]]


def per_file_ignored(path: Path, config: Config, specs: CompiledIgnores) -> Tuple[str, ...]:
    """The codes or prefixes ``config``'s per-file-ignores turn off for ``path``."""
    if not config.per_file_ignores:
        return ()
    compiled = specs.get(id(config))
    if compiled is None:
        compiled = [(pathspec.GitIgnoreSpec.from_lines([pattern]), codes) for pattern, codes in config.per_file_ignores]
        specs[id(config)] = compiled
    try:
        relative = Path(os.path.realpath(path)).relative_to(config.root.resolve()).as_posix()
    except ValueError:
        relative = path.name
    ignored: List[str] = []
    for spec, codes in compiled:
        if spec.match_file(relative) or spec.match_file(path.name):
            ignored.extend(codes)
    return tuple(ignored)


def expand_ignored(ignored: Tuple[str, ...], codes: Sequence[str]) -> Tuple[str, ...]:
    """Prefixes in per-file-ignores made into the codes they cover."""
    return tuple(c for c in codes if any(c.startswith(p) or p == "ALL" for p in ignored))
