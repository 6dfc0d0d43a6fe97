#!/usr/bin/env bash
# SSM port-forwarding tunnel from the runner to the private RDS instance, through the
# environment's bastion (packages/network: SSM-managed, no SSH, no inbound rule). The tenants
# stack's postgresql provider connects to 127.0.0.1:<tunnel.localPort> (environment.yaml `tunnel`).
#
#   ssm-tunnel.sh install                                   Session Manager plugin for the AWS CLI
#   ssm-tunnel.sh open <bastion-id> <db-host> <db-port> <local-port>
#   ssm-tunnel.sh close
#
# Schedule (network.bastionSchedule): the bastion instance carries it as its `bastion-schedule` tag
# (packages/network, BASTION_SCHEDULE_TAG), the only source this script reads, together with the
# instance state, in one describe-instances call.
# - `open` starts a stopped bastion and waits until its SSM agent is online, starts the session and
#   records this job's session id (start-session prints "Starting session with SessionId: <id>").
# - `close` ends the local plugin, ends this job's session on the Session Manager side
#   (ssm terminate-session: a killed client's session stays listed Active, "connected and
#   disconnected", until Session Manager times it out), then stops an `on-demand` bastion when no
#   OTHER active session targets it, whoever started it: the last job to close stops it. Sessions
#   already Terminating (or Terminated, Failed) do not count; Disconnected ones do. `always-on` is
#   never stopped; a bastion without the tag (a platform stack not applied since the tag came) is
#   not stopped either, with a warning.
# - What this cannot cover (a runner lost before `close`, two jobs closing at the same moment, a
#   tunnel opened by hand and forgotten): the on-demand bastion's CloudWatch alarm stops it after
#   3 h of running without a break (packages/network, BASTION_MAX_RUN).
# - A failed stop (or a failed look-up before it) prints an ::error:: annotation and, by default,
#   does not fail the step: the plan or apply it follows has its own result, and the alarm stops
#   the bastion later. SSM_TUNNEL_ON_STOP_FAILURE=fail makes it exit 1 (the nightly audit: a failed
#   run is how the team hears of it, and nothing waits on it).
#
# The AWS CLI must already hold credentials allowed to ssm:StartSession on the bastion with the
# AWS-StartPortForwardingSessionToRemoteHost document, to end its own sessions and to start/stop it
# (the tenants plan role of main; the apply role's boundary). Pull requests get neither.
set -euo pipefail

STATE_DIR="${RUNNER_TEMP:-${TMPDIR:-/tmp}}"
PID_FILE="$STATE_DIR/ssm-tunnel.pid"
# The bastion `open` used (written before anything else, so `close` stops a bastion that `open`
# started even when the session then failed) and this job's session id.
TARGET_FILE="$STATE_DIR/ssm-tunnel.target"
SESSION_FILE="$STATE_DIR/ssm-tunnel.session"
LOG_FILE="$STATE_DIR/ssm-tunnel.log"
# Seconds to wait for the local port; session setup usually takes a few seconds.
OPEN_TIMEOUT_SECONDS="${SSM_TUNNEL_TIMEOUT_SECONDS:-60}"
# Seconds to wait for a started bastion's SSM agent to come online (boot takes about a minute).
START_TIMEOUT_SECONDS="${SSM_TUNNEL_START_TIMEOUT_SECONDS:-300}"
ON_STOP_FAILURE="${SSM_TUNNEL_ON_STOP_FAILURE:-warn}"
case "$ON_STOP_FAILURE" in
  warn | fail) ;;
  *)
    echo "ssm-tunnel.sh: SSM_TUNNEL_ON_STOP_FAILURE is '$ON_STOP_FAILURE'; allowed: warn, fail" >&2
    exit 2
    ;;
esac
# The instance tag holding the schedule (packages/network/src/bastion.ts, BASTION_SCHEDULE_TAG).
SCHEDULE_TAG="bastion-schedule"
# AWS Systems Manager User Guide, "Install the Session Manager plugin on Ubuntu Server".
PLUGIN_URL="https://s3.amazonaws.com/session-manager-downloads/plugin/latest/ubuntu_64bit/session-manager-plugin.deb"

port_open() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# "<state> <schedule>" of an instance: "running on-demand", "stopped always-on", "running None"
# (no tag). One call, so the decision to stop rests on what was read at the same moment.
instance_facts() {
  aws ec2 describe-instances --instance-ids "$1" \
    --query "Reservations[0].Instances[0].[State.Name, Tags[?Key=='$SCHEDULE_TAG'] | [0].Value]" \
    --output text
}

# Starts a stopped bastion and waits until Session Manager can reach it.
ensure_running() {
  local target=$1 facts state schedule
  facts=$(instance_facts "$target")
  read -r state schedule <<<"$facts"
  if [ "$state" = "stopping" ]; then
    aws ec2 wait instance-stopped --instance-ids "$target"
    state=stopped
  fi
  if [ "$state" = "stopped" ]; then
    echo "starting the bastion $target (stopped between jobs; schedule: $schedule)"
    aws ec2 start-instances --instance-ids "$target" >/dev/null
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

# Records the session id start-session printed, when it printed one.
record_session_id() {
  local id
  id=$(sed -n 's/^.*Starting session with SessionId: *\([^ [:space:]]*\).*$/\1/p' "$LOG_FILE" | head -n 1)
  if [ -n "$id" ]; then
    echo "$id" >"$SESSION_FILE"
  fi
}

# Starts the session in the background and waits for the local port. Returns 0 when the tunnel
# is open, 3 when start-session exited first (the caller decides whether to try again), and exits 1
# when the port does not open in time.
start_tunnel() {
  local target=$1 host=$2 port=$3 local_port=$4
  # Own process group (setsid), so closing ends the CLI and its session-manager-plugin child.
  setsid aws ssm start-session \
    --target "$target" \
    --document-name AWS-StartPortForwardingSessionToRemoteHost \
    --parameters "host=$host,portNumber=$port,localPortNumber=$local_port" \
    >"$LOG_FILE" 2>&1 &
  echo $! >"$PID_FILE"
  for ((i = 0; i < OPEN_TIMEOUT_SECONDS; i++)); do
    if port_open "$local_port"; then
      record_session_id
      if [ ! -f "$SESSION_FILE" ]; then
        echo "::warning::no session id in start-session's output: close cannot end this job's session or tell it from another job's, so it may leave the bastion running (its max-run alarm stops it)" >&2
      fi
      echo "tunnel open: 127.0.0.1:$local_port -> $host:$port via $target (session $(cat "$SESSION_FILE" 2>/dev/null || echo unknown))"
      return 0
    fi
    if ! kill -0 "$(cat "$PID_FILE")" 2>/dev/null; then
      rm -f "$PID_FILE"
      return 3
    fi
    sleep 1
  done
  echo "::error::tunnel to $host:$port not open after ${OPEN_TIMEOUT_SECONDS}s" >&2
  cat "$LOG_FILE" >&2
  record_session_id
  kill -TERM -- "-$(cat "$PID_FILE")" 2>/dev/null || true
  exit 1
}

# A stop that did not happen: an annotation, and the exit status SSM_TUNNEL_ON_STOP_FAILURE asks for.
stop_failed() {
  echo "::error::the on-demand bastion $1 was not stopped: $2. It keeps running, and billing (instance and public IPv4), until a later job's close stops it or its max-run alarm does (after 3 h of running); stop it by hand with: aws ec2 stop-instances --instance-ids $1" >&2
  [ "$ON_STOP_FAILURE" = "fail" ] && return 1
  return 0
}

# Stops an on-demand bastion that no other active session uses.
stop_if_unused() {
  local target=$1 own=$2 facts state schedule sessions others id status err
  err="$STATE_DIR/ssm-tunnel.err"
  if ! facts=$(instance_facts "$target" 2>"$err"); then
    stop_failed "$target" "describe-instances failed ($(tr '\n' ' ' <"$err"))"
    return
  fi
  read -r state schedule <<<"$facts"
  case "$schedule" in
    always-on)
      echo "bastion $target left running: its schedule is always-on"
      return 0
      ;;
    on-demand) ;;
    *)
      echo "::warning::bastion $target not stopped: its $SCHEDULE_TAG tag is '$schedule', expected on-demand or always-on (apply the platform stack to set it)" >&2
      return 0
      ;;
  esac
  if [ "$state" != "running" ]; then
    # stopped or stopping: nothing to do; pending: another job is starting it for itself.
    echo "bastion $target not stopped: it is $state"
    return 0
  fi
  if ! sessions=$(aws ssm describe-sessions --state Active --filters "key=Target,value=$target" \
    --query 'Sessions[].[SessionId, Status]' --output text 2>"$err"); then
    stop_failed "$target" "describe-sessions failed ($(tr '\n' ' ' <"$err"))"
    return
  fi
  others=()
  while read -r id status; do
    [ -n "$id" ] || continue
    [ "$id" = "$own" ] && continue
    case "$status" in
      # SessionStatus (SSM API): Connected | Connecting | Disconnected | Terminating | Terminated |
      # Failed. Ending, ended or failed: no job uses it any more. Disconnected counts: its client
      # may be reconnecting (ResumeSession); a lost runner's is left to the max-run alarm.
      Terminating | Terminated | Failed) continue ;;
      *) others+=("$id ($status)") ;;
    esac
  done <<<"$sessions"
  if [ "${#others[@]}" -gt 0 ]; then
    echo "bastion $target left running: ${#others[@]} other session(s) use it: ${others[*]}; the last job to close stops it"
    return 0
  fi
  if ! aws ec2 stop-instances --instance-ids "$target" >/dev/null 2>"$err"; then
    stop_failed "$target" "stop-instances failed ($(tr '\n' ' ' <"$err"))"
    return
  fi
  echo "bastion $target stopped (on-demand, no other session)"
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
    rm -f "$SESSION_FILE"
    echo "$target" >"$TARGET_FILE"
    # Two attempts: another job's close may stop the bastion between this job's look at its state
    # and its session start (it saw no session of ours yet); then start it again, once.
    for attempt in 1 2; do
      ensure_running "$target"
      if start_tunnel "$target" "$host" "$port" "$local_port"; then
        exit 0
      else
        result=$?
      fi
      state=$(instance_facts "$target" | cut -f1) || state=unknown
      if [ "$result" -ne 3 ] || [ "$attempt" -eq 2 ] || { [ "$state" != "stopping" ] && [ "$state" != "stopped" ]; }; then
        echo "::error::aws ssm start-session exited before the tunnel opened" >&2
        cat "$LOG_FILE" >&2
        exit 1
      fi
      echo "the bastion $target is $state (another job's close stopped it while this job opened): starting it again"
    done
    ;;
  close)
    if [ -f "$PID_FILE" ]; then
      pid=$(cat "$PID_FILE")
      # The whole group: the CLI and its plugin. The session stays listed Active on the Session
      # Manager side after this; terminate-session below ends it there.
      kill -TERM -- "-$pid" 2>/dev/null || true
      for ((i = 0; i < 10; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 1; done
      kill -KILL -- "-$pid" 2>/dev/null || true
      rm -f "$PID_FILE"
      echo "tunnel closed"
    fi
    # `open` never ran (or failed before naming a bastion): nothing of ours to end or stop.
    [ -f "$TARGET_FILE" ] || exit 0
    target=$(cat "$TARGET_FILE")
    own=""
    if [ -f "$SESSION_FILE" ]; then
      own=$(cat "$SESSION_FILE")
      if aws ssm terminate-session --session-id "$own" >/dev/null 2>"$STATE_DIR/ssm-tunnel.err"; then
        echo "session $own terminated"
      else
        # Still not counted below: it is this job's, whatever Session Manager lists.
        echo "::warning::terminate-session $own failed ($(tr '\n' ' ' <"$STATE_DIR/ssm-tunnel.err")); Session Manager ends it at its idle timeout" >&2
      fi
    fi
    status=0
    stop_if_unused "$target" "$own" || status=$?
    rm -f "$TARGET_FILE" "$SESSION_FILE" "$STATE_DIR/ssm-tunnel.err"
    exit "$status"
    ;;
  *)
    echo "usage: $0 install | open <bastion-id> <db-host> <db-port> <local-port> | close" >&2
    exit 2
    ;;
esac
