"""`kdgat hpo run` and `kdgat hpo best`: Optuna studies over params.yaml's ``hpo`` section."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from kdgat import config

app = typer.Typer(help="Hyperparameter search with Optuna (space: hpo.space in params.yaml).")

StudyOption = Annotated[str, typer.Option(help="study name (shared by every job that joins it)")]
StorageOption = Annotated[
    str | None,
    typer.Option(help="journal file or RDB URL [default: hpo.storage of params.yaml]"),
]
ParamsOption = Annotated[Path, typer.Option(help="params.yaml to read")]


@app.command("run")
def run(
    study: StudyOption,
    model: Annotated[str, typer.Option(help="a trained model: gat, gin or vgae")] = "gat",
    n_trials: Annotated[int, typer.Option(help="trials this process runs")] = 1,
    dataset: Annotated[str | None, typer.Option(help="[default: first in params.yaml]")] = None,
    sampler: Annotated[str | None, typer.Option(help="tpe | cmaes [default: hpo.sampler]")] = None,
    pruner: Annotated[
        str | None, typer.Option(help="median | halving | none [default: hpo.pruner]")
    ] = None,
    storage: StorageOption = None,
    params: ParamsOption = config.PARAMS_FILE,
) -> None:
    """Run trials of a study: each trains MODEL with params.yaml plus the trial's values."""
    from kdgat.errors import StoppedBySignalError
    from kdgat.hpo import params_file
    from kdgat.hpo.search import Search, Strategy
    from kdgat.hpo.search import run as run_search

    for noisy in ("lightning.pytorch", "lightning.fabric"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    p = config.load_params(params)
    h = p.hpo
    search = Search(
        study=study,
        model=model,
        dataset=dataset or p.datasets[0],
        metric=h.metric,
        space=next((dims for name, dims in h.space.items() if name == model), {}),
        raw_params=params_file.read_raw(params),
        params_file=params,
    )
    strategy = Strategy(
        sampler=sampler or h.sampler,
        pruner=pruner or h.pruner,
        startup_trials=h.startup_trials,
        warmup_epochs=h.warmup_epochs,
        seed=p.seed,
        # array tasks must draw different trials; a run by hand stays reproducible
        worker=os.environ.get("SLURM_ARRAY_TASK_ID") or os.environ.get("SLURM_JOB_ID") or "local",
    )
    wandb = p.tracking.project if p.tracking.wandb else None
    try:
        done = run_search(search, n_trials, storage or h.storage, strategy, wandb)
    except StoppedBySignalError as err:
        typer.echo(f"hpo {study}: {err} (its values are queued for another trial)", err=True)
        sys.exit(128 + err.signum)
    for trial in done:
        typer.echo(f"trial {trial.number}: {trial.state.name} {trial.value} {trial.params}")


@app.command("best")
def best(
    study: StudyOption,
    apply: Annotated[bool, typer.Option("--apply", help="write its values into params.yaml")] = (
        False
    ),
    storage: StorageOption = None,
    params: ParamsOption = config.PARAMS_FILE,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """Print the best trial of a study; with --apply, write its values into params.yaml."""
    from kdgat.hpo import study as studies

    where = storage or config.load_params(params).hpo.storage
    loaded = studies.load(study, where)
    summary = studies.describe_best(loaded)
    if as_json:
        typer.echo(json.dumps(summary, indent=2, default=str))
    else:
        typer.echo(_format(summary))
    if apply:
        from kdgat.hpo.best import apply_best

        changes = apply_best(loaded, params)
        for key, (old, new) in changes.items():
            typer.echo(f"{params}: {key}: {old} -> {new}")
        typer.echo("next: dvc repro (or dvc exp run) retrains with them")


def _format(summary: dict[str, Any]) -> str:
    trials = ", ".join(f"{n} {state.lower()}" for state, n in summary["trials"].items())
    lines = [
        f"study {summary['study']}: {summary.get('model')} on {summary.get('dataset')}, "
        f"{summary.get('metric')} ({trials})",
        f"best trial {summary['best_trial']}: {summary.get('metric')} = {summary['value']:.6g}",
    ]
    lines += [f"  {key}: {value}" for key, value in summary["params"].items()]
    return "\n".join(lines)


def register(parent: typer.Typer, name: str) -> None:
    """Add these commands to the ``kdgat`` app, under ``name``."""
    parent.add_typer(app, name=name)
