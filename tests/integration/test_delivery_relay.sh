#!/usr/bin/env bash
# Smart host ([delivery] relay): with a relay configured, all mail goes to it (by host name
# through DNS, on its own port) and no MX is consulted or contacted, not even for a domain
# that does not exist; STARTTLS is used when the relay offers it. relay_tls = "required" with
# a relay that does not offer STARTTLS defers with a clear reason and sends no MAIL; after the
# relay is fixed (configuration changed, server restarted) `queue retry --all` delivers.
DTEST_NET=14
source "$(dirname "${BASH_SOURCE[0]}")/delivery_lib.sh"

configure
setup_sender
dns_mx dest.test mx1.dest.test 10
dns_a mx1.dest.test "$NET.1"
dns_a smarthost.test "$NET.50"
dns_mx example.com mx.example.com 10
dns_a mx.example.com "$NET.9"
start_dns test example.com

# The relays listen on their own addresses on port 2525 (not the MX port).
start_mx "[{\"name\": \"mx1\", \"addr\": \"$NET.1\", \"mode\": \"smtp\"},
           {\"name\": \"sendermx\", \"addr\": \"$NET.9\", \"mode\": \"smtp\"},
           {\"name\": \"relay\", \"addr\": \"$NET.50\", \"port\": 2525, \"mode\": \"smtp\", \"starttls\": true},
           {\"name\": \"plainrelay\", \"addr\": \"$NET.51\", \"port\": 2525, \"mode\": \"smtp\"}]"
DELIVERY_EXTRA='relay = "smarthost.test:2525"'
write_config
start_server

step "relay by host name: mail for an MX domain and for a nonexistent domain goes to the relay"
QID1="$(send "via relay" user@dest.test)"
QID2="$(send "via relay nx" user@nosuch.test)"
wait_status 15 "$QID1" user@dest.test delivered
wait_status 15 "$QID2" user@nosuch.test delivered
expect_eq "the relay got both" '[["user@dest.test"]]|[["user@nosuch.test"]]' \
  "$(mx_rcpts relay "via relay")|$(mx_rcpts relay "via relay nx")"
expect_eq "connections to dest.test's MX" 0 "$(mx_connections mx1)"
expect_contains "the relay's name was looked up" "$(cat "$WORK/dnsmasq.log")" "query[A] smarthost.test"
expect_not_contains "no MX lookup was made" "$(cat "$WORK/dnsmasq.log")" "query[MX]"
[ "$(mx_meta relay "via relay" 'd["tls"]')" != "null" ] || fail "STARTTLS offered by the relay was not used"
expect_contains "queue show names the relay" "$(attempt_lines "$QID1" user@dest.test)" \
  "user@dest.test  delivered  smarthost.test [$NET.50]  tls=TLS"

step "relay_tls = required, relay by IP without STARTTLS: deferred, no MAIL sent"
stop_server
DELIVERY_EXTRA=$'relay = "'"$NET.51"$':2525"\nrelay_tls = "required"'
write_config
start_server
QID3="$(send "needs tls" user@dest.test)"
wait_status 15 "$QID3" user@dest.test deferred
resp="$(log_field "$QID3" user@dest.test last_response)"
expect_contains "last_response when the relay offers no STARTTLS" "$resp" \
  "TLS is required for this destination, but the server does not offer STARTTLS"
expect_eq "plainrelay got no message" 0 "$(mx_count plainrelay)"
expect_not_contains "no MAIL sent to plainrelay" "$(cat "$MX_DIR/plainrelay/commands.log")" "MAIL FROM"
expect_eq "connections to dest.test's MX" 0 "$(mx_connections mx1)"

step "relay fixed (STARTTLS relay, required): queue retry --all delivers"
stop_server
DELIVERY_EXTRA=$'relay = "smarthost.test:2525"\nrelay_tls = "required"'
write_config
start_server
expect_eq "still deferred after the restart" deferred "$(log_field "$QID3" user@dest.test status)"
run herald queue retry --all
expect_rc "queue retry --all" 0
expect_eq "queue retry --all output" "retry: 1 recipient(s)" "$OUT"
wait_status 15 "$QID3" user@dest.test delivered
expect_eq "the relay got it" '[["user@dest.test"]]' "$(mx_rcpts relay "needs tls")"
[ "$(mx_meta relay "needs tls" 'd["tls"]')" != "null" ] || fail "relay_tls = required, but delivered without TLS"
expect_eq "connections to dest.test's MX" 0 "$(mx_connections mx1)"
expect_server_alive "end"
