"""A damaged ``last.ckpt`` (a full disk, a killed copy) is set aside and the run starts over."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch

from kdgat.training.run import _resume_point

FINGERPRINT = {"model": "vgae", "lr": 0.001}


def interrupted_run(folder: Path) -> Path:
    folder.mkdir(parents=True)
    folder.with_suffix(".json").write_text(json.dumps(FINGERPRINT, sort_keys=True))
    torch.save({"epoch": 3, "state_dict": {"w": torch.ones(1000)}}, folder / "last.ckpt")
    return folder / "last.ckpt"


def test_an_intact_checkpoint_is_resumed(tmp_path: Path) -> None:
    last = interrupted_run(tmp_path / "vgae_tiny")
    assert _resume_point(tmp_path / "vgae_tiny", FINGERPRINT) == str(last)


def test_a_truncated_checkpoint_is_set_aside_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    last = interrupted_run(tmp_path / "vgae_tiny")
    last.write_bytes(last.read_bytes()[: last.stat().st_size // 2])
    with caplog.at_level(logging.WARNING):
        assert _resume_point(tmp_path / "vgae_tiny", FINGERPRINT) is None
    assert "is damaged (cut short?)" in caplog.text
    assert (tmp_path / "vgae_tiny.damaged.ckpt").is_file()
    assert list((tmp_path / "vgae_tiny").iterdir()) == []  # a clean start
