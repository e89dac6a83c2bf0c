"""DVC stage ``distill@<dataset>-<seed>``: see kdgat.pipeline.distill."""

from kdgat.pipeline.distill import main

if __name__ == "__main__":
    main()
