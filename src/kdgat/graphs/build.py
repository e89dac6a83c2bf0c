"""Ingested captures -> every split's graphs: planning, vocabulary, building, scaling, stats.

Splits: where the catalog names ``validation`` captures (another vehicle, say),
they are the validation split whole and every training window trains.
Otherwise, within each training capture, validation is the last ``val_fraction``
of each of ``val_blocks`` time blocks (``kdgat.graphs.splits``); training
windows sharing frames with a validation window are dropped, so no frame is
in both. Each test scenario is its own split.
The vocabulary sees only benign training frames; the scalers only benign
training graphs. Captures are built in parallel threads (numpy releases the
GIL), in one process. What differs between CAN and flow captures is asked of
their ``Domain`` (``kdgat.graphs.domains``); the stage that reads the manifest
and writes the stores is ``kdgat.pipeline.graphs``.
"""

from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kdgat.graphs.arrays import GraphArrays, concat
from kdgat.graphs.domains import NO_ROWS, Domain, WindowSpec
from kdgat.graphs.normalize import Scaler
from kdgat.graphs.splits import WindowSplit, split_windows
from kdgat.graphs.vocab import Vocabulary
from kdgat.layout import TRAIN, VAL
from kdgat.progress import bar


@dataclass(frozen=True)
class CapturePlan:
    """Where one capture's windows go."""

    index: int
    name: str
    file: Path
    split: str  # "train" (then maybe split further into train / val), "val" or a scenario
    frames: int
    windows: WindowSplit  # of a training capture; empty for a test capture


def plan(
    captures: list[dict[str, Any]],
    root: Path,
    domain: Domain,
    spec: WindowSpec,
    val_fraction: float,
    val_blocks: int,
) -> list[CapturePlan]:
    """Assign every training capture's windows to training or validation.

    With validation captures of its own the dataset needs no training windows for it,
    so ``val_fraction`` applies only to a dataset without them.

    Args:
        captures: The manifest's captures (``name``, ``file`` relative to ``root``,
            ``split``, ``rows``), in manifest order.
        root: The folder of the ingested captures.
        domain: How the captures are cut into windows.
        spec: Window settings.
        val_fraction: Share of each training capture's windows that validate.
        val_blocks: Time blocks whose tails those windows are.
    """
    if any(c["split"] == VAL for c in captures):
        val_fraction = 0.0
    plans = []
    for index, c in enumerate(captures):
        file = root / c["file"]
        training = c["split"] == TRAIN
        first_row, end_row = (
            domain.windows(file, c["rows"], spec) if training else (NO_ROWS, NO_ROWS)
        )
        windows = split_windows(first_row, end_row, val_fraction, val_blocks)
        plans.append(CapturePlan(index, c["name"], file, c["split"], c["rows"], windows))
    return plans


def attack_names(plans: list[CapturePlan]) -> list[str]:
    """All attack types of the dataset, "benign" first (code 0), then sorted."""
    names: set[str] = set()
    for c in plans:
        column = pq.read_table(c.file, columns=["attack_type"])["attack_type"]
        names.update(column.combine_chunks().dictionary.to_pylist())
    return ["benign", *sorted(names - {"benign"})]


def fit_vocabulary(
    plans: list[CapturePlan], domain: Domain, encoding: Literal["lookup", "hash"], buckets: int
) -> Vocabulary:
    """Vocabulary of the ids (endpoints) seen in benign rows of training windows.

    Never validation or test rows; and not injected frames either, so fuzzed or
    flooded ids map to UNK in training exactly as unseen ones do at test time.
    """
    columns = list(domain.key_columns)
    keys = []
    for c in plans:
        if c.split == TRAIN:
            whole = pq.read_table(c.file, columns=[*columns, "label"])
            table = pa.concat_tables([whole.slice(a, b - a) for a, b in c.windows.train_rows])
            benign = table["label"].to_numpy() == 0
            keys += [domain.keys(table[name])[benign] for name in columns]
    found = np.concatenate(keys) if keys else np.zeros(0, np.int64)
    return Vocabulary.fit(found, encoding, buckets)


def build_capture(
    c: CapturePlan, domain: Domain, vocab: Vocabulary, codes: dict[str, int], spec: WindowSpec
) -> dict[str, GraphArrays]:
    """The capture's graphs, keyed by split."""
    graphs = domain.graphs(pq.read_table(c.file), vocab.encode, codes, spec)
    graphs = replace(graphs, capture=np.full(graphs.num_graphs, c.index, np.int32))
    if c.split != TRAIN:
        return {c.split: graphs}
    return {TRAIN: graphs.select(c.windows.train), VAL: graphs.select(c.windows.val)}


def build_all(
    plans: list[CapturePlan],
    domain: Domain,
    vocab: Vocabulary,
    codes: dict[str, int],
    spec: WindowSpec,
) -> tuple[dict[str, GraphArrays], float]:
    """Every split's graphs (captures built in parallel), and the build rate in frames/s.

    Args:
        plans: The captures, from ``plan``.
        domain: How their graphs are built.
        vocab: Node vocabulary, from ``fit_vocabulary``.
        codes: Attack-type name -> code, "benign" -> 0 (``attack_names`` in order).
        spec: Window settings.
    """
    parts: dict[str, list[GraphArrays]] = {}
    start = time.perf_counter()
    with (
        ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool,
        bar(sum(c.frames for c in plans), "graphs", unit="frame") as progress,
    ):
        # Largest first, so no thread idles while the other finishes a big capture;
        # results are taken in plan order, so the stores come out the same every run.
        futures = {
            c.index: pool.submit(build_capture, c, domain, vocab, codes, spec)
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
    train: GraphArrays, names: tuple[list[str], list[str]], method: Literal["zscore", "robust"]
) -> tuple[Scaler, Scaler]:
    """Node and edge scalers from the benign training graphs only."""
    benign = train.select(np.flatnonzero(train.y == 0))
    return Scaler.fit(benign.x, names[0], method), Scaler.fit(benign.edge_attr, names[1], method)


def scaled(graphs: GraphArrays, node: Scaler, edge: Scaler) -> GraphArrays:
    """``graphs`` with node and edge features scaled."""
    return replace(graphs, x=node.apply(graphs.x), edge_attr=edge.apply(graphs.edge_attr))


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
