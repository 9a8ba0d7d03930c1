#!/usr/bin/env bash
# GET recommendations with and without a context (occasion, country, hour) against one
# `framewise serve --demo`, alternating, 50 connections: the p95 a context adds. Compare the
# two rows of one round: the machine is shared and noisy.
#
#   tests/load/context.sh FRAMEWISE_BIN [ROUNDS=2] [SECONDS=15] [CONTEXT_QUERY]
set -euo pipefail
bin=$1 rounds=${2:-2} seconds=${3:-15}
context=${4:-occasion=beach&country=AU&hour=20}
here="$(cd "$(dirname "$0")" && pwd)"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

"$bin" serve --demo --data-dir "$work/data" --addr 127.0.0.1:0 --regenerate-every 0 \
  >"$work/server.log" 2>/dev/null &
url=""
for _ in $(seq 600); do
  url=$(sed -n 's/^framewise listening on //p' "$work/server.log")
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "the server did not start" >&2; exit 1; }
token=$("$bin" token --scope framewise/service --data-dir "$work/data" | tail -1)

measure() { # name query round
  FRAMEWISE_TOKEN=$token FRAMEWISE_QUERY=$2 \
    wrk -t2 -c50 -d"${seconds}s" -s "$here/recommendations.lua" "$url" >"$work/$1-$3.txt"
  local out="$work/$1-$3.txt"
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$3" "$1" \
    "$(sed -n 's/.*throughput \([0-9]*\) req\/s/\1/p' "$out")" \
    "$(sed -n 's/^p50 //p' "$out")" "$(sed -n 's/^p95 //p' "$out")" \
    "$(sed -n 's/^p99 //p' "$out")" "$(sed -n 's/.*errors \([0-9]*\),.*/\1/p' "$out")"
}

echo "| round | request | req/s | p50 | p95 | p99 | errors |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  measure plain "" "$round"
  measure "$context" "$context" "$round"
done
