"""Stage ``train_dqn@<dataset>-<seed>``: the DQN fusion agent and the static fusions per pair.

Writes ``models/<dataset>/<seed>/fusion/<pair>/``: the DQN, the stacker and ``fusion.json``
(the experts, the average's weights, every variant's validation threshold, where choices
were made, the VGAE alarm of ``kdgat.fusion.novelty``, which every variant's scores and
thresholds include).

By default (``fusion.fit_on: val``) every fusion learns from the validation split: the
experts never trained on it, so it shows them as they are on new traffic. On the training
windows the GAT is all but perfect, and an agent that learned there followed it onto a new
vehicle where it was at chance. ``fit_on: train`` is the former behaviour, ``train+val``
both (selection and thresholds stay on validation).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from kdgat.config import DQNParams, Params
from kdgat.evaluation.thresholds import choose_threshold
from kdgat.fusion.dqn import Anchor, DQNSettings, Experience, train_dqn, weight_grid
from kdgat.fusion.models import FusionModels
from kdgat.fusion.novelty import OFF, NoveltyAlarm, fit_alarm, raise_alarms
from kdgat.fusion.state import read_alarm_inputs, read_state
from kdgat.fusion.static import fit_stacker, selection_set, tune_weights
from kdgat.io import replace_dir
from kdgat.layout import TRAIN, VAL, FusionFiles, Layout
from kdgat.pipeline import entry
from kdgat.pipeline.models import PAIRS


def dqn_settings(d: DQNParams) -> DQNSettings:
    """``dqn`` of params.yaml as the agent takes it (``alphas``: levels per weight).

    ``deviation_margin`` is the policy's, not the learner's (``Anchor``).
    """
    return DQNSettings(num_actions=d.alphas, **d.model_dump(exclude={"alphas", "deviation_margin"}))


def run(dataset: str, p: Params, layout: Layout) -> dict[str, Any]:
    """DQN, weighted average and stacker for both pairs: ``models/<dataset>/fusion``."""
    # The state folder is written whole or not at all: without it, say which stage makes it.
    entry.require(layout.fusion_state(dataset), f"fusion_state@{layout.key(dataset)}")
    summary = {}
    with replace_dir(layout.fusion_models(dataset), "fusion_models") as tmp:
        for pair in PAIRS:
            models, summary[pair] = _fit_pair(layout, dataset, pair, p)
            models.save(FusionFiles(tmp / pair), summary[pair])
            summary[pair] |= models.description()
    return summary


def _fit_pair(
    layout: Layout, dataset: str, pair: str, p: Params
) -> tuple[FusionModels, dict[str, Any]]:
    """One pair's three fusions, its VGAE alarm, and what ``fusion.json`` records of them."""
    s, method, experts = dqn_settings(p.dqn), p.threshold.method, tuple(p.fusion.experts)
    train = read_state(layout.state(dataset, pair, TRAIN), experts)
    val = read_state(layout.state(dataset, pair, VAL), experts)
    select, where = selection_set(val, train)
    fit, fitted_on = _fit_set(p.fusion.fit_on, train, val, (select, where))
    average = tune_weights(select, weight_grid(s.num_actions, len(experts)), method)
    margin = p.dqn.deviation_margin
    q, dqn_summary = train_dqn(fit, select, s, p.seed, Anchor(average, margin))
    models = FusionModels(q, average, fit_stacker(fit, p.seed), experts, s.num_actions, margin)
    alarm, fired = _alarm(layout, dataset, pair, val.y, p.fusion.novelty_alarm)
    thresholds = {
        name: choose_threshold(score, val.y, method)
        for name, score in raise_alarms(models.scores(val), fired).items()
    }
    return models, {
        "fitted_on": fitted_on,
        "selected_on": where,
        "thresholds": thresholds,
        "threshold_method": method,
        "dqn": dqn_summary,
        "parameters": sum(t.numel() for t in q.parameters()),
        "novelty_alarm": alarm.to_json(),
    }


def _alarm(
    layout: Layout, dataset: str, pair: str, val_y: np.ndarray, on: bool
) -> tuple[NoveltyAlarm, np.ndarray]:
    """The pair's VGAE alarm (``OFF`` unless ``on``) and where it fires on validation.

    It is set on the pair's familiar benign validation windows (``fit_alarm``).
    """
    val_inputs = read_alarm_inputs(layout.state(dataset, pair, VAL))
    alarm = OFF
    if on:
        _, train_reference = read_alarm_inputs(layout.state(dataset, pair, TRAIN))
        alarm = fit_alarm(train_reference, *val_inputs, val_y)
    return alarm, alarm.fires(*val_inputs)


def _fit_set(
    fit_on: str, train: Experience, val: Experience, selection: tuple[Experience, str]
) -> tuple[Experience, str]:
    """What the fusions learn from (``fusion.fit_on``), and its name for ``fusion.json``."""
    if fit_on == "val":
        return selection  # validation, or train+val where it lacks a class
    if fit_on == "train":
        return train, "train"
    return Experience.concatenate([train, val]), "train+val"


def main(argv: list[str] | None = None) -> None:
    """``python stages/train_dqn.py DATASET``."""
    entry.main(run, argv)
