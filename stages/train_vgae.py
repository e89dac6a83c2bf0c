"""DVC stage ``train_vgae@<dataset>``: see kdgat.training.stages.train_vgae."""

import sys

from kdgat.cli import run

if __name__ == "__main__":
    run(["train-vgae", *sys.argv[1:]])
