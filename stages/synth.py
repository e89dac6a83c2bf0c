"""DVC stage ``synth``: see kdgat.pipeline.synth."""

from kdgat.pipeline.synth import main

if __name__ == "__main__":
    main()
