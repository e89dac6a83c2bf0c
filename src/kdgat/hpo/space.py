"""Search spaces: ``hpo.space.<model>`` of params.yaml -> Optuna suggestions -> params.

A dimension is addressed by its dotted params.yaml key (``gat.large.dropout``), so a
trial's values are params overrides, and the best ones can be written back verbatim.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import optuna
from pydantic import ValidationError

from kdgat.config import Params, SearchDimension, describe
from kdgat.errors import HPOError
from kdgat.pipeline.models import searchable

# Model sections whose own lr / epochs / batch_size override the top-level ones.
OVERRIDABLE = ("lr", "epochs", "batch_size")


def is_int_range(dim: SearchDimension) -> bool:
    """A range with integer bounds (and step) is searched over integers."""
    bounds = (dim.low, dim.high, *(() if dim.step is None else (dim.step,)))
    return all(isinstance(v, int) and not isinstance(v, bool) for v in bounds)


def suggest(trial: optuna.Trial, space: Mapping[str, SearchDimension]) -> dict[str, Any]:
    """One value per dimension, drawn by the study's sampler."""
    values: dict[str, Any] = {}
    for key, dim in space.items():
        if dim.choices is not None:
            values[key] = trial.suggest_categorical(key, dim.choices)
        elif is_int_range(dim):
            assert dim.low is not None
            assert dim.high is not None
            step = int(dim.step or 1)
            values[key] = trial.suggest_int(
                key, int(dim.low), int(dim.high), step=step, log=dim.log
            )
        else:
            assert dim.low is not None
            assert dim.high is not None
            values[key] = trial.suggest_float(
                key, float(dim.low), float(dim.high), step=dim.step, log=dim.log
            )
    return values


def with_overrides(raw: Mapping[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """A deep copy of the params.yaml mapping with dotted keys set to ``values``."""
    params = copy.deepcopy(dict(raw))
    for key, value in values.items():
        *sections, leaf = key.split(".")
        node = params
        for section in sections:
            child = node.get(section)
            if not isinstance(child, dict):
                raise HPOError(f"hpo.space: {key!r}: params.yaml has no section {section!r} here")
            node = child
        node[leaf] = value
    return params


def validated(raw: Mapping[str, Any], values: Mapping[str, Any], file: Path) -> Params:
    """params.yaml with the trial's values, validated like params.yaml itself."""
    try:
        return Params.model_validate(with_overrides(raw, values))
    except ValidationError as err:
        raise HPOError(
            describe(err, file, Params) + "\n  (with the values of hpo.space: "
            f"{dict(values)}; fix the space's keys or bounds)"
        ) from None


def check_space(
    raw: Mapping[str, Any], model: str, space: Mapping[str, SearchDimension], file: Path
) -> None:
    """Refuse an empty space, unknown keys, out-of-range bounds and shadowed keys up front."""
    if not space:
        raise HPOError(
            f"{file}: hpo.space.{model} is empty; fix: list the params to tune, e.g.\n"
            f"  hpo:\n    space:\n      {model}:\n"
            f"        {model}.lr: {{low: 1.0e-4, high: 1.0e-2, log: true}}"
        )
    for key, dim in space.items():
        for value in dim.choices if dim.choices is not None else (dim.low, dim.high):
            validated(raw, {key: value}, file)
    section = raw.get(model) or {}
    for key in space:
        if key in OVERRIDABLE and section.get(key) is not None:
            raise HPOError(
                f"{file}: hpo.space.{model}.{key} has no effect: {model}.{key} is set and "
                f"overrides it; fix: tune {model}.{key} instead"
            )


def check_spaces(raw: Mapping[str, Any], spaces: Mapping[str, Any], file: Path) -> None:
    """Every model's space in ``hpo.space`` (what ``kdgat check-config`` checks up front)."""
    for model, dims in spaces.items():
        if model not in searchable():
            raise HPOError(
                f"{file}: hpo.space.{model}: no such searchable model; "
                f"use one of {', '.join(searchable())}"
            )
        check_space(raw, model, dims, file)
