"""SVC313: Flask APIs removed in Flask 2.2–2.3 (``Markup``/``escape`` re-exports, renamed kwargs, …)."""
from __future__ import annotations

from typing import FrozenSet

import libcst as cst

from svcmod.rule import SAFE, AddImport, FastPath, Fix, FixStep, Invalid, Parts, Rule, Valid, dotted, keyword

#: Re-exports of markupsafe that Flask 2.3 removed; markupsafe is a dependency of Flask.
MARKUPSAFE_NAMES = frozenset({"Markup", "escape"})
SEND_FILE = frozenset({"flask.send_file", "flask.helpers.send_file"})
SEND_FROM_DIRECTORY = frozenset({"flask.send_from_directory", "flask.helpers.send_from_directory"})
#: Keywords renamed in Flask 2.0 (the old ones removed in 2.2).
SEND_FILE_KEYWORDS = {"attachment_filename": "download_name", "cache_timeout": "max_age", "add_etags": "etag"}
SEND_FROM_DIRECTORY_KEYWORDS = {**SEND_FILE_KEYWORDS, "filename": "path"}
FIRST_REQUEST_HOOKS = ("before_first_request", "before_app_first_request")
JSON_CLASSES = frozenset({"flask.json.JSONEncoder", "flask.json.JSONDecoder"})
APP_CLASSES = frozenset({"flask.Flask", "flask.app.Flask", "flask.Blueprint", "flask.blueprints.Blueprint"})

TOKENS = (b"Markup", b"escape", b"attachment_filename", b"cache_timeout", b"add_etags",
          b"send_from_directory", b"JSONEncoder", b"JSONDecoder", b"json_encoder", b"json_decoder")


def _may_use_removed_api(source: bytes, imported: FrozenSet[str]) -> bool:
    # apps often come from a factory module, so the hook is looked for without a flask import
    if b"before_first_request" in source or b"before_app_first_request" in source:
        return True
    return "flask" in imported and any(token in source for token in TOKENS)


class FlaskRemovedApi(Rule):
    """Checks for Flask APIs that Flask 2.2 and 2.3 removed.

    ## Why is this bad?
    Upgrading Flask breaks code that still uses:
    - `from flask import Markup, escape` / `flask.Markup` / `flask.escape` (removed in 2.3; they
      were re-exports of `markupsafe`);
    - `send_file(attachment_filename=, cache_timeout=, add_etags=)` and
      `send_from_directory(filename=, …)` (renamed in 2.0 to `download_name=`, `max_age=`,
      `etag=`, `path=`; the old names removed in 2.2);
    - `@app.before_first_request` / `@bp.before_app_first_request` (removed in 2.3);
    - `flask.json.JSONEncoder` / `JSONDecoder` and `app.json_encoder` / `json_decoder`
      (removed in 2.3 in favour of `app.json = JSONProvider subclass`).

    `before_first_request` is reported on any receiver not known to be something other than a
    Flask app or blueprint (apps usually come from a factory the resolver cannot follow).

    ## Fix safety
    Imports move to `markupsafe` and the keywords are renamed: safe, the objects and parameters are
    the same (the project needs Flask 2.0 or later, and `markupsafe`, which Flask depends on).
    `before_first_request` (run the code at app creation instead) and the JSON classes (write a
    `flask.json.provider.DefaultJSONProvider` subclass) need a person and are only reported.

    ## References
    - https://flask.palletsprojects.com/en/latest/changes/#version-2-3-0
    - https://flask.palletsprojects.com/en/latest/changes/#version-2-2-0
    - https://flask.palletsprojects.com/en/latest/api/#flask.send_file
    """

    code = "SVC313"
    name = "flask-removed-api"
    message = "removed in Flask 2.2/2.3"
    fix_safety = SAFE
    fast_path = FastPath(
        test=_may_use_removed_api,
        parts=Parts(tokens=TOKENS + (b"first_request",)),  # the hook is looked for without a flask import
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deprecations"),)
    examples = (
        Invalid("from flask import Flask, Markup, escape\napp = Flask(__name__)\nhtml = Markup('<b>%s</b>') % escape(name)\n",
                fixed="from flask import Flask\nfrom markupsafe import Markup, escape\n\napp = Flask(__name__)\n"
                "html = Markup('<b>%s</b>') % escape(name)\n"),
        Invalid("from flask import Markup as M\n", fixed="from markupsafe import Markup as M\n"),
        Invalid("import flask\nsafe = flask.escape(user_input)\n",
                fixed="import markupsafe\n\nsafe = markupsafe.escape(user_input)\n"),
        Invalid("from flask import send_file\n\ndef download():\n"
                "    return send_file(path, as_attachment=True, attachment_filename='r.csv', cache_timeout=0)\n",
                fixed="from flask import send_file\n\ndef download():\n"
                "    return send_file(path, as_attachment=True, download_name='r.csv', max_age=0)\n", count=2),
        Invalid("import flask as f\nf.send_from_directory(root, filename=name, add_etags=False)\n",
                fixed="import flask as f\nf.send_from_directory(root, path=name, etag=False)\n", count=2),
        Invalid("from flask import Flask\napp = Flask(__name__)\n\n@app.before_first_request\ndef warm_up():\n    load()\n"),
        Invalid("from myapp import create_app\napp = create_app()\napp.before_first_request(load)\n"),
        Invalid("from flask.json import JSONEncoder\n\nclass Encoder(JSONEncoder):\n    pass\n"),
        Valid("from flask import Flask\nfrom markupsafe import Markup, escape\nhtml = Markup('<b>') + escape(x)\n"),
        Valid("from flask import send_file\nsend_file(path, download_name='r.csv', max_age=0)\n"),
        Valid("import flask\nimport html\nsafe = html.escape(text)\nimport re\nre.escape(text)\n"),
        Valid("import flask\nimport quart\napp = quart.Quart(__name__)\n\n@app.before_first_request\ndef f():\n    pass\n"),
        Valid("import flask\nfrom json import JSONEncoder\n\nclass E(JSONEncoder):\n    pass\n"),
        Valid("import flask\nfrom mylib import send_file\nsend_file(p, cache_timeout=3)\n"),
    )

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None or isinstance(node.names, cst.ImportStar):
            return
        module = dotted(node.module)
        if module == "flask.json":
            for alias in node.names:
                if f"flask.json.{dotted(alias.name)}" in JSON_CLASSES:
                    self.report(alias, message=f"`flask.json.{dotted(alias.name)}` was removed in Flask 2.3: "
                                "subclass `flask.json.provider.DefaultJSONProvider` and set `app.json`")
            return
        if module != "flask":
            return
        moved = [a for a in node.names if dotted(a.name) in MARKUPSAFE_NAMES]
        if not moved:
            return
        listed = ", ".join(f"`{dotted(a.name)}`" for a in moved)
        message = f"{listed}: Flask 2.3 removed these re-exports of `markupsafe`"
        stay = [a for a in node.names if dotted(a.name) not in MARKUPSAFE_NAMES]
        if not stay:
            self.report(node, message=message, fix=Fix.replace(node.module, cst.Name("markupsafe"), safety=SAFE,
                                                               description="import from `markupsafe`"))
            return
        stay[-1] = stay[-1].with_changes(comma=node.names[-1].comma)  # a trailing comma stays
        imports = [AddImport("markupsafe", dotted(a.name), a.asname.name.value if a.asname is not None else None)
                   for a in moved]
        self.report(node, message=message,
                    fix=Fix.replace(node, node.with_changes(names=stay), safety=SAFE, add_imports=imports,
                                    description="import from `markupsafe`"))

    def visit_Attribute(self, node: cst.Attribute) -> None:
        attr = node.attr.value
        if attr in MARKUPSAFE_NAMES:
            if self.qualified_name(node) == f"flask.{attr}":
                self._markupsafe_attribute(node, attr)
        elif attr in FIRST_REQUEST_HOOKS:
            if self._maybe_flask(node.value):
                self.report(node, message=f"`{attr}` was removed in Flask 2.3: run the code when the app is created")
        elif attr in ("JSONEncoder", "JSONDecoder"):
            if self.qualified_name(node) in JSON_CLASSES:
                self.report(node, message=f"`flask.json.{attr}` was removed in Flask 2.3: subclass "
                            "`flask.json.provider.DefaultJSONProvider` and set `app.json`")
        elif attr in ("json_encoder", "json_decoder"):
            if self.created_by(node.value) in APP_CLASSES:
                self.report(node, message=f"`app.{attr}` was removed in Flask 2.3: set `app.json` to a "
                            "`flask.json.provider.DefaultJSONProvider` subclass")

    def _maybe_flask(self, receiver: cst.BaseExpression) -> bool:
        known = self.created_by(receiver) or self.qualified_name(receiver)
        if known is None:
            return True
        # an app imported from the project (`from myapp import app`) is most likely a Flask app
        return known in APP_CLASSES or not known.split(".")[0] in ("quart", "sanic", "fastapi", "starlette")

    def _markupsafe_attribute(self, node: cst.Attribute, attr: str) -> None:
        found = self.file.names.reference_here("markupsafe", self.file.scope_stack)
        if found is None:
            self.report(node)
            return
        text, imports = found
        self.report(node, message=f"`flask.{attr}` was removed in Flask 2.3; use `markupsafe.{attr}`",
                    fix=Fix.replace(node, cst.parse_expression(f"{text}.{attr}"), safety=SAFE,
                                    add_imports=imports, description=f"use `markupsafe.{attr}`"))

    def visit_Call(self, node: cst.Call) -> None:
        name = self.callee(node)
        if name in SEND_FILE:
            renames = SEND_FILE_KEYWORDS
        elif name in SEND_FROM_DIRECTORY:
            renames = SEND_FROM_DIRECTORY_KEYWORDS
        else:
            return
        short = name.rpartition(".")[2]
        for old, new in renames.items():
            given = keyword(node, old)
            if given is None:
                continue
            message = f"`{short}({old}=)` was removed in Flask 2.2; use `{new}=`"
            if keyword(node, new) is not None:
                self.report(given, message=message)
                continue
            self.report(given, message=message, fix=Fix.replace(given.keyword, cst.Name(new), safety=SAFE,
                                                                description=f"rename `{old}=` to `{new}=`"))
