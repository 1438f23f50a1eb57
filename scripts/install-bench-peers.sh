#!/usr/bin/env bash
# The benchmark's odiff-bin (the screenshot workload's peer), installed beside the project in .bench-peers/
# rather than as a dev dependency: the registry lacks odiff-bin's other-platform optional packages, so a
# lock file cannot hold them and `npm ci` would refuse it. Best effort: without it the odiff row is skipped.
set -euo pipefail
cd "$(dirname "$0")/.."
# The FID rows' onnxruntime-node (an optional peer, installed as CI installs it).
[ -d node_modules/onnxruntime-node ] || scripts/install-onnxruntime.sh >/dev/null || true
[ -d .bench-peers/node_modules/odiff-bin ] && exit 0
mkdir -p .bench-peers
npm install --prefix .bench-peers --no-save --no-package-lock --no-audit --no-fund odiff-bin@4.5.0 >/dev/null
