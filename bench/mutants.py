"""Mutants: real code rewritten in ways that keep what it does but stress the fast path's text scans.

The fast path (``svcmod/fastpath/``, ``svcmod.check.names.imported_modules``) reads bytes before
anything parses them: imports, retry loops and functions are found by their text. Each rewrite
here writes the same code in another legal way that such scans can trip on: tabs and odd spacing,
spaced calls (``pool . get (url)``, a line end or a comment before a dot in brackets), ``\\``
continuations, ``;``-joined statements, one-line compound statements, parenthesised and aliased
imports, imports in functions and under ``if TYPE_CHECKING``, rule words in comments and strings,
triple-quoted strings with lines at column 0, form feeds, CRLF, a BOM, decorators, nested functions
and classes, ``async`` variants. ``mutants(source, rng)`` applies a few at random; a
rewrite that does not apply (or would not compile) gives nothing.
"""
from __future__ import annotations

import ast
import random
import re
import warnings
from typing import Callable, Iterator, List, Optional, Sequence, Tuple

Rewrite = Callable[[str, random.Random], Optional[str]]

#: Words the rules look for, put where they mean nothing (a comment, a string).
RULE_WORDS = (
    "import requests", "requests.get(url)", "while True:", "try: import requests", "for _ in range(3):",
    "except Exception:", "time.sleep(1)", "import subprocess", "subprocess.run(cmd)", "from retrying import retry",
    "@retry", "asyncio.get_event_loop()", "urlopen(url)", "import socket",
)

#: Text with lines at column 0 (SQL, templates, usage texts): inside a function or loop, such a
#: line is not the end of the block.
COLUMN_ZERO_TEXTS = (
    "SELECT id\nFROM jobs\nWHERE state = 'retry'\n",
    "usage: tool [options]\n\nwhile True:\ntry:\n    pass\n",
    "def f():\n    return 1\nclass A:\n    pass\n",
    "\nimport requests\n",
)


def _tree(text: str) -> Optional[ast.Module]:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return ast.parse(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return None


def compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<mutant>", "exec", dont_inherit=True)
        return True
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False


def _statements(tree: ast.AST) -> Iterator[ast.stmt]:
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            yield node


def _bodies(tree: ast.AST) -> Iterator[List[ast.stmt]]:
    """Every list of statements (a module's, a function's, a branch's)."""
    for node in ast.walk(tree):
        for name in ("body", "orelse", "finalbody"):
            part = getattr(node, name, None)
            if isinstance(part, list) and part and isinstance(part[0], ast.stmt):
                yield part
        for handler in getattr(node, "handlers", ()) or ():
            yield handler.body
        for case in getattr(node, "cases", ()) or ():
            yield case.body


def _one_line(node: ast.stmt, lines: Sequence[str]) -> bool:
    """``node`` is a simple statement alone on its line, without a comment after it."""
    if node.lineno != node.end_lineno:
        return False
    line = lines[node.lineno - 1]
    return not line[:node.col_offset].strip() and not line[node.end_col_offset:].strip()


_SIMPLE = (ast.Expr, ast.Assign, ast.AugAssign, ast.AnnAssign, ast.Return, ast.Pass, ast.Break, ast.Continue,
           ast.Import, ast.ImportFrom, ast.Raise, ast.Global, ast.Nonlocal, ast.Delete, ast.Assert)


def _ascii_columns(lines: Sequence[str], node: ast.stmt) -> bool:
    """Python's columns are UTF-8 bytes: the rewrites below cut lines by them, so only on ASCII lines."""
    return all(lines[n - 1].isascii() for n in range(node.lineno, (node.end_lineno or node.lineno) + 1))


def _pick(rng: random.Random, items: Sequence, most: int = 3) -> list:
    items = list(items)
    rng.shuffle(items)
    return items[:most]


def _lines(text: str) -> List[str]:
    return text.split("\n")


# -- the rewrites ---------------------------------------------------------------------------
def tabs(text: str, rng: random.Random) -> Optional[str]:
    """Indentation by tabs instead of spaces (every 4 spaces at the start of a statement's line)."""
    tree = _tree(text)
    if tree is None or "\t" in text:
        return None
    lines = _lines(text)
    starts = {node.lineno for node in _statements(tree)}
    for node in ast.walk(tree):  # clauses: else:, except:, finally: lines hold no statement
        for handler in getattr(node, "handlers", ()) or ():
            starts.add(handler.lineno)
    changed = False
    for number, line in enumerate(lines, 1):
        stripped = line.lstrip(" ")
        width = len(line) - len(stripped)
        if width and width % 4 == 0 and (number in starts or _clause(stripped)):
            lines[number - 1] = "\t" * (width // 4) + stripped
            changed = True
    return "\n".join(lines) if changed else None


def _clause(text: str) -> bool:
    return re.match(r"(else|elif\b|except\b|finally|case\b)", text) is not None


def _one_liners(text: str, rewrite: Callable[[ast.stmt, str], Optional[str]]) -> Optional[str]:
    """``text`` with each statement written on one line of ASCII columns given to ``rewrite(node,
    line)``, which returns that line's new text or None to leave it (None if no line changed)."""
    tree = _tree(text)
    if tree is None:
        return None
    lines = _lines(text)
    changed = False
    for node in _statements(tree):
        if not _one_line(node, lines) or not _ascii_columns(lines, node):
            continue
        line = lines[node.lineno - 1]
        new = rewrite(node, line)
        if new is not None and new != line:
            lines[node.lineno - 1] = new
            changed = True
    return "\n".join(lines) if changed else None


def odd_spacing(text: str, rng: random.Random) -> Optional[str]:
    """Tabs and runs of spaces between the words of imports."""
    def rewrite(node: ast.stmt, line: str) -> Optional[str]:
        if isinstance(node, ast.Import):
            gap = rng.choice(["\t", "  ", " \t "])
            new = re.sub(r"\bimport ", "import" + gap, line, count=1)
            return new.replace(", ", "," + rng.choice(["\t", "   ", ""]))
        if isinstance(node, ast.ImportFrom) and node.level == 0:
            new = re.sub(r"\bfrom ", "from" + rng.choice(["\t", "  "]), line, count=1)
            return re.sub(r" import ", rng.choice(["\timport\t", "  import  "]), new, count=1)
        return None
    return _one_liners(text, rewrite)


def call_spacing(text: str, rng: random.Random) -> Optional[str]:
    """Calls and attribute accesses spaced as Python allows: spaces around the dot and before the
    bracket (``pool . apply (f)``), a line end (after a comment, or a blank line) before a dot
    inside brackets (``(requests`` + ``.get(url))``), a backslash continuation before a dot or bracket."""
    def rewrite(node: ast.stmt, line: str) -> Optional[str]:
        if not isinstance(node, (ast.Expr, ast.Assign, ast.Return)) or "(" not in line or '"' in line \
                or "'" in line or "#" in line:
            return None
        indent = line[:node.col_offset]
        form = rng.randrange(3)
        if form == 0:
            new = re.sub(r"(\w)\(", r"\1 (", line, count=1)
            return re.sub(r"(\w)\.(\w)", r"\1 . \2", new, count=1)
        if form == 1:
            depth = 0
            for at, character in enumerate(line):
                depth += (character in "([{") - (character in ")]}")
                if character == "." and depth > 0 and re.match(r"[\w)\]]\.[A-Za-z_]", line[at - 1:at + 2]):
                    gap = rng.choice(["\n", "  # why\n", "\n\n"])
                    return line[:at] + gap + indent + "        " + line[at:]
            return None
        found = re.compile(r"\w[.(]").search(line, node.col_offset)
        if found is None:
            return None
        return line[:found.start() + 1] + " \\\n" + indent + "        " + line[found.start() + 1:]
    return _one_liners(text, rewrite)


def continuations(text: str, rng: random.Random) -> Optional[str]:
    """``\\`` line continuations in imports (``import os, \\`` + ``requests``) and in simple statements."""
    tree = _tree(text)
    if tree is None:
        return None
    lines = _lines(text)
    changed = False
    for node in _statements(tree):
        if not _one_line(node, lines) or not _ascii_columns(lines, node):
            continue
        line = lines[node.lineno - 1]
        indent = line[:node.col_offset]
        if isinstance(node, ast.Import):
            new = line.replace("import ", "import \\\n" + indent + "    ", 1) if len(node.names) == 1 or rng.random() < .3 \
                else line.replace(", ", ", \\\n" + indent + "    ", 1)
        elif isinstance(node, ast.ImportFrom):
            new = line.replace(" import ", " \\\n" + indent + "    import ", 1)
        elif isinstance(node, (ast.Assign, ast.Return)) and "#" not in line and '"' not in line \
                and "'" not in line and "(" in line:
            # after the first word (``return \`` + ``f(x)``, ``x = \`` + ``f(x)``), not before a
            # bracket (``f \`` + ``(x)`` is ``call_spacing``'s)
            cut = line.find("=") + 1 if isinstance(node, ast.Assign) else node.col_offset + len("return")
            if cut <= node.col_offset or "(" in line[:cut]:
                continue
            new = line[:cut] + " \\\n" + indent + "        " + line[cut:].lstrip()
        else:
            continue
        if rng.random() < .7:
            lines[node.lineno - 1] = new
            changed = True
    return "\n".join(lines) if changed else None


def semicolons(text: str, rng: random.Random) -> Optional[str]:
    """Consecutive simple statements joined with ``;`` on one line."""
    tree = _tree(text)
    if tree is None:
        return None
    lines = _lines(text)
    joins = []
    for body in _bodies(tree):
        for first, second in zip(body, body[1:]):
            if isinstance(first, _SIMPLE) and isinstance(second, _SIMPLE) and _one_line(first, lines) \
                    and _one_line(second, lines) and second.lineno == first.lineno + 1:
                joins.append((first.lineno, second.lineno))
    if not joins:
        return None
    taken = set()
    for first, second in sorted(_pick(rng, joins, 4), reverse=True):
        if first in taken or second in taken:
            continue
        taken.update((first, second))
        lines[first - 1] = lines[first - 1].rstrip() + rng.choice(["; ", ";", " ; "]) + lines[second - 1].strip()
        lines[second - 1] = None  # type: ignore[call-overload]
    return "\n".join(line for line in lines if line is not None)


def one_line_compounds(text: str, rng: random.Random) -> Optional[str]:
    """A block of one simple statement moved onto its header's line (``try: import x``, ``except E: pass``,
    ``if x: return y``, ``with s: s.get(u)``, ``while True: f()``)."""
    tree = _tree(text)
    if tree is None:
        return None
    lines = _lines(text)
    moves = []  # (header line, body line)
    for node in ast.walk(tree):
        blocks = []
        if isinstance(node, (ast.If, ast.While, ast.For, ast.AsyncFor, ast.With, ast.AsyncWith, ast.Try,
                             ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            blocks.append(node.body)
        if isinstance(node, ast.Try):
            blocks.extend(handler.body for handler in node.handlers)
        for body in blocks:
            if len(body) == 1 and isinstance(body[0], _SIMPLE) and _one_line(body[0], lines) \
                    and not isinstance(body[0], ast.Expr) or (len(body) == 1 and isinstance(body[0], ast.Expr)
                                                            and _one_line(body[0], lines)
                                                            and not isinstance(body[0].value, ast.Constant)):
                header = body[0].lineno - 1
                if header >= 1 and lines[header - 1].rstrip().endswith(":") and "#" not in lines[header - 1]:
                    moves.append((header, body[0].lineno))
    if not moves:
        return None
    for header, inner in sorted(_pick(rng, moves, 6), reverse=True):
        if lines[inner - 1] is None or lines[header - 1] is None:
            continue
        lines[header - 1] = lines[header - 1].rstrip() + " " + lines[inner - 1].strip()
        lines[inner - 1] = None  # type: ignore[call-overload]
    return "\n".join(line for line in lines if line is not None)


def guarded_imports(text: str, rng: random.Random) -> Optional[str]:
    """A module-level import put under a guard: ``try: import x`` / ``except ImportError: pass`` on
    one line each, or ``if True: import x``."""
    tree = _tree(text)
    if tree is None:
        return None
    lines = _lines(text)
    chosen = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)) and _one_line(n, lines)
              and not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
    if not chosen:
        return None
    for node in _pick(rng, chosen, 2):
        line = lines[node.lineno - 1].strip()
        form = rng.randrange(4)
        if form == 0:
            lines[node.lineno - 1] = f"try: {line}\nexcept ImportError: pass"
        elif form == 1:
            lines[node.lineno - 1] = f"try:\n    {line}\nexcept ImportError:\n    pass"
        elif form == 2:
            lines[node.lineno - 1] = f"if True: {line}"
        else:
            lines[node.lineno - 1] = f"try: {line}\nexcept (ImportError, AttributeError):\n    raise"
    return "\n".join(lines)


def parenthesised_imports(text: str, rng: random.Random) -> Optional[str]:
    """``from a import (b, c)`` over several lines, with a trailing comma and comments."""
    tree = _tree(text)
    if tree is None:
        return None
    lines = _lines(text)
    changed = False
    for node in _statements(tree):
        if isinstance(node, ast.ImportFrom) and _one_line(node, lines) and "(" not in lines[node.lineno - 1] \
                and not any(a.name == "*" for a in node.names) and _ascii_columns(lines, node):
            line = lines[node.lineno - 1]
            indent = line[:node.col_offset]
            head, _, names = line.partition(" import ")
            items = [n.strip() for n in names.split(",")]
            inner = "".join(f"{indent}    {item},  # {rng.choice(RULE_WORDS)}\n" for item in items)
            lines[node.lineno - 1] = f"{head} import (\n{inner}{indent})"
            changed = True
    return "\n".join(lines) if changed else None


def aliased_imports(text: str, rng: random.Random) -> Optional[str]:
    """``import a.b`` as ``import a.b as c`` (+ ``import a``), the uses of ``a.b.`` written ``c.``;
    ``import a`` as ``import a as a``."""
    tree = _tree(text)
    if tree is None:
        return None
    lines = _lines(text)
    changed = False
    renames = []
    for node in tree.body:
        if isinstance(node, ast.Import) and len(node.names) == 1 and node.names[0].asname is None \
                and _one_line(node, lines):
            name = node.names[0].name
            indent = lines[node.lineno - 1][:node.col_offset]
            if "." in name:
                alias = "_" + name.replace(".", "_")
                lines[node.lineno - 1] = f"{indent}import {name} as {alias}\n{indent}import {name.split('.')[0]}"
                renames.append((name, alias))
            else:
                lines[node.lineno - 1] = f"{indent}import {name} as {name}"
            changed = True
    if not changed:
        return None
    out = "\n".join(lines)
    for name, alias in renames:
        out = re.sub(r"(?<![\w.])" + re.escape(name) + r"\.(?=\w)", alias + ".", out)
        out = out.replace(f"import {alias}.", f"import {name}.")  # the import itself is left as it was
    return out


def imports_in_functions(text: str, rng: random.Random) -> Optional[str]:
    """Module-level imports copied into every top-level function (and put under ``if TYPE_CHECKING``
    at the top, or kept)."""
    tree = _tree(text)
    if tree is None:
        return None
    lines = _lines(text)
    imports = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom)) and _one_line(n, lines)
               and not (isinstance(n, ast.ImportFrom) and n.module == "__future__")]
    functions = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.body]
    if not imports or not functions:
        return None
    texts = [lines[n.lineno - 1].strip() for n in imports]
    for fn in sorted(functions, key=lambda f: -f.body[0].lineno):
        first = fn.body[0]
        if first.lineno == fn.lineno:
            continue  # def f(): return 1
        indent = lines[first.lineno - 1][:first.col_offset]
        if not lines[first.lineno - 1][:first.col_offset].isspace():
            continue
        lines[first.lineno - 1] = "".join(f"{indent}{t}\n" for t in texts) + lines[first.lineno - 1]
    if rng.random() < .5:
        for node in imports:
            lines[node.lineno - 1] = "if TYPE_CHECKING:\n    " + lines[node.lineno - 1].strip()
        lines.insert(_after_future(tree), "from typing import TYPE_CHECKING")
    return "\n".join(lines)


def _after_future(tree: ast.Module) -> int:
    """The line index after the docstring and ``from __future__`` imports."""
    at = 0
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module == "__future__" or \
                (isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and node is tree.body[0]):
            at = node.end_lineno or node.lineno
        else:
            break
    return at


def rule_words(text: str, rng: random.Random) -> Optional[str]:
    """Comments and strings holding what the rules look for, between statements."""
    tree = _tree(text)
    if tree is None:
        return None
    lines = _lines(text)
    places = [node for body in _bodies(tree) for node in body if _one_line(node, lines) or
              isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.If, ast.For, ast.While,
                                ast.Try, ast.With))]
    places = [n for n in places if not getattr(n, "decorator_list", None) and lines[n.lineno - 1][:n.col_offset].isspace()
              or (n.col_offset == 0 and not getattr(n, "decorator_list", None))]
    if not places:
        return None
    for node in sorted(_pick(rng, places, 4), key=lambda n: -n.lineno):
        indent = lines[node.lineno - 1][:node.col_offset]
        words = rng.choice(RULE_WORDS)
        extra = rng.choice([f"{indent}# {words}", f"{indent}_unused = {words!r}",
                            f"{indent}_unused = '''{words}\n{words}'''", f"{indent}{words!r}"])
        lines[node.lineno - 1] = extra + "\n" + lines[node.lineno - 1]
    return "\n".join(lines)


def column_zero_strings(text: str, rng: random.Random) -> Optional[str]:
    """A triple-quoted string whose lines start at column 0, as a statement inside a function or loop."""
    tree = _tree(text)
    if tree is None:
        return None
    lines = _lines(text)
    places = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.While, ast.For, ast.AsyncFor, ast.Try,
                             ast.With, ast.If)):
            for inner in [*node.body, *[s for h in getattr(node, "handlers", ()) for s in h.body]]:
                if inner.lineno != node.lineno and lines[inner.lineno - 1][:inner.col_offset].isspace():
                    places.append(inner)
    if not places:
        return None
    for node in sorted(_pick(rng, places, 3), key=lambda n: -n.lineno):
        indent = lines[node.lineno - 1][:node.col_offset]
        body = rng.choice(COLUMN_ZERO_TEXTS)
        quote = rng.choice(['"""', "'''"])
        statement = rng.choice([f'{indent}query = {quote}{body}{quote}', f'{indent}{quote}{body}{quote}',
                                f'{indent}log(f{quote}{body}{quote}, {quote}\n{body}{quote})'])
        lines[node.lineno - 1] = statement + "\n" + lines[node.lineno - 1]
    return "\n".join(lines)


def form_feeds(text: str, rng: random.Random) -> Optional[str]:
    """Form feeds (page breaks) on lines of their own and at the start of indented lines."""
    tree = _tree(text)
    if tree is None:
        return None
    lines = _lines(text)
    starts = sorted({n.lineno for n in _statements(tree) if lines[n.lineno - 1][:n.col_offset].isspace()
                     or n.col_offset == 0})
    if not starts:
        return None
    for number in sorted(_pick(rng, starts, 4), reverse=True):
        if rng.random() < .5:
            lines[number - 1] = "\f" + lines[number - 1]
        else:
            lines.insert(number - 1, "\f")
    return "\n".join(lines)


def crlf(text: str, rng: random.Random) -> Optional[str]:
    return text.replace("\r\n", "\n").replace("\n", "\r\n") if "\n" in text else None


def bom(text: str, rng: random.Random) -> Optional[str]:
    return None if text.startswith("\ufeff") else "\ufeff" + text


def decorators(text: str, rng: random.Random) -> Optional[str]:
    """Decorators (one-line and over several lines) on functions and classes."""
    tree = _tree(text)
    if tree is None:
        return None
    lines = _lines(text)
    defs = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    if not defs:
        return None
    for node in sorted(_pick(rng, defs, 4), key=lambda n: -n.lineno):
        first = min([node.lineno, *[d.lineno - 1 for d in node.decorator_list]])  # '@' is one before
        line = lines[first - 1]
        indent = line[:len(line) - len(line.lstrip())]
        decorator = rng.choice([f"{indent}@(lambda f: f)", f"{indent}@(\n{indent}    lambda f:\n{indent}    f\n{indent})",
                                f"{indent}@[lambda f: f][0]  # while True:"])
        lines[first - 1] = decorator + "\n" + line
    return "\n".join(lines)


def nested(text: str, rng: random.Random) -> Optional[str]:
    """A top-level function moved into another function (returned from it), or into a class."""
    tree = _tree(text)
    if tree is None:
        return None
    lines = _lines(text)
    functions = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    if not functions:
        return None
    for fn in sorted(_pick(rng, functions, 2), key=lambda n: -n.lineno):
        start = min([fn.lineno, *[d.lineno for d in fn.decorator_list]])
        end = fn.end_lineno or fn.lineno
        block = ["    " + line if line.strip() else line for line in lines[start - 1:end]]
        if rng.random() < .5:
            wrapped = [f"def _outer_{fn.name}():", *block, f"    return {fn.name}", f"{fn.name} = _outer_{fn.name}()"]
        else:
            wrapped = [f"class _Box_{fn.name}:", *block, f"{fn.name} = _Box_{fn.name}.{fn.name}"]
        lines[start - 1:end] = wrapped
    return "\n".join(lines)


def async_variants(text: str, rng: random.Random) -> Optional[str]:
    """``def`` as ``async def``, and in it ``with``/``for`` as ``async with``/``async for``."""
    tree = _tree(text)
    if tree is None:
        return None
    lines = _lines(text)
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)]
    if not functions:
        return None
    for fn in _pick(rng, functions, 3):
        line = lines[fn.lineno - 1]
        lines[fn.lineno - 1] = line[:fn.col_offset] + "async " + line[fn.col_offset:] if line[fn.col_offset:].startswith("def") else line
        for inner in ast.walk(fn):
            if isinstance(inner, (ast.With, ast.For)) and rng.random() < .5:
                inner_line = lines[inner.lineno - 1]
                if inner_line[inner.col_offset:].startswith(("with", "for")):
                    lines[inner.lineno - 1] = inner_line[:inner.col_offset] + "async " + inner_line[inner.col_offset:]
    return "\n".join(lines)


REWRITES: Sequence[Rewrite] = (
    tabs, odd_spacing, call_spacing, continuations, semicolons, one_line_compounds, guarded_imports, parenthesised_imports,
    aliased_imports, imports_in_functions, rule_words, column_zero_strings, form_feeds, crlf, bom, decorators,
    nested, async_variants,
)
#: Rewrites after which the text is no longer what ``ast`` columns index (they go last, if at all).
_LAST = (crlf, bom)


def mutant(text: str, rng: random.Random, most: int = 3,
           rewrites: Sequence[Rewrite] = REWRITES) -> Tuple[Optional[str], List[str]]:
    """``text`` rewritten by 1 to ``most`` of ``rewrites`` chosen by ``rng`` (None if none
    applies), and the names of those applied."""
    chosen = rng.sample([r for r in rewrites if r not in _LAST], rng.randint(1, most))
    done, applied = text, []
    for rewrite in chosen:
        new = rewrite(done, rng)
        if new is not None and compiles(new):
            done = new
            applied.append(rewrite.__name__)
    for rewrite in _LAST:
        if rng.random() < .15:
            new = rewrite(done, rng)
            if new is not None:
                done = new
                applied.append(rewrite.__name__)
    return (done if done != text else None), applied


def mutants(texts: Sequence[str], count: int, seed: int,
            rewrites: Sequence[Rewrite] = REWRITES) -> Iterator[Tuple[str, List[str]]]:
    """``count`` mutants of ``texts`` (taken in turn) with the rewrites applied to each: the same
    ones for the same seed."""
    rng = random.Random(seed)
    made = attempts = 0
    while made < count and attempts < count * 4:
        attempts += 1
        made_one, applied = mutant(texts[attempts % len(texts)], rng, rewrites=rewrites)
        if made_one is not None:
            made += 1
            yield made_one, applied
