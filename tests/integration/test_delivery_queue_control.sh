#!/usr/bin/env bash
# Queue control against a running server (`herald queue list/hold/release/delete/retry`), and
# a restart with mail in the queue: messages deferred by the MX are held, the server is
# stopped and started again, they stay held (nothing is attempted), and `queue release`
# delivers every one exactly once. Deleted recipients are never attempted again.
DTEST_NET=15
source "$(dirname "${BASH_SOURCE[0]}")/delivery_lib.sh"

configure
setup_sender
dns_mx dest.test mx1.dest.test 10
dns_a mx1.dest.test "$NET.1"
dns_mx other.test mx1.other.test 10
dns_a mx1.other.test "$NET.2"
dns_mx example.com mx.example.com 10
dns_a mx.example.com "$NET.9"
start_dns test example.com
# Every recipient is deferred at its first RCPT and accepted afterwards.
start_mx "[{\"name\": \"mx1\", \"addr\": \"$NET.1\", \"mode\": \"smtp\",
            \"rcpt\": {\"*\": [\"451 4.3.0 first attempt deferred\", \"250 2.1.5 Ok\"]}},
           {\"name\": \"mx2\", \"addr\": \"$NET.2\", \"mode\": \"smtp\",
            \"rcpt\": {\"*\": [\"451 4.3.0 first attempt deferred\", \"250 2.1.5 Ok\"]}},
           {\"name\": \"sendermx\", \"addr\": \"$NET.9\", \"mode\": \"smtp\"}]"
start_server

step "five messages to dest.test and one to other.test, all deferred"
QIDS=()
for i in 1 2 3 4 5; do QIDS+=("$(send "restart $i" "user$i@dest.test")"); done
QID_O="$(send "other" user@other.test)"
for i in 1 2 3 4 5; do wait_status 20 "${QIDS[$((i - 1))]}" "user$i@dest.test" deferred; done
wait_status 20 "$QID_O" user@other.test deferred
run herald queue list --status deferred --json
expect_eq "deferred" 6 "$(pyjson 'len(d)' <<<"$OUT")"

step "control commands need exactly one selector; unknown queue ids fail"
run herald queue hold
expect_rc "queue hold without selector" 1
expect_contains "queue hold without selector" "$ERR" "needs exactly one of QUEUE_ID, --domain D or --all"
run herald queue hold "${QIDS[0]}" --all
expect_rc "queue hold with two selectors" 1
run herald queue release NOSUCHID
expect_rc "queue release of an unknown id" 1

step "queue hold --domain dest.test: the five are held, other.test is not"
run herald queue hold --domain dest.test
expect_rc "queue hold --domain" 0
expect_eq "queue hold output" "hold: 5 recipient(s)" "$OUT"
run herald queue list --status held --json
expect_eq "held recipients" '["user1@dest.test", "user2@dest.test", "user3@dest.test", "user4@dest.test", "user5@dest.test"]' \
  "$(pyjson 'sorted(r["recipient"] for r in d)' <<<"$OUT")"
run herald queue list --status deferred --json
expect_eq "still deferred" '["user@other.test"]' "$(pyjson '[r["recipient"] for r in d]' <<<"$OUT")"
run herald queue list --json
expect_eq "queue list (all waiting)" 6 "$(pyjson 'len(d)' <<<"$OUT")"
run herald queue list --domain other.test --json
expect_eq "queue list --domain other.test" '["user@other.test"]' "$(pyjson '[r["recipient"] for r in d]' <<<"$OUT")"

step "queue retry --all does not touch held mail"
run herald queue retry --all
expect_rc "queue retry --all" 0
expect_eq "queue retry --all output" "retry: 1 recipient(s)" "$OUT"
wait_status 15 "$QID_O" user@other.test delivered
sleep 1.5  # the engine reloads its index within ~1 s of a queue command
for i in 1 2 3 4 5; do
  expect_eq "user$i still held" held "$(log_field "${QIDS[$((i - 1))]}" "user$i@dest.test" status)"
done
expect_eq "mx1 messages while held" 0 "$(mx_count mx1)"

step "restart with held mail in the queue"
rcpts_before="$(grep -c "RCPT TO" "$MX_DIR/mx1/commands.log")"
stop_server
start_server
sleep 2  # time in which a wrongly released message would be attempted
for i in 1 2 3 4 5; do
  expect_eq "user$i held after the restart" held "$(log_field "${QIDS[$((i - 1))]}" "user$i@dest.test" status)"
done
expect_eq "no RCPT to mx1 since the hold" "$rcpts_before" "$(grep -c "RCPT TO" "$MX_DIR/mx1/commands.log")"

step "queue delete one held message; release the others: each delivered exactly once"
run herald queue delete "${QIDS[4]}"
expect_rc "queue delete" 0
expect_eq "queue delete output" "delete: 1 recipient(s)" "$OUT"
expect_eq "deleted status" deleted "$(log_field "${QIDS[4]}" user5@dest.test status)"
expect_eq "deleted last_response" "deleted by operator" "$(log_field "${QIDS[4]}" user5@dest.test last_response)"
run herald queue release --all
expect_rc "queue release --all" 0
expect_eq "queue release output" "release: 4 recipient(s)" "$OUT"
for i in 1 2 3 4; do wait_status 20 "${QIDS[$((i - 1))]}" "user$i@dest.test" delivered; done
for i in 1 2 3 4; do
  expect_eq "copies of 'restart $i' at mx1" "[[\"user$i@dest.test\"]]" "$(mx_rcpts mx1 "restart $i")"
  expect_eq "attempts of user$i" 2 "$(log_field "${QIDS[$((i - 1))]}" "user$i@dest.test" attempts)"
done
run herald queue retry --all
sleep 1.5
expect_eq "the deleted message was not sent" '[]' "$(mx_rcpts mx1 "restart 5")"
expect_eq "still deleted" deleted "$(log_field "${QIDS[4]}" user5@dest.test status)"
expect_eq "user5 RCPTs at mx1 (only the first, deferred one)" 1 "$(mx_rcpt_commands mx1 user5@dest.test)"
run herald queue list --json
expect_eq "the queue is empty" "[]" "$(pyjson 'd' <<<"$OUT")"
run herald queue delete "${QIDS[0]}"
expect_rc "queue delete of a delivered message" 1
expect_eq "delete does not change a delivered row" delivered "$(log_field "${QIDS[0]}" user1@dest.test status)"

step "restart with deferred (not held) mail: retried after the restart"
QID_R="$(send "deferred over restart" late@dest.test)"
wait_status 20 "$QID_R" late@dest.test deferred
stop_server
start_server
expect_eq "deferred after the restart" deferred "$(log_field "$QID_R" late@dest.test status)"
run herald queue retry "$QID_R"
expect_rc "queue retry" 0
wait_status 15 "$QID_R" late@dest.test delivered
expect_eq "one copy" '[["late@dest.test"]]' "$(mx_rcpts mx1 "deferred over restart")"
expect_server_alive "end"
