#!/usr/bin/env bash
# Render an HTML compile report to a PNG screenshot with headless Chromium (offline).
#
#   docs/render_report.sh [MODEL] [OUT.png] [WIDTHxHEIGHT]
#   defaults: corpus/models/parity_last2.pt  docs/compile-report.png  1280x2480
#
# Needs Debian's chromium package (apt-get install -y chromium). The report is compiled into a
# temporary folder; Chromium runs with a throw-away profile and every network feature off, so
# nothing is fetched (the page has no external URLs anyway). Run from the repository root.
set -euo pipefail

model=${1:-corpus/models/parity_last2.pt}
out=${2:-docs/compile-report.png}
size=${3:-1280x2480}
browser=$(command -v chromium || command -v chromium-browser || true)
if [[ -z "$browser" ]]; then
    echo "render_report.sh: chromium not found (apt-get install -y chromium)" >&2
    exit 2
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
model=$(realpath "$model")
name=$(basename "$model" .pt)
# relative file names, so the page shows "parity_last2.py", not a temporary path
(cd "$work" && w2c compile "$model" -o "$name.py" --report report.html --quiet > /dev/null) || {
    code=$?
    # 1 (not verified) and 3 (partial) still write the report; anything else is an error
    if [[ $code -ne 1 && $code -ne 3 ]]; then exit $code; fi
}
"$browser" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --hide-scrollbars --user-data-dir="$work/profile" \
    --window-size="${size/x/,}" --screenshot="$work/shot.png" "file://$work/report.html" \
    > /dev/null 2>&1
mv "$work/shot.png" "$out"
echo "wrote $out"
