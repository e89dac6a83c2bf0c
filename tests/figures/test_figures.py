"""Figures one at a time: skipping, chance marks, clear errors, reproducible bytes."""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
import pytest

from kdgat.errors import LakehouseError
from kdgat.figures import data, marks, style
from kdgat.figures.data import Frames
from kdgat.figures.plots import generalisation, scores
from kdgat.figures.plots.common import Skip, chance_flags, errors
from kdgat.figures.write import FIGURES, draw_all
from kdgat.lakehouse.store import files_by_table, load_manifests, open_lakehouse
from kdgat.pipeline.figures import main

from .conftest import make_lakehouse


@pytest.fixture
def frames(lakehouse: Path) -> Frames:
    return data.load(lakehouse)


def at_chance(frames: Frames, model: str) -> Frames:
    """``frames`` with ``model`` marked ~chance on every scenario, and no other model."""
    board = frames["leaderboard"].copy()
    board["mark"] = [marks.CHANCE if m == model else "" for m in board["model"]]
    return {**frames, "leaderboard": board}


def test_the_mark_is_read_from_the_views_never_decided_here() -> None:
    assert marks.at_chance("~chance")
    assert marks.at_chance("", "~chance")
    assert not marks.at_chance("", None, float("nan"))
    rows = pd.DataFrame({"a": ["", "~chance", None], "b": ["~chance", "", ""]})
    assert chance_flags(rows, "a") == [False, True, False]
    assert chance_flags(rows, "a", "b") == [True, True, False]


def test_a_result_at_chance_is_hollow_and_the_legend_explains_it(frames: Frames) -> None:
    with mpl.rc_context(style.RC):  # type: ignore[arg-type]
        fig = scores.figure(at_chance(frames, "gat"), "synth")
        plain = scores.figure(at_chance(frames, "none-of-them"), "synth")
    ax = fig.axes[0]
    hollow = {
        ax.get_yticklabels()[round(float(np.asarray(line.get_ydata())[0]))].get_text()
        for line in ax.get_lines()
        if line.get_marker() == "o" and line.get_markerfacecolor() == "white"
    }
    assert hollow == {"gat"}
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert marks.LABEL in labels
    assert marks.LABEL not in [t.get_text() for t in plain.legends[0].get_texts()]


def test_generalisation_pairs_known_and_unknown_vehicle_scenarios(frames: Frames) -> None:
    board = at_chance(frames, "gat")["leaderboard"]
    gap = generalisation.sides(board[board["dataset"] == "synth"])
    row = gap[gap["model"] == "gat"].iloc[0]
    f1 = board[board["model"] == "gat"].set_index("scenario")["f1"]
    assert math.isclose(row["known_f1"], f1["known_vehicle_known_attack"])
    assert math.isclose(row["gap"], f1["known_vehicle_known_attack"] - row["unknown_f1"])
    assert row["known_mark"] == row["unknown_mark"] == marks.CHANCE
    assert gap["model"].iloc[0] == "vgae"  # pipeline order, not alphabetical


def test_one_seed_draws_points_without_whiskers(tmp_path: Path) -> None:
    frames = data.load(make_lakehouse(tmp_path, seeds=(42,)))
    assert frames["leaderboard"]["f1_low"].isna().all()
    assert (errors(frames["leaderboard"], "f1") == 0).all()
    with mpl.rc_context(style.RC):  # type: ignore[arg-type]
        for draw in FIGURES.values():  # drawn, not saved: saving is the slow part
            assert draw(frames, "synth").axes


def test_missing_pieces_skip_their_figure_with_a_log_line(
    frames: Frames, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for name in ("attacks", "fusion_gain", "curves"):  # no attack types, no fusion, no curves
        frames[name] = frames[name].iloc[0:0]
    with caplog.at_level("INFO", logger="kdgat.figures"):
        names = {p.stem for p in draw_all(frames, tmp_path)}
    skipped = {f"{s}_synth" for s in ("attacks", "fusion_gain", "roc", "pr")}
    assert names == {f"{s}_synth" for s in FIGURES} - skipped
    lines = [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]
    assert sorted(line.split(":")[0] for line in lines) == sorted(skipped)
    assert any("roc_synth: skipped, no ROC/PR curves" in line for line in lines)


def test_a_figure_family_with_nothing_to_draw_raises_skip(frames: Frames) -> None:
    kd = frames["kd_gap"]
    with pytest.raises(Skip, match="no distilled student smaller"):
        FIGURES["kd_gap"]({**frames, "kd_gap": kd[kd["family"] == "fusion"]}, "synth")


def test_the_same_figure_twice_is_the_same_bytes_with_fonts_embedded(
    frames: Frames, tmp_path: Path
) -> None:
    for run in ("a", "b"):
        with mpl.rc_context(style.RC):  # type: ignore[arg-type]
            style.save(scores.figure(frames, "synth"), tmp_path / run, "scores")
    for fmt in style.FORMATS:
        first = (tmp_path / "a" / f"scores.{fmt}").read_bytes()
        assert first == (tmp_path / "b" / f"scores.{fmt}").read_bytes()
    pdf = (tmp_path / "a" / "scores.pdf").read_bytes()
    assert b"/FontFile2" in pdf
    assert b"/Type3" not in pdf


def test_a_missing_lakehouse_names_the_folder_and_the_fix(tmp_path: Path) -> None:
    with pytest.raises(LakehouseError, match=r"nowhere: no lakehouse folder; run `kdgat export`"):
        data.load(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(LakehouseError, match="no export found"):
        data.load(tmp_path / "empty")


def test_a_table_file_gone_names_the_table(tmp_path: Path) -> None:
    lakehouse = make_lakehouse(tmp_path / "ws", seeds=(42,))
    files = files_by_table(load_manifests(open_lakehouse(lakehouse)))
    (lakehouse / files["summary"][0]).unlink()
    with pytest.raises(LakehouseError, match="cannot read table summary"):
        data.load(lakehouse)


def test_the_stage_exits_1_with_one_line_when_there_is_no_lakehouse(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(SystemExit) as stopped:
        main()
    assert stopped.value.code == 1
    err = capsys.readouterr().err
    assert "lakehouse: no lakehouse folder; run `kdgat export`" in err
    assert not (tmp_path / "reports").exists()
