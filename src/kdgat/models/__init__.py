"""Graph models: plain ``nn.Module``s with int/float arguments and PyG tensor names.

``gat``: the supervised GATv2 window classifier (and the encoder it shares with the VGAE);
``vgae``: the one-class variational graph autoencoder whose reconstruction errors score
anomalies; ``sizes``: parameter counting.
"""
