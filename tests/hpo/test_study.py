"""Studies: storage choices, samplers and pruners, and who may join a study."""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest

from kdgat.errors import HPOError
from kdgat.hpo import study

IDENTITY = {"model": "gat", "dataset": "synth", "metric": "val/loss"}


def test_a_path_is_a_journal_and_a_url_a_database(tmp_path: Path) -> None:
    journal = tmp_path / "deep" / "journal.log"
    assert isinstance(study.storage(str(journal)), optuna.storages.JournalStorage)
    assert journal.parent.is_dir()
    url = f"sqlite:///{tmp_path / 'studies.db'}"
    assert isinstance(study.storage(url), optuna.storages.RDBStorage)


def test_unusable_storage_gives_the_fix() -> None:
    with pytest.raises(HPOError, match="cannot open the database"):
        study.storage("nosuchdialect://user@host/db")
    with pytest.raises(HPOError, match="cannot create the journal"):
        study.storage("/proc/kdgat/journal.log")


def test_samplers_and_pruners() -> None:
    assert isinstance(study.sampler("tpe", 1, 5), optuna.samplers.TPESampler)
    assert isinstance(study.sampler("cmaes", 1, 5), optuna.samplers.CmaEsSampler)
    assert isinstance(study.pruner("median", 5, 1), optuna.pruners.MedianPruner)
    assert isinstance(study.pruner("halving", 5, 1), optuna.pruners.SuccessiveHalvingPruner)
    assert isinstance(study.pruner("none", 5, 1), optuna.pruners.NopPruner)
    with pytest.raises(HPOError, match="choose tpe or cmaes"):
        study.sampler("grid", 1, 5)
    with pytest.raises(HPOError, match="choose median, halving or none"):
        study.pruner("hyperband", 5, 1)


def test_array_tasks_and_reruns_get_different_seeds() -> None:
    seeds = {study.worker_seed(42, str(task), 0) for task in range(1, 33)}
    assert len(seeds) == 32
    assert study.worker_seed(42, "1", 0) != study.worker_seed(42, "1", 3)
    assert study.worker_seed(42, "1", 3) == study.worker_seed(42, "1", 3)


def test_a_study_keeps_its_model_dataset_and_metric(tmp_path: Path) -> None:
    journal = str(tmp_path / "journal.log")
    created = study.open_study("s", journal, IDENTITY)
    assert created.direction == optuna.study.StudyDirection.MINIMIZE
    again = study.open_study("s", journal, IDENTITY)
    assert again.user_attrs == IDENTITY
    with pytest.raises(HPOError, match="use another --study name"):
        study.open_study("s", journal, {**IDENTITY, "model": "vgae"})
    f1 = study.open_study("s_f1", journal, {**IDENTITY, "metric": "val/f1"})
    assert f1.direction == optuna.study.StudyDirection.MAXIMIZE
    with pytest.raises(HPOError, match="names folders"):
        study.open_study("../escape", journal, IDENTITY)


def test_joining_a_study_whose_creator_recorded_only_part_of_its_identity(tmp_path: Path) -> None:
    # SLURM array tasks start together: one creates the study and is still recording its
    # identity (one user attribute at a time) when the next one joins.
    journal = str(tmp_path / "journal.log")
    half = optuna.create_study(study_name="s", storage=study.storage(journal))
    half.set_user_attr("model", IDENTITY["model"])
    joined = study.open_study("s", journal, IDENTITY)
    assert joined.user_attrs == IDENTITY
    with pytest.raises(HPOError, match="use another --study name"):  # a real conflict still is
        study.open_study("s", journal, {**IDENTITY, "dataset": "other"})
