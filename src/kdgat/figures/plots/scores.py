"""Per scenario: every model's F1 and AUROC, mean over seeds with the 95 % interval.

The flag-everything F1 (and AUROC 0.5) is drawn as the reference a detector must clear;
hollow markers are results at chance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from kdgat.figures import data, marks, palette
from kdgat.figures.data import Frames
from kdgat.figures.plots.common import (
    chance_flags,
    errors,
    legend_below,
    need,
    panels,
    title,
)

METRICS = (("f1", "F1"), ("auroc", "AUROC"))
ROW_HEIGHT = 0.14  # inches per model row


def figure(frames: Frames, dataset: str) -> Figure:
    """F1 (top row) and AUROC (bottom row), one column per scenario."""
    board = need(data.of(frames, "leaderboard", dataset), "leaderboard rows")
    scenarios = sorted(set(board["scenario"]))
    models = palette.ordered(board["model"])
    fig, axes = panels(len(scenarios), rows=2, per_row=0.45 + ROW_HEIGHT * len(models))
    for column, scenario in enumerate(scenarios):
        rows = board[board["scenario"] == scenario]
        for row, (metric, label) in enumerate(METRICS):
            ax = axes[row, column]
            _intervals(ax, rows, metric, models)
            reference = rows["flag_all_f1"].iloc[0] if metric == "f1" else 0.5
            marks.reference(ax, float(reference), vertical=True)
            ax.set_xlabel(f"{label} (mean, 95 % CI)")
            ax.set_xlim(-0.02, 1.02)
            if row == 0:
                title(ax, scenario)
    axes[0, 0].invert_yaxis()  # shared: the first model on top in every panel
    chance = any(chance_flags(board, "mark"))
    references = [marks.reference_handle("flag-all F1; AUROC 0.5")]
    legend_below(fig, marks.legend_entries(references, chance))
    return fig


def _intervals(ax: Axes, rows: pd.DataFrame, metric: str, models: list[str]) -> None:
    """One point with whiskers per model, at the model's row; at chance: hollow."""
    place = {m: i for i, m in enumerate(models)}
    spread = errors(rows, metric)
    for i, (_, row) in enumerate(rows.iterrows()):
        if not np.isfinite(row[metric]):
            continue
        color = palette.color(row["model"])
        ax.errorbar(
            row[metric],
            place[row["model"]],
            xerr=spread[:, i : i + 1],
            fmt="o",
            capsize=1.5,
            elinewidth=0.8,
            **marks.point(color, marks.at_chance(row["mark"])),
        )
    ax.set_yticks(range(len(models)), models)
    ax.grid(axis="y", visible=False)
