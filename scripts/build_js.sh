#!/usr/bin/env bash
#
# build_js.sh - build civicgrid/core/static/build/bootstrap.civicgrid.min.js: the three
# Bootstrap components the pages use (Collapse: the phone menu and the filters; Dropdown:
# the user menu; Modal: the case actions, with its data-bs-dismiss). 10 KB gzipped instead
# of 24 KB for the whole bootstrap.bundle.min.js (issue 17, point 9: page weight).
#
# Without Popper (7 KB gzipped): the only dropdown is the navbar's, where Bootstrap does not
# let Popper place the menu anyway (it marks the menu data-bs-popper="static", switches
# Popper's styles off, and the CSS places it below the toggle). A six-line stand-in
# (popper-stub.js below) gives any dropdown that same static placement: below its toggle,
# aligned to its start, or to its end with .dropdown-menu-end; it never flips at the
# viewport's edge. A page that needs a dropdown placed by Popper (or Tooltip, Popover):
# drop the alias and the stub, and bundle @popperjs/core from its pinned tarball.
#
#   scripts/build_js.sh           rebuild the file
#   scripts/build_js.sh --check   exit 1 if the committed file differs from a fresh build
#
# Dev time only (npm registry); `make run` and `make test` use the committed output. The
# sources are the npm tarballs of the versions pinned in scripts/vendor_assets.sh (the
# same integrity hashes, read from there), bundled by esbuild at the version below.
# A page that needs another component (Tooltip, Tab, Offcanvas, …): add it to ENTRY and
# re-run; data-bs-* attributes of a component that is not in the build do nothing.

set -euo pipefail

ESBUILD_VERSION="0.25.9"

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="$REPO_ROOT/civicgrid/core/static/build/bootstrap.civicgrid.min.js"
PINS="$REPO_ROOT/scripts/vendor_assets.sh"

CHECK_ONLY=0
case "${1:-}" in
    "") ;;
    --check) CHECK_ONLY=1 ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

pin() { grep -E "^$1=" "$PINS" | head -n 1 | cut -d'"' -f2; }
BOOTSTRAP_VERSION="$(pin BOOTSTRAP_VERSION)"
BOOTSTRAP_INTEGRITY="$(pin BOOTSTRAP_INTEGRITY)"

WORK="$(mktemp -d "${TMPDIR:-/tmp}/civicgrid-js.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# fetch <npm-name> <version> <integrity> <dest-dir>: the tarball, checked, unpacked
fetch() {
    local name="$1" version="$2" integrity="$3" dest="$4" tgz actual
    tgz="$(cd "$WORK" && npm pack "$name@$version" --ignore-scripts --silent | tail -n 1)"
    actual="sha512-$(node -e 'const c=require("crypto"),f=require("fs");process.stdout.write(c.createHash("sha512").update(f.readFileSync(process.argv[1])).digest("base64"))' "$WORK/$tgz")"
    if [ "$actual" != "$integrity" ]; then
        echo "error: integrity mismatch for $name@$version" >&2; exit 1
    fi
    mkdir -p "$dest"
    tar -xzf "$WORK/$tgz" -C "$dest" --strip-components=1
}

fetch bootstrap "$BOOTSTRAP_VERSION" "$BOOTSTRAP_INTEGRITY" "$WORK/node_modules/bootstrap"
# (in a folder of its own: npm install prunes what it did not install itself)
mkdir -p "$WORK/tools"
echo '{"private": true}' > "$WORK/tools/package.json"
(cd "$WORK/tools" && npm install --no-save --silent "esbuild@$ESBUILD_VERSION" >/dev/null)

cat > "$WORK/entry.js" <<'EOF'
// Each component registers its data-bs-* handlers when its module runs.
export { default as Collapse } from 'bootstrap/js/src/collapse.js'
export { default as Dropdown } from 'bootstrap/js/src/dropdown.js'
export { default as Modal } from 'bootstrap/js/src/modal.js'
EOF

cat > "$WORK/popper-stub.js" <<'EOF'
// Stands in for @popperjs/core (see the top of scripts/build_js.sh).
export function createPopper(reference, popper) {
  popper.setAttribute('data-bs-popper', 'static')
  return { state: {}, update() {}, forceUpdate() {}, destroy() {},
    setOptions() { return Promise.resolve({}) } }
}
EOF

BANNER="/*! Bootstrap v$BOOTSTRAP_VERSION (Collapse, Dropdown, Modal; no Popper) | (c) 2011-2025 The Bootstrap Authors | MIT | built by scripts/build_js.sh with esbuild $ESBUILD_VERSION */"
OUT="$WORK/bootstrap.civicgrid.min.js"
(cd "$WORK" && ./tools/node_modules/.bin/esbuild entry.js --bundle --minify --format=iife \
    --global-name=bootstrap --target=es2019 --legal-comments=none --charset=utf8 \
    --alias:@popperjs/core=./popper-stub.js \
    "--banner:js=$BANNER" --outfile="$OUT" --log-level=warning)

if [ "$CHECK_ONLY" -eq 1 ]; then
    if cmp -s "$OUT" "$TARGET"; then
        echo "OK: ${TARGET#"$REPO_ROOT"/} is up to date"; exit 0
    fi
    echo "${TARGET#"$REPO_ROOT"/} differs from a fresh build: run scripts/build_js.sh" >&2
    exit 1
fi
mkdir -p "$(dirname "$TARGET")"
cp "$OUT" "$TARGET"
chmod 0644 "$TARGET"
echo "wrote ${TARGET#"$REPO_ROOT"/}: $(wc -c < "$TARGET") bytes, $(gzip -9c "$TARGET" | wc -c) gzipped"
