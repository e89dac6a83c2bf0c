"""Every figure and table of every dataset, written atomically under ``reports/``.

Both folders are staged and renamed into place only when everything is drawn, so a
failed run leaves the previous figures (or none), never a half-written set that DVC
could cache.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import matplotlib as mpl
from matplotlib.figure import Figure

from kdgat.figures import data, style, tables
from kdgat.figures.data import Frames
from kdgat.figures.plots import (
    attacks,
    curves,
    detect,
    fusion,
    generalisation,
    kd,
    scores,
    training,
)
from kdgat.figures.plots.common import Skip
from kdgat.io import replace_dir

log = logging.getLogger(__name__)

# File stem -> the function drawing that figure for one dataset.
FIGURES: dict[str, Callable[[Frames, str], Figure]] = {
    "scores": scores.figure,
    "attacks": attacks.figure,
    "kd_gap": kd.figure,
    "fusion_gain": fusion.figure,
    "generalisation": generalisation.figure,
    "time_to_detect": detect.figure,
    "training": training.figure,
    "roc": curves.roc,
    "pr": curves.pr,
}


def write(lakehouse: Path, figures: Path, table_dir: Path) -> list[Path]:
    """Draw everything the lakehouse holds into ``figures`` and ``table_dir``; the files."""
    frames = data.load(lakehouse)
    with (
        replace_dir(figures, "figures", inputs=[lakehouse]) as fig_tmp,
        replace_dir(table_dir, "tables", inputs=[lakehouse]) as table_tmp,
    ):
        written = draw_all(frames, fig_tmp) + tables.write_all(frames, table_tmp)
        staged = {fig_tmp: figures, table_tmp: table_dir}
        return [staged[p.parent] / p.name for p in written]


def draw_all(frames: Frames, folder: Path) -> list[Path]:
    """Every figure family of every dataset as PDF and SVG in ``folder``."""
    written: list[Path] = []
    with mpl.rc_context(style.RC):  # type: ignore[arg-type]  # typed as literal keys only
        for dataset in data.datasets(frames):
            for stem, draw in FIGURES.items():
                try:
                    fig = draw(frames, dataset)
                except Skip as why:
                    log.info("%s_%s: skipped, %s", stem, dataset, why)
                    continue
                written += style.save(fig, folder, f"{stem}_{dataset}")
    return written
