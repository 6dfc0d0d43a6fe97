#!/usr/bin/env bash
# SSM port-forwarding tunnel from the runner to the private RDS instance, through the
# environment's bastion (packages/network: SSM-managed, no SSH, no public IP). The tenants stack's
# postgresql provider connects to 127.0.0.1:<tunnel.localPort> (environment.yaml `tunnel`).
#
#   ssm-tunnel.sh install                                   Session Manager plugin for the AWS CLI
#   ssm-tunnel.sh open <bastion-id> <db-host> <db-port> <local-port>
#   ssm-tunnel.sh close
#
# The bastion is stopped between jobs (network.bastionSchedule: on-demand, the default): `open`
# starts it when it is stopped and waits until its SSM agent is online; `close` stops it again
# when `open` started it and no other session uses it. An always-on bastion is never stopped.
#
# The AWS CLI must already hold credentials allowed to ssm:StartSession on the bastion with the
# AWS-StartPortForwardingSessionToRemoteHost document and to start/stop it (the tenants plan role
# of main; the apply role's boundary). Pull requests get neither.
set -euo pipefail

STATE_DIR="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
PID_FILE="$STATE_DIR/ssm-tunnel.pid"
STARTED_FILE="$STATE_DIR/ssm-tunnel.started"
LOG_FILE="$STATE_DIR/ssm-tunnel.log"
# Seconds to wait for the local port; session setup usually takes a few seconds.
OPEN_TIMEOUT_SECONDS="${SSM_TUNNEL_TIMEOUT_SECONDS:-60}"
# Seconds to wait for a started bastion's SSM agent to come online (boot takes about a minute).
START_TIMEOUT_SECONDS="${SSM_TUNNEL_START_TIMEOUT_SECONDS:-300}"
# AWS Systems Manager User Guide, "Install the Session Manager plugin on Ubuntu Server".
PLUGIN_URL="https://s3.amazonaws.com/session-manager-downloads/plugin/latest/ubuntu_64bit/session-manager-plugin.deb"

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

instance_state() {
  aws ec2 describe-instances --instance-ids "$1" --query 'Reservations[0].Instances[0].State.Name' --output text
}

# Starts a stopped bastion and waits until Session Manager can reach it.
ensure_running() {
  local target=$1 state
  state=$(instance_state "$target")
  if [ "$state" = "stopping" ]; then
    aws ec2 wait instance-stopped --instance-ids "$target"
    state=stopped
  fi
  if [ "$state" = "stopped" ]; then
    echo "starting the bastion $target (stopped between jobs)"
    aws ec2 start-instances --instance-ids "$target" >/dev/null
    echo "$target" >"$STARTED_FILE"
    aws ec2 wait instance-running --instance-ids "$target"
  fi
  for ((i = 0; i < START_TIMEOUT_SECONDS; i += 5)); do
    if [ "$(aws ssm describe-instance-information --filters "Key=InstanceIds,Values=$target" \
      --query 'InstanceInformationList[0].PingStatus' --output text)" = "Online" ]; then
      return 0
    fi
    sleep 5
  done
  echo "::error::the SSM agent of $target is not online after ${START_TIMEOUT_SECONDS}s" >&2
  return 1
}

# Stops the bastion this job started, unless another session (another job) still uses it.
stop_if_started() {
  [ -f "$STARTED_FILE" ] || return 0
  local target others
  target=$(cat "$STARTED_FILE")
  others=$(aws ssm describe-sessions --state Active --filters "key=Target,value=$target" \
    --query 'length(Sessions)' --output text)
  if [ "${others:-0}" != "0" ]; then
    echo "bastion $target left running: $others other session(s) use it"
  else
    aws ec2 stop-instances --instance-ids "$target" >/dev/null
    echo "bastion $target stopped"
  fi
  rm -f "$STARTED_FILE"
}

case "${1:-}" in
  install)
    if command -v session-manager-plugin >/dev/null 2>&1; then
      session-manager-plugin --version
      exit 0
    fi
    curl -fsSL -o "$STATE_DIR/session-manager-plugin.deb" "$PLUGIN_URL"
    sudo dpkg -i "$STATE_DIR/session-manager-plugin.deb"
    session-manager-plugin --version
    ;;
  open)
    [ $# -eq 5 ] || { echo "usage: $0 open <bastion-id> <db-host> <db-port> <local-port>" >&2; exit 2; }
    target=$2 host=$3 port=$4 local_port=$5
    if port_open "$local_port"; then
      echo "::error::local port $local_port is already in use" >&2
      exit 1
    fi
    ensure_running "$target"
    # Own process group (setsid), so closing ends the CLI and its session-manager-plugin child.
    setsid aws ssm start-session \
      --target "$target" \
      --document-name AWS-StartPortForwardingSessionToRemoteHost \
      --parameters "host=$host,portNumber=$port,localPortNumber=$local_port" \
      >"$LOG_FILE" 2>&1 &
    echo $! >"$PID_FILE"
    for ((i = 0; i < OPEN_TIMEOUT_SECONDS; i++)); do
      if port_open "$local_port"; then
        echo "tunnel open: 127.0.0.1:$local_port -> $host:$port via $target"
        exit 0
      fi
      if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
        echo "::error::aws ssm start-session exited before the tunnel opened" >&2
        cat "$LOG_FILE" >&2
        exit 1
      fi
      sleep 1
    done
    echo "::error::tunnel to $host:$port not open after ${OPEN_TIMEOUT_SECONDS}s" >&2
    cat "$LOG_FILE" >&2
    kill -TERM -- "-$(cat "$PID_FILE")" 2>/dev/null || true
    exit 1
    ;;
  close)
    if [ -f "$PID_FILE" ]; then
      pid=$(cat "$PID_FILE")
      # The whole group: the CLI and its plugin. Dropping the data channel ends the session on the
      # Session Manager side (at the latest after its idle timeout).
      kill -TERM -- "-$pid" 2>/dev/null || true
      for ((i = 0; i < 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      echo "tunnel closed"
    fi
    stop_if_started
    ;;
  *)
    echo "usage: $0 install | open <bastion-id> <db-host> <db-port> <local-port> | close" >&2
    exit 2
    ;;
esac
