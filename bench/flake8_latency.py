"""Single-file latency of the flake8 plugin (issue 7: at most 50 ms for a 500-line file).

    python bench/flake8_latency.py [FILE]

Without FILE, a 491-line module is generated: helper functions, and every fourth function a
``requests.get`` without a timeout (19 findings). Prints the first call in the process (imports
and rule set-up included) and the median of 20 further calls, as flake8 makes them: the plugin is
given flake8's own ``ast`` tree and lines.
"""
from __future__ import annotations

import ast
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def generated() -> str:
    parts = ["import requests, subprocess, datetime\n\n"]
    number = 0
    while sum(part.count("\n") for part in parts) < 490:
        number += 1
        if number % 4 == 0:
            parts.append(f"def fetch{number}(url):\n    return requests.get(url)\n\n\n")
        else:
            parts.append(f"def helper{number}(values):\n    total = 0\n    for v in values:\n"
                         f"        total += v * {number}\n    return total\n\n\n")
    return "".join(parts)


def main() -> None:
    source = Path(sys.argv[1]).read_text() if len(sys.argv) > 1 else generated()
    lines = source.splitlines(keepends=True)
    tree = ast.parse(source)
    started = time.perf_counter()
    from svcmod.integrations.flake8_plugin import SvcmodChecker
    found = list(SvcmodChecker(tree, lines, "app.py").run())
    first = time.perf_counter() - started
    times = []
    for _ in range(20):
        started = time.perf_counter()
        list(SvcmodChecker(tree, lines, "app.py").run())
        times.append(time.perf_counter() - started)
    print(f"{len(lines)} lines, {len(found)} findings: first call {first * 1000:.0f} ms, "
          f"then median {statistics.median(times) * 1000:.1f} ms")


if __name__ == "__main__":
    main()
