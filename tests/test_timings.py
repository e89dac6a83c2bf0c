"""Wall-clock figures live beside the pipeline's outputs, never in them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kdgat.layout import Layout
from kdgat.timings import ENV, folder, read_timings, write_timings


def test_each_stage_writes_its_own_file_and_reading_merges_them(tmp_path: Path) -> None:
    layout = Layout(tmp_path, seed=42)
    write_timings(layout, "synth", "evaluate", {"gat": {"latency_ms": 1.5}})
    write_timings(layout, "synth", "window_baseline", {"window_gbt": {"latency_ms": 0.2}})
    assert read_timings(layout, "synth") == {
        "gat": {"latency_ms": 1.5},
        "window_gbt": {"latency_ms": 0.2},
    }
    assert folder(layout, "synth") == tmp_path / ".kdgat/timings/synth/seed_42"
    assert read_timings(layout.seeded(43), "synth") == {}  # another seed's figures are apart


def test_a_job_worktree_writes_where_the_main_workspace_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(ENV, str(tmp_path / "main/.kdgat/timings"))
    write_timings(Layout(tmp_path / "worktree", 7), "synth", "evaluate", {"gat": {"x": 1.0}})
    assert (tmp_path / "main/.kdgat/timings/synth/seed_7/evaluate.json").is_file()


def test_damaged_files_and_non_numbers_are_skipped_not_fatal(tmp_path: Path) -> None:
    layout = Layout(tmp_path, seed=1)
    found: Any = {"gat": {"latency_ms": 2.0, "bad": "x", "nan": float("nan")}}  # as read back
    write_timings(layout, "d", "evaluate", found)
    (folder(layout, "d") / "train.json").write_text("{not json")
    (folder(layout, "d") / "list.json").write_text("[1, 2]")
    assert read_timings(layout, "d") == {"gat": {"latency_ms": 2.0}}
