"""DVC stage ``train_dqn@<dataset>-<seed>``: see kdgat.pipeline.train_dqn."""

from kdgat.pipeline.train_dqn import main

if __name__ == "__main__":
    main()
