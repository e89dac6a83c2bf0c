"""The non-graph baseline's window statistics, against a plain per-window reference."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from kdgat.baselines import window_stats as windows
from kdgat.errors import KdgatError
from kdgat.graphs.store import open_store
from kdgat.graphs.vocab import Vocabulary
from kdgat.layout import Layout, ProcessedFiles

from ..tiny import DATASET

SCENARIO = "known_vehicle_known_attack"


def capture_files(processed: ProcessedFiles) -> dict[str, Path]:
    """The ingested Parquet file of every capture, by name, as its manifest lists them."""
    captures = json.loads(processed.manifest.read_text())["captures"]
    return {c["name"]: processed.dir / c["file"] for c in captures}


def reference(
    t: np.ndarray,
    ids: np.ndarray,
    unseen: np.ndarray,
    payload: np.ndarray,
    start: int,
    window: int,
) -> list[float]:
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
    want = np.array([reference(t, ids, unseen, payload, int(s), window) for s in starts])
    assert got.shape == (len(starts), len(windows.FEATURES))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-5)


def test_split_statistics_follow_the_store_order(graphs_root: Path) -> None:
    layout = Layout(graphs_root)
    graphs = layout.graphs(DATASET)
    store = open_store(graphs.store(SCENARIO))
    vocab = Vocabulary.from_json(json.loads(graphs.vocab.read_text()))
    files = capture_files(layout.processed(DATASET))
    stats = windows.split_statistics(store, files, vocab, store.meta["window"])
    assert stats.shape == (len(store), len(windows.FEATURES))
    assert np.isfinite(stats).all()
    distinct = stats[:, windows.FEATURES.index("distinct_ids")]
    nodes = np.diff(np.asarray(store.arrays.node_ptr))
    np.testing.assert_array_equal(distinct, nodes)  # one graph node per distinct id


def test_missing_processed_capture_names_the_file_and_the_fix(
    graphs_root: Path, tmp_path: Path
) -> None:
    processed = Layout(tmp_path).processed(DATASET)
    shutil.copytree(Layout(graphs_root).processed(DATASET).dir, processed.dir)
    store = open_store(Layout(graphs_root).store(DATASET, SCENARIO))
    used = store.meta["captures"][int(store.arrays.capture[0])]
    files = capture_files(processed)
    lost = files[used]
    lost.unlink()
    vocab = Vocabulary.fit(np.array([1]), "lookup", 16)
    with pytest.raises(KdgatError, match="ingest@") as err:
        windows.split_statistics(store, files, vocab, store.meta["window"])
    assert lost.name in str(err.value)
