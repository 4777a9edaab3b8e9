# Shared helpers for the integration tests (tests/integration/test_*.sh), sourced first thing
# (directly, or through delivery_lib.sh, which redefines write_config and pick_server_ports).
#
# Each test gets its own work directory under $HERALD_TEST_TMP (data_dir, config, logs), its own
# free loopback ports, and a trap that stops every process it started. On success the work
# directory is removed; on failure it is kept and the server log's tail is printed.
#
# Environment (set by ctest, see tests/CMakeLists.txt): HERALD_BIN, HERALD_SOURCE_DIR,
# HERALD_TEST_TMP. Run by hand: HERALD_BIN=build/herald bash tests/integration/test_x.sh
# shellcheck shell=bash
set -euo pipefail

ITEST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
HERALD_SOURCE_DIR="${HERALD_SOURCE_DIR:-$(cd "$ITEST_DIR/../.." && pwd)}"
HERALD_BIN="${HERALD_BIN:-$HERALD_SOURCE_DIR/build/herald}"
HERALD_TEST_TMP="${HERALD_TEST_TMP:-/tmp/herald-itest}"
TEST_NAME="$(basename "$0" .sh)"
PYTHON="${PYTHON:-python3}"

HERALD_BIN="$(realpath "$HERALD_BIN")"
[ -x "$HERALD_BIN" ] || { echo "FAIL: HERALD_BIN=$HERALD_BIN is not an executable" >&2; exit 1; }
mkdir -p "$HERALD_TEST_TMP"
WORK="$(mktemp -d "$HERALD_TEST_TMP/$TEST_NAME.XXXXXX")"
DATA_DIR="$WORK/data"
CFG="$WORK/herald.toml"
HOSTNAME_FQDN="mail.herald.test"
SENDER="alerts@example.com"
PASSWORD="Secret12AB"

SERVER_PID=""
SERVER_LOG=""
SERVER_STARTS=0
_EXTRA_PIDS=()
_STARTED_AT=$(date +%s.%N)

# ---- reporting ------------------------------------------------------------------------------

step() {
  echo "--- [$(awk -v a="$_STARTED_AT" -v b="$(date +%s.%N)" 'BEGIN { printf "%5.1f", b - a }')s] $*"
}

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
  [ "$2" == "$3" ] && return 0
  fail "$1"$'\n'"  expected: $2"$'\n'"  actual:   $3"
}

# expect_contains WHAT HAYSTACK NEEDLE (fixed string)
expect_contains() {
  grep -qF -- "$3" <<<"$2" && return 0
  fail "$1"$'\n'"  expected to contain: $3"$'\n'"  actual output:"$'\n'"$(sed 's/^/    /' <<<"$2")"
}

# expect_not_contains WHAT HAYSTACK NEEDLE (fixed string)
expect_not_contains() {
  grep -qF -- "$3" <<<"$2" || return 0
  fail "$1"$'\n'"  expected NOT to contain: $3"$'\n'"  actual output:"$'\n'"$(sed 's/^/    /' <<<"$2")"
}

# run CMD...: runs it with stdout in $OUT, stderr in $ERR and exit status in $RC; never exits.
run() {
  local o="$WORK/.out.$BASHPID" e="$WORK/.err.$BASHPID"
  set +e
  "$@" >"$o" 2>"$e"
  RC=$?
  set -e
  OUT="$(cat "$o")"
  ERR="$(cat "$e")"
  rm -f "$o" "$e"
}

# expect_rc WHAT EXPECTED_RC: checks $RC from the last run, showing its output when it differs.
expect_rc() {
  [ "$RC" == "$2" ] && return 0
  fail "$1: exit status"$'\n'"  expected: $2"$'\n'"  actual:   $RC"$'\n'"  stdout:"$'\n'"$(sed 's/^/    /' <<<"$OUT")"$'\n'"  stderr:"$'\n'"$(sed 's/^/    /' <<<"$ERR")"
}

# expect_failed WHAT: the last run exited non-zero.
expect_failed() {
  [ "$RC" != 0 ] && return 0
  fail "$1: expected a non-zero exit status, got 0"$'\n'"  stdout:"$'\n'"$(sed 's/^/    /' <<<"$OUT")"$'\n'"  stderr:"$'\n'"$(sed 's/^/    /' <<<"$ERR")"
}

# pyjson EXPR: evaluates the Python expression EXPR with `d` = the JSON document on stdin and
# prints the result (strings bare, everything else as JSON).
pyjson() {
  "$PYTHON" -c '
import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
print(r if isinstance(r, str) else json.dumps(r))' "$1"
}

# now_s: seconds since the epoch, with fractions.
now_s() { date +%s.%N; }
# elapsed_since T0: seconds since T0 (from now_s), one decimal.
elapsed_since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# wait_until TIMEOUT WHAT CMD...: runs CMD every 0.2 s until it succeeds; fails the test with
# WHAT after TIMEOUT seconds.
wait_until() {
  local timeout=$1 what=$2
  shift 2
  local deadline
  deadline=$(awk -v t="$timeout" -v n="$(date +%s.%N)" 'BEGIN { printf "%.3f", n + t }')
  until "$@" >/dev/null 2>&1; do
    if awk -v d="$deadline" -v n="$(date +%s.%N)" 'BEGIN { exit !(n > d) }'; then
      fail "timed out after ${timeout}s waiting for: $what"
    fi
    sleep 0.2
  done
}

# ---- processes ------------------------------------------------------------------------------

# track_pid PID: a background process of ours to stop at exit.
track_pid() { _EXTRA_PIDS+=("$1"); }

_stop_pid() {
  local pid=$1 _
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

_cleanup() {
  local rc=$?
  set +e
  # The helpers first (e.g. receiving MTAs): one that holds a delivery open would hold up the
  # server's exit.
  for pid in "${_EXTRA_PIDS[@]}"; do _stop_pid "$pid"; done
  [ -n "$SERVER_PID" ] && _stop_pid "$SERVER_PID"
  wait 2>/dev/null
  local took
  took=$(elapsed_since "$_STARTED_AT")
  if [ "$rc" == 0 ]; then
    echo "PASS $TEST_NAME (${took}s)"
    rm -rf "$WORK"
  else
    if [ -n "$SERVER_LOG" ] && [ -f "$SERVER_LOG" ]; then
      echo "--- last lines of the server log ($SERVER_LOG):" >&2
      tail -n 40 "$SERVER_LOG" >&2
    fi
    echo "FAILED $TEST_NAME after ${took}s; work directory kept: $WORK" >&2
  fi
  exit "$rc"
}
trap _cleanup EXIT
trap 'exit 130' INT TERM

# ---- herald ---------------------------------------------------------------------------------

# herald ARGS...: the CLI against this test's configuration.
herald() { "$HERALD_BIN" --config "$CFG" "$@"; }

# free_ports N: prints N distinct loopback ports that were free a moment ago. They are bound
# all at once so they differ; start_server retries with new ones if one was taken since.
free_ports() {
  "$PYTHON" - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

# write_config: writes $CFG with a STARTTLS listener on $PORT_STARTTLS, an implicit-TLS one on
# $PORT_IMPLICIT, the HTTP API on $PORT_HTTP. $SMTP_EXTRA is added to [smtp] and $CONFIG_EXTRA
# (whole tables, e.g. [tls] or [dns]) at the end.
write_config() {
  # Submission tests must not reach out: mail goes to a closed loopback port and stays
  # deferred. A test that sets its own [delivery] passes DELIVERY_CONFIG.
  local delivery=${DELIVERY_CONFIG:-$'[delivery]\nrelay = "127.0.0.1:9"'}
  cat >"$CFG" <<EOF
data_dir = "$DATA_DIR"
hostname = "$HOSTNAME_FQDN"
log_level = "${LOG_LEVEL:-info}"
threads = 2

[smtp]
${SMTP_EXTRA:-}

[[smtp.listeners]]
address = "127.0.0.1:$PORT_STARTTLS"
tls = "starttls"

[[smtp.listeners]]
address = "127.0.0.1:$PORT_IMPLICIT"
tls = "implicit"

[http]
address = "127.0.0.1:$PORT_HTTP"

$delivery

${CONFIG_EXTRA:-}
EOF
}

# pick_server_ports: new free ports for the listeners write_config gives herald. A library
# with its own write_config (delivery_lib.sh) redefines both.
pick_server_ports() { read -r PORT_STARTTLS PORT_IMPLICIT PORT_HTTP < <(free_ports 3); }

# pick_ports_and_configure: new free ports, then write_config.
pick_ports_and_configure() {
  pick_server_ports
  write_config
}

# start_server: starts `herald serve` on $CFG (configuring ports first if there is no $CFG yet)
# and waits until it has bound every listener. Retries with new ports when one was taken.
start_server() {
  [ -f "$CFG" ] || pick_ports_and_configure
  local attempt
  for attempt in 1 2 3; do
    SERVER_STARTS=$((SERVER_STARTS + 1))
    SERVER_LOG="$WORK/server.$SERVER_STARTS.log"
    "$HERALD_BIN" --config "$CFG" serve >"$SERVER_LOG" 2>&1 &
    SERVER_PID=$!
    local _
    for _ in $(seq 150); do
      # "http listening" is logged after every SMTP listener is bound and accepting.
      if grep -qs "http listening on" "$SERVER_LOG"; then return 0; fi
      kill -0 "$SERVER_PID" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
      fail "herald serve did not report 'http listening' within 15 s"$'\n'"$(cat "$SERVER_LOG")"
    fi
    wait "$SERVER_PID" || true
    SERVER_PID=""
    if grep -q "cannot listen\|Address already in use" "$SERVER_LOG" && [ "$attempt" -lt 3 ]; then
      echo "(a port was taken meanwhile; retrying with new ports)"
      pick_ports_and_configure
      continue
    fi
    fail "herald serve exited at start:"$'\n'"$(cat "$SERVER_LOG")"
  done
}

# stop_server [SIGNAL]: signals the server (TERM by default), waits up to 20 s for it to exit
# and sets SERVER_RC and SERVER_STOP_SECONDS. Fails when it does not exit, or exits non-zero
# (a graceful stop; a test that wants a crash kills the process itself).
stop_server() {
  local sig=${1:-TERM} t0 _
  t0=$(now_s)
  kill "-$sig" "$SERVER_PID"
  set +e
  for _ in $(seq 200); do
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$SERVER_PID" 2>/dev/null; then
    set -e
    fail "herald serve did not exit within 20 s of SIG$sig"
  fi
  wait "$SERVER_PID"
  SERVER_RC=$?
  set -e
  # shellcheck disable=SC2034 # read by the tests
  SERVER_STOP_SECONDS=$(elapsed_since "$t0")
  SERVER_PID=""
  expect_eq "herald serve exit status after SIG$sig" 0 "$SERVER_RC"
}

# expect_server_alive WHAT: the server process still runs and logged nothing critical.
expect_server_alive() {
  kill -0 "$SERVER_PID" 2>/dev/null || fail "$1: herald serve is no longer running"$'\n'"$(tail -n 30 "$SERVER_LOG")"
  expect_not_contains "$1: server log" "$(cat "$SERVER_LOG")" "critical"
}

# set_password ADDRESS PASSWORD: `herald sender password`, the password on standard input.
set_password() { printf '%s\n' "$2" | herald sender password "$1"; }

# setup_sender: domain example.com, triggered sender $SENDER with password $PASSWORD.
setup_sender() {
  run herald domain add example.com
  expect_rc "herald domain add example.com" 0
  run herald sender add "$SENDER" --type triggered
  expect_rc "herald sender add $SENDER" 0
  run set_password "$SENDER" "$PASSWORD"
  expect_rc "herald sender password $SENDER" 0
}

# message_file PATH SUBJECT [FROM]: writes an RFC 5322 message with CRLF line ends.
message_file() {
  printf 'From: %s\r\nTo: bob@example.org\r\nSubject: %s\r\nDate: %s\r\nMessage-ID: <%s@itest>\r\n\r\nHello from the integration tests.\r\n' \
    "${3:-$SENDER}" "$2" "$(date -R)" "$(date +%s%N)" >"$1"
}

# smtpchat ARGS...: scripted SMTP dialog (see smtpchat.py); fails the test when it fails.
smtpchat() {
  "$PYTHON" "$ITEST_DIR/smtpchat.py" "$@" || fail "SMTP dialog did not go as expected (see above)"
}

# log_count_subject SUBJECT: prints the number of log rows with that subject.
log_count_subject() {
  herald log --json --limit 100000 | pyjson "len([r for r in d if r['subject'] == '''$1'''])"
}
