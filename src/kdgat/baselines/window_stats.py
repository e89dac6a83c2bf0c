"""The non-graph baseline's input: statistics of the same windows the graphs cover.

Two kinds of feature. *Relative* ones (the default, ``DEFAULT``) measure a window
against its own capture's past: how early each frame came after the previous
frame of its id, compared with that id's recent gaps; how many frames carry an
id the capture has barely used so far; the window's frame rate, distinct ids and
payload changes against the median of the capture's previous windows. Attacks
change these on any vehicle, and each is causal and label-free (a detector in a
car sees no labels and no future). *Vehicle* ones (the share of ids unseen in
training, also as an excess over the capture's usual share; distinct ids;
duration; mean and standard deviation of each payload byte) describe the
training vehicle's id list, traffic rate and payload layout: on another vehicle
they move as much as an attack does. ``baseline.features`` in
params.yaml chooses; both kinds are here so the ablation can compare them.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
from numpy.lib.stride_tricks import sliding_window_view

from kdgat.errors import KdgatError
from kdgat.graphs.frames import payload_matrix
from kdgat.graphs.store import GraphStore
from kdgat.graphs.vocab import Vocabulary

RELATIVE = (
    "early_share",  # frames arriving under half their id's recent gap: injected between
    "log_gap_ratio",  # mean log(gap / the id's recent gap): floods and suppression
    "rare_id_share",  # frames whose id the capture has sent fewer than RARE times so far
    "rate_ratio",  # log(the previous windows' median duration / this window's)
    "distinct_ratio",  # log(distinct ids / the previous windows' median)
    "change_excess",  # share of frames whose payload changed, minus the previous windows'
    "flip_excess",  # bits flipped against the id's previous payload, minus its recent mean
    "top_id_share",  # the most frequent id's share: a flood
    "low_id_share",  # ids below LOW_ID, the top priorities a flood takes
)
VEHICLE = (
    "unseen_excess",  # share of ids unseen in training, minus the previous windows' median
    "unseen_id_share",
    "distinct_ids",
    "duration_s",
    *(f"byte_mean_{i}" for i in range(8)),
    *(f"byte_std_{i}" for i in range(8)),
)
FEATURES = RELATIVE + VEHICLE
DEFAULT = RELATIVE
LOW_ID = 0x10
RARE = 5
ID_HISTORY = 8  # gaps (16 flip counts) of an id that make its recent reference
WINDOW_HISTORY = 50  # previous windows whose median is a window's reference


def capture_statistics(
    timestamp: np.ndarray,
    arbitration_id: np.ndarray,
    unseen: np.ndarray,
    payload: np.ndarray,
    window: int,
    stride: int,
    names: tuple[str, ...] = FEATURES,
) -> np.ndarray:
    """float32 ``[windows, len(names)]``: every window ``k * stride`` of one capture.

    The frames must be in time order (ingest sorts them); the capture's windows
    are the graph stage's, so row ``k`` is the graph that starts at frame ``k * stride``.
    Payload byte statistics are computed only when ``names`` asks for them.
    """
    count = max(0, (len(timestamp) - window) // stride + 1)  # the graph stage's windows
    frames = np.arange(count)[:, None] * stride + np.arange(window)
    per_frame = _frame_columns(timestamp, arbitration_id, payload)
    ids = arbitration_id[frames]
    distinct, top = _id_counts(ids)
    duration = timestamp[frames[:, -1]] - timestamp[frames[:, 0]]
    changed = per_frame["changed"][frames].mean(axis=1)
    unseen_share = unseen[frames].mean(axis=1)
    ratio = per_frame["gap_ratio"][frames]
    columns = {
        "early_share": (ratio < 0.5).mean(axis=1),
        "log_gap_ratio": np.clip(np.log(np.maximum(ratio, 1e-6)), -5, 5).mean(axis=1),
        "rare_id_share": (per_frame["seen"][frames] < RARE).mean(axis=1),
        "rate_ratio": np.log(_past_median(duration) / np.maximum(duration, 1e-9)),
        "distinct_ratio": np.log(distinct / _past_median(distinct.astype(np.float64))),
        "change_excess": changed - _past_median(changed),
        "flip_excess": per_frame["flip_excess"][frames].mean(axis=1),
        "top_id_share": top / window,
        "low_id_share": (ids < LOW_ID).mean(axis=1),
        "unseen_excess": unseen_share - _past_median(unseen_share),
        "unseen_id_share": unseen_share,
        "distinct_ids": distinct,
        "duration_s": duration,
    }
    if any(name.startswith("byte_") for name in names):
        bytes_ = payload[frames].astype(np.float32)
        means, stds = bytes_.mean(axis=1), bytes_.std(axis=1)
        columns |= {f"byte_mean_{i}": means[:, i] for i in range(8)}
        columns |= {f"byte_std_{i}": stds[:, i] for i in range(8)}
    return np.column_stack([columns[name] for name in names]).astype(np.float32)


def _frame_columns(
    timestamp: np.ndarray, ids: np.ndarray, payload: np.ndarray
) -> dict[str, np.ndarray]:
    """Per frame, against the earlier frames of its id: times seen, gap ratio, changes.

    A frame whose id has too little history gets the neutral value (ratio 1, no excess).
    """
    order = np.argsort(ids, kind="stable")  # each id's frames together, in time order
    first = np.ones(len(ids), bool)
    first[1:] = ids[order][1:] != ids[order][:-1]
    group_start = np.maximum.accumulate(np.where(first, np.arange(len(ids)), 0))
    prev = np.where(first, -1, np.arange(len(ids)) - 1)  # position of the id's last frame
    has = prev >= 0
    t, p = timestamp[order], payload[order]
    gap = np.where(has, t - t[np.maximum(prev, 0)], np.nan)
    flips = np.where(
        has, np.unpackbits(p ^ p[np.maximum(prev, 0)], axis=1).sum(axis=1), np.nan
    ).astype(np.float64)
    changed = np.where(has, (p != p[np.maximum(prev, 0)]).any(axis=1), False)
    reference_gap = _id_history(gap, group_start, ID_HISTORY, np.nanmedian)
    reference_flips = _id_history(flips, group_start, 2 * ID_HISTORY, np.nanmean)
    out = {
        "seen": np.arange(len(ids)) - group_start,
        "gap_ratio": np.nan_to_num(gap / np.maximum(reference_gap, 1e-9), nan=1.0),
        "changed": changed,
        "flip_excess": np.nan_to_num(flips - reference_flips),
    }
    unsorted = np.empty_like(order)
    unsorted[order] = np.arange(len(ids))
    return {name: values[unsorted] for name, values in out.items()}


def _id_history(
    values: np.ndarray, group_start: np.ndarray, depth: int, reduce: Callable[..., np.ndarray]
) -> np.ndarray:
    """``reduce`` of each frame's previous ``depth`` values of its own id (NaN: none yet)."""
    padded = np.concatenate([np.full(depth, np.nan), values])
    history = sliding_window_view(padded, depth)[: len(values)].copy()  # values i-depth..i-1
    positions = np.arange(len(values))[:, None] - depth + np.arange(depth)
    history[positions < group_start[:, None]] = np.nan  # another id's frames
    enough = (~np.isnan(history)).sum(axis=1) >= 2
    out = np.full(len(values), np.nan)
    if enough.any():
        out[enough] = reduce(history[enough], axis=1)
    return out


def _past_median(values: np.ndarray) -> np.ndarray:
    """Median of the previous ``WINDOW_HISTORY`` windows; the first window is its own."""
    if not len(values):
        return values.astype(np.float64)
    padded = np.concatenate([np.full(WINDOW_HISTORY, np.nan), values.astype(np.float64)])
    history = sliding_window_view(padded, WINDOW_HISTORY)[: len(values)].copy()
    history[0, -1] = values[0]
    return np.maximum(np.nanmedian(history, axis=1), 1e-9)


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
    store: GraphStore, files: dict[str, Path], vocab: Vocabulary, names: tuple[str, ...]
) -> np.ndarray:
    """The ``names`` statistics of every graph of a split, in the store's graph order.

    ``files``: the ingested Parquet file of every capture, by capture name.
    """
    meta = store.meta
    window, stride = int(meta["window"]), int(meta["stride"])
    capture = np.asarray(store.arrays.capture)
    starts = np.asarray(store.arrays.start)
    out = np.zeros((len(capture), len(names)), np.float32)
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
        stats = capture_statistics(
            table["timestamp"].to_numpy(),
            ids,
            vocab.encode(ids) == 0,
            payload_matrix(table["payload"])[0],
            window,
            stride,
            names,
        )
        out[rows] = stats[starts[rows] // stride]
    return out
