"""JSON that users hand back to svcmod (baselines, shard outputs): read with limits, never a traceback."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Union

#: Deeper than any file svcmod writes (a shard output is 4 levels deep) by far.
MAX_DEPTH = 64
#: Line and column numbers above this are not from a source file.
MAX_NUMBER = 10 ** 9


class JSONInputError(ValueError):
    """The file is not JSON svcmod can use; the message says why (the caller names the file)."""


def _finite(text: str) -> float:
    value = float(text)
    if value != value or value in (float("inf"), float("-inf")):
        raise JSONInputError(f"number out of range: {text[:40]}")
    return value


def _refuse_constant(name: str) -> Any:
    raise JSONInputError(f"{name} is not a number JSON allows")


def _depth(value: Any) -> int:
    """Nesting depth, without recursion (json's own decoder has already bounded it by the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def load(path: Union[str, Path]) -> Any:
    """The JSON value in ``path``. Raises OSError (cannot read) or JSONInputError."""
    with open(path, "rb") as handle:
        raw = handle.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise JSONInputError(f"not UTF-8 ({error.reason} at byte {error.start})") from None
    try:
        value = json.loads(text, parse_float=_finite, parse_constant=_refuse_constant)
    except RecursionError:
        raise JSONInputError(f"nested more than {MAX_DEPTH} levels deep") from None
    except JSONInputError:
        raise
    except ValueError as error:  # JSONDecodeError, or an integer of thousands of digits
        raise JSONInputError(f"invalid JSON: {error}") from None
    if _depth(value) > MAX_DEPTH:
        raise JSONInputError(f"nested more than {MAX_DEPTH} levels deep")
    return value


def number(value: Any, where: str) -> int:
    """A line or column: a whole number in range (``true`` and ``1e999`` are not)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value) \
            or not 0 <= value <= MAX_NUMBER:
        raise JSONInputError(f"{where}: expected a line or column number, got {json.dumps(value)[:40]}")
    return int(value)
