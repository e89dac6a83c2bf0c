"""What kdgat code imports: a module's closure inside ``src/kdgat``, and the package graph.

Read from the source (``ast``), so function-level (lazy) imports count: they are code
the module runs. ``python -m tests.imports`` prints the package graph and its floors;
``python -m tests.imports --deps STAGE`` the ``src/kdgat`` deps of a stage for dvc.yaml.
"""

from __future__ import annotations

import ast
import sys
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SRC = REPO / "src"

# Lowest first. A package may import from its own floor's packages or lower ones, never higher.
FLOORS: tuple[tuple[str, ...], ...] = (
    ("errors", "io", "progress", "layout", "revision", "timings"),
    ("config",),
    ("data",),
    ("graphs",),
    ("models", "evaluation"),
    ("training", "baselines", "fusion", "lakehouse", "report", "figures"),
    ("pipeline",),
    ("hpo", "workspace", "site"),
    ("slurm",),
    ("cli",),
)


def module_file(name: str) -> Path | None:
    """The file of module ``kdgat.x.y`` (a ``.py`` file or a package's ``__init__.py``)."""
    base = SRC.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def module_name(file: Path) -> str:
    parts = file.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported(file: Path) -> set[str]:
    """Names of the kdgat modules ``file`` imports (``from a import b``: ``a.b`` if a module)."""
    found: set[str] = set()
    package = (
        module_name(file) if file.name == "__init__.py" else module_name(file).rpartition(".")[0]
    )
    for node in ast.walk(ast.parse(file.read_text())):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "kdgat")
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative import
                base = ".".join(
                    [*package.split(".")[: len(package.split(".")) - node.level + 1], base]
                ).strip(".")
            if base.split(".")[0] != "kdgat":
                continue
            found.add(base)
            found.update(f"{base}.{a.name}" for a in node.names if module_file(f"{base}.{a.name}"))
    return found


def _with_parents(name: str) -> set[str]:
    """Importing ``a.b.c`` runs ``a/__init__``, ``a/b/__init__`` and ``a/b/c``."""
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts) + 1)}


@cache
def closure(name: str) -> frozenset[Path]:
    """Every kdgat file that importing module ``name`` may run (itself included)."""
    seen: set[str] = set()
    todo = sorted(_with_parents(name))
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        file = module_file(current)
        if file is not None:
            todo.extend(n for i in imported(file) for n in _with_parents(i) if n not in seen)
    return frozenset(f for f in map(module_file, seen) if f is not None)


def package_of(file: Path) -> str:
    """``graphs`` for ``src/kdgat/graphs/can.py``; ``cli`` for ``src/kdgat/cli.py``."""
    parts = file.relative_to(SRC / "kdgat").with_suffix("").parts
    return parts[0] if parts[0] != "__init__" else ""


def package_graph() -> dict[str, set[str]]:
    """Package -> the other kdgat packages its modules import directly."""
    graph: dict[str, set[str]] = {}
    for file in sorted((SRC / "kdgat").rglob("*.py")):
        source = package_of(file)
        if not source:
            continue
        targets = {package_of(f) for n in imported(file) if (f := module_file(n))}
        graph.setdefault(source, set()).update(t for t in targets if t and t != source)
    return graph


def stage_deps(stage: str) -> list[str]:
    """The ``src/kdgat`` deps dvc.yaml needs for ``kdgat.pipeline.<stage>``: whole folders
    where the stage runs all of one, single files elsewhere."""
    files = closure(f"kdgat.pipeline.{stage}")
    deps: list[Path] = []

    def walk(folder: Path) -> None:
        inside = set(folder.rglob("*.py"))
        if folder != SRC / "kdgat" and inside <= files:
            deps.append(folder)
            return
        deps.extend(sorted(p for p in folder.glob("*.py") if p in files))
        for sub in sorted(p for p in folder.iterdir() if p.is_dir()):
            if files & set(sub.rglob("*.py")):
                walk(sub)

    walk(SRC / "kdgat")
    return [str(p.relative_to(REPO)) for p in deps]


def floor(package: str) -> int:
    return next(i for i, names in enumerate(FLOORS) if package in names)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--deps"]:  # python -m tests.imports --deps STAGE: paste into dvc.yaml
        print("\n".join(f"- {d}" for d in stage_deps(sys.argv[2])))
        sys.exit()
    for package, targets in sorted(package_graph().items(), key=lambda kv: floor(kv[0])):
        print(f"{floor(package)} {package:<11} -> {', '.join(sorted(targets, key=floor)) or '-'}")
