"""Train one trial: the pipeline's own model, task and data code with the trial's params.

Nothing here writes a DVC output: the trial's checkpoints go to
``.kdgat/runs/hpo-<study>-<n>_<dataset>/`` (removed when it ends) and its dvclive
curves to ``.kdgat/hpo/<study>/trial-<n>/dvclive``, so trials may run while the
pipeline itself runs, and many trials may share one workspace.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import lightning.pytorch as pl

from kdgat.config import Params
from kdgat.errors import HPOError
from kdgat.layout import Layout
from kdgat.pipeline import training
from kdgat.pipeline.models import searchable
from kdgat.training.run import Run, finish, fit


def train(
    model: str,
    dataset: str,
    p: Params,
    run: Run,
    callbacks: list[pl.Callback],
    layout: Layout,
) -> dict[str, Any]:
    """Fit ``model`` on ``dataset`` with params ``p`` (and the trial's ``callbacks``)."""
    if model not in searchable():
        raise HPOError(f"--model {model!r}: trials train one of {', '.join(searchable())}")
    graphs = layout.graphs(dataset).meta
    if not graphs.is_file():
        raise HPOError(f"{graphs} not found: a trial trains on it; fix: dvc repro graphs@{dataset}")
    meta = training.store_meta(layout, dataset)
    s = training.setup(layout, dataset, p, model)
    # W&B, when on, logs the study through Optuna's callback; trials log to dvclive only.
    settings = dataclasses.replace(s.settings, wandb=False)
    try:
        return fit(
            s.task,
            s.data,
            run,
            settings,
            training.fingerprint(s, meta),
            s.reload_every_epoch,
            callbacks,
        )
    finally:
        finish(run)
