"""The progress bar: on a terminal it is drawn on stderr; piped, stderr has no bar at all."""
from __future__ import annotations

import os
import pty
import subprocess

from conftest import svcmod_executable, write

CALL = "import requests\nrequests.get(url, timeout=1)\n"


def test_progress_bar_on_a_terminal_only(tmp_path):
    for index in range(40):
        write(tmp_path, {f"pkg/m{index:02}.py": CALL})
    controller, terminal = pty.openpty()
    try:
        process = subprocess.Popen([svcmod_executable(), "lint", "--no-cache", "."], cwd=tmp_path,
                                   stdout=subprocess.PIPE, stderr=terminal,
                                   env={**os.environ, "COLUMNS": "100", "TERM": "xterm"})
        os.close(terminal)
        drawn = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closed: svcmod exited
                break
            if not chunk:
                break
            drawn += chunk
        assert process.wait(timeout=120) == 0
    finally:
        os.close(controller)
    text = drawn.decode("utf-8", "replace")
    assert "Checking" in text and "/40" in text, text
    assert "All checks passed (40 files)." in text

    piped = subprocess.run([svcmod_executable(), "lint", "--no-cache", "."], cwd=tmp_path, capture_output=True,
                           text=True, timeout=120)
    assert piped.returncode == 0
    assert piped.stderr == "All checks passed (40 files).\n"
