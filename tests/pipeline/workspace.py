"""Throwaway copies of the repository in which tests run the real `dvc` commands.

A test never runs DVC in the working tree itself (other runs and their locks
live there): it copies the files git would check out into a temporary folder,
shrinks params.yaml to tiny data and short training, commits, and runs DVC there.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypedDict

import yaml

if TYPE_CHECKING:
    from ..s3_server import S3Server

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


class SynthSize(TypedDict):
    """The size arguments of ``kdgat.data.synth.write_dataset`` (and params.yaml's synth)."""

    ecus: int
    duration_s: float
    attack_free_captures: int


# Small enough that a full two-dataset pipeline trains in about a minute on 2 CPU cores.
TINY_SYNTH: SynthSize = {"ecus": 4, "duration_s": 4.0, "attack_free_captures": 1}
TINY_TRAINING = {"epochs": 1, "batch_size": 32, "seeds": [42]}
SEED = 42  # the one training seed of a test workspace: stages train_gat@synth-42, ...
PER_DATASET = {"ingest", "graphs"}  # dvc.yaml's foreach stages; the rest are dataset x seed
# Sections other stages add; set only where params.yaml has them.
TINY_OPTIONAL = {
    "dqn.steps": 200,
    "dqn.epsilon_decay_steps": 100,
    "dqn.eval_every": 50,
    "baseline.max_iter": 20,
}

# A second dataset, fetched like a real one: simulated captures of other vehicles.
SECOND = "synth_b"
SECOND_SEED = 7
SECOND_TEST = {"known_vehicle_known_attack": ["dos"], "unknown_vehicle_unknown_attack": ["replay"]}


def env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The test's environment with the venv first on PATH (stage commands call `python`).

    Wide columns: DVC wraps tables at the terminal width, splitting long tmp paths.
    """
    path = f"{BIN}:{os.environ['PATH']}"
    return {**os.environ, "PATH": path, "COLUMNS": "250", **(extra or {})}


def run(
    cmd: list[str],
    cwd: Path,
    check: bool = True,
    extra_env: Mapping[str, str] | None = None,
    timeout: float = 600,
) -> subprocess.CompletedProcess[str]:
    """Run a command; on failure (with ``check``) raise with its whole output."""
    result = subprocess.run(
        cmd, cwd=cwd, env=env(extra_env), capture_output=True, text=True, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(cmd)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def ran_stages(output: str) -> set[str]:
    """Names of the stages a `dvc repro` / `dvc exp run` output says it ran."""
    return set(re.findall(r"Running stage '([^']+)'", output))


def copy_tracked(src: Path, dst: Path) -> None:
    """Copy what a clone of ``src`` would hold (tracked and unignored files) to ``dst``."""
    listed = run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], src).stdout
    for name in listed.splitlines():
        if (src / name).is_file():
            (dst / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src / name, dst / name)


def update_params(root: Path, updates: Mapping[str, Any], missing_ok: bool = False) -> None:
    """Set params.yaml keys; a dotted key ("gat.focal_gamma") reaches into a section.

    ``missing_ok``: skip keys whose section params.yaml does not have.
    """
    path = root / "params.yaml"
    params = yaml.safe_load(path.read_text())
    for key, value in updates.items():
        *sections, leaf = key.split(".")
        node = params
        for section in sections:
            if missing_ok and section not in node:
                break
            node = node[section]
        else:
            node[leaf] = value
    path.write_text(yaml.safe_dump(params, sort_keys=False))


def use_dataset(root: Path, name: str) -> None:
    """List a catalog dataset in params.yaml and fetch its raw files (what a user does)."""
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["datasets"].append(name)
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["kdgat", "fetch", name], root)


def catalog_second_synthetic(root: Path, source: Path) -> None:
    """Simulate dataset ``synth_b`` (other vehicles, seed 7) into ``source``; catalog it.

    Only the catalog: every ingest stage depends on data/catalog.yaml, so a catalog
    edit re-runs them all; listing the dataset in params.yaml later (``use_dataset``)
    touches no other dataset's stages.
    """
    from kdgat.data.synth import write_dataset

    write_dataset(
        source,
        seed=SECOND_SEED,
        train_attacks=["dos", "fuzzing"],
        test_scenarios=SECOND_TEST,
        **TINY_SYNTH,
    )
    catalog = root / "data/catalog.yaml"
    entries = yaml.safe_load(catalog.read_text())
    entries["datasets"][SECOND] = {
        "domain": "can",
        "format": "can_csv",
        "source": str(source),
        "train": ["train_0*__*.csv"],
        "test": {
            "known_vehicle_known_attack": ["test_01_*"],
            "unknown_vehicle_unknown_attack": ["test_04_*"],
        },
    }
    catalog.write_text(yaml.safe_dump(entries, sort_keys=False))


def add_real_sample(root: Path, sample: Path) -> None:
    """List the real set_01 sample (``sample``) and fetch it; the copy lives elsewhere."""
    catalog = root / "data/catalog.yaml"
    catalog.write_text(
        catalog.read_text().replace("../shared/data/can-train-and-test-set_01", str(sample))
    )
    params = yaml.safe_load((root / "params.yaml").read_text())
    params["datasets"].append("can_sample")
    (root / "params.yaml").write_text(yaml.safe_dump(params, sort_keys=False))
    run(["kdgat", "fetch", "can_sample"], root)


def tiny_can_csv(folder: Path, rows: int = 300) -> dict[str, Any]:
    """Two read-only captures in the can_csv layout (benign train, test with attacks) in
    ``folder``, like a shared data set; return their catalog entry."""
    folder.mkdir(parents=True)
    for name, every in (("train_01_attack_free__a.csv", 0), ("test_01_kvka__b.csv", 10)):
        lines = ["timestamp,arbitration_id,data_field,attack"]
        for i in range(rows):
            attack = int(bool(every) and i % every == 0)
            can_id = 0 if attack else 0x100 + i % 5
            lines.append(f"{i / 1000:.3f},{can_id:x},{i % 256:02x}00ff,{attack}")
        (folder / name).write_text("\n".join(lines) + "\n")
        (folder / name).chmod(0o444)
    return {
        "domain": "can",
        "format": "can_csv",
        "source": str(folder),
        "train": ["train_*"],
        "test": {"known_vehicle_known_attack": ["test_01_*"]},
    }


def catalog_dataset(root: Path, name: str, entry: Mapping[str, Any]) -> None:
    """Add ``entry`` to the workspace's catalog as dataset ``name``."""
    catalog = root / "data/catalog.yaml"
    entries = yaml.safe_load(catalog.read_text())
    entries["datasets"][name] = dict(entry)
    catalog.write_text(yaml.safe_dump(entries, sort_keys=False))


def add_s3_remote(root: Path, server: S3Server, name: str, *creds: str) -> str:
    """A bucket of its own on ``server`` as the default remote; ``creds``: --local keys."""
    bucket = server.new_bucket(name)
    local = ["--local", "--access-key-id", *creds[:1], "--secret-access-key", *creds[1:]]
    run(
        [
            "kdgat", "remote", "s3", "--url", f"s3://{bucket}/dvc", "--name", name, "--default",
            "--endpoint-url", server.endpoint_url, "--region", server.region,
            *(local if creds else []),
        ],
        root,
    )  # fmt: skip
    return bucket


def commit(root: Path, message: str = "copy") -> None:
    """Stage everything and commit (git identity given inline: CI has none)."""
    run(["git", "add", "-A"], root)
    run(["git", "-c", "user.email=t@t", "-c", "user.name=t", "commit", "-qm", message], root)


def make_workspace(root: Path, params: Mapping[str, Any] | None = None) -> Path:
    """A fresh git repository at ``root`` holding the project with tiny params, committed.

    Extra datasets are added by the caller (``catalog_second_synthetic`` and
    ``use_dataset``, ``add_real_sample``); ``commit`` again after.
    """
    root.mkdir(parents=True, exist_ok=True)
    copy_tracked(REPO, root)
    update_params(root, {**{f"synth.{k}": v for k, v in TINY_SYNTH.items()}, **TINY_TRAINING})
    update_params(root, TINY_OPTIONAL, missing_ok=True)
    update_params(root, params or {})
    run(["git", "init", "-q"], root)
    commit(root)
    return root


def clone_workspace(src: Path, dst: Path) -> Path:
    """An exact copy of a reproduced workspace: git, DVC cache, outputs, links and all.

    Cheaper than reproducing again; tests that change things work on a copy so the
    shared reproduced workspace stays as it was.
    """
    shutil.copytree(src, dst, symlinks=True)
    return dst


# Every dataset's chain in pipeline order, then the stages over all datasets.
CHAIN = [
    "ingest",
    "graphs",
    "train_vgae",
    "train_gat",
    "train_gin",
    "distill",
    "window_baseline",
    "fusion_state",
    "train_dqn",
    "evaluate",
]
FINAL = ["export", "figures"]


def at(stages: Iterable[str], dataset: str) -> list[str]:
    """``["ingest", "train_gat"]`` -> ``["ingest@synth", "train_gat@synth-42"]``."""
    return [named(stage, dataset) for stage in stages]


def named(stage: str, dataset: str) -> str:
    """The dvc.yaml name of ``stage`` for ``dataset`` (and the test seed, where it trains)."""
    return f"{stage}@{dataset}" if stage in PER_DATASET else f"{stage}@{dataset}-{SEED}"


def daily_target(root: Path) -> str:
    """The stage users rebuild every day: `train_dqn`, or `distill` until fusion exists."""
    return "train_dqn" if any(s.startswith("train_dqn@") for s in stages_of(root)) else "distill"


def stages_of(root: Path) -> set[str]:
    """Every stage name in the workspace's pipeline (foreach stages expanded)."""
    out = run(["dvc", "stage", "list", "--name-only"], root).stdout
    return set(out.split())


def expected(root: Path, names: Iterable[str]) -> set[str]:
    """Those of ``names`` that the pipeline has (stages still being built drop out)."""
    return set(names) & stages_of(root)


def cached_outputs(root: Path) -> list[str]:
    """Outputs in DVC's cache (not ``cache: false`` ones, which git keeps), as DVC lists them."""
    from dvc.repo import Repo

    with Repo(str(root)) as repo:
        return sorted(str(out) for out in repo.index.outs if out.use_cache)


def digests(root: Path) -> dict[str, str]:
    """sha256 of every file of every cached output, by path: "bytes identical" made testable."""
    found = {}
    for out in cached_outputs(root):
        for path in sorted([root / out, *(root / out).rglob("*")]):
            if path.is_file():
                found[str(path.relative_to(root))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def delete_cache_and_outputs(root: Path) -> None:
    """What a scratch purge and a `rm -rf` of the results leave: no cache, no outputs."""
    shutil.rmtree(root / ".dvc/cache", ignore_errors=True)
    for out in cached_outputs(root):
        if (root / out).is_dir():
            shutil.rmtree(root / out)
        else:
            (root / out).unlink(missing_ok=True)


def cache_snapshot(root: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime) of every file in the local cache, to prove a command left it alone."""
    cache = root / ".dvc/cache"
    return {
        str(p.relative_to(cache)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in cache.rglob("*")
        if p.is_file()
    }
