#!/usr/bin/env bash
# The whole test suite, under Bun and then under Deno (both from node_modules).
# Ends with one plain line: "tests: N passed, N failed" (both runtimes added up).
set -uo pipefail
cd "$(dirname "$0")/.."
BIN=./node_modules/.bin
[ -x "$BIN/bun" ] && [ -x "$BIN/deno" ] || npm install --no-audit --no-fund
logs=$(mktemp -d)
status=0
echo "== bun test"
"$BIN/bun" test --timeout 120000 "$@" 2>&1 | tee "$logs/bun.log" || status=1
echo "== deno test"
"$BIN/deno" test -A --quiet "$@" 2>&1 | tee "$logs/deno.log" || status=1
strip() { sed -E 's/\x1b\[[0-9;]*m//g' "$1"; }
bun_pass=$(strip "$logs/bun.log" | sed -nE 's/^ *([0-9]+) pass$/\1/p' | tail -1)
bun_fail=$(strip "$logs/bun.log" | sed -nE 's/^ *([0-9]+) fail$/\1/p' | tail -1)
deno_line=$(strip "$logs/deno.log" | grep -E '^(ok|FAILED) \| ' | tail -1)
deno_pass=$(echo "$deno_line" | sed -nE 's/.*[0-9]+ passed \(([0-9]+) steps?\).*/\1/p')
[ -n "$deno_pass" ] || deno_pass=$(echo "$deno_line" | sed -nE 's/.* ([0-9]+) passed.*/\1/p')
deno_fail=$(echo "$deno_line" | sed -nE 's/.*[0-9]+ failed \(([0-9]+) steps?\).*/\1/p')
[ -n "$deno_fail" ] || deno_fail=$(echo "$deno_line" | sed -nE 's/.* ([0-9]+) failed.*/\1/p')
rm -rf "$logs"
passed=$(( ${bun_pass:-0} + ${deno_pass:-0} ))
failed=$(( ${bun_fail:-0} + ${deno_fail:-0} ))
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi # a runner failed without a count
echo "bun: ${bun_pass:-0} passed, ${bun_fail:-0} failed; deno: ${deno_pass:-0} passed, ${deno_fail:-0} failed"
echo "tests: $passed passed, $failed failed"
exit $status
