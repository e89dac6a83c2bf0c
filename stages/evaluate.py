"""DVC stage ``evaluate@<dataset>-<seed>``: see kdgat.pipeline.evaluate."""

from kdgat.pipeline.evaluate import main

if __name__ == "__main__":
    main()
