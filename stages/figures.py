"""DVC stage ``figures``: see kdgat.pipeline.figures."""

from kdgat.pipeline.figures import main

if __name__ == "__main__":
    main()
