"""DVC stage ``ingest@<dataset>``: see kdgat.pipeline.ingest."""

from kdgat.pipeline.ingest import main

if __name__ == "__main__":
    main()
