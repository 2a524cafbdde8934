"""SVC308: ``TestCase`` method aliases that Python 3.12 removed (``assertEquals``, ``failUnless``, …)."""
from __future__ import annotations

from typing import Dict, Optional, Set

import libcst as cst

from svcmod.rule import SAFE, FastPath, Fix, FixStep, Invalid, Parts, Rule, Valid, descendants

ALIASES = {
    "failUnlessEqual": "assertEqual", "assertEquals": "assertEqual",
    "failIfEqual": "assertNotEqual", "assertNotEquals": "assertNotEqual",
    "failUnless": "assertTrue", "assert_": "assertTrue",
    "failIf": "assertFalse",
    "failUnlessRaises": "assertRaises",
    "failUnlessAlmostEqual": "assertAlmostEqual", "assertAlmostEquals": "assertAlmostEqual",
    "failIfAlmostEqual": "assertNotAlmostEqual", "assertNotAlmostEquals": "assertNotAlmostEqual",
    "assertRegexpMatches": "assertRegex", "assertNotRegexpMatches": "assertNotRegex",
    "assertRaisesRegexp": "assertRaisesRegex",
}
#: Removed with no drop-in replacement: reported only.
REMOVED = {"assertDictContainsSubset": "compare `{**actual, **expected} == actual` or the items"}

TEST_CASES = frozenset({
    "unittest.TestCase", "unittest.case.TestCase", "unittest.IsolatedAsyncioTestCase",
    "unittest.async_case.IsolatedAsyncioTestCase", "unittest.FunctionTestCase",
    "django.test.TestCase", "django.test.SimpleTestCase", "django.test.TransactionTestCase",
    "django.test.LiveServerTestCase", "django.test.testcases.TestCase",
    "django.test.testcases.SimpleTestCase", "django.test.testcases.TransactionTestCase",
    "rest_framework.test.APITestCase", "rest_framework.test.APISimpleTestCase",
    "asynctest.TestCase",
    "tornado.testing.AsyncTestCase", "tornado.testing.AsyncHTTPTestCase",
    "aiohttp.test_utils.AioHTTPTestCase", "absl.testing.absltest.TestCase",
    "absl.testing.parameterized.TestCase",
})

#: Test frameworks whose TestCase defines these aliases itself (twisted.trial keeps them all).
OWN_ALIASES = ("twisted.",)


class UnittestDeprecatedAlias(Rule):
    """Checks for deprecated `TestCase` aliases such as `self.assertEquals(...)`.

    ## Why is this bad?
    `assertEquals`, `assertNotEquals`, `assert_`, `failUnless`, `failIf`, `failUnlessEqual`,
    `failIfEqual`, `failUnlessRaises`, `failUnlessAlmostEqual`, `failIfAlmostEqual`,
    `assertAlmostEquals`, `assertNotAlmostEquals`, `assertRegexpMatches`,
    `assertNotRegexpMatches`, `assertRaisesRegexp` and `assertDictContainsSubset` were deprecated
    for years and removed in Python 3.12: the test fails with `AttributeError` instead of testing.

    Only `self.<alias>` inside a class that subclasses a `TestCase` is reported: `unittest`'s,
    Django's, DRF's, tornado's, twisted's, aiohttp's or absl's, a class of the same module that
    does, or an imported class whose name ends in `TestCase` (a project's own base class). A class
    that defines the alias (a method or `assertEquals = assertEqual`), or inherits it from a class of
    the same module that does, keeps it, and so do subclasses of `twisted.trial.unittest` test
    cases, which define all these aliases themselves.

    Tests whose subject is the alias itself are left alone too: a use inside a test method or class
    whose name names the alias (`test_assertEquals_warns`), in a class that names it in a string
    (`getattr(self, "assertEquals")`), or inside `with self.assertWarns(...)`,
    `pytest.warns(...)`, `pytest.deprecated_call()` or `warnings.catch_warnings()`.

    ## Fix safety
    The fix uses the canonical name (`assertEquals` → `assertEqual`, …). It is safe: the aliases
    were plain references to the same methods. `assertDictContainsSubset` has no drop-in
    replacement and is only reported.

    ## References
    - https://docs.python.org/3/whatsnew/3.12.html#id3 (unittest)
    - https://docs.python.org/3.11/library/unittest.html#deprecated-aliases
    """

    code = "SVC308"
    name = "unittest-deprecated-alias"
    message = "deprecated unittest alias, removed in Python 3.12"
    fix_safety = SAFE
    fast_path = FastPath(
        tokens=(b"assertEquals", b"assertNotEquals", b"assert_(", b"failUnless", b"failIf", b"Regexp",
                b"AlmostEquals", b"assertDictContainsSubset"),
        # a finding is in a class whose base resolves to a name ending in "TestCase", and every
        # name the resolver gives is spelled out in the file (an import, a base, an assignment)
        test=lambda source, imported: b"TestCase" in source,
        parts=Parts(),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deprecations"),)
    examples = (
        Invalid("import unittest\n\nclass T(unittest.TestCase):\n    def test_sum(self):\n"
                "        self.assertEquals(sum([1, 2]), 3)\n",
                fixed="import unittest\n\nclass T(unittest.TestCase):\n    def test_sum(self):\n"
                "        self.assertEqual(sum([1, 2]), 3)\n"),
        Invalid("from unittest import TestCase as Base\n\nclass T(Base):\n    def test_x(self):\n"
                "        self.assert_(ok)\n        self.failIf(bad)\n"
                "        with self.assertRaisesRegexp(ValueError, 'bad'):\n            parse('')\n",
                fixed="from unittest import TestCase as Base\n\nclass T(Base):\n    def test_x(self):\n"
                "        self.assertTrue(ok)\n        self.assertFalse(bad)\n"
                "        with self.assertRaisesRegex(ValueError, 'bad'):\n            parse('')\n", count=3),
        Invalid("import unittest\n\nclass Base(unittest.TestCase):\n    pass\n\nclass T(Base):\n"
                "    def test_x(self):\n        check = self.assertRegexpMatches\n        check(text, 'a+')\n",
                fixed="import unittest\n\nclass Base(unittest.TestCase):\n    pass\n\nclass T(Base):\n"
                "    def test_x(self):\n        check = self.assertRegex\n        check(text, 'a+')\n"),
        Invalid("from tests.base import ApiTestCase\n\nclass T(ApiTestCase):\n    def test_x(this):\n"
                "        this.failUnlessEqual(a, b)\n",
                fixed="from tests.base import ApiTestCase\n\nclass T(ApiTestCase):\n    def test_x(this):\n"
                "        this.assertEqual(a, b)\n"),
        Invalid("import unittest\n\nclass T(unittest.TestCase):\n    def test_x(self):\n"
                "        self.assertDictContainsSubset({'a': 1}, d)\n"),
        Valid("import unittest\n\nclass T(unittest.TestCase):\n    def test_x(self):\n        self.assertEqual(a, b)\n"),
        Valid("class Matcher:\n    def check(self):\n        self.assertEquals(a, b)\n"),
        Valid("import unittest\n\nclass T(unittest.TestCase):\n    def test_x(self):\n        other.assertEquals(a, b)\n"),
        Valid("import unittest\n\nclass T(unittest.TestCase):\n    def assertEquals(self, a, b):\n        pass\n\n"
              "    def test_x(self):\n        self.assertEquals(a, b)\n"),
        Valid("import numpy.testing as npt\nnpt.assert_(x)\n"),
        Valid("import unittest\n\nclass Compat(unittest.TestCase):\n    assertEquals = unittest.TestCase.assertEqual\n\n"
              "class T(Compat):\n    def test_x(self):\n        self.assertEquals(a, b)\n"),
        Valid("import unittest\n\nclass T(unittest.TestCase):\n    def test_assert_equals_alias_warns(self):\n"
              "        with self.assertWarns(DeprecationWarning):\n            self.assertEquals(1, 1)\n"),
        Valid("import unittest\n\nclass AliasTest(unittest.TestCase):\n    def test_alias(self):\n"
              "        self.assertTrue(hasattr(self, 'failUnless'))\n        self.failUnless(True)\n"),
        Valid("import unittest\n\nclass T(unittest.TestCase):\n    def test_assertEquals(self):\n"
              "        self.assertEquals(1, 1)\n"),
        Valid("from twisted.trial import unittest\n\nclass T(unittest.TestCase):\n    def test_x(self):\n"
              "        self.failUnlessEqual(a, b)\n"),
    )

    def reset(self) -> None:
        self.test_classes: Set[str] = set()  # classes of this module that are TestCases
        self.own_methods: Dict[cst.ClassDef, Set[str]] = {}
        self.defined_by: Dict[str, Set[str]] = {}  # class of this module -> aliases it defines
        self.warned = 0  # depth of `with` blocks that expect a warning

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        defined: Set[str] = set()
        for item in getattr(node.body, "body", ()):
            if isinstance(item, cst.FunctionDef):
                defined.add(item.name.value)
            elif isinstance(item, cst.SimpleStatementLine):
                for small in item.body:
                    if isinstance(small, cst.Assign):
                        defined.update(t.target.value for t in small.targets if isinstance(t.target, cst.Name))
        for base in node.bases:  # inherited from a class of this module
            if isinstance(base.value, cst.Name):
                defined |= self.defined_by.get(base.value.value, set())
        self.defined_by[node.name.value] = defined
        if any(self._is_test_case(base.value) for base in node.bases):
            self.test_classes.add(node.name.value)
            # the aliases a class names in a string are what it tests (`getattr(self, "assertEquals")`)
            named = {n.evaluated_value for n in descendants(node) if isinstance(n, cst.SimpleString)
                     and n.evaluated_value in ALIASES}
            self.own_methods[node] = defined | named | _named_in(node.name.value)

    def visit_With(self, node: cst.With) -> None:
        if any(isinstance(item.item, cst.Call) and _expects_warning(item.item) for item in node.items):
            self.warned += 1

    def leave_With(self, node: cst.With) -> None:
        if any(isinstance(item.item, cst.Call) and _expects_warning(item.item) for item in node.items):
            self.warned -= 1

    def _is_test_case(self, base: cst.BaseExpression) -> bool:
        name = self.qualified_name(base)
        if name is not None:
            if name.startswith(OWN_ALIASES):
                return False
            return name in TEST_CASES or name.endswith("TestCase")
        return isinstance(base, cst.Name) and base.value in self.test_classes

    def visit_Attribute(self, node: cst.Attribute) -> None:
        attr = node.attr.value
        canonical = ALIASES.get(attr)
        if canonical is None and attr not in REMOVED:
            return
        klass = self._test_class_of(node.value)
        if klass is None or attr in self.own_methods[klass] or self.warned:
            return
        method = self.enclosing_function
        if method is not None and attr in _named_in(method.name.value):
            return  # a test of the alias itself
        if canonical is None:
            self.report(node, message=f"`{attr}` was removed in Python 3.12 ({REMOVED[attr]})")
            return
        self.report(node, message=f"`{attr}` was removed in Python 3.12; use `{canonical}`",
                    fix=Fix.replace(node.attr, cst.Name(canonical), safety=SAFE,
                                    description=f"rename `{attr}` to `{canonical}`"))

    def _test_class_of(self, receiver: cst.BaseExpression) -> Optional[cst.ClassDef]:
        """The TestCase class whose method's first parameter ``receiver`` is, if it is one."""
        if not isinstance(receiver, cst.Name):
            return None
        stack = self.file.scope_stack
        for index in range(len(stack) - 1, 0, -1):
            klass, method = stack[index - 1], stack[index]
            if isinstance(klass, cst.ClassDef) and isinstance(method, cst.FunctionDef):
                if klass not in self.own_methods:
                    return None
                params = method.params.params or method.params.posonly_params
                if params and params[0].name.value == receiver.value:
                    return klass
                return None
        return None


def _named_in(name: str) -> Set[str]:
    """The aliases a test's or class's name names: ``test_assert_equals_warns`` names ``assertEquals``."""
    words = name.lower().replace("_", "")
    # `assert_` is left out: "assert" is in the name of half of all tests
    return {alias for alias in ALIASES if alias != "assert_" and alias.lower().replace("_", "") in words}


#: ``with`` calls that expect a warning: what is inside tests the deprecation itself.
_WARNING_CONTEXTS = frozenset({"assertWarns", "assertWarnsRegex", "warns", "deprecated_call", "catch_warnings"})


def _expects_warning(call: cst.Call) -> bool:
    func = call.func
    name = func.attr.value if isinstance(func, cst.Attribute) else func.value if isinstance(func, cst.Name) else ""
    return name in _WARNING_CONTEXTS
