"""DVC stage ``train_dqn@<dataset>``: see ``kdgat train-dqn --help``."""

import sys

from kdgat.cli import run

if __name__ == "__main__":
    run(["train-dqn", *sys.argv[1:]])
