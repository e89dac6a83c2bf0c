"""What fusion adds: F1 over the better of its input models, and over the baseline.

Each fusion model's F1 minus the better of its two input models' (the best single model
of its pair, teachers or students: circles) and minus the non-graph baseline's
(window_gbt: squares); whiskers: the paired-bootstrap 95 % interval where the export
has one (the DQN fusions). Hollow: the fusion model is at chance.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from kdgat.figures import data, marks, palette
from kdgat.figures.data import Frames
from kdgat.figures.plots.common import chance_flags, errors, legend_below, need, panels, title

ROW_HEIGHT = 0.2
# (column, marker, legend label, vertical offset within the model's row)
GAINS = (
    ("gain", "o", "over the better input model", -0.15),
    ("gain_over_baseline", "s", "over the window baseline", 0.15),
)


def figure(frames: Frames, dataset: str) -> Figure:
    """One panel per scenario: both gains of every fusion model."""
    gain = need(data.of(frames, "fusion_gain", dataset), "fusion models")
    scenarios = sorted(set(gain["scenario"]))
    models = palette.ordered(gain["fusion"])
    fig, axes = panels(len(scenarios), per_row=0.5 + ROW_HEIGHT * len(models))
    for ax, scenario in zip(axes[0], scenarios, strict=True):
        _gains(ax, gain[gain["scenario"] == scenario].reset_index(drop=True), models)
        marks.reference(ax, 0.0, vertical=True)
        ax.set_xlabel("F1 gain of fusion")
        title(ax, scenario)
    axes[0, 0].invert_yaxis()
    handles = [
        Line2D([], [], marker=shape, color="0.3", linestyle="none", label=label)
        for _, shape, label, _ in GAINS
    ]
    handles.append(marks.reference_handle("no gain"))
    legend_below(fig, marks.legend_entries(handles, any(chance_flags(gain, "fusion_mark"))))
    return fig


def _gains(ax: Axes, rows: pd.DataFrame, models: list[str]) -> None:
    chance = chance_flags(rows, "fusion_mark")
    for column, shape, _, offset in GAINS:
        spread = errors(rows, column)
        for i, (_, row) in enumerate(rows.iterrows()):
            if not np.isfinite(row[column]):
                continue  # e.g. no baseline in this dataset
            ax.errorbar(
                row[column],
                models.index(row["fusion"]) + offset,
                xerr=spread[:, i : i + 1],
                fmt=shape,
                capsize=1.5,
                elinewidth=0.8,
                **marks.point(palette.color(row["fusion"]), chance[i]),
            )
    ax.set_yticks(range(len(models)), models)
    ax.grid(axis="y", visible=False)
