#!/usr/bin/env bash
# Stop the S3 server that start_s3.sh started from STATE_DIR (keeps its data and port).
#
#   scripts/ci/stop_s3.sh STATE_DIR
#
# SIGTERM, then SIGKILL after 10 s. Stopping a server that is not running is not an error.
set -euo pipefail

[[ $# -eq 1 ]] || { echo "usage: $0 STATE_DIR" >&2; exit 2; }
PIDFILE=$1/pid
[[ -f $PIDFILE ]] || exit 0
PID=$(cat "$PIDFILE")
alive() {  # running and not a zombie (a zombie holds no port; its parent may never reap it)
  kill -0 "$PID" 2>/dev/null && [[ $(awk '{print $3}' "/proc/$PID/stat" 2>/dev/null) != Z ]]
}
if alive; then
  kill -TERM "$PID"
  for _ in $(seq 1 100); do
    alive || break
    sleep 0.1
  done
  if alive; then kill -KILL "$PID"; fi
fi
# Wait until it is gone, so the port is free for a restart.
while alive; do sleep 0.05; done
rm -f "$PIDFILE"
