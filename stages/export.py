"""DVC stage ``export``: every dataset's results -> lakehouse/ (Parquet) -> lakehouse.uri."""

import sys

from kdgat.cli import run

if __name__ == "__main__":
    run(["export", *sys.argv[1:]])
