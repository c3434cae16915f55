#!/usr/bin/env bash
# Vendor the precompiled NHS.UK frontend files into static/vendor/nhsuk-frontend/
# so the site serves them itself (no CDN at run time).
#
# Usage: scripts/vendor-nhsuk-frontend.sh [VERSION]
#   VERSION defaults to NHSUK_FRONTEND_VERSION below. Needs npm, node and tar.
#
# Result (file names as in the package's dist/nhsuk/):
#   nhsuk-frontend.min.css(.map)  compiled CSS
#   nhsuk-frontend.min.js(.map)   ES module bundle of every component
#   nhsuk-frontend.used.min.js    ES module of the components our pages use (listed in
#                                 scripts/nhsuk-frontend-components.mjs), which site.js imports
#   assets/                       images, favicons, manifest.json
#   LICENSE, VERSION
# Pages load none of the CSS as it is: `make vendor-nhsuk-frontend` then runs
# scripts/build-stylesheet.sh, which cuts it to the rules our markup uses.
#
# One change is made to the CSS: upstream it points at images with root-absolute
# url(/assets/...), which would only work if assets/ were served at the site root.
# They are rewritten to url( assets/...), relative to the CSS file. The leading
# space keeps the byte length (valid CSS), so the .map stays exact.
set -euo pipefail

NHSUK_FRONTEND_VERSION="10.6.1"
ESBUILD_VERSION="0.28.2"

version="${1:-$NHSUK_FRONTEND_VERSION}"

script_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo_root="$(cd "$script_dir/.." && pwd)"
dest="$repo_root/static/vendor/nhsuk-frontend"

tmp="$(mktemp -d)"
stage="$dest.tmp.$$"
cleanup() { rm -rf "$tmp" "$stage"; }
trap cleanup EXIT

echo "Fetching nhsuk-frontend@$version"
tarball="$(cd "$tmp" && npm pack --json --ignore-scripts "nhsuk-frontend@$version" \
  | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s)[0].filename))')"
tar -xzf "$tmp/$tarball" -C "$tmp"
pkg="$tmp/package"
resolved="$(node -p 'require(process.argv[1]).version' "$pkg/package.json")"
dist="$pkg/dist/nhsuk"

for f in nhsuk-frontend.min.css nhsuk-frontend.min.css.map \
         nhsuk-frontend.min.js nhsuk-frontend.min.js.map; do
  [[ -f "$dist/$f" ]] || { echo "error: $f not found in dist/nhsuk of $resolved (layout changed?)" >&2; exit 1; }
done
[[ -d "$dist/assets" ]] || { echo "error: dist/nhsuk/assets missing in $resolved" >&2; exit 1; }
grep -q 'export *{' "$dist/nhsuk-frontend.min.js" \
  || { echo "error: nhsuk-frontend.min.js is not an ES module in $resolved" >&2; exit 1; }

rm -rf "$stage"
mkdir -p "$stage"
cp "$dist"/nhsuk-frontend.min.css.map "$dist"/nhsuk-frontend.min.js "$dist"/nhsuk-frontend.min.js.map "$stage/"
cp -R "$dist/assets" "$stage/assets"

# Only the components our pages use, bundled by esbuild from the package's own modules:
# about 16 KB instead of the whole bundle's 58 KB. No map: nothing loads one.
cp "$script_dir/nhsuk-frontend-components.mjs" "$tmp/components.mjs"
(cd "$tmp" && npm exec --yes --package="esbuild@$ESBUILD_VERSION" -- esbuild components.mjs \
  --bundle --minify --format=esm --legal-comments=none --log-level=error \
  --outfile="$stage/nhsuk-frontend.used.min.js")

# Root-absolute /assets/ -> relative to the CSS file, same byte length.
sed 's#url(/assets/#url( assets/#g' "$dist/nhsuk-frontend.min.css" > "$stage/nhsuk-frontend.min.css"
if [[ "$(wc -c < "$dist/nhsuk-frontend.min.css")" != "$(wc -c < "$stage/nhsuk-frontend.min.css")" ]]; then
  echo "error: CSS length changed while rewriting asset URLs" >&2; exit 1
fi

# Every url(...) in the CSS must be remote, data:, a fragment, or an existing vendored file.
missing=0
while IFS= read -r ref; do
  url="${ref#url(}"; url="${url%)}"
  url="${url#"${url%%[![:space:]]*}"}"          # trim leading space
  url="${url%\"}"; url="${url#\"}"; url="${url%\'}"; url="${url#\'}"
  url="${url%%[?#]*}"
  case "$ref" in *"url("*"//"*) echo "note: CSS loads a remote file (styles.css leaves it out): $url" >&2; continue ;; esac
  case "$url" in
    data:*|"") continue ;;
    /*) echo "error: CSS still has a root-absolute url: $url" >&2; missing=1 ;;
    *) [[ -f "$stage/$url" ]] || { echo "error: CSS references missing file: $url" >&2; missing=1; } ;;
  esac
done < <(grep -o 'url([^)]*)' "$stage/nhsuk-frontend.min.css" | sort -u)
[[ "$missing" == 0 ]] || exit 1

# Licence: use the package's own file if it ships one. Versions 10.x ship none in
# the tarball (package.json says "MIT"), so fall back to the upstream repository's
# MIT licence text.
licence="$(find "$pkg" -maxdepth 1 -type f \( -iname 'licen[cs]e' -o -iname 'licen[cs]e.*' \) -print -quit)"
if [[ -n "$licence" ]]; then
  cp "$licence" "$stage/$(basename "$licence")"
else
  spdx="$(node -p 'require(process.argv[1]).license' "$pkg/package.json")"
  [[ "$spdx" == "MIT" ]] || { echo "error: no licence file and license is '$spdx', not MIT" >&2; exit 1; }
  cat > "$stage/LICENSE" <<'LICENCE'
MIT License

Copyright (c) 2019 NHS.UK

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN THE
SOFTWARE.
LICENCE
fi

echo "$resolved" > "$stage/VERSION"

rm -rf "$dest"
mkdir -p "$(dirname "$dest")"
mv "$stage" "$dest"
echo "Vendored nhsuk-frontend $resolved into ${dest#"$repo_root"/} ($(du -sh "$dest" | cut -f1))"
