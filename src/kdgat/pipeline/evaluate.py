"""Stage ``evaluate@<dataset>-<seed>``: every model on every test scenario, one JSON and its plots.

``metrics/<dataset>/<seed>/evaluation.json`` is ``{model: {scenario: {metric: value}}}``.
Models: every trained model of ``kdgat.pipeline.models`` (teachers, students, other
classifiers), scored over each scenario's graph store; the fusion variants of each
pair (``fusion_dqn``, ``fusion_avg``, ``fusion_stack``, ``_small`` for the student
pair), from the fusion state; and the non-graph ``window_gbt``. Every
threshold was chosen on validation by the stage that trained the model. Latency per
window, batched and at batch size 1, goes to the timing log (``kdgat.timings``): a
wall-clock figure in ``evaluation.json`` would change its hash on every run.
"""

from __future__ import annotations

import json
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from kdgat.config import Params
from kdgat.data.manifest import read_manifest
from kdgat.errors import KdgatError
from kdgat.evaluation.latency import ms_per_item
from kdgat.evaluation.metrics import json_ready, scenario_metrics
from kdgat.evaluation.operational import (
    CaptureAttacks,
    attack_rows,
    capture_attacks,
    detections,
    scenario_figures,
)
from kdgat.evaluation.plots import confusion_figure, write_curves
from kdgat.evaluation.scoring import ms_per_graph, score_split
from kdgat.fusion.models import FusionModels
from kdgat.fusion.novelty import NoveltyAlarm, raise_alarms
from kdgat.fusion.state import read_alarm_inputs, read_state
from kdgat.graphs.store import GraphStore, open_store
from kdgat.io import atomic_path, replace_dir, write_json
from kdgat.layout import EvaluationFiles, FusionFiles, Layout, ModelFiles
from kdgat.models.registry import attack_score
from kdgat.models.runtime import configure_torch
from kdgat.models.sizes import count_parameters
from kdgat.pipeline import entry
from kdgat.pipeline.models import MODELS, PAIRS
from kdgat.pipeline.training import settings, store_meta
from kdgat.timings import read_timings, write_timings
from kdgat.training.artifacts import load_model, read_threshold

Scored = dict[str, tuple[np.ndarray, np.ndarray, float]]  # scenario -> (scores, labels, threshold)


@dataclass(frozen=True)
class Cost:
    """What a model costs to run: ms per window (batched, and alone), and its parameters."""

    ms: float
    ms_single: float
    parameters: int

    def __add__(self, other: Cost) -> Cost:
        return Cost(
            self.ms + other.ms, self.ms_single + other.ms_single, self.parameters + other.parameters
        )


def run(dataset: str, p: Params, layout: Layout) -> None:
    """Score, measure and plot; write ``evaluation.json`` (the table follows in ``report``)."""
    evaluate(dataset, p, layout)


def evaluate(dataset: str, p: Params, layout: Layout) -> dict[str, Any]:
    """Score, measure and plot; returns the evaluation written to ``evaluation.json``."""
    entry.require(layout.fusion_state(dataset), f"fusion_state@{layout.key(dataset)}")
    configure_torch(p.threads)  # latency is measured on the threads the models train on
    scenarios = layout.graphs(dataset).scenarios()
    scored: dict[str, Scored] = {}
    costs: dict[str, Cost] = {}
    stores = {scenario: open_store(layout.store(dataset, scenario)) for scenario in scenarios}
    for name in MODELS:
        scored[name], costs[name] = _single(layout.model(dataset, name), name, stores, p)
    scored["window_gbt"], costs["window_gbt"] = _baseline(layout, dataset, scenarios)
    weights: dict[str, dict[str, dict[str, float]]] = {}
    for pair, members in PAIRS.items():
        pair_scored, pair_costs, pair_weights = _fusion(
            layout, dataset, pair, scenarios, costs, members, p
        )
        scored |= pair_scored
        costs |= pair_costs
        weights |= pair_weights
    evaluation, per_attack = _results(layout, dataset, stores, scored, costs)
    for model, by_scenario in weights.items():
        for scenario, by_expert in by_scenario.items():
            evaluation[model][scenario] |= by_expert
    files = layout.evaluation(dataset)
    _plots(files, scored, evaluation)
    write_json(files.evaluation, json_ready(evaluation))
    write_json(files.attacks, json_ready(per_attack))
    write_predictions(files.predictions, scored)
    timings = {
        m: {"latency_ms": c.ms, "latency_ms_single": c.ms_single}
        for m, c in costs.items()
        if m != "window_gbt" and np.isfinite(c.ms)  # the baseline's is its own stage's
    }
    write_timings(layout, dataset, "evaluate", timings)
    return evaluation


def _results(
    layout: Layout,
    dataset: str,
    stores: dict[str, GraphStore],
    scored: dict[str, Scored],
    costs: dict[str, Cost],
) -> tuple[dict[str, Any], dict[str, Any]]:
    """``{model: {scenario: metrics}}`` and the same per attack type."""
    evaluation: dict[str, Any] = {model: {} for model in scored}
    per_attack: dict[str, Any] = {model: {} for model in scored}
    meta = store_meta(layout, dataset)
    for scenario, store in stores.items():
        attacks = _scenario_attacks(layout, dataset, meta, store)
        for model, by_scenario in scored.items():
            scores, labels, threshold = by_scenario[scenario]
            flagged = scores >= threshold
            found = detections(store.arrays, flagged, meta["window"], attacks) if attacks else []
            evaluation[model][scenario] = {
                **scenario_metrics(scores, labels, threshold),
                **scenario_figures(store.arrays, scores, threshold, found),
                "params": costs[model].parameters,
            }
            per_attack[model][scenario] = attack_rows(
                store.arrays, scores, threshold, meta["attack_types"], found
            )
    return evaluation, per_attack


PREDICTION_COLUMNS = ("model", "scenario", "window", "score", "flagged", "y")


def write_predictions(path: Path, scored: dict[str, Scored]) -> None:
    """Every window's score, decision and label per model and scenario, in store order."""
    columns: dict[str, list[Any]] = {k: [] for k in PREDICTION_COLUMNS}
    for model, by_scenario in scored.items():
        for scenario, (scores, labels, threshold) in by_scenario.items():
            columns["model"].append(np.full(len(scores), model, dtype=object))
            columns["scenario"].append(np.full(len(scores), scenario, dtype=object))
            columns["window"].append(np.arange(len(scores), dtype=np.int32))
            columns["score"].append(np.asarray(scores, dtype=np.float64))
            columns["flagged"].append(np.asarray(scores) >= threshold)
            columns["y"].append(np.asarray(labels, dtype=np.uint8))
    arrays = {k: pa.array(np.concatenate(v)) for k, v in columns.items()}
    for text in ("model", "scenario"):  # a few names repeated on every row
        arrays[text] = arrays[text].dictionary_encode()
    with atomic_path(path) as tmp:
        pq.write_table(pa.table(arrays), tmp)


def _scenario_attacks(
    layout: Layout, dataset: str, meta: dict[str, Any], store: GraphStore
) -> dict[int, CaptureAttacks]:
    """The attacks in the scenario's captures, by capture index; none for flow windows."""
    if meta.get("domain") != "can":
        return {}
    processed = layout.processed(dataset)
    manifest = read_manifest(entry.require(processed.manifest, f"ingest@{dataset}"), dataset)
    files = {c["name"]: processed.dir / c["file"] for c in manifest["captures"]}
    indices = np.unique(np.asarray(store.arrays.capture))
    return {int(i): capture_attacks(files[meta["captures"][i]]) for i in indices}


def _suffix(pair: str) -> str:
    return "" if pair == "teacher" else "_small"


def _batch_size(p: Params, name: str) -> int:
    """The model's training batch size: the one its latency is measured at."""
    return settings(p, getattr(p, MODELS[name].section)).batch_size


def _single(
    files: ModelFiles, name: str, stores: dict[str, GraphStore], p: Params
) -> tuple[Scored, Cost]:
    """A trained model's scores on every scenario at its validation threshold; its costs."""
    model, _ = load_model(files)
    score = partial(attack_score, model, score_weights=p.vgae.score_weights)
    threshold = read_threshold(files)
    scored = {s: (*score_split(score, store), threshold) for s, store in stores.items()}
    first = next(iter(stores.values()))
    batched, single = (ms_per_graph(score, first, n) for n in (_batch_size(p, name), 1))
    return scored, Cost(batched, single, count_parameters(model))


def _fusion(
    layout: Layout,
    dataset: str,
    pair: str,
    scenarios: list[str],
    costs: dict[str, Cost],
    members: tuple[str, str],
    p: Params,
) -> tuple[dict[str, Scored], dict[str, Cost], dict[str, dict[str, dict[str, float]]]]:
    """Every fusion variant of a pair: scores, costs and mean expert weights per scenario.

    The costs are the fused models' plus the variant's own; the weights
    (``<expert>_weight``) are the DQN's and the average's (the stacker has none).
    """
    fusion, info = FusionModels.load(layout.fusion(dataset, pair))
    alarm = _novelty_alarm(info, layout.fusion(dataset, pair))
    scored: dict[str, Scored] = {}
    weights: dict[str, dict[str, dict[str, float]]] = {}
    for scenario in scenarios:
        data = read_state(layout.state(dataset, pair, scenario), fusion.experts)
        chosen = fusion.all_weights(data)
        fired = alarm.fires(*read_alarm_inputs(layout.state(dataset, pair, scenario)))
        for variant, scores in raise_alarms(fusion.scores(data, chosen), fired).items():
            name = f"fusion_{variant}{_suffix(pair)}"
            scored.setdefault(name, {})[scenario] = (scores, data.y, info["thresholds"][variant])
        for variant, w in chosen.items():
            means = w.mean(axis=0) if len(w) else np.full(len(fusion.experts), np.nan)
            by_expert = zip(fusion.experts, means, strict=True)
            weights.setdefault(f"fusion_{variant}{_suffix(pair)}", {})[scenario] = {
                f"{expert}_weight": float(m) for expert, m in by_expert
            }
    state = read_state(layout.state(dataset, pair, scenarios[0]), fusion.experts)
    batch, single = state.head(_batch_size(p, members[1])), state.head(1)
    fused = [*members, "window_gbt"] if "window_gbt" in fusion.experts else list(members)
    inputs = sum((costs[m] for m in fused[1:]), costs[fused[0]])
    heads = {"dqn": count_parameters(fusion.q), "avg": 1, "stack": fusion.stacker.parameters}
    pair_costs = {
        f"fusion_{variant}{_suffix(pair)}": inputs
        + Cost(
            ms_per_item(partial(fusion.score, variant, batch), len(batch)),
            ms_per_item(partial(fusion.score, variant, single), 1),
            head_params,
        )
        for variant, head_params in heads.items()
    }
    return scored, pair_costs, weights


def _novelty_alarm(info: dict[str, Any], files: FusionFiles) -> NoveltyAlarm:
    """The VGAE alarm ``fusion.json`` records; a file without one names the stage to re-run."""
    try:
        return NoveltyAlarm.from_json(info["novelty_alarm"])
    except (KeyError, TypeError, ValueError):
        raise KdgatError(
            f"{files.info}: no valid novelty_alarm (written by an older kdgat); "
            "run `dvc repro train_dqn`"
        ) from None


def _baseline(layout: Layout, dataset: str, scenarios: list[str]) -> tuple[Scored, Cost]:
    model = layout.model(dataset, "window_gbt")
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
    # Its latency (statistics from Parquet, then trees) is measured by its own stage
    # (NaN when that record is gone: timings live outside DVC).
    ms = read_timings(layout, dataset).get("window_gbt", {}).get("latency_ms", float("nan"))
    return scored, Cost(ms, ms, int(card.get("parameters", 0)))


def _plots(files: EvaluationFiles, scored: dict[str, Scored], evaluation: dict[str, Any]) -> None:
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
    """``python stages/evaluate.py DATASET --seed N``."""
    entry.main(run, argv)
