"""The DVC pipeline end to end: real `dvc repro` in a throwaway copy of the repository.

The synthetic chain comes from the session's reproduced workspace (a copy of it);
the real set_01 sample is added to the copy and goes through ingest and graphs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from ..conftest import SHARED
from .workspace import add_real_sample, commit, run, update_params

pytestmark = pytest.mark.slow

# The synthetic chain end to end; the real sample through graphs (training it takes minutes).
TARGETS = ["export", *(["graphs@can_sample"] if SHARED.is_dir() else [])]


@pytest.fixture(scope="module")
def workspace(copy_of: Callable[[str], Path]) -> Path:
    """A copy of the reproduced workspace, with the real sample through graphs."""
    root = copy_of("end_to_end")
    if SHARED.is_dir():  # the real set_01 sample goes through the same pipeline
        add_real_sample(root, SHARED)
        commit(root, "can_sample")
    run(["dvc", "repro", *TARGETS], root)
    return root


def test_repro_builds_every_stage_and_reports(workspace: Path) -> None:
    report = json.loads((workspace / "metrics/synth/ingest_report.json").read_text())
    assert report["bad_rows"] == 0
    assert report["unique_captures"] == report["captures_found"] == 10
    assert 0 < report["attack_fraction"] < 0.5
    manifest = json.loads((workspace / "data/processed/synth/manifest.json").read_text())
    splits = {c["split"] for c in manifest["captures"]}
    assert splits == {"train", "known_vehicle_known_attack", "unknown_vehicle_unknown_attack"}
    table = run(["kdgat", "report"], workspace).stdout
    assert "unknown_vehicle_unknown_attack" in table
    graphs = json.loads((workspace / "metrics/synth/graphs.json").read_text())
    assert set(graphs["splits"]) == splits | {"val"}
    assert all(s["graphs"] > 0 for s in graphs["splits"].values())


def test_evaluation_table_covers_every_model_and_scenario(workspace: Path) -> None:
    evaluation = json.loads((workspace / "metrics/synth/seed_42/evaluation.json").read_text())
    assert {"vgae", "gat", "fusion_dqn", "fusion_dqn_small", "window_gbt"} <= set(evaluation)
    assert set(evaluation["fusion_dqn"]) == {
        "known_vehicle_known_attack",
        "unknown_vehicle_unknown_attack",
    }
    table = run(["kdgat", "report"], workspace).stdout
    assert "Per test scenario" in table
    assert "fusion_stack_small" in table
    plots = run(["dvc", "plots", "show", "--json"], workspace).stdout
    assert "roc" in plots
    assert "confusion" in plots


def test_real_sample_goes_through_ingest_and_graphs(workspace: Path) -> None:
    if not SHARED.is_dir():
        pytest.skip(f"real CAN sample not found at {SHARED}")
    ingest = json.loads((workspace / "metrics/can_sample/ingest_report.json").read_text())
    assert (ingest["captures_found"], ingest["unique_captures"], ingest["bad_rows"]) == (9, 7, 0)
    graphs = json.loads((workspace / "metrics/can_sample/graphs.json").read_text())
    assert graphs["splits"]["train"]["graphs"] > 5000
    assert graphs["splits"]["unknown_vehicle_unknown_attack"]["attack_fraction"] > 0


def test_second_repro_runs_nothing_and_status_is_clean(workspace: Path) -> None:
    again = run(["dvc", "repro", *TARGETS], workspace).stdout
    assert "Running stage" not in again
    status = run(["dvc", "status", *TARGETS], workspace).stdout
    assert "up to date" in status.lower()


def test_only_the_headline_is_a_dvc_metric(workspace: Path) -> None:
    shown = json.loads(run(["dvc", "metrics", "show", "--json"], workspace).stdout)
    (files,) = [rev["data"] for rev in shown.values()]
    assert list(files) == ["reports/headline.json"]
    headline = files["reports/headline.json"]["data"]["synth"]
    assert set(headline) == {"known_vehicle_known_attack", "unknown_vehicle_unknown_attack"}
    columns = [m for s in headline.values() for model in s.values() for m in model]
    assert len(columns) <= 40  # `dvc exp show` stays readable


def test_changed_ingest_param_reruns_only_ingest(workspace: Path) -> None:
    update_params(workspace, {"ingest.row_group_size": 4096})
    # Up to the stage under test: what runs after it is tests/pipeline's business.
    out = run(["dvc", "repro", "ingest@synth"], workspace).stdout
    assert "Running stage 'ingest@synth'" in out
    assert "Running stage 'synth'" not in out


def test_changed_graph_param_reruns_only_graphs(workspace: Path) -> None:
    update_params(workspace, {"graphs.stride": 50})
    out = run(["dvc", "repro", "graphs@synth"], workspace).stdout
    assert "Running stage 'graphs@synth'" in out
    assert "Running stage 'ingest@" not in out
    meta = json.loads((workspace / "data/graphs/synth/train/meta.json").read_text())
    assert meta["stride"] == 50


def test_corrupt_raw_file_fails_cleanly_and_leaves_nothing_half_written(workspace: Path) -> None:
    before = json.loads((workspace / "metrics/synth/ingest_report.json").read_text())
    raw = next((workspace / "data/raw/synth").glob("test_01_*.csv"))
    raw.chmod(0o644)
    lines = raw.read_text().splitlines()
    raw.write_text("\n".join(lines[:5] + ["not,a,valid,row"] * 50 + lines[5:]) + "\n")
    result = run(["dvc", "repro", "--single-item", "ingest@synth"], workspace, check=False)
    assert result.returncode != 0
    assert f"{raw.name}: 50 of" in result.stdout + result.stderr
    assert "ingest.max_bad_fraction" in result.stdout + result.stderr
    # DVC removed the stage's outputs before running it; nothing partial took their place
    assert not (workspace / "data/processed/synth").exists()
    assert not list((workspace / "data/processed").glob(".synth*"))  # no half-written temp dir
    # ...and the last good version (raw and processed) comes back from the cache
    run(["dvc", "checkout", "--force", "synth", "ingest@synth"], workspace)
    manifest = json.loads((workspace / "data/processed/synth/manifest.json").read_text())
    assert len(manifest["captures"]) == before["unique_captures"]
    assert "not,a,valid,row" not in raw.read_text()
