"""One module per figure family; each ``figure(frames, dataset)`` returns one Figure.

A family with nothing to draw for a dataset raises ``Skip`` with the reason, which the
writer logs in one line: no figure is ever written empty.
"""
