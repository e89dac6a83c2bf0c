"""Per scenario: every model's F1 and AUROC, mean over seeds with the 95 % interval.

The flag-everything F1 (and AUROC 0.5) is drawn as the reference a detector must clear;
hollow markers are results at chance.
"""

from __future__ import annotations

from matplotlib.figure import Figure

from kdgat.figures import data, marks, palette
from kdgat.figures.data import Frames
from kdgat.figures.plots.common import (
    chance_flags,
    legend_below,
    model_intervals,
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
            model_intervals(ax, rows, metric, models)
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
