"""The benchmark corpus: real service code from pinned PyPI wheels plus the standard library's source.

Wheels are fetched once with ``pip download --no-deps`` (exact versions, so every run and every
machine measures the same code), unzipped to ``bench/.corpus/tree/<name>/`` and kept there. The
standard library of the running interpreter is copied next to them (``tree/stdlib``), without its
``site-packages``. Only ``.py`` files are kept: the tools under test read nothing else.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Dict, List, Tuple

HERE = Path(__file__).resolve().parent
DEFAULT_ROOT = HERE / ".corpus"

#: Service libraries and frameworks, pinned. Generated API clients (kubernetes, stripe) are in on
#: purpose: their docstrings say "retry" and "timeout" everywhere, the worst case for a prefilter.
WHEELS: Tuple[str, ...] = (
    "django==4.2.16",
    "sqlalchemy==2.0.36",
    "kubernetes==31.0.0",
    "stripe==11.1.0",
    "twisted==24.10.0",
    "tornado==6.4.1",
    "aiohttp==3.10.10",
    "celery==5.4.0",
    "kombu==5.4.2",
    "botocore==1.35.50",
    "boto3==1.35.50",
    "flask==3.0.3",
    "werkzeug==3.0.4",
    "starlette==0.41.2",
    "fastapi==0.115.4",
    "requests==2.32.3",
    "urllib3==2.2.3",
    "httpx==0.27.2",
    "httpcore==1.0.6",
    "tenacity==9.0.0",
    "backoff==2.2.1",
    "redis==5.2.0",
    "pymongo==4.10.1",
    "google-api-core==2.22.0",
    "sentry-sdk==2.17.0",
)

#: The corpus root carries its own configuration: it lives below a git-ignored folder of this
#: repository, and both tools would otherwise skip every file of it as git-ignored.
CONFIG = """\
# written by bench/corpus.py: the corpus is below a git-ignored folder; check it anyway
[tool.svcmod]
respect-gitignore = false

[tool.ruff]
respect-gitignore = false
"""


def _unpack(wheel: Path, target: Path) -> None:
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    with zipfile.ZipFile(wheel) as archive:
        for member in archive.namelist():
            if member.endswith(".py") and ".." not in member.split("/"):
                archive.extract(member, partial)
    os.replace(partial, target)


def _copy_stdlib(target: Path) -> None:
    source = Path(sysconfig.get_paths()["stdlib"])
    partial = target.with_name(target.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)

    def ignore(directory: str, names: List[str]) -> List[str]:
        return [n for n in names if n in ("site-packages", "__pycache__", "dist-packages")
                or (not n.endswith(".py") and not os.path.isdir(os.path.join(directory, n)))]

    shutil.copytree(source, partial, ignore=ignore, symlinks=True)
    os.replace(partial, target)


def build(root: Path = DEFAULT_ROOT, quiet: bool = False) -> Path:
    """The corpus tree (downloaded and unpacked on first use); returns its directory."""
    wheels_dir = root / "wheels"
    tree = root / "tree"
    tree.mkdir(parents=True, exist_ok=True)
    wheels_dir.mkdir(parents=True, exist_ok=True)
    missing = [spec for spec in WHEELS if not (tree / _dirname(spec)).is_dir()]
    if missing:
        have = {p.name.lower() for p in wheels_dir.glob("*.whl")}
        to_fetch = [s for s in missing if not any(n.startswith(_wheel_prefix(s)) for n in have)]
        if to_fetch:
            if not quiet:
                print(f"downloading {len(to_fetch)} wheels into {wheels_dir}", file=sys.stderr)
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                            "--quiet", "--dest", str(wheels_dir), *to_fetch], check=True)
        for spec in missing:
            wheel = _find_wheel(wheels_dir, spec)
            _unpack(wheel, tree / _dirname(spec))
    if not (tree / "stdlib").is_dir():
        _copy_stdlib(tree / "stdlib")
    config = tree / "pyproject.toml"
    if not config.is_file() or config.read_text() != CONFIG:
        config.write_text(CONFIG)
    return tree


def _dirname(spec: str) -> str:
    name, version = spec.split("==")
    return f"{name}-{version}"


def _wheel_prefix(spec: str) -> str:
    name, version = spec.split("==")
    return f"{name.replace('-', '_').lower()}-{version}-"


def _find_wheel(wheels_dir: Path, spec: str) -> Path:
    prefix = _wheel_prefix(spec)
    for wheel in wheels_dir.glob("*.whl"):
        if wheel.name.lower().startswith(prefix):
            return wheel
    raise FileNotFoundError(f"no wheel for {spec} in {wheels_dir}")


def count(tree: Path) -> Dict[str, int]:
    """Files and lines of the ``.py`` files below ``tree``."""
    files = lines = 0
    for directory, _, names in os.walk(tree):
        for name in names:
            if name.endswith(".py"):
                files += 1
                with open(os.path.join(directory, name), "rb") as handle:
                    lines += handle.read().count(b"\n")
    return {"files": files, "lines": lines}


if __name__ == "__main__":
    built = build()
    print(built, count(built))
