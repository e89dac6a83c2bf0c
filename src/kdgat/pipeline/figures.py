"""Stage ``figures``: the lakehouse -> the paper's figures and tables under ``reports/``.

Reads the local lakehouse that ``export`` wrote, nothing else, and writes
``reports/figures/`` (PDF and SVG) and ``reports/tables/`` (LaTeX and Markdown), both
DVC outputs: the same lakehouse content gives the same bytes.
"""

from __future__ import annotations

import logging
from pathlib import Path

from kdgat.figures.write import write
from kdgat.layout import Layout
from kdgat.pipeline import entry


def figures(lakehouse: Path, figures_dir: Path, tables_dir: Path) -> list[Path]:
    """Write every figure and table of ``lakehouse``; print what was written where."""
    written = write(lakehouse, figures_dir, tables_dir)
    for folder in (figures_dir, tables_dir):
        count = sum(p.parent == folder for p in written)
        print(f"{folder}/: {count} files")
    return written


def main(argv: list[str] | None = None) -> None:
    """``python stages/figures.py``: the workspace's lakehouse into its reports/ folders."""
    entry.quiet_logs()
    logging.getLogger("fontTools").setLevel(logging.WARNING)  # a line per embedded font
    layout = Layout()
    entry.guarded(lambda: figures(layout.lakehouse, layout.figures, layout.tables), "figures")
