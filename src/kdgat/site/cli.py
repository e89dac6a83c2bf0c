"""``kdgat site``: build and serve the static results site (registered lazily by kdgat.cli)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer

from kdgat import config
from kdgat.layout import Layout
from kdgat.site import SiteFiles

SITE = SiteFiles()
DATA_URL_ENV = "KDGAT_SITE_DATA_URL"

PortOption = Annotated[int, typer.Option(help="port on 127.0.0.1")]

site_app = typer.Typer(
    help="The static results site (site/): `kdgat site build`, then `kdgat site serve`.",
    no_args_is_help=False,
    invoke_without_command=True,
)


@site_app.callback()
def site(
    ctx: typer.Context,
    serve_now: Annotated[
        bool, typer.Option("--serve", help="serve the built site/dist (as `kdgat site serve`)")
    ] = False,
    port: PortOption = 8000,
) -> None:
    """Snapshots of the lakehouse, built into site/dist with Observable Framework."""
    if serve_now:
        serve(port)
    elif ctx.invoked_subcommand is None:
        typer.echo(ctx.get_help())


@site_app.command("build")
def build(
    uri: Annotated[
        str | None,
        typer.Option(help="read this lakehouse folder or s3://bucket/prefix (default: lakehouse/)"),
    ] = None,
    data_url: Annotated[
        str,
        typer.Option(
            envvar=DATA_URL_ENV,
            help="the pages fetch <url>/<table>.parquet from here (a public bucket) instead of "
            "the copies bundled in dist/data",
        ),
    ] = "",
    snapshots: Annotated[
        bool,
        typer.Option("--snapshots/--no-snapshots", help="write site/data from the lakehouse first"),
    ] = True,
    catalog: Annotated[Path, typer.Option(help="dataset catalog to read")] = config.CATALOG_FILE,
) -> None:
    """Write site/data/<table>.parquet from the lakehouse, then npm ci (when needed) and build."""
    from kdgat.lakehouse.cli import _location  # the same --uri rules as `kdgat query`
    from kdgat.site import SiteError
    from kdgat.site.build import build as build_site
    from kdgat.site.snapshots import write_snapshots

    start = time.perf_counter()
    if snapshots:
        location, endpoint, region = _location(False, uri, Layout().lakehouse, config.PARAMS_FILE)
        if not (uri or Path(location).is_dir()):
            raise SiteError(f"{location}: no lakehouse; run `make run` (or `kdgat export`) first")
        paths = write_snapshots(location, SITE.data, catalog, endpoint, region)
        typer.echo(f"{len(paths)} snapshots in {SITE.data}")
    dist = build_site(SITE, data_url)
    where = data_url or f"{dist / 'data'}"
    typer.echo(f"built {dist} in {time.perf_counter() - start:.1f} s (data: {where})")


@site_app.command("upload")
def upload(
    uri: Annotated[
        str | None,
        typer.Argument(help="s3://bucket/prefix (default: lakehouse.uri + /site of params.yaml)"),
    ] = None,
    params: Annotated[Path, typer.Option(help="params.yaml to read")] = config.PARAMS_FILE,
) -> None:
    """Upload site/data/<table>.parquet to a bucket the site then reads (--data-url)."""
    from kdgat.site import SiteError
    from kdgat.site.build import upload as put

    settings = config.load_params(params).lakehouse if params.is_file() else None
    target = uri or (f"{settings.uri.rstrip('/')}/site" if settings and settings.uri else "")
    if not target:
        raise SiteError(f"{params}: lakehouse.uri is empty; pass s3://bucket/prefix")
    endpoint = (settings.endpoint_url if settings else "") or None
    region = (settings.region if settings else "") or None
    keys = put(SITE.data, target, endpoint, region)
    typer.echo(f"{len(keys)} snapshots uploaded to {target}")


@site_app.command("plots")
def plots(
    targets: Annotated[
        list[str] | None, typer.Argument(help="plot files or folders (default: every plot)")
    ] = None,
    out: Annotated[Path, typer.Option("--out", "-o", help="folder to write")] = Path("dvc_plots"),
) -> None:
    """`dvc plots show` that renders offline: Vega loads from OUT/vendor, not from a CDN."""
    from kdgat.site.plots import offline_plots

    page = offline_plots(SITE, out, targets)
    typer.echo(f"{page} (offline: Vega from {out / 'vendor'})")


@site_app.command("serve")
def serve(port: PortOption = 8000) -> None:
    """Serve site/dist on http://127.0.0.1:PORT/ until Ctrl-C."""
    from kdgat.site.build import serve as serve_dist

    serve_dist(SITE.dist, port)


def register(parent: typer.Typer, name: str) -> None:
    """Add ``kdgat site`` to the ``kdgat`` app."""
    parent.add_typer(site_app, name="site")
