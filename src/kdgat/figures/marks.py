"""The ``~chance`` mark in figures: hollow markers, hatched bars, one legend entry.

A result is at chance when the evidence says a trivial detector matches it: its F1 is
not above the flag-everything F1 beyond noise, or its AUROC not above 0.5 (the
``chance`` column of the summary, ``kdgat.evaluation.stats.is_chance``; the lakehouse
views carry it as ``mark``). Figures never decide it themselves: they read the mark.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

CHANCE = "~chance"
LABEL = "~chance: F1 not above flag-all, or AUROC ≤ 0.5"
HATCH = "//////"
FLAG_ALL = "flag-all F1"  # the reference line: the F1 of flagging every window


def at_chance(*marks: Any) -> bool:
    """Whether any of ``marks`` (a view's ``mark`` cells, maybe NULL) is ``~chance``."""
    return any(isinstance(m, str) and m.strip() == CHANCE for m in marks)


def point(color: str, chance: bool) -> dict[str, Any]:
    """Marker keywords: filled in the model's colour, hollow when at chance."""
    return {
        "color": color,
        "markeredgecolor": color,
        "markerfacecolor": "white" if chance else color,
    }


def bar(color: str, chance: bool) -> dict[str, Any]:
    """Bar keywords: solid in the model's colour, white and hatched when at chance."""
    return {
        "facecolor": "white" if chance else color,
        "edgecolor": color,
        "hatch": HATCH if chance else None,
        "linewidth": 0.6,
    }


def line(chance: bool) -> dict[str, Any]:
    """Curve keywords: a dashed line when at chance."""
    return {"linestyle": (0, (3, 1.5)) if chance else "-"}


def handle(kind: str = "point") -> Line2D | Patch:
    """The legend entry that explains the mark, drawn as ``kind`` (point, bar or line)."""
    if kind == "bar":
        return Patch(facecolor="white", edgecolor="0.3", hatch=HATCH, label=LABEL)
    if kind == "line":
        return Line2D([], [], color="0.3", label=LABEL, **line(True))
    return Line2D([], [], marker="o", linestyle="none", label=LABEL, **point("0.3", True))


REFERENCE: dict[str, Any] = {"color": "0.25", "linestyle": ":", "linewidth": 0.8}


def reference(ax: Axes, value: float, vertical: bool) -> None:
    """A dotted reference line (flag-all F1, AUROC 0.5, no gain) across ``ax``."""
    if value != value:  # NaN: the scenario has no reference
        return
    draw = ax.axvline if vertical else ax.axhline
    draw(value, zorder=1, **REFERENCE)


def reference_handle(label: str = FLAG_ALL) -> Line2D:
    """The legend entry of ``reference`` lines."""
    return Line2D([], [], label=label, **REFERENCE)


def legend_entries(handles: Iterable[Any], any_chance: bool, kind: str = "point") -> list[Any]:
    """``handles``, plus the chance entry when some result in the figure is marked."""
    return [*handles, *([handle(kind)] if any_chance else [])]
