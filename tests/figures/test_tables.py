"""LaTeX and Markdown tables: escaping, intervals, dashes, the mark."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from kdgat.figures import data
from kdgat.figures.tables import Table, build, interval, latex_escape, to_latex, to_markdown


def test_latex_escapes_what_it_treats_specially() -> None:
    assert latex_escape("fusion_dqn 95 % F1 & ~chance") == (
        r"fusion\_dqn 95 \% F1 \& \textasciitilde{}chance"
    )
    assert latex_escape("–") == "--"


def test_an_interval_needs_both_bounds() -> None:
    row = pd.Series({"f1": 0.91234, "f1_low": 0.9, "f1_high": 0.93})
    assert interval(row, "f1") == "0.912 [0.900, 0.930]"
    assert (
        interval(pd.Series({"f1": 0.5, "f1_low": math.nan, "f1_high": math.nan}), "f1") == "0.500"
    )
    assert interval(pd.Series({"f1": None}), "f1") == "–"


def test_booktabs_and_markdown_render_the_same_cells() -> None:
    table = Table("t", "A caption", ["model", "F1"], [["gat_small", "0.9"]], [False, True])
    latex = to_latex(table)
    assert "\\begin{tabular}{lr}\n\\toprule\nmodel & F1 \\\\\n\\midrule\n" in latex
    assert "gat\\_small & 0.9 \\\\\n\\bottomrule\n\\end{tabular}\n" in latex
    assert to_markdown(table).endswith("| model | F1 |\n| :--- | ---: |\n| gat\\_small | 0.9 |\n")


def test_the_leaderboard_table_is_ranked_and_carries_the_mark(lakehouse: Path) -> None:
    frames = data.load(lakehouse)
    board = frames["leaderboard"].copy()
    board.loc[board["model"] == "gat", "mark"] = "~chance"
    table = build({**frames, "leaderboard": board}, "leaderboard")
    assert table is not None
    first = [row for row in table.rows if row[1] == "known_vehicle_known_attack"]
    ranked = board[board["scenario"] == "known_vehicle_known_attack"].sort_values("rank")
    assert [row[2] for row in first] == list(ranked["model"])
    assert {row[-1] for row in table.rows if row[2] == "gat"} == {"~chance"}
