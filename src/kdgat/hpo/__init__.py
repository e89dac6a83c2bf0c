"""Hyperparameter search with Optuna: `kdgat hpo run` and `kdgat hpo best`.

The search space lives in params.yaml (``hpo.space.<model>``: dotted params keys),
so a trial is simply params.yaml with a few values replaced, trained by the same
code as the pipeline's stage. Studies are stored in an Optuna journal file (safe
on NFS with many writers; an RDB URL works too), so one study can be shared by
the tasks of a SLURM job array (scripts/slurm/hpo.sbatch).
"""
