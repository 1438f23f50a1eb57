#!/usr/bin/env bash
# Installs the optional onnxruntime-node (FID/KID features on native CPU kernels) into this checkout's
# node_modules, without changing package.json or the lock file: onnxruntime-node@1.31.1 and the
# onnxruntime-common it requires at run time (its other dependencies, adm-zip and global-agent, serve only
# its install script). Unpacked from the registry's tarballs, so its install script does not run: that
# script downloads CUDA parts from api.nuget.org, which the CPU binaries in the package do not need.
# Why not `npm install --no-save`: this package declares onnxruntime-node as its own optional peer, and npm
# does not install a project's own optional peers (see install-webgpu.sh). In a project that depends on
# nectar-loss: `npm install onnxruntime-node --onnxruntime-node-install=skip` (docs/fid.md).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/unpack-packages.sh onnxruntime-node@1.31.1 onnxruntime-common@1.31.1
node -e "require('onnxruntime-node')" && echo "onnxruntime-node installed"
