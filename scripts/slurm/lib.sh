# Shared by repro.sbatch, hpo.sbatch and submit.sh (sourced, never run).
# shellcheck shell=bash

say() { echo "[kdgat $(date +%H:%M:%S)] $*"; }

# The repository, the site settings, the modules and the Python environment.
kdgat_setup() {
  KDGAT_REPO=${KDGAT_REPO:-${SLURM_SUBMIT_DIR:-$PWD}}
  local site=${KDGAT_SITE_ENV:-$KDGAT_REPO/scripts/slurm/site.env}
  if [[ ! -f $site ]]; then
    echo "error: $site not found; fix: submit from the repository root or set KDGAT_SITE_ENV" >&2
    return 1
  fi
  set -a
  # shellcheck source=site.env
  source "$site"
  set +a
  if [[ -n ${KDGAT_MODULES:-} ]]; then
    set +u  # Lmod's scripts read unset variables
    # batch shells are not login shells: Lmod's `module` may need defining first
    type module &>/dev/null || source /etc/profile.d/lmod.sh 2>/dev/null || true
    # shellcheck disable=SC2086  # a list of module names
    module load $KDGAT_MODULES
    local loaded=$?
    set -u
    ((loaded == 0)) || return 1
  fi
  local venv=${KDGAT_VENV:-$KDGAT_REPO/.venv}
  # shellcheck disable=SC1091
  [[ -f $venv/bin/activate ]] && source "$venv/bin/activate"
  if ! command -v kdgat >/dev/null; then
    echo "error: kdgat is not installed in this environment; fix: set KDGAT_VENV or" \
      "KDGAT_MODULES in $site (README: On the cluster)" >&2
    return 1
  fi
  # torch starts a thread per core of the node; the job owns only its CPUs
  [[ -n ${SLURM_CPUS_PER_TASK:-} ]] && export OMP_NUM_THREADS=$SLURM_CPUS_PER_TASK
  export KDGAT_REPO
}

# Seconds until the job's time limit (a large number when there is none).
seconds_left() {
  local left
  left=$(squeue -h -j "${SLURM_JOB_ID:-0}" -o %L 2>/dev/null) || left=""
  [[ $left =~ ^(([0-9]+)-)?(([0-9]+):)?([0-9]+):([0-9]+)$ ]] || { echo 86400; return; }
  echo $(((10#${BASH_REMATCH[2]:-0} * 24 + 10#${BASH_REMATCH[4]:-0}) * 3600 \
    + 10#${BASH_REMATCH[5]} * 60 + 10#${BASH_REMATCH[6]}))
}

# run_forwarding_usr1 CMD...: run CMD in its own process group with USR1 ignored, so that
# DVC and the shells in between survive it and only the training (which installs its own
# handler: checkpoint, then exit) acts on it. When SLURM sends USR1 to this script
# (--signal=B:USR1@N), pass it on every second until CMD has stopped, and interrupt CMD
# (SIGINT: DVC cleans up its locks) when it has not stopped 30 s before the time limit.
# SIGTERM (scancel, a time limit without --signal) is passed on as it is.
# Sets USR1_RECEIVED=1 or TERM_RECEIVED=1 when that happened; returns CMD's status.
USR1_RECEIVED=0
TERM_RECEIVED=0
run_forwarding_usr1() {
  (trap '' USR1 && exec setsid "$@") &
  local child=$! status
  trap 'USR1_RECEIVED=1' USR1
  trap 'TERM_RECEIVED=1; kill -TERM -- "-$child" 2>/dev/null' TERM
  while true; do
    wait "$child"
    status=$?
    if ((USR1_RECEIVED && !TERM_RECEIVED)); then
      stop_group "$child"
      wait "$child"
      status=$?
      break
    fi
    kill -0 "$child" 2>/dev/null || break
  done
  trap - USR1
  return "$status"
}

stop_group() {
  local child=$1 left deadline
  left=$(seconds_left)
  deadline=$((SECONDS + (left > 60 ? left - 30 : left / 2)))
  say "USR1: time limit in ${left}s; asking the training to save a checkpoint and stop"
  while kill -0 "$child" 2>/dev/null; do
    if ((SECONDS >= deadline)); then
      say "still running 30 s before the limit: interrupting (the last epoch checkpoint stays)"
      kill -INT -- "-$child" 2>/dev/null
      return
    fi
    kill -USR1 -- "-$child" 2>/dev/null
    sleep 1
  done
}

# The default DVC remote of the current workspace, or nothing.
dvc_remote() { dvc config core.remote 2>/dev/null || true; }
