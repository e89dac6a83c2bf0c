"""The daily DVC loop, timed: a no-op `dvc repro train_dqn`, push and pull; prints JSON.

Works on a copy of this repository in a temporary folder (never on the
repository itself): its tracked files, its DVC cache (hard links where the file
system allows) and so the outputs its dvc.lock records. If anything is stale
there, `dvc repro train_dqn` first brings the copy up to date (``setup``).

- ``noop_repro_s``: `dvc repro train_dqn` with nothing to do (median of
  ``REPEATS``; target: under 2 s), ``status_s`` likewise for `dvc status`;
- ``push_s`` / ``pull_s``: every output of this revision (``files``, ``mbytes``)
  to an empty remote and back into an empty cache and workspace, through a local
  folder and through ``moto_server`` (S3 protocol, started with scripts/ci/start_s3.sh).

Run: ``python benchmarks/pipeline.py`` (``--target distill`` before fusion exists).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
REPEATS = 5


def sh(cmd: list[str], cwd: Path, env: dict[str, str] | None = None, check: bool = True) -> str:
    """Run a command with the venv on PATH; stop with its output if it fails."""
    full_env = {**os.environ, "PATH": f"{BIN}:{os.environ['PATH']}", **(env or {})}
    done = subprocess.run(cmd, cwd=cwd, env=full_env, capture_output=True, text=True)
    if check and done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def timed(action: Callable[[], Any]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def link_tree(src: Path, dst: Path) -> None:
    """Hard-link (else copy) every file of ``src`` into ``dst``: a cache costs no space."""
    for path in src.rglob("*"):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.link(path, target)
        except OSError:
            shutil.copy2(path, target)


def copy_repo(dst: Path) -> Path:
    """Tracked files, a git repository, the cache and the outputs of the repository's lock."""
    listed = sh(["git", "ls-files", "--cached", "--others", "--exclude-standard"], REPO)
    for name in listed.splitlines():
        if (REPO / name).is_file():
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dst / name)
    link_tree(REPO / ".dvc/cache", dst / ".dvc/cache")
    sh(["git", "init", "-q"], dst)
    sh(["git", "add", "-A"], dst)
    sh(["git", "-c", "user.email=b@b", "-c", "user.name=b", "commit", "-qm", "bench"], dst)
    sh(["dvc", "checkout", "--quiet"], dst, check=False)  # what the cache lacks, repro makes
    return dst


def outputs(root: Path) -> list[Path]:
    """The outputs DVC caches (``cache: false`` ones stay: git has them)."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        return [root / str(out) for out in repo.index.outs if out.use_cache]


def round_trip(root: Path, remote: str, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Push everything to ``remote``, wipe cache and outputs, pull; times and volume."""
    push_s = timed(lambda: sh(["dvc", "push", "-r", remote], root, env))
    sizes = [p.stat().st_size for p in (root / ".dvc/cache/files").rglob("*") if p.is_file()]
    shutil.rmtree(root / ".dvc/cache")
    for out in outputs(root):
        if out.is_dir():
            shutil.rmtree(out)
        else:
            out.unlink(missing_ok=True)
    pull_s = timed(lambda: sh(["dvc", "pull", "-r", remote], root, env))
    return {
        "push_s": round(push_s, 2),
        "pull_s": round(pull_s, 2),
        "files": len(sizes),
        "mbytes": round(sum(sizes) / 1e6, 1),
    }


def s3_round_trip(root: Path, state: Path) -> dict[str, Any]:
    """The same through moto_server (the S3 protocol, in memory on this machine)."""
    started = sh([str(REPO / "scripts/ci/start_s3.sh"), "moto", str(state)], REPO)
    env = dict(line.removeprefix("export ").split("=", 1) for line in started.splitlines())
    try:
        import boto3

        session = boto3.session.Session(
            aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
            region_name=env["AWS_DEFAULT_REGION"],
        )
        session.client("s3", endpoint_url=env["AWS_ENDPOINT_URL"]).create_bucket(Bucket="bench")
        url = ["--url", "s3://bench/dvc", "--endpoint-url", env["AWS_ENDPOINT_URL"]]
        sh(["kdgat", "remote", "s3", *url, "--name", "moto"], root)
        return round_trip(root, "moto", env)
    finally:
        sh([str(REPO / "scripts/ci/stop_s3.sh"), str(state)], REPO)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--target", default="train_dqn", help="stage of the daily repro")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kdgat-bench-") as tmp:
        root = copy_repo(Path(tmp) / "repo")
        setup: list[str] = []
        setup_s = timed(lambda: setup.append(sh(["dvc", "repro", args.target], root)))
        sh(["dvc", "gc", "--workspace", "--force"], root)  # the copy's cache: this revision only
        stale = sh(["dvc", "repro", args.target], root)
        assert "Running stage" not in stale, "the second repro ran stages"
        noop = [timed(lambda: sh(["dvc", "repro", args.target], root)) for _ in range(REPEATS)]
        status = [timed(lambda: sh(["dvc", "status"], root)) for _ in range(REPEATS)]
        folder = str(Path(tmp) / "remote")
        sh(["kdgat", "remote", "local", "--path", folder, "--name", "bench", "--no-default"], root)
        result = {
            "benchmark": "pipeline",
            "target": args.target,
            "setup_s": round(setup_s, 1),
            "setup_stages_run": setup[0].count("Running stage"),
            "noop_repro_s": round(statistics.median(noop), 2),
            "noop_repro_min_s": round(min(noop), 2),
            "status_s": round(statistics.median(status), 2),
            "local_folder": round_trip(root, "bench"),
            "moto_s3": s3_round_trip(root, Path(tmp) / "moto"),
        }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
