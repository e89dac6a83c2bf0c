"""DVC stage ``synth``: simulate the default CAN dataset into data/raw/synth."""

from kdgat.cli import run

if __name__ == "__main__":
    run(["synth"])
