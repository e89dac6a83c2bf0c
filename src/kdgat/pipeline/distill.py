"""Stage ``distill@<dataset>-<seed>``: the small GAT and VGAE students of the frozen teachers."""

from __future__ import annotations

from kdgat.pipeline import entry
from kdgat.pipeline.training import stage

run = stage("distill")


def main(argv: list[str] | None = None) -> None:
    """``python stages/distill.py DATASET``."""
    entry.main(run, argv)
