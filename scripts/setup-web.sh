#!/usr/bin/env bash
# Vendors reveal.js into .web/ so that a deck exported with --slides works with no network (a lecture hall,
# a USB stick): the export copies the files it uses next to index.html. The version is the one the deck
# template of manim-slides 5.7.0 is written for (its `reveal_version`; pipeline/publishing/slides.py pins the same).
# Idempotent: does nothing once the pinned version is in place. Needs npm (Debian package `npm`).
set -euo pipefail
cd "$(dirname "$0")/.."
VERSION=6.0.1
# sha512 of reveal.js-6.0.1.tgz as published on the npm registry (its `dist.integrity`, in hex)
SHA512=f5e69c02b34882a3b61c658e2bef77809367fa0bdd18355b4aafa2daedc96bd923887a6cd1734ba606136536232911fdd6e5f2ddc9468a67868b0e2e9871bfb6
DEST=.web/reveal.js-$VERSION
[ -f "$DEST/.complete" ] && exit 0
command -v npm >/dev/null || { echo "setup-web: npm is needed to fetch reveal.js (apt-get install npm)" >&2; exit 1; }
mkdir -p .web
tmp=$(mktemp -d .web/.tmp.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo "setup-web: fetching reveal.js $VERSION from the npm registry"
(cd "$tmp" && npm pack --silent --no-audit --no-fund "reveal.js@$VERSION" >/dev/null)
echo "$SHA512  $tmp/reveal.js-$VERSION.tgz" | sha512sum --check --quiet -
mkdir "$tmp/x"
tar -xzf "$tmp/reveal.js-$VERSION.tgz" -C "$tmp/x" package/dist package/LICENSE package/package.json
touch "$tmp/x/package/.complete"
rm -rf "$DEST"
mv "$tmp/x/package" "$DEST"
