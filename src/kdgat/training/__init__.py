"""Training helpers: decision thresholds and metrics, the curriculum sampler, losses."""
