"""`kdgat hpo best --apply`: the best trial's values written into params.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import optuna

from kdgat.hpo import params_file, space, study


def apply_best(s: optuna.Study, params_path: Path) -> dict[str, tuple[Any, Any]]:
    """Write the best complete trial's values into params.yaml; return {key: (old, new)}."""
    trial = study.best(s)
    raw = params_file.read_raw(params_path)
    space.validated(raw, trial.params, params_path)  # refuse values params.yaml would reject
    previous = params_file.write_values(params_path, trial.params)
    return {key: (previous[key], value) for key, value in trial.params.items()}
