"""DVC stage ``train_vgae@<dataset>-<seed>``: see kdgat.pipeline.train_vgae."""

from kdgat.pipeline.train_vgae import main

if __name__ == "__main__":
    main()
