"""ROC and precision-recall curves per scenario, averaged over seeds.

Each seed's curve (the ``curves`` table) is interpolated on a common grid and averaged
vertically (TPR at each FPR, precision at each recall; Fawcett 2006). References: the
diagonal (AUROC 0.5) and, for PR, the attack prevalence (the precision of flagging
everything). Dashed: the model is at chance on the scenario. Only the main models are
drawn, so the lines stay tellable apart; the leaderboard table has every model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from kdgat.figures import data, marks, palette
from kdgat.figures.data import Frames
from kdgat.figures.plots.common import Skip, legend_below, need, panels, title

MODELS = (
    "vgae",
    "vgae_small",
    "gat",
    "gat_small",
    "gin",
    "window_gbt",
    "fusion_dqn",
    "fusion_dqn_small",
)
GRID = np.linspace(0.0, 1.0, 101)
AXES = {"roc": ("false positive rate", "true positive rate"), "pr": ("recall", "precision")}


def mean_curve(points: pd.DataFrame) -> np.ndarray:
    """The seeds' curves (columns seed, point, x, y) averaged on ``GRID``: y per grid x."""
    curves = []
    for _, seed in points.groupby("seed", sort=True):
        ordered = seed.sort_values(["x", "point"], kind="stable")
        curves.append(np.interp(GRID, ordered["x"].to_numpy(), ordered["y"].to_numpy()))
    return np.mean(curves, axis=0)


def roc(frames: Frames, dataset: str) -> Figure:
    """ROC curves, one panel per scenario."""
    return _figure(frames, dataset, "roc")


def pr(frames: Frames, dataset: str) -> Figure:
    """Precision-recall curves, one panel per scenario."""
    return _figure(frames, dataset, "pr")


def _figure(frames: Frames, dataset: str, kind: str) -> Figure:
    found = need(
        data.of(frames, "curves", dataset),
        "ROC/PR curves",
        "an export older than the curves table has none: re-run `dvc repro export`",
    )
    found = found[(found["kind"] == kind) & found["model"].isin(MODELS)]
    if found.empty:
        raise Skip(f"no {kind} curve of {', '.join(MODELS)}")
    board = data.of(frames, "leaderboard", dataset)
    scenarios = sorted(set(found["scenario"]))
    fig, axes = panels(len(scenarios), per_row=2.2)
    chance = False
    for ax, scenario in zip(axes[0], scenarios, strict=True):
        rows = found[found["scenario"] == scenario]
        chance |= _draw(ax, rows, board[board["scenario"] == scenario])
        _reference(ax, kind, board[board["scenario"] == scenario])
        ax.set(xlabel=AXES[kind][0], ylabel=AXES[kind][1], xlim=(0, 1), ylim=(0, 1.02))
        title(ax, scenario)
    models = palette.ordered(found["model"])
    handles = [Line2D([], [], color=palette.color(m), label=m) for m in models]
    handles.append(marks.reference_handle("AUROC 0.5" if kind == "roc" else "prevalence"))
    legend_below(fig, marks.legend_entries(handles, chance, kind="line"), columns=5)
    return fig


def _draw(ax: Axes, rows: pd.DataFrame, board: pd.DataFrame) -> bool:
    """Every model's mean curve on ``ax``; whether any of them is at chance."""
    mark = dict(zip(board["model"], board["mark"], strict=True))
    chance = False
    for model in palette.ordered(rows["model"]):
        at = marks.at_chance(mark.get(model))
        chance |= at
        ax.plot(
            GRID,
            mean_curve(rows[rows["model"] == model]),
            color=palette.color(model),
            linewidth=0.9,
            **marks.line(at),
        )
    return chance


def _reference(ax: Axes, kind: str, board: pd.DataFrame) -> None:
    if kind == "roc":
        ax.plot([0, 1], [0, 1], **marks.REFERENCE)
    elif not board.empty:
        marks.reference(ax, float(board["prevalence"].iloc[0]), vertical=False)
