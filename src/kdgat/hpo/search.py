"""`kdgat hpo run`: join a study and run trials; `kdgat hpo best`: report and apply."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna

from kdgat.config import Params, SearchDimension
from kdgat.errors import HPOError, StoppedBySignalError
from kdgat.hpo import space
from kdgat.hpo import study as studies
from kdgat.hpo import trial as trials
from kdgat.hpo.pruning import PruningCallback
from kdgat.io import write_json
from kdgat.layout import Layout
from kdgat.training.run import Run


@dataclass(frozen=True)
class Search:
    """What one `kdgat hpo run` does (plain values, resolved from params and options)."""

    study: str
    model: str
    dataset: str
    metric: str
    space: Mapping[str, SearchDimension]
    raw_params: Mapping[str, Any]
    params_file: Path


@dataclass(frozen=True)
class Strategy:
    """How trials are drawn and cut short."""

    sampler: str = "tpe"
    pruner: str = "median"
    startup_trials: int = 5
    warmup_epochs: int = 1
    seed: int = 42
    worker: str = "0"  # e.g. the SLURM array task: seeds differ per process


def objective_value(results: Mapping[str, Any], metric: str) -> float:
    """The number a trial reports: the kept checkpoint's validation loss, F1 or AUROC."""
    value = results["best_val_loss"] if metric == "val/loss" else results["val"][metric[4:]]
    if not math.isfinite(value):
        raise HPOError(
            f"hpo.metric {metric} is undefined for this trial (NaN: a validation split with one "
            "class?); fix: set hpo.metric: val/loss"
        )
    return float(value)


def _trial_record(trial: optuna.Trial, results: Mapping[str, Any], value: float) -> dict[str, Any]:
    return {
        "number": trial.number,
        "params": trial.params,
        "value": value,
        "epochs": results["epochs"],
        "threshold": results["threshold"],
        "val": results["val"],
    }


def objective(search: Search) -> Callable[[optuna.Trial], float]:
    """Train the trial's params; prune on the per-epoch metric; retry later if signalled."""

    def run_trial(trial: optuna.Trial) -> float:
        values = space.suggest(trial, search.space)
        p: Params = space.validated(search.raw_params, values, search.params_file)
        layout = Layout(seed=p.seeds[0])  # a curriculum reads that seed's trained VGAE
        folder = layout.hpo(search.study) / f"trial-{trial.number}"
        pruning = PruningCallback(trial, search.metric)
        name = f"hpo-{search.study}-{trial.number}@{search.dataset}"
        run = Run(name, layout.run(name), folder / "dvclive")
        try:
            results = trials.train(search.model, search.dataset, p, run, [pruning], layout)
        except StoppedBySignalError:
            # A time limit is no verdict on these values: a later trial tries them again.
            trial.study.enqueue_trial(trial.params, user_attrs={"retry_of": trial.number})
            raise
        value = objective_value(results, search.metric)
        record = _trial_record(trial, results, value)
        trial.set_user_attr("epochs", results["epochs"])
        if pruning.pruned_at is not None:
            write_json(folder / "trial.json", {**record, "pruned_at_epoch": pruning.pruned_at})
            raise optuna.TrialPruned(f"pruned after epoch {pruning.pruned_at + 1}")
        write_json(folder / "trial.json", record)
        return value

    return run_trial


def run(
    search: Search,
    n_trials: int,
    where: str,
    strategy: Strategy,
    wandb_project: str | None = None,
) -> list[optuna.trial.FrozenTrial]:
    """Run ``n_trials`` trials of the study (created on first use); return the new ones."""
    if n_trials < 1:
        raise HPOError(f"--n-trials {n_trials}: run at least one trial")
    space.check_space(search.raw_params, search.model, search.space, search.params_file)
    identity = {"model": search.model, "dataset": search.dataset, "metric": search.metric}
    study = studies.open_study(search.study, where, identity)
    before = len(study.get_trials(deepcopy=False))
    seed = studies.worker_seed(strategy.seed, strategy.worker, before)
    study.sampler = studies.sampler(strategy.sampler, seed, strategy.startup_trials)
    study.pruner = studies.pruner(strategy.pruner, strategy.startup_trials, strategy.warmup_epochs)
    callbacks = [_wandb(wandb_project, search)] if wandb_project else []
    mine: list[int] = []
    study.optimize(
        _recording(objective(search), mine),
        n_trials=n_trials,
        callbacks=callbacks,
        gc_after_trial=True,
    )
    return [t for t in study.get_trials(deepcopy=False) if t.number in mine]


def _recording(
    fn: Callable[[optuna.Trial], float], numbers: list[int]
) -> Callable[[optuna.Trial], float]:
    """Note which trials this process ran (others run at the same time in the study)."""

    def wrapped(trial: optuna.Trial) -> float:
        numbers.append(trial.number)
        return fn(trial)

    return wrapped


def _wandb(project: str, search: Search) -> Any:
    """Optuna's W&B callback: one W&B run per trial, grouped by study (offline if WANDB_MODE)."""
    from optuna_integration.wandb import WeightsAndBiasesCallback

    folder = Layout().hpo(search.study)
    folder.mkdir(parents=True, exist_ok=True)
    return WeightsAndBiasesCallback(
        metric_name=search.metric,
        wandb_kwargs={
            "project": project,
            "group": search.study,
            "job_type": "hpo",
            "dir": str(folder),
        },
        as_multirun=True,
    )
