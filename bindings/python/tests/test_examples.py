"""The examples in examples/python run and produce what they promise."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import REPO, Base

EXAMPLES = REPO / "examples" / "python"
PNG = b"\x89PNG\r\n\x1a\n"


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, *args], capture_output=True, text=True, timeout=600)


def check_png(path: Path) -> None:
    data = path.read_bytes()
    assert data.startswith(PNG), path
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width >= 800 and height >= 400, (path, width, height)


def test_analyst_on_an_existing_ledger(base: Base, tmp_path: Path) -> None:
    out = tmp_path / "charts"
    p = run(str(EXAMPLES / "analyst.py"), str(base.path), "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "verified: yes" in p.stdout
    assert "stock on hand per site and UN hazard division" in p.stdout
    assert "net explosive quantity per site and UN hazard division, kg" in p.stdout
    for site in ("depot:01", "depot:02", "depot:03", "depot:04"):
        assert site in p.stdout
    for name in ("stock_levels.png", "destruction_progress.png"):
        check_png(out / name)
    assert not (base.path.parent / "charts").exists()


def test_analyst_builds_a_demo_ledger(tmp_path: Path) -> None:
    ledger = tmp_path / "demo.ledger"
    out = tmp_path / "charts"
    p = run(str(EXAMPLES / "analyst.py"), str(ledger), "--events", "400", "--out", str(out))
    assert p.returncode == 0, p.stderr
    assert "building a demo ledger of 400 synthetic events" in p.stdout
    assert ledger.exists()
    check_png(out / "stock_levels.png")
    check_png(out / "destruction_progress.png")


def test_plugin_author(plugins_dir: Path) -> None:
    p = run(str(EXAMPLES / "plugin_author.py"), "--plugins", str(plugins_dir))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "6 of 6 cases as expected" in p.stdout
    assert "WITNESS_NOT_SIGNED" in p.stdout
    assert "UNEXPECTED" not in p.stdout
