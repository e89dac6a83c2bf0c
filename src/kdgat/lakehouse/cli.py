"""``kdgat export`` and ``kdgat query`` (registered in kdgat.cli; stage export runs the first)."""

from __future__ import annotations

import logging
import os
import subprocess
from pathlib import Path
from typing import Annotated, Any

import typer

from kdgat import config
from kdgat.errors import LakehouseError

LAKEHOUSE = Path("lakehouse")
RETRY = "kdgat export --upload-only"

ParamsOption = Annotated[Path, typer.Option(help="params.yaml to read")]
OutOption = Annotated[Path, typer.Option("--lakehouse", help="the local lakehouse folder")]


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
    out: OutOption = LAKEHOUSE,
    params: ParamsOption = config.PARAMS_FILE,
    catalog: Annotated[Path, typer.Option(help="dataset catalog")] = config.CATALOG_FILE,
) -> None:
    """Export every run's results as Parquet tables to lakehouse/ (then to lakehouse.uri)."""
    _quiet()
    p, c = config.load(params, catalog)
    if upload_only and not p.lakehouse.uri:
        raise LakehouseError(f"{params}: lakehouse.uri is empty; set it to s3://bucket/prefix")
    if not upload_only:
        _export_local(p, c, out)
    if p.lakehouse.uri and not local_only:
        _upload(out, p.lakehouse, compact)


def _export_local(p: config.Params, c: config.Catalog, out: Path) -> None:
    from kdgat.lakehouse.collect import collect
    from kdgat.lakehouse.export import write_export

    datasets = {
        name: {"domain": e.domain, "format": e.format, "source": e.source}
        for name in p.datasets
        for e in [c.datasets[name]]
    }
    revision = git_revision()
    rows = collect(
        Path(),
        datasets,
        git_revision=revision,
        fallback_params=p.model_dump(exclude={"lakehouse", "datasets"}),
        dvc_experiment=os.environ.get("DVC_EXP_NAME"),
    )
    manifest = write_export(rows, out, revision)
    counts = ", ".join(f"{len(v)} {k}" for k, v in rows.items())
    typer.echo(f"{out}/: export {manifest['export_id']} ({counts})")


def _upload(out: Path, settings: config.LakehouseParams, compact: bool) -> None:
    from kdgat.lakehouse.compact import compact as compact_lake
    from kdgat.lakehouse.compact import maybe_compact
    from kdgat.lakehouse.store import open_lakehouse
    from kdgat.lakehouse.upload import Transfer, UploadError, upload_export

    endpoint, region = settings.endpoint_url or None, settings.region or None
    transfer = Transfer(attempts=settings.attempts, backoff_s=settings.backoff_s)
    try:
        sent = upload_export(out, settings.uri, endpoint, region, transfer)
    except UploadError as err:
        raise LakehouseError(
            f"upload to {settings.uri} failed: {err}\n"
            f"The local export in {out}/ is intact. Retry the upload with: {RETRY}"
        ) from None
    typer.echo(f"uploaded {sent['bytes']:,} bytes to {settings.uri} in {sent['seconds']} s")
    try:
        lake = open_lakehouse(settings.uri, endpoint, region)
        merged = compact_lake(lake, transfer) if compact else maybe_compact(lake, transfer=transfer)
    except LakehouseError as err:
        raise LakehouseError(
            f"the export is uploaded, but compacting {settings.uri} failed: {err}\n"
            f"Retry with: {RETRY} --compact"
        ) from None
    if merged:
        typer.echo(f"compacted {merged['replaced']} exports into {merged['files']} files")


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
) -> None:
    """Run SQL with DuckDB over the local lakehouse, or the S3 copy (--s3 / --uri)."""
    _quiet()
    from kdgat.lakehouse import query as q

    if csv and json:
        raise LakehouseError("choose one of --csv and --json")
    location, endpoint, region = _location(s3, uri, lakehouse, params)
    # Only the tables the SQL reads; s3fs only when the SQL names s3:// paths of its own.
    con = q.connect(location, endpoint, region, q.tables_for(sql), "s3://" in sql)
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


def _quiet() -> None:
    """boto's "Found credentials in environment variables" is not news at INFO level."""
    for name in ("botocore.credentials", "aiobotocore.credentials"):
        logging.getLogger(name).setLevel(logging.WARNING)


def git_revision() -> str:
    """HEAD of the workspace ("unknown" outside git): identifies runs without a model card."""
    try:
        out = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True)
    except OSError:
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"
