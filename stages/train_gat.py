"""DVC stage ``train_gat@<dataset>``: see kdgat.training.stages.train_gat."""

import sys

from kdgat.cli import run

if __name__ == "__main__":
    run(["train-gat", *sys.argv[1:]])
