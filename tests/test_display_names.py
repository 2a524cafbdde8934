"""Findings name a file as the user sees it: relative to the working directory when the file is
below it, links resolved; as given otherwise."""
from __future__ import annotations

from conftest import write

FINDING = "import requests\nrequests.get(url)\n"


def test_a_file_named_by_its_absolute_path_is_shown_relative_or_absolute(tmp_path, svcmod):
    work = tmp_path / "work"
    write(work, {"app.py": FINDING, "pyproject.toml": "[tool.svcmod]\n"})
    write(tmp_path / "elsewhere", {"other.py": FINDING, "pyproject.toml": "[tool.svcmod]\n"})
    (tmp_path / "alias").symlink_to(work, target_is_directory=True)  # a link to the working directory
    (tmp_path / "elsewhere" / "link.py").symlink_to(work / "app.py")  # a file linked from outside it
    result = svcmod("lint", "--no-cache", str(work / "app.py"), str(tmp_path / "elsewhere" / "other.py"),
                    str(tmp_path / "alias" / "app.py"), str(tmp_path / "elsewhere" / "link.py"), cwd=work)
    shown = sorted(line.split(":")[0] for line in result.stdout.splitlines() if "SVC101" in line)
    assert shown == sorted(["app.py", str(tmp_path / "elsewhere" / "other.py"), "../alias/app.py",
                            "../elsewhere/link.py"]), result.stdout
