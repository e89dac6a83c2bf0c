"""Wall-clock figures (latency per window): kept out of every DVC-hashed output.

The same params and data give the same model and metric bytes; how fast this machine
ran them does not, so a latency written into ``evaluation.json`` would change the
stage's hash on every rebuild. Each stage run writes its figures to one JSON file
under ``.kdgat/timings/<dataset>/<seed>/<stage>.json`` instead; a SLURM job sets
``KDGAT_TIMINGS`` to the main workspace's folder, so its figures outlive the job's
worktree. The export reads them into the lakehouse, beside the metrics.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path
from typing import Any

from kdgat.io import write_json
from kdgat.layout import Layout

ENV = "KDGAT_TIMINGS"

Timings = dict[str, dict[str, float]]  # model -> {figure: value}


def folder(layout: Layout, dataset: str) -> Path:
    """Where this seed's timing files of ``dataset`` live."""
    root = Path(os.environ[ENV]) if os.environ.get(ENV) else layout.scratch / "timings"
    return root / dataset / ("unseeded" if layout.seed is None else f"seed_{layout.seed}")


def write_timings(layout: Layout, dataset: str, stage: str, timings: Timings) -> None:
    """Record one stage run's figures (replacing the last run's)."""
    write_json(folder(layout, dataset) / f"{stage}.json", timings)


def read_timings(layout: Layout, dataset: str) -> Timings:
    """Every recorded figure of this seed, per model; a damaged file is skipped, not fatal."""
    merged: Timings = {}
    for path in sorted(folder(layout, dataset).glob("*.json")):
        try:
            found = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            continue  # a figure of how fast something ran is never worth failing an export
        for model, figures in found.items() if isinstance(found, dict) else ():
            if isinstance(figures, dict):
                merged.setdefault(model, {}).update(
                    {k: float(v) for k, v in figures.items() if _number(v)}
                )
    return merged


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
