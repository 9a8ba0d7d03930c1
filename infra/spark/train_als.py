#!/usr/bin/env python3
r"""Train item embeddings with Spark MLlib ALS (implicit feedback) for Framewise.

The Rust trainer (`shared/src/models/als.rs`) fits iALS in one process; this job is its
stand-in for event logs too large for one Lambda, run by the Step Functions state machine on
EMR Serverless. It writes the *same* artifact (`shared/src/models/embeddings.rs`), so
serving cannot tell the trainers apart:

- `item-embeddings.f32`: items x dims, little-endian f32, row-major, rows in `item_ids` order.
  Serving never uses Spark's user factors: shoppers are folded in from their history against
  these rows, so anonymous and brand-new shoppers get vectors the same way as known ones.
- `gram.f32`: Yᵀ Y of those rows (dims x dims), accumulated in f64. Every fold-in starts
  from it; precomputing it makes a fold-in O(h k² + k³) instead of O(n k²).
- `popularity.f32`: summed signal weight per item (the fallback and blend component).
- `manifest.json`, written LAST: readers treat a version without a manifest as incomplete,
  and the manifest's sizes and SHA-256 sums reject a torn or mixed copy.
  `item_ids` are sorted ascending (code point order = UTF-8 byte order, which is Rust's
  `String` order; the reader refuses anything else).

Fold-in regularisation (`fold_in.reg_per_interaction = true`). Checked against Spark's source,
`mllib/src/main/scala/org/apache/spark/ml/recommendation/ALS.scala`, `computeFactors`
(implicit branch), and the docs' "Scaling of the regularization parameter" (ALS-WR). For a
user u with rating entries r_ui (one per input row, cast to f32) Spark solves

    (YᵀY + Σ_i alpha |r_ui| y_i y_iᵀ + regParam * n_u * I) x_u = Σ_{i: r_ui > 0} (1 + alpha r_ui) y_i

where n_u = `numExplicits` = the number of the user's entries with r_ui > 0
(`solver.solve(ls, numExplicits * regParam)`; entries <= 0 add alpha |r| y yᵀ but count in
neither n_u nor the right-hand side). Items are solved the same way, against XᵀX. In
implicit mode the user step runs last in every iteration, so the final user factors are
exactly this solve against the published item rows: the fold-in that reproduces training is
the Rust one with reg' = reg * (number of history items with positive weight).

For that equivalence to be exact this job (1) sums the weights of each (subject, item) pair
before training, so n_u counts distinct items (serving must sum a history per item too);
and (2) drops pairs whose sum is <= 0 (a dismissal that outweighs the interest), because
the Rust fold-in skips non-positive weights while Spark would still add alpha |r| y yᵀ.
Popularity is summed over the same pairs, so it is never negative.

Anonymous subjects (`anon:`, `session:`) are dropped before training: those histories
expire and must not shape the published vectors. Items left without a positive pair are
absent from the artifact.

Usage (EMR Serverless entry point, or locally with `spark-submit --master local[2]`):

    train_als.py --events s3://bucket/exports/events.csv --out s3://bucket/models/<version>/ \
        [--version V] [--factors 64] [--alpha 10.0] [--reg 0.05] [--iterations 15] [--seed 42]

Spark conf `spark.framewise.als.blocks` (default 10, Spark's own default) sets ALS's user and
item block counts; a cluster run may raise it, the local self-check lowers it to 2.

Exit codes: 0 published; 2 bad input or arguments (the message names the problem);
1 anything else (Spark or I/O failure, with its traceback). `current.json` is not written:
the state machine publishes the pointer after its checks.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import re
import shutil
import sys
import tempfile
import time
from typing import TYPE_CHECKING, Dict, List, Optional, Sequence, Tuple

if TYPE_CHECKING:  # Spark is imported lazily so argument errors fail without a JVM.
    from pyspark.sql import DataFrame, SparkSession

FORMAT = "framewise-embeddings"
FORMAT_VERSION = 1
TRAINER = "spark-als"
ITEM_EMBEDDINGS = "item-embeddings.f32"
GRAM = "gram.f32"
POPULARITY = "popularity.f32"
MANIFEST = "manifest.json"
# Data files first, manifest last: the order files are published in.
FILES = (ITEM_EMBEDDINGS, GRAM, POPULARITY)
COLUMNS = ("subject", "item", "weight", "timestamp")
ANONYMOUS_PREFIXES = ("anon:", "session:")
VERSION_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")


class InputError(Exception):
    """Bad input or arguments: reported in one line, exit code 2."""


def log(message: str) -> None:
    print(f"train_als: {message}", file=sys.stderr, flush=True)


def parse_args(argv: Optional[Sequence[str]]) -> argparse.Namespace:
    now = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    p = argparse.ArgumentParser(description="Train Framewise item embeddings with Spark ALS.")
    p.add_argument("--events", required=True, help="CSV (local or s3://) with header "
                   "subject,item,weight,timestamp; a directory/prefix of such files works too")
    p.add_argument("--out", required=True,
                   help="local directory or s3://bucket/prefix/models/<version>/")
    p.add_argument("--version", default=now.strftime("%Y%m%dT%H%M%SZ") + "-spark")
    p.add_argument("--factors", type=int, default=64)
    p.add_argument("--alpha", type=float, default=10.0)
    p.add_argument("--reg", type=float, default=0.05)
    p.add_argument("--iterations", type=int, default=15)
    p.add_argument("--seed", type=int, default=42)
    args = p.parse_args(argv)
    args.created_at = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    # The Rust reader refuses reg <= 0 and alpha < 0; fail before paying for a cluster.
    if args.factors < 1:
        raise InputError(f"--factors must be >= 1, got {args.factors}")
    if args.iterations < 1:
        raise InputError(f"--iterations must be >= 1, got {args.iterations}")
    if not (args.alpha >= 0.0 and args.alpha < float("inf")):
        raise InputError(f"--alpha must be finite and >= 0, got {args.alpha}")
    if not (args.reg > 0.0 and args.reg < float("inf")):
        raise InputError(f"--reg must be finite and > 0, got {args.reg}")
    if not VERSION_RE.match(args.version):
        raise InputError(f"--version {args.version!r}: use letters, digits, '.', '_', '-'")
    return args


# ---------------------------------------------------------------------------------------
# Input


def read_events(spark: "SparkSession", path: str) -> "DataFrame":
    """The events as (subject, item, weight: double), every row checked.

    Everything is read as strings and weights parsed with try_cast so that a bad value is
    reported by name instead of becoming a null (or, with ANSI mode, a stack trace)."""
    from pyspark.sql import functions as F

    try:
        from pyspark.errors import AnalysisException
    except ImportError:  # Spark < 3.4
        from pyspark.sql.utils import AnalysisException  # type: ignore

    try:
        # escape='"': RFC 4180 doubled quotes, as Rust's csv writer produces them.
        # PERMISSIVE (the default): a short row gets nulls, which the checks below name.
        raw = spark.read.option("header", True).option("escape", '"').csv(path)
    except AnalysisException as e:
        raise InputError(f"cannot read events at {path}: {str(e).splitlines()[0]}") from e
    if not raw.columns:
        raise InputError(f"empty input: {path} has no header row")
    names = {c.strip().lower(): c for c in raw.columns}
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise InputError(f"{path}: missing column(s) {', '.join(missing)} "
                         f"(header has {', '.join(raw.columns)}; need {','.join(COLUMNS)})")

    weight = F.expr(f"try_cast(`{names['weight']}` AS DOUBLE)")
    events = raw.select(F.col(names["subject"]).alias("subject"),
                        F.col(names["item"]).alias("item"),
                        F.col(names["weight"]).alias("weight_text"),
                        weight.alias("weight"))
    blank = {c: F.col(c).isNull() | (F.trim(F.col(c)) == "") for c in ("subject", "item")}
    bad_weight = (F.col("weight").isNull() | F.isnan("weight")
                  | (F.abs("weight") == F.lit(float("inf"))))
    n = lambda cond: F.sum(F.when(cond, 1).otherwise(0))  # noqa: E731
    stats = events.agg(
        F.count(F.lit(1)).alias("rows"),
        n(blank["subject"]).alias("no_subject"),
        n(blank["item"]).alias("no_item"),
        n(bad_weight).alias("bad_weight"),
        F.first(F.when(bad_weight, F.coalesce("weight_text", F.lit(""))),
                ignorenulls=True).alias("bad_example"),
    ).first()
    if not stats["rows"]:
        raise InputError(f"empty input: {path} has a header but no rows")
    for column in ("subject", "item"):
        if stats[f"no_{column}"]:
            raise InputError(f"{column}: {stats[f'no_{column}']} row(s) have an empty {column}")
    if stats["bad_weight"]:
        raise InputError(f"weight: {stats['bad_weight']} of {stats['rows']} row(s) are not "
                         f"finite numbers (e.g. {stats['bad_example']!r})")
    log(f"read {stats['rows']} event rows from {path}")
    return events.select("subject", "item", "weight")


def training_pairs(events: "DataFrame") -> "DataFrame":
    """(subject, item, weight) with one row per pair, known shoppers only, weight > 0."""
    from pyspark.sql import functions as F

    anonymous = F.lit(False)
    for prefix in ANONYMOUS_PREFIXES:
        anonymous = anonymous | F.col("subject").startswith(prefix)
    return (events.where(~anonymous)
            .groupBy("subject", "item").agg(F.sum("weight").alias("weight"))
            .where(F.col("weight") > 0.0))


# ---------------------------------------------------------------------------------------
# Training


class Trained:
    """What training hands to the artifact writer (and to tests)."""

    def __init__(self, model, item_labels: List[str], users: int, interactions: int,
                 ratings: "DataFrame", pairs: "DataFrame") -> None:
        self.model = model  # pyspark.ml.recommendation.ALSModel
        self.item_labels = item_labels  # ALS item index -> item id
        self.users = users
        self.interactions = interactions
        self.ratings = ratings  # (user, item_idx, weight) as trained on
        self.pairs = pairs
        self.manifest: dict = {}


def train(spark: "SparkSession", events_path: str, factors: int, alpha: float, reg: float,
          iterations: int, seed: int) -> Trained:
    from pyspark import StorageLevel
    from pyspark.ml.feature import StringIndexer
    from pyspark.ml.recommendation import ALS
    from pyspark.sql import functions as F

    pairs = training_pairs(read_events(spark, events_path)).persist(StorageLevel.MEMORY_AND_DISK)
    interactions = pairs.count()
    if interactions == 0:
        raise InputError("no training interactions: every row is from an anonymous session "
                         f"({'/'.join(ANONYMOUS_PREFIXES)}) or nets a weight <= 0")
    # StringIndexer runs in the JVM (no Python workers) and its alphabetical index is a pure
    # function of the ids, so a recomputed partition can never renumber users mid-training.
    # Its labels live on the driver: fine for millions of shoppers, and 30k styles.
    indexer = StringIndexer(inputCols=["subject", "item"], outputCols=["user", "item_idx"],
                            stringOrderType="alphabetAsc").fit(pairs)
    user_labels, item_labels = indexer.labelsArray
    ratings = (indexer.transform(pairs)
               .select(F.col("user").cast("int"), F.col("item_idx").cast("int"), "weight")
               .persist(StorageLevel.MEMORY_AND_DISK))
    log(f"training on {interactions} pairs: {len(user_labels)} shoppers x "
        f"{len(item_labels)} items, {factors} factors, {iterations} iterations")
    started = time.monotonic()
    # Spark's default of 10 blocks per side suits a cluster; a local self-check sets fewer
    # (each block is a task in each of the 2 x iterations solve stages).
    blocks = int(spark.conf.get("spark.framewise.als.blocks", "10"))
    als = ALS(rank=factors, maxIter=iterations, regParam=reg, alpha=alpha, implicitPrefs=True,
              nonnegative=False, coldStartStrategy="drop", seed=seed,
              userCol="user", itemCol="item_idx", ratingCol="weight",
              numUserBlocks=blocks, numItemBlocks=blocks)
    model = als.fit(ratings)
    log(f"ALS took {time.monotonic() - started:.1f} s")
    return Trained(model, list(item_labels), len(user_labels), interactions, ratings, pairs)


# ---------------------------------------------------------------------------------------
# Artifact


def artifact_arrays(trained: Trained):
    """(item_ids, Y as float32 n x k, popularity float32 n), rows in sorted item id order."""
    import numpy as np
    from pyspark.sql import functions as F

    # Sorted in Python: StringIndexer sorts Java strings (UTF-16 units), Rust sorts bytes.
    item_ids = sorted(trained.item_labels)
    row_of = {item: i for i, item in enumerate(item_ids)}
    k = trained.model.rank
    y = np.full((len(item_ids), k), np.nan, dtype=np.float32)
    for r in trained.model.itemFactors.collect():  # n x k floats: small (30k x 64 = 7.7 MB)
        y[row_of[trained.item_labels[r["id"]]]] = r["features"]
    if not np.isfinite(y).all():
        raise RuntimeError("ALS returned NaN/infinite or missing item factors")
    popularity = np.zeros(len(item_ids), dtype=np.float64)
    for r in trained.pairs.groupBy("item").agg(F.sum("weight").alias("w")).collect():
        popularity[row_of[r["item"]]] = r["w"]
    return item_ids, y, popularity.astype(np.float32)


def write_artifact(directory: str, args: argparse.Namespace, trained: Trained, item_ids: List[str],
                   y, popularity) -> Dict[str, dict]:
    """Writes the three data files and the manifest into `directory`; returns the manifest."""
    import numpy as np

    y64 = y.astype(np.float64)
    blobs = {
        ITEM_EMBEDDINGS: np.ascontiguousarray(y, dtype="<f4").tobytes(),
        GRAM: np.ascontiguousarray(y64.T @ y64, dtype="<f4").tobytes(),
        POPULARITY: np.ascontiguousarray(popularity, dtype="<f4").tobytes(),
    }
    files = {}
    for name in FILES:
        with open(os.path.join(directory, name), "wb") as f:
            f.write(blobs[name])
        files[name] = {"bytes": len(blobs[name]), "sha256": hashlib.sha256(blobs[name]).hexdigest()}
    import pyspark

    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "version": args.version,
        "trainer": TRAINER,
        "created_at": args.created_at,
        "dims": int(y.shape[1]),
        "items": len(item_ids),
        "item_ids": item_ids,
        # Spark's ALS-WR: reg is multiplied by the shopper's number of (positive) items.
        "fold_in": {"alpha": args.alpha, "reg": args.reg, "reg_per_interaction": True},
        "params": {"factors": args.factors, "alpha": args.alpha, "reg": args.reg,
                   "iterations": args.iterations, "seed": args.seed, "users": trained.users,
                   "interactions": trained.interactions, "spark": pyspark.__version__},
        "validation": None,
        "files": files,
    }
    with open(os.path.join(directory, MANIFEST), "w", encoding="utf-8") as f:
        json.dump(manifest, f, indent=2, ensure_ascii=False)
        f.write("\n")
    return manifest


def split_s3(url: str) -> Tuple[str, str]:
    """s3://bucket/prefix -> (bucket, 'prefix/')."""
    bucket, _, prefix = url[len("s3://"):].partition("/")
    if not bucket:
        raise InputError(f"--out {url}: no bucket")
    return bucket, ((prefix.strip("/") + "/") if prefix.strip("/") else "")


def ensure_new_version(out: str) -> None:
    """Versions are immutable (serving caches them by name): refuse to write over one."""
    if out.startswith("s3://"):
        import boto3
        from botocore.exceptions import ClientError

        bucket, prefix = split_s3(out)
        try:
            boto3.client("s3").head_object(Bucket=bucket, Key=prefix + MANIFEST)
        except ClientError as e:
            code = str(e.response.get("Error", {}).get("Code"))
            if code in ("404", "NoSuchKey", "NotFound"):
                return
            if code in ("403", "AccessDenied"):  # no s3:ListBucket: absence looks like 403
                log(f"cannot check s3://{bucket}/{prefix}{MANIFEST} ({code}); going on")
                return
            raise
        raise InputError(f"{out} already holds a {MANIFEST}: versions are immutable")
    if os.path.exists(os.path.join(out, MANIFEST)):
        raise InputError(f"{out} already holds a {MANIFEST}: versions are immutable")


def publish(directory: str, out: str) -> None:
    """Copies the files of `directory` to `out`, manifest last."""
    ensure_new_version(out)
    names = list(FILES) + [MANIFEST]
    if out.startswith("s3://"):
        import boto3

        bucket, prefix = split_s3(out)
        s3 = boto3.client("s3")
        for name in names:
            content_type = "application/json" if name == MANIFEST else "application/octet-stream"
            s3.upload_file(os.path.join(directory, name), bucket, prefix + name,
                           ExtraArgs={"ContentType": content_type})
        return
    os.makedirs(out, exist_ok=True)
    for name in names:
        # Copy then rename: a reader never sees a half-written file under its final name.
        target = os.path.join(out, name)
        shutil.copyfile(os.path.join(directory, name), target + ".tmp")
        os.replace(target + ".tmp", target)


# ---------------------------------------------------------------------------------------


def run(spark: "SparkSession", args: argparse.Namespace) -> Trained:
    """Trains and publishes; returns what was trained (its `manifest` set)."""
    trained = train(spark, args.events, args.factors, args.alpha, args.reg, args.iterations,
                    args.seed)
    item_ids, y, popularity = artifact_arrays(trained)
    with tempfile.TemporaryDirectory(prefix="framewise-als-") as tmp:
        trained.manifest = write_artifact(tmp, args, trained, item_ids, y, popularity)
        publish(tmp, args.out)
    trained.ratings.unpersist()
    trained.pairs.unpersist()
    log(f"published {args.version} to {args.out}: {len(item_ids)} items x {y.shape[1]} dims, "
        f"{trained.users} shoppers, {trained.interactions} pairs")
    return trained


def main(argv: Optional[Sequence[str]] = None, spark: Optional["SparkSession"] = None) -> int:
    """Runs the job; `spark` lets a caller (the self-check) share one session."""
    own = spark is None
    try:
        args = parse_args(argv)
        ensure_new_version(args.out)  # before paying for training
        if own:
            from pyspark.sql import SparkSession

            spark = SparkSession.builder.appName(f"framewise-train-als-{args.version}").getOrCreate()
            spark.sparkContext.setLogLevel("WARN")
        run(spark, args)
        return 0
    except InputError as e:
        print(f"train_als: error: {e}", file=sys.stderr, flush=True)
        return 2
    finally:
        if own and spark is not None:
            spark.stop()


if __name__ == "__main__":
    sys.exit(main())
