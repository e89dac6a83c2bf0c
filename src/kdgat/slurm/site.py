"""scripts/slurm/site.env: the cluster's settings, read the way the job scripts read them.

The file is bash (users may compute values in it), so it is sourced by bash and the
resulting KDGAT_* variables are read back; the environment overrides the file.
"""

from __future__ import annotations

import shlex
import subprocess
from pathlib import Path
from typing import Literal

from kdgat.errors import SlurmError

SITE_ENV = Path("scripts/slurm/site.env")
JobKind = Literal["chain", "collect", "hpo"]
TIMES = {"chain": "KDGAT_TIME", "collect": "KDGAT_COLLECT_TIME", "hpo": "KDGAT_HPO_TIME"}


def read_site(path: Path) -> dict[str, str]:
    """The KDGAT_* variables after sourcing ``path`` in bash."""
    if not path.is_file():
        raise SlurmError(f"{path}: site file not found; fix: run from the repository root")
    script = 'set -a; source "$1" >/dev/null || exit 3; env -0'
    result = subprocess.run(
        ["bash", "-c", script, "site-env", str(path)], capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SlurmError(f"{path}: bash cannot source it: {result.stderr.strip()}")
    pairs = (item.partition("=") for item in result.stdout.split("\0") if item)
    return {key: value for key, _, value in pairs if key.startswith("KDGAT_")}


def sbatch_options(site: dict[str, str], kind: JobKind) -> list[str]:
    """The sbatch options for a job of ``kind`` (the collect job asks for no GPU)."""
    partition = site.get("KDGAT_PARTITION", "")
    if kind == "collect":
        partition = site.get("KDGAT_COLLECT_PARTITION") or partition
    pairs = {
        "--account": site.get("KDGAT_ACCOUNT", ""),
        "--partition": partition,
        "--gres": "" if kind == "collect" else site.get("KDGAT_GRES", ""),
        "--cpus-per-task": site.get("KDGAT_CPUS", ""),
        "--mem": site.get("KDGAT_MEM", ""),
        "--time": site.get(TIMES[kind], ""),
    }
    options = [f"{flag}={value}" for flag, value in pairs.items() if value]
    seconds = site.get("KDGAT_SIGNAL_SECONDS", "")
    if seconds:
        options.append(f"--signal=B:USR1@{seconds}")
    try:
        options += shlex.split(site.get("KDGAT_SBATCH_EXTRA", ""))
    except ValueError as err:
        raise SlurmError(f"KDGAT_SBATCH_EXTRA: cannot split it into options ({err})") from None
    return options
