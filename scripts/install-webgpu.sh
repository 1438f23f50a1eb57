#!/usr/bin/env bash
# Installs the optional WebGPU backend into this checkout's node_modules, without changing package.json or
# the lock file: webgpu@0.6.2 (Dawn's prebuilt Node bindings) and @tensorflow/tfjs-backend-webgpu@4.22.0.
#
# Why not `npm install --no-save`: this package declares both as its own optional peer dependencies, and npm
# does not install a project's own optional peers (it answers "up to date"). In a project that depends on
# nectar-loss, the documented `npm install webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0` is all it takes.
# Their other dependencies are already here: tfjs-backend-webgpu needs @tensorflow/tfjs-backend-cpu 4.22.0
# (a dependency of nectar-loss) and webgpu's runtime needs nothing else.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
npm pack --silent --pack-destination "$tmp" webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0 >/dev/null
for spec in "webgpu-0.6.2.tgz node_modules/webgpu" "tensorflow-tfjs-backend-webgpu-4.22.0.tgz node_modules/@tensorflow/tfjs-backend-webgpu"; do
  set -- $spec
  rm -rf "$2.partial" && mkdir -p "$2.partial"
  tar xzf "$tmp/$1" -C "$2.partial" --strip-components=1
  rm -rf "$2" && mv "$2.partial" "$2"
done
node -e "require.resolve('webgpu/package.json'); require.resolve('@tensorflow/tfjs-backend-webgpu')" && echo "webgpu backend installed"
