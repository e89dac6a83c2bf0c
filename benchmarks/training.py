"""Training throughput per model and size, and Lightning's overhead; prints one JSON object.

Data: graphs of the built-in synthetic bus (made here in a temporary folder).
- ``throughput``: training graphs/s (forward, backward, optimiser step) of each
  model (GAT, VGAE) at each size in params.yaml (large teacher, small student).
- ``lightning_overhead``: one epoch of the large GAT through ``lightning.Trainer``
  (no logger, checkpoints or progress bar) against a plain PyTorch loop over the
  same batches; target: at most 10 % slower.

Run: ``python benchmarks/training.py`` (or ``make bench``).
"""

from __future__ import annotations

import json
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import lightning.pytorch as pl
import torch

from kdgat.config import DatasetEntry, load_params
from kdgat.data.ingest import ingest_dataset
from kdgat.data.synth import write_dataset
from kdgat.graphs.loader import GraphLoader
from kdgat.graphs.store import GraphStore, open_store
from kdgat.layout import TRAIN, Layout
from kdgat.models.gat import GATClassifier
from kdgat.models.sizes import count_parameters
from kdgat.models.vgae import VGAE
from kdgat.pipeline import graphs as graphs_stage
from kdgat.training.modules import ClassifierTask, GraphTask, VGAETask

PARAMS = Path(__file__).resolve().parents[1] / "params.yaml"
BATCH = 64


def synthetic_store(folder: Path) -> GraphStore:
    """Training graphs of a 20 s synthetic capture set (about 2,000 graphs)."""
    write_dataset(
        folder / "raw",
        seed=1,
        ecus=12,
        duration_s=20.0,
        attack_free_captures=2,
        train_attacks=["dos", "fuzzing", "spoofing"],
        test_scenarios={"known": ["dos"]},
    )
    entry = DatasetEntry(
        domain="can",
        format="can_csv",
        source="synth",
        train=["train_*"],
        test={"known": ["test_*"]},
    )
    layout = Layout(folder)
    processed = layout.processed("b").dir
    ingest_dataset("b", entry, folder / "raw", processed, folder / "i.json", 1 << 18, 0.001)
    graphs_stage.run("b", load_params(PARAMS), layout)
    return open_store(layout.store("b", TRAIN))


def tasks(store: GraphStore) -> dict[str, GraphTask]:
    """One task per model and size, as the stages build them."""
    p, meta = load_params(PARAMS), store.meta
    shapes = {
        "in_channels": len(meta["node_features"]),
        "edge_dim": len(meta["edge_features"]),
        "vocab_size": meta["vocab_size"],
    }
    built: dict[str, GraphTask] = {}
    for size in ("large", "small"):
        gat = GATClassifier(**shapes, **getattr(p.gat, size).model_dump())
        built[f"gat_{size}"] = ClassifierTask(
            model=gat,
            lr=p.lr,
            weight_decay=p.weight_decay,
            loss="ce",
            class_weights=None,
            focal_gamma=0.0,
        )
        vgae = VGAE(**shapes, **getattr(p.vgae, size).model_dump())
        built[f"vgae_{size}"] = VGAETask(
            model=vgae,
            lr=p.lr,
            weight_decay=p.weight_decay,
            loss_weights=p.vgae.loss_weights,
            score_weights=p.vgae.score_weights,
        )
    return built


def plain_epoch(task: GraphTask, loader: GraphLoader) -> float:
    """Seconds for one epoch of a hand-written training loop."""
    optimizer = task.configure_optimizers()
    task.train()
    start = time.perf_counter()
    for batch in loader:
        optimizer.zero_grad()
        loss, _ = task.loss_and_scores(batch)
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def lightning_epoch(task: GraphTask, loader: GraphLoader) -> float:
    """Seconds for one epoch through the Lightning Trainer (bookkeeping off)."""
    trainer = pl.Trainer(
        max_epochs=1,
        logger=False,
        enable_checkpointing=False,
        enable_progress_bar=False,
        enable_model_summary=False,
        limit_val_batches=0,
        num_sanity_val_steps=0,
        accelerator="cpu",
    )
    start = time.perf_counter()
    trainer.fit(task, train_dataloaders=loader)
    return time.perf_counter() - start


def main() -> None:
    torch.manual_seed(0)
    for noisy in ("lightning.pytorch", "lightning.fabric"):  # banners would bury the JSON
        logging.getLogger(noisy).setLevel(logging.WARNING)
    with tempfile.TemporaryDirectory() as folder:
        store = synthetic_store(Path(folder))
        loader = GraphLoader(store, BATCH)
        throughput: dict[str, Any] = {}
        for name, task in tasks(store).items():
            plain_epoch(task, GraphLoader(store, BATCH, indices=torch.arange(BATCH * 2).numpy()))
            seconds = min(plain_epoch(task, loader) for _ in range(2))
            throughput[name] = {
                "parameters": count_parameters(task.model),
                "graphs_per_s": round(len(store) / seconds, 1),
            }
        gat = tasks(store)["gat_large"]
        plain = min(plain_epoch(gat, loader) for _ in range(2))
        with_lightning = min(lightning_epoch(gat, loader) for _ in range(2))
        result = {
            "benchmark": "training",
            "graphs": len(store),
            "batch_size": BATCH,
            "throughput": throughput,
            "lightning_overhead": {
                "plain_epoch_s": round(plain, 3),
                "lightning_epoch_s": round(with_lightning, 3),
                "overhead_pct": round(100 * (with_lightning / plain - 1), 1),
                "target_pct": 10,
            },
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
