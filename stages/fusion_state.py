"""DVC stage ``fusion_state@<dataset>``: see ``kdgat fusion-state --help``."""

import sys

from kdgat.cli import run

if __name__ == "__main__":
    run(["fusion-state", *sys.argv[1:]])
