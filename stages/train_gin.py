"""DVC stage ``train_gin@<dataset>-<seed>``: see kdgat.pipeline.train_gin."""

from kdgat.pipeline.train_gin import main

if __name__ == "__main__":
    main()
