#!/usr/bin/env bash
# The CLI and the server share one SQLite store. While the server commits a stream of messages
# (two swaks loops in the background), CLI commands that write (domain add, sender add,
# sender password) and read (sender list, domain list, log, events) run over and over: every
# one succeeds, none reports "database is locked", and every message sent is in the log.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PER_LOOP=15
pick_ports_and_configure
setup_sender
start_server

# send_loop NAME PORT TLSFLAG: PER_LOOP swaks sends; one "<subject> <rc>" line each in NAME.res.
send_loop() {
  local name=$1 port=$2 tlsflag=$3 i rc
  for i in $(seq "$PER_LOOP"); do
    set +e
    swaks --server 127.0.0.1 --port "$port" "$tlsflag" --auth PLAIN --auth-user "$SENDER" \
      --auth-password "$PASSWORD" --from "$SENDER" --to "rcpt$i@example.org" \
      --header "Subject: $name $i" --timeout 20 >>"$WORK/$name.out" 2>&1
    rc=$?
    set -e
    echo "$name $i $rc" >>"$WORK/$name.res"
  done
  touch "$WORK/$name.done"
}

step "start two swaks loops ($PER_LOOP messages each)"
send_loop loopA "$PORT_STARTTLS" -tls &
track_pid $!
loopA=$!
send_loop loopB "$PORT_IMPLICIT" --tls-on-connect &
track_pid $!
loopB=$!

# cli WHAT CMD...: runs a CLI command and fails the test unless it exited 0 without "locked".
cli() {
  local t0
  t0=$(date +%s%N)
  run "$@"
  local ms=$((($(date +%s%N) - t0) / 1000000))
  [ "$ms" -le "$SLOWEST_MS" ] || { SLOWEST_MS=$ms; SLOWEST="$*"; }
  expect_rc "$*" 0
  expect_not_contains "$* (stderr)" "$ERR" "locked"
  expect_not_contains "$* (stderr)" "$ERR" "busy"
}

step "CLI commands while the server accepts mail"
SLOWEST_MS=0
SLOWEST=""
rounds=0
t_end=$(($(date +%s) + 50))
while [ ! -e "$WORK/loopA.done" ] || [ ! -e "$WORK/loopB.done" ] || [ "$rounds" -lt 3 ]; do
  [ "$(date +%s)" -lt "$t_end" ] || fail "the swaks loops did not finish within 50 s"
  rounds=$((rounds + 1))
  cli herald domain add "d$rounds.example"
  cli herald sender add "app@d$rounds.example" --type batch
  cli set_password "app@d$rounds.example" "Pass${rounds}9XYzq"
  for j in 1 2 3 4 5; do  # cheap writes, to meet the server's commits on the lock often
    cli herald sender add "tmp$j@d$rounds.example" --type triggered
    cli herald sender remove "tmp$j@d$rounds.example"
  done
  cli herald sender list
  expect_contains "sender list after adding app@d$rounds.example" "$OUT" "app@d$rounds.example"
  cli herald domain list --json
  cli herald log --limit 1000
  cli herald events
  cli herald log --json --sender "$SENDER" --limit 1000
  pyjson 'len(d)' <<<"$OUT" >/dev/null || fail "herald log --json printed invalid JSON"
done
wait "$loopA" "$loopB"
echo "$rounds rounds of CLI commands ran while the server was accepting mail;" \
  "slowest: $SLOWEST (${SLOWEST_MS} ms)"

step "every swaks send succeeded and is in the log"
results="$(cat "$WORK/loopA.res" "$WORK/loopB.res")"
expect_eq "number of sends" $((2 * PER_LOOP)) "$(wc -l <<<"$results")"
failed="$(awk '$3 != 0' <<<"$results")"
[ -z "$failed" ] || fail "swaks sends failed (name i rc):"$'\n'"$failed"$'\n'"$(tail -30 "$WORK/loopA.out" "$WORK/loopB.out")"
log="$(herald log --json --limit 100000)"
expected="$(awk '{ print $1 " " $2 }' <<<"$results" | sort)"
expect_eq "subjects in the log" "$expected" "$(pyjson '"\n".join(sorted(r["subject"] for r in d))' <<<"$log")"
# queued, or deferred once delivery tried the (closed) relay: accepted either way.
expect_eq "statuses" 'true' "$(pyjson 'set(r["status"] for r in d) <= {"queued", "deferred"}' <<<"$log")"
expect_eq "domains added by the CLI" "$((rounds + 1))" "$(herald domain list --json | pyjson 'len(d)')"
expect_eq "senders with a password" "$((rounds + 1))" \
  "$(herald sender list --json | pyjson 'len([s for s in d if s["password_set"]])')"
expect_not_contains "server log" "$(cat "$SERVER_LOG")" "locked"
expect_not_contains "server log" "$(cat "$SERVER_LOG")" "error"

step "a sender added by the CLI while the server runs can send at once"
run swaks --server 127.0.0.1 --port "$PORT_IMPLICIT" --tls-on-connect --auth PLAIN \
  --auth-user app@d1.example --auth-password Pass19XYzq --from app@d1.example --to bob@example.org \
  --header "Subject: from d1" --timeout 20
expect_rc "swaks as app@d1.example" 0
expect_eq "log rows for 'from d1'" 1 "$(log_count_subject "from d1")"
