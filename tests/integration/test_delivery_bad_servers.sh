#!/usr/bin/env bash
# Receiving servers that misbehave: each one gets the message deferred with a clear
# last_response, nothing is stored at the server, and Herald keeps running and delivering:
#  - closes the connection without a greeting;
#  - garbage instead of a greeting; garbage as the reply to EHLO;
#  - closes in the middle of DATA;
#  - offers STARTTLS, says 220 to it, then answers the ClientHello with plain text;
#  - sends a second reply right behind its 220 to STARTTLS (response injection);
#  - accepts the connection and never says anything. Herald waits for the greeting as RFC 5321
#    §4.5.3.2.1 says (5 minutes), which is too long for a test: here we check that the silent
#    server does not hold up other deliveries, that SIGTERM still stops Herald promptly, and
#    that the recipient is still queued after the restart (not lost, not marked delivered).
DTEST_NET=17
source "$(dirname "${BASH_SOURCE[0]}")/delivery_lib.sh"

configure
setup_sender
declare -A MODE=([closes]=close_at_banner [garbage]=garbage_banner [garbageehlo]=garbage_ehlo
  [dropdata]=drop_mid_data [tlsfail]=tls_fail [tlsinject]=tls_inject [silent]=silent [good]=smtp)
declare -A ADDR=([closes]=1 [garbage]=2 [garbageehlo]=3 [dropdata]=4 [tlsfail]=5 [tlsinject]=8
  [silent]=6 [good]=7)
listeners=()
for name in "${!MODE[@]}"; do
  dns_mx "$name.test" "mx.$name.test" 10
  dns_a "mx.$name.test" "$NET.${ADDR[$name]}"
  listeners+=("{\"name\": \"$name\", \"addr\": \"$NET.${ADDR[$name]}\", \"mode\": \"${MODE[$name]}\"}")
done
start_dns test example.com
start_mx "[$(IFS=,; echo "${listeners[*]}")]"
start_server

# bad NAME WHAT NEEDLE...: a message to user@NAME.test is deferred, its last_response has every
# NEEDLE, the MX stored nothing and had exactly one connection (no hammering).
bad() {
  local name=$1 what=$2 qid resp needle
  shift 2
  step "$what"
  qid="$(send "to $name" "user@$name.test")"
  wait_status 20 "$qid" "user@$name.test" deferred
  resp="$(log_field "$qid" "user@$name.test" last_response)"
  echo "    last_response: $resp"
  for needle in "$@"; do expect_contains "$what: last_response" "$resp" "$needle"; done
  expect_eq "$what: messages stored at the MX" 0 "$(mx_count "$name")"
  expect_eq "$what: connections to the MX" 1 "$(mx_connections "$name")"
  expect_server_alive "$what"
}

step "a silent server (never greets) gets a message first"
QID_SILENT="$(send "to silent" user@silent.test)"
# The count must be read on every poll (a "$(...)" argument would be read once, up front).
silent_connected() { [ "$(mx_connections silent)" -ge 1 ]; }
wait_until 30 "a connection to the silent server" silent_connected

bad closes "closed without a greeting" "connection closed"
bad garbage "garbage instead of a greeting" "greeting" "malformed reply"
bad garbageehlo "garbage as the reply to EHLO" "malformed reply"
bad dropdata "closed in the middle of DATA" "connection closed"
expect_contains "the MX saw the DATA start" "$(cat "$MX_DIR/dropdata/commands.log")" \
  "(closed in the middle of DATA)"
bad tlsfail "STARTTLS offered, then the TLS handshake fails" "TLS handshake failed"
expect_contains "the MX got the ClientHello" "$(cat "$MX_DIR/tlsfail/commands.log")" "bytes of TLS"
expect_not_contains "no MAIL after the failed handshake" "$(cat "$MX_DIR/tlsfail/commands.log")" "MAIL FROM"
bad tlsinject "a reply injected behind the 220 to STARTTLS (RFC 3207 §4.2)" "after its 220 reply to STARTTLS"
expect_not_contains "no MAIL after the injection" "$(cat "$MX_DIR/tlsinject/commands.log")" "MAIL FROM"

step "a good server still gets its mail while the silent one holds a connection"
QID_GOOD="$(send "to good" user@good.test)"
wait_status 15 "$QID_GOOD" user@good.test delivered
expect_eq "copies at the good MX" '[["user@good.test"]]' "$(mx_rcpts good "to good")"
expect_eq "the silent server's recipient is still waiting" queued \
  "$(log_field "$QID_SILENT" user@silent.test status)"
expect_server_alive "after the bad servers"

step "SIGTERM with a delivery hanging on the silent server: Herald stops, nothing is lost"
t0=$(now_s)
stop_server
took="$(elapsed_since "$t0")"
echo "(stopped in ${took}s)"
expect_not_contains "the silent server's recipient is not marked delivered" \
  "$(log_field "$QID_SILENT" user@silent.test status)" "delivered"
start_server
status="$(log_field "$QID_SILENT" user@silent.test status)"
[ "$status" == queued ] || [ "$status" == deferred ] ||
  fail "after the restart the silent server's recipient is $status (expected queued or deferred)"
expect_server_alive "after the restart"
