#!/usr/bin/env bash
# Routing of the delivery engine (RFC 5321 §5.1, RFC 7505) through a real DNS server:
#  - MX preference: the lowest preference value is tried first whatever the answer order;
#  - fallback: the preferred MX refuses connections, or greets with 421 -> the next one;
#  - equal preferences are spread over the hosts (§5.1: the client MUST randomize them);
#  - no MX record: the domain's own A record is the implicit MX;
#  - unreachable MX, MX without an address, DNS failure: deferred with a clear last_response,
#    listed by `herald queue list --status deferred`;
#  - NXDOMAIN and null MX: bounced at once, with a DSN to the sender.
DTEST_NET=13
source "$(dirname "${BASH_SOURCE[0]}")/delivery_lib.sh"

configure
setup_sender

# dnsmasq answers in the reverse order of its arguments: the preferred record goes first here so
# that it comes last on the wire.
dns_mx pref.test mxa.pref.test 10
dns_mx pref.test mxb.pref.test 20
dns_a mxa.pref.test "$NET.1"
dns_a mxb.pref.test "$NET.2"
dns_mx fallback.test mxdown.fallback.test 10
dns_mx fallback.test mxup.fallback.test 20
dns_a mxdown.fallback.test "$NET.3"  # nothing listens there: connection refused
dns_a mxup.fallback.test "$NET.4"
dns_mx busy.test mxbusy.busy.test 5
dns_mx busy.test mxok.busy.test 50
dns_a mxbusy.busy.test "$NET.5"
dns_a mxok.busy.test "$NET.6"
dns_mx equal.test mxe1.equal.test 10
dns_mx equal.test mxe2.equal.test 10
dns_a mxe1.equal.test "$NET.7"
dns_a mxe2.equal.test "$NET.8"
dns_a implicit.test "$NET.10"
dns_mx unreachable.test mx.unreachable.test 10
dns_a mx.unreachable.test "$NET.20"  # nothing listens there
dns_mx noaddr.test mx.noaddr.test 10  # and no A record for mx.noaddr.test
dns_null_mx nullmx.test
dns_mx example.com mx.example.com 10
dns_a mx.example.com "$NET.9"
# Zones served (NXDOMAIN for other names in them); other zones get no answer: DNS failure.
start_dns test example.com
DSN_MX=sendermx

start_mx "[{\"name\": \"mxa\", \"addr\": \"$NET.1\", \"mode\": \"smtp\"},
           {\"name\": \"mxb\", \"addr\": \"$NET.2\", \"mode\": \"smtp\"},
           {\"name\": \"mxup\", \"addr\": \"$NET.4\", \"mode\": \"smtp\"},
           {\"name\": \"mxbusy\", \"addr\": \"$NET.5\", \"mode\": \"banner\", \"banner\": \"421 4.3.2 too busy, try another MX\"},
           {\"name\": \"mxok\", \"addr\": \"$NET.6\", \"mode\": \"smtp\"},
           {\"name\": \"mxe1\", \"addr\": \"$NET.7\", \"mode\": \"smtp\"},
           {\"name\": \"mxe2\", \"addr\": \"$NET.8\", \"mode\": \"smtp\"},
           {\"name\": \"implicit\", \"addr\": \"$NET.10\", \"mode\": \"smtp\"},
           {\"name\": \"sendermx\", \"addr\": \"$NET.9\", \"mode\": \"smtp\"}]"
start_server

step "MX preference: 10 before 20 although the answer lists 20 first"
QID="$(send "preference" user@pref.test)"
wait_status 15 "$QID" user@pref.test delivered
expect_eq "copies at mxa (preference 10)" '[["user@pref.test"]]' "$(mx_rcpts mxa preference)"
expect_eq "connections to mxb (preference 20)" 0 "$(mx_connections mxb)"

step "fallback: the preferred MX refuses connections -> delivered to the next"
QID="$(send "fallback" user@fallback.test)"
wait_status 20 "$QID" user@fallback.test delivered
expect_eq "copies at mxup" '[["user@fallback.test"]]' "$(mx_rcpts mxup fallback)"
expect_contains "queue show: delivered by mxup" "$(attempt_lines "$QID" user@fallback.test)" \
  "user@fallback.test  delivered  mxup.fallback.test [$NET.4]"

step "fallback: the preferred MX greets with 421 -> delivered to the next"
QID="$(send "busy" user@busy.test)"
wait_status 20 "$QID" user@busy.test delivered
expect_eq "mxbusy was tried" 1 "$(mx_connections mxbusy)"
expect_eq "copies at mxok" '[["user@busy.test"]]' "$(mx_rcpts mxok busy)"

step "no MX record: the domain's A record is the implicit MX"
QID="$(send "implicit" user@implicit.test)"
wait_status 15 "$QID" user@implicit.test delivered
expect_eq "copies at implicit.test's address" '[["user@implicit.test"]]' "$(mx_rcpts implicit implicit)"

step "unreachable MX: deferred, last_response names the connection failure"
QID_U="$(send "unreachable" user@unreachable.test)"
wait_status 20 "$QID_U" user@unreachable.test deferred
resp="$(log_field "$QID_U" user@unreachable.test last_response)"
expect_contains "last_response of an unreachable MX" "$resp" "$NET.20:$MX_PORT"
expect_contains "last_response of an unreachable MX" "$resp" "refused"

step "MX host without an address: deferred"
QID_A="$(send "noaddr" user@noaddr.test)"
wait_status 20 "$QID_A" user@noaddr.test deferred
expect_contains "last_response of an MX without address" \
  "$(log_field "$QID_A" user@noaddr.test last_response)" "no address for the mail servers of noaddr.test"

step "DNS failure (no answer for the zone): deferred, not bounced"
QID_F="$(send "dns failure" user@elsewhere.invalid)"
wait_status 20 "$QID_F" user@elsewhere.invalid deferred
expect_contains "last_response of a DNS failure" \
  "$(log_field "$QID_F" user@elsewhere.invalid last_response)" "MX lookup failed"

step "queue list --status deferred lists the three"
run herald queue list --status deferred --json
expect_rc "queue list --status deferred" 0
expect_eq "deferred recipients" \
  '["user@elsewhere.invalid", "user@noaddr.test", "user@unreachable.test"]' \
  "$(pyjson 'sorted(r["recipient"] for r in d)' <<<"$OUT")"
expect_eq "each with a last_response" 3 "$(pyjson 'len([r for r in d if r["last_response"]])' <<<"$OUT")"
run herald queue list --status deferred
expect_contains "queue list (text)" "$OUT" "$QID_U  deferred  user@unreachable.test  attempts=1"

step "NXDOMAIN: bounced at once, DSN to the sender"
QID_N="$(send "nxdomain" user@nosuch.test)"
wait_status 15 "$QID_N" user@nosuch.test bounced
resp="$(log_field "$QID_N" user@nosuch.test last_response)"
expect_contains "last_response of NXDOMAIN" "$resp" "nosuch.test does not exist"
expect_eq "attempts" 1 "$(log_field "$QID_N" user@nosuch.test attempts)"
wait_until 20 "a DSN about $QID_N" dsn_for "$QID_N"
fields="$(dsn_fields "$(dsn_for "$QID_N")")"
expect_contains "NXDOMAIN DSN" "$fields" "Final-Recipient: rfc822; user@nosuch.test"
expect_contains "NXDOMAIN DSN status" "$fields" "Status: 5.1.2"

step "null MX (RFC 7505): bounced at once, DSN to the sender"
QID_0="$(send "null mx" user@nullmx.test)"
wait_status 15 "$QID_0" user@nullmx.test bounced
expect_contains "last_response of a null MX" "$(log_field "$QID_0" user@nullmx.test last_response)" \
  "null MX"
wait_until 20 "a DSN about $QID_0" dsn_for "$QID_0"
expect_contains "null MX DSN status (RFC 7505 §4.1)" "$(dsn_fields "$(dsn_for "$QID_0")")" "Status: 5.1.10"
step "two MX hosts of equal preference share the mail (RFC 5321 §5.1 randomization)"
EQ_QIDS=()
for i in $(seq 16); do EQ_QIDS+=("$(send "equal $i" "user$i@equal.test")"); done
for i in $(seq 16); do wait_status 20 "${EQ_QIDS[$((i - 1))]}" "user$i@equal.test" delivered; done
n1="$(mx_count mxe1)"
n2="$(mx_count mxe2)"
expect_eq "messages at mxe1 + mxe2" 16 "$((n1 + n2))"
# With a fair random choice per message, all 16 at one host has probability 2^-15.
[ "$n1" -gt 0 ] && [ "$n2" -gt 0 ] ||
  fail "all 16 messages went to one of two MX hosts of equal preference (mxe1: $n1, mxe2: $n2)"

expect_server_alive "end"
