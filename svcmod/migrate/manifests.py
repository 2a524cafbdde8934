"""Dependency manifests follow the code: a migrated project must install from its own manifests.

A rule declares what the code its fixes write needs (``svcmod.rule.Requires``: retrying → tenacity>=8).
When a migration edited a project with such a rule, the project's manifests are edited in place, in
their own style: ``requirements*.txt`` / ``constraints*.txt``, ``setup.py`` ``install_requires`` and
``extras_require`` (literal lists, edited with LibCST), ``setup.cfg`` ``install_requires`` and
``extras_require``, ``pyproject.toml`` ``[project]`` dependencies and optional dependencies and
Poetry's ``[tool.poetry.dependencies]`` (edited with tomlkit, which keeps comments and layout).
Requirement strings are read with ``packaging``. A distribution replaced is removed only once no
module of the project imports it any more; an entry that cannot be edited safely (a pin, an upper
bound, a computed list, hashes) is left as it is and reported with its line, for a person to change.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, Iterable, List, Optional, Sequence, Tuple

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from svcmod.rule import Requires


@dataclass
class DependencyEdit:
    """One change to one manifest, for the reports' "dependencies" section."""

    file: str  # relative to the project
    line: int
    description: str  # "retrying==1.3.3 → tenacity>=8"
    code: str  # the rule whose fixes needed it


@dataclass
class ManualDependency:
    """A manifest entry svcmod could not change safely: a person changes ``line`` of ``file``."""

    file: str
    line: int
    message: str
    code: str


@dataclass
class ManifestChanges:
    """What the dependency step did (or would do) to one project's manifests."""

    edits: List[DependencyEdit] = field(default_factory=list)
    manual: List[ManualDependency] = field(default_factory=list)
    #: manifest path -> (bytes before, bytes after)
    files: Dict[Path, Tuple[bytes, bytes]] = field(default_factory=dict)


class CannotEdit(Exception):
    """An entry or manifest that svcmod will not rewrite; the message says what to change by hand."""


@dataclass
class Entry:
    """A requirement as one manifest lists it."""

    requirement: Requirement
    line: int
    handle: object  # where the manifest keeps it (a list index, a line number, a key)
    optional: bool = False  # an extra / optional group / dev requirements: never the place to add
    editable: bool = True
    why_not: str = ""

    @property
    def key(self) -> str:
        return canonicalize_name(self.requirement.name)


class Manifest:
    """A manifest file's requirements, and edits to them that keep the file's own style."""

    #: where a new requirement goes when the project lists neither it nor what it replaces
    primary = False
    #: constraints files pin versions; nothing is added to them
    constraints = False

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.text = text

    def entries(self) -> List[Entry]:
        raise NotImplementedError

    def replace(self, entry: Entry, requirement: str) -> None:
        raise NotImplementedError

    def remove(self, entry: Entry) -> None:
        raise NotImplementedError

    def add(self, requirement: str) -> int:
        """Add ``requirement``; returns its line."""
        raise NotImplementedError

    def render(self) -> str:
        raise NotImplementedError

    @property
    def can_add(self) -> bool:
        return not self.constraints


# -- requirements*.txt / constraints*.txt ---------------------------------------------------------
class RequirementsFile(Manifest):
    def __init__(self, path: Path, text: str) -> None:
        super().__init__(path, text)
        self.lines = text.splitlines(keepends=True)
        self.constraints = path.name.startswith("constraints")
        stem = path.stem.lower()
        self.primary = stem == "requirements"
        self.optional = not self.primary and not self.constraints

    def entries(self) -> List[Entry]:
        found: List[Entry] = []
        continued = False
        for index, line in enumerate(self.lines):
            was_continued, continued = continued, line.rstrip("\r\n").endswith("\\")
            if was_continued:
                continue
            text = line.split(" #")[0].split("\t#")[0].strip().rstrip("\\").strip()
            if not text or text.startswith(("#", "-", ".", "/")) or "://" in text:
                continue
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            entry = Entry(requirement, index + 1, index, optional=self.optional)
            if continued:
                entry.editable, entry.why_not = False, "it carries hashes on continuation lines"
            found.append(entry)
        return found

    def _ending(self, index: int) -> str:
        line = self.lines[index]
        return line[len(line.rstrip("\r\n")):] or self._newline()

    def _newline(self) -> str:
        return "\r\n" if "\r\n" in self.text else "\n"

    def replace(self, entry: Entry, requirement: str) -> None:
        index = entry.handle
        line = self.lines[index]
        comment = ""
        body = line.rstrip("\r\n")
        for mark in (" #", "\t#"):
            if mark in body:
                start = body.index(mark)
                gap = len(body[:start]) - len(body[:start].rstrip())
                comment = body[start - gap:]
                break
        indent = line[:len(line) - len(line.lstrip())]
        self.lines[index] = indent + requirement + comment + self._ending(index)

    def remove(self, entry: Entry) -> None:
        self.lines[entry.handle] = ""

    def add(self, requirement: str) -> int:
        entries = [e for e in self.entries()]
        names = [e.key for e in entries]
        position = len(self.lines)
        if names and names == sorted(names):
            # a sorted file stays sorted
            later = [e for e in entries if e.key > canonicalize_name(Requirement(requirement).name)]
            if later:
                position = later[0].handle
        if position == len(self.lines) and self.lines and not self.lines[-1].endswith(("\n", "\r")):
            self.lines[-1] += self._newline()
        self.lines.insert(position, requirement + self._newline())
        return position + 1

    def render(self) -> str:
        return "".join(self.lines)


# -- pyproject.toml: [project] and Poetry ---------------------------------------------------------
class PyprojectToml(Manifest):
    def __init__(self, path: Path, text: str) -> None:
        super().__init__(path, text)
        import tomlkit
        self.document = tomlkit.parse(text)
        project = self.document.get("project")
        self.project = project if isinstance(project, dict) else None
        tool = self.document.get("tool")
        poetry = tool.get("poetry") if isinstance(tool, dict) else None
        self.poetry = poetry if isinstance(poetry, dict) else None
        dynamic = self.project.get("dynamic", []) if self.project is not None else []
        self.static = self.project is not None and "dependencies" not in dynamic
        self.primary = self.static or (self.poetry is not None and "dependencies" in self.poetry)

    def _arrays(self) -> Iterable[Tuple[str, object, bool]]:
        if self.project is not None:
            dependencies = self.project.get("dependencies")
            if dependencies is not None:
                yield "[project] dependencies", dependencies, False
            optional = self.project.get("optional-dependencies")
            if isinstance(optional, dict):
                for extra, array in optional.items():
                    yield f"[project.optional-dependencies] {extra}", array, True

    def _poetry_tables(self) -> Iterable[Tuple[str, dict, bool]]:
        if self.poetry is None:
            return
        main = self.poetry.get("dependencies")
        if isinstance(main, dict):
            yield "[tool.poetry.dependencies]", main, False
        dev = self.poetry.get("dev-dependencies")
        if isinstance(dev, dict):
            yield "[tool.poetry.dev-dependencies]", dev, True
        groups = self.poetry.get("group")
        if isinstance(groups, dict):
            for group, table in groups.items():
                deps = table.get("dependencies") if isinstance(table, dict) else None
                if isinstance(deps, dict):
                    yield f"[tool.poetry.group.{group}.dependencies]", deps, True

    def entries(self) -> List[Entry]:
        found: List[Entry] = []
        for where, array, optional in self._arrays():
            if not isinstance(array, list):
                continue
            for index, item in enumerate(array):
                try:
                    requirement = Requirement(str(item))
                except InvalidRequirement:
                    continue
                found.append(Entry(requirement, self._line_of(str(item)), ("array", array, index), optional))
        for where, table, optional in self._poetry_tables():
            for name, value in table.items():
                if name == "python":
                    continue
                spec = value.get("version") if isinstance(value, dict) else value
                entry_spec = _poetry_specifier(spec) if isinstance(spec, str) else None
                try:
                    requirement = Requirement(name + (entry_spec or ""))
                except InvalidRequirement:
                    continue
                entry = Entry(requirement, self._line_of(name + " ="), ("poetry", table, name), optional)
                if entry_spec is None:
                    entry.editable = False
                    entry.why_not = f"its constraint {spec!r} is not one svcmod rewrites"
                found.append(entry)
        return found

    def _line_of(self, needle: str) -> int:
        for number, line in enumerate(self.text.splitlines(), 1):
            if needle in line:
                return number
        return 1

    def replace(self, entry: Entry, requirement: str) -> None:
        kind, container, key = entry.handle  # type: ignore[misc]
        if kind == "array":
            container[key] = requirement
            return
        wanted = Requirement(requirement)
        old_name = key
        spec = str(wanted.specifier) or "*"
        value = container[old_name]
        if canonicalize_name(wanted.name) == canonicalize_name(old_name):
            if isinstance(value, dict):
                value["version"] = spec
            else:
                container[old_name] = spec
            return
        # a different distribution: the new key where the old one was
        items = [(k, v) for k, v in container.items()]
        for k, _ in items:
            del container[k]
        for k, v in items:
            if k == old_name:
                if isinstance(v, dict):
                    v["version"] = spec
                    container[wanted.name] = v
                else:
                    container[wanted.name] = spec
            else:
                container[k] = v

    def remove(self, entry: Entry) -> None:
        kind, container, key = entry.handle  # type: ignore[misc]
        del container[key]

    def add(self, requirement: str) -> int:
        if self.static:
            dependencies = self.project.get("dependencies")  # type: ignore[union-attr]
            if dependencies is None:
                import tomlkit
                dependencies = tomlkit.array()
                dependencies.multiline(True)
                self.project["dependencies"] = dependencies  # type: ignore[index]
            dependencies.append(requirement)
            return self._line_of(f'"{requirement}"')
        table = self.poetry["dependencies"]  # type: ignore[index]
        wanted = Requirement(requirement)
        table[wanted.name] = str(wanted.specifier) or "*"
        return self._line_of(f"{wanted.name} =")

    def render(self) -> str:
        import tomlkit
        return tomlkit.dumps(self.document)


def _poetry_specifier(spec: str) -> Optional[str]:
    """A Poetry constraint as a PEP 440 specifier, when it is one already (``>=1.2,<2``, ``*``)."""
    spec = spec.strip()
    if spec in ("*", ""):
        return ""
    if spec[0].isdigit():
        spec = "==" + spec
    try:
        SpecifierSet(spec)
    except InvalidSpecifier:
        return None  # ^1.2, ~1.2, "1.2 || 1.3": Poetry's own syntax
    return spec


# -- setup.cfg ------------------------------------------------------------------------------------
class SetupCfg(Manifest):
    """``[options] install_requires`` and ``[options.extras_require]``: one requirement per
    indented line, edited line by line (the INI layout is kept as it is)."""

    def __init__(self, path: Path, text: str) -> None:
        super().__init__(path, text)
        self.lines = text.splitlines(keepends=True)
        self.install_requires: Optional[Tuple[int, int, str]] = None  # key line, last line, indent
        self.primary = True

    def _values(self) -> Iterable[Tuple[int, str, bool]]:
        """(line index, value text, optional) of every requirement line, in order."""
        section = ""
        key: Optional[str] = None
        self.install_requires = None
        for index, line in enumerate(self.lines):
            stripped = line.strip()
            if stripped.startswith("[") and stripped.endswith("]"):
                section, key = stripped[1:-1].strip(), None
                continue
            if not stripped or stripped.startswith(("#", ";")):
                continue
            if line[0] in " \t" and key is not None:
                if section == "options" and key == "install_requires":
                    start = self.install_requires[0] if self.install_requires else index
                    indent = line[:len(line) - len(line.lstrip())]
                    self.install_requires = (start, index, indent)
                yield index, stripped, section != "options"
                continue
            key = None
            for separator in ("=", ":"):
                if separator in stripped:
                    name, _, value = stripped.partition(separator)
                    name = name.strip().lower().replace("-", "_")
                    wanted = (section == "options" and name == "install_requires") or \
                        section == "options.extras_require"
                    if wanted:
                        key = name
                        if section == "options" and name == "install_requires":
                            self.install_requires = (index, index, "    ")
                        value = value.strip()
                        if value:
                            yield index, f"\0{value}", section != "options"
                    break

    def entries(self) -> List[Entry]:
        found: List[Entry] = []
        for index, text, optional in self._values():
            inline = text.startswith("\0")
            text = text.lstrip("\0")
            if text.startswith("file:"):
                continue
            try:
                requirement = Requirement(text)
            except InvalidRequirement:
                continue
            entry = Entry(requirement, index + 1, index, optional)
            if inline:
                entry.editable, entry.why_not = False, "it shares its line with the key"
            found.append(entry)
        return found

    def replace(self, entry: Entry, requirement: str) -> None:
        line = self.lines[entry.handle]
        indent = line[:len(line) - len(line.lstrip())]
        self.lines[entry.handle] = indent + requirement + line[len(line.rstrip("\r\n")):]

    def remove(self, entry: Entry) -> None:
        self.lines[entry.handle] = ""

    def add(self, requirement: str) -> int:
        list(self._values())
        if self.install_requires is None:
            raise CannotEdit("it has no [options] install_requires")
        start, last, indent = self.install_requires
        key_line = self.lines[start]
        if last == start and key_line.partition("=")[2].strip():
            raise CannotEdit(f"install_requires is written on one line ({start + 1})")
        newline = "\r\n" if self.lines[last].endswith("\r\n") else "\n"
        if not self.lines[last].endswith(("\n", "\r")):
            self.lines[last] += newline
        self.lines.insert(last + 1, indent + requirement + newline)
        return last + 2

    def render(self) -> str:
        return "".join(self.lines)


# -- setup.py -------------------------------------------------------------------------------------
class SetupPy(Manifest):
    """``setup(install_requires=[...], extras_require={...: [...]})`` as literal lists (or a name
    assigned a literal list at module level), edited with LibCST: quotes and layout kept."""

    primary = True

    def __init__(self, path: Path, text: str) -> None:
        super().__init__(path, text)
        import libcst as cst
        from libcst.metadata import MetadataWrapper, PositionProvider
        self.cst = cst
        self.module = cst.parse_module(text)
        self.replacements: Dict[object, object] = {}
        wrapper = MetadataWrapper(self.module, unsafe_skip_copy=True)
        self.positions = wrapper.resolve(PositionProvider)
        self.install_requires: Optional[object] = None  # the List node
        self.problem: Optional[Tuple[int, str]] = None
        self.extras: List[object] = []
        self._find()

    def _line(self, node: object) -> int:
        position = self.positions.get(node)
        return position.start.line if position is not None else 1

    def _find(self) -> None:
        cst = self.cst
        from svcmod.rule import descendants, dotted, keyword
        assigned: Dict[str, object] = {}
        for statement in self.module.body:
            if isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    if isinstance(small, cst.Assign) and len(small.targets) == 1 and \
                            isinstance(small.targets[0].target, cst.Name):
                        assigned[small.targets[0].target.value] = small.value
        for node in descendants(self.module):
            if not isinstance(node, cst.Call) or (dotted(node.func) or "").rpartition(".")[2] != "setup":
                continue
            given = keyword(node, "install_requires")
            if given is not None:
                value = given.value
                if isinstance(value, cst.Name) and value.value in assigned:
                    value = assigned[value.value]
                if isinstance(value, (cst.List, cst.Tuple)) and all(
                        isinstance(e.value, cst.SimpleString) for e in value.elements):
                    self.install_requires = value
                else:
                    self.problem = (self._line(given), "install_requires is not a literal list of strings")
            extras = keyword(node, "extras_require")
            if extras is not None and isinstance(extras.value, cst.Dict):
                for element in extras.value.elements:
                    value = getattr(element, "value", None)
                    if isinstance(value, (cst.List, cst.Tuple)) and all(
                            isinstance(e.value, cst.SimpleString) for e in value.elements):
                        self.extras.append(value)
            return
        self.problem = (1, "no setup(...) call found")

    def _slots(self) -> List[Tuple[object, bool]]:
        main = [(self.install_requires, False)] if self.install_requires is not None else []
        return main + [(array, True) for array in self.extras]

    def entries(self) -> List[Entry]:
        found: List[Entry] = []
        for array, optional in self._slots():
            current = self._current(array)
            for index, element in enumerate(current.elements):  # type: ignore[attr-defined]
                try:
                    requirement = Requirement(element.value.evaluated_value)
                except (InvalidRequirement, TypeError):
                    continue
                line = self._line(element) if element in self.positions else self._line(array) + index + 1
                found.append(Entry(requirement, line, (array, index), optional))
        return found

    def _current(self, array: object) -> object:
        return self.replacements.get(array, array)

    def _quoted(self, template: object, text: str) -> str:
        value = template.value  # type: ignore[attr-defined]
        prefix = value[:len(value) - len(value.lstrip("rRbBuUfF"))]
        quote = value[len(prefix)]
        return f"{quote}{text}{quote}"

    def replace(self, entry: Entry, requirement: str) -> None:
        array, index = entry.handle  # type: ignore[misc]
        current = self._current(array)
        elements = list(current.elements)
        element = elements[index]
        elements[index] = element.with_changes(value=element.value.with_changes(
            value=self._quoted(element.value, requirement)))
        self.replacements[array] = current.with_changes(elements=elements)

    def remove(self, entry: Entry) -> None:
        array, index = entry.handle  # type: ignore[misc]
        current = self._current(array)
        elements = list(current.elements)
        removed = elements.pop(index)
        if index == len(elements) and elements and not isinstance(removed.comma, self.cst.Comma):
            # the last one goes: the one before takes its (missing) comma
            elements[-1] = elements[-1].with_changes(comma=removed.comma)
        self.replacements[array] = current.with_changes(elements=elements)

    def add(self, requirement: str) -> int:
        cst = self.cst
        if self.install_requires is None:
            line, why = self.problem or (1, "no install_requires")
            raise CannotEdit(f"{why} (line {line})")
        array = self.install_requires
        current = self._current(array)
        elements = list(current.elements)
        if not elements:
            new = cst.Element(cst.SimpleString(f'"{requirement}"'))
            self.replacements[array] = current.with_changes(elements=[new])
            return self._line(array)
        last = elements[-1]
        new = cst.Element(cst.SimpleString(self._quoted(last.value, requirement)))
        lead = None  # the line break and indentation before an element, if one per line
        if len(elements) > 1 and isinstance(elements[-2].comma, cst.Comma) and \
                isinstance(elements[-2].comma.whitespace_after, cst.ParenthesizedWhitespace):
            lead = elements[-2].comma.whitespace_after
        elif isinstance(current.lbracket.whitespace_after, cst.ParenthesizedWhitespace):
            lead = current.lbracket.whitespace_after
        # a trailing comma moves to the new last element
        new = new.with_changes(comma=last.comma)
        elements[-1] = last.with_changes(comma=cst.Comma(whitespace_after=lead or cst.SimpleWhitespace(" ")))
        elements.append(new)
        self.replacements[array] = current.with_changes(elements=elements)
        return self._line(array) + len(elements)

    def render(self) -> str:
        if not self.replacements:
            return self.text
        replacements = self.replacements
        cst = self.cst

        class Swap(cst.CSTTransformer):
            def on_leave(self, original, updated):  # type: ignore[override]
                return replacements.get(original, updated)

        return self.module.visit(Swap()).code


# -- the step ---------------------------------------------------------------------------------------
def find_manifests(directory: Path) -> Tuple[List[Manifest], List[Tuple[Path, str]]]:
    """The project's manifests, and those that could not be read (path, why)."""
    found: List[Path] = []
    for pattern in ("pyproject.toml", "setup.py", "setup.cfg", "requirements*.txt", "constraints*.txt",
                    "requirements/*.txt"):
        found.extend(sorted(p for p in directory.glob(pattern) if p.is_file() and not p.is_symlink()))
    manifests: List[Manifest] = []
    unreadable: List[Tuple[Path, str]] = []
    for path in found:
        kind = {"pyproject.toml": PyprojectToml, "setup.py": SetupPy, "setup.cfg": SetupCfg}.get(
            path.name, RequirementsFile)
        try:
            manifests.append(kind(path, path.read_bytes().decode("utf-8")))
        except Exception as error:  # unreadable, undecodable or unparsable: a person looks at it
            unreadable.append((path, f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"))
    return manifests, unreadable


def _minimum(wanted: Requirement) -> Optional[Version]:
    for spec in wanted.specifier:
        if spec.operator == ">=":
            return Version(spec.version)
    return None


def satisfy(entry: Entry, wanted: Requirement) -> Optional[str]:
    """The entry's requirement rewritten so it allows only versions ``wanted`` allows; None when it
    already does. Raises CannotEdit for a pin or an upper bound below what is wanted."""
    minimum = _minimum(wanted)
    have = entry.requirement
    if minimum is None:
        return None
    kept: List[Specifier] = []
    for spec in have.specifier:
        try:
            version = Version(spec.version.rstrip(".*"))
        except InvalidVersion:
            raise CannotEdit(f"'{have}' has a version svcmod cannot read") from None
        if spec.operator in (">=", ">", "==", "===", "~=") and version >= minimum and "*" not in spec.version:
            return None  # already at or above the minimum
        if spec.operator in (">=", ">"):
            continue  # a lower bound below the minimum: raised
        if spec.operator in ("==", "===", "~="):
            raise CannotEdit(f"'{have}' pins a version below {minimum}")
        if spec.operator in ("<", "<=") and version <= minimum:
            raise CannotEdit(f"'{have}' excludes {minimum} and later")
        kept.append(spec)
    specifiers = sorted([str(s) for s in kept] + [f">={minimum}"], key=lambda s: (not s.startswith(">"), s))
    return _requirement_text(have.name, have.extras, ",".join(specifiers), have.marker)


def _requirement_text(name: str, extras: Iterable[str], specifier: str, marker: object) -> str:
    text = name + (f"[{','.join(sorted(extras))}]" if extras else "") + specifier
    return text + (f"; {marker}" if marker else "")


def plan_changes(directory: Path, needed: Sequence[Tuple[str, Requires]],
                 still_imported: Callable[[str], bool]) -> ManifestChanges:
    """Edit the manifests of the project at ``directory`` for ``needed`` (rule code, what it requires).

    Nothing is written: the result holds each manifest's bytes before and after."""
    changes = ManifestChanges()
    readable, unreadable = find_manifests(directory)
    for path, why in unreadable:
        for code, requires in needed:
            changes.manual.append(ManualDependency(path.relative_to(directory).as_posix(), 1,
                                                   f"cannot read it ({why}): make sure it declares "
                                                   f"{requires.requirement}", code))
    before = {m.path: m.render() for m in readable}
    for code, requires in needed:
        _apply(code, requires, readable, directory, changes, still_imported)
    for manifest in readable:
        after = manifest.render()
        if after != before[manifest.path]:
            original = manifest.path.read_bytes()
            changes.files[manifest.path] = (original, after.encode("utf-8"))
    return changes


def _apply(code: str, requires: Requires, manifests: List[Manifest], directory: Path,
           changes: ManifestChanges, still_imported: Callable[[str], bool]) -> None:
    wanted = Requirement(requires.requirement)
    new_key = canonicalize_name(wanted.name)
    old_key = canonicalize_name(requires.replaces) if requires.replaces else None
    remove_old = old_key is not None and not still_imported(requires.replaced_module or "")
    listed_anywhere = False

    def relative(manifest: Manifest) -> str:
        return manifest.path.relative_to(directory).as_posix()

    def manual(manifest: Manifest, line: int, message: str) -> None:
        changes.manual.append(ManualDependency(relative(manifest), line, message, code))

    for manifest in manifests:
        entries = manifest.entries()
        new_entries = [e for e in entries if e.key == new_key]
        old_entries = [e for e in entries if old_key is not None and e.key == old_key]
        if new_entries or old_entries:
            listed_anywhere = True
        for entry in new_entries:
            try:
                raised = satisfy(entry, wanted)
                if raised is None:
                    continue
                if not entry.editable:
                    raise CannotEdit(f"'{entry.requirement}' cannot be rewritten here: {entry.why_not}")
            except CannotEdit as why:
                manual(manifest, entry.line, f"{why}; change it to {requires.requirement}")
                continue
            manifest.replace(entry, raised)
            changes.edits.append(DependencyEdit(relative(manifest), entry.line,
                                                f"{entry.requirement} → {raised}", code))
        for entry in old_entries:
            if not remove_old and new_entries:
                continue
            if not entry.editable:
                todo = f"replace it with {requires.requirement}" if remove_old else f"add {requires.requirement}"
                manual(manifest, entry.line, f"'{entry.requirement}' is not rewritten ({entry.why_not}): {todo}")
                continue
            if manifest.constraints and not remove_old:
                continue
            replacement = _requirement_text(wanted.name, wanted.extras, str(wanted.specifier),
                                            entry.requirement.marker)
            if remove_old and new_entries:
                manifest.remove(entry)
                changes.edits.append(DependencyEdit(relative(manifest), entry.line,
                                                    f"removed {entry.requirement}", code))
            elif remove_old and manifest.constraints:
                manifest.remove(entry)
                changes.edits.append(DependencyEdit(relative(manifest), entry.line,
                                                    f"removed {entry.requirement}", code))
            elif remove_old:
                manifest.replace(entry, replacement)
                changes.edits.append(DependencyEdit(relative(manifest), entry.line,
                                                    f"{entry.requirement} → {replacement}", code))
            else:
                # still imported somewhere: keep it, and add what the migrated code needs
                try:
                    line = manifest.add(replacement)
                except CannotEdit as why:
                    manual(manifest, entry.line, f"add {replacement}: {why}")
                    continue
                changes.edits.append(DependencyEdit(relative(manifest), line, f"added {replacement} "
                                                    f"({entry.requirement} kept: still imported)", code))
            new_entries = new_entries or [entry]
    if listed_anywhere:
        return
    # neither listed: the project's main manifest(s) get it
    targets = [m for m in manifests if m.primary and m.can_add and _lists_requirements(m)]
    if not targets:
        targets = [m for m in manifests if m.primary and m.can_add and not isinstance(m, RequirementsFile)][:1]
    if not targets:
        changes.manual.append(ManualDependency(".", 1, f"no dependency manifest found: declare "
                                               f"{requires.requirement}", code))
        return
    for manifest in targets:
        try:
            line = manifest.add(requires.requirement)
        except CannotEdit as why:
            manual(manifest, getattr(manifest, "problem", None) and manifest.problem[0] or 1,  # type: ignore
                   f"add {requires.requirement}: {why}")
            continue
        changes.edits.append(DependencyEdit(relative(manifest), line, f"added {requires.requirement}", code))


def _lists_requirements(manifest: Manifest) -> bool:
    """Whether the manifest is where this project declares its runtime requirements."""
    if isinstance(manifest, PyprojectToml):
        return manifest.primary
    if isinstance(manifest, SetupPy):
        return manifest.install_requires is not None or manifest.problem is not None and \
            manifest.problem[1] != "no setup(...) call found"
    if isinstance(manifest, SetupCfg):
        list(manifest._values())
        return manifest.install_requires is not None
    return bool([e for e in manifest.entries() if not e.optional])
