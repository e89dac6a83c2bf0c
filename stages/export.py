"""DVC stage ``export``: see kdgat.pipeline.export."""

from kdgat.pipeline.export import main

if __name__ == "__main__":
    main()
