"""The non-graph baseline's input: plain statistics of the same windows the graphs cover.

Per window: share of frames with an id unseen in training, distinct ids, the
most frequent id's share, share of low ids (< 0x100, where floods live), the
window's duration in seconds, and the mean and standard deviation of each
payload byte. What a graph model adds must show against these.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow.parquet as pq

from kdgat.errors import KdgatError
from kdgat.graphs.frames import payload_matrix
from kdgat.graphs.store import GraphStore
from kdgat.graphs.vocab import Vocabulary

FEATURES = (
    "unseen_id_share",
    "distinct_ids",
    "top_id_share",
    "low_id_share",
    "duration_s",
    *(f"byte_mean_{i}" for i in range(8)),
    *(f"byte_std_{i}" for i in range(8)),
)
LOW_ID = 0x100


def window_statistics(
    timestamp: np.ndarray,
    arbitration_id: np.ndarray,
    unseen: np.ndarray,
    payload: np.ndarray,
    starts: np.ndarray,
    window: int,
) -> np.ndarray:
    """float32 ``[len(starts), len(FEATURES)]``: the statistics of frames ``start:start+window``.

    A window running past the capture's end (never produced by the graph
    stage) is cut at the last frame.
    """
    frames = np.minimum(starts[:, None] + np.arange(window), len(timestamp) - 1)
    ids = arbitration_id[frames]
    bytes_ = payload[frames].astype(np.float32)
    distinct, top = _id_counts(ids)
    columns = [
        unseen[frames].mean(axis=1),
        distinct,
        top / window,
        (ids < LOW_ID).mean(axis=1),
        timestamp[frames[:, -1]] - timestamp[frames[:, 0]],
    ]
    stats = np.column_stack(columns).astype(np.float32)
    return np.hstack([stats, bytes_.mean(axis=1), bytes_.std(axis=1)]).astype(np.float32)


def _id_counts(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(distinct ids, count of the most frequent id) of every row, without a Python loop."""
    rows = len(ids)
    ordered = np.sort(ids, axis=1)
    new = np.ones_like(ordered, dtype=bool)
    new[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
    distinct = new.sum(axis=1)
    # Run lengths of equal ids: positions where a run starts, in row-major order.
    starts = np.flatnonzero(new.ravel())
    lengths = np.diff(np.append(starts, ordered.size))
    top = np.zeros(rows, np.int64)
    np.maximum.at(top, starts // ids.shape[1], lengths)
    return distinct, top


def split_statistics(
    store: GraphStore, files: dict[str, Path], vocab: Vocabulary, window: int
) -> np.ndarray:
    """Window statistics of every graph of a split, in the store's graph order.

    ``files``: the ingested Parquet file of every capture, by capture name.
    """
    meta = store.meta
    capture = np.asarray(store.arrays.capture)
    starts = np.asarray(store.arrays.start)
    out = np.zeros((len(capture), len(FEATURES)), np.float32)
    for index in np.unique(capture):
        rows = np.flatnonzero(capture == index)
        file = files.get(meta["captures"][index])
        if file is None or not file.exists():
            raise KdgatError(
                f"{file}: capture {meta['captures'][index]!r} of {store.path} is "
                f"missing. Fix: rebuild it with `dvc repro ingest@{meta['dataset']}`"
            )
        table = pq.read_table(file, columns=["timestamp", "arbitration_id", "payload"])
        ids = table["arbitration_id"].to_numpy().astype(np.int64)
        out[rows] = window_statistics(
            table["timestamp"].to_numpy(),
            ids,
            vocab.encode(ids) == 0,
            payload_matrix(table["payload"])[0],
            starts[rows],
            window,
        )
    return out
