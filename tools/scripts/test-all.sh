#!/usr/bin/env bash
# `npm test`: every check and test there is, the end-to-end scenarios
# (apps/e2e, against a local cluster), then the benchmark smoke runs.
# Prints one closing line "N passed, N failed" summed over every jest run.
set -uo pipefail
cd "$(dirname "$0")/../.."
bash tools/scripts/ensure-etcd.sh || exit 1
log=$(mktemp)
trap 'rm -f "$log"' EXIT

npx nx run-many -t codegen-check build typecheck lint test --outputStyle=stream 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
if [ "$status" -eq 0 ]; then
  npx nx e2e e2e --outputStyle=stream 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
fi
if [ "$status" -eq 0 ]; then
  npx nx run bench:smoke --outputStyle=stream 2>&1 | tee -a "$log"
  status=${PIPESTATUS[0]}
fi

# Jest prints "Tests: 2 failed, 40 passed, 42 total" per project (with colors).
sed 's/\x1b\[[0-9;]*m//g' "$log" | awk '
  /Tests:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed/) p += $(i-1); if ($i ~ /^failed/) f += $(i-1) } }
  END { printf "%d passed, %d failed\n", p, f }'
exit "$status"
