"""Real local S3 servers for tests: ``moto_s3`` (in memory) and ``rclone_s3`` (folder-backed).

Both are session-scoped and started through ``scripts/ci/start_s3.sh`` on a free port, so a
test talks to the same server a user would start by hand. Registered in tests/conftest.py;
a test module that uses them marks itself ``pytestmark = pytest.mark.s3``.

    def test_push(moto_s3):
        bucket = moto_s3.new_bucket("remote")       # a fresh, uniquely named bucket
        subprocess.run([...], env=moto_s3.env())    # AWS_* variables for boto3 / dvc / s3fs
        with moto_s3.stopped():                     # "server down" inside the block
            ...
        rclone_s3.restart()                          # rclone keeps its objects across restarts

moto keeps objects in memory, so a restart empties it; rclone keeps them in ``data_dir``.
"""

from __future__ import annotations

import itertools
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts" / "ci"
_bucket_numbers = itertools.count()


@dataclass
class S3Server:
    """A running local S3 server and what a client needs to reach it."""

    kind: str  # "moto" or "rclone"
    state_dir: Path
    endpoint_url: str = ""
    access_key: str = ""
    secret_key: str = ""
    region: str = "us-east-1"
    extra_env: dict[str, str] = field(default_factory=dict)

    @property
    def data_dir(self) -> Path:
        """Where rclone stores objects (one folder per bucket); unused by moto."""
        return self.state_dir / "data"

    @property
    def running(self) -> bool:
        pid = self.state_dir / "pid"
        if not pid.is_file():
            return False
        stat = Path(f"/proc/{pid.read_text().strip()}/stat")
        return stat.is_file() and stat.read_text().split()[2] != "Z"

    def start(self) -> None:
        """Start the server (same port as before, if it ran already); no-op when running."""
        if self.running:
            return
        out = _script("start_s3.sh", self.kind, str(self.state_dir))
        env = dict(line.removeprefix("export ").split("=", 1) for line in out.splitlines())
        self.endpoint_url = env.pop("AWS_ENDPOINT_URL")
        self.access_key = env.pop("AWS_ACCESS_KEY_ID")
        self.secret_key = env.pop("AWS_SECRET_ACCESS_KEY")
        self.region = env.pop("AWS_DEFAULT_REGION")
        self.extra_env = env  # rclone: the checksum settings botocore needs

    def stop(self) -> None:
        """Stop the server; clients then get connection errors. Data (rclone) stays."""
        _script("stop_s3.sh", str(self.state_dir))

    def restart(self) -> None:
        self.stop()
        self.start()

    @contextmanager
    def stopped(self) -> Iterator[None]:
        """The server is down inside the block and running again after it."""
        self.stop()
        try:
            yield
        finally:
            self.start()

    def env(self) -> dict[str, str]:
        """The AWS_* variables for a subprocess (boto3, s3fs, dvc) to reach this server."""
        return {
            "AWS_ENDPOINT_URL": self.endpoint_url,
            "AWS_ACCESS_KEY_ID": self.access_key,
            "AWS_SECRET_ACCESS_KEY": self.secret_key,
            "AWS_DEFAULT_REGION": self.region,
            **self.extra_env,
        }

    def client(self) -> Any:
        """A boto3 S3 client for this server (fails fast: no retries)."""
        import boto3
        from botocore.config import Config

        settings = {k.removeprefix("AWS_").lower(): v for k, v in self.extra_env.items()}
        return boto3.client(
            "s3",
            endpoint_url=self.endpoint_url,
            aws_access_key_id=self.access_key,
            aws_secret_access_key=self.secret_key,
            region_name=self.region,
            config=Config(retries={"max_attempts": 1}, **settings),
        )

    def new_bucket(self, prefix: str = "test") -> str:
        """Create an empty bucket with a name no other test of this session uses."""
        name = f"{prefix}-{os.getpid()}-{next(_bucket_numbers)}".lower()
        self.client().create_bucket(Bucket=name)
        return name


def _script(name: str, *args: str) -> str:
    result = subprocess.run(
        [str(SCRIPTS / name), *args], capture_output=True, text=True, timeout=60
    )
    if result.returncode != 0:
        pytest.fail(f"scripts/ci/{name} {' '.join(args)} failed:\n{result.stderr}")
    return result.stdout


def _serve(kind: str, factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = S3Server(kind, factory.mktemp(f"{kind}_s3"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def moto_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """moto_server on a free port: in memory, any credentials accepted."""
    yield from _serve("moto", tmp_path_factory)


@pytest.fixture(scope="session")
def rclone_s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """``rclone serve s3`` over a folder: checks keys, keeps objects across restarts."""
    yield from _serve("rclone", tmp_path_factory)
