#!/usr/bin/env bash
#
# minify_js.sh - the minified copies of the page scripts that the heaviest pages load
# (issue 17, point 9: page weight; docs/performance.md): civicgrid/core/static/build/<app>/
# <file>, each the esbuild --minify of civicgrid/<app>/static/<app>/<file> (the same
# esbuild version as scripts/build_js.sh). The build keeps the source's path under build/,
# so `core/basemap.js` is served as `build/core/basemap.js`.
#
# Each output starts with a banner naming its source and the source's SHA-256: the test
# civicgrid/core/tests/test_minified_js.py fails when a source changed and its copy was
# not rebuilt (no npm needed to check it).
#
#   scripts/minify_js.sh           rebuild the copies
#   scripts/minify_js.sh --check   exit 1 if a copy differs from a fresh build
#
# Dev time only (npm registry); `make run` and `make test` use the committed output. The
# sources stay as written (they are what is read and edited; the pages load the copies).

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ESBUILD_VERSION="$(grep -E '^ESBUILD_VERSION=' "$REPO_ROOT/scripts/build_js.sh" | cut -d'"' -f2)"
BUILD="$REPO_ROOT/civicgrid/core/static/build"
# source (under civicgrid/) : output (under build/)
SOURCES=(
    "core/static/core/basemap.js:core/basemap.js"
    "cases/static/cases/intake.js:cases/intake.js"
)

CHECK_ONLY=0
case "${1:-}" in
    "") ;;
    --check) CHECK_ONLY=1 ;;
    *) echo "usage: $0 [--check]" >&2; exit 2 ;;
esac

WORK="$(mktemp -d "${TMPDIR:-/tmp}/civicgrid-minify.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
mkdir -p "$WORK/tools"
echo '{"private": true}' > "$WORK/tools/package.json"
(cd "$WORK/tools" && npm install --no-save --silent "esbuild@$ESBUILD_VERSION" >/dev/null)

status=0
for pair in "${SOURCES[@]}"; do
    source="$REPO_ROOT/civicgrid/${pair%%:*}"
    target="$BUILD/${pair##*:}"
    digest="$(sha256sum "$source" | cut -d' ' -f1)"
    banner="/*! civicgrid/${pair%%:*} sha256:$digest | minified by scripts/minify_js.sh with esbuild $ESBUILD_VERSION */"
    out="$WORK/$(basename "$target")"
    "$WORK/tools/node_modules/.bin/esbuild" "$source" --minify --target=es2019 \
        --legal-comments=none --charset=utf8 "--banner:js=$banner" --outfile="$out" \
        --log-level=warning
    if [ "$CHECK_ONLY" -eq 1 ]; then
        if ! cmp -s "$out" "$target"; then
            echo "${target#"$REPO_ROOT"/} differs from a fresh build: run scripts/minify_js.sh" >&2
            status=1
        fi
        continue
    fi
    mkdir -p "$(dirname "$target")"
    cp "$out" "$target"
    chmod 0644 "$target"
    echo "wrote ${target#"$REPO_ROOT"/}: $(wc -c < "$target") bytes, $(gzip -9c "$target" | wc -c) gzipped"
done
[ "$CHECK_ONLY" -eq 1 ] && [ "$status" -eq 0 ] && echo "OK: the minified copies are up to date"
exit "$status"
