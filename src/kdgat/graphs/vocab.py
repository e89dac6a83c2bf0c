"""Node vocabularies: CAN ids (or endpoint keys) -> embedding indices, 0 = unknown.

Fit on the training windows only, so an id that first appears in validation
or test data maps to the UNK index 0 instead of leaking into the model.
``hash`` encoding trades collisions for a fixed size that never grows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

UNK = 0
_GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # Fibonacci hashing: spreads neighbouring ids


@dataclass(frozen=True)
class Vocabulary:
    """Maps keys to indices 1..size-1; unknown keys to 0."""

    encoding: Literal["lookup", "hash"]
    keys: np.ndarray  # lookup: the sorted known keys; hash: empty
    buckets: int = 0

    @property
    def size(self) -> int:
        """Number of indices, UNK included (the embedding table size)."""
        return (len(self.keys) if self.encoding == "lookup" else self.buckets) + 1

    @staticmethod
    def fit(keys: np.ndarray, encoding: Literal["lookup", "hash"], buckets: int) -> Vocabulary:
        """Learn the known keys of ``keys`` (``lookup``), or just the bucket count (``hash``)."""
        if encoding == "hash":
            return Vocabulary("hash", np.zeros(0, np.int64), buckets)
        return Vocabulary("lookup", np.unique(keys).astype(np.int64))

    def encode(self, keys: np.ndarray) -> np.ndarray:
        """Embedding index of each key: 1..size-1, or 0 (UNK) for a key not seen in training."""
        keys = np.asarray(keys, dtype=np.int64)
        if self.encoding == "hash":
            mixed = keys.astype(np.uint64) * _GOLDEN
            return ((mixed >> np.uint64(32)) % np.uint64(self.buckets)).astype(np.int64) + 1
        if len(self.keys) == 0:
            return np.zeros(len(keys), np.int64)
        if len(keys) and self.keys[-1] < (1 << 16) and keys.min() >= 0 and keys.max() < (1 << 16):
            table = np.zeros(1 << 16, dtype=np.int64)  # 11-bit CAN ids: a table beats a search
            table[self.keys] = np.arange(1, len(self.keys) + 1)
            return table[keys]
        at = np.minimum(np.searchsorted(self.keys, keys), len(self.keys) - 1)
        return np.where(self.keys[at] == keys, at + 1, UNK)

    def to_json(self) -> dict[str, object]:
        """Encoding, buckets and keys, for ``vocab.json``."""
        return {"encoding": self.encoding, "buckets": self.buckets, "keys": self.keys.tolist()}

    @staticmethod
    def from_json(data: dict[str, object]) -> Vocabulary:
        """The vocabulary ``to_json`` wrote."""
        keys = np.asarray(data["keys"], dtype=np.int64)
        return Vocabulary(data["encoding"], keys, int(data["buckets"]))  # type: ignore[arg-type, call-overload]
