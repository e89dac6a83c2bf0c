#!/usr/bin/env bash
# Stop what scripts/ci/start_slurm.sh started, by pid file: jobs first (so no job process
# outlives the daemons), then slurmd, slurmctld and munged. Idempotent.
set -uo pipefail
RUN=/run/slurm

running() { [[ -r /proc/$1/status ]] && ! grep -q '^State:.*Z' "/proc/$1/status"; }

cancel_jobs() {
  [[ -s $RUN/slurmctld.pid ]] && running "$(cat $RUN/slurmctld.pid)" || return 0
  squeue -h -o %A 2>/dev/null | sort -u | xargs -r scancel 2>/dev/null
  for _ in $(seq 100); do
    [[ -z $(squeue -h -t R,CG 2>/dev/null) ]] && return 0
    sleep 0.1
  done
}

stop() {  # stop PIDFILE: TERM, up to 10 s to exit, then KILL
  [[ -s $1 ]] || return 0
  local pid
  pid=$(cat "$1")
  if running "$pid"; then
    kill -TERM "$pid"
    for _ in $(seq 100); do running "$pid" || break; sleep 0.1; done
    running "$pid" && kill -KILL "$pid"
  fi
  rm -f "$1"
}

cancel_jobs
for f in $RUN/slurmd.pid $RUN/slurmctld.pid /run/munge/munged.pid; do stop "$f"; done
echo "slurm stopped"
