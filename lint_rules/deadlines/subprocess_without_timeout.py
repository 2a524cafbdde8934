"""SVC106: waiting on a child process with no time limit."""
from __future__ import annotations

from typing import Dict, List, Sequence

import libcst as cst

from svcmod.lint_rules.deadlines.caller_chose_no_timeout import CallerChoseNoTimeout
from svcmod.rule import UNSAFE, FastPath, FixStep, Invalid, Parts, Rule, Setting, Valid, descendants

#: Functions that run a child to completion; every positional argument goes to ``Popen``, so their
#: timeout can only be a keyword.
RUNNERS = frozenset({"subprocess.run", "subprocess.call", "subprocess.check_call", "subprocess.check_output"})
POPEN = ("subprocess.Popen",)
#: Popen methods → the positional slot of ``timeout``: ``communicate(input=None, timeout=None)``,
#: ``wait(timeout=None)``.
POPEN_METHODS = {"communicate": 1, "wait": 0}
ADVICE = ("waiting on a subprocess without a timeout can block forever: pass the longest it may run as "
          "timeout= (set subprocess-timeout in [tool.svcmod] for svcmod to add one; a network default "
          "is wrong for processes)")


class SubprocessWithoutTimeout(CallerChoseNoTimeout, Rule):
    """Checks for `subprocess` calls and `Popen` waits without `timeout=`.

    ## Why is this bad?
    `subprocess.run`, `call`, `check_call` and `check_output` wait for the child to exit, and
    `Popen.communicate()` / `Popen.wait()` do too: a child that hangs (a stuck network call, a
    prompt waiting for input, a deadlock) hangs the service with it. With `timeout=` the child is
    killed (by `run` and friends) or the wait raises `subprocess.TimeoutExpired`.

    `Popen` objects are followed when their creation is in view (`p = subprocess.Popen(...)`,
    `with subprocess.Popen(...) as p`, `self.proc = subprocess.Popen(...)` in any method). A
    `.wait()` right after `.kill()` (SIGKILL cannot be ignored) or `.communicate()` (which returns
    only once the child exited) on the same process is not reported.
    Calls passing `**kwargs` are skipped, and so are calls in the branch where the caller's own
    timeout is None (`if timeout is None: proc.wait()`).

    ## Fix safety
    How long a child may run has nothing to do with how long a network call may wait (a build, a
    report, a user's script can take minutes), so the network `default-timeout` is not used: the
    fix is offered only once the project sets `subprocess-timeout` (or this rule's `timeout`), and
    adds `timeout=<that>`. Until then the finding comes with that advice and no fix. The fix is
    unsafe: a child that used to run longer is now killed or makes the call raise
    `subprocess.TimeoutExpired`.

    ## References
    - https://docs.python.org/3/library/subprocess.html#subprocess.run
    """

    code = "SVC106"
    name = "subprocess-without-timeout"
    message = "waiting on a subprocess without a timeout can block forever"
    fix_safety = UNSAFE
    fast_path = FastPath(
        imports=("subprocess",),
        parts=Parts(calls=tuple(sorted({name.rsplit(".", 1)[1] for name in RUNNERS} | set(POPEN_METHODS)))),
        sketch=True,
    )
    in_migrations = (FixStep("v2", "deadlines"),)
    options = {"timeout": Setting("subprocess-timeout")}
    examples = (
        # no subprocess-timeout configured: reported, with advice, and no fix
        Invalid("import subprocess\nsubprocess.run(['git', 'fetch'], check=True)\n"),
        Invalid("import subprocess\nsubprocess.run(['git', 'fetch'], check=True)\n",
                fixed="import subprocess\nsubprocess.run(['git', 'fetch'], check=True, timeout=300)\n",
                options={"timeout": 300}),
        Invalid("import subprocess as sp\nout = sp.check_output(cmd, timeout=None)\n",
                fixed="import subprocess as sp\nout = sp.check_output(cmd, timeout=60)\n",
                options={"timeout": 60}),
        Invalid("from subprocess import Popen, PIPE\nproc = Popen(cmd, stdout=PIPE)\nout, err = proc.communicate(data)\n",
                fixed="from subprocess import Popen, PIPE\nproc = Popen(cmd, stdout=PIPE)\n"
                "out, err = proc.communicate(data, timeout=10)\n", options={"timeout": 10}),
        Invalid("import subprocess\nwith subprocess.Popen(cmd) as child:\n    child.wait()\n",
                fixed="import subprocess\nwith subprocess.Popen(cmd) as child:\n    child.wait(timeout=10)\n",
                options={"timeout": 10}),
        Invalid(
            "import subprocess\n\n"
            "class Worker:\n"
            "    def start(self):\n"
            "        self.process = subprocess.Popen(self.command)\n\n"
            "    def stop(self):\n"
            "        self.process.terminate()\n"
            "        self.process.wait()\n",
            fixed="import subprocess\n\n"
            "class Worker:\n"
            "    def start(self):\n"
            "        self.process = subprocess.Popen(self.command)\n\n"
            "    def stop(self):\n"
            "        self.process.terminate()\n"
            "        self.process.wait(timeout=10)\n", options={"timeout": 10}),
        Invalid("import subprocess\nsubprocess.call('make')\nsubprocess.check_call(['make', 'install'])\n",
                fixed="import subprocess\nsubprocess.call('make', timeout=10)\n"
                "subprocess.check_call(['make', 'install'], timeout=10)\n", count=2, options={"timeout": 10}),
        Valid("import subprocess\nsubprocess.run(cmd, timeout=30)\n"),
        Valid("import subprocess\nproc = subprocess.Popen(cmd)\nproc.communicate(None, 5)\nproc.wait(5)\n"),
        Valid("import subprocess\nsubprocess.run(cmd, **options)\n"),
        Valid("import subprocess\nproc = subprocess.Popen(cmd)\nproc.kill()\nproc.wait()\n"),
        Valid("import subprocess\nproc = subprocess.Popen(cmd)\nout, err = proc.communicate(timeout=5)\ncode = proc.wait()\n"),
        Valid("import subprocess\nproc = subprocess.Popen(cmd)\nproc.communicate(timeout=5)\nif proc.wait() != 0:\n    pass\n"),
        Valid("import subprocess\nproc = subprocess.Popen(cmd)\nproc.poll()\n"),
        Valid("import subprocess\n\ndef run(cmd, timeout=None):\n    if timeout is None:\n"
              "        return subprocess.run(cmd)\n    return subprocess.run(cmd, timeout=timeout)\n"),
        Valid("import subprocess, asyncio\n\nasync def main():\n"
              "    proc = await asyncio.create_subprocess_exec('ls')\n    await proc.wait()\n"),
        Valid("import subprocess, threading\ndone = threading.Event()\ndone.wait()\n"),
        Valid("import subprocess\nimport invoke\ninvoke.run('make')\n"),
    )

    def reset(self) -> None:
        #: the statement before each statement, to see ``p.kill()`` / ``p.communicate()`` right before ``p.wait()``
        self.previous: Dict[int, cst.CSTNode] = {}
        #: the statements holding the node being visited, innermost last
        self.statements: List[cst.BaseStatement] = []
        self.reset_caller_choice()

    def visit_IndentedBlock(self, node: cst.IndentedBlock) -> None:
        super().visit_IndentedBlock(node)
        self._remember_order(node.body)

    def visit_Module(self, node: cst.Module) -> None:
        super().visit_Module(node)
        self._remember_order(node.body)

    def _remember_order(self, body: Sequence[cst.BaseStatement]) -> None:
        for before, after in zip(body, body[1:]):
            self.previous[id(after)] = before

    def visit_BaseStatement(self, node: cst.BaseStatement) -> None:
        super().visit_BaseStatement(node)
        self.statements.append(node)

    def leave_BaseStatement(self, node: cst.BaseStatement) -> None:
        super().leave_BaseStatement(node)
        self.statements.pop()

    def visit_Call(self, node: cst.Call) -> None:
        name = self.callee(node)
        if name is None:
            return
        if name in RUNNERS:
            slot = None
        else:
            owner, _, method = name.rpartition(".")
            slot = POPEN_METHODS.get(method)
            if slot is None or owner not in POPEN:
                return
            if method == "wait" and self._ended_just_before(node.func):
                return
        if not self.caller_chose_no_timeout:
            self.report_missing_timeout(node, slot, None if self.config["timeout"] is not None else ADVICE)

    def _ended_just_before(self, func: cst.CSTNode) -> bool:
        """True when the statement right before the one holding ``p.wait()`` calls ``p.kill()`` or
        ``p.communicate()``: the process is gone (or reaped) and the wait returns at once."""
        before = self.previous.get(id(self.statements[-1])) if self.statements else None
        if not isinstance(before, cst.SimpleStatementLine) or not isinstance(func, cst.Attribute):
            return False
        return any(isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                   and call.func.attr.value in ("kill", "communicate") and call.func.value.deep_equals(func.value)
                   for call in descendants(before))
