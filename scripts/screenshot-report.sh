#!/bin/sh
# Renders the HTML report of PATH... (default: the corpus in ../shared/corpus) and takes a
# full-page screenshot with headless Chromium, for a human to look at.
#   scripts/screenshot-report.sh [PATH...]       -> target/report/report.html, report.png
# Needs Debian's `chromium` (apt-get install -y chromium). HEIGHT (default 3000) sets the
# height of the captured page in pixels.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
out="$root/target/report"
mkdir -p "$out"
cargo build -q --manifest-path "$root/Cargo.toml" -p tailor-cli
if [ $# -eq 0 ]; then
    # Run in the corpus so that the report names files relative to it.
    (cd "$root/../shared/corpus" && "$root/target/debug/tailor" check . -o html --output-file "$out/report.html") || true
else
    "$root/target/debug/tailor" check "$@" -o html --output-file "$out/report.html" || true
fi
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$profile" --hide-scrollbars \
    --window-size=1440,"${HEIGHT:-3000}" --screenshot="$out/report.png" "file://$out/report.html" 2>/dev/null
echo "$out/report.html"
echo "$out/report.png"
