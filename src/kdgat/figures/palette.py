"""One colour and one place per model, the same in every figure.

A teacher and its distilled student share a hue (the student lighter), so a reader
pairs them without the legend; models appear in pipeline order: detectors, baseline,
fusion.
"""

from __future__ import annotations

from collections.abc import Iterable

from matplotlib import colormaps

# Position in matplotlib's tab20 (dark/light pairs): a hue per base model.
HUES = {
    "vgae": 0,
    "gat": 1,
    "gin": 2,
    "fusion_dqn": 3,
    "fusion_avg": 4,
    "fusion_stack": 5,
    "window_gbt": 7,
}
SPARE_HUES = (6, 8, 9)  # for models this list does not know yet
ORDER = ("vgae", "gat", "gin", "window_gbt", "fusion_avg", "fusion_stack", "fusion_dqn")


def base(model: str) -> str:
    """The teacher's name of a student (``gat_small`` -> ``gat``)."""
    return model.removesuffix("_small")


def color(model: str) -> str:
    """The model's colour as a hex string (a student: the light shade of its teacher's)."""
    name = base(model)
    # An unknown model gets a spare hue from its name (not hash(): salted per process).
    hue = HUES.get(name, SPARE_HUES[sum(map(ord, name)) % len(SPARE_HUES)])
    rgba = colormaps["tab20"](2 * hue + (1 if model.endswith("_small") else 0))
    return "#{:02x}{:02x}{:02x}".format(*(round(255 * c) for c in rgba[:3]))


def ordered(models: Iterable[str]) -> list[str]:
    """Distinct ``models`` in pipeline order, each teacher followed by its student."""

    def key(model: str) -> tuple[int, str, bool]:
        name = base(model)
        rank = ORDER.index(name) if name in ORDER else len(ORDER)
        return rank, name, model.endswith("_small")

    return sorted(set(models), key=key)
