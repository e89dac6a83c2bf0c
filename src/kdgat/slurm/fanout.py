"""`kdgat repro --jobs N`: the SLURM fan-out on one machine, for `make run` and workstations.

`dvc repro` runs one stage at a time, and one workspace allows one `dvc repro`. With
`threads: 1` a stage uses one core, so on a machine with N cores the chains of
different seeds (and datasets) can run side by side: each in its own git worktree
sharing the DVC cache, exactly as SLURM array tasks do (``kdgat.slurm.worktree``).
Then `dvc repro` in the workspace itself finds every chain's stages in DVC's
run-cache (it restores them instead of running them again) and runs the rest
(export). The data stages run first, once, in the workspace.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

from kdgat import config
from kdgat.errors import KdgatError
from kdgat.slurm import worktree
from kdgat.slurm.submit import chain_names, resolve_target
from kdgat.timings import ENV as TIMINGS_ENV

WORKTREES = Path(".kdgat/worktrees")
LOGS = Path(".kdgat/logs")


def repro(root: Path, jobs: int) -> None:
    """Data stages here, then every dataset x seed chain in ``jobs`` worktrees, then the rest."""
    if jobs < 1:
        raise KdgatError(f"--jobs {jobs}: run at least one chain at a time")
    p = config.load_params(root / config.PARAMS_FILE)
    _dvc(root, ["repro", *(f"graphs@{d}" for d in p.datasets)])
    chains = chain_names(root, resolve_target(root, None), p.datasets, p.seeds)
    if jobs > 1 and len(chains) > 1:
        rev = worktree.snapshot(root)
        print(f"{len(chains)} chains, {jobs} at a time; logs in {root / LOGS}/", flush=True)
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            running = [pool.submit(_chain, root, rev, chain) for chain in chains]
            for done, future in enumerate(as_completed(running), 1):
                chain, seconds = future.result()
                print(f"[{done}/{len(chains)}] {chain} in {seconds:.0f} s", flush=True)
    _dvc(root, ["repro"])  # restores every chain from the run-cache, then runs the rest


def _chain(root: Path, rev: str, chain: str) -> tuple[str, float]:
    """``dvc repro CHAIN`` in a worktree of its own; the worktree is removed afterwards."""
    start = time.monotonic()
    path = root / WORKTREES / chain.replace("@", "_")
    work = worktree.prepare(root, path, rev, None, None)
    env = {
        "PYTHONPATH": str(work / "src"),  # the worktree's code, as the SLURM jobs run it
        TIMINGS_ENV: str((root / ".kdgat" / "timings").absolute()),
    }
    try:
        _dvc(work, ["repro", chain], root / LOGS / f"repro-{chain}.log", env)
    finally:
        worktree.remove(root, work)
    return chain, time.monotonic() - start


def _dvc(
    cwd: Path, args: list[str], logfile: Path | None = None, env: dict[str, str] | None = None
) -> None:
    """Run this environment's dvc in ``cwd``: on the console, or into ``logfile``."""
    bin_dir = Path(sys.executable).parent  # stage commands call `python`: this venv's
    full_env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", **(env or {})}
    command = [str(bin_dir / "dvc"), *args]
    if logfile is None:
        if subprocess.run(command, cwd=cwd, env=full_env).returncode:
            raise KdgatError(f"dvc {' '.join(args)} failed in {cwd} (its output is above)")
        return
    logfile.parent.mkdir(parents=True, exist_ok=True)
    with logfile.open("w") as out:
        code = subprocess.run(command, cwd=cwd, env=full_env, stdout=out, stderr=out).returncode
    if code:
        tail = "".join(logfile.read_text().splitlines(keepends=True)[-20:])
        raise KdgatError(f"dvc {' '.join(args)} failed in {cwd} (log {logfile}):\n{tail}")
