"""The stubs match the compiled module: mypy's stubtest passes on the installed package and
fails on a stub that has drifted from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Optional

import custodia

PACKAGE = Path(custodia.__file__).parent


def stubtest(cwd: Path, mypy_path: Optional[Path] = None) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    if mypy_path is not None:
        env["MYPYPATH"] = str(mypy_path)
    return subprocess.run(
        [sys.executable, "-m", "mypy.stubtest", "custodia", "--concise"],
        capture_output=True, text=True, env=env, timeout=600,
        # An empty folder: not site-packages (mypy refuses top-level modules that shadow its
        # own) and not the drifted copy (the module must come from the installation).
        cwd=cwd,
    )


def test_stubs_match_the_module(tmp_path: Path) -> None:
    p = stubtest(tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr


def test_stubtest_fails_on_drift(tmp_path: Path) -> None:
    drifted = tmp_path / "custodia"
    drifted.mkdir()
    for f in PACKAGE.iterdir():
        if f.suffix in (".py", ".pyi") or f.name == "py.typed":
            shutil.copy(f, drifted / f.name)
    stub = drifted / "_custodia.pyi"
    text = stub.read_text()
    text = text.replace("    def verify(self) -> VerifyReport: ...\n", "    def verify(self, deep: bool) -> VerifyReport: ...\n")
    text = text.replace("class Verdict:\n", "class Verdict:\n    def explain(self) -> str: ...\n")
    stub.write_text(text)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    p = stubtest(elsewhere, mypy_path=tmp_path)
    assert p.returncode != 0, p.stdout
    assert "custodia._custodia.Ledger.verify" in p.stdout
    assert "custodia._custodia.Verdict.explain" in p.stdout
