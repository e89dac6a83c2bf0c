"""The ``kdgat`` command: every pipeline stage and tool is reachable from here.

DVC stage scripts in ``stages/`` call these same functions, so a stage run by
hand and a stage run by ``dvc repro`` do exactly the same thing.
"""

from __future__ import annotations

import json
import logging
import sys
import warnings
from pathlib import Path
from typing import Annotated

import click
import typer

from kdgat import config
from kdgat.errors import KdgatError

app = typer.Typer(
    help="Graph-based intrusion detection: a reproducible DVC pipeline.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)

PROCESSED = Path("data/processed")
GRAPHS = Path("data/graphs")
METRICS = Path("metrics")

ParamsOption = Annotated[Path, typer.Option(help="params.yaml to read")]
CatalogOption = Annotated[Path, typer.Option(help="dataset catalog to read")]


@app.command("check-config")
def check_config(
    params: ParamsOption = config.PARAMS_FILE, catalog: CatalogOption = config.CATALOG_FILE
) -> None:
    """Validate params.yaml and the catalog; print the datasets the pipeline runs over."""
    p, c = config.load(params, catalog)
    for name in p.datasets:
        entry = c.datasets[name]
        typer.echo(f"{name}: {entry.domain}/{entry.format} from {entry.source}")


@app.command()
def synth(
    out: Annotated[Path, typer.Option(help="folder for the CSV captures")] = Path("data/raw/synth"),
    params: ParamsOption = config.PARAMS_FILE,
) -> None:
    """Simulate a vehicle bus with attacks; write captures in the can_csv layout."""
    from kdgat.data.synth import write_dataset
    from kdgat.io import replace_dir

    p = config.load_params(params)
    with replace_dir(out) as tmp:
        files = write_dataset(tmp, seed=p.seed, **p.synth.model_dump())
    typer.echo(f"wrote {len(files)} captures to {out}")


@app.command()
def fetch(
    dataset: Annotated[str, typer.Argument(help="dataset name in the catalog")],
    catalog: CatalogOption = config.CATALOG_FILE,
) -> None:
    """Bring a dataset's raw files into data/raw/<dataset> (link, download or HF Hub)."""
    from kdgat.data.catalog import raw_dir
    from kdgat.data.sources import fetch as fetch_source

    entry = config.load_catalog(catalog).entry(dataset, catalog)
    files = fetch_source(entry, raw_dir(dataset))
    typer.echo(f"{dataset}: {len(files)} files in {raw_dir(dataset)}")


@app.command()
def ingest(
    dataset: Annotated[str | None, typer.Argument(help="catalog dataset to ingest")] = None,
    files: Annotated[list[Path] | None, typer.Argument(help="ad-hoc mode: raw files")] = None,
    fmt: Annotated[str | None, typer.Option("--format", help="ad-hoc mode: raw format")] = None,
    out: Annotated[Path | None, typer.Option(help="ad-hoc mode: output folder")] = None,
    split: Annotated[str, typer.Option(help="ad-hoc mode: split name of the files")] = "adhoc",
    params: ParamsOption = config.PARAMS_FILE,
    catalog: CatalogOption = config.CATALOG_FILE,
) -> None:
    """Validate raw captures into Parquet: a catalog DATASET, or --format F --out DIR FILE..."""
    from kdgat.data import ingest as ingest_lib

    if fmt is not None or out is not None:
        paths = [Path(dataset), *(files or [])] if dataset else list(files or [])
        if fmt is None or out is None or not paths:
            raise KdgatError("ad-hoc mode needs --format, --out and at least one FILE")
        report = ingest_lib.ingest_files(paths, fmt, out, split)
    else:
        if dataset is None:
            raise KdgatError("name a DATASET from the catalog, or use --format/--out FILE...")
        from kdgat.data.catalog import raw_dir

        p, c = config.load(params, catalog)
        report = ingest_lib.ingest_dataset(
            dataset,
            c.entry(dataset, catalog),
            raw=raw_dir(dataset),
            out=PROCESSED / dataset,
            report_path=METRICS / dataset / "ingest_report.json",
            row_group_size=p.ingest.row_group_size,
            max_bad_fraction=p.ingest.max_bad_fraction,
        )
    typer.echo(ingest_lib.format_report(report))


@app.command()
def graphs(
    dataset: Annotated[str, typer.Argument(help="dataset in params.yaml / the catalog")],
    params: ParamsOption = config.PARAMS_FILE,
) -> None:
    """Build sliding-window graphs of an ingested dataset into data/graphs/<dataset>."""
    from kdgat.graphs.build import build_dataset

    p = config.load_params(params)
    report = build_dataset(
        dataset, PROCESSED / dataset, GRAPHS / dataset, METRICS / dataset / "graphs.json", p.graphs
    )
    typer.echo(f"{dataset}: {report['frames_per_s']:,} frames/s, vocabulary {report['vocab_size']}")
    for split, stats in report["splits"].items():
        typer.echo(
            f"  {split:<34} {stats['graphs']:>7} graphs  attack {stats['attack_fraction']:.3f}  "
            f"nodes p50 {stats['nodes_p50']:.0f}  edges p50 {stats['edges_p50']:.0f}"
        )


def _train(stage: str, dataset: str, params: Path) -> None:
    from kdgat.training import stages
    from kdgat.training.callbacks import StoppedBySignalError

    # Lightning sets its loggers to INFO when imported: hardware banners and tips, not news.
    for noisy in ("lightning.pytorch", "lightning.fabric"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    p = config.load_params(params)
    try:
        results = getattr(stages, stage)(dataset, p)
    except StoppedBySignalError as err:
        typer.echo(f"{stage}@{dataset}: {err}", err=True)
        sys.exit(128 + err.signum)  # like a process killed by the signal: DVC sees a failure
    typer.echo(json.dumps(results, indent=2, default=float))


@app.command("train-vgae")
def train_vgae(
    dataset: Annotated[str, typer.Argument()], params: ParamsOption = config.PARAMS_FILE
) -> None:
    """Train the VGAE teacher (one-class, benign training graphs) of a dataset."""
    _train("train_vgae", dataset, params)


@app.command("train-gat")
def train_gat(
    dataset: Annotated[str, typer.Argument()], params: ParamsOption = config.PARAMS_FILE
) -> None:
    """Train the GAT teacher (curriculum from the VGAE's scores) of a dataset."""
    _train("train_gat", dataset, params)


@app.command()
def distill(
    dataset: Annotated[str, typer.Argument()], params: ParamsOption = config.PARAMS_FILE
) -> None:
    """Distil the small GAT and small VGAE students from their teachers."""
    _train("distill", dataset, params)


def _fusion(stage: str, dataset: str, params: Path) -> None:
    from kdgat.evaluation.stage import evaluate
    from kdgat.fusion import stages
    from kdgat.fusion.window_baseline import window_baseline

    steps = {
        "fusion_state": stages.fusion_state,
        "window_baseline": window_baseline,
        "train_dqn": stages.train_fusion,
        "evaluate": evaluate,
    }
    results = steps[stage](dataset, config.load_params(params))
    if stage != "evaluate":  # the evaluation is a file of its own; the table follows in report
        typer.echo(json.dumps(results, indent=2, default=float))


@app.command("fusion-state")
def fusion_state(
    dataset: Annotated[str, typer.Argument()], params: ParamsOption = config.PARAMS_FILE
) -> None:
    """Run both model pairs over every split; store each graph's fusion state."""
    _fusion("fusion_state", dataset, params)


@app.command("window-baseline")
def window_baseline(
    dataset: Annotated[str, typer.Argument()], params: ParamsOption = config.PARAMS_FILE
) -> None:
    """Train the non-graph baseline (boosted trees on per-window statistics)."""
    _fusion("window_baseline", dataset, params)


@app.command("train-dqn")
def train_dqn(
    dataset: Annotated[str, typer.Argument()], params: ParamsOption = config.PARAMS_FILE
) -> None:
    """Train the DQN fusion agent and the fusion baselines for both model pairs."""
    _fusion("train_dqn", dataset, params)


@app.command()
def evaluate(
    dataset: Annotated[str, typer.Argument()], params: ParamsOption = config.PARAMS_FILE
) -> None:
    """Evaluate every model on every test scenario: metrics/<dataset>/evaluation.json."""
    _fusion("evaluate", dataset, params)


@app.command()
def report(params: ParamsOption = config.PARAMS_FILE) -> None:
    """Print the results table of every dataset in params.yaml."""
    from kdgat.report import evaluation_table, models_table, results_table

    datasets = config.load_params(params).datasets
    for table in (results_table(datasets, METRICS), models_table(datasets)):
        if table:
            typer.echo(table + "\n")
    evaluation = evaluation_table(datasets, METRICS)
    typer.echo(
        "Per test scenario, thresholds chosen on validation:\n" + evaluation
        if evaluation
        else "no evaluation yet: run `dvc repro evaluate`"
    )


from kdgat.lakehouse import cli as lakehouse_cli  # noqa: E402  (the lakehouse's own commands)

app.command("export")(lakehouse_cli.export)
app.command("query")(lakehouse_cli.query)

from kdgat.workspace import cli as workspace_cli  # noqa: E402  (remote, push, pull, doctor, ...)

workspace_cli.register(app)

from kdgat.hpo.cli import app as hpo_app  # noqa: E402  (kdgat hpo run|best)
from kdgat.slurm.cli import app as slurm_app  # noqa: E402  (kdgat slurm submit|status|...)

app.add_typer(hpo_app, name="hpo")
app.add_typer(slurm_app, name="slurm")


def run(args: list[str] | None = None) -> None:
    """Run the CLI: known errors print one clean message and exit 1, never a traceback."""
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    # A deprecation inside Lightning itself, repeated every epoch; nothing a user can act on.
    warnings.filterwarnings("ignore", message=r".*isinstance\(treespec, LeafSpec\).*")
    # Lightning's hint on any machine with SLURM installed; our sbatch scripts know.
    warnings.filterwarnings("ignore", message=r".*The `srun` command is available.*")
    try:
        app(args=args, prog_name="kdgat", standalone_mode=False)
    except KdgatError as err:
        typer.echo(f"error: {err}", err=True)
        sys.exit(1)
    except click.exceptions.ClickException as err:  # usage errors: show them as click would
        err.show()
        sys.exit(err.exit_code)
    except click.exceptions.Abort:
        sys.exit(130)


def main() -> None:
    """Console entry point (``kdgat``)."""
    run()


if __name__ == "__main__":
    main()
