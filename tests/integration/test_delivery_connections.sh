#!/usr/bin/env bash
# Outbound connections of the delivery engine: messages to the same MX one after the other
# reuse one SMTP connection; an idle connection is closed with QUIT (RFC 5321 §4.1.1.10)
# after a while; and a pooled connection that the server closed meanwhile (its idle timeout
# is shorter than Herald's) does not cost a deferral: the message goes out on a new
# connection at its first attempt.
DTEST_NET=18
source "$(dirname "${BASH_SOURCE[0]}")/delivery_lib.sh"

configure
setup_sender
dns_mx reuse.test mx.reuse.test 10
dns_a mx.reuse.test "$NET.1"
dns_mx stale.test mx.stale.test 10
dns_a mx.stale.test "$NET.2"
start_dns test example.com
start_mx "[{\"name\": \"reuse\", \"addr\": \"$NET.1\", \"mode\": \"smtp\", \"starttls\": true},
           {\"name\": \"stale\", \"addr\": \"$NET.2\", \"mode\": \"smtp\", \"idle_timeout\": 1}]"
start_server

step "three messages one after the other to the same MX: one connection"
for i in 1 2 3; do
  qid="$(send "reuse $i" "user$i@reuse.test")"
  wait_status 15 "$qid" "user$i@reuse.test" delivered
done
expect_eq "copies at the MX" '[["user1@reuse.test"]]|[["user2@reuse.test"]]|[["user3@reuse.test"]]' \
  "$(mx_rcpts reuse "reuse 1")|$(mx_rcpts reuse "reuse 2")|$(mx_rcpts reuse "reuse 3")"
expect_eq "connections to the MX" 1 "$(mx_connections reuse)"
expect_eq "TLS once (EHLO before and after STARTTLS)" 2 "$(grep -c '^EHLO' "$MX_DIR/reuse/commands.log")"

step "the server closed the pooled connection: the next message still goes out at once"
qid="$(send "stale 1" user1@stale.test)"
wait_status 15 "$qid" user1@stale.test delivered
sleep 2.5  # the MX closes the idle connection after 1 s; Herald keeps it pooled longer
qid="$(send "stale 2" user2@stale.test)"
wait_until 15 "an outcome for user2@stale.test" \
  sh -c "'$HERALD_BIN' --config '$CFG' log --json --recipient user2@stale.test | grep -q '\"status\": \"\\(delivered\\|deferred\\)\"'"
expect_eq "user2@stale.test after its first attempt (last_response: $(log_field "$qid" user2@stale.test last_response))" \
  delivered "$(log_field "$qid" user2@stale.test status)"
expect_eq "attempts" 1 "$(log_field "$qid" user2@stale.test attempts)"
expect_eq "copies at the MX" '[["user2@stale.test"]]' "$(mx_rcpts stale "stale 2")"

step "the idle connection is closed, with QUIT"
wait_until 30 "the idle connection to be closed" grep -qx disconnect "$MX_DIR/reuse/connections.log"
grep -qx QUIT "$MX_DIR/reuse/commands.log" ||
  fail "Herald closed the idle connection without QUIT (RFC 5321 §4.1.1.10)"
expect_server_alive "end"
