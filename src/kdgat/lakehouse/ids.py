"""Stable identifiers: the same inputs give the same id on every machine and every export."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any


def stable_hash(value: Any, length: int = 16) -> str:
    """Hex digest of ``value`` as canonical JSON (sorted keys, no whitespace)."""
    text = json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:length]


def run_id(
    git_revision: str,
    stage: str,
    dataset: str,
    model: str,
    params: Any,
    data_hash: str,
    seed: int | None = None,
) -> str:
    """A run is its code, settings, seed and input data: exporting it twice gives one id."""
    run = {
        "git_revision": git_revision,
        "stage": stage,
        "dataset": dataset,
        "model": model,
        "params": params,
        "data_hash": data_hash,
    }
    return stable_hash(run if seed is None else {**run, "seed": seed})


def md5_file(path: Path) -> str:
    """MD5 of a file's bytes: S3's ETag of a single-part upload and DVC's cache key."""
    digest = hashlib.md5()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
