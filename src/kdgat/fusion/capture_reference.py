"""Model outputs measured against what is usual for their own capture so far.

A VGAE trained on one vehicle finds every window of another vehicle anomalous.
On can_sample's unseen vehicle (test_04) its least anomalous benign window scores
six times the largest benign training score, so any fixed threshold flags every
window, although the scores still rank attacks first (AUROC 0.94). A detector
fitted to a new vehicle would be re-baselined on that vehicle. This is the online
form: each window is measured against the running ``q``-quantile of its capture's
windows up to and including it, in time order. It is causal (it never reads a
later window) and label-free. On the training vehicle the reference barely moves.

Why a low quantile and not the median: attacks come in dense bursts. In set_01's
training captures up to 79 % of the windows seen so far are attacks, which would
drag the median onto attack scores. The ``q``-quantile stays on benign windows
until more than ``1 - q`` of the history is attacks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

TINY = 1e-12  # floor before a log: errors can underflow to 0


def running_quantile(
    values: np.ndarray, capture: np.ndarray, start: np.ndarray, q: float
) -> np.ndarray:
    """Per window: the ``q``-quantile of its capture's values up to and including it.

    Windows are put in time order within each capture by ``start`` (the row of
    their first frame); the result is in the input's order.
    """
    order = np.lexsort((start, capture))  # by capture, then time (stable)
    out = np.empty(len(values), np.float64)
    for rows in np.split(order, np.flatnonzero(np.diff(capture[order])) + 1):
        history = pd.Series(values[rows], dtype=np.float64).expanding()
        out[rows] = history.quantile(q).to_numpy()
    return out


def relative(
    values: np.ndarray,
    capture: np.ndarray,
    start: np.ndarray,
    q: float | None,
    log: bool,
) -> np.ndarray:
    """``values`` (in log space when ``log``) minus the capture's running reference.

    Positive quantities (errors) are compared as ratios, in log space, because a
    new vehicle scales them; signed ones (latent statistics) as differences.
    ``q = None`` turns the reference off (only the log is taken).
    """
    v = np.log(np.maximum(values, TINY)) if log else np.asarray(values, np.float64)
    if q is None:
        return v
    return v - running_quantile(v, capture, start, q)
