"""A sketch of a file: LibCST's own node classes, built from Python's ``ast`` instead of parsed.

LibCST's parser records every space, comma and bracket, and costs four times Python's own parse
and a sketch together (on the bench corpus, 48 µs a line against 5 and 6). Rules read names,
calls, arguments, literals and statements, not the whitespace between them (``FastPath.sketch``
says so), so a tree of the same node classes with default whitespace is enough to find what they
find. The checker runs the rules on the sketch of
a file (of a long file's candidate functions, see ``svcmod/fastpath/excerpt.py``); each node records the
``ast`` node it was built from when that spans exactly what LibCST gives as the node's range, so a
finding is placed without LibCST. LibCST still parses what is to be fixed, and a file where a
reported node has no such place (a decorator, a definition's name). ``bench/excerpt_check.py``
checks on every file of the bench corpus that the findings are those of LibCST parsing it whole.

What a sketch does not reproduce: whitespace, comments and parentheses; which of ``elif`` and
``else: if`` was written is kept, and so are the literal texts (``SimpleString.value``,
``Integer.value``, the text of an f-string), implicit concatenation (``"a" "b"``) and names as
written where Python normalises them. Syntax it does not know (``match``, ``except*``, type
parameters, a normalised name it cannot find as written) raises ``Unsketchable``: the file then
goes the way of a rule whose fast path has no ``sketch`` (parts chosen by their text, LibCST for the rest).
"""
from __future__ import annotations

import ast
import dataclasses
import io
import re
import tokenize
import unicodedata
from typing import AbstractSet, Any, Callable, Dict, List, Optional, Sequence

import libcst as cst

from svcmod.fastpath.outline import NAME


def _builder(node_class: type) -> Callable[..., Any]:
    """A constructor of ``node_class`` that sets its fields and nothing else.

    LibCST's own constructors validate every node (about 2.5 µs for a ``Call``), which a tree built
    from a parse Python accepted needs not; this one, generated as dataclasses generate
    ``__init__``, takes a fifth of that. Defaults (whitespace, brackets) are made once and shared:
    nodes are immutable.
    """
    required: List[str] = []
    optional: List[str] = []
    namespace: Dict[str, Any] = {"new": object.__new__, "node_class": node_class}
    body = []
    for field in dataclasses.fields(node_class):
        if field.default is not dataclasses.MISSING:
            namespace["default_" + field.name] = field.default
            optional.append(f"{field.name}=default_{field.name}")
        elif field.default_factory is not dataclasses.MISSING:
            namespace["default_" + field.name] = field.default_factory()
            optional.append(f"{field.name}=default_{field.name}")
        else:
            required.append(field.name)
        namespace["set_" + field.name] = getattr(node_class, field.name).__set__
        body.append(f"    set_{field.name}(node, {field.name})")
    signature = ", ".join(required + (["*"] if optional else []) + optional)
    exec(f"def build({signature}):\n    node = new(node_class)\n" + "\n".join(body) + "\n    return node\n",
         namespace)
    return namespace["build"]  # type: ignore[no-any-return]


class _Lazy:
    """A builder made on its first call, which then takes its place (in this module's globals as
    ``name``, or in ``table`` at ``key``): making the builders of every node class when this module
    is imported cost 25 ms of a one-file run, which sketches a few kinds of node."""

    __slots__ = ("node_class", "name", "table", "key", "build")

    def __init__(self, node_class: type, name: str = "", table: Optional[Dict[Any, Any]] = None,
                 key: Any = None) -> None:
        self.node_class, self.name, self.table, self.key = node_class, name, table, key
        self.build: Optional[Callable[..., Any]] = None

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.build is None:  # (a caller holding this object gets the same builder)
            self.build = _builder(self.node_class)
            if self.table is not None:
                self.table[self.key] = self.build
            else:
                globals()[self.name] = self.build
        return self.build(*args, **kwargs)


_AnnAssign = _Lazy(cst.AnnAssign, "_AnnAssign")
_Annotation = _Lazy(cst.Annotation, "_Annotation")
_Arg = _Lazy(cst.Arg, "_Arg")
_AsName = _Lazy(cst.AsName, "_AsName")
_Assert = _Lazy(cst.Assert, "_Assert")
_Assign = _Lazy(cst.Assign, "_Assign")
_AssignTarget = _Lazy(cst.AssignTarget, "_AssignTarget")
_Asynchronous = _Lazy(cst.Asynchronous, "_Asynchronous")
_Attribute = _Lazy(cst.Attribute, "_Attribute")
_AugAssign = _Lazy(cst.AugAssign, "_AugAssign")
_Await = _Lazy(cst.Await, "_Await")
_BinaryOperation = _Lazy(cst.BinaryOperation, "_BinaryOperation")
_BooleanOperation = _Lazy(cst.BooleanOperation, "_BooleanOperation")
_Break = _Lazy(cst.Break, "_Break")
_Call = _Lazy(cst.Call, "_Call")
_ClassDef = _Lazy(cst.ClassDef, "_ClassDef")
_CompFor = _Lazy(cst.CompFor, "_CompFor")
_CompIf = _Lazy(cst.CompIf, "_CompIf")
_Comparison = _Lazy(cst.Comparison, "_Comparison")
_ComparisonTarget = _Lazy(cst.ComparisonTarget, "_ComparisonTarget")
_ConcatenatedString = _Lazy(cst.ConcatenatedString, "_ConcatenatedString")
_Continue = _Lazy(cst.Continue, "_Continue")
_Decorator = _Lazy(cst.Decorator, "_Decorator")
_Del = _Lazy(cst.Del, "_Del")
_Dict = _Lazy(cst.Dict, "_Dict")
_DictComp = _Lazy(cst.DictComp, "_DictComp")
_DictElement = _Lazy(cst.DictElement, "_DictElement")
_Dot = _Lazy(cst.Dot, "_Dot")
_Element = _Lazy(cst.Element, "_Element")
_Ellipsis = _Lazy(cst.Ellipsis, "_Ellipsis")
_Else = _Lazy(cst.Else, "_Else")
_ExceptHandler = _Lazy(cst.ExceptHandler, "_ExceptHandler")
_Expr = _Lazy(cst.Expr, "_Expr")
_Finally = _Lazy(cst.Finally, "_Finally")
_Float = _Lazy(cst.Float, "_Float")
_For = _Lazy(cst.For, "_For")
_FormattedString = _Lazy(cst.FormattedString, "_FormattedString")
_FormattedStringExpression = _Lazy(cst.FormattedStringExpression, "_FormattedStringExpression")
_FormattedStringText = _Lazy(cst.FormattedStringText, "_FormattedStringText")
_From = _Lazy(cst.From, "_From")
_FunctionDef = _Lazy(cst.FunctionDef, "_FunctionDef")
_GeneratorExp = _Lazy(cst.GeneratorExp, "_GeneratorExp")
_Global = _Lazy(cst.Global, "_Global")
_If = _Lazy(cst.If, "_If")
_IfExp = _Lazy(cst.IfExp, "_IfExp")
_Imaginary = _Lazy(cst.Imaginary, "_Imaginary")
_Import = _Lazy(cst.Import, "_Import")
_ImportAlias = _Lazy(cst.ImportAlias, "_ImportAlias")
_ImportFrom = _Lazy(cst.ImportFrom, "_ImportFrom")
_ImportStar = _Lazy(cst.ImportStar, "_ImportStar")
_IndentedBlock = _Lazy(cst.IndentedBlock, "_IndentedBlock")
_Index = _Lazy(cst.Index, "_Index")
_Integer = _Lazy(cst.Integer, "_Integer")
_Lambda = _Lazy(cst.Lambda, "_Lambda")
_List = _Lazy(cst.List, "_List")
_ListComp = _Lazy(cst.ListComp, "_ListComp")
_Name = _Lazy(cst.Name, "_Name")
_NameItem = _Lazy(cst.NameItem, "_NameItem")
_NamedExpr = _Lazy(cst.NamedExpr, "_NamedExpr")
_Nonlocal = _Lazy(cst.Nonlocal, "_Nonlocal")
_Param = _Lazy(cst.Param, "_Param")
_ParamStar = _Lazy(cst.ParamStar, "_ParamStar")
_Parameters = _Lazy(cst.Parameters, "_Parameters")
_Pass = _Lazy(cst.Pass, "_Pass")
_Raise = _Lazy(cst.Raise, "_Raise")
_Return = _Lazy(cst.Return, "_Return")
_Set = _Lazy(cst.Set, "_Set")
_SetComp = _Lazy(cst.SetComp, "_SetComp")
_SimpleStatementLine = _Lazy(cst.SimpleStatementLine, "_SimpleStatementLine")
_SimpleStatementSuite = _Lazy(cst.SimpleStatementSuite, "_SimpleStatementSuite")
_SimpleString = _Lazy(cst.SimpleString, "_SimpleString")
_Slice = _Lazy(cst.Slice, "_Slice")
_StarredDictElement = _Lazy(cst.StarredDictElement, "_StarredDictElement")
_StarredElement = _Lazy(cst.StarredElement, "_StarredElement")
_Subscript = _Lazy(cst.Subscript, "_Subscript")
_SubscriptElement = _Lazy(cst.SubscriptElement, "_SubscriptElement")
_Try = _Lazy(cst.Try, "_Try")
_Tuple = _Lazy(cst.Tuple, "_Tuple")
_UnaryOperation = _Lazy(cst.UnaryOperation, "_UnaryOperation")
_While = _Lazy(cst.While, "_While")
_With = _Lazy(cst.With, "_With")
_WithItem = _Lazy(cst.WithItem, "_WithItem")
_Yield = _Lazy(cst.Yield, "_Yield")


class Unsketchable(Exception):
    """The file holds syntax the sketch does not build."""


def _operators(table: Dict[type, type]) -> Dict[type, Callable[[], cst.CSTNode]]:
    builders: Dict[type, Callable[[], cst.CSTNode]] = {}
    for ast_operator, node_class in table.items():
        builders[ast_operator] = _Lazy(node_class, table=builders, key=ast_operator)
    return builders


_BINARY = _operators({
    ast.Add: cst.Add, ast.Sub: cst.Subtract, ast.Mult: cst.Multiply, ast.MatMult: cst.MatrixMultiply,
    ast.Div: cst.Divide, ast.Mod: cst.Modulo, ast.Pow: cst.Power, ast.LShift: cst.LeftShift,
    ast.RShift: cst.RightShift, ast.BitOr: cst.BitOr, ast.BitXor: cst.BitXor, ast.BitAnd: cst.BitAnd,
    ast.FloorDiv: cst.FloorDivide})
_AUGMENTED = _operators({
    ast.Add: cst.AddAssign, ast.Sub: cst.SubtractAssign, ast.Mult: cst.MultiplyAssign,
    ast.MatMult: cst.MatrixMultiplyAssign, ast.Div: cst.DivideAssign, ast.Mod: cst.ModuloAssign,
    ast.Pow: cst.PowerAssign, ast.LShift: cst.LeftShiftAssign, ast.RShift: cst.RightShiftAssign,
    ast.BitOr: cst.BitOrAssign, ast.BitXor: cst.BitXorAssign, ast.BitAnd: cst.BitAndAssign,
    ast.FloorDiv: cst.FloorDivideAssign})
_UNARY = _operators({ast.Not: cst.Not, ast.Invert: cst.BitInvert, ast.USub: cst.Minus, ast.UAdd: cst.Plus})
_COMPARE = _operators({
    ast.Eq: cst.Equal, ast.NotEq: cst.NotEqual, ast.Lt: cst.LessThan, ast.LtE: cst.LessThanEqual,
    ast.Gt: cst.GreaterThan, ast.GtE: cst.GreaterThanEqual, ast.Is: cst.Is, ast.IsNot: cst.IsNot,
    ast.In: cst.In, ast.NotIn: cst.NotIn})
_CONSTANT_NAMES = {None: "None", True: "True", False: "False"}


class Sketcher:
    """Builds the sketch of one file from its ``ast`` tree and its lines (bytes, split on ``\\n``).

    ``part_of`` maps statements (by ``id``) to the part they begin; every node built inside a part
    is recorded in ``owner`` (node id -> part, None outside parts), so what a rule reports can be
    traced to its part.
    The parts in ``left_out`` are sketched as their one-line stand-ins (``def f(): pass``).
    """

    _expressions: Dict[type, Callable[["Sketcher", Any], cst.BaseExpression]]

    def __init__(self, lines: Sequence[bytes], part_of: Dict[int, int], left_out: AbstractSet[int]) -> None:
        self.lines = lines
        self.ascii = all(line.isascii() for line in lines)
        self.part_of = part_of
        self.left_out = left_out
        #: node id -> the part it was built in (None: outside every part)
        self.owner: Dict[int, Optional[int]] = {}
        #: node id -> the ``ast`` node that spans the same stretch of the file (not for nodes whose
        #: range LibCST draws differently: decorators, definitions, names, parenthesised tuples…)
        self.where: Dict[int, ast.AST] = {}
        self.part: Optional[int] = None

    def stand_in(self, statement: ast.stmt) -> cst.BaseStatement:
        """What an excerpt puts for a part left out: ``def f(): pass``, ``X = 0`` or ``pass``."""
        kind = type(statement)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            return _FunctionDef(name=self._word(statement.name, statement.lineno),  # type: ignore[attr-defined]
                                params=_Parameters(), body=_SimpleStatementSuite([_Pass()]),
                                asynchronous=_Asynchronous() if kind is ast.AsyncFunctionDef else None)
        if kind is ast.Assign:
            targets = [_AssignTarget(self._word(t.id, t.lineno)) for t in statement.targets]  # type: ignore
            return _SimpleStatementLine([_Assign(targets=targets, value=_Integer("0"))])
        return _SimpleStatementLine([_Pass()])

    # -- statements ----------------------------------------------------------------------------
    def module(self, tree: ast.Module) -> cst.Module:
        return cst.Module(body=self.statements(tree.body))

    def statements(self, body: Sequence[ast.stmt]) -> List[cst.BaseStatement]:
        built: List[cst.BaseStatement] = []
        for statement in body:
            part = self.part_of.get(id(statement))
            if part is None:
                built.append(self.statement(statement))
                continue
            if part in self.left_out:
                built.append(self.stand_in(statement))
                continue
            outer, self.part = self.part, part
            try:
                built.append(self.statement(statement))
            finally:
                self.part = outer
        return built

    def _block(self, body: Sequence[ast.stmt]) -> cst.IndentedBlock:
        return _IndentedBlock(body=self.statements(body) or [_SimpleStatementLine([_Pass()])])

    def _note(self, node: cst.CSTNode, where: Optional[ast.AST] = None) -> cst.CSTNode:
        """Record the part ``node`` is built in and, given ``where``, the tree node whose place in
        the file is exactly what LibCST gives as ``node``'s."""
        key = id(node)
        self.owner[key] = self.part
        if where is not None:
            self.where[key] = where
        return node

    def statement(self, node: ast.stmt) -> cst.BaseStatement:
        kind = type(node)
        if kind is ast.FunctionDef or kind is ast.AsyncFunctionDef:
            return self._note(self._function(node))  # type: ignore[arg-type]
        if kind is ast.ClassDef:
            return self._note(self._class(node))  # type: ignore[arg-type]
        if kind is ast.If:
            return self._note(self._if(node), node)  # type: ignore[arg-type]
        if kind is ast.For or kind is ast.AsyncFor:
            return self._note(_For(  # type: ignore[attr-defined]
                target=self.expression(node.target), iter=self.expression(node.iter),  # type: ignore[attr-defined]
                body=self._block(node.body), orelse=self._else(node.orelse),  # type: ignore[attr-defined]
                asynchronous=_Asynchronous() if kind is ast.AsyncFor else None), node)
        if kind is ast.While:
            return self._note(_While(  # type: ignore[attr-defined]
                test=self.expression(node.test), body=self._block(node.body),  # type: ignore[attr-defined]
                orelse=self._else(node.orelse)), node)  # type: ignore[attr-defined]
        if kind is ast.With or kind is ast.AsyncWith:
            items = [_WithItem(item=self.expression(item.context_expr),
                               asname=None if item.optional_vars is None
                               else _AsName(name=self.expression(item.optional_vars)))
                     for item in node.items]  # type: ignore[attr-defined]
            return self._note(_With(items=items, body=self._block(node.body),  # type: ignore[attr-defined]
                                    asynchronous=_Asynchronous() if kind is ast.AsyncWith else None), node)
        if kind is ast.Try:
            return self._note(self._try(node), node)  # type: ignore[arg-type]
        return self._note(_SimpleStatementLine(body=[self._note(self._small(node), node)]))

    def _function(self, node: ast.FunctionDef) -> cst.FunctionDef:
        if getattr(node, "type_params", None):
            raise Unsketchable("type parameters")
        return _FunctionDef(
            name=self._defined_name(node), params=self._parameters(node.args), body=self._block(node.body),
            decorators=[self._note(_Decorator(decorator=self.expression(d))) for d in node.decorator_list],
            returns=None if node.returns is None else _Annotation(self.expression(node.returns)),
            asynchronous=_Asynchronous() if isinstance(node, ast.AsyncFunctionDef) else None)

    def _class(self, node: ast.ClassDef) -> cst.ClassDef:
        if getattr(node, "type_params", None):
            raise Unsketchable("type parameters")
        return _ClassDef(
            name=self._defined_name(node), body=self._block(node.body),
            bases=[self._arg(base) for base in node.bases],
            keywords=[self._keyword(keyword) for keyword in node.keywords],
            decorators=[self._note(_Decorator(decorator=self.expression(d))) for d in node.decorator_list])

    def _defined_name(self, node: ast.stmt) -> cst.Name:
        """The name of a ``def`` or ``class``, as written after its keyword."""
        return self._note(self._named_at(node.name, node.lineno, _DEFINED.match, node.col_offset))  # type: ignore

    def _if(self, node: ast.If) -> cst.If:
        orelse: Optional[cst.CSTNode] = None
        if node.orelse:
            first = node.orelse[0]
            if len(node.orelse) == 1 and isinstance(first, ast.If) and self._starts_with(first, b"elif"):
                orelse = self._note(self._if(first), first)
            else:
                orelse = _Else(body=self._block(node.orelse))
        return _If(test=self.expression(node.test), body=self._block(node.body),
                   orelse=orelse)  # type: ignore[arg-type]

    def _starts_with(self, node: ast.AST, word: bytes) -> bool:
        line = self.lines[node.lineno - 1]  # type: ignore[attr-defined]
        return line[node.col_offset:node.col_offset + len(word)] == word  # type: ignore[attr-defined]

    def _else(self, body: Sequence[ast.stmt]) -> Optional[cst.Else]:
        return _Else(body=self._block(body)) if body else None

    def _try(self, node: ast.Try) -> cst.Try:
        handlers = [self._note(_ExceptHandler(
            body=self._block(handler.body),
            type=None if handler.type is None else self.expression(handler.type),
            name=None if handler.name is None else _AsName(name=self._note(self._word(
                handler.name, handler.lineno, handler.body[0].lineno - 1)))), handler)
            for handler in node.handlers]
        return _Try(body=self._block(node.body), handlers=handlers, orelse=self._else(node.orelse),
                    finalbody=_Finally(body=self._block(node.finalbody)) if node.finalbody else None)

    def _small(self, node: ast.stmt) -> cst.BaseSmallStatement:
        kind = type(node)
        if kind is ast.Expr:
            return self._note(_Expr(value=self.expression(node.value)))  # type: ignore[attr-defined]
        if kind is ast.Assign:
            targets = [_AssignTarget(self.expression(t)) for t in node.targets]  # type: ignore[attr-defined]
            return self._note(_Assign(targets=targets, value=self.expression(node.value)))  # type: ignore[attr-defined]
        if kind is ast.Return:
            value = node.value  # type: ignore[attr-defined]
            return self._note(_Return(value=None if value is None else self.expression(value)))
        if kind is ast.Import:
            names = [self._alias(alias, node) for alias in node.names]  # type: ignore[attr-defined]
            return self._note(_Import(names=names))
        if kind is ast.ImportFrom:
            return self._note(self._import_from(node))  # type: ignore[arg-type]
        if kind is ast.AugAssign:
            return self._note(_AugAssign(target=self.expression(node.target),  # type: ignore[attr-defined]
                                         operator=_AUGMENTED[type(node.op)](),  # type: ignore[attr-defined]
                                         value=self.expression(node.value)))  # type: ignore[attr-defined]
        if kind is ast.AnnAssign:
            value = node.value  # type: ignore[attr-defined]
            annotation = _Annotation(self.expression(node.annotation))  # type: ignore[attr-defined]
            return self._note(_AnnAssign(target=self.expression(node.target),  # type: ignore[attr-defined]
                                         annotation=annotation,
                                         value=None if value is None else self.expression(value)))
        if kind is ast.Raise:
            exc, cause = node.exc, node.cause  # type: ignore[attr-defined]
            return self._note(_Raise(exc=None if exc is None else self.expression(exc),
                                     cause=None if cause is None else _From(self.expression(cause))))
        if kind is ast.Pass:
            return self._note(_Pass())
        if kind is ast.Break:
            return self._note(_Break())
        if kind is ast.Continue:
            return self._note(_Continue())
        if kind is ast.Delete:
            targets = [self.expression(t) for t in node.targets]  # type: ignore[attr-defined]
            target = targets[0] if len(targets) == 1 else _Tuple([_Element(t) for t in targets], lpar=[], rpar=[])
            return self._note(_Del(target=target))
        if kind is ast.Assert:
            msg = node.msg  # type: ignore[attr-defined]
            return self._note(_Assert(test=self.expression(node.test),  # type: ignore[attr-defined]
                                      msg=None if msg is None else self.expression(msg)))
        if kind is ast.Global or kind is ast.Nonlocal:
            items = [_NameItem(self._word(n, node.lineno, node.end_lineno)) for n in node.names]  # type: ignore
            return self._note(_Global(items) if kind is ast.Global else _Nonlocal(items))
        raise Unsketchable(type(node).__name__)

    def _alias(self, alias: ast.alias, statement: ast.stmt) -> cst.ImportAlias:
        asname = None if alias.asname is None \
            else _AsName(name=self._word(alias.asname, statement.lineno, statement.end_lineno))
        return self._note(_ImportAlias(name=self._dotted(alias.name, statement), asname=asname),  # type: ignore
                          alias if hasattr(alias, "lineno") else None)  # where an alias is: Python 3.10 and later

    def _import_from(self, node: ast.ImportFrom) -> cst.ImportFrom:
        if len(node.names) == 1 and node.names[0].name == "*":
            names: object = _ImportStar()
        else:
            names = [self._alias(alias, node) for alias in node.names]
        return _ImportFrom(module=None if node.module is None else self._dotted(node.module, node),
                           names=names, relative=[_Dot()] * (node.level or 0))

    # -- parameters and arguments --------------------------------------------------------------
    def _parameters(self, arguments: ast.arguments) -> cst.Parameters:
        positional = [*arguments.posonlyargs, *arguments.args]
        defaults: List[Optional[ast.expr]] = [None] * (len(positional) - len(arguments.defaults))
        defaults += arguments.defaults
        params = [self._param(arg, default) for arg, default in zip(positional, defaults)]
        posonly = params[:len(arguments.posonlyargs)]
        params = params[len(arguments.posonlyargs):]
        kwonly = [self._param(arg, default) for arg, default in zip(arguments.kwonlyargs, arguments.kw_defaults)]
        star_arg: object = cst.MaybeSentinel.DEFAULT
        if arguments.vararg is not None:
            star_arg = self._param(arguments.vararg, None, "*")
        elif kwonly:
            star_arg = _ParamStar()
        return _Parameters(params=params, star_arg=star_arg, kwonly_params=kwonly,  # type: ignore[arg-type]
                           star_kwarg=None if arguments.kwarg is None else self._param(arguments.kwarg, None, "**"),
                           posonly_params=posonly)

    def _param(self, arg: ast.arg, default: Optional[ast.expr], star: str = "") -> cst.Param:
        return self._note(_Param(
            name=self._note(self._named_at(arg.arg, arg.lineno, _NAME.match, arg.col_offset)),
            annotation=None if arg.annotation is None else _Annotation(self.expression(arg.annotation)),
            default=None if default is None else self.expression(default), star=star))

    def _arg(self, value: ast.expr) -> cst.Arg:
        if type(value) is ast.Starred:
            return self._note(_Arg(value=self.expression(value.value), star="*"), value)  # type: ignore[attr-defined]
        return self._note(_Arg(value=self.expression(value)), value)

    def _keyword(self, keyword: ast.keyword) -> cst.Arg:
        if keyword.arg is None:
            return self._note(_Arg(value=self.expression(keyword.value), star="**"), keyword)
        name = self._note(self._named_at(keyword.arg, keyword.lineno, _NAME.match, keyword.col_offset))
        return self._note(_Arg(value=self.expression(keyword.value), keyword=name), keyword)

    # -- expressions ---------------------------------------------------------------------------
    def expression(self, node: ast.AST) -> cst.BaseExpression:
        build = self._expressions.get(type(node))
        if build is None:
            raise Unsketchable(type(node).__name__)
        # Python's range of a generator expression or a tuple in brackets takes in the brackets
        placed = type(node) is not ast.GeneratorExp and not (type(node) is ast.Tuple and self._parenthesized(node))
        return self._note(build(self, node), node if placed else None)  # type: ignore[return-value]

    def _word(self, name: str, first: int, last: Optional[int] = None) -> cst.Name:
        """A name written on lines ``first`` to ``last``, when it is surely written as Python gives
        it: Python normalises non-ASCII names (NFKC), LibCST keeps them as written."""
        if not self.ascii:
            for number in range(first, (last or first) + 1):
                if not self.lines[number - 1].isascii():
                    raise Unsketchable("a name on a line with non-ASCII characters")
        return _Name(name)

    def _named_at(self, name: str, number: int, find: Callable[..., Any], *span: int) -> cst.Name:
        """The name ``name`` as written on line ``number``, where ``find(line, *span)`` matches it
        (group 1, else the whole match)."""
        line = self.lines[number - 1]
        if self.ascii or line.isascii():
            return _Name(name)
        found = find(line, *span)
        written = found and (found.group(found.lastindex or 0)).decode("utf-8", errors="replace")
        if not written or unicodedata.normalize("NFKC", written) != name:
            raise Unsketchable("a name Python normalised, not found as written")
        return _Name(written)

    def _dotted(self, name: str, statement: ast.stmt) -> cst.BaseExpression:
        """``a.b.c`` as LibCST's nested ``Attribute``/``Name``."""
        first, *rest = name.split(".")
        built: cst.BaseExpression = self._word(first, statement.lineno, statement.end_lineno)
        for attr in rest:
            built = _Attribute(value=built, attr=self._word(attr, statement.lineno, statement.end_lineno))
        return built

    def _name(self, node: ast.Name) -> cst.Name:
        # Python normalises non-ASCII names (NFKC); LibCST keeps them as written
        return _Name(node.id if self.ascii or self.lines[node.lineno - 1].isascii() else self._text(node))

    def _attribute(self, node: ast.Attribute) -> cst.Attribute:
        attr = self._named_at(node.attr, node.end_lineno, _LAST_NAME.search, 0, node.end_col_offset)  # type: ignore
        return _Attribute(value=self.expression(node.value), attr=self._note(attr))

    def _call(self, node: ast.Call) -> cst.Call:
        arguments: List[ast.AST] = [*node.args, *node.keywords]
        if node.args and node.keywords:  # in the order written: f(a, x=1, *rest)
            arguments.sort(key=lambda a: (a.lineno, a.col_offset))  # type: ignore[attr-defined]
        return _Call(func=self.expression(node.func),
                     args=[self._keyword(a) if type(a) is ast.keyword else self._arg(a)  # type: ignore[arg-type]
                           for a in arguments])

    def _constant(self, node: ast.Constant) -> cst.BaseExpression:
        value = node.value
        if value is None or value is True or value is False:
            return _Name(_CONSTANT_NAMES[value])
        if value is Ellipsis:
            return _Ellipsis()
        text = self._text(node)
        if isinstance(value, (str, bytes)):
            return _string(text)
        if isinstance(value, int):
            return _Integer(text)
        if isinstance(value, float):
            return _Float(text)
        if isinstance(value, complex):
            return _Imaginary(text)
        raise Unsketchable(type(value).__name__)

    def _text(self, node: ast.AST) -> str:
        """The source text of ``node``, as written."""
        first, last = node.lineno - 1, node.end_lineno - 1  # type: ignore[attr-defined,operator]
        if first == last:
            raw = self.lines[first][node.col_offset:node.end_col_offset]  # type: ignore[attr-defined]
        else:
            raw = b"\n".join([self.lines[first][node.col_offset:],  # type: ignore[attr-defined]
                              *self.lines[first + 1:last], self.lines[last][:node.end_col_offset]])  # type: ignore
        return raw.decode("utf-8").replace("\r\n", "\n")

    def _binary(self, node: ast.BinOp) -> cst.BinaryOperation:
        return _BinaryOperation(left=self.expression(node.left), operator=_BINARY[type(node.op)](),
                                right=self.expression(node.right))

    def _boolean(self, node: ast.BoolOp) -> cst.BaseExpression:
        operator = cst.And if isinstance(node.op, ast.And) else cst.Or
        values = [self.expression(value) for value in node.values]
        built = values[0]
        for value in values[1:]:
            built = _BooleanOperation(left=built, operator=operator(), right=value)
            self._note(built)
        return built

    def _unary(self, node: ast.UnaryOp) -> cst.UnaryOperation:
        return _UnaryOperation(operator=_UNARY[type(node.op)](), expression=self.expression(node.operand))

    def _compare(self, node: ast.Compare) -> cst.Comparison:
        return _Comparison(left=self.expression(node.left), comparisons=[
            _ComparisonTarget(operator=_COMPARE[type(op)](), comparator=self.expression(right))
            for op, right in zip(node.ops, node.comparators)])

    def _subscript(self, node: ast.Subscript) -> cst.Subscript:
        index = node.slice
        bare_tuple = type(index) is ast.Tuple and not self._parenthesized(index)
        items = index.elts if bare_tuple else [index]  # type: ignore[attr-defined]
        return _Subscript(value=self.expression(node.value),
                          slice=[_SubscriptElement(self._slice(item)) for item in items])

    def _parenthesized(self, node: ast.AST) -> bool:
        return self.lines[node.lineno - 1][node.col_offset:node.col_offset + 1] == b"("  # type: ignore[attr-defined]

    def _slice(self, node: ast.AST) -> cst.BaseSlice:
        if type(node) is ast.Slice:
            return self._slice_expression(node)  # type: ignore[arg-type,return-value]
        if type(node) is ast.Starred:
            return _Index(value=self.expression(node.value), star="*")  # type: ignore[attr-defined]
        return _Index(value=self.expression(node))

    def _slice_expression(self, node: ast.Slice) -> cst.Slice:  # type: ignore[override]
        return _Slice(lower=None if node.lower is None else self.expression(node.lower),
                      upper=None if node.upper is None else self.expression(node.upper),
                      step=None if node.step is None else self.expression(node.step))

    def _elements(self, values: Sequence[ast.expr]) -> List[cst.BaseElement]:
        return [_StarredElement(self.expression(v.value)) if type(v) is ast.Starred  # type: ignore[attr-defined]
                else _Element(self.expression(v)) for v in values]

    def _tuple(self, node: ast.Tuple) -> cst.Tuple:
        if self._parenthesized(node) or not node.elts:
            return _Tuple(self._elements(node.elts))
        return _Tuple(self._elements(node.elts), lpar=[], rpar=[])

    def _list(self, node: ast.List) -> cst.List:
        return _List(self._elements(node.elts))

    def _set(self, node: ast.Set) -> cst.Set:
        return _Set(self._elements(node.elts))

    def _dict(self, node: ast.Dict) -> cst.Dict:
        return _Dict([_StarredDictElement(self.expression(value)) if key is None
                      else _DictElement(self.expression(key), self.expression(value))
                      for key, value in zip(node.keys, node.values)])

    def _starred(self, node: ast.Starred) -> cst.BaseExpression:
        # only where a starred expression stands alone (``*rest`` in ``for a, *rest in …`` is an element)
        return _StarredElement(self.expression(node.value))  # type: ignore[return-value]

    def _lambda(self, node: ast.Lambda) -> cst.Lambda:
        return _Lambda(params=self._parameters(node.args), body=self.expression(node.body))

    def _if_expression(self, node: ast.IfExp) -> cst.IfExp:
        return _IfExp(test=self.expression(node.test), body=self.expression(node.body),
                      orelse=self.expression(node.orelse))

    def _for_in(self, generators: Sequence[ast.comprehension]) -> cst.CompFor:
        inner: Optional[cst.CompFor] = None
        for generator in reversed(generators):
            inner = _CompFor(target=self.expression(generator.target), iter=self.expression(generator.iter),
                             ifs=[_CompIf(self.expression(test)) for test in generator.ifs],
                             inner_for_in=inner,
                             asynchronous=_Asynchronous() if generator.is_async else None)
        assert inner is not None
        return inner

    def _list_comp(self, node: ast.ListComp) -> cst.ListComp:
        return _ListComp(elt=self.expression(node.elt), for_in=self._for_in(node.generators))

    def _set_comp(self, node: ast.SetComp) -> cst.SetComp:
        return _SetComp(elt=self.expression(node.elt), for_in=self._for_in(node.generators))

    def _dict_comp(self, node: ast.DictComp) -> cst.DictComp:
        return _DictComp(key=self.expression(node.key), value=self.expression(node.value),
                         for_in=self._for_in(node.generators))

    def _generator(self, node: ast.GeneratorExp) -> cst.GeneratorExp:
        return _GeneratorExp(elt=self.expression(node.elt), for_in=self._for_in(node.generators))

    def _await(self, node: ast.Await) -> cst.Await:
        return _Await(expression=self.expression(node.value))

    def _yield(self, node: ast.Yield) -> cst.Yield:
        return _Yield(value=None if node.value is None else self.expression(node.value))

    def _yield_from(self, node: ast.YieldFrom) -> cst.Yield:
        return _Yield(value=_From(self.expression(node.value)))

    def _named(self, node: ast.NamedExpr) -> cst.NamedExpr:
        return _NamedExpr(target=self.expression(node.target), value=self.expression(node.value))

    def _f_string(self, node: ast.JoinedStr) -> cst.FormattedString:
        # the text as written (what a rule reading the string's code looks for), then the
        # expressions in it, which the walk visits
        parts: List[cst.BaseFormattedStringContent] = [_FormattedStringText(self._text(node))]
        parts += [_FormattedStringExpression(self.expression(value.value))  # type: ignore[attr-defined]
                  for value in node.values if type(value) is ast.FormattedValue]
        return _FormattedString(parts=parts, start='f"', end='"')


#: How each kind of expression is sketched (functions of the class: a table of bound methods
#: would make every sketcher a reference cycle, kept with its tree until the collector runs).
Sketcher._expressions = {
    ast.Name: Sketcher._name, ast.Attribute: Sketcher._attribute, ast.Call: Sketcher._call,
    ast.Constant: Sketcher._constant, ast.BinOp: Sketcher._binary, ast.BoolOp: Sketcher._boolean,
    ast.UnaryOp: Sketcher._unary, ast.Compare: Sketcher._compare, ast.Subscript: Sketcher._subscript,
    ast.Tuple: Sketcher._tuple, ast.List: Sketcher._list, ast.Set: Sketcher._set, ast.Dict: Sketcher._dict,
    ast.Starred: Sketcher._starred, ast.Lambda: Sketcher._lambda, ast.IfExp: Sketcher._if_expression,
    ast.ListComp: Sketcher._list_comp, ast.SetComp: Sketcher._set_comp, ast.DictComp: Sketcher._dict_comp,
    ast.GeneratorExp: Sketcher._generator, ast.Await: Sketcher._await, ast.Yield: Sketcher._yield,
    ast.YieldFrom: Sketcher._yield_from, ast.NamedExpr: Sketcher._named, ast.JoinedStr: Sketcher._f_string,
    ast.Slice: Sketcher._slice_expression,
}


#: A name, its bytes; the name of a ``def`` or ``class``; the name a line ends with.
_NAME = re.compile(NAME)
_DEFINED = re.compile(rb"(?:async\s+)?(?:def|class)\s+(" + NAME + rb")")
_LAST_NAME = re.compile(NAME + rb"$")
_QUOTES = ('"""', "'''", '"', "'")


def _string(text: str) -> cst.BaseExpression:
    """One string literal as written, or LibCST's ``ConcatenatedString`` of several (``"a" "b"``)."""
    start = 0
    while start < len(text) and text[start] not in "\"'":
        start += 1
    quote = next(q for q in _QUOTES if text.startswith(q, start))
    if text.endswith(quote) and quote not in text[start + len(quote):len(text) - len(quote)] \
            and len(text) >= start + 2 * len(quote):
        return _SimpleString(text)
    pieces = [token.string for token in tokenize.generate_tokens(io.StringIO("(" + text + ")").readline)
              if token.type == tokenize.STRING]
    if not pieces:
        raise Unsketchable("string")
    built: cst.BaseExpression = _SimpleString(pieces[-1])
    for piece in reversed(pieces[:-1]):
        built = _ConcatenatedString(left=_SimpleString(piece), right=built)  # type: ignore[arg-type]
    return built
