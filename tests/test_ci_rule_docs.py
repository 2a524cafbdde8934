"""Every code's documentation link leads to a real place in svcmod's own docs (issue 18, case 5):
SARIF ``helpUri``, JSON ``url`` and the editor's code link, all made from one base URL."""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

from conftest import REPO, write

import svcmod
from svcmod.outputs.rule_docs import rule_url
from svcmod.outputs.sarif import help_uri
from svcmod.registry.rules import builtin_rules

DOCS = f"{svcmod.HOMEPAGE}/blob/v{svcmod.__version__}/README.md#"


def readme_ids() -> set:
    text = (REPO / "README.md").read_text()
    ids = set(re.findall(r'<a id="([^"]+)"></a>', text))
    # GitHub's heading anchors: lower case, spaces to dashes, punctuation dropped
    ids.update(re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
               for heading in re.findall(r"^#{1,6} (.+)$", text, flags=re.MULTILINE))
    return ids


def test_every_rule_links_to_its_own_row_of_the_readme():
    ids = readme_ids()
    for rule in builtin_rules():
        url = help_uri(rule)  # what SARIF and the language server link
        assert url == rule_url(rule.code, rule.name) == DOCS + rule.code.lower(), url
        assert rule.code.lower() in ids, f"{rule.code}: README.md has no anchor for {url}"
    for code in ("SVC901", "SVC902", "SVC401", "SVC499"):
        assert rule_url(code, "x").split("#")[1] in ids, code


def test_project_urls_and_the_constant_agree():
    urls = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["urls"]
    assert urls["Homepage"] == svcmod.HOMEPAGE
    assert all(url.startswith(svcmod.HOMEPAGE) for url in urls.values()), urls


def test_outputs_link_each_code_to_its_anchor(svcmod, tmp_path):
    write(tmp_path, {
        "pyproject.toml": """
            [[tool.svcmod.deprecations]]
            code = "SVC401"
            name = "acme.rpc.call"
            replacement = "acme.rpc.v2.invoke"
            """,
        "app.py": "import requests\nimport acme.rpc\n\nrequests.get(u)\nacme.rpc.call('x')\n",
        "broken.py": "def f(:\n",
    })
    sarif = svcmod("lint", "--format", "sarif", "--no-cache", "app.py", "broken.py", cwd=tmp_path)
    rules = json.loads(sarif.stdout)["runs"][0]["tool"]["driver"]["rules"]
    links = {rule["id"]: rule["helpUri"] for rule in rules}
    assert links == {"SVC101": DOCS + "svc101", "SVC401": DOCS + "declared-deprecations",
                     "SVC901": DOCS + "svc901"}
    findings = json.loads(svcmod("lint", "--format", "json", "--no-cache", "app.py", "broken.py", cwd=tmp_path).stdout)
    assert {f["code"]: f["url"] for f in findings} == links
    assert all(url.split("#")[1] in readme_ids() for url in links.values())
