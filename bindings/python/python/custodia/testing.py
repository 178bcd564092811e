"""Synthetic data for examples and tests: a deterministic, valid, signed history of a
national stockpile (depots, ammunition lots, weapons, transfers, stock checks, thefts, splits
and witnessed destruction campaigns). The same seed (and start) gives the same events, byte for
byte. The first simulated day is ``start`` (``'YYYY-MM-DD'``, default 2026-01-01): about 150
events fall on a simulated day and a ledger refuses events dated more than a day after its
clock, so more than about 50,000 events need an earlier start (``start='2015-01-01'`` holds
about 640,000 before December 2026).
"""

from __future__ import annotations

import os
from typing import Iterator, Optional, Union

from ._custodia import Key, Ledger, Synth

__all__ = ["Synth", "synthetic_events", "demo_ledger", "SYNTH_ADMIN"]

#: The administrator of every synthetic ledger (its key: ``Synth(seed).key(SYNTH_ADMIN)``).
SYNTH_ADMIN = "agency:ministry-of-defence"


def synthetic_events(
    n: int, seed: int = 7, *, chunk_size: int = 4096, start: Optional[str] = None
) -> Iterator[str]:
    """Yields ``n`` signed synthetic events as JSON lines, generated ``chunk_size`` at a time,
    the first on the day ``start`` (``'YYYY-MM-DD'``; default 2026-01-01)."""
    if chunk_size <= 0:
        raise ValueError("chunk_size must be positive")
    synth = Synth(seed, start=start)
    left = n
    while left > 0:
        take = min(left, chunk_size)
        yield from synth.take(take)
        left -= take


def demo_ledger(
    path: Union[str, "os.PathLike[str]", None] = None,
    events: int = 20_000,
    seed: int = 7,
    *,
    key: Optional[Key] = None,
    start: Optional[str] = None,
) -> Ledger:
    """A ledger holding ``events`` synthetic events: a new file at ``path`` (refused if it
    exists), or in memory. ``key`` is its log key (generated when not given: pass your own to
    append to the file after reopening it); ``start`` the first simulated day, as for
    ``Synth``."""
    key = Key.generate() if key is None else key
    ledger = Ledger.in_memory(key) if path is None else Ledger.create(path, key)
    try:
        Synth(seed, start=start).append_to(ledger, events)
    except BaseException:
        ledger.close()
        raise
    return ledger
