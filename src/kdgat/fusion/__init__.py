"""Fusing the VGAE and the GAT: per-window state, the DQN agent, and fusion baselines."""
