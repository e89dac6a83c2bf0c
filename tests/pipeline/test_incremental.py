"""Incremental rebuilds: real `dvc repro` in copies of one reproduced workspace.

Expected stage sets are written in full (the whole pipeline, fusion to export)
and narrowed to the stages dvc.yaml has, so they keep holding as stages land.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .workspace import (
    CHAIN,
    FINAL,
    SECOND,
    SEED,
    at,
    commit,
    daily_target,
    expected,
    named,
    ran_stages,
    run,
    update_params,
    use_dataset,
)

pytestmark = pytest.mark.slow

# What a GAT setting reaches: the teacher, its student, fusion, evaluation (which reads
# the `gat` section) and the export; never the data stages, the VGAE or the GBT baseline.
GAT_DEPENDENTS = ["train_gat", "distill", "fusion_state", "train_dqn", "evaluate"]
UPSTREAM_OF_DQN = [
    "ingest",
    "graphs",
    "train_vgae",
    "train_gat",
    "distill",
    "window_baseline",  # the fusion weighs its scores
    "fusion_state",
    "train_dqn",
]


def test_after_a_full_repro_status_is_clean_and_repro_runs_nothing(
    copy_of: Callable[[str], Path],
) -> None:
    root = copy_of("clean")
    status = run(["dvc", "status"], root).stdout
    assert "Data and pipelines are up to date" in status
    target = daily_target(root)
    again = run(["dvc", "repro", target], root).stdout
    assert ran_stages(again) == set()
    assert f"'{named(target, 'synth')}' didn't change, skipping" in again


def test_gat_param_reruns_only_what_depends_on_the_gat(copy_of: Callable[[str], Path]) -> None:
    root = copy_of("gat-param")
    update_params(root, {"gat.focal_gamma": 1.0})
    ran = ran_stages(run(["dvc", "repro"], root).stdout)
    assert ran == expected(root, [*at(GAT_DEPENDENTS, "synth"), *FINAL])
    assert not ran & {"synth", *at(["ingest", "graphs", "train_vgae", "window_baseline"], "synth")}


def test_raw_data_change_reruns_only_that_datasets_chain(copy_of: Callable[[str], Path]) -> None:
    root = copy_of("raw-change")
    use_dataset(root, SECOND)
    commit(root, f"add {SECOND}")
    target = daily_target(root)
    built = ran_stages(run(["dvc", "repro", target], root).stdout)
    assert built == expected(root, at(UPSTREAM_OF_DQN, SECOND))  # a new dataset: its chain only

    capture = root / "data/raw" / SECOND / "train_02_with_attacks__dos-1.csv"
    lines = capture.read_text().splitlines(keepends=True)
    capture.unlink()  # a link into the source folder: replace it, leave the source alone
    capture.write_text("".join(lines[: len(lines) * 9 // 10]))  # a shorter capture
    ran = ran_stages(run(["dvc", "repro"], root).stdout)
    assert ran == expected(root, [*at(CHAIN, SECOND), *FINAL])
    assert not any(
        stage.endswith(("@synth", f"@synth-{SEED}")) or stage == "synth" for stage in ran
    )


def test_rebuilding_everything_from_scratch_gives_the_same_bytes(
    copy_of: Callable[[str], Path],
) -> None:
    """What a fresh clone's `make run` does: every stage runs again, dvc.lock stays the same."""
    root = copy_of("rebuilt")
    run(["dvc", "repro", "--force", "--no-run-cache"], root)
    assert run(["git", "status", "--porcelain"], root).stdout == ""  # dvc.lock unchanged
