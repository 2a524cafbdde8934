"""The layout stays as docs/ARCHITECTURE.md draws it: layers import downwards, rules see only the rule
contract, and no module reaches into another's private names."""
from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from conftest import REPO

#: What a rule (or codemod) may import from svcmod: the rule contract, result data, the text scans
#: a rule may share with its prefilter, and other rules' and codemods' shared modules.
RULE_MAY_IMPORT = ("svcmod.rule", "svcmod.results", "svcmod.fastpath.prefilter", "svcmod.lint_rules",
                   "svcmod.codemods")


def python_files(*folders: str):
    for folder in folders:
        # not the downloaded code below git-ignored folders (bench/.corpus: wheels, a stdlib copy)
        yield from sorted(p for p in (REPO / folder).rglob("*.py")
                          if not any(part.startswith(".") for part in p.relative_to(REPO).parts))


def module_name(path: Path) -> str:
    relative = path.relative_to(REPO).with_suffix("")
    parts = list(relative.parts)
    if parts[0] in ("lint_rules", "codemods"):
        parts.insert(0, "svcmod")
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def svcmod_imports(path: Path):
    """(line, imported module, names) of every ``from svcmod… import`` / ``import svcmod…``."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0 \
                and node.module.split(".")[0] == "svcmod":
            yield node.lineno, node.module, [alias.name for alias in node.names]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "svcmod":
                    yield node.lineno, alias.name, []


def test_import_linter_contracts_hold():
    lint_imports = Path(sys.executable).parent / "lint-imports"
    completed = subprocess.run([str(lint_imports), "--no-cache"], cwd=REPO, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    assert "0 broken" in completed.stdout


def test_no_module_imports_a_private_name_of_another():
    offenders = []
    for path in python_files("svcmod", "lint_rules", "codemods"):
        own = module_name(path)
        for line, module, names in svcmod_imports(path):
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            if private and module != own:
                offenders.append(f"{path.relative_to(REPO)}:{line}: {module} {private}")
    assert offenders == []


def test_rules_and_codemods_import_only_the_rule_contract():
    offenders = []
    for path in python_files("lint_rules", "codemods"):
        for line, module, _ in svcmod_imports(path):
            if not any(module == allowed or module.startswith(allowed + ".") for allowed in RULE_MAY_IMPORT):
                offenders.append(f"{path.relative_to(REPO)}:{line}: {module}")
    assert offenders == []


def test_tests_import_rules_only_through_svcmod():
    offenders = []
    for path in python_files("tests", "bench"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] in ("lint_rules", "codemods"):
                offenders.append(f"{path.relative_to(REPO)}:{node.lineno}")
    assert offenders == []
