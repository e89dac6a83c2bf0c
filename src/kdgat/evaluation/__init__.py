"""Per-scenario evaluation of every model with thresholds calibrated on validation."""
