"""The graphs stage end to end: splits by time blocks, no leakage, stores, metrics, flows."""

from __future__ import annotations

import json
import re
from dataclasses import fields
from pathlib import Path
from typing import get_args

import numpy as np
import pyarrow.parquet as pq
import pytest

from kdgat.config import DatasetEntry, GraphParams, Params, load_params
from kdgat.data.ingest import ingest_dataset
from kdgat.errors import KdgatError
from kdgat.graphs.domains import DOMAINS, WindowSpec
from kdgat.graphs.store import StoreMismatchError, open_store
from kdgat.layout import Layout
from kdgat.pipeline import graphs as stage
from tests.helpers import synthetic_graphs

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "fixtures"
GRAPHS = GraphParams(window=50, stride=50, val_fraction=0.25)
SCENARIOS = {
    "known_vehicle_known_attack": "test_01_*",
    "unknown_vehicle_unknown_attack": "test_04_*",
}


def params(graphs: GraphParams) -> Params:
    """The repository's params.yaml with these graph settings."""
    return load_params(REPO / "params.yaml").model_copy(update={"graphs": graphs})


def ingest(layout: Layout, dataset: str, entry: DatasetEntry, raw: Path) -> None:
    processed, report = layout.processed(dataset).dir, layout.metrics(dataset).ingest_report
    ingest_dataset(dataset, entry, raw, processed, report, 4096, 0.5)


@pytest.fixture(scope="module")
def can_dataset(tmp_path_factory: pytest.TempPathFactory) -> tuple[Layout, dict]:
    """A small simulated dataset in a fresh workspace, ingested and built into graphs."""
    layout = Layout(tmp_path_factory.mktemp("can"))
    scenarios = {
        "known_vehicle_known_attack": ["dos"],
        "unknown_vehicle_unknown_attack": ["masquerade"],
    }
    return layout, synthetic_graphs(layout.root, "d", GRAPHS, scenarios, seed=3, duration_s=6.0)


def test_every_split_is_built_with_metrics(can_dataset: tuple[Layout, dict]) -> None:
    layout, report = can_dataset
    assert set(report["splits"]) == {
        "train",
        "val",
        "known_vehicle_known_attack",
        "unknown_vehicle_unknown_attack",
    }
    written = json.loads(layout.metrics("d").graphs.read_text())
    assert written == {k: v for k, v in report.items() if k != "frames_per_s"}  # no wall clock
    for split, stats in report["splits"].items():
        store = open_store(layout.store("d", split))
        assert len(store) == stats["graphs"] > 0
        assert stats["nodes_p50"] > 1
        assert stats["edges_p95"] >= stats["edges_p50"]
    assert report["splits"]["known_vehicle_known_attack"]["attack_fraction"] > 0


def test_summary_has_a_line_per_split(can_dataset: tuple[Layout, dict]) -> None:
    _, report = can_dataset
    first, *lines = stage.describe(report).splitlines()
    assert first.startswith("d: ")
    assert f"vocabulary {report['vocab_size']}" in first
    assert [line.split()[0] for line in lines] == list(report["splits"])
    train = report["splits"]["train"]
    assert f"{train['graphs']} graphs" in lines[list(report["splits"]).index("train")]


def test_validation_ends_every_time_block_and_shares_no_frame(
    can_dataset: tuple[Layout, dict],
) -> None:
    layout, _ = can_dataset
    train = open_store(layout.store("d", "train")).arrays
    val = open_store(layout.store("d", "val")).arrays
    assert set(np.unique(val.capture)) == set(np.unique(train.capture))
    for capture in np.unique(train.capture):
        train_windows = train.start[train.capture == capture] // GRAPHS.stride
        val_windows = val.start[val.capture == capture] // GRAPHS.stride
        windows = len(train_windows) + len(val_windows)  # stride == window: none dropped
        assert len(val_windows) == round(windows * GRAPHS.val_fraction)
        assert not set(train_windows) & set(val_windows)
        # one run of validation windows at the end of each of the blocks
        runs = np.split(val_windows, np.flatnonzero(np.diff(val_windows) > 1) + 1)
        block_ends = np.arange(1, GRAPHS.val_blocks + 1) * windows // GRAPHS.val_blocks
        assert [run[-1] + 1 for run in runs] == block_ends.tolist()


def test_validation_captures_are_the_whole_validation_split(tmp_path: Path) -> None:
    """Another vehicle validates; every window of the training captures then trains."""
    scenarios = {"known_vehicle_known_attack": ["dos"]}
    report = synthetic_graphs(
        tmp_path, "d", GRAPHS, scenarios, seed=3, duration_s=6.0, validation_attacks=["dos"]
    )
    layout = Layout(tmp_path)
    val, train = open_store(layout.store("d", "val")), open_store(layout.store("d", "train"))
    captures = val.meta["captures"]
    assert {captures[i] for i in np.unique(val.arrays.capture)} == {"val_01_other_vehicle__dos-1"}
    assert "val_01_other_vehicle__dos-1" not in {
        captures[i] for i in np.unique(train.arrays.capture)
    }
    manifest = json.loads(layout.processed("d").manifest.read_text())["captures"]
    rows = {c["name"]: c["rows"] for c in manifest if c["split"] == "train"}
    assert report["splits"]["train"]["graphs"] == sum(n // GRAPHS.window for n in rows.values())
    assert report["splits"]["val"]["attack_fraction"] > 0


def test_vocabulary_sees_only_benign_training_frames(can_dataset: tuple[Layout, dict]) -> None:
    layout, _ = can_dataset
    processed = layout.processed("d")
    vocab = set(json.loads(layout.graphs("d").vocab.read_text())["keys"])
    manifest = json.loads(processed.manifest.read_text())
    train = open_store(layout.store("d", "train")).arrays
    train_ids: set[int] = set()
    for index, capture in enumerate(manifest["captures"]):
        if capture["split"] == "train":
            table = pq.read_table(processed.dir / capture["file"])
            for start in train.start[train.capture == index]:
                window = table.slice(int(start), GRAPHS.window)
                benign = window.filter(np.asarray(window["label"]) == 0)
                train_ids |= set(benign["arbitration_id"].to_pylist())
    assert vocab == train_ids
    # the unknown vehicle's ids are not in the vocabulary: they reach the model as UNK (0)
    unknown = open_store(layout.store("d", "unknown_vehicle_unknown_attack")).arrays
    assert (unknown.node_id == 0).mean() > 0.5


def test_scalers_are_fit_on_benign_training_graphs(can_dataset: tuple[Layout, dict]) -> None:
    layout, _ = can_dataset
    train = open_store(layout.store("d", "train")).arrays
    benign = train.select(np.flatnonzero(train.y == 0))
    x = np.asarray(benign.x, dtype=np.float64)
    # scaled benign training features have mean 0 and std 1 (or are constant)
    assert np.allclose(x.mean(axis=0), 0, atol=1e-3)
    std = x.std(axis=0)
    assert np.all((np.abs(std - 1) < 1e-3) | (std < 1e-6))


def test_meta_records_the_settings(can_dataset: tuple[Layout, dict]) -> None:
    layout, _ = can_dataset
    meta = json.loads(layout.graphs("d").meta.read_text())
    assert meta["domain"] == "can"
    assert meta["window"] == 50
    assert meta["stride"] == 50
    assert meta == {k: v for k, v in open_store(layout.store("d", "val")).meta.items() if k in meta}


def test_store_built_with_other_settings_is_refused(can_dataset: tuple[Layout, dict]) -> None:
    layout, _ = can_dataset
    with pytest.raises(StoreMismatchError, match="window: stored 50, expected 100"):
        open_store(layout.store("d", "train"), expect={"window": 100})


def test_flow_dataset_builds_with_flow_features(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    raw = layout.raw("flows")
    raw.mkdir(parents=True)
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
    ingest(layout, "flows", entry, raw)
    report = stage.run("flows", params(GraphParams(window_seconds=60.0, val_fraction=0.5)), layout)
    assert report["splits"]["tuesday"]["graphs"] > 0
    meta = json.loads(layout.graphs("flows").meta.read_text())
    assert meta["domain"] == "netflow"
    assert meta["window"] == meta["stride"] == 60.0
    assert "f_flow_bytes_s" in meta["edge_features"]
    store = open_store(layout.store("flows", "tuesday"))
    assert store.arrays.edge_attr.shape[1] == len(meta["edge_features"])


def test_missing_manifest_says_which_stage_to_run(tmp_path: Path) -> None:
    with pytest.raises(KdgatError, match=r"manifest.json: not found; run `dvc repro ingest@d`"):
        stage.run("d", params(GRAPHS), Layout(tmp_path))
    assert not Layout(tmp_path).graphs("d").dir.exists()


def test_unknown_domain_names_the_manifest_and_the_known_ones(tmp_path: Path) -> None:
    layout = Layout(tmp_path)
    manifest = layout.processed("d").manifest
    manifest.parent.mkdir(parents=True)
    manifest.write_text(json.dumps({"schema_version": 1, "domain": "lin", "captures": []}))
    with pytest.raises(
        KdgatError, match=rf"{re.escape(str(manifest))}: unknown domain 'lin'.*can, netflow"
    ):
        stage.run("d", params(GRAPHS), layout)


def test_every_catalog_domain_has_a_builder() -> None:
    assert set(DOMAINS) == set(get_args(DatasetEntry.model_fields["domain"].annotation))
    for name, domain in DOMAINS.items():
        assert domain.name == name


def test_window_spec_carries_the_graphs_params() -> None:
    g = GraphParams(window=7, stride=3, window_seconds=1.5, min_attack_frames=2)
    assert {f.name for f in fields(WindowSpec)} <= set(GraphParams.model_fields)
    assert stage.window_spec(g) == WindowSpec(
        window=7, stride=3, window_seconds=1.5, min_attack_frames=2
    )
