"""How every figure looks: sizes of a two-column paper, fonts embedded, bytes reproducible.

Sizes are IEEE/ACM two-column ones (a column 3.5 in, the full text width 7.16 in). PDFs
embed their fonts as TrueType (``pdf.fonttype`` 42, never Type 3), SVGs draw text as
paths, so both look the same on any machine. The metadata matplotlib would stamp (dates,
its version) is left out and SVG ids come from a fixed salt: the same data gives the same
bytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # files only: no display on a cluster node

from matplotlib.figure import Figure

SINGLE_COLUMN = 3.5  # inches
FULL_WIDTH = 7.16
PANEL_HEIGHT = 1.9  # one row of panels
FORMATS = ("pdf", "svg")

RC: dict[str, Any] = {
    "font.family": "DejaVu Sans",  # ships with matplotlib: the same glyphs everywhere
    "font.size": 7,
    "axes.titlesize": 7,
    "axes.labelsize": 7,
    "xtick.labelsize": 6,
    "ytick.labelsize": 6,
    "legend.fontsize": 6,
    "legend.frameon": False,
    "lines.linewidth": 1.0,
    "lines.markersize": 3.5,
    "axes.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.grid": True,
    "grid.linewidth": 0.4,
    "grid.alpha": 0.35,
    "hatch.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "figure.dpi": 150,
    "figure.constrained_layout.use": True,
    "pdf.fonttype": 42,
    "ps.fonttype": 42,
    "svg.fonttype": "path",
    "svg.hashsalt": "kdgat-figures",
    "path.simplify": False,  # simplification may depend on the renderer's state
}

METADATA: dict[str, dict[str, Any]] = {
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": None, "Producer": None},
    "svg": {"Date": None, "Creator": None},
}


def height(rows: float, per_row: float = PANEL_HEIGHT, extra: float = 0.35) -> float:
    """A figure's height in inches: ``rows`` rows of panels plus room for a legend."""
    return rows * per_row + extra


def save(fig: Figure, folder: Path, name: str) -> list[Path]:
    """``<folder>/<name>.pdf`` and ``.svg`` of ``fig``, without dates or tool versions."""
    written = []
    folder.mkdir(parents=True, exist_ok=True)
    for fmt in FORMATS:
        path = folder / f"{name}.{fmt}"
        fig.savefig(path, format=fmt, metadata=METADATA[fmt])
        written.append(path)
    return written
