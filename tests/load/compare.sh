#!/usr/bin/env bash
# Runs the README's load test (wrk, 50 connections, random demo shoppers, page of 12) against
# two `framewise` binaries back to back, alternating, and prints one table. Compare ratios
# within one run: the machine is shared and noisy.
#
#   tests/load/compare.sh ANCHOR_BIN NEW_BIN [ROUNDS=2] [SECONDS=20]
set -euo pipefail
anchor=$1 new=$2 rounds=${3:-2} seconds=${4:-20}
here="$(cd "$(dirname "$0")" && pwd)"
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# One demo data directory per binary, prepared once (identical seed and sizes).
run() { # name bin round
  local name=$1 bin=$2 log="$work/$1-server.log"
  "$bin" serve --demo --data-dir "$work/data-$name" --addr 127.0.0.1:0 --regenerate-every 0 \
    >"$log" 2>/dev/null &
  local pid=$!
  local url=""
  for _ in $(seq 600); do
    url=$(sed -n 's/^framewise listening on //p' "$log")
    [ -n "$url" ] && break
    sleep 0.1
  done
  [ -n "$url" ] || { echo "$name did not start" >&2; exit 1; }
  # Customer lists need a token since identity landed: the shop backend's (service scope).
  local token
  token=$("$bin" token --scope framewise/service --data-dir "$work/data-$name" | tail -1)
  FRAMEWISE_TOKEN=$token wrk -t2 -c50 -d"${seconds}s" -s "$here/recommendations.lua" "$url" \
    >"$work/$name-$3.txt"
  kill "$pid"; wait "$pid" 2>/dev/null || true
  local rps p50 p95 p99
  rps=$(sed -n 's/.*throughput \([0-9]*\) req\/s/\1/p' "$work/$name-$3.txt")
  p50=$(sed -n 's/^p50 //p' "$work/$name-$3.txt")
  p95=$(sed -n 's/^p95 //p' "$work/$name-$3.txt")
  p99=$(sed -n 's/^p99 //p' "$work/$name-$3.txt")
  errors=$(sed -n 's/.*errors \([0-9]*\),.*/\1/p' "$work/$name-$3.txt")
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$3" "$name" "$rps" "$p50" "$p95" "$p99" "$errors"
}

echo "| round | binary | req/s | p50 | p95 | p99 | errors |"
echo "|---|---|---|---|---|---|---|"
for round in $(seq "$rounds"); do
  run anchor "$anchor" "$round"
  run new "$new" "$round"
done
