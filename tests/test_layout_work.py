"""The layout's work follows what a fix changed: a quick fix in a long file lays out the one
statement it rewrote, not every statement of the file (it was ~300 for one fix, 40% of the time
an editor waits for the fix)."""
from __future__ import annotations

import svcmod.check.fixing as fixing
from svcmod.check.checker import Checker
from svcmod.check.policy import FixPolicy
from svcmod.project.config import Config

STANZA = '''
def fetch_{n}(session, url):
    """Fetch one page."""
    response = requests.get(url)
    for attempt in range(3):
        with open(url) as handle:
            handle.read()
    return response.json()
'''
SOURCE = "import requests\n" + "".join(STANZA.format(n=n) for n in range(40))


def test_one_quick_fix_lays_out_the_one_statement_it_changed(monkeypatch):
    laid_out = []

    def counted(original, updated, *args):
        laid_out.append(original)
        return relaid(original, updated, *args)

    relaid = fixing.relaid
    monkeypatch.setattr(fixing, "relaid", counted)
    source = SOURCE.encode()
    checker = Checker(Config(select=("SVC101",)), FixPolicy(apply=True, unsafe=True))
    result = checker.check("service.py", source, fixes_at=frozenset({("SVC101", 21, 16)}))
    assert result.fixed is not None
    assert result.fixed.decode().splitlines()[20] == "    response = requests.get(url, timeout=10)"
    assert len(laid_out) == 1

    laid_out.clear()
    every = Checker(Config(select=("SVC101",)), FixPolicy(apply=True, unsafe=True)).check("service.py", source)
    assert every.fixed is not None and every.fixed.decode().count("timeout=10") == 40
    assert len(laid_out) == 40  # fix-all: one for each statement fixed
