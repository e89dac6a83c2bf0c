"""DVC stage ``window_baseline@<dataset>-<seed>``: see kdgat.pipeline.window_baseline."""

from kdgat.pipeline.window_baseline import main

if __name__ == "__main__":
    main()
