"""Talking to SLURM: submit with sbatch, read job states, remember the last submission."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from kdgat.errors import SlurmError
from kdgat.io import write_json

STATE_DIR = Path(".kdgat/slurm")
LAST = STATE_DIR / "last.json"
LOGS = STATE_DIR / "logs"
FINISHED = {
    "COMPLETED",
    "FAILED",
    "CANCELLED",
    "TIMEOUT",
    "OUT_OF_MEMORY",
    "NODE_FAIL",
    "PREEMPTED",
    "BOOT_FAIL",
    "DEADLINE",
}


@dataclass(frozen=True)
class Submitted:
    """One sbatch call: its job id, what it runs and the command that made it."""

    id: str
    kind: str  # chain | collect | hpo
    targets: list[str]
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)


def shown(command: list[str], env: Mapping[str, str]) -> str:
    """The command as a shell line, environment first (what --dry-run prints)."""
    prefix = [f"{key}={shlex.quote(value)}" for key, value in env.items()]
    return " ".join([*prefix, *map(shlex.quote, command)])


def sbatch(command: list[str], env: Mapping[str, str], cwd: Path) -> str:
    """Run an ``sbatch --parsable`` command; the job id."""
    try:
        result = subprocess.run(
            command, cwd=cwd, env={**os.environ, **env}, capture_output=True, text=True
        )
    except FileNotFoundError:
        raise SlurmError("sbatch not found: run this on a SLURM login node") from None
    if result.returncode != 0:
        raise SlurmError(
            f"sbatch refused the job: {result.stderr.strip()}\n  {shown(command, env)}"
        )
    return result.stdout.strip().split(";")[0]


def record(root: Path, jobs: list[Submitted], about: dict[str, Any]) -> Path:
    """Remember the submission for `kdgat slurm status`."""
    path = root / LAST
    write_json(path, {**about, "jobs": [asdict(job) for job in jobs]})
    return path


def last(root: Path) -> dict[str, Any]:
    """The submission ``record`` remembered for this workspace, or an error saying none was."""
    path = root / LAST
    if not path.is_file():
        raise SlurmError(
            f"{path}: nothing submitted from this workspace yet; fix: kdgat slurm submit"
        )
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _fields(line: str) -> dict[str, str]:
    """``Key=Value`` pairs of one ``scontrol show job -o`` line."""
    pairs = (token.partition("=") for token in line.split())
    return {key: value for key, sep, value in pairs if sep}


def _task_id(fields: Mapping[str, str]) -> str:
    array, task = fields.get("ArrayJobId"), fields.get("ArrayTaskId")
    return f"{array}_{task}" if array and task else fields["JobId"]


def scontrol_states(job_id: str) -> list[dict[str, str]]:
    """Every job (every array task) of ``job_id`` that slurmctld still remembers."""
    result = subprocess.run(
        ["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True
    )
    if result.returncode != 0:
        return []
    rows = []
    for line in result.stdout.splitlines():
        f = _fields(line)
        if "JobId" in f:
            rows.append(
                {
                    "id": _task_id(f),
                    "state": f.get("JobState", "?"),
                    "exit_code": f.get("ExitCode", ""),
                    "elapsed": f.get("RunTime", ""),
                    "restarts": f.get("Restarts", "0"),
                    "reason": f.get("Reason", ""),
                    "dependency": f.get("Dependency", ""),
                }
            )
    return rows


def sacct_states(job_id: str) -> list[dict[str, str]]:
    """The accounting database's view: for jobs slurmctld has already forgotten."""
    columns = "JobID,State,ExitCode,Elapsed"
    try:
        result = subprocess.run(
            ["sacct", "-n", "-P", "-X", "-j", job_id, "-o", columns],
            capture_output=True,
            text=True,
        )
    except FileNotFoundError:
        return []
    if result.returncode != 0:
        return []
    rows = []
    for line in result.stdout.splitlines():
        parts = line.split("|")
        if len(parts) == 4:
            rows.append(
                {
                    "id": parts[0],
                    "state": parts[1].split()[0],
                    "exit_code": parts[2],
                    "elapsed": parts[3],
                    "restarts": "",
                    "reason": "",
                    "dependency": "",
                }
            )
    return rows


def states(job_id: str) -> list[dict[str, str]]:
    """Live state from slurmctld, else from accounting, else one UNKNOWN row."""
    rows = scontrol_states(job_id) or sacct_states(job_id)
    if rows:
        return rows
    unknown = {"id": job_id, "state": "UNKNOWN", "exit_code": "", "elapsed": "", "restarts": ""}
    return [{**unknown, "reason": "forgotten by slurmctld; no sacct", "dependency": ""}]
