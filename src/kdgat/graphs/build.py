"""Stage graphs@<dataset>: ingested captures -> a graph store per split.

Splits: within each training capture, validation is the last ``val_fraction``
of each of ``val_blocks`` time blocks (``kdgat.graphs.splits``); training
windows sharing frames with a validation window are dropped, so no frame is
in both. Each test scenario is its own split.
The vocabulary sees only benign training frames; the scalers only benign
training graphs. Captures are built in parallel threads (numpy releases the
GIL), in one process.
"""

from __future__ import annotations

import json
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import xxhash

from kdgat.config import GraphParams
from kdgat.errors import KdgatError
from kdgat.graphs.arrays import GraphArrays, concat
from kdgat.graphs.can import EDGE_FEATURES, NODE_FEATURES, build_can_graphs, window_count
from kdgat.graphs.flows import NODE_FEATURES as FLOW_NODE_FEATURES
from kdgat.graphs.flows import (
    build_flow_graphs,
    edge_feature_names,
    endpoint_keys,
    flow_records,
    window_ptr,
)
from kdgat.graphs.frames import can_frames
from kdgat.graphs.normalize import Scaler
from kdgat.graphs.splits import WindowSplit, split_windows
from kdgat.graphs.store import write_store
from kdgat.graphs.vocab import Vocabulary
from kdgat.io import replace_dir, write_json
from kdgat.progress import bar

FORMAT_VERSION = 1
TRAIN, VAL = "train", "val"
NONE = np.zeros(0, np.int64)


@dataclass(frozen=True)
class CapturePlan:
    """Where one capture's windows go."""

    index: int
    name: str
    file: Path
    split: str  # "train" (then split further into train / val) or a test scenario
    frames: int
    windows: WindowSplit  # of a training capture; empty for a test capture


def plan(
    captures: list[dict[str, Any]], root: Path, p: GraphParams, domain: str
) -> list[CapturePlan]:
    """Assign every training capture's windows to training or validation."""
    cut = _can_windows if domain == "can" else _flow_windows
    plans = []
    for index, c in enumerate(captures):
        file = root / c["file"]
        first_row, end_row = cut(c["rows"], file, p) if c["split"] == TRAIN else (NONE, NONE)
        windows = split_windows(first_row, end_row, p.val_fraction, p.val_blocks)
        plans.append(CapturePlan(index, c["name"], file, c["split"], c["rows"], windows))
    return plans


def _can_windows(rows: int, file: Path, p: GraphParams) -> tuple[np.ndarray, np.ndarray]:
    """[first row, end row) of every window, as the CAN builder cuts them."""
    first = np.arange(window_count(rows, p.window, p.stride), dtype=np.int64) * p.stride
    return first, first + p.window


def _flow_windows(rows: int, file: Path, p: GraphParams) -> tuple[np.ndarray, np.ndarray]:
    """As ``_can_windows``, for time windows of time-ordered flows (which never overlap)."""
    if not rows:
        return NONE, NONE
    t = pq.read_table(file, columns=["timestamp"])["timestamp"].to_numpy()
    ptr = window_ptr(t, p.window_seconds)
    return ptr[:-1], ptr[1:]


def attack_names(plans: list[CapturePlan]) -> list[str]:
    """All attack types of the dataset, "benign" first (code 0), then sorted."""
    names: set[str] = set()
    for c in plans:
        column = pq.read_table(c.file, columns=["attack_type"])["attack_type"]
        names.update(column.combine_chunks().dictionary.to_pylist())
    return ["benign", *sorted(names - {"benign"})]


def fit_vocabulary(plans: list[CapturePlan], p: GraphParams, domain: str) -> Vocabulary:
    """Vocabulary of the ids (endpoints) seen in benign rows of training windows.

    Never validation or test rows; and not injected frames either, so fuzzed or
    flooded ids map to UNK in training exactly as unseen ones do at test time.
    """
    columns = ["arbitration_id"] if domain == "can" else ["src", "dst"]
    keys = []
    for c in plans:
        if c.split == TRAIN:
            whole = pq.read_table(c.file, columns=[*columns, "label"])
            table = pa.concat_tables([whole.slice(a, b - a) for a, b in c.windows.train_rows])
            benign = table["label"].to_numpy() == 0
            keys += [_keys(table[name], domain)[benign] for name in columns]
    found = np.concatenate(keys) if keys else np.zeros(0, np.int64)
    return Vocabulary.fit(found, p.id_encoding, p.hash_buckets)


def _keys(column: Any, domain: str) -> np.ndarray:
    return column.to_numpy().astype(np.int64) if domain == "can" else endpoint_keys(column)


def build_capture(
    c: CapturePlan, vocab: Vocabulary, codes: dict[str, int], p: GraphParams, domain: str
) -> dict[str, GraphArrays]:
    """The capture's graphs, keyed by split."""
    table = pq.read_table(c.file)
    if domain == "can":
        frames = can_frames(table, vocab.encode(table["arbitration_id"].to_numpy()), codes)
        graphs = build_can_graphs(frames, p.window, p.stride, p.min_attack_frames)
    else:
        records = flow_records(table, vocab.encode, codes)
        graphs = build_flow_graphs(records, p.window_seconds, p.min_attack_frames)
    graphs = replace(graphs, capture=np.full(graphs.num_graphs, c.index, np.int32))
    if c.split != TRAIN:
        return {c.split: graphs}
    return {TRAIN: graphs.select(c.windows.train), VAL: graphs.select(c.windows.val)}


def build_all(
    plans: list[CapturePlan], vocab: Vocabulary, codes: dict[str, int], p: GraphParams, domain: str
) -> tuple[dict[str, GraphArrays], float]:
    """Every split's graphs (captures built in parallel), and the build rate in frames/s."""
    parts: dict[str, list[GraphArrays]] = {}
    start = time.perf_counter()
    with (
        ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool,
        bar(sum(c.frames for c in plans), "graphs", unit="frame") as progress,
    ):
        # Largest first, so no thread idles while the other finishes a big capture;
        # results are taken in plan order, so the stores come out the same every run.
        futures = {
            c.index: pool.submit(build_capture, c, vocab, codes, p, domain)
            for c in sorted(plans, key=lambda c: -c.frames)
        }
        for c in plans:
            for split, graphs in futures[c.index].result().items():
                parts.setdefault(split, []).append(graphs)
            progress.update(c.frames)
    seconds = time.perf_counter() - start
    splits = {split: concat(graph_list) for split, graph_list in parts.items()}
    return splits, sum(c.frames for c in plans) / max(seconds, 1e-9)


def fit_scalers(
    train: GraphArrays, names: tuple[list[str], list[str]], method: str
) -> tuple[Scaler, Scaler]:
    """Node and edge scalers from the benign training graphs only."""
    benign = train.select(np.flatnonzero(train.y == 0))
    return (
        Scaler.fit(benign.x, names[0], method),  # type: ignore[arg-type]
        Scaler.fit(benign.edge_attr, names[1], method),  # type: ignore[arg-type]
    )


def _scaled(graphs: GraphArrays, node: Scaler, edge: Scaler) -> GraphArrays:
    return replace(graphs, x=node.apply(graphs.x), edge_attr=edge.apply(graphs.edge_attr))


def _feature_names(plans: list[CapturePlan], domain: str) -> tuple[list[str], list[str]]:
    if domain == "can":
        return NODE_FEATURES, EDGE_FEATURES
    schema = pq.read_schema(plans[0].file)
    return FLOW_NODE_FEATURES, edge_feature_names(schema.empty_table())


def split_stats(graphs: GraphArrays) -> dict[str, float]:
    """Metrics of one split: counts, attack share, graph sizes."""
    nodes, edges = np.diff(graphs.node_ptr), np.diff(graphs.edge_ptr)
    empty = graphs.num_graphs == 0
    return {
        "graphs": graphs.num_graphs,
        "attack_fraction": 0.0 if empty else float(graphs.y.mean()),
        "nodes_p50": 0.0 if empty else float(np.percentile(nodes, 50)),
        "nodes_p95": 0.0 if empty else float(np.percentile(nodes, 95)),
        "edges_p50": 0.0 if empty else float(np.percentile(edges, 50)),
        "edges_p95": 0.0 if empty else float(np.percentile(edges, 95)),
    }


def build_dataset(
    dataset: str, processed: Path, out: Path, metrics_path: Path, p: GraphParams
) -> dict[str, Any]:
    """Build every split's store of one dataset into ``out`` (replaced atomically)."""
    manifest_path = processed / "manifest.json"
    if not manifest_path.exists():
        raise KdgatError(f"{manifest_path}: not found; run `dvc repro ingest@{dataset}` first")
    manifest = json.loads(manifest_path.read_text())
    domain = manifest["domain"]
    plans = plan(manifest["captures"], processed, p, domain)
    names = attack_names(plans)
    vocab = fit_vocabulary(plans, p, domain)
    splits, rate = build_all(plans, vocab, {n: i for i, n in enumerate(names)}, p, domain)
    features = _feature_names(plans, domain)
    empty = GraphArrays.empty(len(features[0]), len(features[1]))
    node_scaler, edge_scaler = fit_scalers(splits.get(TRAIN, empty), features, p.scaler)
    meta = {
        "format_version": FORMAT_VERSION,
        "dataset": dataset,
        "domain": domain,
        "window": p.window if domain == "can" else p.window_seconds,
        "stride": p.stride if domain == "can" else p.window_seconds,
        "min_attack_frames": p.min_attack_frames,
        "node_features": features[0],
        "edge_features": features[1],
        "vocab_size": vocab.size,
        "attack_types": names,
        "captures": [c.name for c in plans],
        "source_hash": xxhash.xxh3_128_hexdigest(manifest_path.read_bytes()),
    }
    with replace_dir(out) as tmp:
        for split, graphs in splits.items():
            write_store(
                tmp / split, _scaled(graphs, node_scaler, edge_scaler), {**meta, "split": split}
            )
        write_json(tmp / "vocab.json", vocab.to_json())
        write_json(
            tmp / "scaler.json", {"node": node_scaler.to_json(), "edge": edge_scaler.to_json()}
        )
        write_json(tmp / "meta.json", meta)
    report = {
        "dataset": dataset,
        "frames_per_s": round(rate),
        "vocab_size": vocab.size,
        "splits": {split: split_stats(graphs) for split, graphs in sorted(splits.items())},
    }
    write_json(metrics_path, report)
    return report
