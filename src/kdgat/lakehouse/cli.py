"""``kdgat query``: SQL over the lakehouse (registered lazily by kdgat.cli)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from kdgat import config
from kdgat.errors import LakehouseError
from kdgat.layout import Layout

LAKEHOUSE = Layout().lakehouse

ParamsOption = Annotated[Path, typer.Option(help="params.yaml to read")]
OutOption = Annotated[Path, typer.Option("--lakehouse", help="the local lakehouse folder")]


def query(
    sql: Annotated[
        str,
        typer.Argument(
            help="SQL over tables runs, metrics, epoch_metrics, datasets, models and views "
            "leaderboard, kd_gap, fusion_gain, scores"
        ),
    ],
    csv: Annotated[bool, typer.Option("--csv", help="CSV output")] = False,
    json: Annotated[bool, typer.Option("--json", help="JSON output (a list of records)")] = False,
    s3: Annotated[bool, typer.Option("--s3", help="query lakehouse.uri of params.yaml")] = False,
    uri: Annotated[
        str | None, typer.Option(help="query this folder or s3://bucket/prefix instead")
    ] = None,
    lakehouse: OutOption = LAKEHOUSE,
    params: ParamsOption = config.PARAMS_FILE,
    unsafe: Annotated[
        bool,
        typer.Option(
            "--unsafe", help="let the SQL read and write files (never with SQL you did not write)"
        ),
    ] = False,
) -> None:
    """Run SQL with DuckDB over the local lakehouse, or the S3 copy (--s3 / --uri).

    The SQL sees the lakehouse's tables and views only: it can read or write no file.
    """
    from kdgat.lakehouse import query as q

    if csv and json:
        raise LakehouseError("choose one of --csv and --json")
    location, endpoint, region = _location(s3, uri, lakehouse, params)
    # Only the tables the SQL reads; s3fs only when the SQL names s3:// paths of its own.
    con = q.connect(location, endpoint, region, q.tables_for(sql), "s3://" in sql, not unsafe)
    names, rows = q.run(con, sql)
    render = q.as_csv if csv else q.as_json if json else q.as_table
    typer.echo(render(names, rows).rstrip("\n"))


def _location(s3: bool, uri: str | None, lakehouse: Path, params: Path) -> tuple[Any, ...]:
    """(location, endpoint, region): S3 settings come from params.yaml when it has them."""
    if not s3 and not (uri or "").startswith("s3://"):
        return uri or lakehouse, None, None
    settings = config.load_params(params).lakehouse if params.is_file() or s3 else None
    location = uri or (settings.uri if settings else "")
    if not location:
        raise LakehouseError(f"{params}: lakehouse.uri is empty; set it, or pass --uri s3://...")
    endpoint = settings.endpoint_url if settings else ""
    region = settings.region if settings else ""
    return location, endpoint or None, region or None


def register(parent: typer.Typer, name: str) -> None:
    """Add ``kdgat query`` to the ``kdgat`` app."""
    parent.command("query")(query)
