"""One exception type per domain.

Every message names the file, the row or field at fault, and the fix, so a
researcher reading a SLURM log can act on it without opening the code.
"""

from __future__ import annotations

import signal
from pathlib import Path


class KdgatError(Exception):
    """Base class: the CLI prints these as one clean line and exits non-zero."""


class ConfigError(KdgatError):
    """params.yaml or data/catalog.yaml is invalid."""


class CatalogError(KdgatError):
    """A dataset entry cannot be resolved to captures."""


class SourceError(KdgatError):
    """A download or checksum failed."""


class FormatError(KdgatError):
    """A raw file cannot be parsed at all (wrong columns, truncated, empty...)."""

    def __init__(self, path: Path | str, problem: str, fix: str) -> None:
        self.path = Path(path)
        super().__init__(f"{path}: {problem}. Fix: {fix}")


class OutputError(KdgatError):
    """An output folder cannot be written without destroying what kdgat did not write."""


class ValidationError(KdgatError):
    """Too many rows of a capture failed validation."""


class LakehouseError(KdgatError):
    """The lakehouse cannot be exported, uploaded or queried."""


class RemoteError(KdgatError):
    """A DVC remote is missing, unreachable, refuses the credentials or lacks data."""


class WorkspaceError(KdgatError):
    """The DVC workspace (repository, cache settings) cannot be read or configured."""


class HPOError(KdgatError):
    """An Optuna study cannot be created, run or applied (search space, storage, study)."""


class SlurmError(KdgatError):
    """A SLURM submission, status query or job worktree failed."""


class StoppedBySignalError(Exception):
    """Training stopped by a signal after saving a resume checkpoint.

    Not a ``KdgatError``: nothing is wrong, and the process must exit as if killed by
    the signal (``128 + signum``) so that DVC and SLURM record the run as unfinished.
    """

    def __init__(self, signum: int, checkpoint: Path) -> None:
        self.signum, self.checkpoint = signum, checkpoint
        name = signal.Signals(signum).name
        super().__init__(
            f"stopped by {name}; checkpoint {checkpoint}; run the stage again to resume"
        )
