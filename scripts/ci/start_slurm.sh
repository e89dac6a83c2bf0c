#!/usr/bin/env bash
# Start a real single-node SLURM cluster for the tests (Debian's slurmctld, slurmd, munge),
# as root and without systemd. Idempotent: installs what is missing, rewrites slurm.conf,
# restarts only the daemons whose configuration changed, and returns once the node takes jobs
# (about 6 s on a bare machine, 1 s when already installed).
#
#   scripts/ci/start_slurm.sh            # stop it again with scripts/ci/stop_slurm.sh
#
# Environment:
#   SLURM_CPUS=N   advertise N CPUs (may exceed the real cores, to test `--array=...%K` throttles)
#   SLURM_RESET=1  forget old jobs on a (re)start of slurmctld: job ids start from 1 again
#
# Pitfalls this script works around (each one was met on this machine):
#   - every client command, even `sinfo -V`, fails until /etc/slurm/slurm.conf exists;
#   - the `slurm-wlm` metapackage pulls ~40 packages: install the daemons --no-install-recommends;
#   - package scripts try to start services: a temporary policy-rc.d (exit 101) stops them;
#   - munge without systemd needs /run/munge and must run as user munge;
#   - without batch_sched_delay=0 every job waits ~3 s before it is scheduled;
#   - without kill_invalid_depend a job `afterok` on a failed job stays PENDING forever
#     (it must go in DependencyParameters: SchedulerParameters ignores it in 22.05);
#   - advertising more CPUs than exist drains the node unless SlurmdParameters=config_overrides;
#   - `kill -0` says a zombie is alive: liveness is read from /proc/PID/status;
#   - a requeued job waits cred_expire seconds (default 120) before it may start again:
#     AuthInfo=cred_expire=5 keeps the requeue test short;
#   - no slurmdbd here, so no `sacct`: finished jobs stay in `scontrol show job` (MinJobAge).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
CONF=/etc/slurm/slurm.conf
RUN=/run/slurm

if [[ $(id -u) != 0 ]]; then
  echo "error: $0 runs the SLURM daemons as root; fix: run it as root (CI containers do)" >&2
  exit 1
fi

install_packages() {  # only when a daemon is missing; services must not start from postinst
  local b missing=0
  for b in slurmctld slurmd sbatch munged; do command -v "$b" >/dev/null || missing=1; done
  [[ $missing == 0 ]] && return
  local policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
    policy=1
  fi
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
  [[ $policy == 1 ]] && rm -f /usr/sbin/policy-rc.d
  return 0
}

running() { [[ -r /proc/$1/status ]] && ! grep -q '^State:.*Z' "/proc/$1/status"; }
alive() { [[ -s $1 ]] && running "$(cat "$1")"; }
retry() { for _ in $(seq 100); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; "$@"; }

start_munge() {
  [[ -s /etc/munge/munge.key ]] || mungekey --create
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
  install -d -o munge -g munge -m 755 /run/munge
  install -d -o munge -g munge -m 700 /var/log/munge /var/lib/munge
  if ! alive /run/munge/munged.pid; then
    rm -f /run/munge/munge.socket.2*
    runuser -u munge -- munged
  fi
  retry sh -c 'munge -n | unmunge'
}

slurm_conf() {  # the whole file on stdout; the node line comes from the hardware (slurmd -C)
  local host node extra=""
  host=$(hostname -s)
  node=$(slurmd -C | head -1)
  if [[ -n ${SLURM_CPUS:-} ]]; then
    node="NodeName=$host CPUs=$SLURM_CPUS $(grep -o 'RealMemory=[0-9]*' <<<"$node")"
    extra="SlurmdParameters=config_overrides"
  fi
  cat <<EOF
ClusterName=kdgat-ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=cred_expire=5
CredType=cred/munge
MpiDefault=none
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,sched_interval=2,bf_interval=2
DependencyParameters=kill_invalid_depend
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/jobcomp.log
JobRequeue=1
ReturnToService=2
MinJobAge=3600
KillWait=5
MailProg=/bin/true
StateSaveLocation=/var/spool/slurmctld
SlurmdSpoolDir=/var/spool/slurmd
SlurmctldPidFile=$RUN/slurmctld.pid
SlurmdPidFile=$RUN/slurmd.pid
SlurmctldLogFile=/var/log/slurm/slurmctld.log
SlurmdLogFile=/var/log/slurm/slurmd.log
$extra
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
}

write_conf() {  # a changed file restarts the daemons that read the old one
  local new
  install -d /etc/slurm $RUN /var/spool/slurmctld /var/spool/slurmd /var/log/slurm
  new=$(slurm_conf)
  [[ $new == "$(cat $CONF 2>/dev/null)" ]] && return
  echo "$new" >$CONF
  local p pid
  for p in slurmd slurmctld; do
    alive $RUN/$p.pid || continue
    pid=$(cat $RUN/$p.pid)
    kill "$pid"
    while running "$pid"; do sleep 0.1; done
  done
}

start_daemons() {  # both daemonize themselves and write their pid files
  if ! alive $RUN/slurmctld.pid; then
    [[ -n ${SLURM_RESET:-} ]] && rm -rf /var/spool/slurmctld/*
    slurmctld
  fi
  alive $RUN/slurmd.pid || slurmd
}

wait_ready() {  # the controller answers and the node is up (resumed if it registered drained)
  local i state host
  host=$(hostname -s)
  for i in $(seq 300); do
    state=$(sinfo -h -N -o %T 2>/dev/null | head -1 || true)
    case $state in
      idle | mixed | allocated) echo "slurm ready: node $host $state"; return 0 ;;
      down* | drain* | inval*)
        ((i % 20 == 0)) && scontrol update NodeName="$host" State=RESUME 2>/dev/null || true ;;
    esac
    sleep 0.1
  done
  echo "error: slurm did not become ready; see /var/log/slurm/*.log" >&2
  sinfo -R >&2 || true
  return 1
}

install_packages
start_munge
write_conf
start_daemons
wait_ready
