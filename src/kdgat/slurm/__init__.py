"""Running the pipeline on SLURM: job worktrees, `kdgat slurm submit`, `kdgat slurm status`.

Two `dvc repro` in one workspace collide on DVC's locks, so every job works in
its own git worktree on scratch, sharing the main workspace's DVC cache; the
main workspace then restores what the jobs built from DVC's run-cache
(scripts/slurm/repro.sbatch, DESIGN.md "Concurrency on a cluster").
"""
