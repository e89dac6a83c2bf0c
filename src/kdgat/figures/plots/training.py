"""Training curves from ``epoch_metrics``: every logged key per epoch, mean over seeds.

One panel per key (``train/loss``, ``val/loss``, ``val/f1``, ...), one line per model; the
band spans the seeds' minimum and maximum. These are training-time values on the
validation split, not test results: the ``~chance`` mark, a verdict on a test scenario,
does not apply here.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from kdgat.figures import data, palette
from kdgat.figures.data import Frames
from kdgat.figures.plots.common import legend_below, model_handles, need, panels

FIRST = ("train/loss", "val/loss", "val/f1", "val/auroc")  # shown first when logged
MAX_PANELS = 4
PANEL_HEIGHT = 1.6


def per_epoch(curves: pd.DataFrame) -> pd.DataFrame:
    """Mean, min and max over seeds per model, key and epoch (a seed's last value per epoch)."""
    curves = curves.assign(epoch=curves["epoch"].fillna(curves["step"]))
    last = curves.groupby(["model", "name", "seed", "epoch"], sort=True)["value"].last()
    return (
        last.groupby(["model", "name", "epoch"], sort=True)
        .agg(["mean", "min", "max"])
        .reset_index()
    )


def keys(curves: pd.DataFrame) -> list[str]:
    """The keys to draw: the usual ones first, then the rest by name, at most MAX_PANELS."""
    names = set(curves["name"])
    return ([k for k in FIRST if k in names] + sorted(names - set(FIRST)))[:MAX_PANELS]


def figure(frames: Frames, dataset: str) -> Figure:
    """One panel per key, one line per model."""
    curves = per_epoch(need(data.of(frames, "training", dataset), "epoch metrics"))
    shown = keys(curves)
    fig, axes = panels(len(shown), per_row=PANEL_HEIGHT, sharey=False)
    for ax, key in zip(axes[0], shown, strict=True):
        rows = curves[curves["name"] == key]
        for model in palette.ordered(rows["model"]):
            line = rows[rows["model"] == model]
            color = palette.color(model)
            ax.plot(line["epoch"], line["mean"], color=color, linewidth=0.9)
            ax.fill_between(
                line["epoch"], line["min"], line["max"], color=color, alpha=0.15, linewidth=0
            )
        if "loss" in key and (rows["min"] > 0).all():
            ax.set_yscale("log")  # losses of different models differ by orders of magnitude
        ax.set_title(key, pad=3)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    models = palette.ordered(curves["model"])
    legend_below(fig, model_handles(models, kind="line"), columns=min(len(models), 6))
    return fig
