"""Known against unknown vehicle: how much F1 a model loses on a vehicle it never saw.

Scenarios named ``known_vehicle_*`` and ``unknown_vehicle_*`` (the catalog's convention)
are the two sides; with several of one side, a model's F1 there is their mean. Each
model is a line from its known-vehicle F1 (circle) to its unknown-vehicle F1 (square):
the line's length is the generalisation gap. Hollow: at chance on that side.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from kdgat.figures import data, marks, palette
from kdgat.figures.data import Frames
from kdgat.figures.plots.common import Skip, legend_below, need, panels

SIDES = (("known", "known_vehicle", "o"), ("unknown", "unknown_vehicle", "s"))
ROW_HEIGHT = 0.15


def sides(board: pd.DataFrame) -> pd.DataFrame:
    """Per model: mean F1 and chance mark on known- and unknown-vehicle scenarios, and the gap.

    Columns: model, known_f1, known_mark, unknown_f1, unknown_mark, gap (known - unknown);
    only models evaluated on both sides, in pipeline order.
    """
    per_side = []
    for side, prefix, _ in SIDES:
        rows = board[board["scenario"].str.startswith(prefix)]
        per_side.append(
            rows.groupby("model", sort=True).agg(
                **{
                    f"{side}_f1": ("f1", "mean"),
                    f"{side}_mark": ("mark", lambda m: marks.CHANCE if marks.at_chance(*m) else ""),
                }
            )
        )
    both = per_side[0].join(per_side[1], how="inner")
    both = both.reindex(palette.ordered(both.index)).reset_index(names="model")
    return both.assign(gap=both["known_f1"] - both["unknown_f1"])


def figure(frames: Frames, dataset: str) -> Figure:
    """One panel: a dumbbell per model, known-vehicle F1 to unknown-vehicle F1."""
    board = need(data.of(frames, "leaderboard", dataset), "leaderboard rows")
    gap = sides(board)
    if gap.empty:
        raise Skip("no model scored on both a known_vehicle_* and an unknown_vehicle_* scenario")
    fig, axes = panels(1, per_row=0.5 + ROW_HEIGHT * len(gap))
    ax = axes[0, 0]
    chance = False
    for i, (_, row) in enumerate(gap.iterrows()):
        color = palette.color(row["model"])
        ax.plot([row["known_f1"], row["unknown_f1"]], [i, i], color=color, linewidth=1.2)
        for side, _, shape in SIDES:
            hollow = marks.at_chance(row[f"{side}_mark"])
            chance |= hollow
            ax.plot(row[f"{side}_f1"], i, shape, **marks.point(color, hollow))
    ax.set_yticks(range(len(gap)), gap["model"])
    ax.invert_yaxis()
    ax.grid(axis="y", visible=False)
    ax.set_xlabel("F1 (mean over seeds)")
    handles = [
        Line2D([], [], marker=shape, color="0.3", linestyle="none", label=f"{side} vehicle")
        for side, _, shape in SIDES
    ]
    legend_below(fig, marks.legend_entries(handles, chance), columns=3)
    return fig
