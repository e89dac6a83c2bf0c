"""Teacher against student: the F1 gap of distillation against how much smaller it made them.

x: the compression ratio (teacher parameters / student parameters, log scale); y: the
teacher's F1 minus the student's (above 0: the student lost), with the paired-bootstrap
95 % interval where the export has it. Fusion pairs are left out: a fusion "student"
fuses students, it is not smaller. Hollow: the teacher or the student is at chance.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.ticker import NullFormatter

from kdgat.figures import data, marks, palette
from kdgat.figures.data import Frames
from kdgat.figures.plots.common import Skip, chance_flags, errors, legend_below, need, panels

SCENARIO_MARKERS = ("o", "s", "^", "D", "v", "P")


def figure(frames: Frames, dataset: str) -> Figure:
    """One panel: a point per teacher, student and scenario."""
    gap = need(data.of(frames, "kd_gap", dataset), "teacher-student pairs")
    gap = gap[(gap["family"] != "fusion") & (gap["compression"] > 1)].reset_index(drop=True)
    if gap.empty:
        raise Skip("no distilled student smaller than its teacher")
    scenarios = sorted(set(gap["scenario"]))
    fig, axes = panels(1, per_row=2.3)
    ax = axes[0, 0]
    spread = errors(
        gap.rename(columns={"f1_gap_low": "gap_low", "f1_gap_high": "gap_high"}).assign(
            gap=gap["f1_gap"]
        ),
        "gap",
    )
    chance = chance_flags(gap, "teacher_mark", "student_mark")
    for i, (_, row) in enumerate(gap.iterrows()):
        shape = SCENARIO_MARKERS[scenarios.index(row["scenario"]) % len(SCENARIO_MARKERS)]
        ax.errorbar(
            row["compression"],
            row["f1_gap"],
            yerr=spread[:, i : i + 1],
            fmt=shape,
            capsize=1.5,
            elinewidth=0.8,
            **marks.point(palette.color(row["teacher"]), chance[i]),
        )
    marks.reference(ax, 0.0, vertical=False)
    ax.set_xscale("log")
    ratios = sorted(set(gap["compression"]))
    ax.set_xticks(ratios, [f"{r:g}×" for r in ratios])
    ax.xaxis.set_minor_formatter(NullFormatter())
    ax.set_xlabel("compression (teacher / student parameters)")
    ax.set_ylabel("F1 gap (teacher − student)")
    ax.margins(x=0.25)
    teachers = [
        Line2D([], [], color=palette.color(t), marker="o", linestyle="none", label=t)
        for t in palette.ordered(gap["teacher"])
    ]
    shapes = [
        Line2D(
            [],
            [],
            color="0.3",
            marker=SCENARIO_MARKERS[i % 6],
            linestyle="none",
            label=s.replace("_", " "),
        )
        for i, s in enumerate(scenarios)
    ]
    handles = [*teachers, *shapes]
    legend_below(fig, marks.legend_entries(handles, any(chance)), columns=2)
    return fig
