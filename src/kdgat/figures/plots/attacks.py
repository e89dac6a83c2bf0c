"""Per attack type: the share of its windows each model detects (recall, mean over seeds).

One heat map per scenario with attack types: models down, attack types across, the
recall written in each cell. A model at chance on the scenario has its row hatched and
its name marked.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.image import AxesImage
from matplotlib.patches import Rectangle

from kdgat.figures import data, marks, palette
from kdgat.figures.data import Frames
from kdgat.figures.plots.common import chance_flags, legend_below, need, panels, title

ROW_HEIGHT = 0.15
CMAP = "Blues"


def figure(frames: Frames, dataset: str) -> Figure:
    """A heat map of recall per model and attack type, one panel per scenario."""
    found = need(data.of(frames, "attacks", dataset), "per-attack results")
    scenarios = sorted(set(found["scenario"]))
    models = palette.ordered(found["model"])
    fig, axes = panels(len(scenarios), per_row=0.7 + ROW_HEIGHT * len(models), sharey=False)
    image = None
    for ax, scenario in zip(axes[0], scenarios, strict=True):
        image = _heatmap(ax, found[found["scenario"] == scenario], models)
        title(ax, scenario)
    if image is not None:
        fig.colorbar(image, ax=list(axes[0]), label="recall", shrink=0.8, pad=0.01)
    legend_below(fig, marks.legend_entries([], any(chance_flags(found, "mark")), kind="bar"))
    return fig


def _heatmap(ax: Axes, rows: pd.DataFrame, models: list[str]) -> AxesImage:
    attacks = sorted(set(rows["attack"]))
    grid = rows.pivot_table(index="model", columns="attack", values="recall", aggfunc="first")
    grid = grid.reindex(index=models, columns=attacks)
    image = ax.imshow(grid.to_numpy(dtype=float), cmap=CMAP, vmin=0, vmax=1, aspect="auto")
    chance = {m for m, c in zip(rows["model"], chance_flags(rows, "mark"), strict=True) if c}
    for (i, j), value in np.ndenumerate(grid.to_numpy(dtype=float)):
        if np.isfinite(value):
            ink = "white" if value > 0.6 else "black"
            ax.text(j, i, f"{value:.2f}", ha="center", va="center", color=ink, fontsize=5.5)
    for i, model in enumerate(models):
        if model in chance:
            ax.add_patch(
                Rectangle(
                    (-0.5, i - 0.5),
                    len(attacks),
                    1,
                    fill=False,
                    hatch=marks.HATCH,
                    edgecolor="0.55",
                    linewidth=0,
                )
            )
    ax.set_yticks(range(len(models)), models)
    ax.set_xticks(range(len(attacks)), attacks, rotation=30, ha="right")
    ax.grid(False)
    return image
