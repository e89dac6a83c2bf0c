"""DVC stage ``graphs@<dataset>``: validated Parquet -> windowed graph stores per split."""

import sys

from kdgat.cli import run

if __name__ == "__main__":
    run(["graphs", *sys.argv[1:]])
