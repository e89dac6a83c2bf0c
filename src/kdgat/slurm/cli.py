"""`kdgat slurm ...`: submit the pipeline to SLURM, watch the jobs, prepare job worktrees."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import typer

from kdgat import config

app = typer.Typer(
    help="Run the pipeline on a SLURM cluster (site settings: scripts/slurm/site.env).",
    no_args_is_help=True,
)

SiteOption = Annotated[Path, typer.Option(help="site settings file (bash)")]
DryRun = Annotated[bool, typer.Option("--dry-run", help="print the sbatch commands only")]


def _root() -> Path:
    from kdgat.workspace.dvc import find_root

    return find_root(Path.cwd())


@app.command()
def submit(
    target: Annotated[
        str | None, typer.Argument(help="per-dataset stage [default: the last one]")
    ] = None,
    dataset: Annotated[
        list[str] | None, typer.Option(help="only this dataset (repeatable) [default: all]")
    ] = None,
    export: Annotated[
        bool | None,
        typer.Option(
            help="collect runs `export` and `figures` [default: when TARGET is the last stage]"
        ),
    ] = None,
    parallel: Annotated[int | None, typer.Option(help="at most this many chains at once")] = None,
    site: SiteOption = Path("scripts/slurm/site.env"),
    dry_run: DryRun = False,
) -> None:
    """One job per stale dataset chain (a job array), then a collect job (afterok)."""
    from kdgat.slurm import jobs, worktree
    from kdgat.slurm import submit as planner
    from kdgat.slurm.site import read_site

    root = _root()
    settings = read_site(root / site)
    p = config.load_params(root / config.PARAMS_FILE)
    datasets = dataset or p.datasets
    plan = planner.plan(root, target, datasets, export, worktree.snapshot(root), p.seeds)
    if not plan.chains:
        typer.echo(f"nothing to submit: {plan.target} is up to date for {', '.join(datasets)}")
        return
    missing = worktree.untracked_files(root)
    if missing:
        shown = ", ".join(missing[:5]) + (" ..." if len(missing) > 5 else "")
        typer.echo(f"warning: jobs will not see untracked files ({shown}); git add them", err=True)
    for job in planner.submit(root, plan, settings, parallel, dry_run):
        if dry_run:
            typer.echo(jobs.shown(job.command, job.env))
        else:
            typer.echo(f"{job.kind:<8} job {job.id}: {' '.join(job.targets)}")
    if not dry_run:
        typer.echo("watch: kdgat slurm status   (logs: .kdgat/slurm/logs/)")


@app.command()
def hpo(
    study: Annotated[str, typer.Option(help="study name")],
    model: Annotated[str, typer.Option(help="a trained model: gat, gin or vgae")] = "gat",
    trials: Annotated[int, typer.Option(help="array tasks, one trial each")] = 32,
    parallel: Annotated[int, typer.Option(help="tasks running at once")] = 8,
    extra: Annotated[
        list[str] | None, typer.Argument(help="more `kdgat hpo run` options (after --)")
    ] = None,
    site: SiteOption = Path("scripts/slurm/site.env"),
    dry_run: DryRun = False,
) -> None:
    """An Optuna study as a job array (scripts/slurm/hpo.sbatch): one trial per task."""
    from kdgat.hpo.study import check_name
    from kdgat.slurm import jobs
    from kdgat.slurm import submit as planner
    from kdgat.slurm.site import read_site

    root = _root()
    run_args = ["--study", check_name(study), "--model", model, *(extra or [])]
    command = planner.hpo_command(root, read_site(root / site), trials, parallel, run_args)
    env = {"KDGAT_REPO": str(root)}
    if dry_run:
        typer.echo(jobs.shown(command, env))
        return
    (root / jobs.LOGS).mkdir(parents=True, exist_ok=True)
    job_id = jobs.sbatch(command, env, root)
    job = jobs.Submitted(job_id, "hpo", [study], command, env)
    jobs.record(root, [job], {"target": f"hpo {study}", "submitted": planner.now()})
    typer.echo(f"hpo job array {job_id}: {trials} trials of study {study}, {parallel} at a time")
    typer.echo(f"then: kdgat hpo best --study {study}")


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
    wait: Annotated[bool, typer.Option("--wait", help="return once every job has ended")] = False,
    interval: Annotated[float, typer.Option(help="seconds between checks with --wait")] = 10.0,
) -> None:
    """The jobs of the last submission from this workspace, and their states."""
    from kdgat.slurm.status import all_finished, collect, table

    root = _root()
    rows = collect(root)
    while wait and not all_finished(rows):
        time.sleep(interval)
        rows = collect(root)
    typer.echo(json.dumps(rows, indent=2) if as_json else table(rows))
    if wait and any(row["state"] != "COMPLETED" for row in rows):
        raise typer.Exit(1)


@app.command("worktree")
def worktree_cmd(
    path: Annotated[Path, typer.Argument(help="where the job's worktree lives")],
    repo: Annotated[Path, typer.Option(help="the main workspace")],
    rev: Annotated[str, typer.Option(help="commit to check out")] = "HEAD",
    cache_dir: Annotated[Path | None, typer.Option(help="shared DVC cache")] = None,
    site_cache_dir: Annotated[Path | None, typer.Option(help="node-local DVC state")] = None,
    remove: Annotated[bool, typer.Option("--remove", help="delete it instead")] = False,
) -> None:
    """(used by repro.sbatch) Create or reuse a job's worktree and print its path."""
    from kdgat.slurm import worktree

    if remove:
        worktree.remove(repo, path)
        return
    typer.echo(worktree.prepare(repo, path, rev, cache_dir, site_cache_dir))


def register(parent: typer.Typer, name: str) -> None:
    """Add these commands to the ``kdgat`` app, under ``name``."""
    parent.add_typer(app, name=name)
