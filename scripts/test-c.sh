#!/usr/bin/env bash
# Tests the C API (bindings/c) on a fresh Debian 12 machine with rustup's Rust:
#   - builds libcustodia (debug) and runs the crate's Rust tests (header drift, result codes,
#     the panic boundary);
#   - compiles the C tests and examples with -std=c11 -Wall -Wextra -Werror and runs them under
#     valgrind (no leak, no invalid access), including bad input, a forked second writer and a
#     multi-threaded test;
#   - runs the C tests once more without valgrind with the example rule plugins (wasmtime's
#     pooling allocator reserves more address space than valgrind can give);
#   - links the quickstart against libcustodia.a;
#   - runs the Java (FFM) example when a JDK >= 22 is found.
# Installs valgrind with apt when missing (as root); fails when it cannot.
# Ends with `C API: N passed, M failed`; exits non-zero on any failure.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
export CARGO_TERM_COLOR="${CARGO_TERM_COLOR:-never}"
target="${CARGO_TARGET_DIR:-$root/target}"
lib_dir="$target/debug"
out="$target/c-tests"
cc="${CC:-cc}"
cflags=(-std=c11 -Wall -Wextra -Werror -pedantic -g -I"$root/bindings/c/include")

passed=0
failed=0
pass() { passed=$((passed + ${2:-1})); printf 'ok    %s\n' "$1"; }
fail() { failed=$((failed + ${2:-1})); printf 'FAIL  %s\n' "$1"; }
step() { printf '\n== %s  [%d s]\n' "$*" "$SECONDS"; }

step "tools"
if ! command -v valgrind >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "installing valgrind with apt-get"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
    fi
fi
if ! command -v valgrind >/dev/null 2>&1; then
    echo "valgrind is not installed and cannot be installed here (need root and apt-get);" \
        "install it: apt-get install valgrind" >&2
    echo "C API: 0 passed, 1 failed"
    exit 1
fi
command -v "$cc" >/dev/null 2>&1 || { echo "no C compiler ($cc)" >&2; echo "C API: 0 passed, 1 failed"; exit 1; }
echo "valgrind: $(valgrind --version); cc: $("$cc" --version | head -n1)"

step "build libcustodia (debug) and the crate's Rust tests"
cargo build -p custodia-c
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if cargo test -p custodia-c 2>&1 | tee "$log"; then
    n=$(sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p' "$log" | awk '{s += $1} END {print s + 0}')
    pass "cargo test -p custodia-c ($n tests)" "$n"
else
    fail "cargo test -p custodia-c"
fi

step "rule plugins"
plugins_dir=""
if bash scripts/build-plugins.sh; then
    plugins_dir="$target/plugins"
else
    fail "scripts/build-plugins.sh"
fi

step "compile the C tests and examples"
mkdir -p "$out/run"
link=(-L"$lib_dir" -lcustodia -Wl,-rpath,"$lib_dir")
build() { # NAME SOURCE [extra flags]
    local name="$1" src="$2"
    shift 2
    if "$cc" "${cflags[@]}" "$src" "${link[@]}" "$@" -o "$out/$name"; then
        return 0
    fi
    fail "compile $name"
    return 1
}
programs=()
build test_api bindings/c/tests/c/test_api.c && programs+=(test_api)
build test_threads bindings/c/tests/c/test_threads.c -pthread && programs+=(test_threads)
build quickstart examples/c/quickstart.c && programs+=(quickstart)
build errors examples/c/errors.c && programs+=(errors)
# The full example of docs/C_API.md: the first ```c block holding a main().
awk '/^```c$/ {inblock = 1; buf = ""; next}
     /^```$/ {if (inblock && buf ~ /int main/) {printf "%s", buf; exit} inblock = 0; next}
     inblock {buf = buf $0 "\n"}' docs/C_API.md >"$out/doc_example.c"
if grep -q "int main" "$out/doc_example.c"; then
    build doc_example "$out/doc_example.c" && programs+=(doc_example)
else
    fail "docs/C_API.md has no full example"
fi

vg=(valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect
    --show-leak-kinds=definite,indirect)

# Runs a program under valgrind in $out/run; adds its own test count when it prints one.
run_valgrind() { # NAME [args]
    local name="$1"
    shift
    rm -f "$out/$name".*.valgrind.log
    local status=0
    (cd "$out/run" && "${vg[@]}" --log-file="$out/$name.%p.valgrind.log" "$out/$name" "$@") >"$out/$name.out" 2>&1 || status=$?
    cat "$out/$name.out"
    # One line per distinct summary, with the number of processes (a test may fork).
    grep -h "ERROR SUMMARY" "$out/$name".*.valgrind.log | sed 's/^==[0-9]*== //' | sort | uniq -c |
        while read -r count summary; do echo "valgrind ($name, $count process(es)): $summary"; done
    grep -h "definitely lost\|indirectly lost" "$out/$name".*.valgrind.log | sed 's/^==[0-9]*== */    /' | sort | uniq -c |
        while read -r count summary; do echo "valgrind ($name, $count process(es)): $summary"; done
    local counts
    counts=$(sed -n 's/^[a-z_]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1 \2/p' "$out/$name.out" | tail -n1)
    if grep -h "ERROR SUMMARY" "$out/$name".*.valgrind.log | grep -qv "ERROR SUMMARY: 0 errors"; then
        fail "$name under valgrind: memory errors or leaks (see $out/$name.*.valgrind.log)"
    elif [ "$status" = 99 ]; then
        fail "$name under valgrind: valgrind reported errors"
    elif [ -n "$counts" ]; then
        set -- $counts
        [ "$1" -gt 0 ] && pass "$name under valgrind ($1 tests)" "$1"
        [ "$2" -gt 0 ] && fail "$name under valgrind ($2 tests)" "$2"
        [ "$status" = 0 ] || [ "$2" -gt 0 ] || fail "$name exited with $status"
    elif [ "$status" = 0 ]; then
        pass "$name under valgrind"
    else
        fail "$name under valgrind (exit $status)"
    fi
}

step "C tests and examples under valgrind"
for p in "${programs[@]}"; do
    if [ "$p" = test_api ]; then
        run_valgrind "$p" - # no wasm plugin host under valgrind; see the next step
    else
        run_valgrind "$p"
    fi
done

step "C tests with the rule plugins (no valgrind)"
if [ -n "$plugins_dir" ] && [ -x "$out/test_api" ]; then
    status=0
    (cd "$out/run" && "$out/test_api" "$plugins_dir") >"$out/test_api.plugins.out" 2>&1 || status=$?
    cat "$out/test_api.plugins.out"
    if [ "$status" = 0 ] && grep -q "^ok   test_rules$" "$out/test_api.plugins.out"; then
        pass "test_api with rule plugins (test_rules)"
    else
        fail "test_api with rule plugins"
    fi
fi

step "static library"
if "$cc" "${cflags[@]}" examples/c/quickstart.c "$lib_dir/libcustodia.a" -lpthread -ldl -lm -lrt -lgcc_s \
    -o "$out/quickstart-static" && (cd "$out/run" && "$out/quickstart-static" >/dev/null); then
    pass "quickstart linked with libcustodia.a"
else
    fail "quickstart linked with libcustodia.a"
fi

step "header from C++"
cxx="${CXX:-c++}"
if command -v "$cxx" >/dev/null 2>&1; then
    printf '#include "custodia.h"\nint main() { return custodia_abi_version() == CUSTODIA_ABI_VERSION ? 0 : 1; }\n' \
        >"$out/header_cxx.cpp"
    if "$cxx" -std=c++17 -Wall -Wextra -Werror -I"$root/bindings/c/include" "$out/header_cxx.cpp" "${link[@]}" \
        -o "$out/header_cxx" && "$out/header_cxx"; then
        pass "custodia.h compiles and links as C++17"
    else
        fail "custodia.h as C++17"
    fi
else
    echo "header from C++: skipped (no C++ compiler)"
fi

step "Java example (FFM)"
java_major() { # prints the major version of a java binary, or nothing
    "$1" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1
}
java_bin=""
candidates=()
[ -n "${JAVA_HOME:-}" ] && candidates+=("$JAVA_HOME/bin/java")
for j in /usr/lib/jvm/*/bin/java; do candidates+=("$j"); done
command -v java >/dev/null 2>&1 && candidates+=("$(command -v java)")
for j in "${candidates[@]}"; do
    [ -x "$j" ] || continue
    major="$(java_major "$j")"
    if [ -n "$major" ] && [ "$major" -ge 22 ]; then
        java_bin="$j"
        break
    fi
done
if [ -z "$java_bin" ]; then
    echo "java example: skipped (no JDK >= 22)"
else
    echo "using $java_bin ($("$java_bin" -version 2>&1 | head -n1))"
    if (cd "$out/run" && "$java_bin" --enable-native-access=ALL-UNNAMED \
        -Dcustodia.lib="$lib_dir/libcustodia.so" "$root/examples/java/Example.java"); then
        pass "java example"
    else
        fail "java example"
    fi
fi

echo
echo "C API: $passed passed, $failed failed"
[ "$failed" = 0 ]
