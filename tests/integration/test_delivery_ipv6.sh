#!/usr/bin/env bash
# IPv6 delivery and the A/AAAA fallback of RFC 5321 §5.1, through a real DNS server:
#  - an MX host whose only address is AAAA ::1: delivered over IPv6, and `herald queue show`
#    records the attempt as "host [::1]";
#  - no MX, only an AAAA record: the domain itself is the implicit MX, delivered over IPv6;
#  - no MX, an A record where nothing listens plus an AAAA record: the IPv4 address is tried
#    first (addresses in the order A then AAAA), refused, then the IPv6 one delivers;
#  - no MX, only an A record: implicit MX over IPv4 still works.
# Only this test binds [::1]:25 (with DTEST_NET=21 for its IPv4 addresses).
DTEST_NET=21
source "$(dirname "${BASH_SOURCE[0]}")/delivery_lib.sh"

configure
setup_sender

dns_mx v6mx.test mx6.v6mx.test 10
dns_aaaa mx6.v6mx.test ::1
dns_aaaa implicit6.test ::1
dns_a dual.test "$NET.3"  # nothing listens there: connection refused
dns_aaaa dual.test ::1
dns_a implicit4.test "$NET.4"
dns_mx example.com mx.example.com 10
dns_a mx.example.com "$NET.9"
start_dns test example.com

start_mx "[{\"name\": \"v6\", \"addr\": \"::1\", \"mode\": \"smtp\"},
           {\"name\": \"v4\", \"addr\": \"$NET.4\", \"mode\": \"smtp\"},
           {\"name\": \"sendermx\", \"addr\": \"$NET.9\", \"mode\": \"smtp\"}]"
start_server

step "MX whose only address is AAAA ::1: delivered over IPv6"
QID="$(send "over ipv6" user@v6mx.test)"
wait_status 20 "$QID" user@v6mx.test delivered
expect_eq "copies at [::1]" '[["user@v6mx.test"]]' "$(mx_rcpts v6 "over ipv6")"
expect_eq "the MTA saw an IPv6 peer" "::1" "$(mx_meta v6 "over ipv6" 'd["peer"]')"
expect_contains "queue show: the attempt names host and IPv6 address" \
  "$(attempt_lines "$QID" user@v6mx.test)" "user@v6mx.test  delivered  mx6.v6mx.test [::1]"

step "no MX, only AAAA: the domain is its own MX (RFC 5321 §5.1), over IPv6"
QID="$(send "implicit v6" user@implicit6.test)"
wait_status 20 "$QID" user@implicit6.test delivered
expect_eq "copies at [::1]" '[["user@implicit6.test"]]' "$(mx_rcpts v6 "implicit v6")"
expect_contains "queue show" "$(attempt_lines "$QID" user@implicit6.test)" \
  "delivered  implicit6.test [::1]"

step "no MX, A refused then AAAA: IPv4 first, then the IPv6 address delivers"
QID="$(send "dual stack" user@dual.test)"
wait_status 20 "$QID" user@dual.test delivered
expect_eq "copies at [::1]" '[["user@dual.test"]]' "$(mx_rcpts v6 "dual stack")"
expect_contains "queue show" "$(attempt_lines "$QID" user@dual.test)" "delivered  dual.test [::1]"
expect_contains "server log: the IPv4 address was tried first" "$(cat "$SERVER_LOG")" \
  "cannot connect to $NET.3:$MX_PORT"

step "no MX, only A: implicit MX over IPv4"
QID="$(send "implicit v4" user@implicit4.test)"
wait_status 20 "$QID" user@implicit4.test delivered
expect_eq "copies at $NET.4" '[["user@implicit4.test"]]' "$(mx_rcpts v4 "implicit v4")"
expect_contains "queue show" "$(attempt_lines "$QID" user@implicit4.test)" \
  "delivered  implicit4.test [$NET.4]"

expect_server_alive "end"

step "shutdown with the asynchronous resolver in place: clean exit"
stop_server
