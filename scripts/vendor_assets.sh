#!/usr/bin/env bash
#
# vendor_assets.sh - re-create civicgrid/core/static/vendor/ from pinned npm
# package versions.
#
# CivicGrid runs on government intranets, so every front-end asset is vendored
# into the repository; nothing may load from a CDN or external URL at run time.
# This script is the only supported way to change the vendor folder:
#
#   1. Bump a version (and its integrity hash) in the PINS table below.
#      Get the hash with:  npm view <name>@<version> dist.integrity
#   2. Run:  scripts/vendor_assets.sh
#   3. Read the "external reference" report it prints, review `git diff`,
#      test the UI, commit.
#
#   scripts/vendor_assets.sh --check   builds into a temp dir and exits 1 if
#                                      the committed vendor folder differs
#                                      from what the pins produce (for CI).
#
# What it does for every package: `npm pack` the exact pinned version (no
# install scripts run), verify the tarball against the pinned sha512 integrity,
# copy only the files we ship plus their licence files, then post-process:
#   * strip sourceMappingURL comments (we do not ship .map files; a dangling
#     reference gives 404s in the browser console and makes Django's
#     ManifestStaticFilesStorage fail during collectstatic);
#   * remove CSS @import rules that point at remote hosts (e.g. rsms.me,
#     fonts.googleapis.com) and @font-face blocks whose src is remote;
#   * fail if any CSS url() still points off-site, or if any JS file mentions a
#     known CDN / web-font host;
#   * print every other absolute URL found (license banners, XML namespaces,
#     docs links in error messages) so a human can confirm none is fetched.
# Finally it writes VERSIONS.md (generated - do not edit it by hand).
#
# Requirements: bash, npm (and therefore node), tar. Uses whatever registry
# npm is configured for; the integrity check guarantees identical bytes.

set -euo pipefail

# ---------------------------------------------------------------------------
# Pins: npm name | exact version | dist.integrity (from the npm registry)
# ---------------------------------------------------------------------------
TABLER_VERSION="1.6.1"
TABLER_INTEGRITY="sha512-lgmR9gcxRp5JlLxcmRi9Rz85JrEvH6Bz71KnlcPVSa97wtwQNjgSs3g3fxwbAlulHyRMghhIV04QUuW3pqDsIg=="

# Kept equal to the Bootstrap version bundled inside tabler.min.js (its
# Dropdown.VERSION is "5.3.8" in @tabler/core 1.6.1), so CSS and JS match.
BOOTSTRAP_VERSION="5.3.8"
BOOTSTRAP_INTEGRITY="sha512-HP1SZDqaLDPwsNiqRqi5NcP0SSXciX2s9E+RyqJIIqGo+vJeN5AJVM98CXmW/Wux0nQ5L7jeWUdplCEf0Ee+tg=="

# Only its licence file is vendored: Popper is compiled into both
# tabler.min.js and bootstrap.bundle.min.js.
POPPER_VERSION="2.11.8"
POPPER_INTEGRITY="sha512-P1st0aksCrn9sGZhp8GMYwBnQsbvAWsZAX44oXNNvLHGqAOcoVxmjZiohstwQ7SqKnbR47akdNi+uleWD8+g6A=="

HTMX_VERSION="2.0.11"
HTMX_INTEGRITY="sha512-Thx/WtpeOQqSrqBCw/A1cwGJGg4UrVa3+sW0GmrM3p4gJgO89ecH4qtbnyzDDWFvBTqjnIMCgELTNt636dtamA=="

LEAFLET_VERSION="1.9.4"
LEAFLET_INTEGRITY="sha512-nxS1ynzJOmOlHp+iL3FyWqK89GtNL8U8rvlMOsQdTTssxZwCXh8N2NB3GDQOL+YR3XnWyZAxwQixURb+FA74PA=="

ECHARTS_VERSION="5.6.0"
ECHARTS_INTEGRITY="sha512-oTbVTsXfKuEhxftHqL5xprgLoc0k7uScAwtryCgWF6hPYFLRwOUHiFmHGCBKP5NPFNkDVopOieyUqYGH8Fa3kA=="

# WGS 84 <-> GCJ-02 for maps on GCJ-02 tiles (core/static/core/basemap.js; loaded only
# when MAP_TILES is GCJ-02).
GCOORD_VERSION="1.0.7"
GCOORD_INTEGRITY="sha512-UCN2iSm69jBOYz2ma2eg5I5imp65Cj70rcTTfMNSNMvZpR1U6oGjmVh080aCvC/6lN1ClkuOoBeaLuebw9AZJg=="

# ---------------------------------------------------------------------------

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$REPO_ROOT/civicgrid/core/static/vendor"

CHECK_ONLY=0
case "${1:-}" in
    "") ;;
    --check) CHECK_ONLY=1 ;;
    -h|--help) sed -n '3,35p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

for tool in npm node tar; do
    command -v "$tool" >/dev/null 2>&1 || { echo "error: '$tool' is required" >&2; exit 1; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/civicgrid-vendor.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
OUT="$WORK/vendor"          # staging copy of the vendor folder
MODLOG="$WORK/modifications.log"
mkdir -p "$OUT"
: > "$MODLOG"

log() { printf '%s\n' "$*" >&2; }

# fetch <npm-name> <version> <integrity>  -> prints path of extracted package/
fetch() {
    local name="$1" version="$2" integrity="$3"
    local dir="$WORK/pkg/${name//\//__}"
    mkdir -p "$dir"
    log "==> npm pack $name@$version"
    local tgz
    if ! tgz="$(cd "$dir" && npm pack "$name@$version" --ignore-scripts --silent 2>"$dir/npm.err")"; then
        log "error: npm pack $name@$version failed:"; cat "$dir/npm.err" >&2; exit 1
    fi
    tgz="$(printf '%s\n' "$tgz" | tail -n 1)"
    [ -n "$tgz" ] && [ -f "$dir/$tgz" ] || { log "error: npm pack $name@$version produced no tarball"; cat "$dir/npm.err" >&2; exit 1; }
    local actual
    actual="sha512-$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$dir/$tgz")"
    if [ "$actual" != "$integrity" ]; then
        log "error: integrity mismatch for $name@$version"
        log "  pinned: $integrity"
        log "  got:    $actual"
        exit 1
    fi
    tar -xzf "$dir/$tgz" -C "$dir"
    local got
    got="$(node -p 'require(process.argv[1]).version' "$dir/package/package.json")"
    [ "$got" = "$version" ] || { log "error: $name tarball says version $got, expected $version"; exit 1; }
    printf '%s\n' "$dir/package"
}

# put <src-file> <dest-relative-to-vendor>
put() {
    [ -f "$1" ] || { log "error: expected file missing from package: $1"; exit 1; }
    mkdir -p "$(dirname "$OUT/$2")"
    cp "$1" "$OUT/$2"
    chmod 0644 "$OUT/$2"
}

# ---------------------------------------------------------------------------
# Tabler (CSS bundles Bootstrap 5 CSS; JS bundles Bootstrap 5 JS + Popper)
# ---------------------------------------------------------------------------
P="$(fetch @tabler/core "$TABLER_VERSION" "$TABLER_INTEGRITY")"
put "$P/dist/css/tabler.min.css" tabler/tabler.min.css
put "$P/dist/js/tabler.min.js"   tabler/tabler.min.js
# The @tabler/core npm tarball ships no LICENSE file. This is the MIT text of
# https://github.com/tabler/tabler/blob/master/LICENSE with the copyright years
# taken from the banner of the vendored files ("Copyright 2018-2026 The Tabler
# Authors"). Update the years if the banner changes.
cat > "$OUT/tabler/LICENSE" <<'EOF'
The MIT License (MIT)

Copyright (c) 2018-2026 The Tabler Authors

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in
all copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND, EXPRESS OR
IMPLIED, INCLUDING BUT NOT LIMITED TO THE WARRANTIES OF MERCHANTABILITY,
FITNESS FOR A PARTICULAR PURPOSE AND NONINFRINGEMENT. IN NO EVENT SHALL THE
AUTHORS OR COPYRIGHT HOLDERS BE LIABLE FOR ANY CLAIM, DAMAGES OR OTHER
LIABILITY, WHETHER IN AN ACTION OF CONTRACT, TORT OR OTHERWISE, ARISING FROM,
OUT OF OR IN CONNECTION WITH THE SOFTWARE OR THE USE OR OTHER DEALINGS IN
THE SOFTWARE.
EOF
chmod 0644 "$OUT/tabler/LICENSE"

# Sanity check: the Bootstrap pin above should match what tabler.min.js bundles.
BUNDLED_BS="$(grep -o 'static get VERSION(){return"[0-9.]*"' "$OUT/tabler/tabler.min.js" | head -n 1 | grep -o '[0-9][0-9.]*' || true)"
if [ -n "$BUNDLED_BS" ] && [ "$BUNDLED_BS" != "$BOOTSTRAP_VERSION" ]; then
    log "warning: tabler.min.js bundles Bootstrap JS $BUNDLED_BS but BOOTSTRAP_VERSION is $BOOTSTRAP_VERSION"
fi

# ---------------------------------------------------------------------------
# Bootstrap bundle JS (Bootstrap + Popper) - exposes window.bootstrap
# ---------------------------------------------------------------------------
P="$(fetch bootstrap "$BOOTSTRAP_VERSION" "$BOOTSTRAP_INTEGRITY")"
put "$P/dist/js/bootstrap.bundle.min.js" bootstrap/bootstrap.bundle.min.js
put "$P/LICENSE"                         bootstrap/LICENSE

# Popper licence, next to both bundles that contain Popper.
P="$(fetch @popperjs/core "$POPPER_VERSION" "$POPPER_INTEGRITY")"
put "$P/LICENSE.md" tabler/LICENSE-popper.md
put "$P/LICENSE.md" bootstrap/LICENSE-popper.md

# ---------------------------------------------------------------------------
# htmx
# ---------------------------------------------------------------------------
P="$(fetch htmx.org "$HTMX_VERSION" "$HTMX_INTEGRITY")"
put "$P/dist/htmx.min.js" htmx/htmx.min.js
put "$P/LICENSE"          htmx/LICENSE

# ---------------------------------------------------------------------------
# Leaflet (CSS refers to images/ relatively)
# ---------------------------------------------------------------------------
P="$(fetch leaflet "$LEAFLET_VERSION" "$LEAFLET_INTEGRITY")"
put "$P/dist/leaflet.js"  leaflet/leaflet.js
put "$P/dist/leaflet.css" leaflet/leaflet.css
for img in "$P"/dist/images/*; do
    put "$img" "leaflet/images/$(basename "$img")"
done
put "$P/LICENSE" leaflet/LICENSE

# ---------------------------------------------------------------------------
# Apache ECharts (Apache-2.0: LICENSE + NOTICE must travel with it; LICENSE
# points at licenses/LICENSE-d3 for the embedded d3 code)
# ---------------------------------------------------------------------------
P="$(fetch echarts "$ECHARTS_VERSION" "$ECHARTS_INTEGRITY")"
put "$P/dist/echarts.min.js"   echarts/echarts.min.js
put "$P/LICENSE"               echarts/LICENSE
put "$P/NOTICE"                echarts/NOTICE
put "$P/licenses/LICENSE-d3"   echarts/licenses/LICENSE-d3

# ---------------------------------------------------------------------------
# gcoord (coordinate systems: WGS 84, GCJ-02, BD-09), the browser build
# ---------------------------------------------------------------------------
P="$(fetch gcoord "$GCOORD_VERSION" "$GCOORD_INTEGRITY")"
put "$P/dist/gcoord.global.prod.js" gcoord/gcoord.global.prod.js
put "$P/LICENSE"                    gcoord/LICENSE

# ---------------------------------------------------------------------------
# Post-process: strip source maps / remote CSS references, then audit.
# ---------------------------------------------------------------------------
log "==> stripping source-map comments and remote CSS references"
node - "$OUT" "$MODLOG" <<'NODE'
const fs = require('fs'), path = require('path');
const [root, modlog] = process.argv.slice(2);
const note = (file, what) => fs.appendFileSync(modlog, `${file}\t${what}\n`);
const walk = d => fs.readdirSync(d, {withFileTypes: true}).flatMap(e =>
  e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]).sort();
const REMOTE = /^\s*["']?\s*(?:[a-z][a-z0-9+.-]*:)?\/\//i;  // http:, https:, //host ...

for (const abs of walk(root)) {
  const rel = path.relative(root, abs);
  if (!/\.(css|js)$/.test(rel)) continue;
  let s = fs.readFileSync(abs, 'utf8');
  const before = s;

  // Source-map references (we never ship .map files).
  s = s.replace(/^[ \t]*\/\/[#@][ \t]*sourceMappingURL=(\S*)[ \t]*(?:\r?\n|$)/gm, (m, u) => {
    note(rel, `removed source-map comment "sourceMappingURL=${u}"`); return '';
  });
  s = s.replace(/\/\*[#@][ \t]*sourceMappingURL=(\S*?)[ \t]*\*\/[ \t]*(?:\r?\n)?/g, (m, u) => {
    note(rel, `removed source-map comment "sourceMappingURL=${u}"`); return '';
  });

  if (rel.endsWith('.css')) {
    // @import of remote stylesheets (web fonts etc.).
    s = s.replace(/@import\s+(?:url\(\s*)?(["']?)([^"')\s;]+)\1\s*\)?[^;]*;[ \t]*(?:\r?\n)?/gi, (m, q, u) => {
      if (!REMOTE.test(u)) return m;
      note(rel, `removed remote ${m.trim()}`); return '';
    });
    // @font-face blocks that load from remote hosts.
    s = s.replace(/@font-face\s*\{[^}]*\}/gi, m => {
      const urls = [...m.matchAll(/url\(\s*(["']?)(.*?)\1\s*\)/g)].map(x => x[2]);
      if (!urls.some(u => REMOTE.test(u))) return m;
      note(rel, `removed @font-face with remote src: ${urls.join(', ')}`); return '';
    });
  }
  if (s !== before) {
    if (!s.endsWith('\n')) s += '\n';
    fs.writeFileSync(abs, s);
  }
}
NODE

log "==> auditing for external references"
node - "$OUT" <<'NODE'
const fs = require('fs'), path = require('path');
const root = process.argv[2];
const walk = d => fs.readdirSync(d, {withFileTypes: true}).flatMap(e =>
  e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]).sort();
const CDN = /rsms\.me|fonts\.googleapis\.com|fonts\.gstatic\.com|use\.typekit|cdn\.jsdelivr|unpkg\.com|cdnjs\.cloudflare|ajax\.googleapis|stackpath\.bootstrapcdn|maxcdn|code\.jquery\.com|api\.tabler\.io/i;
let bad = [];
for (const abs of walk(root)) {
  const rel = path.relative(root, abs);
  if (!/\.(css|js)$/.test(rel)) continue;
  const s = fs.readFileSync(abs, 'utf8');
  if (/sourceMappingURL/.test(s)) bad.push(`${rel}: still contains sourceMappingURL`);
  if (rel.endsWith('.css')) {
    if (/@import/i.test(s)) bad.push(`${rel}: contains @import`);
    for (const m of s.matchAll(/url\(\s*(["']?)(.*?)\1\s*\)/g)) {
      const u = m[2];
      if (/^(data:|#)/i.test(u)) continue;
      if (/^([a-z][a-z0-9+.-]*:|\/\/|\/)/i.test(u)) { bad.push(`${rel}: non-relative url(${u})`); continue; }
      const target = path.join(path.dirname(abs), u.split(/[?#]/)[0]);
      if (!fs.existsSync(target)) bad.push(`${rel}: url(${u}) -> missing file`);
    }
  }
  const cdn = s.match(new RegExp(CDN.source, 'gi'));
  if (cdn) bad.push(`${rel}: mentions CDN/web-font host(s): ${[...new Set(cdn)].join(', ')}`);
  // Informational: every absolute URL left in the file.
  const urls = {};
  for (const m of s.matchAll(/(?:https?:)?\/\/[a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,}(?:\/[^\s"'`)<>\\]*)?/gi)) {
    if (!/^https?:/i.test(m[0]) && !/^[\s"'(=,:]$/.test(s[m.index - 1] || ' ')) continue;
    urls[m[0]] = (urls[m[0]] || 0) + 1;
  }
  const list = Object.entries(urls);
  console.error(`  ${rel}: ${list.length ? '' : 'no absolute URLs'}`);
  for (const [u, n] of list) console.error(`      ${n}x ${u}`);
}
if (bad.length) {
  console.error('\nerror: external references remain - handle them in this script:');
  for (const b of bad) console.error('  - ' + b);
  process.exit(1);
}
console.error('  audit passed: no remote @import/url(), no source maps, no CDN hosts.');
console.error('  (remaining URLs above are licence banners, XML namespaces or links in');
console.error('   messages/markup; none is fetched by the browser on its own.)');
NODE

# ---------------------------------------------------------------------------
# VERSIONS.md (generated)
# ---------------------------------------------------------------------------
size() { wc -c < "$OUT/$1" | tr -d ' '; }
files_of() {  # files_of <dir> -> "`a` (123 B), `b` (456 B)"
    local first=1 f
    while IFS= read -r f; do
        [ $first -eq 1 ] || printf ', '
        first=0
        printf '`%s` (%s B)' "${f#"$1"/}" "$(size "$f")"
    done < <(cd "$OUT" && find "$1" -type f | LC_ALL=C sort)
}

{
cat <<EOF
# Vendored front-end libraries

**Generated by \`scripts/vendor_assets.sh\` - do not edit by hand.** To upgrade,
change the pinned version + integrity in that script, re-run it, review the
diff. \`scripts/vendor_assets.sh --check\` verifies this folder matches the pins.

Everything here is served from our own static files: CivicGrid deployments sit
on government intranets and must never load assets from a CDN or external URL.

| Library | npm package | Exact version | Licence | Files (bytes) |
|---|---|---|---|---|
| Tabler (CSS incl. Bootstrap 5 CSS; JS incl. Bootstrap $BOOTSTRAP_VERSION JS + Popper) | \`@tabler/core\` | $TABLER_VERSION | MIT (Popper: MIT) | $(files_of tabler) |
| Bootstrap bundle (Bootstrap JS + Popper) | \`bootstrap\` | $BOOTSTRAP_VERSION | MIT (Popper $POPPER_VERSION: MIT) | $(files_of bootstrap) |
| htmx | \`htmx.org\` | $HTMX_VERSION | 0BSD (Zero-Clause BSD) | $(files_of htmx) |
| Leaflet | \`leaflet\` | $LEAFLET_VERSION | BSD-2-Clause | $(files_of leaflet) |
| Apache ECharts | \`echarts\` | $ECHARTS_VERSION | Apache-2.0 (embedded d3 code: BSD-3-Clause) | $(files_of echarts) |
| gcoord | \`gcoord\` | $GCOORD_VERSION | MIT | $(files_of gcoord) |

Integrity of the npm tarballs the files were taken from:

| Package | dist.integrity |
|---|---|
| @tabler/core@$TABLER_VERSION | \`$TABLER_INTEGRITY\` |
| bootstrap@$BOOTSTRAP_VERSION | \`$BOOTSTRAP_INTEGRITY\` |
| @popperjs/core@$POPPER_VERSION (licence file only) | \`$POPPER_INTEGRITY\` |
| htmx.org@$HTMX_VERSION | \`$HTMX_INTEGRITY\` |
| leaflet@$LEAFLET_VERSION | \`$LEAFLET_INTEGRITY\` |
| echarts@$ECHARTS_VERSION | \`$ECHARTS_INTEGRITY\` |
| gcoord@$GCOORD_VERSION | \`$GCOORD_INTEGRITY\` |

## Tabler JS vs. the Bootstrap bundle - load only ONE of them

* \`tabler/tabler.min.js\` is a UMD bundle that already contains Bootstrap's JS
  (Alert, Button, Carousel, Collapse, Dropdown, Modal, Offcanvas, Popover,
  ScrollSpy, Tab, Toast, Tooltip) and Popper, and registers Bootstrap's
  \`data-bs-*\` data-API itself, so dropdowns/collapse/offcanvas work with it
  alone. It sets only \`window.tabler\`; it does **not** set \`window.bootstrap\`.
  The classes are at \`window.tabler.bootstrap\` (e.g.
  \`tabler.bootstrap.Modal.getOrCreateInstance(el)\`) and also directly as
  \`tabler.Modal\`, \`tabler.Dropdown\`, ...
* \`bootstrap/bootstrap.bundle.min.js\` sets \`window.bootstrap\`. It is vendored
  for code that expects that global.
* Do not include both on the same page: each registers its own click handlers,
  so a \`data-bs-toggle="dropdown"\` opens and immediately closes again. If some
  code needs \`window.bootstrap\` while the page uses tabler.min.js, alias it
  (\`window.bootstrap = window.tabler.bootstrap;\` from a static .js file)
  instead of loading the second bundle.

## Modifications from upstream

The files are byte-for-byte the npm release files except for the edits below,
made by the script. `tabler/LICENSE` is not from the npm tarball (which ships
none): it is the MIT text of github.com/tabler/tabler's LICENSE with the
copyright years from the vendored files' banner. `*/LICENSE-popper.md` is the
LICENSE.md of `@popperjs/core`.

EOF
if [ -s "$MODLOG" ]; then
    LC_ALL=C sort "$MODLOG" | while IFS=$'\t' read -r f what; do
        printf -- '* `%s`: %s\n' "$f" "$what"
    done
else
    echo "* none"
fi
cat <<'EOF'

At the pinned versions, the absolute URLs that remain are not fetched by the
browser on their own: licence
banners in comments, XML namespace identifiers (`http://www.w3.org/2000/svg`,
also inside inline `data:` SVG images in tabler.min.css), links in Popper error
messages, and Leaflet's attribution prefix, which renders a clickable link to
https://leafletjs.com (change it with `map.attributionControl.setPrefix(...)`
if that link is unwanted on the intranet). Tabler's CSS uses system fonts only
(no web-font downloads). Leaflet's CSS references only its own `images/` folder.

## Files derived from these

The pages do not load `tabler/tabler.min.css` and `tabler/tabler.min.js`: they load two
files built from the pinned packages into `../build/`, which this script does not touch:
`tabler.reduced.min.css`, the rules of `tabler/tabler.min.css` that the pages use
(`scripts/build_css.py`), and `bootstrap.civicgrid.min.js`, Bootstrap's Collapse, Dropdown
and Modal from the `bootstrap` tarball (`scripts/build_js.sh`). Run both again after
changing the Tabler or Bootstrap pin (docs/performance.md).
EOF
} > "$OUT/VERSIONS.md"
chmod 0644 "$OUT/VERSIONS.md"

# ---------------------------------------------------------------------------
# Install (or compare)
# ---------------------------------------------------------------------------
if [ "$CHECK_ONLY" -eq 1 ]; then
    if diff -r "$OUT" "$DEST" >/dev/null 2>&1; then
        log "OK: $DEST matches the pinned versions."
        exit 0
    fi
    log "MISMATCH: $DEST differs from what the pinned versions produce:"
    diff -rq "$OUT" "$DEST" >&2 || true
    exit 1
fi

case "$DEST" in
    */civicgrid/core/static/vendor) ;;
    *) log "error: refusing to replace unexpected path $DEST"; exit 1 ;;
esac
mkdir -p "$(dirname "$DEST")"
rm -rf "$DEST"
cp -R "$OUT" "$DEST"
find "$DEST" -type d -exec chmod 0755 {} +

log "==> wrote $DEST"
(cd "$DEST" && find . -type f | LC_ALL=C sort | while IFS= read -r f; do
    printf '  %10s  %s\n' "$(wc -c < "$f" | tr -d ' ')" "${f#./}"
done) >&2
log "  total: $(du -sk "$DEST" | cut -f1) KiB on disk, $(find "$DEST" -type f -exec cat {} + | wc -c | tr -d ' ') bytes of content"
