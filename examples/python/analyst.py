"""An analyst's look at a stockpile ledger: stock on hand per site and hazard division, and
two charts (stock levels over time, destruction progress by month).

    python examples/python/analyst.py [LEDGER] [--events N] [--out DIR]

Without LEDGER (or when it does not exist yet), a demo ledger of N synthetic events is built
first (at LEDGER when given). Needs `pip install 'custodia[plot]'` (pandas and matplotlib).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # files only, no display
import matplotlib.pyplot as plt
import matplotlib.ticker
import pandas as pd

import custodia
from custodia.testing import demo_ledger

MILLIGRAMS_PER_KG = 1_000_000


def open_or_build(path: Path | None, events: int) -> custodia.Ledger:
    if path is not None and path.exists():
        return custodia.Ledger.open(path)  # read-only: no log key needed to read
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="custodia-demo-")) / "demo.ledger"
    print(f"building a demo ledger of {events:,} synthetic events at {path} ...")
    return demo_ledger(path, events=events)


def stock_tables(ledger: custodia.Ledger) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Units held, and net explosive quantity (kg), per site and hazard division."""
    totals = ledger.to_pandas("stock_totals")
    # Serialized weapons have no hazard division: show them as their own column.
    totals["hazard_division"] = totals["hazard_division"].cat.add_categories("weapons").fillna("weapons")
    totals["neq_kg"] = totals["neq_mg"] / MILLIGRAMS_PER_KG

    def table(values: str) -> pd.DataFrame:
        t = totals.pivot_table(index="site", columns="hazard_division", values=values,
                               aggfunc="sum", observed=True, fill_value=0)
        t.loc["all sites"] = t.sum()
        return t

    return table("units"), table("neq_kg").drop(columns="weapons", errors="ignore")


def thousands(ax: plt.Axes) -> None:
    """Y tick labels with thousands separators (12,500 rather than 12500)."""
    ax.yaxis.set_major_formatter(matplotlib.ticker.FuncFormatter(lambda y, _: f"{y:,.0f}"))


def chart_stock_levels(ledger: custodia.Ledger, out: Path) -> Path:
    """Net explosive quantity per site, and units held per site for each hazard division."""
    history = ledger.stock_history()  # totals per site and hazard division, end of each day
    history["neq_kg"] = history["neq_mg"] / MILLIGRAMS_PER_KG
    neq = history.pivot_table(
        index="at", columns="site", values="neq_kg", aggfunc="sum", observed=True
    ).fillna(0)
    divisions = sorted(history["hazard_division"].dropna().unique())

    fig, axes = plt.subplots(
        1 + len(divisions), 1, figsize=(10, 3.4 * (1 + len(divisions))), sharex=True,
        constrained_layout=True,
    )
    fig.suptitle("Stock levels over time (end of each day and latest event, UTC)", fontsize=14)
    top = axes[0]
    neq.plot(ax=top, marker=".", linewidth=1.5)
    top.set_title("Net explosive quantity held, per site")
    top.set_ylabel("net explosive quantity (kg)")
    for ax, division in zip(axes[1:], divisions):
        held = history[history["hazard_division"] == division].pivot_table(
            index="at", columns="site", values="units", aggfunc="sum", observed=True
        ).reindex(neq.index).fillna(0)
        held.plot(ax=ax, marker=".", linewidth=1.5)
        ax.set_title(f"Ammunition of UN hazard division {division} held, per site")
        ax.set_ylabel("units held (rounds)")
    for ax in axes:
        thousands(ax)
        ax.set_ylim(bottom=0)
        ax.grid(alpha=0.3)
        ax.legend(title="site", loc="upper left", fontsize=9)
    axes[-1].set_xlabel("date (UTC)")
    path = out / "stock_levels.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def chart_destruction_progress(ledger: custodia.Ledger, out: Path) -> Path:
    """Ammunition and weapons destroyed per month, and ammunition authorised vs destroyed."""
    destroyed = ledger.to_pandas("destructions")
    authorised = ledger.to_pandas("authorisations")

    def month(df: pd.DataFrame, column: str) -> pd.Series:
        return df[column].dt.tz_convert(None).dt.to_period("M").astype(str)

    lots = destroyed[destroyed["kind"] == "lot"].assign(month=lambda d: month(d, "at"))
    items = destroyed[destroyed["kind"] == "item"].assign(month=lambda d: month(d, "at"))
    auth_lots = authorised[authorised["kind"] == "lot"].assign(month=lambda d: month(d, "at"))
    months = sorted(set(lots["month"]) | set(items["month"]) | set(auth_lots["month"]))
    per_method = lots.pivot_table(
        index="month", columns="method", values="units", aggfunc="sum", observed=True
    ).reindex(months).fillna(0)
    weapons = items.groupby("month").size().reindex(months, fill_value=0)
    monthly = pd.DataFrame({
        "authorised": auth_lots.groupby("month")["units"].sum().reindex(months, fill_value=0),
        "destroyed": lots.groupby("month")["units"].sum().reindex(months, fill_value=0),
    })
    outstanding = (monthly["authorised"] - monthly["destroyed"]).cumsum()
    # The last month is partial when the ledger ends before it does.
    last = max(destroyed["at"].max(), authorised["at"].max())
    month_labels = list(months)
    if month_labels and (last + pd.Timedelta(days=1)).month == last.month:
        month_labels[-1] = f"{month_labels[-1]}\n(to {last:%d %b})"

    fig, (left, right) = plt.subplots(1, 2, figsize=(13, 5.5), constrained_layout=True)
    fig.suptitle("Destruction progress by month", fontsize=14)
    x = range(len(months))
    bottom = pd.Series(0.0, index=months)
    for method in per_method.columns:
        left.bar(x, per_method[method], bottom=bottom, label=f"ammunition: {method.replace('_', ' ')}")
        bottom += per_method[method]
    left.set_title("Destroyed per month")
    left.set_xticks(list(x), month_labels)
    left.set_xlabel("month")
    left.set_ylabel("ammunition destroyed (rounds)")
    twin = left.twinx()
    twin.plot(list(x), weapons.values, color="black", marker="o", linewidth=2, label="weapons (right axis)")
    twin.set_ylabel("weapons destroyed (items)")
    twin.set_ylim(bottom=0, top=max(1, weapons.max()) * 1.25)
    left.set_ylim(top=max(1.0, bottom.max()) * 1.25)
    (bars, bar_names), (lines, line_names) = left.get_legend_handles_labels(), twin.get_legend_handles_labels()
    left.legend(bars + lines, bar_names + line_names, loc="upper left", fontsize=9, framealpha=0.95)

    width = 0.38
    right.bar([i - width / 2 for i in x], monthly["authorised"], width, color="tab:gray",
              label="authorised for destruction")
    right.bar([i + width / 2 for i in x], monthly["destroyed"], width, color="tab:red", label="destroyed")
    right.plot(list(x), outstanding, color="black", marker="o", linewidth=2, zorder=3, clip_on=False,
               label="outstanding at month end (authorised, not destroyed)")
    right.set_title("Ammunition authorised vs destroyed per month")
    right.set_xticks(list(x), month_labels)
    right.set_xlabel("month")
    right.set_ylabel("ammunition (rounds)")
    right.set_ylim(bottom=0, top=max(1.0, monthly.to_numpy().max()) * 1.25)
    right.legend(loc="upper right", fontsize=9)
    for ax in (left, right, twin):
        thousands(ax)
    right.grid(alpha=0.3)
    left.grid(alpha=0.3, axis="y")
    path = out / "destruction_progress.png"
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("ledger", nargs="?", type=Path, help="ledger file (built when missing)")
    parser.add_argument("--events", type=int, default=100_000,
                        help="events of the demo ledger (100,000: about ten weeks, a minute to build)")
    parser.add_argument("--out", type=Path, default=Path("analyst-charts"), help="folder for the PNGs")
    args = parser.parse_args(argv)

    with open_or_build(args.ledger, args.events) as ledger:
        report = ledger.verify()
        print(f"{ledger.path}: {report.events:,} events, verified: {'yes' if report.ok else 'NO'}")
        if not report.ok:
            print(f"  first failure: event {report.index} ({report.event_id}): {report.message}")
            return 1
        units, neq = stock_tables(ledger)
        print("\nstock on hand per site and UN hazard division, units (rounds; weapons as items):")
        print(units.to_string(formatters={c: "{:,}".format for c in units.columns}))
        print("\nnet explosive quantity per site and UN hazard division, kg:")
        print(neq.to_string(float_format=lambda x: f"{x:,.1f}"))
        args.out.mkdir(parents=True, exist_ok=True)
        for path in (chart_stock_levels(ledger, args.out), chart_destruction_progress(ledger, args.out)):
            print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
