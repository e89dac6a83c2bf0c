"""The torch settings every stage runs under, and the cheap dvclive sync check."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from collections.abc import Iterator

import pytest
import torch

from kdgat.models.runtime import configure_torch
from kdgat.training.tracking import called_from_sync_point


@pytest.fixture
def restore_torch() -> Iterator[None]:
    threads, deterministic = torch.get_num_threads(), torch.are_deterministic_algorithms_enabled()
    yield
    torch.set_num_threads(threads)
    torch.use_deterministic_algorithms(deterministic)


@pytest.mark.usefixtures("restore_torch")
def test_a_thread_count_is_used_and_reported() -> None:
    used = configure_torch(1)
    assert used["threads"] == torch.get_num_threads() == 1
    assert used["deterministic"] is True
    assert torch.is_deterministic_algorithms_warn_only_enabled()


@pytest.mark.usefixtures("restore_torch")
def test_zero_threads_keeps_torchs_default() -> None:
    before = torch.get_num_threads()
    assert configure_torch(0)["threads"] == before


def test_negative_threads_are_refused() -> None:
    with pytest.raises(ValueError, match="threads"):
        configure_torch(-1)


def test_sync_points_are_found_by_the_callers_name() -> None:
    def update_train_epoch_metrics() -> bool:  # the name Lightning's logger connector uses
        return nested()

    def nested() -> bool:
        return called_from_sync_point()

    assert update_train_epoch_metrics()
    assert not nested()


def _capability(env: dict[str, str]) -> str:
    """The vector instructions ATen uses in a fresh process that imports kdgat, then torch."""
    code = "import kdgat, torch; print(torch.backends.cpu.get_cpu_capability())"
    environ = {k: v for k, v in os.environ.items() if k != "ATEN_CPU_CAPABILITY"} | env
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environ, check=True
    )
    return done.stdout.strip()


@pytest.mark.skipif(platform.machine().lower() not in {"x86_64", "amd64"}, reason="x86 only")
def test_importing_kdgat_pins_the_instruction_set_unless_the_environment_says_otherwise() -> None:
    assert _capability({}) == "AVX2"
    assert _capability({"ATEN_CPU_CAPABILITY": "default"}) == "DEFAULT"
