"""Time to detect: the share of attacks a model catches at all, and how soon.

Top row: the share of attack episodes with at least one flagged window (mean over seeds,
95 % interval); bottom row: the median delay from an attack's start to its first flag,
in seconds. Hollow: the model is at chance on the scenario.
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

ROWS = (("detected_share", "attacks detected (share)"), ("median_delay_s", "median delay (s)"))
ROW_HEIGHT = 0.14


def figure(frames: Frames, dataset: str) -> Figure:
    """Detected share and median delay, one column per scenario."""
    found = need(data.of(frames, "time_to_detect", dataset), "time-to-detect results")
    scenarios = sorted(set(found["scenario"]))
    models = palette.ordered(found["model"])
    fig, axes = panels(len(scenarios), rows=2, per_row=0.45 + ROW_HEIGHT * len(models))
    for column, scenario in enumerate(scenarios):
        rows = found[found["scenario"] == scenario].reset_index(drop=True)
        for row, (metric, label) in enumerate(ROWS):
            model_intervals(axes[row, column], rows, metric, models)
            axes[row, column].set_xlabel(label)
        title(axes[0, column], scenario)
        axes[0, column].set_xlim(-0.02, 1.02)
    axes[0, 0].invert_yaxis()
    legend_below(fig, marks.legend_entries([], any(chance_flags(found, "mark"))))
    return fig
