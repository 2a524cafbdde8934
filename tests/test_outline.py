"""Functions hidden from Python's parse by their text (svcmod/fastpath/outline.py): a hidden file parses to
stubs where the functions were, and revealing them gives exactly Python's own tree of the file."""
from __future__ import annotations

import ast
import sysconfig
import textwrap
from pathlib import Path

import pytest

from svcmod.fastpath.excerpt import _parse
from svcmod.fastpath.outline import Outline, hidden_text


def outline_of(source: str) -> Outline:
    data = textwrap.dedent(source).encode()
    return Outline(data, data.split(b"\n"), _parse)


def same_as_python(outline: Outline) -> bool:
    """Revealing every hidden function gives Python's tree of the file, positions included."""
    outline.reveal(list(outline.hidden))
    expected = ast.parse(outline.source)
    return ast.dump(outline.tree, include_attributes=True) == ast.dump(expected, include_attributes=True)


def stubs(outline: Outline):
    return [region.stub.decode() for region in outline.hidden]


def test_top_level_functions_and_methods_are_hidden_where_they_were():
    outline = outline_of('''
        import os

        @decorated(
            with_arguments=True,
        )
        def top(a,
                b):
            return a + b

        class Client(Base):
            """Doc."""

            retries = 3

            def __init__(self):
                self.session = None

            @property
            async def fetch(
                self, url
            ) -> bytes:
                return await self.session.get(url)
    ''')
    assert stubs(outline) == ["def top(): pass", "    def __init__(): pass", "    async def fetch(): pass"]
    lines = outline.source.split(b"\n")
    for region in outline.hidden:  # each stub is on its def line, and nothing else of it is parsed
        assert lines[region.header - 1].lstrip().startswith((b"def", b"async def"))
    hidden = hidden_text(lines, outline.hidden).split(b"\n")
    assert len(hidden) == len(lines)
    assert hidden[lines.index(b"    retries = 3")] == b"    retries = 3"
    assert b"return a + b" not in b"\n".join(hidden)
    klass = outline.tree.body[2]
    assert [type(s).__name__ for s in klass.body] == ["Expr", "Assign", "FunctionDef", "AsyncFunctionDef"]
    assert klass.body[2].lineno == lines.index(b"    def __init__(self):") + 1
    assert same_as_python(outline)


def test_a_signature_closed_in_the_first_column_stays_with_its_function():
    outline = outline_of('''
        def long_signature(
            first,
            second,
        ) -> int:
            return first

        x = 1
    ''')
    assert stubs(outline) == ["def long_signature(): pass"]
    assert same_as_python(outline)


TRICKY = {
    "a def in a docstring, in the first column": '''
        def documented():
            """Use it like this:

        def example():
            return 1
        """
            return 2

        def after():
            return 3
    ''',
    "a class in a string": '''
        TEMPLATE = """
        class Generated:
            def method(self):
                pass
        """

        def real():
            return TEMPLATE
    ''',
    "lines of a list in the first column": '''
        def table():
            rows = [
        1,
        2,
            ]
            return rows

        def other():
            return 0
    ''',
    "a continued line before a first-column line": '''
        def continued():
            total = 1 + \\
        2
            return total
    ''',
    "a triple quote in a comment": '''
        def commented():
            # the docstring below ends with \'\'\'
            text = \'\'\'
        first column
        \'\'\'
            return text
    ''',
    "methods under an if in the class": '''
        class Typed:
            if TYPE_CHECKING:
                def __init__(self, value): ...

            def method(self):
                return 1
    ''',
    "a nested class first": '''
        class Outer:
            class Meta:
                def inner(self):
                    return 1

            def outer(self):
                return 2
    ''',
    "a docstring example at the method indent": '''
        class Events:
            """Listen like this::

            def my_listener(target, context):
                pass

            """

            def listen(self, fn):
                return fn
    ''',
    "one-line functions and a lambda at the top level": '''
        def one(): return 1
        async def two(): return 2
        three = lambda: 3
        class Four: pass
    ''',
    "a first parameter on its own line": '''
        class Wide:
            def method(
                self,
                value,
            ):
                self.value = value
    ''',
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_text_that_misleads_is_caught_and_the_tree_is_python_s(name):
    outline = outline_of(TRICKY[name])
    assert outline.tree is not None
    assert same_as_python(outline)


def test_a_def_in_a_docstring_is_not_hidden_but_the_real_functions_are():
    outline = outline_of(TRICKY["a def in a docstring, in the first column"])
    assert stubs(outline) == ["def after(): pass"]  # `documented` ends inside its docstring, by its text


def test_a_function_after_a_form_feed_is_not_swallowed_by_the_one_before():
    source = b"def a():\n    return 1\n\x0cdef b():\n    return 2\n\x0c\ndef c():\n    return 3\n"
    outline = Outline(source, source.split(b"\n"), _parse)
    assert [type(s).__name__ + " " + s.name for s in outline.tree.body] == [
        "FunctionDef a", "FunctionDef b", "FunctionDef c"]  # b is parsed, not blanked with a
    assert same_as_python(outline)


def test_crlf_line_ends():
    source = "def f():\r\n    return 1\r\n\r\nclass C:\r\n    def m(self):\r\n        return 2\r\n"
    outline = Outline(source.encode(), source.encode().split(b"\n"), _parse)
    assert stubs(outline) == ["def f(): pass", "    def m(): pass"]
    assert same_as_python(outline)


def test_a_file_python_refuses_has_no_tree():
    outline = outline_of('''
        def fine():
            return 1

        def broken(:
            return 2
    ''')
    outline.reveal(list(outline.hidden))
    assert outline.tree is None


def test_revealing_some_functions_leaves_the_others_hidden():
    outline = outline_of('''
        class Client:
            def a(self):
                return 1

            def b(self):
                return 2

            def c(self):
                return 3
    ''')
    middle = [region for region in outline.hidden if b"def b" in region.stub]
    outline.reveal(middle)
    assert stubs(outline) == ["    def a(): pass", "    def c(): pass"]
    klass = outline.tree.body[0]
    assert [len(method.body) for method in klass.body] == [1, 1, 1]
    assert isinstance(klass.body[1].body[0], ast.Return) and klass.body[1].body[0].value.value == 2
    assert klass.end_lineno == klass.body[-1].end_lineno


STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.mark.parametrize("name", ["argparse.py", "subprocess.py", "asyncio/base_events.py", "email/message.py",
                                  "http/client.py", "typing.py", "doctest.py", "inspect.py"])
def test_real_modules_revealed_are_python_s_tree(name):
    path = STDLIB / name
    source = path.read_bytes()
    outline = Outline(source, source.split(b"\n"), _parse)
    assert outline.hidden, "nothing hidden: the test would prove nothing"
    assert same_as_python(outline)
