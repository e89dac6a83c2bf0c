"""The house rules: true DVC deps, no upward import, no package cycle.

The twin of the params test: dvc.yaml must name every file of ``src/kdgat`` that a
stage's code can run, or editing that file would leave stale results that
``dvc repro`` calls up to date.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from .imports import (
    FLOORS,
    REPO,
    SRC,
    closure,
    floor,
    imported,
    module_name,
    package_graph,
    stage_deps,
)

DVC = yaml.safe_load((REPO / "dvc.yaml").read_text())["stages"]


def _deps(stage: dict) -> list[str]:
    body = stage.get("do", stage)
    return [re.sub(r"\$\{item(\.\w+)?\}", "x", d) for d in body.get("deps", [])]


def _entry_module(stage: dict) -> str:
    """The module a stage runs: ``python stages/<name>.py`` -> ``kdgat.pipeline.<name>``."""
    script = REPO / stage.get("do", stage)["cmd"].split()[1]
    source = script.read_text()
    assert "from kdgat.pipeline." in source, f"{script}: a stage script calls kdgat.pipeline"
    return source.split("from ")[1].split(" import")[0]


@pytest.mark.parametrize("name", sorted(DVC))
def test_every_file_a_stage_runs_is_a_dep(name: str) -> None:
    deps = [REPO / d for d in _deps(DVC[name])]
    missing = [
        str(f.relative_to(REPO))
        for f in sorted(closure(_entry_module(DVC[name])))
        if not any(f == d or d in f.parents for d in deps)
    ]
    assert not missing, f"dvc.yaml stage {name} runs but does not depend on: {missing}"


@pytest.mark.parametrize("name", sorted(DVC))
def test_a_stage_depends_on_no_code_it_never_runs(name: str) -> None:
    """Extra deps re-run a stage (a training) for edits that cannot change its outputs."""
    runs = closure(_entry_module(DVC[name]))
    code = [REPO / d for d in _deps(DVC[name]) if d.startswith("src/")]
    unused = [
        str(d.relative_to(REPO)) for d in code if not any(d == f or d in f.parents for f in runs)
    ]
    assert not unused, f"dvc.yaml stage {name} depends on code it never imports: {unused}"


def test_stage_deps_helper_prints_what_the_test_expects() -> None:
    assert "src/kdgat/pipeline/graphs.py" in stage_deps("graphs")


def test_every_package_has_a_floor() -> None:
    placed = {name for names in FLOORS for name in names}
    assert set(package_graph()) <= placed


def test_no_import_goes_up_a_floor() -> None:
    upward = [
        f"{source} (floor {floor(source)}) -> {target} (floor {floor(target)})"
        for source, targets in package_graph().items()
        for target in targets
        if floor(target) > floor(source)
    ]
    assert not upward, upward


def test_no_package_cycle() -> None:
    graph = package_graph()

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(
            t == goal or (t not in seen and reaches(t, goal, seen | {t}))
            for t in graph.get(start, ())
        )

    cycles = sorted(p for p in graph if reaches(p, p, {p}))
    assert not cycles, f"packages in an import cycle: {cycles}"


def test_the_library_never_sees_params_or_the_entry_layer() -> None:
    """Below the entry layer, code takes plain values: no Pydantic params, no stage module."""
    library = ("graphs", "models", "evaluation", "training", "baselines", "fusion", "report")
    offenders = [
        f"{module_name(file)} imports {name}"
        for package in library
        for file in sorted((SRC / "kdgat" / package).rglob("*.py"))
        for name in sorted(imported(file))
        if name == "kdgat.config" or name.startswith("kdgat.pipeline")
    ]
    assert not offenders, offenders


def test_closure_follows_lazy_and_relative_imports(tmp_path: Path) -> None:
    files = closure("kdgat.cli")
    assert SRC / "kdgat" / "pipeline" / "entry.py" in files  # imported inside a function
    assert SRC / "kdgat" / "__init__.py" in files
