"""DVC stage ``fusion_state@<dataset>-<seed>``: see kdgat.pipeline.fusion_state."""

from kdgat.pipeline.fusion_state import main

if __name__ == "__main__":
    main()
