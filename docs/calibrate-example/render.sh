#!/usr/bin/env bash
# Renders the calibrate example of docs/gates.md with Debian's chromium (apt-get install -y chromium):
#   base/     html/*.html          fonts as fontconfig/base.conf sets them (antialiased, slight hinting)
#   noise/    html/*.html          the same pages under fontconfig/noise.conf (no hinting):
#                                  another machine's font settings
#   changed/  html-changed/*.html  real edits, rendered like base: a price (€40 -> €50), a button recoloured
#             (green #16a34a -> amber #ca8a04), a button's label (Save -> Save changes)
# Then (docs/gates.md, "A real example"): nectar-loss calibrate base noise --changed changed ...
set -euo pipefail
cd "$(dirname "$0")"
shot() { # <out dir> <html dir> <fontconfig name> [chromium flags...]
  local out=$1 src=$2 conf=$3
  shift 3
  mkdir -p "$out"
  for f in "$src"/*.html; do
    FONTCONFIG_FILE="$PWD/fontconfig/$conf.conf" chromium --headless --no-sandbox --hide-scrollbars --window-size=360,200 --force-device-scale-factor=1 \
      "$@" --screenshot="$PWD/$out/$(basename "${f%.html}").png" "file://$PWD/$f" 2>/dev/null
  done
}
shot base html base
shot noise html noise
shot changed html-changed base
