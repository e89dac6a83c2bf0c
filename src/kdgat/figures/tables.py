r"""The paper's tables as LaTeX (booktabs ``tabular``, to ``\input``) and Markdown.

Numbers to three decimals with their 95 % interval over seeds as ``mean [low, high]``;
an undefined value is a dash; the ``mark`` column carries ``~chance``. No dependency:
the two formats are simple enough to write here, escaping what LaTeX treats specially.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from kdgat.figures import data
from kdgat.figures.data import Frames
from kdgat.figures.plots.generalisation import sides

log = logging.getLogger(__name__)

DASH = "–"
LATEX_SPECIAL = {
    "\\": r"\textbackslash{}",
    "&": r"\&",
    "%": r"\%",
    "$": r"\$",
    "#": r"\#",
    "_": r"\_",
    "{": r"\{",
    "}": r"\}",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
    DASH: "--",
}
Cell = Callable[[pd.Series], str]


@dataclass(frozen=True)
class Table:
    """A table: header, rows of text cells, and which columns are numbers (right-aligned)."""

    name: str
    caption: str
    header: Sequence[str]
    rows: Sequence[Sequence[str]]
    numeric: Sequence[bool]


def number(value: Any, digits: int = 3) -> str:
    """``value`` to ``digits`` decimals; a dash when missing or not finite."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return DASH
    if pd.isna(value):
        return DASH
    return f"{float(value):.{digits}f}"


def interval(row: pd.Series, column: str, low: str | None = None, high: str | None = None) -> str:
    """``mean [low, high]`` of ``column``; the mean alone when there is no interval (one seed)."""
    centre = number(row[column])
    bounds = (row.get(low or f"{column}_low"), row.get(high or f"{column}_high"))
    if centre == DASH or any(number(b) == DASH for b in bounds):
        return centre
    return f"{centre} [{number(bounds[0])}, {number(bounds[1])}]"


def text(column: str) -> Cell:
    """A cell showing ``column`` as text (empty when NULL)."""
    return lambda row: "" if pd.isna(row[column]) else str(row[column])


def num(column: str, digits: int = 3) -> Cell:
    """A cell showing ``column`` as a number."""
    return lambda row: number(row[column], digits)


def ci(column: str, low: str | None = None, high: str | None = None) -> Cell:
    """A cell showing ``column`` with its interval."""
    return lambda row: interval(row, column, low, high)


# name (its query's, in kdgat.figures.data) -> (caption, columns: (header, cell, numeric))
SPECS: dict[str, tuple[str, list[tuple[str, Cell, bool]]]] = {
    "leaderboard": (
        "Every model per scenario: mean over seeds [95 % CI]; ~chance: F1 not above "
        "flagging every window (or AUROC not above 0.5).",
        [
            ("dataset", text("dataset"), False),
            ("scenario", text("scenario"), False),
            ("model", text("model"), False),
            ("seeds", text("seeds"), True),
            ("F1", ci("f1"), True),
            ("AUROC", ci("auroc"), True),
            ("MCC", ci("mcc"), True),
            ("FPR", num("fpr"), True),
            ("flag-all F1", num("flag_all_f1"), True),
            ("mark", text("mark"), False),
        ],
    ),
    "kd_gap": (
        "Teacher against distilled student: F1 gap (teacher - student) [paired 95 % CI] "
        "and compression (teacher / student parameters).",
        [
            ("dataset", text("dataset"), False),
            ("scenario", text("scenario"), False),
            ("teacher", text("teacher"), False),
            ("student", text("student"), False),
            ("teacher F1", num("teacher_f1"), True),
            ("student F1", num("student_f1"), True),
            ("F1 gap", ci("f1_gap"), True),
            ("compression", num("compression", 1), True),
            ("teacher mark", text("teacher_mark"), False),
            ("student mark", text("student_mark"), False),
        ],
    ),
    "fusion_gain": (
        "Fusion against the better of its input models and the non-graph baseline "
        "(window_gbt): F1 gain [paired 95 % CI where available].",
        [
            ("dataset", text("dataset"), False),
            ("scenario", text("scenario"), False),
            ("fusion", text("fusion"), False),
            ("fusion F1", num("fusion_f1"), True),
            ("best input", text("best_single"), False),
            ("its F1", num("best_single_f1"), True),
            ("gain", ci("gain"), True),
            ("baseline F1", num("baseline_f1"), True),
            ("gain over baseline", ci("gain_over_baseline"), True),
            ("mark", text("fusion_mark"), False),
        ],
    ),
    "attacks": (
        "Detection per attack type: recall, mean over seeds [95 % CI].",
        [
            ("dataset", text("dataset"), False),
            ("scenario", text("scenario"), False),
            ("attack", text("attack"), False),
            ("model", text("model"), False),
            ("windows", text("windows"), True),
            ("recall", ci("recall"), True),
            ("mark", text("mark"), False),
        ],
    ),
    "time_to_detect": (
        "Time to detect: share of attacks detected [95 % CI], median delay to the first "
        "flag, false alarms per benign hour.",
        [
            ("dataset", text("dataset"), False),
            ("scenario", text("scenario"), False),
            ("model", text("model"), False),
            ("detected", ci("detected_share"), True),
            ("median delay (s)", num("median_delay_s"), True),
            ("false alarms / h", num("false_alarms_per_hour", 1), True),
            ("mark", text("mark"), False),
        ],
    ),
    "generalisation": (
        "Known against unknown vehicle: mean F1 over each side's scenarios and the gap.",
        [
            ("dataset", text("dataset"), False),
            ("model", text("model"), False),
            ("known-vehicle F1", num("known_f1"), True),
            ("unknown-vehicle F1", num("unknown_f1"), True),
            ("gap", num("gap"), True),
            ("known mark", text("known_mark"), False),
            ("unknown mark", text("unknown_mark"), False),
        ],
    ),
}


def rows_of(frames: Frames, name: str) -> pd.DataFrame:
    """The rows of table ``name``: its query's, in order (generalisation: derived per dataset)."""
    if name == "generalisation":
        parts = [
            sides(data.of(frames, "leaderboard", d)).assign(dataset=d)
            for d in data.datasets(frames)
        ]
        return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()
    frame = frames[name]
    if name == "leaderboard":  # ranked within each scenario, as the view ranks them
        frame = frame.sort_values(["dataset", "scenario", "rank", "model"], kind="stable")
    return frame


def build(frames: Frames, name: str) -> Table | None:
    """Table ``name`` from the lakehouse's rows; None when it has no rows."""
    caption, columns = SPECS[name]
    frame = rows_of(frames, name)
    if frame.empty:
        return None
    rows = [[cell(row) for _, cell, _ in columns] for _, row in frame.iterrows()]
    return Table(name, caption, [h for h, _, _ in columns], rows, [n for _, _, n in columns])


def latex_escape(value: str) -> str:
    """``value`` with LaTeX's special characters escaped."""
    return "".join(LATEX_SPECIAL.get(c, c) for c in value)


def to_latex(table: Table) -> str:
    r"""A booktabs ``tabular`` (needs ``\usepackage{booktabs}``), the caption as a comment."""
    align = "".join("r" if n else "l" for n in table.numeric)
    lines = [
        f"% {latex_escape(table.caption)}",
        "% Written by the kdgat figures stage from the lakehouse; do not edit by hand.",
        f"\\begin{{tabular}}{{{align}}}",
        "\\toprule",
        " & ".join(latex_escape(h) for h in table.header) + " \\\\",
        "\\midrule",
        *(" & ".join(latex_escape(c) for c in row) + " \\\\" for row in table.rows),
        "\\bottomrule",
        "\\end{tabular}",
    ]
    return "\n".join(lines) + "\n"


def markdown_escape(value: str) -> str:
    """``value`` safe inside a Markdown table cell."""
    return value.replace("|", "\\|").replace("~", "\\~").replace("_", "\\_")


def to_markdown(table: Table) -> str:
    """A GitHub-flavoured Markdown table, numbers right-aligned, the caption above it."""
    rule = ["---:" if n else ":---" for n in table.numeric]
    lines = [
        markdown_escape(table.caption),
        "",
        "| " + " | ".join(markdown_escape(h) for h in table.header) + " |",
        "| " + " | ".join(rule) + " |",
        *("| " + " | ".join(markdown_escape(c) for c in row) + " |" for row in table.rows),
    ]
    return "\n".join(lines) + "\n"


def write_all(frames: Frames, folder: Path) -> list[Path]:
    """Every table with rows as ``<name>.tex`` and ``<name>.md`` in ``folder``."""
    written = []
    for name in SPECS:
        table = build(frames, name)
        if table is None:
            log.info("table %s: skipped, no rows in the lakehouse", name)
            continue
        for suffix, render in ((".tex", to_latex), (".md", to_markdown)):
            path = folder / f"{name}{suffix}"  # a staging folder (write.py): no tmp file
            path.write_text(render(table), encoding="utf-8")
            written.append(path)
    return written
