"""Stage ``export`` under real DVC, in a throwaway repository holding pipeline outputs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from kdgat.lakehouse.query import connect

from .workspace import MODELS, REPO, make_repo, retrain

pytestmark = pytest.mark.slow

# The stage as proposed for dvc.yaml (the real one is used once dvc.yaml has it).
PROPOSED = {
    "cmd": "python stages/export.py",
    "deps": [
        "stages/export.py",
        "src/kdgat/lakehouse",
        "data/catalog.yaml",
        "metrics",
        "models",
        "dvclive",
    ],
    "params": [
        "datasets",
        "lakehouse.uri",
        "lakehouse.endpoint_url",
        "lakehouse.region",
    ],
    "outs": ["lakehouse"],
}


def dvc(root: Path, *args: str) -> str:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    result = subprocess.run(
        ["dvc", *args], cwd=root, capture_output=True, text=True, timeout=300, env=env
    )
    assert result.returncode == 0, f"dvc {' '.join(args)}:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def test_export_stage_runs_once_and_again_only_when_a_result_changes(tmp_path: Path) -> None:
    root = make_repo(tmp_path / "repo", ["synth", "can_sample"])
    stages = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]
    stage = stages.get("export", PROPOSED)
    for rel in stage["deps"]:  # the code the stage depends on: the outputs are already there
        source, target = REPO / rel, root / rel
        if not rel.startswith(("stages/", "src/")):
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy2(source, target)
    (root / "dvc.yaml").write_text(yaml.safe_dump({"stages": {"export": stage}}, sort_keys=False))
    for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-qm", "outputs"]):
        subprocess.run(
            ["git", "-c", "user.email=t@t", "-c", "user.name=t", *cmd], cwd=root, check=True
        )
    dvc(root, "init", "-q")

    assert "Running stage 'export'" in dvc(root, "repro", "export")
    assert connect(root / "lakehouse").execute("select count(*) from runs").fetchone() == (
        2 * len(MODELS),
    )
    assert "Running stage 'export'" not in dvc(root, "repro", "export")
    retrain(root, "synth", "gat_small", lr=0.3)
    assert "Running stage 'export'" in dvc(root, "repro", "export")
    con = connect(root / "lakehouse")
    assert con.execute("select count(*) from runs").fetchone() == (2 * len(MODELS),)
    assert "up to date" in dvc(root, "status", "export").lower()
