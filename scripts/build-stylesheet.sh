#!/usr/bin/env bash
# Build static/pathways/styles.css, the one stylesheet every page loads: the rules of NHS.UK
# frontend (static/vendor/nhsuk-frontend/nhsuk-frontend.min.css) that our markup uses, cut
# by PurgeCSS (scripts/purgecss.config.cjs), followed by our own static/pathways/site.css.
#
# Usage: scripts/build-stylesheet.sh (or `make css`). Run it after editing site.css or
# using an NHS.UK class no page used before; tests/operations/test_nhsuk_frontend.py fails
# until you do. Needs node and npm (PurgeCSS comes from the npm registry, pinned below).
set -euo pipefail

PURGECSS_VERSION="8.0.0"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
out="static/pathways/styles.css"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

npm exec --yes --package="purgecss@$PURGECSS_VERSION" -- \
  purgecss --config scripts/purgecss.config.cjs --output "$tmp/"
cut="$tmp/nhsuk-frontend.min.css"
[[ -s "$cut" ]] || { echo "error: PurgeCSS wrote nothing" >&2; exit 1; }

# No @font-face: the Frutiger web font lives on an NHS host, which our Content Security
# Policy (font-src 'self') blocks, and it is not ours to copy; NHS.UK's font stacks fall back
# to Arial. No source map comment: the map describes the whole file, not this cut. Image
# addresses are made relative to static/pathways/, where the result lives.
sed -E \
  -e 's/@font-face\{[^}]*\}//g' \
  -e 's#/\*\# sourceMappingURL=[^*]*\*/##' \
  -e 's#url\( ?assets/#url(../vendor/nhsuk-frontend/assets/#g' \
  "$cut" > "$tmp/cut.css"
if grep -q -e '@font-face' -e 'sourceMappingURL' -e 'url( *assets/' "$tmp/cut.css"; then
  echo "error: the cut CSS still has a web font, a source map or an unmoved image address" >&2
  exit 1
fi

# site.css last, byte for byte: its rules win over NHS.UK's of the same weight, and the test
# that this file is up to date checks that it ends with site.css.
{ cat "$tmp/cut.css"; printf '\n'; cat static/pathways/site.css; } > "$out"
echo "Wrote $out ($(wc -c < "$out") bytes: NHS.UK $(wc -c < "$cut") cut from $(wc -c < static/vendor/nhsuk-frontend/nhsuk-frontend.min.css), site.css $(wc -c < static/pathways/site.css))"
