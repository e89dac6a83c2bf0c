"""`kdgat slurm submit`: the stale dataset chains as one job array, then a collect job.

Each array task runs ``dvc repro <TARGET>@<dataset>[-<seed>]`` in its own worktree (see
scripts/slurm/repro.sbatch). The collect job waits for all of them (``afterok``),
runs ``dvc repro`` of the same targets in the main workspace (every stage comes
back from DVC's run-cache instead of running again), then ``export`` and ``figures``
where the pipeline has them, and pushes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from kdgat.errors import SlurmError
from kdgat.slurm import jobs
from kdgat.slurm.site import sbatch_options

REPRO = Path("scripts/slurm/repro.sbatch")
HPO = Path("scripts/slurm/hpo.sbatch")
FINAL = ("export", "figures")  # after every chain: the lakehouse, then the paper figures


@dataclass(frozen=True)
class Plan:
    """What a submission will run."""

    target: str
    chains: list[str]  # <target>@<dataset>[-<seed>], stale ones only
    collect: list[str]  # what the collect job reproduces in the main workspace
    rev: str


def pipeline_stages(root: Path) -> tuple[list[str], list[str]]:
    """(per-dataset stages, all stage names) of dvc.yaml, in file order.

    Per-dataset: ``foreach`` over datasets, or a ``matrix`` of datasets x seeds.
    """
    path = root / "dvc.yaml"
    try:
        stages: dict[str, Any] = yaml.safe_load(path.read_text())["stages"]
    except (OSError, KeyError, TypeError, yaml.YAMLError) as err:
        raise SlurmError(f"{path}: cannot read the pipeline's stages ({err})") from None
    per_dataset = [name for name, body in stages.items() if {"foreach", "matrix"} & set(body or {})]
    return per_dataset, list(stages)


def resolve_target(root: Path, target: str | None) -> str:
    """TARGET must be a per-dataset stage; by default the last one (the chain's end)."""
    per_dataset, _ = pipeline_stages(root)
    if not per_dataset:
        raise SlurmError(f"{root / 'dvc.yaml'}: no per-dataset (foreach, matrix) stage to submit")
    if target is None:
        return per_dataset[-1]
    if target not in per_dataset:
        raise SlurmError(
            f"TARGET {target!r} is not a per-dataset stage of dvc.yaml; choose one of: "
            + ", ".join(per_dataset)
        )
    return target


def chain_names(root: Path, stage: str, datasets: list[str], seeds: list[int]) -> list[str]:
    """``stage``'s dvc.yaml names for ``datasets``: one per seed if it is a matrix stage."""
    body = yaml.safe_load((root / "dvc.yaml").read_text())["stages"][stage]
    if "matrix" not in body:
        return [f"{stage}@{dataset}" for dataset in datasets]
    return [f"{stage}@{dataset}-{seed}" for dataset in datasets for seed in seeds]


def stale(root: Path, targets: list[str]) -> list[str]:
    """Those targets whose stage, or a stage upstream of it, is not up to date."""
    from kdgat.workspace.dvc import open_repo

    with open_repo(root) as repo:
        return [t for t in targets if repo.status(targets=[t], with_deps=True)]


def plan(
    root: Path,
    target: str | None,
    datasets: list[str],
    export: bool | None,
    rev: str,
    seeds: list[int] | None = None,
) -> Plan:
    """Which chains are stale (one per dataset, and seed), and what the collect job runs."""
    chosen = resolve_target(root, target)
    per_dataset, every = pipeline_stages(root)
    chains = stale(root, chain_names(root, chosen, datasets, seeds or []))
    if export is None:  # by default only a submission of the chains' last stage exports
        export = chosen == per_dataset[-1]
    collect = [*chains, *(stage for stage in FINAL if export and stage in every)]
    return Plan(chosen, chains, collect, rev)


def commands(
    root: Path, p: Plan, site: dict[str, str], parallel: int | None
) -> list[tuple[str, list[str]]]:
    """The two sbatch commands (chain array, collect); ``{chain}`` stands for the array's id."""
    script = str(root / REPRO)
    logs = str(root / jobs.LOGS)
    throttle = f"%{parallel}" if parallel else ""
    chain = [
        "sbatch",
        "--parsable",
        f"--job-name=kdgat-{p.target}",
        f"--array=0-{len(p.chains) - 1}{throttle}",
        f"--output={logs}/%x-%A_%a.out",
        f"--chdir={root}",
        *sbatch_options(site, "chain"),
        script,
        *p.chains,
    ]
    collect = [
        "sbatch",
        "--parsable",
        "--job-name=kdgat-collect",
        "--dependency=afterok:{chain}",
        "--kill-on-invalid-dep=yes",
        f"--output={logs}/%x-%j.out",
        f"--chdir={root}",
        *sbatch_options(site, "collect"),
        script,
        "--in-place",
        *p.collect,
    ]
    return [("chain", chain), ("collect", collect)]


def submit(
    root: Path, p: Plan, site: dict[str, str], parallel: int | None, dry_run: bool
) -> list[jobs.Submitted]:
    """Submit (or, dry, only describe) the chain array and the collect job."""
    env = {"KDGAT_REPO": str(root), "KDGAT_REV": p.rev}
    if not dry_run:  # sbatch needs the log folder; a job whose --output folder is missing dies
        (root / jobs.LOGS).mkdir(parents=True, exist_ok=True)
    submitted: list[jobs.Submitted] = []
    chain_id = "<chain-job-id>"
    about = {"target": p.target, "rev": p.rev, "submitted": now()}
    for kind, command in commands(root, p, site, parallel):
        command = [part.replace("{chain}", chain_id) for part in command]
        try:
            job_id = "(dry run)" if dry_run else jobs.sbatch(command, env, root)
        except SlurmError:
            if submitted:  # the chains run anyway: let `kdgat slurm status` show them
                jobs.record(root, submitted, about)
            raise
        if kind == "chain" and not dry_run:
            chain_id = job_id
        targets = p.chains if kind == "chain" else p.collect
        submitted.append(jobs.Submitted(job_id, kind, targets, command, env))
    if not dry_run:
        jobs.record(root, submitted, about)
    return submitted


def hpo_command(
    root: Path, site: dict[str, str], trials: int, parallel: int, run_args: list[str]
) -> list[str]:
    """One array task per trial of the study, ``parallel`` at a time."""
    if trials < 1 or parallel < 1:
        raise SlurmError(f"--trials {trials} --parallel {parallel}: both must be at least 1")
    return [
        "sbatch",
        "--parsable",
        "--job-name=kdgat-hpo",
        f"--array=1-{trials}%{parallel}",
        f"--output={root / jobs.LOGS}/%x-%A_%a.out",
        f"--chdir={root}",
        *sbatch_options(site, "hpo"),
        str(root / HPO),
        *run_args,
    ]


def now() -> str:
    """The local time with its UTC offset, to the second: when a submission was made."""
    from datetime import datetime

    return datetime.now().astimezone().isoformat(timespec="seconds")
