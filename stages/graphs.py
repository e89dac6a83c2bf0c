"""DVC stage ``graphs@<dataset>``: validated Parquet -> windowed graph stores per split."""

from kdgat.pipeline.graphs import main

if __name__ == "__main__":
    main()
