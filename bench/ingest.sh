#!/usr/bin/env bash
# The ingest benchmark (see docs/bench.md): Tern on Bun and Deno vs Postfix vs smtp-sink.
#   bash bench/ingest.sh [--runs 3] [--scale 1] [--servers ...] [--loads ...] [--no-big] [--postfix-full]
# Needs root (a private Postfix instance) and the Debian postfix package (smtp-source, smtp-sink).
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in smtp-source smtp-sink postfix; do
  command -v "$tool" >/dev/null || { echo "bench: $tool not found: apt-get install postfix (see /work/shared/PEERS.md / docs/bench.md)" >&2; exit 1; }
done
[ -x ./node_modules/.bin/bun ] && [ -x ./node_modules/.bin/deno ] || npm install --no-audit --no-fund
exec ./node_modules/.bin/bun bench/ingest.ts "$@"
