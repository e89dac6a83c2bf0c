"""What every stage's ``main()`` does: parse the command line, run, print, exit cleanly."""

from __future__ import annotations

import argparse
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


def run_stage(stage: DatasetStage, dataset: str, params: Path, root: Path = Path()) -> Any:
    """Load params, run ``stage`` on ``dataset`` in the workspace at ``root``, print its summary."""
    quiet_logs()
    try:
        config.dataset_name(dataset)
    except ValueError as err:
        raise KdgatError(str(err)) from None
    summary = stage(dataset, config.load_params(params), Layout(root))
    if summary is not None:
        print(json.dumps(summary, indent=2, default=float))
    return summary


def main(stage: DatasetStage, argv: list[str] | None = None) -> None:
    """``python stages/<stage>.py DATASET [--params FILE]``, as dvc.yaml runs it."""
    parser = argparse.ArgumentParser(description=(stage.__doc__ or "").split("\n")[0])
    parser.add_argument("dataset", help="dataset name in params.yaml and the catalog")
    parser.add_argument("--params", type=Path, default=config.PARAMS_FILE)
    args = parser.parse_args(argv)
    guarded(lambda: run_stage(stage, args.dataset, args.params))


def require(path: Path, stage: str) -> Path:
    """``path``, if an earlier stage wrote it; otherwise an error naming that ``stage``."""
    if not path.exists():
        raise KdgatError(f"{path}: not found; run `dvc repro {stage}`")
    return path


def guarded(call: Callable[[], Any]) -> None:
    """Run ``call``; a known error prints one line and exits 1, a stop signal exits 128+signum."""
    try:
        call()
    except KdgatError as err:
        print(f"error: {err}", file=sys.stderr)
        sys.exit(1)
    except StoppedBySignalError as err:
        print(str(err), file=sys.stderr)
        sys.exit(128 + err.signum)  # like a process killed by the signal: DVC sees a failure
