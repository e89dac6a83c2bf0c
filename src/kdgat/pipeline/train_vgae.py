"""Stage ``train_vgae@<dataset>-<seed>``: the VGAE teacher, one-class, on benign training graphs."""

from __future__ import annotations

from kdgat.pipeline import entry
from kdgat.pipeline.training import stage

run = stage("train_vgae")


def main(argv: list[str] | None = None) -> None:
    """``python stages/train_vgae.py DATASET``."""
    entry.main(run, argv)
