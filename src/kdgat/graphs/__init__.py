"""Sliding-window graphs: construction, vocabulary, normalisation, the on-disk store, loading."""
