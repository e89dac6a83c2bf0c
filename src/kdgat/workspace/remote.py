"""DVC remotes: a local folder by default, S3 / Cloudflare R2 for sharing.

Secrets never reach a tracked file: credentials are written only to
``.dvc/config.local`` (git-ignored by DVC) and only when asked (``local=True``);
otherwise DVC takes them from the environment (``AWS_ACCESS_KEY_ID`` /
``AWS_SECRET_ACCESS_KEY``) or an AWS profile. A remote that holds credentials
is written to config.local *whole* (url included): DVC validates config.local
against the config of every git revision it reads (`dvc data status`,
`dvc exp show`), and credentials for a remote that an older revision does not
define make those commands fail with "expected 'url'".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from kdgat.errors import RemoteError
from kdgat.workspace.dvc import CONFIG_FILES, Level, edit_config

LOCAL_NAME = "local"
LOCAL_PATH = "../kdgat-remote"  # beside the clone: no account, shared by clones side by side
R2_NAME = "r2"
R2_ENDPOINT = "https://{account_id}.r2.cloudflarestorage.com"


@dataclass(frozen=True)
class Credentials:
    """An access key pair; only ever written to .dvc/config.local."""

    access_key_id: str
    secret_access_key: str


def add_local(
    root: Path,
    path: str = LOCAL_PATH,
    name: str = LOCAL_NAME,
    default: bool = True,
    local: bool = False,
) -> str:
    """Add (or replace) a local-folder remote; return the folder it points at.

    Written to .dvc/config, or with ``local`` to .dvc/config.local (this clone only).

    A relative ``path`` is taken from the repository root, like every other path a user
    types there, and stored relative to ``.dvc/`` (DVC's convention), so the tracked
    config works in any clone; ``~`` is kept and expanded by DVC on each machine.
    """
    from dvc.config_schema import RelPath

    expanded = Path(path).expanduser()
    absolute = expanded if expanded.is_absolute() else (root / path).resolve()
    # DVC writes a RelPath relative to .dvc/; "~/..." and absolute paths are kept as typed.
    url = path if expanded != Path(path) or expanded.is_absolute() else RelPath(absolute)
    with edit_config(root, "local" if local else "repo") as conf:
        conf["remote"][name] = {"url": url}
        if default:
            conf["core"]["remote"] = name
    return str(absolute)


def r2_settings(account_id: str, bucket: str, prefix: str = "dvc") -> tuple[str, str]:
    """The ``(url, endpointurl)`` of an R2 bucket, after checking both names."""
    if not re.fullmatch(r"[0-9a-f]{32}", account_id):
        raise RemoteError(
            f"--account-id {account_id!r}: a Cloudflare account id is 32 hex digits; "
            "fix: copy it from the R2 overview page of the Cloudflare dashboard"
        )
    check_bucket(bucket)
    prefix = prefix.strip("/")
    url = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
    return url, R2_ENDPOINT.format(account_id=account_id)


def check_bucket(bucket: str) -> None:
    """S3 / R2 bucket naming rules: 3-63 of a-z, 0-9, '-', '.', starting with a letter/digit."""
    if not re.fullmatch(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]", bucket):
        raise RemoteError(
            f"--bucket {bucket!r}: bucket names are 3-63 lowercase letters, digits, '-' or '.'; "
            "fix: use the bucket's name exactly as the R2 / S3 console shows it"
        )


def add_s3(
    root: Path,
    name: str,
    url: str,
    *,
    endpoint_url: str | None = None,
    region: str | None = None,
    default: bool = False,
    credentials: Credentials | None = None,
    local: bool = False,
) -> Path:
    """Add (or replace) an S3-compatible remote; return the config file written.

    ``local`` writes the remote to .dvc/config.local (this clone only); credentials
    are refused without it, so they can never land in the tracked .dvc/config.
    """
    if not url.startswith("s3://"):
        raise RemoteError(f"remote url {url!r}: expected s3://BUCKET[/PREFIX]")
    check_bucket(url.removeprefix("s3://").split("/")[0])
    if credentials is not None and not local:
        raise RemoteError(
            "credentials are written only to .dvc/config.local, never to the tracked "
            ".dvc/config; fix: add --local, or leave the keys out and export "
            "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY"
        )
    section: dict[str, Any] = {"url": url}
    if endpoint_url:
        section["endpointurl"] = endpoint_url
    if region:
        section["region"] = region
    if credentials is not None:
        section["access_key_id"] = credentials.access_key_id
        section["secret_access_key"] = credentials.secret_access_key
    level: Level = "local" if local else "repo"
    with edit_config(root, level) as conf:
        conf["remote"][name] = section
        if default:
            conf["core"]["remote"] = name
    return root / CONFIG_FILES[level]


def add_r2(
    root: Path,
    account_id: str,
    bucket: str,
    prefix: str = "dvc",
    *,
    name: str = R2_NAME,
    default: bool = False,
    credentials: Credentials | None = None,
    local: bool = False,
) -> Path:
    """Add the Cloudflare R2 remote ``s3://BUCKET/PREFIX`` (region ``auto``)."""
    url, endpoint = r2_settings(account_id, bucket, prefix)
    return add_s3(
        root,
        name,
        url,
        endpoint_url=endpoint,
        region="auto",
        default=default,
        credentials=credentials,
        local=local,
    )
