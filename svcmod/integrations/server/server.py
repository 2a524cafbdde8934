"""The language server: diagnostics of unsaved buffers, quick fixes, fix-all, ignore comments and rule pages."""
from __future__ import annotations

import asyncio
import io
import logging
import os
import time
import tokenize
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Sequence, Set, Tuple, Union

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.uris import to_fs_path, uri_scheme

from svcmod import __version__
from svcmod.check.checker import FindingAt
from svcmod.check.policy import FixPolicy
from svcmod.integrations.server.settings import Settings, split_folders
from svcmod.integrations.server.text import Change, Text, changes, comment_insertion, from_client, to_client
from svcmod.outputs.rule_docs import rule_url
from svcmod.project.config import ConfigError, is_selected
from svcmod.results import ENGINE_CODES, FileResult, Finding
from svcmod.run.buffer import BufferChecks

FIX_ALL = f"{types.CodeActionKind.SourceFixAll.value}.svcmod"
#: fix-all for a client that cannot resolve an action: its edit made when it is chosen, not whenever a menu is shown
FIX_ALL_COMMAND = "svcmod.fixAll"
CONFIG_FILES = ("/pyproject.toml", "/svcmod.toml")
#: config files, and the project's modules: what they lend each other (the project index)
WATCHED_GLOBS = ("**/pyproject.toml", "**/svcmod.toml", "**/*.py")
_LOG_TYPES = {"error": types.MessageType.Error, "warning": types.MessageType.Warning,
              "info": types.MessageType.Info, "debug": types.MessageType.Log}
_LEVELS = {"error": logging.ERROR, "warning": logging.WARNING, "info": logging.INFO, "debug": logging.DEBUG}

log = logging.getLogger("svcmod.server")


@dataclass
class Linted:
    """One version of an open document and what checking it found."""

    uri: str
    version: Optional[int]
    text: Text
    path: Path
    result: FileResult
    #: fixes computed for this version: (kind, code, line, column) -> new text (None: nothing to offer)
    fixes: Dict[Tuple[Any, ...], Optional[str]] = field(default_factory=dict)


class SvcmodServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("svcmod", __version__, text_document_sync_kind=types.TextDocumentSyncKind.Incremental)
        self.settings = Settings()  # every folder's, unless the folder has its own
        #: workspace folder (its path) -> its own settings as the client sent them (on top of ``settings``)
        self.folder_raw: Dict[str, Any] = {}
        self._folder_settings: Dict[str, Settings] = {}
        #: (settings that build rules, workspace folder) -> configurations, rules and project index
        self._checks: Dict[Tuple[tuple, str], BufferChecks] = {}
        self.linted: Dict[str, Linted] = {}
        self._scheduled: Dict[str, asyncio.TimerHandle] = {}
        self._last_lint: Dict[str, float] = {}
        self._shown: Set[str] = set()  # errors already shown to the user (each once)
        self._rules: Dict[int, Dict[str, Any]] = {}  # id(config) -> code -> rule class
        self._stamps: Dict[str, Optional[Tuple[int, int]]] = {}  # files of projects seen changed: (mtime, size)

    # -- configuration --------------------------------------------------------------------
    def folder_of(self, path: Path) -> Optional[Path]:
        """The workspace folder holding ``path`` (the innermost, when folders nest)."""
        found: Optional[Path] = None
        for folder in self.folders():
            if (path == folder or folder in path.parents) and (found is None or found in folder.parents):
                found = folder
        return found

    def folders(self) -> List[Path]:
        if not self._workspace_ready():
            return []
        found = []
        for folder in self.workspace.folders.values():
            path = to_fs_path(folder.uri)
            if path:
                found.append(Path(os.path.abspath(path)))
        return found

    def settings_for(self, path: Path) -> Settings:
        """The settings of the workspace folder holding ``path``."""
        folder = self.folder_of(path)
        if folder is None or str(folder) not in self.folder_raw:
            return self.settings
        known = self._folder_settings.get(str(folder))
        if known is None:
            known, problems = self.settings.updated(self.folder_raw[str(folder)])
            for problem in problems:
                self.error_once(f"svcmod: settings of {folder}: {problem}")
            self._folder_settings[str(folder)] = known
        return known

    def checks(self, path: Path) -> BufferChecks:
        """Configurations, rules and project index for ``path``: built once per workspace folder and
        settings, and again only when settings or config files change."""
        settings = self.settings_for(path)
        folder = self.folder_of(path)
        key = (settings.engine_key(), str(folder))
        checks = self._checks.get(key)
        if checks is None:
            config = Path(settings.config) if settings.config else None
            if config is not None and not config.is_absolute():
                config = (folder or self.root()) / config
            checks = self._checks[key] = BufferChecks(config, settings.select, settings.ignore, project_root=folder)
        return checks

    def reload(self, why: str) -> None:
        """Read configurations again and check every open document with them."""
        log.info("%s: reading configuration again, checking %d open document(s)", why, len(self.linted))
        self._checks.clear()
        self._folder_settings.clear()
        self._rules.clear()  # keyed by id() of configurations now gone
        self._shown.clear()
        for uri in list(self.workspace.text_documents):
            self.lint(uri)

    def apply_settings(self, raw: Any, origin: str, folders: Optional[Dict[str, Any]] = None) -> None:
        """``raw``: settings for every folder; ``folders``: workspace folder -> its own (replacing
        those known). Both also as ``initializationOptions`` give them: ``{"svcmod": {..., "folders":
        {"<folder URI or path>": {...}}}}``."""
        raw, given = split_folders(raw)
        folders = {**given, **(folders or {})}
        settings, problems = self.settings.updated(raw)
        for problem in problems:
            self.error_once(f"svcmod: {origin}: {problem}")
        folder_raw = dict(self.folder_raw)
        for folder, value in folders.items():
            path = to_fs_path(folder) if folder.startswith("file:") else folder
            folder_raw[os.path.abspath(path or folder)] = value
        changed = settings != self.settings or folder_raw != self.folder_raw
        self.settings, self.folder_raw = settings, folder_raw
        logging.getLogger("svcmod").setLevel(_LEVELS[settings.log_level])
        if changed:
            self.reload("settings changed")

    async def pull_settings(self) -> None:
        """Ask a client that keeps settings per folder (``workspace/configuration``) for every folder's."""
        workspace = self.client_capabilities.workspace
        if not (workspace and workspace.configuration):
            return
        folders = list(self.workspace.folders.values())
        try:
            answer = await self.workspace_configuration_async(types.ConfigurationParams(
                items=[types.ConfigurationItem(section="svcmod")]
                + [types.ConfigurationItem(scope_uri=folder.uri, section="svcmod") for folder in folders]))
        except Exception as error:
            log.warning("could not read the client's settings: %s", error)
            return
        if not answer:
            return
        scoped = {folder.uri: value for folder, value in zip(folders, answer[1:]) if value is not None}
        self.apply_settings(answer[0], "workspace settings", scoped)

    def index_changed(self, path: Path) -> None:
        """``path``, a file of a project, changed on disk: its entry in the project index is read
        again (the index built again when that is not enough), and the open documents whose
        findings that may change checked again."""
        try:
            status = path.stat()
            stamp: Optional[Tuple[int, int]] = (status.st_mtime_ns, status.st_size)
        except OSError:
            stamp = None  # deleted
        if stamp is not None and self._stamps.get(str(path)) == stamp:
            return  # already seen: a save comes as didSave and again from the file watcher
        self._stamps[str(path)] = stamp
        changed = []
        for checks in list(self._checks.values()):
            root = checks.project_root
            if root is not None and (root in path.parents):
                try:
                    if checks.refresh_index(path):
                        changed.append(checks)
                    log.debug("%s saved: the project index of %s %s", path, root,
                              "built again" if checks.rebuilt else "has its entry read again")
                except (ConfigError, OSError) as error:
                    log.warning("could not index %s again: %s", root, error)
        if changed:
            log.info("%s changed what it lends the project: checking again the open documents it may change", path)
            for uri in list(self.workspace.text_documents):
                linted = self.linted.get(uri)
                if linted is not None and any(checks.affected(linted.path, linted.text.encoded()) for checks in changed):
                    self.lint(uri)

    def root(self) -> Path:
        folders = list(self.workspace.folders.values()) if self._workspace_ready() else []
        for folder in folders:
            path = to_fs_path(folder.uri)
            if path:
                return Path(path)
        root = self.workspace.root_path if self._workspace_ready() else None
        return Path(root) if root else Path.cwd()

    def _workspace_ready(self) -> bool:
        try:
            self.workspace
        except RuntimeError:
            return False
        return True

    def error_once(self, message: str) -> None:
        log.error("%s", message)
        if message not in self._shown:
            self._shown.add(message)
            self.window_show_message(types.ShowMessageParams(type=types.MessageType.Error, message=message))

    # -- checking -------------------------------------------------------------------------
    def path_of(self, uri: str) -> Path:
        if uri_scheme(uri) == "file":
            path = to_fs_path(uri)
            if path:
                return Path(path)
        # an unsaved new buffer: checked with the configuration of the workspace
        return self.root() / (uri.rsplit("/", 1)[-1] or "untitled.py")

    def schedule(self, uri: str) -> None:
        """Lint ``uri`` now if it was not linted during the last ``lintDelay``; else once at the end of it.

        An edit after a pause is linted at once; a burst of keystrokes is linted once per delay,
        always with its last text.
        """
        if uri in self._scheduled:
            return
        delay = self.settings_for(self.path_of(uri)).lint_delay / 1000
        wait = max(0.0, self._last_lint.get(uri, float("-inf")) + delay - time.monotonic())
        loop = asyncio.get_running_loop()
        self._scheduled[uri] = loop.call_later(wait, self._lint_scheduled, uri)

    def _lint_scheduled(self, uri: str) -> None:
        self._scheduled.pop(uri, None)
        self.lint(uri)

    def forget(self, uri: str) -> None:
        handle = self._scheduled.pop(uri, None)
        if handle is not None:
            handle.cancel()
        self.linted.pop(uri, None)
        self._last_lint.pop(uri, None)
        for checks in self._checks.values():
            checks.forget(str(self.path_of(uri)))

    def lint(self, uri: str) -> Optional[Linted]:
        """Check the document's current text and publish what was found; never raises."""
        handle = self._scheduled.pop(uri, None)
        if handle is not None:
            handle.cancel()
        self._last_lint[uri] = time.monotonic()
        try:
            document = self.workspace.get_text_document(uri)
            linted = self._check(uri, document.version, document.source, document.language_id)
        except Exception as error:  # the server outlives any bug in a document's check
            log.exception("checking %s failed", uri)
            self.error_once(f"svcmod: internal error while checking {uri}: {type(error).__name__}: {error}")
            return None
        if linted is None:
            self.linted.pop(uri, None)
            self.publish(uri, None, [])
            return None
        self.linted[uri] = linted
        self.publish(uri, linted.version, [self.diagnostic(linted, finding) for finding in linted.result.findings])
        return linted

    def _check(self, uri: str, version: Optional[int], source: str, language: Optional[str]) -> Optional[Linted]:
        if not (language == "python" or uri.endswith((".py", ".pyi"))):
            return None
        path = self.path_of(uri)
        if not self.settings_for(path).enable:
            return None
        text = Text(source)
        started = time.perf_counter()
        checks: Optional[BufferChecks] = None
        try:
            checks = self.checks(path)
            if checks.excluded(path):
                log.debug("%s: excluded by the configuration; not checked", path)
                return None
            result = checks.diagnose(path, str(path), text.encoded())
        except (ConfigError, OSError) as error:
            self.error_once(f"svcmod: configuration error: {error}")
            result = FileResult(str(path))
            result.findings.append(Finding("SVC901", ENGINE_CODES["SVC901"][0],
                                           f"not checked: configuration error: {error}", str(path), 1, 1, 1, 1))
        reused = checks.reused if checks is not None else 0
        whole = ", ".join(sorted(checks.read_whole)) if checks is not None and checks.read_whole else "no rule"
        log.debug("%s: checked version %s in %.1f ms: %d finding(s)%s", path, version,
                  (time.perf_counter() - started) * 1000, len(result.findings),
                  f" ({reused} functions the edit left alone: their findings reused; the whole text read by {whole})"
                  if reused else "")
        return Linted(uri, version, text, path, result)

    def current(self, uri: str) -> Optional[Linted]:
        """What was found in the document's current version, checking it now if it is not known."""
        document = self.workspace.get_text_document(uri)
        linted = self.linted.get(uri)
        if linted is None or linted.version != document.version or linted.text.text != document.source:
            linted = self.lint(uri)
        return linted

    def publish(self, uri: str, version: Optional[int], diagnostics: List[types.Diagnostic]) -> None:
        self.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=diagnostics,
                                                                              version=version))

    # -- findings as the editor shows them ----------------------------------------------------
    def encoding(self) -> str:
        encoding = self.workspace.position_encoding
        return str(getattr(encoding, "value", encoding) or "utf-16")

    def span(self, linted: Linted, finding: Finding) -> Tuple[int, int, int, int]:
        """(line, character, end line, end character) from 0, in characters. A finding of no width
        (the engine's: a syntax error, a file not checked) spans the rest of its line."""
        line, column = finding.line - 1, finding.column - 1
        end_line, end_column = finding.end_line - 1, finding.end_column - 1
        if (line, column) == (end_line, end_column):
            end_column = len(linted.text.line(line))
            if column >= end_column:  # at the end of the line (an unclosed bracket): the whole line
                column = 0
        return line, column, end_line, end_column

    def client_range(self, text: Text, line: int, column: int, end_line: int, end_column: int) -> types.Range:
        encoding = self.encoding()
        return types.Range(
            start=types.Position(line=line, character=to_client(text.line(line), column, encoding)),
            end=types.Position(line=end_line, character=to_client(text.line(end_line), end_column, encoding)))

    def diagnostic(self, linted: Linted, finding: Finding) -> types.Diagnostic:
        # the link `svcmod lint --format json` gives the finding (``url``) and SARIF its rule (``helpUri``)
        href = rule_url(finding.code, finding.name)
        return types.Diagnostic(
            range=self.client_range(linted.text, *self.span(linted, finding)),
            message=finding.message,
            severity=types.DiagnosticSeverity.Error if finding.code in ENGINE_CODES
            else types.DiagnosticSeverity.Warning,
            code=finding.code,
            code_description=types.CodeDescription(href=href) if href else None,
            source="svcmod",
            data={"name": finding.name, "fix": finding.fix_applicability, "fixMessage": finding.fix_message},
        )

    def rule(self, linted: Linted, code: str) -> Any:
        try:
            from svcmod.registry.rules import rules_for
            config = self.checks(linted.path).config_for(linted.path)
            rules = self._rules.get(id(config))
            if rules is None:
                rules = self._rules[id(config)] = {rule.code: rule for rule in rules_for(config)}
            return rules.get(code)
        except (ConfigError, OSError):
            return None

    def findings_in(self, linted: Linted, start: Tuple[int, int], end: Tuple[int, int]) -> List[Finding]:
        """The findings whose span meets the range from ``start`` to ``end`` (lines and characters)."""
        found = []
        for finding in linted.result.findings:
            line, column, end_line, end_column = self.span(linted, finding)
            if (line, column) <= end and start <= (end_line, end_column):
                found.append(finding)
        return found

    def server_position(self, text: Text, position: types.Position) -> Tuple[int, int]:
        return position.line, from_client(text.line(position.line), position.character, self.encoding())

    # -- fixes ----------------------------------------------------------------------------
    def fixable(self, linted: Linted, finding: Finding, unsafe: bool) -> bool:
        if finding.fix_applicability is None or (finding.fix_applicability == "unsafe" and not unsafe):
            return False
        try:
            config = self.checks(linted.path).config_for(linted.path)
        except (ConfigError, OSError):
            return False
        return is_selected(finding.code, config.fixable, config.unfixable)

    def fixed_text(self, linted: Linted, policy: FixPolicy, fixes_at: Optional[FrozenSet[FindingAt]] = None
                   ) -> Optional[str]:
        """The text ``svcmod lint --fix`` would write with ``policy`` (only the fixes of the findings
        ``fixes_at``, when given); None when it would write nothing."""
        result = self.checks(linted.path).check(linted.path, str(linted.path), linted.text.encoded(), policy, fixes_at)
        if result.fixed is None:
            return None
        return linted.text.decoded(result.fixed)

    def fix_of(self, linted: Linted, finding: Finding) -> Optional[str]:
        """The text with ``finding``'s fix made (and what that fix brings about), verified as
        ``svcmod lint --fix`` verifies it: when it is the file's only finding, the bytes
        ``svcmod lint --fix --unsafe-fixes`` writes."""
        key = ("fix", finding.code, finding.line, finding.column)
        if key not in linted.fixes:
            linted.fixes[key] = self.fixed_text(linted, FixPolicy(apply=True, unsafe=True),
                                                frozenset({(finding.code, finding.line, finding.column)}))
        return linted.fixes[key]

    def fix_all(self, linted: Linted) -> Optional[str]:
        unsafe = self.settings_for(linted.path).unsafe_fixes
        key = ("fix-all", unsafe)
        if key not in linted.fixes:
            linted.fixes[key] = self.fixed_text(linted, FixPolicy(apply=True, unsafe=unsafe))
        return linted.fixes[key]

    def edit(self, linted: Linted, made: Sequence[Change]) -> types.WorkspaceEdit:
        edits = []
        for change in made:
            (line, column), (end_line, end_column) = linted.text.position(change.start), linted.text.position(change.end)
            edits.append(types.TextEdit(range=self.client_range(linted.text, line, column, end_line, end_column),
                                        new_text=change.new))
        return types.WorkspaceEdit(document_changes=[types.TextDocumentEdit(
            text_document=types.OptionalVersionedTextDocumentIdentifier(uri=linted.uri, version=linted.version),
            edits=edits)])

    def ignore_change(self, linted: Linted, finding: Finding) -> Optional[Change]:
        """The comment that silences ``finding``: on its first line, else its last (the first may
        end inside a string that runs on)."""
        open_lines = _lines_inside_strings(linted.text.text)
        for line in (finding.line - 1, finding.end_line - 1):
            if line not in open_lines:
                return comment_insertion(linted.text, line, finding.code)
        return None

    # -- code actions -----------------------------------------------------------------------
    def code_actions(self, params: types.CodeActionParams) -> List[Union[types.CodeAction, types.Command]]:
        linted = self.current(params.text_document.uri)
        if linted is None:
            return []
        only = params.context.only

        def wanted(kind: str) -> bool:
            return not only or any(kind == k or kind.startswith(f"{k}.") for k in only)

        lazy = self.resolve_supported()
        actions: List[Union[types.CodeAction, types.Command]] = []
        if wanted(types.CodeActionKind.QuickFix.value):
            start = self.server_position(linted.text, params.range.start)
            end = self.server_position(linted.text, params.range.end)
            for finding in self.findings_in(linted, start, end):
                actions.extend(self.quick_fixes(linted, finding, lazy))
        unsafe = self.settings_for(linted.path).unsafe_fixes
        if wanted(FIX_ALL) and any(self.fixable(linted, f, unsafe) for f in linted.result.findings):
            action = types.CodeAction(
                title=f"svcmod: fix all{' (unsafe fixes included)' if unsafe else ''}",
                kind=FIX_ALL, data={"uri": linted.uri, "version": linted.version, "action": "fix-all"})
            if lazy:
                actions.append(action)
            elif only:  # asked for by its kind (on save): the edit itself
                if self.resolve(action).edit is not None:
                    actions.append(action)
            else:  # in the menu of a client without resolve: made when chosen (seconds in a long file),
                # a command (a code action holding one reads as a command to some clients anyway)
                actions.append(types.Command(title=action.title, command=FIX_ALL_COMMAND, arguments=[action.data]))
        return actions

    def fix_all_command(self, data: Any) -> None:
        """Fix-all chosen from the menu of a client without resolve: its edit sent to be applied."""
        action = self.resolve(types.CodeAction(title="svcmod: fix all", kind=FIX_ALL, data=data))
        if action.edit is not None:
            self.workspace_apply_edit(types.ApplyWorkspaceEditParams(edit=action.edit, label=action.title))

    def quick_fixes(self, linted: Linted, finding: Finding, lazy: bool) -> List[types.CodeAction]:
        diagnostic = self.diagnostic(linted, finding)
        data = {"uri": linted.uri, "version": linted.version, "code": finding.code,
                "line": finding.line, "column": finding.column}
        actions = []
        if self.fixable(linted, finding, unsafe=True):
            unsafe = finding.fix_applicability == "unsafe"
            action = types.CodeAction(
                title=f"{finding.code}: {finding.fix_message or 'fix'}{' (unsafe)' if unsafe else ''}",
                kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic], is_preferred=not unsafe,
                data={**data, "action": "fix"})
            if lazy or self.resolve(action).edit is not None:
                actions.append(action)
        if finding.code not in ENGINE_CODES:
            action = types.CodeAction(title=f"Ignore {finding.code} for this line",
                                      kind=types.CodeActionKind.QuickFix, diagnostics=[diagnostic],
                                      data={**data, "action": "ignore"})
            if lazy or self.resolve(action).edit is not None:
                actions.append(action)
        return actions

    def resolve_supported(self) -> bool:
        capabilities = self.client_capabilities
        text_document = capabilities.text_document if capabilities else None
        code_action = text_document.code_action if text_document else None
        support = code_action.resolve_support if code_action else None
        return bool(support and "edit" in support.properties)

    def resolve(self, action: types.CodeAction) -> types.CodeAction:
        """The action with its edit; without one when the document changed since it was offered."""
        data = action.data if isinstance(action.data, dict) else {}
        uri = data.get("uri")
        if not uri or uri not in self.workspace.text_documents:
            return action
        linted = self.current(uri)
        if linted is None or linted.version != data.get("version"):
            return action
        if data.get("action") == "fix-all":
            new = self.fix_all(linted)
            if new is not None:
                action.edit = self.edit(linted, changes(linted.text, new))
            return action
        finding = next((f for f in linted.result.findings if f.code == data.get("code")
                        and f.line == data.get("line") and f.column == data.get("column")), None)
        if finding is None:
            return action
        if data.get("action") == "fix":
            new = self.fix_of(linted, finding)
            if new is not None:
                action.edit = self.edit(linted, changes(linted.text, new))
        elif data.get("action") == "ignore":
            change = self.ignore_change(linted, finding)
            if change is not None:
                action.edit = self.edit(linted, [change])
        return action

    # -- hover ----------------------------------------------------------------------------
    def hover(self, params: types.HoverParams) -> Optional[types.Hover]:
        linted = self.current(params.text_document.uri)
        if linted is None:
            return None
        at = self.server_position(linted.text, params.position)
        found = self.findings_in(linted, at, at)
        if not found:
            return None
        pages, seen = [], set()
        for finding in found:
            if finding.code in seen:
                continue
            seen.add(finding.code)
            rule = self.rule(linted, finding.code)
            if rule is not None:
                pages.append(rule.documentation())
            else:
                name, summary = ENGINE_CODES.get(finding.code, (finding.name, finding.message))
                pages.append(f"# {finding.code} {name}\n\n{summary}\n")
        first = found[0]
        return types.Hover(contents=types.MarkupContent(kind=types.MarkupKind.Markdown, value="\n---\n\n".join(pages)),
                           range=self.client_range(linted.text, *self.span(linted, first)))


def _lines_inside_strings(source: str) -> Set[int]:
    """Lines (from 0) whose end is inside a string running on to the next line: a comment cannot go there."""
    inside: Set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.start[0] < token.end[0] and token.type != tokenize.NL and token.type != tokenize.NEWLINE:
                inside.update(range(token.start[0] - 1, token.end[0] - 1))
    except (tokenize.TokenError, SyntaxError, IndentationError):
        pass
    return inside


class _ClientLog(logging.Handler):
    """svcmod's log records as ``window/logMessage`` notifications: the editor's output panel."""

    def __init__(self, server: SvcmodServer) -> None:
        super().__init__()
        self.server = server

    def emit(self, record: logging.LogRecord) -> None:
        try:
            level = record.levelname.lower()
            kind = _LOG_TYPES.get(level, types.MessageType.Log)
            self.server.window_log_message(types.LogMessageParams(type=kind, message=self.format(record)))
        except Exception:  # a log line is never worth a crash
            pass


def create_server() -> SvcmodServer:
    server = SvcmodServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: SvcmodServer, params: types.InitializeParams) -> None:
        ls.apply_settings(params.initialization_options, "initializationOptions")
        log.info("svcmod %s language server; workspace %s", __version__, ls.root())

    @server.feature(types.INITIALIZED)
    async def initialized(ls: SvcmodServer, params: types.InitializedParams) -> None:
        await ls.pull_settings()
        watched = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
        if watched and watched.dynamic_registration:
            try:
                await ls.client_register_capability_async(types.RegistrationParams(registrations=[types.Registration(
                    id="svcmod-config-files", method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                    register_options=types.DidChangeWatchedFilesRegistrationOptions(
                        watchers=[types.FileSystemWatcher(glob_pattern=glob) for glob in WATCHED_GLOBS]))]))
            except Exception as error:  # the client may refuse: config changes then apply after a save
                log.warning("could not watch configuration files: %s", error)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: SvcmodServer, params: types.DidOpenTextDocumentParams) -> None:
        ls.lint(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: SvcmodServer, params: types.DidChangeTextDocumentParams) -> None:
        ls.schedule(params.text_document.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: SvcmodServer, params: types.DidSaveTextDocumentParams) -> None:
        uri = params.text_document.uri
        if uri.endswith(CONFIG_FILES):
            ls.reload(f"{uri} saved")
            return
        if uri in ls.workspace.text_documents:
            ls.lint(uri)
        if uri.endswith(".py") and uri_scheme(uri) == "file":
            ls.index_changed(ls.path_of(uri))

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: SvcmodServer, params: types.DidCloseTextDocumentParams) -> None:
        ls.forget(params.text_document.uri)
        ls.publish(params.text_document.uri, None, [])

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched_files_changed(ls: SvcmodServer, params: types.DidChangeWatchedFilesParams) -> None:
        configs = [change.uri for change in params.changes if change.uri.endswith(CONFIG_FILES)]
        if configs:
            ls.reload(", ".join(configs) + " changed")  # the index is built again with the rest
            return
        for change in params.changes:
            if change.uri.endswith(".py") and uri_scheme(change.uri) == "file":
                ls.index_changed(ls.path_of(change.uri))

    @server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
    async def configuration_changed(ls: SvcmodServer, params: types.DidChangeConfigurationParams) -> None:
        raw = params.settings
        if not raw and ls.client_capabilities.workspace and ls.client_capabilities.workspace.configuration:
            await ls.pull_settings()  # a client that pulls: the notification says only that something changed
            return
        ls.apply_settings(raw, "workspace settings")

    @server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
    async def folders_changed(ls: SvcmodServer, params: types.DidChangeWorkspaceFoldersParams) -> None:
        ls.reload("workspace folders changed")
        await ls.pull_settings()

    @server.feature(types.TEXT_DOCUMENT_CODE_ACTION, types.CodeActionOptions(
        code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL], resolve_provider=True))
    def code_action(ls: SvcmodServer, params: types.CodeActionParams) -> List[Union[types.CodeAction, types.Command]]:
        return ls.code_actions(params)

    @server.command(FIX_ALL_COMMAND)
    def fix_all_command(ls: SvcmodServer, *arguments: Any) -> None:
        ls.fix_all_command(arguments[0] if arguments else None)

    @server.feature(types.CODE_ACTION_RESOLVE)
    def code_action_resolve(ls: SvcmodServer, action: types.CodeAction) -> types.CodeAction:
        return ls.resolve(action)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: SvcmodServer, params: types.HoverParams) -> Optional[types.Hover]:
        return ls.hover(params)

    return server


def serve() -> None:
    """Run the server on stdin/stdout until the client says exit."""
    server = create_server()
    handler = _ClientLog(server)
    handler.setFormatter(logging.Formatter("%(message)s"))
    svcmod_log = logging.getLogger("svcmod")
    svcmod_log.addHandler(handler)
    svcmod_log.setLevel(logging.INFO)
    svcmod_log.propagate = False
    server.start_io()
