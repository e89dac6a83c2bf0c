"""scripts/slurm/site.env read as the job scripts read it, and the sbatch options it makes."""

from __future__ import annotations

from pathlib import Path

import pytest

from kdgat.errors import SlurmError
from kdgat.slurm.site import read_site, sbatch_options

from ..conftest import REPO

SITE = REPO / "scripts/slurm/site.env"


def test_defaults_environment_overrides_and_computed_scratch(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for key in ("KDGAT_ACCOUNT", "KDGAT_SCRATCH", "SCRATCH", "KDGAT_GRES", "KDGAT_CPUS"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HOME", "/home/u")
    site = read_site(SITE)
    assert site["KDGAT_CPUS"] == "4"
    assert site["KDGAT_ACCOUNT"] == ""
    assert site["KDGAT_SCRATCH"] == "/home/u/scratch/kdgat"
    monkeypatch.setenv("KDGAT_ACCOUNT", "PAS1234")
    monkeypatch.setenv("KDGAT_GRES", "gpu:1")
    site = read_site(SITE)
    assert (site["KDGAT_ACCOUNT"], site["KDGAT_GRES"]) == ("PAS1234", "gpu:1")


def test_options_per_job_kind() -> None:
    site = {
        "KDGAT_ACCOUNT": "PAS1234",
        "KDGAT_PARTITION": "gpu",
        "KDGAT_COLLECT_PARTITION": "cpu",
        "KDGAT_GRES": "gpu:1",
        "KDGAT_CPUS": "4",
        "KDGAT_MEM": "",
        "KDGAT_TIME": "04:00:00",
        "KDGAT_COLLECT_TIME": "01:00:00",
        "KDGAT_HPO_TIME": "00:30:00",
        "KDGAT_SIGNAL_SECONDS": "300",
        "KDGAT_SBATCH_EXTRA": "--qos=debug --constraint='a b'",
    }
    assert sbatch_options(site, "chain") == [
        "--account=PAS1234",
        "--partition=gpu",
        "--gres=gpu:1",
        "--cpus-per-task=4",
        "--time=04:00:00",
        "--signal=B:USR1@300",
        "--qos=debug",
        "--constraint=a b",
    ]
    collect = sbatch_options(site, "collect")
    assert "--partition=cpu" in collect
    assert not any(o.startswith("--gres") for o in collect)
    assert "--time=00:30:00" in sbatch_options(site, "hpo")


def test_a_broken_site_file_names_itself(tmp_path: Path) -> None:
    with pytest.raises(SlurmError, match="site file not found"):
        read_site(tmp_path / "nope.env")
    bad = tmp_path / "site.env"
    bad.write_text('KDGAT_CPUS="4\n')
    with pytest.raises(SlurmError, match=f"{bad}: bash cannot source it"):
        read_site(bad)
    with pytest.raises(SlurmError, match="KDGAT_SBATCH_EXTRA"):
        sbatch_options({"KDGAT_SBATCH_EXTRA": "--qos='x"}, "chain")
