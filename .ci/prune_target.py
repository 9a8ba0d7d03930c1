#!/usr/bin/env python3
"""Keeps CI's shared Cargo target directory from filling the disk.

CI keeps CARGO_TARGET_DIR between runs (incremental builds of a fresh clone), so every
change leaves another copy of each test binary and of the workspace library behind.
This removes all but the newest copy of those (dependencies' artifacts are left alone:
two versions of one crate are legitimate), and drops the incremental caches when the
disk is nearly full. Usage: prune_target.py TARGET_DIR [MIN_FREE_GB]
"""
import collections
import os
import re
import shutil
import sys

ARTIFACT = re.compile(r"(?P<name>.+)-[0-9a-f]{16}(?P<ext>\..+)?$")
WORKSPACE_LIBS = ("libframewise",)


def stale_copies(deps_dir):
    """Older copies of test binaries and workspace libraries, grouped by name and extension."""
    groups = collections.defaultdict(list)
    for entry in os.scandir(deps_dir):
        match = ARTIFACT.match(entry.name)
        if not match or not entry.is_file(follow_symlinks=False):
            continue
        ext = match.group("ext") or ""
        executable = ext == "" and os.access(entry.path, os.X_OK)
        if executable or match.group("name").startswith(WORKSPACE_LIBS):
            groups[(match.group("name"), ext)].append(entry)
    for copies in groups.values():
        copies.sort(key=lambda e: e.stat().st_mtime)
        yield from copies[:-1]


def free_gb(path):
    return shutil.disk_usage(path).free / 2**30


def main():
    target = sys.argv[1]
    min_free = float(sys.argv[2]) if len(sys.argv) > 2 else 25.0
    if not os.path.isdir(target):
        return
    freed = 0
    for profile in ("debug", "release"):
        deps = os.path.join(target, profile, "deps")
        if os.path.isdir(deps):
            for entry in stale_copies(deps):
                freed += entry.stat().st_size
                os.remove(entry.path)
    if free_gb(target) < min_free:
        for profile in ("debug", "release"):
            incremental = os.path.join(target, profile, "incremental")
            if os.path.isdir(incremental):
                shutil.rmtree(incremental, ignore_errors=True)
    print(f"target dir: {freed / 2**30:.1f} GB of stale copies removed, {free_gb(target):.0f} GB free")


if __name__ == "__main__":
    main()
