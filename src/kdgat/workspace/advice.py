"""What `kdgat doctor` tells the user: the state table and the commands that fix it."""

from __future__ import annotations

from collections.abc import Sequence

from kdgat.workspace.doctor import Output, Report

SHOWN = 6  # outputs named per line of advice; the table lists them all


def advise(report: Report) -> list[str]:
    """The commands that bring workspace, cache and remote back in line, in order."""
    outs = report.outputs
    remote = report.remote.name if report.remote else "the remote"
    lines: list[str] = []
    if report.remote_problem:
        lines.append(report.remote_problem)
    if report.leftovers:
        lines.append(
            f"{len(report.leftovers)} staging folders or files of killed runs "
            f"({', '.join(str(p.relative_to(report.root)) for p in report.leftovers)}): "
            "`kdgat doctor --clean` removes them"
        )
    if outs and sum(not o.cached for o in outs) == len(outs):
        lines.append(
            f"the local cache {report.cache_dir} holds none of the {len(outs)} outputs: "
            "it was purged or moved (scratch clean-up?) — do NOT run `dvc repro` first, it "
            "would re-run every stage"
        )
    recache = [o for o in outs if not o.cached and o.workspace == "ok"]
    if recache:
        lines.append(
            f"`dvc commit --force {_stages(recache)}` puts {len(recache)} intact workspace "
            f"outputs back into the cache in seconds ({_names(recache)})"
        )
    missing = [o for o in outs if o.cached and o.workspace == "missing"]
    if missing:
        lines.append(f"`dvc checkout` restores {len(missing)} outputs: {_names(missing)}")
    edited = [o for o in outs if o.workspace == "modified"]
    if edited:
        lines.append(
            f"{len(edited)} outputs differ from dvc.lock ({_names(edited)}): `dvc checkout "
            f"--force` discards the changes, `dvc commit {_stages(edited)}` keeps them"
        )
    pull = [o for o in outs if not o.cached and o.workspace == "missing" and o.remote == "yes"]
    if pull:
        lines.append(
            f"`kdgat pull` (dvc pull) restores {len(pull)} outputs from {remote}: {_names(pull)}"
        )
    unknown = [o for o in outs if not o.cached and o.workspace != "ok" and o.remote == "unknown"]
    if unknown:
        lines.append(
            f"{len(unknown)} outputs are in neither workspace nor cache ({_names(unknown)}): "
            f"once {remote} answers, `kdgat pull` restores what it holds; `dvc repro` the rest"
        )
    lines += _rebuild(report, [o for o in outs if not o.cached and o.remote == "no"])
    push = [o for o in outs if o.cached and o.remote == "no"]
    if push:
        lines.append(
            f"`kdgat push` backs up {len(push)} outputs that {remote} lacks: {_names(push)}"
        )
    return lines or [
        f"nothing to do: workspace, cache and {remote} agree"
        + (" (remote not checked)" if report.remote_problem else "")
    ]


def _rebuild(report: Report, lost: Sequence[Output]) -> list[str]:
    lines = [
        f"{path} is missing and no stage makes it: bring it back (a dataset: `kdgat fetch "
        f"{path.rstrip('/').split('/')[-1]}`)"
        for path in report.missing_inputs
    ]
    lost = [o for o in lost if o.workspace != "ok"]
    if lost:
        lines.append(
            f"`dvc repro` rebuilds {_stages(lost)} (and what depends on it): "
            f"{_names(lost)} are neither in the cache nor on the remote"
        )
    if report.stale:
        why = ", ".join(f"{stage} ({reason})" for stage, reason in sorted(report.stale.items()))
        lines.append(f"`dvc repro` re-runs the stages whose code, params or inputs changed: {why}")
    return lines


def _names(outs: Sequence[Output]) -> str:
    names = [o.path for o in outs]
    more = f" and {len(names) - SHOWN} more" if len(names) > SHOWN else ""
    return ", ".join(names[:SHOWN]) + more


def _stages(outs: Sequence[Output]) -> str:
    return " ".join(sorted({o.stage for o in outs}))


def _size(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.1f} {unit}" if unit != "B" else f"{int(n)} B"
        n /= 1024
    return f"{n:.1f} TB"


def render(report: Report) -> str:
    """The report as text: where things are, then what to do."""
    remote = report.remote
    where = f"{remote.name}: {remote.url}" if remote else "none configured"
    state = "unreachable or refused" if report.remote_problem else "reachable"
    head = [
        f"workspace  {report.root}",
        f"cache      {report.cache_dir}  ({report.cache_files} files, {_size(report.cache_bytes)})",
        f"remote     {where}" + (f"  ({state})" if remote else ""),
        "",
    ]
    width = max((len(o.path) for o in report.outputs), default=6)
    table = [f"{'output':<{width}}  {'stage':<22} workspace  cache  remote"]
    table += [
        f"{o.path:<{width}}  {o.stage:<22} {o.workspace:<9}  {'yes' if o.cached else 'no':<5}  "
        f"{o.remote}"
        for o in report.outputs
    ]
    todo = ["", "what to do:", *(f"  - {line}" for line in advise(report))]
    return "\n".join(head + table + todo)
