#!/usr/bin/env bash
# Schema-driven HTTP fuzzing of the local server: schemathesis reads GET /openapi.json of a
# small `framewise serve --demo` and sends generated requests (valid and invalid) to every
# operation, as the shop's backend. It fails on any 5xx, on an answer whose status the
# document does not list for the operation, on a body, content type or header that does not
# match the documented response of its status, on a token route that answers without a
# token, and on another method of a documented path that is not refused with 405.
#
# Needs the debug binary (`cargo build -p framewise-cli`) and schemathesis (`st`, installed by
# .ci/run into ~/.cache/framewise/ci-venv). Tunables: FUZZ_EXAMPLES (per operation, default
# 100, about 30 s), FUZZ_SEED (replay a run), FUZZ_CHECKS (e.g. `all` to explore stricter
# checks), FRAMEWISE_BIN, SCHEMATHESIS (the `st` to run).
set -euo pipefail
cd "$(dirname "$0")/../.."

bin="${FRAMEWISE_BIN:-${CARGO_TARGET_DIR:-target}/debug/framewise}"
st="${SCHEMATHESIS:-st}"
python="${FRAMEWISE_PYTHON:-python3}"
examples="${FUZZ_EXAMPLES:-100}"
checks="${FUZZ_CHECKS:-not_a_server_error,status_code_conformance,response_schema_conformance,content_type_conformance,response_headers_conformance,ignored_auth,unsupported_method}"
if [ ! -x "$bin" ]; then
  echo "fuzz: no binary at $bin (cargo build -p framewise-cli)" >&2
  exit 2
fi

work=$(mktemp -d)
server=""
# shellcheck disable=SC2317  # called by the EXIT trap
cleanup() {
  if [ -n "$server" ]; then
    kill "$server" 2>/dev/null || true
    wait "$server" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

"$bin" serve --demo --styles 100 --customers 50 --days 30 --regenerate-every 0 \
  --addr 127.0.0.1:0 --data-dir "$work/data" >"$work/stdout" 2>"$work/stderr" &
server=$!

# The server prints its address once it listens (port 0: the OS picked a free one).
base=""
for _ in $(seq 1 240); do
  base=$(sed -n 's|^framewise listening on \(http://[0-9.:]*\)$|\1|p' "$work/stdout")
  [ -n "$base" ] && break
  if ! kill -0 "$server" 2>/dev/null; then
    echo "fuzz: framewise serve exited before listening" >&2
    cat "$work/stderr" >&2
    exit 1
  fi
  sleep 0.5
done
if [ -z "$base" ]; then
  echo "fuzz: framewise serve did not listen within 120 s" >&2
  tail -20 "$work/stderr" >&2
  exit 1
fi

token=$("$python" -c 'import json, sys; print(json.load(open(sys.argv[1]))["service"]["token"])' \
  "$work/data/dev-tokens.json")

# The shopper the lens-advice operation is fuzzed for (tests/fuzz/schemathesis.toml).
"$python" - "$base" "$token" <<'PY'
import sys, urllib.request
base, token = sys.argv[1:3]
body = b'{"prescription": "OD -4.00 -1.25 x 90 add +2.00 OS -3.50 -0.75 x 85 add +2.00 PD 63"}'
request = urllib.request.Request(
    f"{base}/v1/customers/fuzz-rx/profile", data=body, method="PUT",
    headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
urllib.request.urlopen(request, timeout=30).read()
PY

seed=()
if [ -n "${FUZZ_SEED:-}" ]; then
  seed=(--seed "$FUZZ_SEED")
fi
echo "fuzz: schemathesis against $base/openapi.json, $examples examples per operation"
status=0
"$st" --config-file tests/fuzz/schemathesis.toml run "$base/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks "$checks" \
  --max-examples "$examples" \
  --phases examples,coverage,fuzzing \
  --generation-database none \
  --no-color \
  "${seed[@]}" || status=$?

if [ "$status" -ne 0 ]; then
  # The server's side of the failures (5xx are logged with their cause).
  echo "fuzz: server log (last 40 lines):" >&2
  tail -40 "$work/stderr" >&2
fi
exit "$status"
