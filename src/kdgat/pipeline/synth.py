"""Stage ``synth``: simulate the default CAN dataset (a bus with attacks) as CSV captures."""

from __future__ import annotations

import argparse
from pathlib import Path

from kdgat import config
from kdgat.data.synth import write_dataset
from kdgat.io import replace_dir
from kdgat.layout import Layout
from kdgat.pipeline import entry

DATASET = "synth"


def run(p: config.Params, out: Path) -> int:
    """Write the simulated captures into ``out`` (replaced atomically); return how many."""
    with replace_dir(out, "raw") as tmp:
        files = write_dataset(tmp, seed=p.seed, **p.synth.model_dump())
    print(f"wrote {len(files)} captures to {out}")
    return len(files)


def main(argv: list[str] | None = None) -> None:
    """``python stages/synth.py [--params FILE]``: into ``data/raw/synth``."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--params", type=Path, default=config.PARAMS_FILE)
    args = parser.parse_args(argv)
    entry.guarded(lambda: run(config.load_params(args.params), Layout().raw(DATASET)), "synth")
