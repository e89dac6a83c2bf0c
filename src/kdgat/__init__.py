"""kdgat: graph-based intrusion detection for CAN buses and network flows."""

__version__ = "0.1.0"
