"""The non-graph baseline's window statistics, against a plain per-window reference."""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest

from kdgat.baselines import window_stats as windows
from kdgat.errors import KdgatError
from kdgat.graphs.store import open_store
from kdgat.graphs.vocab import Vocabulary
from kdgat.layout import Layout, ProcessedFiles
from kdgat.pipeline.window_baseline import feature_names

from ..tiny import DATASET

SCENARIO = "known_vehicle_known_attack"


def capture_files(processed: ProcessedFiles) -> dict[str, Path]:
    """The ingested Parquet file of every capture, by name, as its manifest lists them."""
    captures = json.loads(processed.manifest.read_text())["captures"]
    return {c["name"]: processed.dir / c["file"] for c in captures}


def frame_reference(t: np.ndarray, ids: np.ndarray, payload: np.ndarray) -> list[dict]:
    """Per frame, by a plain loop over the frames before it."""
    out = []
    for i in range(len(t)):
        earlier = [j for j in range(i) if ids[j] == ids[i]]
        row = {"seen": len(earlier), "ratio": 1.0, "changed": False, "flip_excess": 0.0}
        if earlier:
            last = earlier[-1]
            gaps = [t[b] - t[a] for a, b in itertools.pairwise(earlier)]
            gap = t[i] - t[last]
            if len(gaps[-8:]) >= 2:
                row["ratio"] = gap / max(float(np.median(gaps[-8:])), 1e-9)
            row["changed"] = bool((payload[i] != payload[last]).any())
            flips = [
                int(np.unpackbits(payload[b] ^ payload[a]).sum())
                for a, b in zip(earlier, [*earlier[1:], i], strict=True)
            ]
            if len(flips[:-1][-16:]) >= 2:
                row["flip_excess"] = flips[-1] - float(np.mean(flips[:-1][-16:]))
        out.append(row)
    return out


def past_median(values: Sequence[float], k: int) -> float:
    previous = values[max(0, k - windows.WINDOW_HISTORY) : k] or values[k : k + 1]
    return max(float(np.median(previous)), 1e-9)


def reference(
    t: np.ndarray, ids: np.ndarray, unseen: np.ndarray, payload: np.ndarray, window: int
) -> np.ndarray:
    frames = frame_reference(t, ids, payload)
    starts = range(0, len(t) - window + 1, window)
    spans = [slice(s, s + window) for s in starts]
    duration = [t[w.stop - 1] - t[w.start] for w in spans]
    distinct = [len(np.unique(ids[w])) for w in spans]
    changed = [np.mean([f["changed"] for f in frames[w]]) for w in spans]
    unseen_share = [unseen[w].mean() for w in spans]
    rows = []
    for k, w in enumerate(spans):
        ratio = np.array([f["ratio"] for f in frames[w]])
        bytes_ = payload[w].astype(np.float64)
        named = {
            "early_share": (ratio < 0.5).mean(),
            "log_gap_ratio": np.clip(np.log(np.maximum(ratio, 1e-6)), -5, 5).mean(),
            "rare_id_share": np.mean([f["seen"] < windows.RARE for f in frames[w]]),
            "rate_ratio": np.log(past_median(duration, k) / duration[k]),
            "distinct_ratio": np.log(distinct[k] / past_median(distinct, k)),
            "change_excess": changed[k] - past_median(changed, k),
            "flip_excess": np.mean([f["flip_excess"] for f in frames[w]]),
            "top_id_share": np.unique(ids[w], return_counts=True)[1].max() / window,
            "low_id_share": (ids[w] < 0x10).mean(),
            "unseen_excess": unseen_share[k] - past_median(unseen_share, k),
            "unseen_id_share": unseen[w].mean(),
            "distinct_ids": distinct[k],
            "duration_s": duration[k],
        }
        means, stds = bytes_.mean(axis=0), bytes_.std(axis=0)
        named |= {f"byte_mean_{i}": means[i] for i in range(8)}
        named |= {f"byte_std_{i}": stds[i] for i in range(8)}
        rows.append([named[name] for name in windows.FEATURES])
    return np.array(rows)


def test_statistics_match_a_per_frame_loop() -> None:
    rng = np.random.default_rng(0)
    n, window = 1500, 20
    t = np.cumsum(rng.exponential(0.001, n))
    shares = [0.05, 0.05, 0.3, 0.3, 0.2, 0.1]
    ids = rng.choice([0x000, 0x00F, 0x0F0, 0x316, 0x43F, 0x7FF], n, p=shares)
    unseen = rng.random(n) < 0.1
    payload = rng.integers(0, 4, (n, 8), dtype=np.uint8)  # few values: payloads repeat
    got = windows.capture_statistics(t, ids, unseen, payload, window, window)
    want = reference(t, ids, unseen, payload, window)
    assert got.shape == (n // window, len(windows.FEATURES))
    np.testing.assert_allclose(got, want, rtol=1e-4, atol=1e-4)


def test_an_injected_frame_and_a_flood_move_the_relative_statistics() -> None:
    """On a bus of periodic ids, a frame injected right after its id's last one is early."""
    period, n = 0.01, 4000
    ids = np.tile(np.arange(0x100, 0x110), n // 16)
    t = np.arange(n) * period / 16
    payload = np.zeros((n, 8), np.uint8)
    calm = windows.capture_statistics(t, ids, np.zeros(n, bool), payload, 100, 100)
    attacked = ids.copy()
    attacked[3001:3100:2] = ids[3000:3099:2]  # window 30: every other frame repeats the last id
    attacked[3500:3600] = 0x000  # window 35: a flood of id 0
    stats = windows.capture_statistics(t, attacked, np.zeros(n, bool), payload, 100, 100)
    column = windows.FEATURES.index
    assert calm[:, column("early_share")].max() == 0
    assert stats[30, column("early_share")] > 0.2
    assert stats[35, column("low_id_share")] == 1.0
    assert stats[35, column("top_id_share")] == 1.0
    assert stats[35, column("rare_id_share")] > 0.0  # id 0 is new to the capture


def test_split_statistics_follow_the_store_order(graphs_root: Path) -> None:
    layout = Layout(graphs_root)
    graphs = layout.graphs(DATASET)
    store = open_store(graphs.store(SCENARIO))
    vocab = Vocabulary.from_json(json.loads(graphs.vocab.read_text()))
    files = capture_files(layout.processed(DATASET))
    stats = windows.split_statistics(store, files, vocab, windows.FEATURES)
    assert stats.shape == (len(store), len(windows.FEATURES))
    assert np.isfinite(stats).all()
    distinct = stats[:, windows.FEATURES.index("distinct_ids")]
    nodes = np.diff(np.asarray(store.arrays.node_ptr))
    np.testing.assert_array_equal(distinct, nodes)  # one graph node per distinct id
    chosen = windows.split_statistics(store, files, vocab, ("top_id_share", "distinct_ids"))
    np.testing.assert_array_equal(chosen[:, 1], distinct)


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
        windows.split_statistics(store, files, vocab, windows.DEFAULT)
    assert lost.name in str(err.value)


def test_params_name_only_statistics_that_exist() -> None:
    assert feature_names(None) == windows.DEFAULT
    assert feature_names(["low_id_share"]) == ("low_id_share",)
    with pytest.raises(KdgatError, match=r"baseline\.features: unknown statistic 'bogus'"):
        feature_names(["low_id_share", "bogus"])
    with pytest.raises(KdgatError, match="listed twice"):
        feature_names(["low_id_share", "low_id_share"])
