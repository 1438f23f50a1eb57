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
scripts/unpack-packages.sh webgpu@0.6.2 @tensorflow/tfjs-backend-webgpu@4.22.0
node -e "require.resolve('webgpu/package.json'); require.resolve('@tensorflow/tfjs-backend-webgpu')" && echo "webgpu backend installed"
