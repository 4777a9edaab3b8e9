#!/usr/bin/env bash
# Queue lifetime: with [delivery] max_lifetime = 60 (its minimum), a recipient whose MX is
# unreachable is deferred, tried once more exactly when the lifetime ends (queue/backoff.h),
# then expired, and the sender gets a DSN. This test waits for that (~60 s, bounded at 90 s).
#
# The same wait covers the plain retry of a 451 by the schedule (no queue command), and queue
# commands given while an attempt is in flight (the MX takes 3 s to
# answer RCPT, with 451 and then 250): a recipient held or deleted during its attempt stays
# held / deleted, and is not attempted again when its retry would have been due (~1 minute).
DTEST_NET=16
source "$(dirname "${BASH_SOURCE[0]}")/delivery_lib.sh"

DELIVERY_EXTRA='max_lifetime = 60'
configure
setup_sender
dns_mx expire.test mx.expire.test 10
dns_a mx.expire.test "$NET.20"  # nothing listens there
dns_mx slow.test mx.slow.test 10
dns_a mx.slow.test "$NET.3"
dns_mx example.com mx.example.com 10
dns_a mx.example.com "$NET.9"
start_dns test example.com
DSN_MX=sendermx
start_mx "[{\"name\": \"slow\", \"addr\": \"$NET.3\", \"mode\": \"smtp\", \"rcpt_delay\": 3,
            \"rcpt\": {\"*\": [\"451 4.3.0 slow, and deferred\", \"250 2.1.5 Ok\"]}},
           {\"name\": \"sendermx\", \"addr\": \"$NET.9\", \"mode\": \"smtp\"}]"
start_server

# in_flight_action QID RCPT ACTION: waits until the MX holds RCPT's reply back, runs
# `herald queue ACTION QID` during those 3 s, then waits until the attempt is recorded.
in_flight_action() {
  local qid=$1 rcpt=$2 action=$3
  wait_until 15 "the MX to receive RCPT TO:<$rcpt>" \
    grep -qF "RCPT TO:<$rcpt> (answer in" "$MX_DIR/slow/commands.log"
  run herald queue "$action" "$qid"
  expect_rc "queue $action $qid while its attempt is in flight" 0
  expect_eq "queue $action output" "$action: 1 recipient(s)" "$OUT"
  wait_until 15 "the attempt for $rcpt to be recorded" \
    sh -c "'$HERALD_BIN' --config '$CFG' queue show '$qid' | grep -q '  $rcpt  deferred  mx.slow.test'"
}

step "queue hold while the attempt is in flight: stays held"
QID_H="$(send "held in flight" held@slow.test)"
in_flight_action "$QID_H" held@slow.test hold
T_HELD=$(now_s)
expect_eq "status after the deferred attempt ended" held "$(log_field "$QID_H" held@slow.test status)"

step "queue delete while the attempt is in flight: stays deleted"
QID_D="$(send "deleted in flight" gone@slow.test)"
in_flight_action "$QID_D" gone@slow.test delete
expect_eq "status after the deferred attempt ended" deleted "$(log_field "$QID_D" gone@slow.test status)"

step "unreachable MX: deferred; the next attempt 1 minute (+-10%) later, capped at the lifetime"
# From here on no queue command is given: the retries below come from the schedule alone
# (a queue command makes the server reload its whole index, which would hide a lost retry).
T0=$(now_s)
QID_E="$(send "expire me" user@expire.test)"
wait_status 20 "$QID_E" user@expire.test deferred
run herald queue list --status deferred --json
expect_rc "queue list" 0
gap="$(pyjson '[r for r in d if r["queue_id"] == "'"$QID_E"'"][0]' <<<"$OUT" | "$PYTHON" -c '
import json, sys, datetime
r = json.load(sys.stdin)
t = lambda s: datetime.datetime.fromisoformat(s.replace("Z", "+00:00")).timestamp()
print(round(t(r["next_attempt_at"]) - t(r["accepted_at"])))')"
[ "$gap" -ge 53 ] && [ "$gap" -le 61 ] ||
  fail "next attempt ${gap}s after acceptance; expected 54..60 s (1 minute +-10%, at most the lifetime)"

step "451, then 250: retried by the schedule about a minute later, delivered"
QID_A="$(send "auto retry" auto@slow.test)"
wait_status 20 "$QID_A" auto@slow.test deferred
T_AUTO=$(now_s)

step "waiting for the lifetime to end (bounded: 90 s after submission)"
wait_status 90 "$QID_E" user@expire.test expired
age="$(elapsed_since "$T0")"
awk -v a="$age" 'BEGIN { exit !(a >= 59) }' || fail "expired after ${age}s, before the 60 s lifetime"
# Two attempts, or three when the jittered retry came before the end of the lifetime (then
# the last one is exactly at the end).
n="$(log_field "$QID_E" user@expire.test attempts)"
[ "$n" == 2 ] || [ "$n" == 3 ] || fail "attempts of the expired recipient: $n, expected 2 or 3"
expect_contains "last_response of the expired recipient" \
  "$(log_field "$QID_E" user@expire.test last_response)" "$NET.20:$MX_PORT"
lines="$(attempt_lines "$QID_E" user@expire.test)"
expect_eq "attempts in queue show" "$n" "$(grep -c . <<<"$lines")"
expect_eq "outcomes in queue show" "$(printf 'deferred\n%.0s' $(seq $((n - 1))))"$'\n'expired \
  "$(awk '{ print $3 }' <<<"$lines")"

step "the deferred recipient was retried on schedule and delivered"
# The first retry comes 1 minute +-10% after the deferral (6 s margin for the 3 s RCPT delay).
wait_status "$(awk -v e="$(elapsed_since "$T_AUTO")" 'BEGIN { r = 72 - e; printf "%d", r < 1 ? 1 : r }')" \
  "$QID_A" auto@slow.test delivered
took="$(elapsed_since "$T_AUTO")"
awk -v a="$took" 'BEGIN { exit !(a >= 50) }' || fail "retried after ${took}s, before the 1 minute backoff"
expect_eq "copies at the slow MX" '[["auto@slow.test"]]' "$(mx_rcpts slow "auto retry")"
expect_eq "attempts" 2 "$(log_field "$QID_A" auto@slow.test attempts)"

step "the DSN for the expired recipient reaches the sender"
wait_until 20 "a DSN about $QID_E" dsn_for "$QID_E"
fields="$(dsn_fields "$(dsn_for "$QID_E")")"
expect_contains "expiry DSN recipient" "$fields" "Final-Recipient: rfc822; user@expire.test"
expect_contains "expiry DSN action (RFC 3464 §2.3.3)" "$fields" "Action: failed"
expect_contains "expiry DSN diagnostic" "$fields" "$NET.20:$MX_PORT"
run herald queue list --json
expect_eq "queue after expiry" "[]" "$(pyjson '[r for r in d if r["recipient"] == "user@expire.test"]' <<<"$OUT")"

step "held / deleted in flight: not attempted when their retry would have been due"
# The deferral of the held recipient scheduled a retry 1 minute +-10% later: wait past it.
while ! awk -v a="$(elapsed_since "$T_HELD")" 'BEGIN { exit !(a >= 70) }'; do sleep 1; done
expect_eq "RCPTs for held@slow.test at the MX" 1 "$(mx_rcpt_commands slow held@slow.test)"
expect_eq "RCPTs for gone@slow.test at the MX" 1 "$(mx_rcpt_commands slow gone@slow.test)"
expect_eq "held@slow.test" held "$(log_field "$QID_H" held@slow.test status)"
expect_eq "gone@slow.test" deleted "$(log_field "$QID_D" gone@slow.test status)"
expect_eq "held/deleted messages at the slow MX" '[]|[]' \
  "$(mx_rcpts slow "held in flight")|$(mx_rcpts slow "deleted in flight")"
expect_server_alive "end"
