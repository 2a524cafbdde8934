"""SVC301 as users meet it: what is rewritten, what is left as a manual follow-up and why, and the CLI."""
from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from svcmod.check.checker import Checker
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config


def check(code: str, fix: bool = True, select=("SVC301",), unsafe: bool = True):
    checker = Checker(Config(select=tuple(select)), FixPolicy(apply=fix, unsafe=unsafe))
    return checker.check("service.py", textwrap.dedent(code).encode())


def migrated(code: str, **kwargs) -> str:
    result = check(code, **kwargs)
    assert result.fixed is not None, result.findings
    text = result.fixed.decode()
    compile(text, "service.py", "exec")
    again = check(text, **kwargs)
    assert again.fixed is None, "the migrated file is not a fixed point"
    return text


@pytest.mark.parametrize("arguments,reason", [
    ("stop_func=give_up", "stop_func"),
    ("wait_func=backoff", "wait_func"),
    ("stop='stop_after_attempt', stop_max_attempt_number=3", "by string"),
    ("wait='fixed_sleep', wait_fixed=100", "by string"),
    ("**RETRY_POLICY", "**"),
    ("3", "positional"),
    ("wait_fixed=100, wait_random_max=500", "longest"),
    ("wrap_exception=True, retry_on_exception=is_io_error", "wrap_exception"),
    ("wrap_exception=WRAP", "wrap_exception"),
    ("before_attempts=log_attempt", "before_attempts"),
    ("logger=log", "logger"),
    ("stop_max_attemps=3", "unknown keyword 'stop_max_attemps'"),
    ("retry_on_exception=make_predicate()", "predicate or a tuple"),
    ("retry_on_exception=IOError", "write retry_on_exception=(IOError,)"),
])
def test_what_cannot_be_mapped_is_reported_with_the_reason_and_left_alone(arguments, reason):
    code = f"from retrying import retry\n\n@retry({arguments})\ndef fetch():\n    pass\n"
    result = check(code)
    assert result.fixed is None
    assert [f.code for f in result.findings] == ["SVC301"]
    finding = result.findings[0]
    assert finding.fix_applicability is None
    assert "cannot be migrated" in finding.message and reason in finding.message, finding.message
    assert (finding.line, finding.column) == (3, 2)


def test_a_retried_coroutine_is_left_for_a_person():
    result = check("import retrying\n\n@retrying.retry\nasync def fetch():\n    pass\n")
    assert result.fixed is None
    assert "coroutine" in result.findings[0].message


def test_retrying_objects_that_escape_are_left_alone():
    code = """\
    from retrying import Retrying

    def policy():
        return Retrying(stop_max_attempt_number=3)

    @something
    def fetch():
        return policy().call(read)
    """
    result = check(code)
    assert result.fixed is None
    assert "other than through .call" in result.findings[0].message


def test_a_rebound_retrying_object_is_left_alone():
    code = """\
    from retrying import Retrying
    retryer = Retrying(stop_max_attempt_number=3)
    if FAST:
        retryer = make_other()
    retryer.call(read)
    """
    assert check(code).fixed is None


def test_a_star_import_is_left_for_a_person():
    result = check("from retrying import *\n\n@retry(stop_max_attempt_number=3)\ndef f():\n    pass\n")
    assert result.fixed is None
    assert [(f.line, "import *" in f.message) for f in result.findings] == [(1, True)]


def test_retrying_objects_move_together_or_not_at_all():
    code = """\
    from retrying import Retrying, retry
    fast = Retrying(stop_max_attempt_number=2)
    custom = Retrying(stop_func=give_up)

    @retry(wait_fixed=100)
    def fetch():
        return fast.call(read) or custom.call(read)
    """
    text = migrated(code)
    assert "fast = Retrying(stop_max_attempt_number=2)" in text and "fast.call(read)" in text
    assert "@tenacity.retry(wait=tenacity.wait_fixed(0.1), reraise=True)" in text
    messages = [f.message for f in check(text, fix=False).findings]
    assert len(messages) == 2 and "another Retrying object" in messages[0] and "stop_func" in messages[1]


def test_other_names_of_the_module_are_follow_ups():
    result = check("import retrying\nprint(retrying.MAX_WAIT)\n")
    assert result.fixed is None
    assert "no tenacity twin" in result.findings[0].message


def test_a_file_with_some_unmappable_uses_migrates_the_rest_beside_the_old_import():
    text = migrated("""\
    from retrying import retry

    @retry(stop_max_attempt_number=3, wait_fixed=500)
    def a():
        pass

    @retry(stop_func=give_up)
    def b():
        pass
    """)
    assert "from retrying import retry\n" in text
    assert "import tenacity\n" in text
    assert "@tenacity.retry(\n    stop=tenacity.stop_after_attempt(3), wait=tenacity.wait_fixed(0.5), reraise=True\n)" \
        in text
    assert "@retry(stop_func=give_up)" in text
    remaining = check(text, fix=False).findings
    assert [(f.code, f.line) for f in remaining] == [("SVC301", 10)]  # the decorator above is now 3 lines


def test_a_file_catching_retry_error_is_migrated_whole_or_not_at_all():
    code = """\
    from retrying import retry, RetryError

    @retry(stop_max_attempt_number=3)
    def a():
        pass

    @retry(wait_func=backoff)
    def b():
        pass

    try:
        a()
    except RetryError:
        pass
    """
    result = check(code)
    assert result.fixed is None
    assert len(result.findings) == 3  # both decorators and the RetryError reference


def test_an_unused_import_is_rewritten():
    assert migrated("import os, retrying\n") == "import os, tenacity\n"


def test_every_import_style_in_one_file():
    text = migrated("""\
    import retrying
    import retrying as rt
    from retrying import retry as retried, RetryError

    def work():
        from retrying import Retrying
        return Retrying(stop_max_attempt_number=2).call(read)

    @retrying.retry(wait_fixed=1000)
    def a():
        pass

    @rt.retry(stop_max_delay=1500)
    def b():
        pass

    @retried(wait_random_min=10)
    def c():
        try:
            pass
        except (RetryError, retrying.RetryError):
            pass
    """)
    assert "retrying" not in text
    assert "import tenacity\nimport tenacity as rt\nfrom tenacity import retry as retried, RetryError, stop_after_attempt, wait_random\n" in text
    assert "    from tenacity import Retrying\n" in text
    assert "return Retrying(stop=stop_after_attempt(2), reraise=True)(read)" in text
    assert "@tenacity.retry(wait=tenacity.wait_fixed(1), reraise=True)" in text
    assert "@rt.retry(stop=rt.stop_after_delay(1.5), reraise=True)" in text
    assert "@retried(wait=wait_random(0.01, 1), reraise=True)" in text
    assert "except (RetryError, tenacity.RetryError):" in text


def test_tenacity_retry_is_never_touched():
    code = """\
    from tenacity import retry as t_retry
    from retrying import retry

    @t_retry(stop=STOP)
    def a():
        pass

    @retry(stop_max_attempt_number=2)
    def b():
        pass
    """
    text = migrated(code)
    assert "@t_retry(stop=STOP)" in text
    assert "@retry(stop=stop_after_attempt(2), reraise=True)" in text
    assert "from tenacity import retry as t_retry\nfrom tenacity import retry, stop_after_attempt\n" in text


def test_each_use_is_a_finding_of_one_atomic_fix():
    code = """\
    from retrying import retry, Retrying

    @retry(stop_max_attempt_number=3)
    def a():
        pass

    retryer = Retrying(wait_fixed=10)

    def b():
        return retryer.call(a)
    """
    findings = check(code, fix=False).findings
    assert [(f.code, f.line, f.fix_applicability) for f in findings] == [("SVC301", 3, "unsafe"), ("SVC301", 7, "unsafe")]
    result = check(code)
    assert [e.code for e in result.edits] == ["SVC301", "SVC301"]
    assert "return retryer(a)" in result.fixed.decode()


def test_a_fix_of_another_rule_inside_the_migration_waits_a_round_and_both_land():
    code = """\
    import requests
    from retrying import Retrying

    retryer = Retrying(stop_max_attempt_number=3)

    def fetch(url):
        return retryer.call(lambda: requests.get(url))
    """
    text = migrated(code, select=("SVC101", "SVC301"), unsafe=True)
    assert "return retryer(lambda: requests.get(url, timeout=10))" in text
    assert "retryer = Retrying(stop=stop_after_attempt(3), reraise=True)" in text


def test_svcmod_lint_fix_migrates_a_file_and_a_second_run_changes_nothing(tmp_path: Path):
    service = tmp_path / "service.py"
    service.write_text("import retrying\n\n@retrying.retry(stop_max_attempt_number=3, wait_exponential_multiplier=500)\n"
                       "def fetch():\n    return 1\n")
    command = [sys.executable, "-m", "svcmod", "lint", "--fix", "--unsafe-fixes", "--select", "SVC301", str(service)]
    first = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert service.read_text() == ("import tenacity\n\n@tenacity.retry(\n    stop=tenacity.stop_after_attempt(3),\n"
                                   "    wait=tenacity.wait_exponential(multiplier=1),\n    reraise=True,\n)\n"
                                   "def fetch():\n    return 1\n")
    before = service.read_bytes()
    second = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert second.returncode == 0 and service.read_bytes() == before
    report = subprocess.run([sys.executable, "-m", "svcmod", "lint", "--select", "SVC301",
                             str(service)], capture_output=True, text=True, cwd=tmp_path)
    assert report.returncode == 0, report.stdout


def test_comments_among_the_arguments_are_kept():
    text = migrated("""\
    from retrying import retry

    class Client:
        @retry(
            # agreed with SRE
            stop_max_attempt_number=4,  # attempts
            wait_fixed=250  # ms
        )
        def fetch(self):
            pass
    """)
    assert ("    @retry(\n        # agreed with SRE\n        # attempts\n"
            "        stop=stop_after_attempt(4),\n        wait=wait_fixed(0.25),\n        reraise=True  # ms\n    )\n") in text


def test_retrying_cannot_retry_on_an_exception_class_given_alone():
    """Why ``retry_on_exception=IOError`` is left for a person: retrying (1.4) calls a class as a
    predicate, and its ``reject |= IOError(error)`` fails with TypeError at the first error."""
    retrying = pytest.importorskip("retrying")
    attempts = []

    @retrying.retry(retry_on_exception=IOError, stop_max_attempt_number=3)
    def fetch():
        attempts.append(1)
        raise IOError("down")

    with pytest.raises(TypeError):
        fetch()
    assert len(attempts) == 1


@pytest.mark.parametrize("prelude,expected", [
    # the file's own IOError is a tuple: retried on as one
    ("IOError = (ConnectionError, TimeoutError)\n\n", "retry=retry_if_exception_type(IOError)"),
])
def test_an_exception_class_name_the_file_rebinds_is_migrated(prelude, expected):
    text = migrated(f"from retrying import retry\n{prelude}\n"
                    "@retry(retry_on_exception=IOError, stop_max_attempt_number=3)\ndef fetch():\n    pass\n")
    assert expected in text, text


@pytest.mark.parametrize("prelude,value,said", [
    ("import requests\n", "requests.exceptions.ConnectionError", "is an exception class"),
    ("import requests\n", "requests.ConnectionError", "is an exception class"),
    ("from requests.exceptions import ConnectionError as Down\n", "Down", "is an exception class"),
    ("from redis import exceptions\n", "exceptions.BusyLoadingError", "is an exception class"),
    ("import socket\n", "socket.timeout", "is an exception class"),
    ("class Busy(Exception):\n    pass\n", "Busy", "is an exception class"),
    ("from .errors import TransientError\n", "TransientError", "looks like an exception class"),
    ("import billing\n", "billing.PaymentFailure", "looks like an exception class"),
    # a star import may bind IOError to anything, but it is almost surely still the class
    ("from errors import *\n", "IOError", "looks like an exception class"),
])
def test_an_exception_class_from_anywhere_is_left_for_a_person(prelude, value, said):
    """tenacity's retry_if_exception(X) calls X(error), a truthy exception: the old rewrite retried
    every exception after migration, so a class (known, or spelled as one) gets no fix."""
    result = check(f"from retrying import retry\n{prelude}\n"
                   f"@retry(retry_on_exception={value}, stop_max_attempt_number=3)\ndef fetch():\n    pass\n")
    assert result.fixed is None
    [finding] = result.findings
    assert finding.fix_applicability is None
    assert f"retry_on_exception={value} {said}" in finding.message, finding.message
    assert f"write retry_on_exception=({value},), or pass a predicate" in finding.message, finding.message


@pytest.mark.parametrize("prelude,value", [
    ("from policies import is_transient\n", "is_transient"),
    ("import policies\n", "policies.RETRYABLE"),
    ("import policies\n", "policies.should_retry"),
    ("from errors import *\n", "is_transient"),
])
def test_a_value_that_may_be_a_predicate_keeps_the_run_time_choice(prelude, value):
    text = migrated(f"from retrying import retry\n{prelude}\n"
                    f"@retry(retry_on_exception={value}, stop_max_attempt_number=3)\ndef fetch():\n    pass\n")
    assert f"isinstance({value}, tuple)" in text, text


def test_a_tuple_of_library_exception_classes_is_migrated():
    text = migrated("from retrying import retry\nimport requests\n\n"
                    "@retry(retry_on_exception=(requests.exceptions.ConnectionError,), stop_max_attempt_number=3)\n"
                    "def fetch():\n    pass\n")
    assert "retry=retry_if_exception_type((requests.exceptions.ConnectionError,))" in text, text


@pytest.mark.parametrize("condition", ["(IOError, TimeoutError)", "TRANSIENT", "is_transient"])
def test_a_migrated_file_has_no_new_unused_import(condition, tmp_path):
    """pyflakes (F401) on the migrated file: a tuple retry_on_exception needs no retry_if_exception."""
    source = textwrap.dedent(f"""
        from retrying import retry

        TRANSIENT = load_policy("transient")


        def is_transient(error):
            return isinstance(error, IOError)


        @retry(retry_on_exception={condition}, stop_max_attempt_number=3)
        def fetch():
            return 1
    """)
    text = migrated(source)
    path = tmp_path / "service.py"
    path.write_text(text)
    report = subprocess.run([sys.executable, "-m", "pyflakes", str(path)], capture_output=True, text=True)
    assert "imported but unused" not in report.stdout, text + report.stdout


def test_verification_counts_the_unused_imports_a_fix_would_leave():
    from svcmod.check.fixing import unused_imports
    source = b"import os\nfrom tenacity import retry, retry_if_exception\nimport json as j\n" \
             b"__all__ = ['j']\n\n@retry\ndef f(): return os.sep\n"
    assert unused_imports(source) == {"retry_if_exception"}


@pytest.mark.parametrize("imports,expected", [
    ("from retrying import retry\nfrom tenacity import RetryError, before_log\n",
     "from tenacity import RetryError, before_log, retry, stop_after_attempt, wait_fixed\n"),
    ('"""Orders."""\n\nfrom retrying import retry\nfrom tenacity import (\n    RetryError,\n'
     '    before_log,\n)\n',
     '"""Orders."""\n\nfrom tenacity import RetryError, before_log, retry, stop_after_attempt, wait_fixed\n'),
    # an aliased import stays on its own line, as isort keeps it
    ("from retrying import retry as with_retries\nfrom tenacity import RetryError, before_log\n",
     "from tenacity import retry as with_retries, stop_after_attempt, wait_fixed\n"
     "from tenacity import RetryError, before_log\n"),
])
def test_a_file_already_importing_from_tenacity_keeps_one_import_of_it(imports, expected, tmp_path, svcmod):
    decorator = "with_retries" if "with_retries" in imports else "retry"
    body = f"\n\n@{decorator}(stop_max_attempt_number=3, wait_fixed=200)\ndef fetch():\n    return RetryError, before_log\n"
    (tmp_path / "service.py").write_text(imports + body)
    result = svcmod("lint", "--no-cache", "--fix", "--unsafe-fixes", "--select", "SVC301", "service.py", cwd=tmp_path)
    assert result.exit_code == 0, result
    assert (tmp_path / "service.py").read_text() == expected + body.replace(
        "(stop_max_attempt_number=3, wait_fixed=200)", "(stop=stop_after_attempt(3), wait=wait_fixed(0.2), reraise=True)")
