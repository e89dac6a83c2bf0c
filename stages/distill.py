"""DVC stage ``distill@<dataset>``: see kdgat.training.stages.distill."""

import sys

from kdgat.cli import run

if __name__ == "__main__":
    run(["distill", *sys.argv[1:]])
