"""Build the static results site (Observable Framework) and serve it on localhost.

install(SiteFiles())          # npm ci from site/package-lock.json, when it changed
build(SiteFiles())            # site/dist, with the snapshots copied into dist/data
serve(SiteFiles().dist)       # http://127.0.0.1:8000/
"""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

from filelock import FileLock

from kdgat.site import SiteError, SiteFiles

Runner = Callable[[list[str], Path], None]


def _run(command: list[str], cwd: Path) -> None:
    if shutil.which(command[0]) is None:
        raise SiteError(
            f"{command[0]}: not found; the site needs Node.js 18+ and npm "
            "(e.g. `apt-get install nodejs npm`, or https://nodejs.org)"
        )
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)
    if result.returncode:
        tail = (result.stdout + result.stderr).strip().splitlines()[-15:]
        raise SiteError(f"{cwd}: `{' '.join(command)}` failed:\n" + "\n".join(tail))


def install(site: SiteFiles, run: Runner = _run) -> bool:
    """``npm ci`` from the committed lockfile, unless node_modules already matches it.

    Returns whether it ran. The lockfile's hash is kept in node_modules, so a changed
    lockfile (a dependency bump) reinstalls and an unchanged one costs nothing.
    """
    if not site.lockfile.is_file():
        raise SiteError(f"{site.lockfile}: missing; the site's Node dependencies are pinned there")
    digest = hashlib.sha256(site.lockfile.read_bytes()).hexdigest()
    stamp = site.node_modules / ".kdgat-lockfile.sha256"
    # One npm ci at a time (test workers, a `make site` beside the tests): npm ci first
    # deletes node_modules, which another build may be reading.
    with FileLock(site.dir / ".npm-ci.lock"):
        if stamp.is_file() and stamp.read_text().strip() == digest:
            return False
        run(["npm", "ci", "--no-audit", "--no-fund"], site.dir)
        stamp.write_text(digest + "\n")
    return True


def build(site: SiteFiles, data_url: str = "", run: Runner = _run) -> Path:
    """Build ``site/dist`` from the pages and the snapshots in ``site/data``; returns dist.

    ``data_url``: where the pages fetch ``<table>.parquet`` from (a public bucket's URL);
    empty: the snapshots are copied into ``dist/data/`` and served beside the pages.
    """
    if not data_url and not (site.data / "leaderboard.parquet").is_file():
        raise SiteError(
            f"{site.data}: no snapshots; run `kdgat site build` (it writes them from the "
            "lakehouse), or pass a data URL"
        )
    site.config.write_text(json.dumps({"data_url": data_url.rstrip("/")}) + "\n")
    install(site, run)
    run(["npm", "run", "build"], site.dir)  # observable build: empties dist first
    if not data_url:
        target = site.dist / "data"
        target.mkdir(exist_ok=True)
        for path in sorted(site.data.glob("*.parquet")):
            shutil.copy2(path, target / path.name)
    return site.dist


def upload(
    data: Path, uri: str, endpoint_url: str | None = None, region: str | None = None
) -> list[str]:
    """Put the snapshots (``<table>.parquet``) under ``s3://bucket/prefix``; their keys.

    For a site that reads a public bucket (``kdgat site build --data-url``). The bucket
    needs public read and a CORS rule for the site's origin (README: the results site).
    """
    from kdgat.lakehouse import s3

    bucket, prefix = s3.parse_uri(uri)
    paths = sorted(data.glob("*.parquet"))
    if not paths:
        raise SiteError(f"{data}: no snapshots to upload; run `kdgat site build` first")
    client, keys = s3.client(endpoint_url, region), []
    for path in paths:
        key = f"{prefix}/{path.name}" if prefix else path.name
        client.put_object(Bucket=bucket, Key=key, Body=path.read_bytes(), ContentType=PARQUET_TYPE)
        keys.append(key)
    return keys


PARQUET_TYPE = "application/vnd.apache.parquet"


class _Handler(http.server.SimpleHTTPRequestHandler):
    """Static files with the types DuckDB-WASM needs (``application/wasm``), quietly."""

    extensions_map = {  # noqa: RUF012  (the base class's own mutable class attribute)
        **http.server.SimpleHTTPRequestHandler.extensions_map,
        ".wasm": "application/wasm",
        ".parquet": PARQUET_TYPE,
        ".js": "text/javascript",
    }

    def log_message(self, format: str, *args: Any) -> None:
        pass


def server(dist: Path, port: int = 0, host: str = "127.0.0.1") -> http.server.ThreadingHTTPServer:
    """A server of ``dist`` on ``host:port`` (0: a free port), not yet serving."""
    if not (dist / "index.html").is_file():
        raise SiteError(f"{dist}: no built site; run `make site` (or `kdgat site build`)")
    handler = functools.partial(_Handler, directory=str(dist))
    try:
        return http.server.ThreadingHTTPServer((host, port), handler)
    except OSError as err:
        raise SiteError(f"{host}:{port}: cannot serve the site ({err}); try --port") from None


def serve(dist: Path, port: int = 8000, host: str = "127.0.0.1") -> None:
    """Serve the built site until interrupted."""
    httpd = server(dist, port, host)
    print(f"serving {dist} at http://{host}:{httpd.server_address[1]}/ (Ctrl-C stops)")
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()
