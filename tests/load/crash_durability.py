#!/usr/bin/env python3
"""Signals accepted with 202 across kill -9 crashes of `framewise serve`: are they all applied,
each once? Posts signals from several threads, kills the server (SIGKILL) at random moments,
restarts it, and at the end compares the 202-accepted event ids with what the store applied
(through the admin export of each shopper). Prints one table.

    tests/load/crash_durability.py FRAMEWISE_BIN [CRASHES=4] [SECONDS_PER_RUN=3]
"""
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone

BIN = sys.argv[1]
CRASHES = int(sys.argv[2]) if len(sys.argv) > 2 else 4
SECONDS = float(sys.argv[3]) if len(sys.argv) > 3 else 3.0
CUSTOMERS = [f"cu-{i:05d}" for i in range(10, 20)]
DEMO = ["--demo", "--styles", "120", "--customers", "150", "--days", "30"]


def start(data_dir, extra):
    proc = subprocess.Popen(
        [BIN, "serve", "--addr", "127.0.0.1:0", "--data-dir", data_dir,
         "--regenerate-every", "0", *extra],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
        env={**os.environ, "FRAMEWISE_LOG": "error"})
    for line in proc.stdout:
        match = re.match(r"framewise listening on (\S+)", line)
        if match:
            return proc, match.group(1)
    raise SystemExit("serve did not start")


def token(data_dir, scope):
    out = subprocess.run([BIN, "token", "--scope", scope, "--data-dir", data_dir],
                         capture_output=True, text=True, check=True).stdout
    return out.strip().splitlines()[-1]


def call(url, token_, body=None):
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, method="POST" if data else "GET")
    request.add_header("Authorization", f"Bearer {token_}")
    request.add_header("Content-Type", "application/json")
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None


def main():
    data_dir = tempfile.mkdtemp()
    accepted, lock, counter = set(), threading.Lock(), [0]
    posted = 0
    for run in range(CRASHES + 1):
        proc, base = start(data_dir, DEMO if run == 0 else [])
        service = token(data_dir, "framewise/service")
        stop = time.time() + (SECONDS if run < CRASHES else 0)

        def post():
            nonlocal posted
            while time.time() < stop:
                with lock:
                    counter[0] += 1
                    event = f"crash-{counter[0]:06d}"
                    posted += 1
                ts = (datetime.now(timezone.utc) - timedelta(seconds=5)).isoformat()
                body = {"signals": [{"event_id": event, "customer_id": random.choice(CUSTOMERS),
                                     "kind": "view", "style_id": "st-0001", "timestamp": ts}]}
                try:
                    status, _ = call(f"{base}/v1/signals", service, body)
                except OSError:
                    return  # the server died mid-request: not accepted
                if status == 202:
                    with lock:
                        accepted.add(event)

        threads = [threading.Thread(target=post) for _ in range(4)]
        for t in threads:
            t.start()
        if run < CRASHES:
            time.sleep(random.uniform(0.5, SECONDS))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        for t in threads:
            t.join()
    # Last run: let the worker drain, then read what was applied.
    for _ in range(600):
        status, health = call(f"{base}/healthz", service)
        if health and health.get("queue_depth") == 0:
            break
        time.sleep(0.1)
    admin = token(data_dir, "framewise/admin")
    applied = []
    for customer in CUSTOMERS:
        _, export = call(f"{base}/v1/customers/{customer}/export", admin)
        applied += [s["event_id"] for s in (export or {}).get("signals", [])
                    if s["event_id"].startswith("crash-")]
    proc.send_signal(signal.SIGKILL)
    once = set(applied)
    print("| crashes | posted | accepted (202) | applied | applied twice | accepted, not applied |")
    print("|---|---|---|---|---|---|")
    print(f"| {CRASHES} | {posted} | {len(accepted)} | {len(applied)} | {len(applied) - len(once)} "
          f"| {len(accepted - once)} |")
    sys.exit(0 if accepted <= once and len(applied) == len(once) else 1)


main()
