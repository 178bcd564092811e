"""Property tests (hypothesis): events round-trip through Python unchanged, and any single
change to a signed event is refused with the right error family, leaving the ledger as it was."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any, Dict, Iterator, List, Tuple, Union

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import custodia
from custodia.testing import Synth

from conftest import Base, state

Token = Union[str, int]
Path_ = Tuple[Token, ...]

#: Ledgers holding the first k events of the session's ledger; the (k+1)-th is the target.
PREFIXES = (3, 40, 333, 1200)


@pytest.fixture(scope="module")
def prefixes(base: Base) -> Iterator[Dict[int, custodia.Ledger]]:
    ledgers = {}
    for k in PREFIXES:
        ledger = custodia.Ledger.in_memory()
        ledger.append(base.events[:k])
        ledgers[k] = ledger
    yield ledgers
    for ledger in ledgers.values():
        ledger.close()


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**64 - 1), n=st.integers(1, 80), as_text=st.booleans())
def test_events_round_trip_through_python(seed: int, n: int, as_text: bool) -> None:
    lines = Synth(seed).take(n)
    dicts = [json.loads(line) for line in lines]
    with custodia.Ledger.in_memory() as ledger:
        report = ledger.append("\n".join(lines) if as_text else dicts)
        assert [e["id"] for e in report["events"]] == [d["id"] for d in dicts]
        back = ledger.events()
        assert [r["event"] for r in back] == dicts
        # Dicts that came back append again, byte for byte, to a fresh ledger.
        with custodia.Ledger.in_memory() as again:
            again.append([r["event"] for r in back])
            assert again.head()["root"] == ledger.head()["root"]
        assert ledger.verify().ok


def paths(value: Any, prefix: Path_ = ()) -> List[Path_]:
    """Every member and element of a JSON value, containers included, by path."""
    out: List[Path_] = []
    if isinstance(value, dict):
        for k, v in value.items():
            out.append(prefix + (k,))
            out.extend(paths(v, prefix + (k,)))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            out.append(prefix + (i,))
            out.extend(paths(v, prefix + (i,)))
    return out


def get(value: Any, path: Path_) -> Any:
    for t in path:
        value = value[t]
    return value


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


HEX = "0123456789abcdef"

json_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.text(max_size=12)
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=6,
)


@st.composite
def changed(draw: st.DrawFn, old: Any) -> Any:
    """A value different from `old` (as JSON): a small perturbation of the same type, or
    any other JSON value (floats excepted: events hold none)."""
    if isinstance(old, bool):
        candidates = st.one_of(st.just(not old), json_values)
    elif isinstance(old, int):
        candidates = st.one_of(
            st.integers(-3, 3).filter(bool).map(lambda d: old + d), json_values
        )
    elif isinstance(old, str) and old and all(c in HEX for c in old):
        flip = st.tuples(st.integers(0, len(old) - 1), st.sampled_from(HEX)).map(
            lambda t: old[: t[0]] + t[1] + old[t[0] + 1 :]
        )
        candidates = st.one_of(flip, flip, json_values)
    elif isinstance(old, str):
        candidates = st.one_of(
            st.text(max_size=3).map(lambda s: old + s), st.just(old.upper()), json_values
        )
    else:
        candidates = json_values
    new = draw(candidates.filter(lambda v: canonical(v) != canonical(old)))
    return new


@settings(
    max_examples=400,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_any_single_change_to_a_signed_event_is_refused(
    prefixes: Dict[int, custodia.Ledger], base: Base, data: st.DataObject
) -> None:
    k = data.draw(st.sampled_from(PREFIXES), label="prefix")
    ledger = prefixes[k]
    event = base.events[k]
    path = data.draw(st.sampled_from(paths(event)), label="path")
    mutated = copy.deepcopy(event)
    parent = get(mutated, path[:-1])
    how = data.draw(
        st.sampled_from(["replace", "delete"] if isinstance(parent, dict) else ["replace"]),
        label="how",
    )
    if how == "delete":
        del parent[path[-1]]
    else:
        parent[path[-1]] = data.draw(changed(get(event, path)), label="new value")
    assert canonical(mutated) != canonical(event)
    # A changed signature (or key) that is still well-formed is a signature error; anything
    # else changes the content, which no longer hashes to its id, or breaks the format.
    expected = {"input", "signature"} if path[0] == "signatures" else {"input"}
    before = state(ledger)
    as_text = data.draw(st.booleans(), label="as JSON text")
    with pytest.raises(custodia.CustodiaError) as e:
        ledger.append(json.dumps(mutated) if as_text else [mutated])
    assert e.value.family in expected, (path, how, e.value)
    assert type(e.value) is {"input": custodia.InputError, "signature": custodia.SignatureError}[e.value.family]
    assert e.value.index == 0
    assert state(ledger) == before


def test_the_unchanged_events_are_accepted(prefixes: Dict[int, custodia.Ledger], base: Base) -> None:
    """The control for the property above: each target event, unchanged, is valid where the
    property changes it (checked on fresh ledgers, the prefixes stay as they are)."""
    for k in PREFIXES:
        with custodia.Ledger.in_memory() as ledger:
            ledger.append(base.events[: k + 1])
            assert len(ledger) == k + 1
            assert ledger.head()["size"] == k + 1
