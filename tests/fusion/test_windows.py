"""The non-graph baseline's window statistics, against a plain per-window reference."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from kdgat.errors import KdgatError
from kdgat.fusion import windows
from kdgat.graphs.store import open_store
from kdgat.graphs.vocab import Vocabulary

from ..tiny import DATASET


def reference(t, ids, unseen, payload, start: int, window: int) -> list[float]:
    stop = min(start + window, len(t))
    w = slice(start, stop)
    values, counts = np.unique(ids[w], return_counts=True)
    bytes_ = payload[w].astype(np.float64)
    return [
        unseen[w].mean(),
        len(values),
        counts.max() / window,
        (ids[w] < 0x100).mean(),
        t[stop - 1] - t[start],
        *bytes_.mean(axis=0),
        *bytes_.std(axis=0),
    ]


def test_statistics_match_a_per_window_loop() -> None:
    rng = np.random.default_rng(0)
    n, window = 1000, 40
    t = np.cumsum(rng.exponential(0.001, n))
    ids = rng.choice([0x000, 0x0F0, 0x316, 0x43F, 0x7FF], n)
    unseen = rng.random(n) < 0.1
    payload = rng.integers(0, 256, (n, 8), dtype=np.uint8)
    starts = np.arange(0, n - window + 1, 30)
    got = windows.window_statistics(t, ids, unseen, payload, starts, window)
    want = np.array([reference(t, ids, unseen, payload, s, window) for s in starts])
    assert got.shape == (len(starts), len(windows.FEATURES))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_split_statistics_follow_the_store_order(graphs_root: Path) -> None:
    graphs = graphs_root / "data/graphs" / DATASET
    store = open_store(graphs / "known_vehicle_known_attack")
    vocab = Vocabulary.from_json(json.loads((graphs / "vocab.json").read_text()))
    stats = windows.split_statistics(
        store, graphs_root / "data/processed" / DATASET, vocab, store.meta["window"]
    )
    assert stats.shape == (len(store), len(windows.FEATURES))
    assert np.isfinite(stats).all()
    distinct = stats[:, windows.FEATURES.index("distinct_ids")]
    nodes = np.diff(np.asarray(store.arrays.node_ptr))
    np.testing.assert_array_equal(distinct, nodes)  # one graph node per distinct id


def test_missing_processed_capture_names_the_file_and_the_fix(
    graphs_root: Path, tmp_path: Path
) -> None:
    processed = tmp_path / "processed"
    shutil.copytree(graphs_root / "data/processed" / DATASET, processed)
    store = open_store(graphs_root / "data/graphs" / DATASET / "known_vehicle_known_attack")
    used = store.meta["captures"][int(store.arrays.capture[0])]
    captures = json.loads((processed / "manifest.json").read_text())["captures"]
    lost = processed / next(c["file"] for c in captures if c["name"] == used)
    lost.unlink()
    vocab = Vocabulary.fit(np.array([1]), "lookup", 16)
    with pytest.raises(KdgatError, match="ingest@") as err:
        windows.split_statistics(store, processed, vocab, store.meta["window"])
    assert lost.name in str(err.value)
