"""Malformed and hostile input, one table of classes per area (tests/malformed/cases.py)."""
