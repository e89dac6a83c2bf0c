"""The entry layer: one module per DVC stage, each a ``run()`` beside an I/O-only ``main()``.

A stage module loads params.yaml once, resolves every path through
``kdgat.layout``, calls library functions with plain values and writes the
stage's outputs. ``stages/<stage>.py`` (what dvc.yaml runs) calls ``main()``;
the ``kdgat`` command calls the same ``run()``. Nothing below this package
imports it, and nothing in it sees the command line beyond ``main()``.
"""
