#!/usr/bin/env bash
# `kdgat slurm submit|hpo` with the site's environment (scripts/slurm/site.env: modules,
# virtualenv) loaded first, from any folder:
#
#   scripts/slurm/submit.sh                  # stale dataset chains as a job array, then collect
#   scripts/slurm/submit.sh train_gat --dry-run      # print the sbatch commands only
#   scripts/slurm/submit.sh hpo --study s1 --model gat --trials 32 --parallel 8
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
KDGAT_REPO=$PWD
# shellcheck source=lib.sh
source scripts/slurm/lib.sh
kdgat_setup
if [[ ${1:-} == hpo ]]; then
  shift
  exec kdgat slurm hpo "$@"
fi
exec kdgat slurm submit "$@"
