"""Stage ``evaluate@<dataset>``: every model on every test scenario, one JSON and its plots.

``metrics/<dataset>/evaluation.json`` is ``{model: {scenario: {metric: value}}}``.
Models: every trained model of ``kdgat.pipeline.models`` (teachers, students, other
classifiers), scored over each scenario's graph store; the fusion variants of each
pair (``fusion_dqn``, ``fusion_avg``, ``fusion_stack``, ``_small`` for the student
pair), from the fusion state; and the non-graph ``window_gbt``. Every
threshold was chosen on validation by the stage that trained the model.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from functools import partial
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from kdgat.config import Params
from kdgat.evaluation.latency import ms_per_item
from kdgat.evaluation.metrics import json_ready, scenario_metrics
from kdgat.evaluation.plots import confusion_figure, write_curves
from kdgat.evaluation.scoring import ms_per_graph, score_split
from kdgat.fusion.dqn import Experience
from kdgat.fusion.models import FusionModels
from kdgat.fusion.state import read_state
from kdgat.graphs.store import GraphStore, open_store
from kdgat.io import replace_dir, write_json
from kdgat.layout import Layout, MetricsFiles, ModelFiles
from kdgat.models.registry import attack_score
from kdgat.models.sizes import count_parameters
from kdgat.pipeline import entry
from kdgat.pipeline.models import MODELS, PAIRS
from kdgat.pipeline.training import settings
from kdgat.training.artifacts import load_model, read_threshold

Scored = dict[str, tuple[np.ndarray, np.ndarray, float]]  # scenario -> (scores, labels, threshold)


def run(dataset: str, p: Params, layout: Layout) -> None:
    """Score, measure and plot; write ``evaluation.json`` (the table follows in ``report``)."""
    evaluate(dataset, p, layout)


def evaluate(dataset: str, p: Params, layout: Layout) -> dict[str, Any]:
    """Score, measure and plot; returns the evaluation written to ``evaluation.json``."""
    entry.require(layout.fusion_state(dataset), f"fusion_state@{dataset}")
    scenarios = layout.graphs(dataset).scenarios()
    scored: dict[str, Scored] = {}
    costs: dict[str, tuple[float, int]] = {}  # model -> (ms per graph, parameters)
    stores = {scenario: open_store(layout.store(dataset, scenario)) for scenario in scenarios}
    for name in MODELS:
        scored[name], costs[name] = _single(layout.model(dataset, name), name, stores, p)
    for pair, members in PAIRS.items():
        pair_scored, pair_costs = _fusion(layout, dataset, pair, scenarios, costs, members, p)
        scored |= pair_scored
        costs |= pair_costs
    scored["window_gbt"], costs["window_gbt"] = _baseline(
        layout.model(dataset, "window_gbt"), scenarios
    )
    evaluation = {
        model: {
            scenario: {
                **scenario_metrics(*scored[model][scenario]),
                "latency_ms": costs[model][0],
                "params": costs[model][1],
            }
            for scenario in scenarios
        }
        for model in scored
    }
    metrics = layout.metrics(dataset)
    _plots(metrics, scored, evaluation)
    write_json(metrics.evaluation, json_ready(evaluation))
    return evaluation


def _suffix(pair: str) -> str:
    return "" if pair == "teacher" else "_small"


def _batch_size(p: Params, name: str) -> int:
    """The model's training batch size: the one its latency is measured at."""
    return settings(p, getattr(p, MODELS[name].section)).batch_size


def _single(
    files: ModelFiles, name: str, stores: dict[str, GraphStore], p: Params
) -> tuple[Scored, tuple[float, int]]:
    """A trained model's scores on every scenario at its validation threshold; its costs."""
    model, _ = load_model(files)
    score = partial(attack_score, model, score_weights=p.vgae.score_weights)
    threshold = read_threshold(files)
    scored = {s: (*score_split(score, store), threshold) for s, store in stores.items()}
    first = next(iter(stores.values()))
    return scored, (ms_per_graph(score, first, _batch_size(p, name)), count_parameters(model))


def _fusion(
    layout: Layout,
    dataset: str,
    pair: str,
    scenarios: list[str],
    costs: dict[str, tuple[float, int]],
    members: tuple[str, str],
    p: Params,
) -> tuple[dict[str, Scored], dict[str, tuple[float, int]]]:
    """Every fusion variant of a pair: scores per scenario, and both models' costs plus its own."""
    fusion, info = FusionModels.load(layout.fusion(dataset, pair))
    scored: dict[str, Scored] = {}
    for scenario in scenarios:
        data = read_state(layout.state(dataset, pair, scenario))
        for variant, scores in fusion.scores(data).items():
            name = f"fusion_{variant}{_suffix(pair)}"
            scored.setdefault(name, {})[scenario] = (scores, data.y, info["thresholds"][variant])
    sample = _head(
        read_state(layout.state(dataset, pair, scenarios[0])), _batch_size(p, members[1])
    )
    both_ms = sum(costs[m][0] for m in members)
    both_params = sum(costs[m][1] for m in members)
    heads = {
        "dqn": count_parameters(fusion.q),
        "avg": 1,
        "stack": fusion.stacker.parameters,
    }
    pair_costs = {
        f"fusion_{variant}{_suffix(pair)}": (
            both_ms + ms_per_item(partial(fusion.score, variant, sample), len(sample)),
            both_params + head_params,
        )
        for variant, head_params in heads.items()
    }
    return scored, pair_costs


def _head(data: Experience, n: int) -> Experience:
    return Experience(data.states[:n], data.p_gat[:n], data.s_vgae[:n], data.y[:n])


def _baseline(model: ModelFiles, scenarios: list[str]) -> tuple[Scored, tuple[float, int]]:
    table = pq.read_table(model.scores).to_pandas()
    threshold = read_threshold(model)
    scored = {
        s: (
            table.loc[table.split == s, "score"].to_numpy(),
            table.loc[table.split == s, "y"].to_numpy(),
            threshold,
        )
        for s in scenarios
    }
    card = json.loads(model.card.read_text())
    return scored, (float(card["latency_ms"]), int(card.get("parameters", 0)))


def _plots(files: MetricsFiles, scored: dict[str, Scored], evaluation: dict[str, Any]) -> None:
    # Three DVC plot folders, each replaced whole; DVC parses every file in them (no marker).
    with ExitStack() as stack:
        roc, pr, confusion = (
            stack.enter_context(replace_dir(folder, None))
            for folder in (files.roc, files.pr, files.confusion)
        )
        for model, by_scenario in scored.items():
            for scenario, (scores, labels, _) in by_scenario.items():
                write_curves(roc, pr, f"{scenario}__{model}", scores, labels)
            confusion_figure(confusion / f"{model}.png", model, evaluation[model])


def main(argv: list[str] | None = None) -> None:
    """``python stages/evaluate.py DATASET``."""
    entry.main(run, argv)
