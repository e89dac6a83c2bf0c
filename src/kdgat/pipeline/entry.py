"""What every stage's ``main()`` does: parse the command line, run, print, exit cleanly."""

from __future__ import annotations

import argparse
import errno
import json
import logging
import sys
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

from kdgat import config
from kdgat.errors import KdgatError, StoppedBySignalError
from kdgat.layout import Layout

DatasetStage = Callable[[str, config.Params, Layout], Any]


def quiet_logs() -> None:
    """Concise logs: our INFO lines, none of the libraries' banners and repeated hints."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # Lightning sets its loggers to INFO when imported: hardware banners and tips, not news;
    # boto's "Found credentials in environment variables" neither.
    for noisy in (
        "lightning.pytorch",
        "lightning.fabric",
        "botocore.credentials",
        "aiobotocore.credentials",
    ):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # A deprecation inside Lightning itself, repeated every epoch; nothing a user can act on.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
    # Lightning's hint on any machine with SLURM installed; our sbatch scripts know.
    warnings.filterwarnings("ignore", message=r".*The `srun` command is available.*")


def run_stage(
    stage: DatasetStage, dataset: str, params: Path, root: Path = Path(), seed: int | None = None
) -> Any:
    """Load params, run ``stage`` on ``dataset`` in the workspace at ``root``, print its summary.

    ``seed``: the training seed of this run (dvc.yaml's matrix passes it); it replaces
    params.yaml's ``seed`` and puts the stage's outputs in that seed's folders.
    """
    quiet_logs()
    try:
        config.dataset_name(dataset)
    except ValueError as err:
        raise KdgatError(str(err)) from None
    p = config.load_params(params)
    if seed is not None:
        p = p.model_copy(update={"seed": seed})
    summary = stage(dataset, p, Layout(root, seed))
    if summary is not None:
        print(json.dumps(summary, indent=2, default=float))
    return summary


def main(stage: DatasetStage, argv: list[str] | None = None) -> None:
    """``python stages/<stage>.py DATASET [--seed N] [--params FILE]``, as dvc.yaml runs it."""
    parser = argparse.ArgumentParser(description=(stage.__doc__ or "").split("\n")[0])
    parser.add_argument("dataset", help="dataset name in params.yaml and the catalog")
    parser.add_argument("--seed", type=int, help="training seed (one of params.yaml's seeds)")
    parser.add_argument("--params", type=Path, default=config.PARAMS_FILE)
    args = parser.parse_args(argv)
    name = stage.__module__.rsplit(".", 1)[-1]
    dvc_stage = f"{name}@{Layout(seed=args.seed).key(args.dataset)}"
    guarded(lambda: run_stage(stage, args.dataset, args.params, seed=args.seed), dvc_stage)


def require(path: Path, stage: str) -> Path:
    """``path``, if an earlier stage wrote it; otherwise an error naming that ``stage``."""
    if not path.exists():
        raise KdgatError(f"{path}: not found; run `dvc repro {stage}`")
    return path


def guarded(call: Callable[[], Any], dvc_stage: str | None = None) -> None:
    """Run ``call``; a known error prints one message and exits 1, a stop signal 128+signum.

    ``dvc_stage``: the dvc.yaml stage running, whose outputs DVC deleted before it ran;
    the message then ends with the command that restores the last good ones.
    """
    restore = (
        f"\nDVC removed this stage's previous outputs before running it; restore them "
        f"with `dvc checkout {dvc_stage}`"
        if dvc_stage
        else ""
    )
    try:
        call()
    except KdgatError as err:
        print(f"error: {err}{restore}", file=sys.stderr)
        sys.exit(1)
    except OSError as err:
        if err.errno not in (errno.ENOSPC, errno.EDQUOT):
            raise
        where = f" writing {err.filename}" if err.filename else ""
        print(
            f"error: {err.strerror}{where}: the disk or your quota is full. Nothing "
            f"half-written was kept; free space (`kdgat doctor` lists leftovers) and run "
            f"again{restore}",
            file=sys.stderr,
        )
        sys.exit(1)
    except StoppedBySignalError as err:
        print(str(err), file=sys.stderr)
        sys.exit(128 + err.signum)  # like a process killed by the signal: DVC sees a failure
