#!/usr/bin/env bash
# Tests the Python package `custodia` (bindings/python) the way a user gets it: builds the
# wheel, installs it in a fresh virtual environment (target/py-venv) with the test extras
# (pytest, hypothesis, pandas, matplotlib, mypy), checks the stubs with mypy's stubtest and
# runs the pytest suite. Ends with `Python: N passed, 0 failed`; exits non-zero on any failure.
#
# The wheel is built with the dev profile for build speed, reusing the workspace's target
# directory and its artifacts (the workspace's dev profile optimises the crates that dominate
# run time: signatures, SQLite, JSON).
# Users get a release build: `pip install ./bindings/python`.
#
# Needs: rustup's Rust, CPython >= 3.9 with pip and venv (python3-venv on Debian: installed
# with apt-get when missing and running as root), PyPI and crates.io. Set PYTHON to choose
# the interpreter.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
python="${PYTHON:-python3}"
venv="$root/target/py-venv"
wheels="$root/target/py-wheels"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
export PIP_DISABLE_PIP_VERSION_CHECK=1

step() { printf '\n== %s  [%d s]\n' "$*" "$SECONDS" >&2; }

step "rule plugins (target/plugins)"
if ! compgen -G "target/plugins/*.json" >/dev/null; then
    bash scripts/build-plugins.sh
fi

step "fresh virtual environment: $venv ($("$python" --version 2>&1))"
rm -rf "$venv"
if ! "$python" -m venv "$venv" 2>/dev/null; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "test-python: installing python3-venv" >&2
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
        rm -rf "$venv"
        "$python" -m venv "$venv"
    else
        echo "test-python: '$python -m venv' failed: install python3-venv" >&2
        exit 1
    fi
fi
"$venv/bin/python" -m pip install --quiet --upgrade pip
"$venv/bin/python" -m pip install --quiet "maturin>=1.9.4,<2"

step "wheel (dev profile)"
rm -rf "$wheels"
"$venv/bin/maturin" build --profile dev -m bindings/python/Cargo.toml \
    --interpreter "$venv/bin/python" --out "$wheels"
wheel="$(ls "$wheels"/custodia-*.whl)"
"$venv/bin/python" -m pip install --quiet "$wheel[test]"

# Both checks run outside the checkout, so that `import custodia` is the installed wheel.
scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT

step "stubtest"
(cd "$scratch" && "$venv/bin/python" -m mypy.stubtest custodia)

step "pytest"
report="$scratch/junit.xml"
status=0
(cd "$scratch" && "$venv/bin/python" -m pytest "$root/bindings/python/tests" \
    -p no:cacheprovider -q -rfEx --durations=10 --junitxml="$report") || status=$?

read -r passed failed < <("$venv/bin/python" - "$report" <<'EOF'
import sys
import xml.etree.ElementTree as ET

suites = ET.parse(sys.argv[1]).getroot()
suites = [suites] if suites.tag == "testsuite" else list(suites)
tests = sum(int(s.get("tests", 0)) for s in suites)
failed = sum(int(s.get("failures", 0)) + int(s.get("errors", 0)) for s in suites)
skipped = sum(int(s.get("skipped", 0)) for s in suites)
print(tests - failed - skipped, failed)
EOF
)
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    failed=1  # pytest failed before or outside the tests (collection, an internal error)
fi
echo "Python: $passed passed, $failed failed"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
