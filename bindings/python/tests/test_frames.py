"""DataFrames: dtypes, and agreement with the ledger's own queries."""

from __future__ import annotations

import sys

import pandas as pd
import pytest

import custodia

from conftest import BASE_EVENTS, Base

UTC_NS = "datetime64[ns, UTC]"


def test_events_frame(reader: custodia.Ledger, base: Base) -> None:
    df = reader.to_pandas()
    assert list(df.columns) == ["index", "id", "kind", "at", "actor"]
    assert len(df) == BASE_EVENTS
    assert str(df["index"].dtype) == "int64"
    assert str(df["at"].dtype) == UTC_NS
    assert isinstance(df["kind"].dtype, pd.CategoricalDtype)
    assert list(df["id"]) == [e["id"] for e in base.events]
    assert df["at"].iloc[0] == pd.Timestamp(base.events[0]["at"])
    assert df["kind"].value_counts()["destruction"] == sum(
        e["kind"] == "destruction" for e in base.events
    )
    part = reader.to_pandas("events", start=100, stop=110)
    assert list(part["index"]) == list(range(100, 110))


def test_balances_and_stock_frames(reader: custodia.Ledger) -> None:
    balances = reader.to_pandas("balances")
    assert str(balances["units"].dtype) == "int64"
    assert balances["units"].sum() == sum(b["units"] for b in reader.balances())
    lines = reader.to_pandas("stock_on_hand")
    assert str(lines["units"].dtype) == "int64" and str(lines["neq_mg"].dtype) == "int64"
    totals = reader.to_pandas("stock_totals")
    division = lambda df: df["hazard_division"].astype(object).fillna("items")
    by_site = lines.assign(d=division(lines)).groupby(["site", "d"], observed=True)["units"].sum()
    for site, d, units in zip(totals["site"], division(totals), totals["units"]):
        assert by_site[(site, d)] == units
    assert totals["units"].sum() == lines["units"].sum()


def test_destructions_and_authorisations_frames(reader: custodia.Ledger) -> None:
    d = reader.to_pandas("destructions")
    s = reader.summary()
    assert str(d["at"].dtype) == UTC_NS and str(d["units"].dtype) == "int64"
    assert d.loc[d["kind"] == "lot", "units"].sum() == s["units_destroyed"]
    assert (d["kind"] == "item").sum() == s["items_destroyed"]
    assert (d["witnesses"] >= 2).all()
    a = reader.to_pandas("authorisations")
    assert set(d["authorisation"]) <= set(a["id"])
    authorised = a.groupby("stock")["units"].sum()
    destroyed = d.groupby("stock")["units"].sum()
    assert (destroyed <= authorised.reindex(destroyed.index)).all()


def test_transfers_frame(reader: custodia.Ledger, base: Base) -> None:
    t = reader.to_pandas("transfers")
    dispatches = [e for e in base.events if e["kind"] == "transfer_dispatch"]
    assert t["dispatch_id"].nunique() == len(dispatches)
    assert str(t["dispatched_at"].dtype) == UTC_NS and str(t["received_at"].dtype) == UTC_NS
    assert str(t["units_sent"].dtype) == "int64" and str(t["units_received"].dtype) == "int64"
    received = t[t["status"] == "received"]
    assert (received["received_at"] >= received["dispatched_at"]).all()
    open_ = t[t["status"] == "in_transit"]
    assert open_["received_at"].isna().all() and (open_["units_received"] == 0).all()
    assert open_["dispatch_id"].nunique() == reader.summary()["open_transfers"]


def test_stock_history_ends_at_stock_on_hand(reader: custodia.Ledger) -> None:
    h = reader.stock_history()
    assert str(h["at"].dtype) == UTC_NS and str(h["units"].dtype) == "int64"
    assert h["at"].is_monotonic_increasing
    last = h[h["at"] == h["at"].max()]
    totals = reader.to_pandas("stock_totals")
    key = lambda df: sorted(
        zip(df["site"].astype(str), df["hazard_division"].astype(object).fillna("items"), df["units"])
    )
    assert key(last) == key(totals)
    hourly = reader.stock_history(every_seconds=3600)
    assert hourly["at"].nunique() > h["at"].nunique()


def test_unknown_table_is_a_usage_error(reader: custodia.Ledger) -> None:
    with pytest.raises(custodia.UsageError) as e:
        reader.to_pandas("everything")
    assert e.value.field == "what"
    assert "transfers" in e.value.message


def test_missing_pandas_names_the_extra(reader: custodia.Ledger, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ModuleNotFoundError) as e:
        reader.to_pandas("events")
    assert "pip install 'custodia[pandas]'" in str(e.value)
    with pytest.raises(ImportError):
        reader.stock_history()
