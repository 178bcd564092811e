"""A ledger in use by another writer: another process holds SQLite's write lock (`BEGIN
IMMEDIATE`) on the file. The append waits out the ledger's busy timeout (10 s) in the
background while the rest of the suite runs (see `conftest.BusyScenario`), then fails with
`StorageError` (`Busy`), naming the file, and writes nothing."""

from __future__ import annotations

import custodia

from conftest import BusyScenario


def test_a_ledger_held_by_another_writer(busy: BusyScenario) -> None:
    busy.finish()
    assert isinstance(busy.error, custodia.StorageError), busy.error
    assert busy.error.name == "Busy" and busy.error.code == 8005
    assert busy.error.values["path"] == str(busy.path)
    assert "another process is writing" in busy.error.message
    assert busy.elapsed >= 5.0  # it waited for the other writer before giving up
    with custodia.Ledger.open(busy.path) as ledger:
        assert len(ledger) == 20
        assert ledger.verify().ok
    # Once the other writer is gone, the same append succeeds.
    with custodia.Ledger.open(busy.path, busy.key) as ledger:
        assert ledger.append(busy.next_event)["ledger_len"] == 21
