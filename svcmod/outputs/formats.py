"""Output formats of ``svcmod lint``: each module of ``svcmod.outputs`` renders findings for one audience."""
from __future__ import annotations

import importlib
from typing import Callable, Dict

#: format name -> module in this package defining ``render(result, stream, **options)``
FORMATS: Dict[str, str] = {
    "text": "text",
    "json": "json_format",
    "sarif": "sarif",
    "github": "github",
}


def renderer(name: str) -> Callable[..., None]:
    return importlib.import_module(f"svcmod.outputs.{FORMATS[name]}").render  # type: ignore[no-any-return]
