"""Throughput of the Python package against the same work in Rust through the front door
(examples/facade_baseline.rs), on one synthetic ledger, in one run.

    python bindings/python/bench/bench.py [--events 100000] [--ledger PATH]

Build both in release first: `pip install ./bindings/python[pandas]` and
`cargo build --release -p custodia-python --example facade_baseline`.
"""

from __future__ import annotations

import argparse
import datetime
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import custodia
from custodia.testing import demo_ledger

ROOT = Path(__file__).resolve().parents[3]


def best_of(n: int, f) -> float:
    times = []
    for _ in range(n):
        start = time.perf_counter()
        f()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--ledger", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, default=ROOT / "target" / "release" / "examples" / "facade_baseline")
    args = parser.parse_args()

    path = args.ledger or Path(tempfile.mkdtemp(prefix="custodia-bench-")) / "bench.ledger"
    if not path.exists():
        start = time.perf_counter()
        # About 150 events fall on a simulated day and a ledger refuses events dated after its
        # clock: start early enough for the last one to be in the past.
        first_day = datetime.date.today() - datetime.timedelta(days=args.events // 100 + 1)
        demo_ledger(path, events=args.events, start=first_day.isoformat()).close()
        print(f"built {args.events:,} events in {time.perf_counter() - start:.1f} s: {path}")

    rust = [json.loads(subprocess.run([str(args.baseline), str(path)], check=True, capture_output=True, text=True).stdout)
            for _ in range(args.repeat)]
    rust_verify = min(r["verify_seconds"] for r in rust)
    rust_columns = min(r["events_columns_seconds"] for r in rust)
    n = rust[0]["events"]

    with custodia.Ledger.open(path) as ledger:
        assert len(ledger) == n
        py_verify = best_of(args.repeat, lambda: ledger.verify())
        py_frame = best_of(args.repeat, lambda: ledger.to_pandas("events"))
        frame = ledger.to_pandas("events")
        assert len(frame) == n and str(frame["at"].dtype) == "datetime64[ns, UTC]"

    rows = [
        ("verify", rust_verify, py_verify),
        ("events -> columns (Rust) / DataFrame (Python)", rust_columns, py_frame),
    ]
    print(f"{n:,} events, best of {args.repeat}")
    print(f"{'work':<48} {'Rust ev/s':>12} {'Python ev/s':>12} {'Python/Rust':>12}")
    for what, r, p in rows:
        print(f"{what:<48} {n / r:>12,.0f} {n / p:>12,.0f} {r / p:>12.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
