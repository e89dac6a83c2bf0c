"""DVC stage ``window_baseline@<dataset>``: see ``kdgat window-baseline --help``."""

import sys

from kdgat.cli import run

if __name__ == "__main__":
    run(["window-baseline", *sys.argv[1:]])
