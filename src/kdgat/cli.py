"""The ``kdgat`` command: every pipeline stage and tool is reachable from here.

Stage commands run the same ``kdgat.pipeline.<stage>.run`` that ``dvc repro`` runs
(through ``stages/<stage>.py``). Operations (hpo, slurm, remotes, lakehouse) are
imported only when one of their commands runs, so ``kdgat graphs`` stays light.
"""

from __future__ import annotations

import importlib
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from kdgat import config
from kdgat.errors import KdgatError, WorkspaceError
from kdgat.layout import Layout

# Command name -> the module whose ``register(app, name)`` adds it.
OPERATIONS = {
    "query": "kdgat.lakehouse.cli",
    "remote": "kdgat.workspace.cli",
    "push": "kdgat.workspace.cli",
    "pull": "kdgat.workspace.cli",
    "doctor": "kdgat.workspace.cli",
    "cluster-config": "kdgat.workspace.cli",
    "hpo": "kdgat.hpo.cli",
    "slurm": "kdgat.slurm.cli",
    "site": "kdgat.site.cli",
}


class LazyGroup(TyperGroup):
    """The top command group: operations commands are imported on first use."""

    # ctx: typer's vendored click Context (typer.Context is a subclass of it).
    def list_commands(self, ctx: Any) -> list[str]:
        """Typer's commands plus the lazy operations commands, without importing them."""
        return sorted({*super().list_commands(ctx), *OPERATIONS})

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        """Import an operations command's module only when that command is run."""
        if cmd_name not in OPERATIONS:
            return super().get_command(ctx, cmd_name)
        holder = typer.Typer()
        importlib.import_module(OPERATIONS[cmd_name]).register(holder, cmd_name)
        return typer.main.get_group(holder).get_command(ctx, cmd_name)


app = typer.Typer(
    cls=LazyGroup,
    help="Graph-based intrusion detection: a reproducible DVC pipeline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

ParamsOption = Annotated[Path, typer.Option(help="params.yaml to read")]
CatalogOption = Annotated[Path, typer.Option(help="dataset catalog to read")]
ForceOption = Annotated[
    bool, typer.Option("--force", help="replace a folder that an older kdgat wrote (no marker)")
]
SYNTH_RAW = Layout().raw("synth")
LAKEHOUSE = Layout().lakehouse
DatasetArgument = Annotated[str, typer.Argument(help="dataset in params.yaml / the catalog")]


SeedOption = Annotated[
    int | None, typer.Option(help="training seed (default: the first of params.yaml's seeds)")
]


def _stage(
    name: str, dataset: str, params: Path, seed: int | None = None, *, seeded: bool = True
) -> Any:
    """Run ``kdgat.pipeline.<name>`` on ``dataset``, as ``dvc repro <name>@<dataset>[-<seed>]``."""
    from kdgat.pipeline import entry

    run = importlib.import_module(f"kdgat.pipeline.{name}").run
    return entry.run_stage(run, dataset, params, seed=_seed(params, seed) if seeded else None)


def _seed(params: Path, seed: int | None) -> int:
    return config.load_params(params).seeds[0] if seed is None else seed


@app.command("check-config")
def check_config(
    params: ParamsOption = config.PARAMS_FILE, catalog: CatalogOption = config.CATALOG_FILE
) -> None:
    """Validate params.yaml and the catalog; print the datasets the pipeline runs over."""
    p, c = config.load(params, catalog)
    if p.hpo.space:
        from kdgat.hpo.space import check_spaces

        check_spaces(config.read_yaml(params), p.hpo.space, params)
    for name in p.datasets:
        entry = c.datasets[name]
        typer.echo(f"{name}: {entry.domain}/{entry.format} from {entry.source}")


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="folder for the CSV captures")] = SYNTH_RAW,
    params: ParamsOption = config.PARAMS_FILE,
) -> None:
    """Simulate a vehicle bus with attacks; write captures in the can_csv layout."""
    from kdgat.pipeline import synth as stage

    stage.run(config.load_params(params), out)


@app.command()
def fetch(
    dataset: Annotated[str, typer.Argument(help="dataset name in the catalog")],
    catalog: CatalogOption = config.CATALOG_FILE,
    force: ForceOption = False,
    dvc: Annotated[
        bool | None,
        typer.Option(
            "--dvc/--no-dvc",
            help="track data/raw/<dataset> with DVC (`dvc add`), so that push/pull move it; "
            "default: when ./.dvc/ exists",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Bring a dataset's raw files into data/raw/<dataset> (link, download or HF Hub).

    In a DVC clone the folder is then tracked (data/raw/<dataset>.dvc, to commit).
    """
    from kdgat.data.datasets_info import refuse_manual
    from kdgat.data.sources import fetch as fetch_source

    entry, raw = config.load_catalog(catalog).entry(dataset, catalog), Layout().raw(dataset)
    track = _tracking(dvc)  # before the download: a refusal then costs nothing
    refuse_manual(dataset, entry, raw)
    files = fetch_source(entry, raw, force)
    typer.echo(f"{dataset}: {len(files)} files in {raw}")
    if track:
        _track(raw)


def _tracking(dvc: bool | None) -> bool:
    """Whether to `dvc add` the fetch: as asked, else when ./.dvc/ exists."""
    here = Path(".dvc").is_dir()
    if dvc and not here:
        raise WorkspaceError(
            f"{Path.cwd()}: --dvc needs a DVC repository (no .dvc/ folder here); "
            "fix: run from your kdgat clone, or `dvc init` first"
        )
    return here if dvc is None else dvc


def _track(raw: Path) -> None:
    """`dvc add` the fetched folder and say what to commit (git keeps only its .dvc file)."""
    from kdgat.workspace.dvc import track

    dvcfile = track(Path(), raw)
    typer.echo(
        f"{raw} is tracked by DVC: `git add {dvcfile} && git commit` records this version, "
        "`kdgat push` uploads the files and `kdgat pull` brings them to another clone"
    )


datasets_app = typer.Typer(help="The catalog's datasets: facts, local state, how to fetch.")
app.add_typer(datasets_app, name="datasets")


@datasets_app.callback(invoke_without_command=True)
def datasets(ctx: typer.Context, catalog: CatalogOption = config.CATALOG_FILE) -> None:
    """List every catalog entry: domain, format, size, licence, local state."""
    if ctx.invoked_subcommand is not None:
        return
    from kdgat.data.datasets_info import table

    typer.echo(table(config.load_catalog(catalog), Layout()))


@datasets_app.command("show")
def datasets_show(
    dataset: Annotated[str, typer.Argument(help="dataset name in the catalog")],
    catalog: CatalogOption = config.CATALOG_FILE,
) -> None:
    """Print one entry, its citation and how to fetch it (the manual steps where needed)."""
    from kdgat.data.datasets_info import show

    entry = config.load_catalog(catalog).entry(dataset, catalog)
    typer.echo(show(dataset, entry, Layout()))


@app.command()
def ingest(
    dataset: Annotated[str | None, typer.Argument(help="catalog dataset to ingest")] = None,
    files: Annotated[list[Path] | None, typer.Argument(help="ad-hoc mode: raw files")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="ad-hoc mode: raw format")] = None,
    out: Annotated[Path | None, typer.Option(help="ad-hoc mode: output folder")] = None,
    split: Annotated[str, typer.Option(help="ad-hoc mode: split name of the files")] = "adhoc",
    params: ParamsOption = config.PARAMS_FILE,
    catalog: CatalogOption = config.CATALOG_FILE,
    force: ForceOption = False,
) -> None:
    """Validate raw captures into Parquet: a catalog DATASET, or --format F --out DIR FILE..."""
    from kdgat.data import ingest as ingest_lib

    if fmt is not None or out is not None:
        paths = [Path(dataset), *(files or [])] if dataset else list(files or [])
        if fmt is None or out is None or not paths:
            raise KdgatError("ad-hoc mode needs --format, --out and at least one FILE")
        max_bad = config.load_params(params).ingest.max_bad_fraction
        report = ingest_lib.ingest_files(paths, fmt, out, split, max_bad, force)
        typer.echo(ingest_lib.format_report(report))
        return
    if dataset is None:
        raise KdgatError("name a DATASET from the catalog, or use --format/--out FILE...")
    from kdgat.pipeline.ingest import ingest as ingest_stage

    ingest_stage(dataset, *config.load(params, catalog), Layout())


@app.command()
def graphs(dataset: DatasetArgument, params: ParamsOption = config.PARAMS_FILE) -> None:
    """Build sliding-window graphs of an ingested dataset into data/graphs/<dataset>."""
    _stage("graphs", dataset, params, seeded=False)


@app.command("train-vgae")
def train_vgae(
    dataset: DatasetArgument, params: ParamsOption = config.PARAMS_FILE, seed: SeedOption = None
) -> None:
    """Train the VGAE teacher (one-class, benign training graphs) of a dataset."""
    _stage("train_vgae", dataset, params, seed)


@app.command("train-gat")
def train_gat(
    dataset: DatasetArgument, params: ParamsOption = config.PARAMS_FILE, seed: SeedOption = None
) -> None:
    """Train the GAT teacher (curriculum from the VGAE's scores) of a dataset."""
    _stage("train_gat", dataset, params, seed)


@app.command()
def distill(
    dataset: DatasetArgument, params: ParamsOption = config.PARAMS_FILE, seed: SeedOption = None
) -> None:
    """Distil the small GAT and small VGAE students from their teachers."""
    _stage("distill", dataset, params, seed)


@app.command()
def train(
    model: Annotated[str, typer.Argument(help="a model of kdgat.pipeline.models (e.g. gin)")],
    dataset: DatasetArgument,
    params: ParamsOption = config.PARAMS_FILE,
    seed: SeedOption = None,
) -> None:
    """Train one model of the model table on a dataset (what its stage does for it)."""
    from kdgat.pipeline import entry
    from kdgat.pipeline.models import MODELS
    from kdgat.pipeline.training import train_and_write

    if model not in MODELS:
        raise KdgatError(f"no model {model!r}; the table has: {', '.join(MODELS)}")
    entry.run_stage(
        lambda d, p, layout: train_and_write(layout, d, p, model),
        dataset,
        params,
        seed=_seed(params, seed),
    )


@app.command("fusion-state")
def fusion_state(
    dataset: DatasetArgument, params: ParamsOption = config.PARAMS_FILE, seed: SeedOption = None
) -> None:
    """Run both model pairs over every split; store each graph's fusion state."""
    _stage("fusion_state", dataset, params, seed)


@app.command("window-baseline")
def window_baseline(
    dataset: DatasetArgument, params: ParamsOption = config.PARAMS_FILE, seed: SeedOption = None
) -> None:
    """Train the non-graph baseline (boosted trees on per-window statistics)."""
    _stage("window_baseline", dataset, params, seed)


@app.command("train-dqn")
def train_dqn(
    dataset: DatasetArgument, params: ParamsOption = config.PARAMS_FILE, seed: SeedOption = None
) -> None:
    """Train the DQN fusion agent and the static fusions for both model pairs."""
    _stage("train_dqn", dataset, params, seed)


@app.command()
def evaluate(
    dataset: DatasetArgument, params: ParamsOption = config.PARAMS_FILE, seed: SeedOption = None
) -> None:
    """Evaluate every model on every test scenario: metrics/<dataset>/<seed>/evaluation.json."""
    _stage("evaluate", dataset, params, seed)


@app.command()
def repro(
    jobs: Annotated[
        int, typer.Option("--jobs", "-j", help="chains (dataset x seed) run side by side")
    ] = max(1, min(os.cpu_count() or 1, 8)),
) -> None:
    """`dvc repro` of everything, the dataset x seed chains in parallel git worktrees."""
    from kdgat.slurm.fanout import repro as fan_out

    fan_out(Path(), jobs)


@app.command()
def export(
    upload_only: Annotated[
        bool, typer.Option("--upload-only", help="upload the local export again (no re-export)")
    ] = False,
    local_only: Annotated[
        bool, typer.Option("--local-only", help="write the local lakehouse, skip the upload")
    ] = False,
    compact: Annotated[
        bool, typer.Option("--compact", help="after uploading, merge the bucket's exports")
    ] = False,
    out: Annotated[
        Path, typer.Option("--lakehouse", help="the local lakehouse folder")
    ] = LAKEHOUSE,
    params: ParamsOption = config.PARAMS_FILE,
    catalog: CatalogOption = config.CATALOG_FILE,
) -> None:
    """Export every run's results as Parquet tables to lakehouse/ (then to lakehouse.uri)."""
    from kdgat.pipeline import export as stage

    stage.export(
        params, catalog, out, upload_only=upload_only, local_only=local_only, compact=compact
    )


@app.command()
def report(
    params: ParamsOption = config.PARAMS_FILE,
    attacks: Annotated[
        bool, typer.Option("--attacks", help="per attack type: recall and time to detect")
    ] = False,
) -> None:
    """Print the results table of every dataset in params.yaml (mean and 95 % CI over seeds)."""
    from kdgat.report import attack_table, evaluation_table, models_table, results_table

    p, layout = config.load_params(params), Layout()
    if attacks:
        table = attack_table(p.datasets, p.seeds, layout)
        typer.echo(table or "no evaluation yet: run `dvc repro evaluate`")
        return
    for table in (results_table(p.datasets, layout), models_table(p.datasets, p.seeds, layout)):
        if table:
            typer.echo(table + "\n")
    evaluation = evaluation_table(p.datasets, p.seeds, layout)
    typer.echo(
        "Per test scenario, thresholds chosen on validation:\n" + evaluation
        if evaluation
        else "no evaluation yet: run `dvc repro evaluate`"
    )


def run(args: list[str] | None = None) -> None:
    """Run the CLI: known errors print one clean message and exit 1, never a traceback."""
    from kdgat.pipeline.entry import guarded, quiet_logs

    quiet_logs()
    # Standalone: click shows usage errors and exits 2 itself; our errors reach guarded.
    guarded(lambda: app(args=args, prog_name="kdgat"))


def main() -> None:
    """Console entry point (``kdgat``)."""
    run()


if __name__ == "__main__":
    main()
