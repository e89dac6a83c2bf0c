"""What several figure families share: skipping, panels, intervals, legends."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from kdgat.figures import marks, palette, style


class Skip(Exception):  # noqa: N818 (not an error: a figure with nothing to draw)
    """This figure has nothing to draw for this dataset; the message says why."""


def need(frame: pd.DataFrame, what: str, hint: str = "") -> pd.DataFrame:
    """``frame``, unless it has no rows: then ``Skip`` naming ``what`` is missing (and ``hint``)."""
    if frame.empty:
        raise Skip(f"no {what} in the lakehouse{f'; {hint}' if hint else ''}")
    return frame


def panels(
    count: int, rows: int = 1, per_row: float = style.PANEL_HEIGHT, sharey: bool = True
) -> tuple[Figure, np.ndarray]:
    """A figure of ``rows`` x ``count`` panels: a column wide for one, the full width else."""
    width = style.SINGLE_COLUMN if count == 1 else style.FULL_WIDTH
    fig = Figure(figsize=(width, style.height(rows, per_row)))
    axes = fig.subplots(rows, count, squeeze=False, sharey=sharey)
    return fig, axes


def errors(frame: pd.DataFrame, value: str) -> np.ndarray:
    """[2, n] distances from ``value`` to its ``_low`` and ``_high`` (0 where undefined).

    One seed has no interval (NaN bounds): the point is drawn without whiskers.
    """
    centre = frame[value].to_numpy(dtype=float)
    low = frame.get(f"{value}_low", pd.Series(np.nan, index=frame.index)).to_numpy(dtype=float)
    high = frame.get(f"{value}_high", pd.Series(np.nan, index=frame.index)).to_numpy(dtype=float)
    spread = np.vstack([centre - low, high - centre])
    return np.nan_to_num(np.clip(spread, 0, None), nan=0.0)


def model_intervals(ax: Axes, rows: pd.DataFrame, metric: str, models: list[str]) -> None:
    """One point with whiskers per model, on the model's row; hollow at chance.

    A row whose ``metric`` is undefined (no attack detected: no delay) draws nothing.
    """
    place = {m: i for i, m in enumerate(models)}
    spread = errors(rows, metric)
    for i, (_, row) in enumerate(rows.iterrows()):
        if not np.isfinite(row[metric]):
            continue
        ax.errorbar(
            row[metric],
            place[row["model"]],
            xerr=spread[:, i : i + 1],
            fmt="o",
            capsize=1.5,
            elinewidth=0.8,
            **marks.point(palette.color(row["model"]), marks.at_chance(row["mark"])),
        )
    ax.set_yticks(range(len(models)), models)
    ax.grid(axis="y", visible=False)


def chance_flags(frame: pd.DataFrame, *columns: str) -> list[bool]:
    """Per row, whether any of the ``columns`` (mark cells) says ``~chance``."""
    return [marks.at_chance(*(row[c] for c in columns)) for _, row in frame.iterrows()]


def model_handles(models: Sequence[str], kind: str = "point") -> list[Any]:
    """One legend entry per model in its colour (a marker, or a line for curves)."""
    if kind == "line":
        return [Line2D([], [], color=palette.color(m), label=m) for m in models]
    return [
        Line2D(
            [], [], marker="o", linestyle="none", label=m, **marks.point(palette.color(m), False)
        )
        for m in models
    ]


LEGEND_ROW = 0.12  # inches per row of legend entries
LONG_LABEL = 28  # characters: two such entries side by side overflow a single column


def legend_below(fig: Figure, handles: Sequence[Any], columns: int = 4) -> None:
    """The figure's legend in a band below its panels, never over the data.

    The figure grows by the legend's rows, so the panels keep their size; a figure a
    column wide takes two entries a row, or one when an entry is long.
    """
    if not handles:
        return
    if fig.get_figwidth() <= style.SINGLE_COLUMN:
        long = any(len(h.get_label()) > LONG_LABEL for h in handles)
        columns = 1 if long else min(columns, 2)
    rows = -(-len(handles) // columns)
    fig.set_figheight(fig.get_figheight() + LEGEND_ROW * (rows - 1))
    fig.legend(handles=list(handles), loc="outside lower center", ncols=columns)


def title(ax: Axes, text: str) -> None:
    """A panel title that fits a panel (long scenario names wrap at underscores)."""
    ax.set_title(text.replace("_", " "), pad=3)
