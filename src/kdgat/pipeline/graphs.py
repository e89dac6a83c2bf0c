"""Stage ``graphs@<dataset>``: validated Parquet -> a windowed graph store per split.

Reads the ingest manifest (``data/processed/<ds>/manifest.json``), builds every
split's graphs with ``kdgat.graphs.build``, replaces ``data/graphs/<ds>/`` as a
whole (a store per split, ``vocab.json``, ``scaler.json``, ``meta.json``) and
writes ``metrics/<ds>/graphs.json``.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path
from typing import Any

import xxhash

from kdgat import config
from kdgat.data.manifest import read_manifest
from kdgat.graphs import build
from kdgat.graphs.arrays import GraphArrays
from kdgat.graphs.domains import WindowSpec, get_domain
from kdgat.graphs.normalize import Scaler
from kdgat.graphs.store import FORMAT_VERSION, write_store
from kdgat.graphs.vocab import Vocabulary
from kdgat.io import replace_dir, write_json
from kdgat.layout import TRAIN, GraphFiles, Layout, ProcessedFiles
from kdgat.pipeline import entry


def run(dataset: str, p: config.Params, layout: Layout) -> dict[str, Any]:
    """Build the graph stores of an ingested dataset into data/graphs/<dataset>.

    Returns:
        The report written to ``metrics/<dataset>/graphs.json`` (vocabulary size and
        per-split statistics, ``kdgat.graphs.build.split_stats``), plus the build rate.
    """
    processed, out = layout.processed(dataset), layout.graphs(dataset)
    return build_graphs(dataset, p.graphs, processed, out, layout.metrics(dataset).graphs)


def build_graphs(
    dataset: str,
    g: config.GraphParams,
    processed: ProcessedFiles,
    out: GraphFiles,
    metrics: Path,
) -> dict[str, Any]:
    """``run`` with the folders given: ``processed`` in, ``out`` and ``metrics`` written."""
    manifest = read_manifest(entry.require(processed.manifest, f"ingest@{dataset}"), dataset)
    source = processed.manifest.read_bytes()
    domain = get_domain(manifest["domain"], processed.manifest)
    spec = window_spec(g)
    plans = build.plan(
        manifest["captures"], processed.dir, domain, spec, g.val_fraction, g.val_blocks
    )
    names = build.attack_names(plans)
    vocab = build.fit_vocabulary(plans, domain, g.id_encoding, g.hash_buckets)
    splits, rate = build.build_all(plans, domain, vocab, {n: i for i, n in enumerate(names)}, spec)
    features = domain.features([c.file for c in plans])
    empty = GraphArrays.empty(len(features[0]), len(features[1]))
    scalers = build.fit_scalers(splits.get(TRAIN, empty), features, g.scaler)
    window, stride = domain.extent(spec)
    meta = {
        "format_version": FORMAT_VERSION,
        "dataset": dataset,
        "domain": domain.name,
        "window": window,
        "stride": stride,
        "min_attack_frames": g.min_attack_frames,
        "node_features": features[0],
        "edge_features": features[1],
        "vocab_size": vocab.size,
        "attack_types": names,
        "captures": [c.name for c in plans],
        "source_hash": xxhash.xxh3_128_hexdigest(source),
    }
    _write_graphs(out, splits, meta, vocab, scalers)
    report = {
        "dataset": dataset,
        "vocab_size": vocab.size,
        "splits": {split: build.split_stats(graphs) for split, graphs in sorted(splits.items())},
    }
    write_json(metrics, report)  # no wall-clock figure: the same data gives the same bytes
    return {**report, "frames_per_s": round(rate)}


def window_spec(g: config.GraphParams) -> WindowSpec:
    """The window settings of the ``graphs`` params (their defaults live in ``kdgat.config``)."""
    return WindowSpec(**g.model_dump(include={f.name for f in fields(WindowSpec)}))


def _write_graphs(
    out: GraphFiles,
    splits: dict[str, GraphArrays],
    meta: dict[str, Any],
    vocab: Vocabulary,
    scalers: tuple[Scaler, Scaler],
) -> None:
    """Every split's store (scaled), the vocabulary, the scalers and the meta, atomically."""
    node, edge = scalers
    with replace_dir(out.dir, "graphs") as tmp:
        files = GraphFiles(tmp)
        for split, graphs in splits.items():
            write_store(
                files.store(split), build.scaled(graphs, node, edge), {**meta, "split": split}
            )
        write_json(files.vocab, vocab.to_json())
        write_json(files.scaler, {"node": node.to_json(), "edge": edge.to_json()})
        write_json(files.meta, meta)


def describe(report: dict[str, Any]) -> str:
    """The report as a few lines: build rate and vocabulary, then one line per split."""
    lines = [
        f"{report['dataset']}: {report['frames_per_s']:,} frames/s, "
        f"vocabulary {report['vocab_size']}"
    ]
    for split, stats in report["splits"].items():
        lines.append(
            f"  {split:<34} {stats['graphs']:>7} graphs  attack {stats['attack_fraction']:.3f}  "
            f"nodes p50 {stats['nodes_p50']:.0f}  edges p50 {stats['edges_p50']:.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """``python stages/graphs.py DATASET [--params FILE]``."""
    entry.main(run, argv)
