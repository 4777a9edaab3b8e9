#!/usr/bin/env bash
# Durable acceptance: a 250 means the message is on disk. 50 messages are sent concurrently and
# the server is SIGKILLed right after the last 250 (round 1), then in the middle of the stream
# (round 2, messages still in flight). After each kill every acknowledged message must be in
# the delivery log, read by the CLI with the server dead and again after a restart.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

N=50
WORKERS=10
pick_ports_and_configure
setup_sender
start_server

# check_acked FILE WHEN: every "<subject>\t<queue id>" of FILE is one queued log row.
check_acked() {
  local missing
  herald log --json --limit 100000 >"$WORK/log.json"
  missing="$("$PYTHON" - "$1" "$WORK/log.json" <<'EOF'
import json, sys
rows = json.load(open(sys.argv[2]))
acked = open(sys.argv[1]).read().splitlines()
if not acked:
    print("no acknowledged messages to check")
by_qid = {}
for r in rows:
    by_qid.setdefault(r["queue_id"], []).append(r)
problems = []
for line in acked:
    subject, qid = line.split("\t")
    got = by_qid.get(qid, [])
    if len(got) != 1:
        problems.append(f"{subject} ({qid}): {len(got)} log rows, expected 1")
    elif got[0]["subject"] != subject or got[0]["status"] not in ("queued", "deferred"):
        problems.append(f"{subject} ({qid}): logged as {got[0]['subject']!r}/{got[0]['status']}")
print("\n".join(problems))
EOF
)"
  [ -z "$missing" ] || fail "$2: acknowledged messages missing from the log:"$'\n'"$missing"
  echo "$2: all $(wc -l <"$1") acknowledged messages are in the log"
}

# kill_round PREFIX KILL_AFTER: sends N messages, SIGKILL after ack #KILL_AFTER, then checks.
kill_round() {
  local prefix=$1 kill_after=$2 acked
  run "$PYTHON" "$ITEST_DIR/durability_send.py" "$PORT_IMPLICIT" "$SENDER" "$PASSWORD" "$N" \
    "$WORKERS" "$kill_after" "$SERVER_PID" "$prefix" "$WORK/$prefix.acked"
  echo "$OUT"
  expect_rc "durability_send.py ($prefix)" 0
  set +e
  wait "$SERVER_PID"
  local rc=$?
  set -e
  expect_eq "server exit status after SIGKILL" 137 "$rc"
  SERVER_PID=""
  acked=$(wc -l <"$WORK/$prefix.acked")
  [ "$acked" -ge "$kill_after" ] || fail "$prefix: only $acked messages acknowledged"
  step "$prefix: $acked acknowledged; all in the log (CLI with the server dead)"
  check_acked "$WORK/$prefix.acked" "$prefix, server dead"
  step "$prefix: restart; all still in the log"
  start_server
  check_acked "$WORK/$prefix.acked" "$prefix, after restart"
  local logged
  logged=$(herald log --json --limit 100000 | pyjson "len([r for r in d if r['subject'].startswith('$prefix ')])")
  echo "$prefix: $acked acknowledged, $logged logged (unacknowledged ones may or may not be)"
  [ "$logged" -le "$N" ] || fail "$prefix: $logged log rows for $N messages"
}

step "round 1: $N concurrent messages, SIGKILL right after the last 250"
kill_round burst "$N"

step "round 2: $N concurrent messages, SIGKILL after the 25th 250 (others in flight)"
kill_round midflight 25

step "the restarted server accepts mail"
run swaks --server 127.0.0.1 --port "$PORT_IMPLICIT" --tls-on-connect --auth PLAIN --auth-user "$SENDER" \
  --auth-password "$PASSWORD" --from "$SENDER" --to bob@example.org --header "Subject: after kills" --timeout 20
expect_rc "swaks after the kills" 0
expect_eq "log rows for 'after kills'" 1 "$(log_count_subject "after kills")"
queue_ids=$(herald log --json --limit 100000 | pyjson 'len(d) - len(set(r["queue_id"] for r in d))')
expect_eq "duplicate queue ids in the log" 0 "$queue_ids"
