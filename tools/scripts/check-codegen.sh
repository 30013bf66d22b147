#!/usr/bin/env bash
# Fails when libs/proto/src/gen is not what `buf generate` makes from /proto,
# so a .proto change can never land without its regenerated code.
# Run from libs/proto (the nx codegen-check target does).
set -euo pipefail
buf lint ../../proto
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
buf generate -o "$out"
if ! diff -r "$out/src/gen" src/gen; then
  echo "libs/proto/src/gen is stale: run 'npx nx run proto:codegen' and commit the result." >&2
  exit 1
fi
echo "generated code is up to date"
