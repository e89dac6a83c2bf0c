#!/usr/bin/env bash
# Regenerate docs/gallery/: PNG renders of the figures stage's PDFs and screenshots of every
# results-site page, both from this workspace's results (so `make run` first).
# Needs pdftoppm (Debian: poppler-utils) and what the browser test needs (Node, Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
out=docs/gallery
mkdir -p "$out"
for pdf in reports/figures/*.pdf; do
  pdftoppm -png -r 100 -singlefile "$pdf" "$out/$(basename "${pdf%.pdf}")"
done
# The browser test takes one screenshot per page; pointed at this lakehouse, of these results.
KDGAT_SITE_LAKEHOUSE="$PWD/lakehouse" KDGAT_SITE_SHOTS="$PWD/$out/site" \
  .venv/bin/pytest -q -n 0 -p no:cacheprovider tests/site/test_site_browser.py \
  -k every_page_loads_offline
echo "$out: $(ls "$out" "$out/site" | grep -c png) PNG files"
