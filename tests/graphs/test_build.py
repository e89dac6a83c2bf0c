"""The graphs stage end to end: splits by time blocks, no leakage, stores, metrics, flows."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from kdgat.config import DatasetEntry, GraphParams
from kdgat.data.ingest import ingest_dataset
from kdgat.graphs.build import build_dataset
from kdgat.graphs.store import StoreMismatchError, open_store

from ..helpers import synthetic_graphs

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PARAMS = GraphParams(window=50, stride=50, val_fraction=0.25)


@pytest.fixture(scope="module")
def can_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    """A small synthetic dataset, ingested and built into graphs."""
    root = tmp_path_factory.mktemp("can")
    scenarios = {
        "known_vehicle_known_attack": ["dos"],
        "unknown_vehicle_unknown_attack": ["masquerade"],
    }
    report = synthetic_graphs(root, "d", PARAMS, scenarios, seed=3, duration_s=6.0)
    return root, report


def test_every_split_is_built_with_metrics(can_dataset: tuple[Path, dict]) -> None:
    root, report = can_dataset
    assert set(report["splits"]) == {
        "train",
        "val",
        "known_vehicle_known_attack",
        "unknown_vehicle_unknown_attack",
    }
    assert json.loads((root / "graphs.json").read_text()) == report
    for split, stats in report["splits"].items():
        store = open_store(root / "data/graphs/d" / split)
        assert len(store) == stats["graphs"] > 0
        assert stats["nodes_p50"] > 1 and stats["edges_p95"] >= stats["edges_p50"]
    assert report["splits"]["known_vehicle_known_attack"]["attack_fraction"] > 0


def test_validation_ends_every_time_block_and_shares_no_frame(
    can_dataset: tuple[Path, dict],
) -> None:
    root, _ = can_dataset
    train = open_store(root / "data/graphs/d" / "train").arrays
    val = open_store(root / "data/graphs/d" / "val").arrays
    assert set(np.unique(val.capture)) == set(np.unique(train.capture))
    for capture in np.unique(train.capture):
        train_windows = train.start[train.capture == capture] // PARAMS.stride
        val_windows = val.start[val.capture == capture] // PARAMS.stride
        windows = len(train_windows) + len(val_windows)  # stride == window: none dropped
        assert len(val_windows) == round(windows * PARAMS.val_fraction)
        assert not set(train_windows) & set(val_windows)
        # one run of validation windows at the end of each of the blocks
        runs = np.split(val_windows, np.flatnonzero(np.diff(val_windows) > 1) + 1)
        block_ends = np.arange(1, PARAMS.val_blocks + 1) * windows // PARAMS.val_blocks
        assert [run[-1] + 1 for run in runs] == block_ends.tolist()


def test_vocabulary_sees_only_benign_training_frames(can_dataset: tuple[Path, dict]) -> None:
    root, _ = can_dataset
    vocab = set(json.loads((root / "data/graphs/d" / "vocab.json").read_text())["keys"])
    manifest = json.loads((root / "data/processed/d" / "manifest.json").read_text())
    train = open_store(root / "data/graphs/d" / "train").arrays
    train_ids: set[int] = set()
    for index, capture in enumerate(manifest["captures"]):
        if capture["split"] == "train":
            table = pq.read_table(root / "data/processed/d" / capture["file"])
            for start in train.start[train.capture == index]:
                window = table.slice(int(start), PARAMS.window)
                benign = window.filter(np.asarray(window["label"]) == 0)
                train_ids |= set(benign["arbitration_id"].to_pylist())
    assert vocab == train_ids
    # the unknown vehicle's ids are not in the vocabulary: they reach the model as UNK (0)
    unknown = open_store(root / "data/graphs/d" / "unknown_vehicle_unknown_attack").arrays
    assert (unknown.node_id == 0).mean() > 0.5


def test_scalers_are_fit_on_benign_training_graphs(can_dataset: tuple[Path, dict]) -> None:
    root, _ = can_dataset
    train = open_store(root / "data/graphs/d" / "train").arrays
    benign = train.select(np.flatnonzero(train.y == 0))
    x = np.asarray(benign.x, dtype=np.float64)
    # scaled benign training features have mean 0 and std 1 (or are constant)
    assert np.allclose(x.mean(axis=0), 0, atol=1e-3)
    std = x.std(axis=0)
    assert np.all((np.abs(std - 1) < 1e-3) | (std < 1e-6))


def test_store_built_with_other_settings_is_refused(can_dataset: tuple[Path, dict]) -> None:
    root, _ = can_dataset
    with pytest.raises(StoreMismatchError, match="window: stored 50, expected 100"):
        open_store(root / "data/graphs/d" / "train", expect={"window": 100})


def test_flow_dataset_builds_with_flow_features(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    raw.mkdir()
    header, *rows = (FIXTURES / "netflow" / "cicids_sample.csv").read_text().splitlines()
    (raw / "train_01__monday-1.csv").write_text("\n".join([header, *rows]) + "\n")
    (raw / "test_01__tuesday-1.csv").write_text("\n".join([header, *rows[:8]]) + "\n")
    entry = DatasetEntry(
        domain="netflow",
        format="netflow_cicids",
        source="x",
        train=["train_*"],
        test={"tuesday": ["test_*"]},
    )
    ingest_dataset("flows", entry, raw, tmp_path / "processed", tmp_path / "i.json", 4096, 0.5)
    params = GraphParams(window_seconds=60.0, val_fraction=0.5)
    report = build_dataset(
        "flows", tmp_path / "processed", tmp_path / "graphs", tmp_path / "g.json", params
    )
    assert report["splits"]["tuesday"]["graphs"] > 0
    meta = json.loads((tmp_path / "graphs" / "meta.json").read_text())
    assert meta["domain"] == "netflow"
    assert "f_flow_bytes_s" in meta["edge_features"]
    store = open_store(tmp_path / "graphs" / "tuesday")
    assert store.arrays.edge_attr.shape[1] == len(meta["edge_features"])
