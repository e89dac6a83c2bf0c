"""DVC stage ``ingest@<dataset>``: raw captures -> validated Parquet + ingest report."""

import sys

from kdgat.cli import run

if __name__ == "__main__":
    run(["ingest", *sys.argv[1:]])
