#!/usr/bin/env bash
# The whole test suite, under Bun and then under Deno (both from node_modules).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=./node_modules/.bin
[ -x "$BIN/bun" ] && [ -x "$BIN/deno" ] || npm install --no-audit --no-fund
status=0
echo "== bun test"
"$BIN/bun" test --timeout 120000 "$@" || status=1
echo "== deno test"
"$BIN/deno" test -A --quiet "$@" || status=1
if [ "$status" = 0 ]; then echo "all tests passed under bun and deno"; else echo "test failures (see above)"; fi
exit $status
