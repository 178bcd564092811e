#!/usr/bin/env bash
# Builds every rule crate in plugins/rules/* to wasm32-unknown-unknown (release) and writes
#   target/plugins/<name>.wasm   the module
#   target/plugins/<name>.json   its manifest: plugins/rules/<name>/plugin.json with
#                                `module` and `module_sha256` filled in
#   target/plugins/v2/<name>.*   the same for rules of ABI version 2 (host queries)
# Toolchain: rustup's wasm32 target when installed, else Debian's rustc/cargo with
# libstd-rust-dev-wasm32 (installed with apt-get when missing and running as root).
# Rule crates use no registry crates, so Debian's offline cargo 1.63 builds them.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
target_dir="${CUSTODIA_WASM_TARGET_DIR:-$root/target/wasm-rules}"
out_dir="${CUSTODIA_PLUGINS_DIR:-$root/target/plugins}"
triple=wasm32-unknown-unknown
# A 16 KiB shadow stack instead of Rust's 1 MiB default: rules recurse little, and a small
# initial memory makes every per-call instantiation cheaper.
# Reproducible modules: the same sources give the same bytes, and so the same identity hash,
# wherever the checkout is. Remapping paths is not enough: cargo hashes a path dependency's
# location into its crate metadata, which changes symbol names and so the order of functions in
# the module. So the SDK and the rules are copied to one fixed place and built there (one build
# at a time, under a lock), with that place remapped.
stage=/tmp/custodia-rule-build
export RUSTFLAGS="${RUSTFLAGS:-} -C link-arg=-zstack-size=16384 --remap-path-prefix=$stage=/custodia"

debian_has_wasm32() {
    [ -x /usr/bin/rustc ] && [ -x /usr/bin/cargo ] &&
        [ -d "$(/usr/bin/rustc --print sysroot)/lib/rustlib/$triple" ]
}

if command -v rustup >/dev/null 2>&1 &&
    rustup target list --installed 2>/dev/null | grep -qx "$triple"; then
    echo "build-plugins: using rustup's $triple target" >&2
    cargo_cmd=(cargo)
else
    if ! debian_has_wasm32; then
        if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
            echo "build-plugins: installing Debian's rustc, cargo and libstd-rust-dev-wasm32" >&2
            apt-get update -qq
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq rustc cargo libstd-rust-dev-wasm32
        fi
    fi
    if ! debian_has_wasm32; then
        echo "build-plugins: no $triple toolchain: run 'rustup target add $triple'" \
            "or 'apt-get install rustc cargo libstd-rust-dev-wasm32'" >&2
        exit 1
    fi
    echo "build-plugins: using Debian's $(/usr/bin/rustc --version) for $triple" >&2
    cargo_cmd=(env RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc /usr/bin/cargo)
fi

mkdir -p "$out_dir" "$target_dir"
exec 9>"$stage.lock"
flock 9
rm -rf "$stage"
mkdir -p "$stage/plugins"
tar -C "$root/plugins" --exclude=target -cf - pdk rules | tar -C "$stage/plugins" -xf -
built=0
for src in "$root"/plugins/rules/*/; do
    [ -f "$src/Cargo.toml" ] || continue
    name="$(basename "$src")"
    dir="$stage/plugins/rules/$name"
    crate="$(sed -n 's/^name *= *"\(.*\)"/\1/p' "$dir/Cargo.toml" | head -n1)"
    echo "build-plugins: $name ($crate)" >&2
    (cd "$dir" && "${cargo_cmd[@]}" build --release --target "$triple" --target-dir "$target_dir")
    wasm="$target_dir/$triple/release/${crate//-/_}.wasm"
    # Rules of ABI version 2 ask the ledger about its history (a full count at every site,
    # markings on the books); the suites and demos that put every rule of $out_dir in force
    # record no such history, so those rules go to $out_dir/v2, a set of their own.
    dest="$out_dir"
    if grep -Eq '"abi_version": *2' "$dir/plugin.json"; then
        dest="$out_dir/v2"
        mkdir -p "$dest"
    fi
    cp "$wasm" "$dest/$name.wasm"
    sha="$(sha256sum "$dest/$name.wasm" | cut -d' ' -f1)"
    sed -e "s/@MODULE@/$name.wasm/" -e "s/@MODULE_SHA256@/$sha/" \
        "$dir/plugin.json" >"$dest/$name.json"
    built=$((built + 1))
done
echo "build-plugins: $built plugins in $out_dir" >&2
