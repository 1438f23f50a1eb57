#!/usr/bin/env bash
# Unpacks packages from the registry's tarballs into this checkout's node_modules, one folder each, without
# running their install scripts and without changing package.json or the lock file (each folder replaced
# whole, never left half written): scripts/unpack-packages.sh name@version ...
# Used by install-webgpu.sh and install-onnxruntime.sh (optional peers npm will not install here).
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
for spec in "$@"; do
  dest="node_modules/${spec%@*}"
  file=$(npm pack --silent --pack-destination "$tmp" "$spec" | tail -n 1)
  rm -rf "$dest.partial" && mkdir -p "$dest.partial"
  tar xzf "$tmp/$file" -C "$dest.partial" --strip-components=1
  rm -rf "$dest" && mv "$dest.partial" "$dest"
done
