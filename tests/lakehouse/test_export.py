"""Local export and queries: tables, run ids, re-export, views, bad input, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from kdgat.cli import app
from kdgat.config import load_params
from kdgat.errors import ConfigError, LakehouseError
from kdgat.lakehouse.collect import collect
from kdgat.lakehouse.compact import compact
from kdgat.lakehouse.export import write_export
from kdgat.lakehouse.query import connect, run
from kdgat.lakehouse.store import load_manifests, open_lakehouse
from kdgat.lakehouse.tables import SCHEMA_VERSION, SCHEMAS
from kdgat.layout import Layout

from .workspace import MODELS, SCENARIOS, TRAINING_SEED, make_repo, retrain, write_dataset

INFO = {"domain": "can", "format": "can_csv", "source": "synth"}


def kdgat(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "kdgat.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def cli(*args: str) -> str:
    """The kdgat command in this process: its output."""
    result = CliRunner().invoke(app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def export(root: Path, datasets: list[str], out: Path, revision: str = "r1") -> dict:
    rows = collect(
        Layout(root),
        dict.fromkeys(datasets, INFO),
        revision,
        {"lr": 0.001},
        seeds=[TRAINING_SEED],
    )
    return write_export(rows, out, revision)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    for seed, name in enumerate(["synth", "can_sample"]):
        write_dataset(tmp_path / "ws", name, seed=seed)
    return tmp_path / "ws"


def test_export_writes_hive_partitions_with_versioned_schemas(workspace: Path) -> None:
    manifest = export(workspace, ["synth", "can_sample"], workspace / "lakehouse")
    paths = {entry["path"] for entry in manifest["files"]}
    assert {p.split("/")[0] for p in paths} == set(SCHEMAS)
    assert {p.split("/")[1] for p in paths} == {"dataset=synth", "dataset=can_sample"}
    runs = workspace / "lakehouse" / next(p for p in paths if p.startswith("runs/"))
    schema = pq.read_schema(runs)
    assert schema.metadata[b"kdgat.schema_version"] == str(SCHEMA_VERSION).encode()
    assert "dataset" not in schema.names  # lives in the hive path
    con = connect(workspace / "lakehouse")
    count = con.execute("select dataset, count(*) from runs group by all order by 1").fetchall()
    assert count == [("can_sample", len(MODELS)), ("synth", len(MODELS))]
    metrics = con.execute("select count(*) from metrics where dataset = 'synth'").fetchone()
    assert metrics == (len(MODELS) * len(SCENARIOS) * 19,)
    curves = con.execute("select count(*) from epoch_metrics where name = 'val/f1'").fetchone()
    assert curves == (2 * 2 * 3,)  # gat and gat_small, two datasets, three epochs
    epochs = con.execute("select distinct epoch from epoch_metrics order by 1").fetchall()
    assert epochs == [(0,), (1,), (2,)]


def test_metrics_and_model_facts_match_the_inputs(workspace: Path) -> None:
    evaluation = json.loads((workspace / "metrics/synth/seed_42/evaluation.json").read_text())
    export(workspace, ["synth"], workspace / "lakehouse")
    con = connect(workspace / "lakehouse")
    f1 = con.execute(
        "select value from metrics where model = 'gat_small' and scenario = ? and metric = 'f1'",
        [SCENARIOS[1]],
    ).fetchone()
    assert f1 == (pytest.approx(evaluation["gat_small"][SCENARIOS[1]]["f1"]),)
    models = dict(
        con.execute(
            "select model, struct_pack(parameters, checkpoint_bytes, threshold_method) from models"
        ).fetchall()
    )
    assert models["gat"] == {
        "parameters": 407362,
        "checkpoint_bytes": 2048,
        "threshold_method": "max_f1",
    }
    assert models["fusion_dqn"]["checkpoint_bytes"] == 512  # fusion/teacher/dqn.pt
    assert models["fusion_avg"]["checkpoint_bytes"] is None  # a weighted average has no file
    runs = dict(
        con.execute("select model, struct_pack(stage, kd, size, git_revision) from runs").fetchall()
    )
    assert runs["gat_small"] == {
        "stage": "distill",
        "kd": True,
        "size": "small",
        "git_revision": "a" * 40,
    }
    assert runs["fusion_dqn_small"]["stage"] == "train_dqn"
    assert runs["window_gbt"]["size"] is None


def test_reexport_replaces_and_a_new_run_is_added(workspace: Path) -> None:
    lake = workspace / "accumulated"
    first = export(workspace, ["synth"], lake)
    again = export(workspace, ["synth"], workspace / "again")
    assert first["export_id"] == again["export_id"]
    assert [f["path"] for f in first["files"]] == [f["path"] for f in again["files"]]
    retrain(workspace, "synth", "gat", lr=0.01)
    second = export(workspace, ["synth"], workspace / "second")
    assert second["export_id"] != first["export_id"]
    _merge(workspace / "second", lake)  # two exports that share 10 of their 11 runs
    con = connect(lake)
    assert con.execute("select count(*) from runs").fetchone() == (len(MODELS) + 1,)
    assert con.execute("select count(*) from runs where model = 'gat'").fetchone() == (2,)
    per_run = con.execute("select run_id, count(*) from metrics group by 1").fetchall()
    assert {n for _, n in per_run} == {len(SCENARIOS) * 19}  # each run's metrics once
    leaderboard = con.execute("select count(*) from leaderboard").fetchone()
    assert leaderboard == (len(MODELS) * len(SCENARIOS),)


def test_compaction_keeps_every_row_once_and_deletes_replaced_files(workspace: Path) -> None:
    lake = workspace / "accumulated"
    export(workspace, ["synth"], lake)
    for lr in (0.01, 0.1):
        retrain(workspace, "synth", "gat", lr=lr)
        export(workspace, ["synth", "can_sample"], workspace / f"lr{lr}")
        _merge(workspace / f"lr{lr}", lake)
    before = _snapshot(connect(lake))
    result = compact(open_lakehouse(lake))
    assert result is not None
    assert result["replaced"] == 3
    assert len(load_manifests(open_lakehouse(lake))) == 1
    assert _snapshot(connect(lake)) == before
    parquet = list(lake.glob("**/*.parquet"))
    assert len(parquet) == len(SCHEMAS) * 2  # one per table and dataset
    assert compact(open_lakehouse(lake)) is None  # nothing left to merge


def test_views_rank_compare_teachers_and_fusion(workspace: Path) -> None:
    evaluation = json.loads((workspace / "metrics/synth/seed_42/evaluation.json").read_text())
    export(workspace, ["synth"], workspace / "lakehouse")
    con = connect(workspace / "lakehouse")
    scenario = SCENARIOS[0]
    f1 = {model: evaluation[model][scenario]["f1"] for model in MODELS}
    top = con.execute(
        "select model, f1 from leaderboard where scenario = ? and rank = 1", [scenario]
    ).fetchall()
    assert top[0][1] == pytest.approx(max(f1.values()))
    gap = con.execute(
        "select f1_gap, compression from kd_gap where teacher = 'gat' and scenario = ?",
        [scenario],
    ).fetchone()
    assert gap == (pytest.approx(f1["gat"] - f1["gat_small"]), round(407362 / 2986, 1))
    gain = con.execute(
        "select best_single, gain, baseline_f1 from fusion_gain "
        "where fusion = 'fusion_dqn_small' and scenario = ?",
        [scenario],
    ).fetchone()
    best = max(("gat_small", "vgae_small"), key=lambda m: f1[m])
    assert gain == (
        best,
        pytest.approx(f1["fusion_dqn_small"] - f1[best]),
        pytest.approx(f1["window_gbt"]),
    )


def test_bad_evaluation_names_the_file_and_the_key(workspace: Path) -> None:
    path = workspace / "metrics/synth/seed_42/evaluation.json"
    data = json.loads(path.read_text())
    data["gat"][SCENARIOS[0]]["f1"] = "high"
    path.write_text(json.dumps(data))
    with pytest.raises(LakehouseError, match=rf"evaluation.json: gat.{SCENARIOS[0]}.f1 is 'high'"):
        export(workspace, ["synth"], workspace / "lakehouse")
    path.unlink()
    with pytest.raises(
        LakehouseError, match=r"evaluation.json: not found.*dvc repro evaluate@synth-42"
    ):
        export(workspace, ["synth"], workspace / "lakehouse")
    assert not (workspace / "lakehouse").exists()  # nothing half-written


def test_query_of_a_missing_lakehouse_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(LakehouseError, match="no export found; run `kdgat export`"):
        connect(tmp_path / "nothing")


def test_cli_export_and_query_formats(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = make_repo(tmp_path / "repo", ["synth"])
    monkeypatch.chdir(repo)
    assert f"{len(MODELS)} runs" in cli("export")
    table = cli("query", "select model, f1 from leaderboard where rank = 1")
    assert table.splitlines()[0].split() == ["model", "f1"]
    as_json = json.loads(cli("query", "--json", "select * from leaderboard"))
    assert len(as_json) == len(MODELS) * len(SCENARIOS)
    assert {"dataset", "scenario", "rank", "model", "f1", "auroc"} <= set(as_json[0])
    as_csv = cli("query", "--csv", "select model, scenario from leaderboard")
    assert as_csv.splitlines()[0] == "model,scenario"
    assert len(as_csv.splitlines()) == 1 + len(MODELS) * len(SCENARIOS)
    wrong = kdgat(repo, "query", "select * from leaderbord")  # a real process: exit code, stderr
    assert wrong.returncode == 1
    assert "leaderbord" in wrong.stderr
    assert "views: scores, leaderboard" in wrong.stderr
    assert "Traceback" not in wrong.stderr


def test_run_gives_names_and_rows(workspace: Path) -> None:
    export(workspace, ["synth"], workspace / "lakehouse")
    names, rows = run(connect(workspace / "lakehouse"), "select 1 as one, 'x' as two")
    assert (names, rows) == (["one", "two"], [(1, "x")])


def _merge(src: Path, dst: Path) -> None:
    """Put another export's files and manifest into an accumulating folder (as S3 does)."""
    for path in src.rglob("*"):
        if path.is_file():
            target = dst / path.relative_to(src)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(path.read_bytes())


def _snapshot(con) -> str:
    """Every table and the leaderboard, as text: NaN (a one-seed interval) equals NaN."""
    tables = {
        table: con.execute(f"select * exclude (exported_at) from {table} order by all").fetchall()
        for table in SCHEMAS
    }
    leaderboard = con.execute("select * from leaderboard order by all").fetchall()
    return repr(tables | {"leaderboard": leaderboard})


def test_a_missing_file_is_an_error_naming_the_table(workspace: Path) -> None:
    manifest = export(workspace, ["synth"], workspace / "lakehouse")
    lost = next(e["path"] for e in manifest["files"] if e["table"] == "metrics")
    (workspace / "lakehouse" / lost).unlink()
    with pytest.raises(LakehouseError, match=r"cannot read table metrics.*re-run `kdgat export`"):
        connect(workspace / "lakehouse")


def test_a_lakehouse_uri_that_is_not_s3_is_refused(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "repo", ["synth"], {"uri": "https://bucket/lake"})
    with pytest.raises(ConfigError, match=r"lakehouse.uri: Value error, must be empty"):
        load_params(repo / "params.yaml")


def test_curves_hold_every_runs_roc_and_pr_curve_in_order(workspace: Path) -> None:
    export(workspace, ["synth"], workspace / "lakehouse")
    con = connect(workspace / "lakehouse")
    found = con.execute(
        "select kind, count(distinct model), count(distinct scenario), min(point), max(point) "
        "from curves group by all order by kind"
    ).fetchall()
    assert found == [("pr", len(MODELS), 2, 0, 10), ("roc", len(MODELS), 2, 0, 10)]
    ends = con.execute(
        "select x, y from curves where kind = 'roc' and point in (0, 10) "
        "and model = 'gat' and scenario = ? order by point",
        [SCENARIOS[0]],
    ).fetchall()
    assert ends == [(0.0, 0.0), (1.0, 1.0)]


def test_a_curve_csv_without_two_columns_names_the_file(workspace: Path) -> None:
    roc = Layout(workspace, TRAINING_SEED).evaluation("synth").roc
    (roc / f"{SCENARIOS[0]}__gat.csv").write_text("fpr\n0.1\n")
    with pytest.raises(LakehouseError, match=f"{SCENARIOS[0]}__gat.csv: expected a curve CSV"):
        export(workspace, ["synth"], workspace / "lakehouse")
