"""notebooks/lakehouse.ipynb runs top to bottom against the S3 copy on the local moto server."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from kdgat.lakehouse.collect import collect
from kdgat.lakehouse.export import write_export
from kdgat.lakehouse.upload import upload_export
from kdgat.layout import Layout
from tests.s3_server import S3Server

from .workspace import REPO, TRAINING_SEED, write_dataset

pytestmark = pytest.mark.s3
NOTEBOOK = REPO / "notebooks" / "lakehouse.ipynb"


def test_notebook_runs_against_s3(
    tmp_path: Path, moto_s3: S3Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in moto_s3.env().items():
        monkeypatch.setenv(name, value)  # the kernel inherits them
    for seed, name in enumerate(["synth", "can_sample"]):
        write_dataset(tmp_path, name, seed=seed)
    rows = collect(
        Layout(tmp_path),
        {name: {} for name in ("synth", "can_sample")},
        "r1",
        {},
        seeds=[TRAINING_SEED],
    )
    write_export(rows, tmp_path / "lakehouse", "r1")
    uri = f"s3://{moto_s3.new_bucket('notebook')}/lakehouse"
    upload_export(tmp_path / "lakehouse", uri)
    monkeypatch.setenv("KDGAT_LAKEHOUSE", uri)

    notebook = nbformat.read(NOTEBOOK, as_version=4)
    client = NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(REPO)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error

    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 1 + 2  # F1 per scenario, then training curves of both datasets
    tables = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "fusion_dqn_small" in tables
    assert "known_vehicle_known_attack" in tables
