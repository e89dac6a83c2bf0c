"""Studies: storage, sampler, pruner, and the record of what a study optimises.

A study remembers its model, dataset and metric (Optuna user attributes): every
process that joins it (the tasks of a job array) must agree, and `kdgat hpo best`
knows what it is showing.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Any

import optuna

from kdgat.errors import HPOError

STUDY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
MAXIMISED = ("val/f1", "val/auroc")


def storage(where: str) -> optuna.storages.BaseStorage:
    """An RDB URL (``postgresql://``, ``sqlite:///``...) or a journal file path.

    The journal (an append-only log with a link-based lock) is Optuna's storage for
    NFS with many writers, where SQLite's locking breaks.
    """
    if "://" in where:
        try:
            return optuna.storages.RDBStorage(where)
        except Exception as err:  # SQLAlchemy raises many kinds: name the URL and the fix
            raise HPOError(
                f"--storage {where}: cannot open the database ({err}); fix: check the URL, "
                "or use a journal file path on shared storage"
            ) from None
    from optuna.storages.journal import JournalFileBackend, JournalStorage

    path = Path(where).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        return JournalStorage(JournalFileBackend(str(path)))
    except OSError as err:
        raise HPOError(
            f"--storage {path}: cannot create the journal ({err.strerror}); fix: pick a "
            "writable folder on storage every job sees"
        ) from None


def sampler(kind: str, seed: int, startup_trials: int) -> optuna.samplers.BaseSampler:
    """TPE (default) or CMA-ES; both start with ``startup_trials`` random trials."""
    if kind == "tpe":
        return optuna.samplers.TPESampler(seed=seed, n_startup_trials=startup_trials)
    if kind == "cmaes":
        try:
            import cmaes  # noqa: F401  (Optuna imports it lazily, with a vaguer error)
        except ImportError:
            raise HPOError(
                "--sampler cmaes needs the cmaes package; fix: pip install cmaes"
            ) from None
        # CMA-ES handles numbers only: choices are drawn by TPE beside it.
        return optuna.samplers.CmaEsSampler(
            seed=seed,
            n_startup_trials=startup_trials,
            independent_sampler=optuna.samplers.TPESampler(seed=seed),
            warn_independent_sampling=False,
        )
    raise HPOError(f"--sampler {kind!r}: choose tpe or cmaes")


def pruner(kind: str, startup_trials: int, warmup_epochs: int) -> optuna.pruners.BasePruner:
    """Median (stop below the median of earlier trials) or successive halving."""
    if kind == "median":
        return optuna.pruners.MedianPruner(
            n_startup_trials=startup_trials, n_warmup_steps=warmup_epochs
        )
    if kind == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=max(1, warmup_epochs))
    if kind == "none":
        return optuna.pruners.NopPruner()
    raise HPOError(f"--pruner {kind!r}: choose median, halving or none")


def worker_seed(seed: int, worker: str, existing_trials: int) -> int:
    """A seed per process: array tasks (and reruns) must not draw the same first trial."""
    digest = hashlib.sha256(f"{seed}:{worker}:{existing_trials}".encode()).digest()
    return int.from_bytes(digest[:4], "little")


def check_name(name: str) -> str:
    """``name`` if it can name a study's folders, else an error saying which characters may."""
    if not STUDY_NAME.match(name):
        raise HPOError(
            f"--study {name!r}: use letters, digits, '_', '.' and '-' (it names folders)"
        )
    return name


def open_study(
    name: str,
    where: str,
    identity: dict[str, str],
    sampler_: optuna.samplers.BaseSampler | None = None,
    pruner_: optuna.pruners.BasePruner | None = None,
) -> optuna.Study:
    """Create the study, or join it if it exists with the same model, dataset and metric."""
    direction = (
        optuna.study.StudyDirection.MAXIMIZE
        if identity["metric"] in MAXIMISED
        else optuna.study.StudyDirection.MINIMIZE
    )
    study = optuna.create_study(
        study_name=check_name(name),
        storage=storage(where),
        sampler=sampler_,
        pruner=pruner_,
        direction=direction,
        load_if_exists=True,
    )
    recorded = {key: study.user_attrs.get(key) for key in identity}
    if any(value is not None and value != identity[key] for key, value in recorded.items()):
        raise HPOError(
            f"study {name!r} in {where} optimises {recorded}, not {identity}; fix: use "
            "another --study name, or the same --model/--dataset and hpo.metric"
        )
    # Array tasks start together: another one may have created the study and recorded only
    # part of its identity yet. Every task fills in what is missing (the same values).
    for key, value in identity.items():
        if recorded[key] is None:
            study.set_user_attr(key, value)
    return study


def load(name: str, where: str) -> optuna.Study:
    """An existing study (for `kdgat hpo best`), with the names of those that exist."""
    if "://" not in where and not Path(where).expanduser().is_file():
        raise HPOError(f"no study journal at {where}; fix: kdgat hpo run, or pass --storage")
    store = storage(where)
    names = [s.study_name for s in optuna.get_all_study_summaries(store)]
    if name not in names:
        known = ", ".join(sorted(names)) or "none"
        raise HPOError(f"no study {name!r} in {where} (studies there: {known})")
    return optuna.load_study(study_name=name, storage=store)


def counts(study: optuna.Study) -> dict[str, int]:
    """Trials per state (COMPLETE, PRUNED, FAIL, RUNNING, ...)."""
    result: dict[str, int] = {}
    for trial in study.get_trials(deepcopy=False):
        result[trial.state.name] = result.get(trial.state.name, 0) + 1
    return result


def best(study: optuna.Study) -> optuna.trial.FrozenTrial:
    """The best complete trial, or a clear error when none has finished."""
    if not any(
        t.state == optuna.trial.TrialState.COMPLETE for t in study.get_trials(deepcopy=False)
    ):
        raise HPOError(
            f"study {study.study_name!r} has no complete trial yet ({counts(study) or 'no trials'})"
        )
    return study.best_trial


def describe_best(study: optuna.Study) -> dict[str, Any]:
    """What `kdgat hpo best` prints: the study, its trial counts and the best trial."""
    trial = best(study)
    return {
        "study": study.study_name,
        **study.user_attrs,
        "trials": counts(study),
        "best_trial": trial.number,
        "value": trial.value,
        "params": trial.params,
    }
