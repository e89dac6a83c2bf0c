"""`kdgat remote ...`, `kdgat push|pull|doctor|cluster-config`: the DVC workspace commands.

Every command works on the DVC repository that holds the current folder.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from kdgat.errors import RemoteError
from kdgat.workspace.remote import Credentials

remote_app = typer.Typer(
    help="Set up DVC remotes: a local folder (default), Cloudflare R2, any S3 endpoint.",
    no_args_is_help=True,
)

NameOption = Annotated[str | None, typer.Option("--remote", "-r", help="remote (default: DVC's)")]
LocalOption = Annotated[
    bool, typer.Option("--local", help="write to .dvc/config.local (this clone only, untracked)")
]
KeyOption = Annotated[
    str | None,
    typer.Option(
        help="access key id to store (needs --local; or export AWS_ACCESS_KEY_ID)",
        envvar="KDGAT_ACCESS_KEY_ID",
    ),
]
SecretOption = Annotated[
    str | None,
    typer.Option(
        help="secret key to store; better: leave it out and type it at the prompt, or set "
        "KDGAT_SECRET_ACCESS_KEY (a flag is visible to other users in `ps`)",
        envvar="KDGAT_SECRET_ACCESS_KEY",
        show_envvar=False,
    ),
]
Targets = Annotated[list[str] | None, typer.Argument(help="stages or outputs (default: all)")]
Jobs = Annotated[int | None, typer.Option("--jobs", "-j", help="parallel transfers")]


def _root() -> Path:
    from kdgat.workspace.dvc import find_root

    return find_root(Path.cwd())


def _credentials(key: str | None, secret: str | None) -> Credentials | None:
    if key and secret is None and sys.stdin.isatty():
        secret = typer.prompt("secret access key", hide_input=True)
    if (key is None) != (secret is None):
        raise RemoteError(
            "give both the access key id and the secret key (the secret at the prompt, or "
            "in KDGAT_SECRET_ACCESS_KEY), or neither"
        )
    return Credentials(key, secret) if key and secret else None


@remote_app.command("local")
def remote_local(
    path: Annotated[str, typer.Option(help="folder (relative to the repo root, or absolute)")] = (
        "../kdgat-remote"
    ),
    name: Annotated[str, typer.Option(help="remote name")] = "local",
    default: Annotated[bool, typer.Option(help="make it the default remote")] = True,
    local: LocalOption = False,
) -> None:
    """A folder remote: no account needed; a USB disk or a shared file system works too."""
    from kdgat.workspace.remote import add_local

    folder = add_local(_root(), path, name, default=default, local=local)
    typer.echo(f"remote {name!r} -> {folder}" + (" (default)" if default else ""))


@remote_app.command("r2")
def remote_r2(
    account_id: Annotated[str, typer.Option(help="Cloudflare account id (32 hex digits)")],
    bucket: Annotated[str, typer.Option(help="R2 bucket")],
    prefix: Annotated[str, typer.Option(help="folder inside the bucket")] = "dvc",
    name: Annotated[str, typer.Option(help="remote name")] = "r2",
    default: Annotated[bool, typer.Option(help="make it the default remote")] = False,
    local: LocalOption = False,
    access_key_id: KeyOption = None,
    secret_access_key: SecretOption = None,
) -> None:
    """Cloudflare R2: s3://BUCKET/PREFIX at https://ACCOUNT.r2.cloudflarestorage.com."""
    from kdgat.workspace.remote import add_r2

    creds = _credentials(access_key_id, secret_access_key)
    written = add_r2(
        _root(), account_id, bucket, prefix, name=name, default=default, credentials=creds,
        local=local,
    )  # fmt: skip
    typer.echo(f"remote {name!r} written to {written}" + (" with credentials" if creds else ""))


@remote_app.command("s3")
def remote_s3(
    url: Annotated[str, typer.Option(help="s3://BUCKET/PREFIX")],
    endpoint_url: Annotated[str | None, typer.Option(help="S3-compatible endpoint")] = None,
    region: Annotated[str | None, typer.Option(help="region")] = None,
    name: Annotated[str, typer.Option(help="remote name")] = "s3",
    default: Annotated[bool, typer.Option(help="make it the default remote")] = False,
    local: LocalOption = False,
    access_key_id: KeyOption = None,
    secret_access_key: SecretOption = None,
) -> None:
    """Any S3-compatible store (AWS, MinIO, a local test server)."""
    from kdgat.workspace.remote import add_s3

    creds = _credentials(access_key_id, secret_access_key)
    written = add_s3(
        _root(), name, url, endpoint_url=endpoint_url, region=region, default=default,
        credentials=creds, local=local,
    )  # fmt: skip
    typer.echo(f"remote {name!r} written to {written}" + (" with credentials" if creds else ""))


@remote_app.command("check")
def remote_check(remote: NameOption = None) -> None:
    """Check that a remote answers and accepts the credentials (nothing is transferred)."""
    from kdgat.workspace.preflight import check

    checked = check(_root(), remote)
    typer.echo(f"remote {checked.name!r} ({checked.url}): reachable")


def push(targets: Targets = None, remote: NameOption = None, jobs: Jobs = None) -> None:
    """Upload outputs to the remote (`dvc push`, with the remote checked first)."""
    from kdgat.workspace.transfer import transfer

    typer.echo(transfer(_root(), "push", remote, targets or [], jobs))


def pull(
    targets: Targets = None,
    remote: NameOption = None,
    jobs: Jobs = None,
    force: Annotated[bool, typer.Option(help="overwrite outputs edited in the workspace")] = False,
) -> None:
    """Download outputs from the remote and check them out (`dvc pull`, remote checked first)."""
    from kdgat.workspace.transfer import transfer

    typer.echo(transfer(_root(), "pull", remote, targets or [], jobs, force))


def doctor(
    remote: NameOption = None,
    clean: Annotated[
        bool, typer.Option("--clean", help="remove the staging leftovers of killed runs")
    ] = False,
) -> None:
    """What the workspace, the local cache and the remote hold, and how to restore the rest."""
    from kdgat.io import remove_leftovers
    from kdgat.workspace.advice import render
    from kdgat.workspace.doctor import diagnose

    report = diagnose(_root(), remote)
    if clean and report.leftovers:
        for folder in sorted({p.parent for p in report.leftovers}):
            for path in remove_leftovers(folder):
                typer.echo(f"removed {path}")
        report = diagnose(_root(), remote)
    typer.echo(render(report))


def cluster_config(
    cache_dir: Annotated[Path, typer.Option(help="shared cache folder (project space)")],
    site_cache_dir: Annotated[
        Path | None, typer.Option(help="node-local folder for DVC's state databases")
    ] = None,
) -> None:
    """Share one DVC cache between jobs and clones on a cluster (writes .dvc/config.local)."""
    from kdgat.workspace.cluster import cluster_config as apply
    from kdgat.workspace.cluster import old_cache_files

    root = _root()
    for key, value in apply(root, cache_dir, site_cache_dir).items():
        typer.echo(f"{key} = {value}")
    left = old_cache_files(root, cache_dir)
    if left:
        typer.echo(
            f"{left} files stay in {root / '.dvc/cache'}; to keep them: "
            f"rsync -a {root / '.dvc/cache'}/ {cache_dir}/"
        )


def register(app: typer.Typer, name: str) -> None:
    """Add these commands (remote, push, pull, doctor, cluster-config) to the ``kdgat`` app."""
    app.add_typer(remote_app, name="remote")
    for command in (push, pull, doctor):
        app.command()(command)
    app.command("cluster-config")(cluster_config)
