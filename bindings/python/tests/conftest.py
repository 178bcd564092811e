"""Shared fixtures: a synthetic ledger file built once per session (copied for tests that
write), the log key, the synthetic actors' keys, the repository's example plugins."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest

import custodia
from custodia.testing import SYNTH_ADMIN, Synth

REPO = Path(os.environ.get("CUSTODIA_REPO", Path(__file__).resolve().parents[3]))
PLUGINS = Path(os.environ.get("CUSTODIA_PLUGINS_DIR", REPO / "target" / "plugins"))
RULE_CRATES = REPO / "plugins" / "rules"
SEED = 11
#: Events in the session's synthetic ledger: enough for every event kind, splits, thefts
#: and destruction campaigns.
BASE_EVENTS = 1500


class Base:
    """The session's synthetic ledger: its file (closed), log key and events."""

    def __init__(self, path: Path, key: custodia.Key, events: List[Dict[str, Any]], synth: Synth):
        self.path = path
        self.key = key
        self.events = events[:BASE_EVENTS]
        #: The event the generator makes next: valid after the base ledger's last.
        self.next = events[BASE_EVENTS]
        self.synth = synth


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory) -> Base:
    path = tmp_path_factory.mktemp("base") / "base.ledger"
    key = custodia.Key.generate()
    synth = Synth(SEED)
    events = synth.events(BASE_EVENTS + 1)
    with custodia.Ledger.create(path, key) as ledger:
        ledger.append(events[:BASE_EVENTS])
    return Base(path, key, events, synth)


@pytest.fixture
def ledger_copy(base: Base, tmp_path: Path) -> Iterator[custodia.Ledger]:
    """A writable copy of the session's ledger."""
    path = tmp_path / "copy.ledger"
    shutil.copyfile(base.path, path)
    with custodia.Ledger.open(path, base.key) as ledger:
        yield ledger


@pytest.fixture
def reader(base: Base) -> Iterator[custodia.Ledger]:
    """The session's ledger, read-only."""
    with custodia.Ledger.open(base.path) as ledger:
        yield ledger


@pytest.fixture(scope="session")
def keys(base: Base) -> Callable[[str], custodia.Key]:
    """The signing key of a synthetic actor."""

    def key_of(actor: str) -> custodia.Key:
        key = base.synth.key(actor)
        assert key is not None, actor
        return key

    return key_of


@pytest.fixture(scope="session")
def admin_key(keys: Callable[[str], custodia.Key]) -> custodia.Key:
    return keys(SYNTH_ADMIN)


@pytest.fixture(scope="session")
def plugins_dir() -> Path:
    if not any(PLUGINS.glob("*.json")):
        pytest.fail(f"no plugins in {PLUGINS}: run scripts/build-plugins.sh first")
    return PLUGINS


def state(ledger: custodia.Ledger) -> tuple:
    """What must not change when an append is refused: length and Merkle root."""
    head = ledger.head()
    return (len(ledger), head["size"], head["root"])


LATE = "2026-06-01T00:00:00Z"


def unsigned_item_registration(item: str = "item:test-pistol-1", origin: str = "seized",
                               **marking: Any) -> Dict[str, Any]:
    """An unsigned registration of one pistol (seized unless `origin` says otherwise) at depot 01,
    after the synthetic events."""
    mark = {"manufacturer": "FN Herstal", "country_of_manufacture": "BE", "serial": "TP-0001"}
    mark.update(marking)
    mark = {k: v for k, v in mark.items() if v is not None}
    return {
        "kind": "register_items",
        "at": LATE,
        "actor": "unit:log-bn-1",
        "site": "depot:01",
        "custodian": "unit:log-bn-1",
        "origin": {"kind": origin, "reference": "CASE-TEST-1"},
        "items": [{"id": item, "category": "firearm", "type": "pistol", "marking": mark}],
    }


# ---- a second writer, for the busy-ledger test -----------------------------------------------
#
# The ledger waits up to 10 s for another writer before it gives up with `Busy`. To keep the
# suite fast, the wait runs in the background from the start of the session, while the other
# tests run (the append releases the GIL while SQLite waits), and `test_busy.py` collects the
# outcome at the end.

HOLDER = """
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None)
c.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
sys.stdin.readline()
c.execute("ROLLBACK")
"""


class BusyScenario:
    def __init__(self, directory: Path):
        self.path = directory / "busy.ledger"
        self.key = custodia.Key.generate()
        synth = Synth(SEED)
        with custodia.Ledger.create(self.path, self.key) as ledger:
            ledger.append(synth.take(20))
        self.next_event = synth.take(1)
        self.holder = subprocess.Popen(
            [sys.executable, "-c", HOLDER, str(self.path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.holder.stdout is not None
        assert self.holder.stdout.readline().strip() == "locked"
        self.error: Optional[BaseException] = None
        self.elapsed = 0.0
        self.thread = threading.Thread(target=self._append, daemon=True)
        self.thread.start()

    def _append(self) -> None:
        import time

        start = time.monotonic()
        try:
            with custodia.Ledger.open(self.path, self.key) as ledger:
                ledger.append(self.next_event)
        except BaseException as e:  # noqa: BLE001 - the test inspects it
            self.error = e
        self.elapsed = time.monotonic() - start

    def finish(self, timeout: float = 60.0) -> None:
        self.thread.join(timeout)
        if self.holder.poll() is None:
            assert self.holder.stdin is not None
            self.holder.stdin.write("\n")
            self.holder.stdin.flush()
            self.holder.wait(10)


_busy: Optional[BusyScenario] = None


def pytest_collection_modifyitems(session: pytest.Session, config: Any, items: List[Any]) -> None:
    # The busy-ledger test collects a wait that started with the session: last, so that the
    # wait overlaps the rest of the suite.
    items.sort(key=lambda item: "test_busy" in item.nodeid)


def pytest_collection_finish(session: pytest.Session) -> None:
    global _busy
    if any("test_busy" in item.nodeid for item in session.items):
        import tempfile

        _busy = BusyScenario(Path(tempfile.mkdtemp(prefix="custodia-busy-")))


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if _busy is not None:
        _busy.finish()
        shutil.rmtree(_busy.path.parent, ignore_errors=True)


@pytest.fixture
def busy() -> BusyScenario:
    if _busy is None:
        pytest.fail("the busy scenario did not start")
    return _busy


def sqlite_tamper(path: Path, sql: str, *params: Any) -> None:
    """Changes a ledger file behind custodia's back."""
    with sqlite3.connect(path) as c:
        c.execute(sql, params)
