"""DVC stage ``train_gat@<dataset>-<seed>``: see kdgat.pipeline.train_gat."""

from kdgat.pipeline.train_gat import main

if __name__ == "__main__":
    main()
