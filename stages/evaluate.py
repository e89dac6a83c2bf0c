"""DVC stage ``evaluate@<dataset>``: see ``kdgat evaluate --help``."""

import sys

from kdgat.cli import run

if __name__ == "__main__":
    run(["evaluate", *sys.argv[1:]])
