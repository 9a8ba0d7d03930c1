#!/usr/bin/env python3
"""Self-check of `infra/spark/train_als.py` on local Spark (local[2]).

Run with the CI venv (pyspark + numpy) and Java 17 on PATH:

    "$FRAMEWISE_PYTHON" tests/spark/run_train_als.py

One JVM for everything (a Spark start costs 10-20 s on the 2-core machines): the job is
driven in-process through its own `main`/`run`, and only argument errors, which fail before
Spark starts, go through the command line. The artifact is checked with plain Python
(struct, hashlib) against expectations computed here from the generated events, never
from the job's own helpers. Exit status 0 only when every check passed; the last line is
`spark-als: N passed, M failed`.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Dict, List, Sequence, Tuple

ROOT = Path(__file__).resolve().parents[2]
JOB = ROOT / "infra" / "spark" / "train_als.py"
FACTORS, ALPHA, REG, ITERATIONS, SEED = 8, 10.0, 0.05, 10, 42
VERSION = "selfcheck-1"


class Checks:
    def __init__(self) -> None:
        self.passed = 0
        self.failed = 0

    def check(self, name: str, ok: bool, detail: str = "") -> bool:
        if ok:
            self.passed += 1
            print(f"ok   {name}", flush=True)
        else:
            self.failed += 1
            print(f"FAIL {name}{': ' + detail if detail else ''}", flush=True)
        return ok


# ---------------------------------------------------------------------------------------
# Events: 3 blocks of 20 shoppers, each liking most of its block's 10 styles. Style numbers
# interleave the blocks and are not zero-padded, so string order differs from both.


def block_of_item(n: int) -> int:
    return (n - 1) % 3


def make_events(path: Path) -> Tuple[Dict[Tuple[str, str], float], Dict[str, int]]:
    """Writes the CSV; returns the expected training pairs and each style's block."""
    rows: List[Tuple[str, str, float]] = []
    blocks = {f"style-{n}": block_of_item(n) for n in range(1, 31)}
    for u in range(60):
        subject, b = f"shopper:{u:03d}", u % 3
        mine = [n for n in range(1, 31) if block_of_item(n) == b]
        for j, n in enumerate(mine):
            if (u + j) % 4 == 0:
                continue
            w = float(1 + (u * 7 + j) % 3)
            if u % 5 == 0:  # the same pair twice: weights must be summed
                rows += [(subject, f"style-{n}", w / 4), (subject, f"style-{n}", 3 * w / 4)]
            else:
                rows.append((subject, f"style-{n}", w))
    rows += [
        ("shopper:001", "style-1", 1.0), ("shopper:001", "style-1", -3.0),  # nets < 0: dropped
        ("shopper:002", "style-31", -1.0),  # only a dismissal: style-31 absent
        ("shopper:003", "style-32", 1.0), ("shopper:003", "style-32", -1.0),  # nets 0: absent
        ("anon:7f3a", "style-anon", 5.0), ("session:9c", "style-session", 2.0),
    ]
    rows += [("anon:7f3a", f"style-{n}", 5.0) for n in range(1, 31)]  # must not count
    with open(path, "w", encoding="utf-8") as f:
        f.write("subject,item,weight,timestamp\n")
        for i, (s, it, w) in enumerate(rows):
            f.write(f"{s},{it},{w!r},{1_760_000_000 + i}\n")
    sums: Dict[Tuple[str, str], float] = {}
    for s, it, w in rows:
        if not s.startswith(("anon:", "session:")):
            sums[(s, it)] = sums.get((s, it), 0.0) + w
    return {k: v for k, v in sums.items() if v > 0}, blocks


# ---------------------------------------------------------------------------------------
# Plain-Python linear algebra (k is 8 here).


def f32s(data: bytes) -> List[float]:
    return list(struct.unpack(f"<{len(data) // 4}f", data))


def f32(x: float) -> float:
    return struct.unpack("<f", struct.pack("<f", x))[0]


def solve_spd(a: List[List[float]], b: List[float]) -> List[float]:
    """Cholesky solve of a symmetric positive definite system."""
    n = len(b)
    low = [[0.0] * n for _ in range(n)]
    for j in range(n):
        d = a[j][j] - sum(low[j][k] ** 2 for k in range(j))
        low[j][j] = d ** 0.5
        for i in range(j + 1, n):
            low[i][j] = (a[i][j] - sum(low[i][k] * low[j][k] for k in range(j))) / low[j][j]
    z = [0.0] * n
    for i in range(n):
        z[i] = (b[i] - sum(low[i][k] * z[k] for k in range(i))) / low[i][i]
    x = [0.0] * n
    for i in reversed(range(n)):
        x[i] = (z[i] - sum(low[k][i] * x[k] for k in range(i + 1, n))) / low[i][i]
    return x


def fold_in(y: List[List[float]], gram: List[List[float]], history: Sequence[Tuple[int, float]],
            alpha: float, reg: float, per_interaction: bool) -> List[float]:
    """What serving does (shared/src/models/als.rs `fold_in`): (G + Σ α w y yᵀ + reg' I) x =
    Σ (1 + α w) y over positive weights, reg' = reg x (#history items) when per-interaction."""
    k = len(gram)
    a = [row[:] for row in gram]
    b = [0.0] * k
    used = 0
    for row, w in history:
        if w <= 0:
            continue
        used += 1
        v = y[row]
        for r in range(k):
            b[r] += (1 + alpha * w) * v[r]
            for c in range(k):
                a[r][c] += alpha * w * v[r] * v[c]
    lam = reg * (used if per_interaction else 1)
    for r in range(k):
        a[r][r] += lam
    return solve_spd(a, b)


def dot(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b))


# ---------------------------------------------------------------------------------------


def check_artifact(t: Checks, out: Path, pairs: Dict[Tuple[str, str], float],
                   blocks: Dict[str, int]) -> Tuple[List[str], List[List[float]], List[List[float]]]:
    names = ["item-embeddings.f32", "gram.f32", "popularity.f32", "manifest.json"]
    t.check("artifact: the four files, no current.json",
            sorted(p.name for p in out.iterdir()) == sorted(names),
            str(sorted(p.name for p in out.iterdir())))
    mtimes = [(out / n).stat().st_mtime_ns for n in names]
    t.check("artifact: manifest written last", mtimes[-1] >= max(mtimes[:-1]))
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    expected_items = sorted({it for (_, it) in pairs})
    n, k = len(expected_items), FACTORS
    expected_head = {
        "format": "framewise-embeddings", "format_version": 1, "version": VERSION,
        "trainer": "spark-als", "dims": k, "items": n, "validation": None,
        "fold_in": {"alpha": ALPHA, "reg": REG, "reg_per_interaction": True},
    }
    got_head = {key: m.get(key) for key in expected_head}
    t.check("manifest: format, version, trainer, dims, items, fold_in, validation",
            got_head == expected_head, f"{got_head}")
    t.check("manifest: created_at is RFC 3339 UTC",
            bool(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", str(m.get("created_at")))),
            str(m.get("created_at")))
    users = len({s for (s, _) in pairs})
    params = m.get("params", {})
    want_params = {"factors": k, "alpha": ALPHA, "reg": REG, "iterations": ITERATIONS,
                   "seed": SEED, "users": users, "interactions": len(pairs)}
    t.check("manifest: params (users and interactions exclude anonymous and netted-out pairs)",
            {key: params.get(key) for key in want_params} == want_params, f"{params}")
    t.check("manifest: item_ids sorted as strings, anonymous-only and dismissed-only absent",
            m.get("item_ids") == expected_items
            and expected_items[:3] == ["style-1", "style-10", "style-11"],
            f"{m.get('item_ids')}")
    sizes = {"item-embeddings.f32": n * k * 4, "gram.f32": k * k * 4, "popularity.f32": n * 4}
    files = m.get("files", {})
    data = {name: (out / name).read_bytes() for name in sizes}
    for name, size in sizes.items():
        entry = files.get(name, {})
        t.check(f"{name}: {size} bytes and SHA-256 as in the manifest",
                len(data[name]) == size and entry.get("bytes") == size
                and entry.get("sha256") == hashlib.sha256(data[name]).hexdigest(), f"{entry}")
    flat = f32s(data["item-embeddings.f32"])
    y = [flat[i * k:(i + 1) * k] for i in range(n)]
    g = f32s(data["gram.f32"])
    gram = [g[r * k:(r + 1) * k] for r in range(k)]
    finite = all(v == v and abs(v) != float("inf") for v in flat + g)
    t.check("item vectors and gram finite", finite)
    worst = 0.0
    for r in range(k):
        for c in range(k):
            want = sum(row[r] * row[c] for row in y)
            worst = max(worst, abs(gram[r][c] - want) / max(1e-6, abs(want)))
    t.check("gram.f32 = YᵀY (relative error < 1e-5)", worst < 1e-5, f"worst {worst:.2e}")
    pop = f32s(data["popularity.f32"])
    want_pop = [sum(w for (_, it), w in pairs.items() if it == item) for item in expected_items]
    t.check("popularity.f32 = summed weight per item (known shoppers, positive pairs)",
            all(abs(p - q) <= 1e-5 * max(1.0, q) for p, q in zip(pop, want_pop)),
            f"{pop} vs {want_pop}")
    # A new shopper with 4 block-b styles: the other styles of block b must rank first.
    row_of = {it: i for i, it in enumerate(expected_items)}
    for b in range(3):
        liked = [it for it in expected_items if blocks.get(it) == b][:4]
        x = fold_in(y, gram, [(row_of[it], 1.0) for it in liked], ALPHA, REG, True)
        scores = {it: dot(x, y[row_of[it]]) for it in expected_items}
        inside = min(s for it, s in scores.items() if blocks.get(it) == b)
        outside = max(s for it, s in scores.items() if blocks.get(it) != b)
        t.check(f"fold-in of a block-{b} history ranks every block-{b} style first",
                inside > outside, f"min inside {inside:.4f}, max outside {outside:.4f}")
    return expected_items, y, gram


def check_fold_in_matches_spark(t: Checks, trained, item_ids: List[str], y: List[List[float]],
                                gram: List[List[float]]) -> None:
    """Spark's final user step is the serving fold-in with reg x (#items) (ALS-WR): the
    artifact alone must reproduce every training shopper's Spark vector."""
    row_of = {it: i for i, it in enumerate(item_ids)}
    histories: Dict[int, List[Tuple[int, float]]] = {}
    for r in trained.ratings.collect():
        histories.setdefault(r["user"], []).append(
            (row_of[trained.item_labels[r["item_idx"]]], f32(r["weight"])))
    spark_x = {r["id"]: r["features"] for r in trained.model.userFactors.collect()}
    err = {True: 0.0, False: 0.0}
    for u, hist in histories.items():
        scale = max(abs(v) for v in spark_x[u])
        for per in (True, False):
            x = fold_in(y, gram, hist, ALPHA, REG, per)
            err[per] = max(err[per], max(abs(a - b) for a, b in zip(x, spark_x[u])) / scale)
    print(f"     fold-in vs Spark user vectors: max relative error {err[True]:.2e} with "
          f"reg x items, {err[False]:.2e} with plain reg", flush=True)
    t.check("fold-in with reg x (#items) reproduces Spark's user vectors (< 1e-4)",
            err[True] < 1e-4 and len(histories) == trained.users, f"{err}")
    t.check("...and plain reg does not (the flag matters)", err[False] > 10 * err[True], f"{err}")


def expect_input_error(t: Checks, job, spark, name: str, argv: List[str], needle: str) -> None:
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        rc = job.main(argv, spark)
    message = stderr.getvalue().strip().splitlines()[-1:] or [""]
    t.check(f"error exit 2 naming the problem: {name}",
            rc == 2 and needle in message[0], f"rc {rc}, {message[0]!r}")


def check_s3_publish(t: Checks, job, artifact: Path) -> None:
    try:
        import boto3
        from moto import mock_aws
    except ImportError:
        print("skip s3 publish (moto not installed)", flush=True)
        return
    for key, value in (("AWS_ACCESS_KEY_ID", "testing"), ("AWS_SECRET_ACCESS_KEY", "testing"),
                       ("AWS_DEFAULT_REGION", "us-east-1")):
        os.environ[key] = value
    uploads: List[str] = []
    real_client = boto3.client

    def recording_client(*args, **kwargs):
        client = real_client(*args, **kwargs)
        upload = client.upload_file

        def upload_file(filename, bucket, key, **kw):
            uploads.append(key)
            return upload(filename, bucket, key, **kw)

        client.upload_file = upload_file
        return client

    with mock_aws():
        boto3.client = recording_client
        try:
            real_client("s3").create_bucket(Bucket="framewise-check")
            job.publish(str(artifact), "s3://framewise-check/models/v1")
            prefix = "models/v1/"
            ok = uploads[-1:] == [prefix + "manifest.json"] and len(uploads) == 4
            s3 = real_client("s3")
            for name in ("item-embeddings.f32", "gram.f32", "popularity.f32", "manifest.json"):
                body = s3.get_object(Bucket="framewise-check", Key=prefix + name)["Body"].read()
                ok = ok and body == (artifact / name).read_bytes()
            t.check("s3 publish (moto): same bytes under the prefix, manifest uploaded last",
                    ok, f"{uploads}")
            try:
                job.publish(str(artifact), "s3://framewise-check/models/v1/")
                t.check("s3 publish refuses to overwrite a version", False, "no error")
            except job.InputError as e:
                t.check("s3 publish refuses to overwrite a version", "immutable" in str(e), str(e))
        finally:
            boto3.client = real_client


def main() -> int:
    started = time.monotonic()
    t = Checks()
    if shutil.which("java") is None:
        print("java is not on PATH (Spark needs Java 17)", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="framewise-spark-check-"))
    try:
        events = work / "events.csv"
        pairs, blocks = make_events(events)

        # Argument errors fail before any JVM starts: check them through the real CLI.
        for name, extra, needle in (("--reg 0", ["--reg", "0"], "--reg"),
                                    ("bad --version", ["--version", "../x"], "--version")):
            p = subprocess.run([sys.executable, str(JOB), "--events", str(events), "--out",
                                str(work / "never"), *extra], capture_output=True, text=True)
            t.check(f"CLI exit 2 before Spark starts: {name}",
                    p.returncode == 2 and needle in p.stderr and not (work / "never").exists(),
                    f"rc {p.returncode}, {p.stderr.strip()[-200:]!r}")

        sys.path.insert(0, str(JOB.parent))
        sys.dont_write_bytecode = True  # no __pycache__ in the work tree
        import train_als as job  # noqa: E402

        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # stay on loopback
        from pyspark.sql import SparkSession

        spark = (SparkSession.builder.master("local[2]").appName("framewise-train-als-check")
                 .config("spark.ui.enabled", "false")
                 .config("spark.ui.showConsoleProgress", "false")
                 .config("spark.sql.shuffle.partitions", "2")
                 .config("spark.driver.memory", "1g")
                 .config("spark.log.level", "WARN")
                 .config("spark.framewise.als.blocks", "2")
                 .getOrCreate())
        print(f"Spark {spark.version} up after {time.monotonic() - started:.1f} s", flush=True)
        try:
            out = work / "models" / VERSION
            argv = ["--events", str(events), "--out", str(out), "--version", VERSION,
                    "--factors", str(FACTORS), "--alpha", str(ALPHA), "--reg", str(REG),
                    "--iterations", str(ITERATIONS), "--seed", str(SEED)]
            trained = job.run(spark, job.parse_args(argv))
            item_ids, y, gram = check_artifact(t, out, pairs, blocks)
            check_fold_in_matches_spark(t, trained, item_ids, y, gram)

            bad = work / "bad"
            bad.mkdir()
            cases = {
                "missing column": ("subject,item,weight\nshopper:1,style-1,1\n", "timestamp"),
                "header only": ("subject,item,weight,timestamp\n", "empty input"),
                "zero bytes": ("", "empty input"),
                "non-numeric weight": ("subject,item,weight,timestamp\nshopper:1,style-1,1,5\n"
                                       "shopper:1,style-2,lots,6\n", "'lots'"),
                "only anonymous": ("subject,item,weight,timestamp\nanon:1,style-1,1,5\n"
                                   "session:2,style-1,1,6\n", "no training interactions"),
            }
            for name, (text, needle) in cases.items():
                path = bad / (name.replace(" ", "-") + ".csv")
                path.write_text(text, encoding="utf-8")
                expect_input_error(t, job, spark, name, ["--events", str(path), "--out",
                                                         str(bad / "out")], needle)
            expect_input_error(t, job, spark, "events not found",
                               ["--events", str(work / "nope.csv"), "--out", str(bad / "out")],
                               "cannot read events")
            expect_input_error(t, job, spark, "existing version", argv, "immutable")
            check_s3_publish(t, job, out)
        finally:
            spark.stop()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print(f"took {time.monotonic() - started:.1f} s", flush=True)
    print(f"spark-als: {t.passed} passed, {t.failed} failed", flush=True)
    return 1 if t.failed else 0


if __name__ == "__main__":
    sys.exit(main())
