"""Trials that really train the tiny dataset: values, dvclive logs, pruning, clean-up."""

from __future__ import annotations

import json
import math
from pathlib import Path

import optuna
import pytest
import yaml

from kdgat.config import SearchDimension
from kdgat.errors import HPOError
from kdgat.hpo import search, study

from ..helpers import wait_for_histories
from .conftest import DATASET, hpo_params

pytestmark = pytest.mark.slow

GAT_SPACE = {
    "gat.lr": SearchDimension(low=1e-3, high=1e-2, log=True),
    "gat.large.hidden_channels": SearchDimension(choices=[8, 16]),
}


def a_search(
    workspace: Path, name: str, model: str = "gat", **space: SearchDimension
) -> search.Search:
    return search.Search(
        study=name,
        model=model,
        dataset=DATASET,
        metric="val/loss",
        space=space or GAT_SPACE,
        raw_params=yaml.safe_load((workspace / "params.yaml").read_text()),
        params_file=workspace / "params.yaml",
    )


def test_trials_train_record_and_log_without_touching_outputs(workspace: Path) -> None:
    journal = str(workspace / "journal.log")
    done = search.run(a_search(workspace, "gat1"), 2, journal, search.Strategy(pruner="none"))
    assert [t.state for t in done] == [optuna.trial.TrialState.COMPLETE] * 2
    assert len({tuple(t.params.items()) for t in done}) == 2
    values: list[float] = []
    for trial in done:
        folder = workspace / ".kdgat/hpo/gat1" / f"trial-{trial.number}"
        record = json.loads((folder / "trial.json").read_text())
        assert trial.value is not None
        assert record["value"] == trial.value
        assert math.isfinite(trial.value)
        values.append(trial.value)
        assert record["params"] == trial.params
        assert record["epochs"] == 2
        curve = (folder / "dvclive/plots/metrics/val/loss.tsv").read_text().splitlines()
        assert len(curve) == 1 + 2  # header and one row per epoch
        assert json.loads((folder / "dvclive/metrics.json").read_text())["val"]["loss"] > 0
    assert list((workspace / ".kdgat/runs").iterdir()) == []  # checkpoints cleaned up
    assert not (workspace / "models").exists()  # no DVC output written
    best = study.describe_best(study.load("gat1", journal))
    assert best["value"] == min(values)


def test_a_pruned_trial_stops_after_its_first_epoch(workspace: Path) -> None:
    (workspace / "params.yaml").write_text(yaml.safe_dump(hpo_params(epochs=3), sort_keys=False))
    identity = {"model": "gat", "dataset": DATASET, "metric": "val/loss"}
    s = study.open_study("pruned", str(workspace / "journal.log"), identity)
    s.pruner = optuna.pruners.ThresholdPruner(upper=1e-9)  # every val/loss is above it
    s.optimize(search.objective(a_search(workspace, "pruned")), n_trials=1)
    trial = s.trials[0]
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert list(trial.intermediate_values) == [0]  # reported once, at epoch 0
    record = json.loads((workspace / ".kdgat/hpo/pruned/trial-0/trial.json").read_text())
    assert (record["pruned_at_epoch"], record["epochs"]) == (0, 1)


def test_vgae_with_cmaes_and_successive_halving(workspace: Path) -> None:
    dims = {"vgae.lr": SearchDimension(low=1e-3, high=1e-2, log=True)}
    strategy = search.Strategy(sampler="cmaes", pruner="halving", startup_trials=0)
    done = search.run(
        a_search(workspace, "vgae1", "vgae", **dims), 1, str(workspace / "j.log"), strategy
    )
    assert done[0].state == optuna.trial.TrialState.COMPLETE
    assert 1e-3 <= done[0].params["vgae.lr"] <= 1e-2


def test_missing_graphs_and_bad_counts_are_refused(workspace: Path) -> None:
    journal = str(workspace / "journal.log")
    with pytest.raises(HPOError, match="run at least one trial"):
        search.run(a_search(workspace, "x"), 0, journal, search.Strategy())
    (workspace / "data/graphs").unlink()
    with pytest.raises(HPOError, match=f"fix: dvc repro graphs@{DATASET}"):
        search.run(a_search(workspace, "x"), 1, journal, search.Strategy())


@pytest.mark.usefixtures("offline_wandb")
def test_with_wandb_on_each_trial_is_a_wandb_run(workspace: Path) -> None:
    strategy = search.Strategy(pruner="none")
    done = search.run(a_search(workspace, "wb"), 1, str(workspace / "j.log"), strategy, "kdgat")
    assert done[0].state == optuna.trial.TrialState.COMPLETE
    runs = list((workspace / ".kdgat/hpo/wb/wandb").glob("offline-run-*"))
    assert len(runs) == 1
    assert wait_for_histories(runs)
