"""Stage ``train_gat@<dataset>-<seed>``: the GAT teacher, its curriculum from the VGAE."""

from __future__ import annotations

from kdgat.pipeline import entry
from kdgat.pipeline.training import stage

run = stage("train_gat")


def main(argv: list[str] | None = None) -> None:
    """``python stages/train_gat.py DATASET``."""
    entry.main(run, argv)
