"""Stage ``train_gat@<dataset>``: the GAT teacher, with the curriculum from the trained VGAE."""

from __future__ import annotations

from kdgat.pipeline import entry
from kdgat.pipeline.training import stage

run = stage("train_gat")


def main(argv: list[str] | None = None) -> None:
    """``python stages/train_gat.py DATASET``."""
    entry.main(run, argv)
