"""Stage ``train_gin@<dataset>-<seed>``: the GIN classifier, evaluated on its own."""

from __future__ import annotations

from kdgat.pipeline import entry
from kdgat.pipeline.training import stage

run = stage("train_gin")


def main(argv: list[str] | None = None) -> None:
    """``python stages/train_gin.py DATASET``."""
    entry.main(run, argv)
