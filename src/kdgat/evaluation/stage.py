"""Stage evaluate@<dataset>: every model on every test scenario, one JSON and its plots.

``metrics/<dataset>/evaluation.json`` is ``{model: {scenario: {metric: value}}}``.
Models: the two teachers (``vgae``, ``gat``), the two students (``*_small``), the
fusion variants of each pair (``fusion_dqn``, ``fusion_avg``, ``fusion_stack``,
``_small`` for the student pair) and the non-graph ``window_gbt``. Every
threshold was chosen on validation by the stage that trained the model.
"""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from kdgat.config import Params
from kdgat.evaluation.latency import ms_per_graph, ms_per_item
from kdgat.evaluation.metrics import json_ready, scenario_metrics
from kdgat.evaluation.plots import confusion_figure, write_curves
from kdgat.fusion.dqn import Experience
from kdgat.fusion.models import FusionModels
from kdgat.fusion.stages import read_raw_vgae, read_state, scenario_names
from kdgat.fusion.state import PAIRS
from kdgat.graphs.store import open_store
from kdgat.io import replace_dir, write_json
from kdgat.models.sizes import count_parameters
from kdgat.models.vgae import anomaly_score, reconstruction_errors
from kdgat.training.artifacts import load_model
from kdgat.training.stages import settings

GRAPHS, MODELS, METRICS = Path("data/graphs"), Path("models"), Path("metrics")
Scored = dict[str, tuple[np.ndarray, np.ndarray, float]]  # scenario -> (scores, labels, threshold)


def evaluate(dataset: str, p: Params) -> dict[str, Any]:
    """Score, measure and plot; returns the evaluation written to ``evaluation.json``."""
    scenarios = scenario_names(dataset)
    scored: dict[str, Scored] = {}
    costs: dict[str, tuple[float, int]] = {}  # model -> (ms per graph, parameters)
    for pair, (vgae_name, gat_name) in PAIRS.items():
        scored.update(_pair_scores(dataset, pair, vgae_name, gat_name, scenarios))
        costs.update(_pair_costs(dataset, pair, vgae_name, gat_name, scenarios[0], p))
    scored["window_gbt"], costs["window_gbt"] = _baseline(dataset, scenarios)
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
    _plots(dataset, scored, evaluation)
    write_json(METRICS / dataset / "evaluation.json", json_ready(evaluation))
    return evaluation


def _suffix(pair: str) -> str:
    return "" if pair == "teacher" else "_small"


def _threshold(folder: Path) -> float:
    return float(json.loads((folder / "thresholds.json").read_text())["threshold"])


def _pair_scores(
    dataset: str, pair: str, vgae_name: str, gat_name: str, scenarios: list[str]
) -> dict[str, Scored]:
    fusion, info = FusionModels.load(MODELS / dataset / "fusion" / pair)
    vgae_t = _threshold(MODELS / dataset / vgae_name)
    gat_t = _threshold(MODELS / dataset / gat_name)
    out: dict[str, Scored] = {}
    for scenario in scenarios:
        data = read_state(dataset, pair, scenario)
        raw_vgae = read_raw_vgae(dataset, pair, scenario)
        out.setdefault(vgae_name, {})[scenario] = (raw_vgae, data.y, vgae_t)
        out.setdefault(gat_name, {})[scenario] = (data.p_gat, data.y, gat_t)
        for variant, scores in fusion.scores(data).items():
            name = f"fusion_{variant}{_suffix(pair)}"
            out.setdefault(name, {})[scenario] = (scores, data.y, info["thresholds"][variant])
    return out


def _pair_costs(
    dataset: str, pair: str, vgae_name: str, gat_name: str, scenario: str, p: Params
) -> dict[str, tuple[float, int]]:
    """Latency at the training batch size and parameter count of each model of the pair."""
    store = open_store(GRAPHS / dataset / scenario)
    vgae, vgae_args = load_model(MODELS / dataset / vgae_name)
    gat, _ = load_model(MODELS / dataset / gat_name)

    def vgae_score(batch: Any) -> Any:
        out = vgae(batch.x, batch.node_id, batch.edge_index, batch.edge_attr)
        errors = reconstruction_errors(
            out,
            batch.x,
            batch.node_id,
            batch.edge_index,
            batch.batch,
            batch.num_graphs,
            vgae_args["vocab_size"],
        )
        return anomaly_score(errors, p.vgae.score_weights)

    def gat_score(batch: Any) -> Any:
        return gat(batch.x, batch.node_id, batch.edge_index, batch.edge_attr, batch.batch)

    costs = {
        vgae_name: (
            ms_per_graph(vgae_score, store, settings(p, p.vgae).batch_size),
            count_parameters(vgae),
        ),
        gat_name: (
            ms_per_graph(gat_score, store, settings(p, p.gat).batch_size),
            count_parameters(gat),
        ),
    }
    fusion, _ = FusionModels.load(MODELS / dataset / "fusion" / pair)
    sample = _head(read_state(dataset, pair, scenario), settings(p, p.gat).batch_size)
    both_ms = costs[vgae_name][0] + costs[gat_name][0]
    both_params = costs[vgae_name][1] + costs[gat_name][1]
    heads = {
        "dqn": count_parameters(fusion.q),
        "avg": 1,
        "stack": fusion.stacker[-1].coef_.size + 1,
    }
    for variant, head_params in heads.items():
        head_ms = ms_per_item(partial(fusion.score, variant, sample), len(sample))
        costs[f"fusion_{variant}{_suffix(pair)}"] = (both_ms + head_ms, both_params + head_params)
    return costs


def _head(data: Experience, n: int) -> Experience:
    return Experience(data.states[:n], data.p_gat[:n], data.s_vgae[:n], data.y[:n])


def _baseline(dataset: str, scenarios: list[str]) -> tuple[Scored, tuple[float, int]]:
    folder = MODELS / dataset / "window_gbt"
    table = pq.read_table(folder / "scores.parquet").to_pandas()
    threshold = _threshold(folder)
    scored = {
        s: (
            table.loc[table.split == s, "score"].to_numpy(),
            table.loc[table.split == s, "y"].to_numpy(),
            threshold,
        )
        for s in scenarios
    }
    card = json.loads((folder / "model_card.json").read_text())
    return scored, (float(card["latency_ms"]), int(card.get("parameters", 0)))


def _plots(dataset: str, scored: dict[str, Scored], evaluation: dict[str, Any]) -> None:
    with replace_dir(METRICS / dataset / "plots") as tmp:
        for model, by_scenario in scored.items():
            for scenario, (scores, labels, _) in by_scenario.items():
                write_curves(tmp, f"{scenario}__{model}", scores, labels)
            confusion_figure(tmp / "confusion" / f"{model}.png", model, evaluation[model])
