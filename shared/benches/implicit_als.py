#!/usr/bin/env python3
"""Times the `implicit` library's CPU ALS (conjugate gradient) on an interactions file, for
`shared/benches/training.rs`, which runs it back to back with the Rust trainer on the same data.

Input: little-endian binary `u32 user, u32 item, f32 weight` rows (what the Rust bench wrote).
Prints one JSON line: {"seconds": fit seconds, "peak_rss_mb": this process's peak RSS}.
"""

import argparse
import json
import resource
import sys
import time

import numpy as np
import scipy.sparse as sp
import threadpoolctl
from implicit.cpu.als import AlternatingLeastSquares


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--rows", required=True)
    p.add_argument("--users", type=int, required=True)
    p.add_argument("--items", type=int, required=True)
    p.add_argument("--factors", type=int, required=True)
    p.add_argument("--iterations", type=int, required=True)
    p.add_argument("--alpha", type=float, required=True)
    p.add_argument("--reg", type=float, required=True)
    p.add_argument("--threads", type=int, required=True)
    a = p.parse_args()
    raw = np.fromfile(a.rows, dtype=np.dtype([("u", "<u4"), ("i", "<u4"), ("w", "<f4")]))
    matrix = sp.csr_matrix((raw["w"], (raw["u"], raw["i"])), shape=(a.users, a.items), dtype=np.float32)
    model = AlternatingLeastSquares(factors=a.factors, regularization=a.reg, alpha=a.alpha,
                                    iterations=a.iterations, use_cg=True, num_threads=a.threads,
                                    calculate_training_loss=False, random_state=42)
    # implicit recommends single-threaded BLAS during fit; its own threads do the work.
    with threadpoolctl.threadpool_limits(1, "blas"):
        started = time.perf_counter()
        model.fit(matrix, show_progress=False)
        seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    print(json.dumps({"seconds": seconds, "peak_rss_mb": peak}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
