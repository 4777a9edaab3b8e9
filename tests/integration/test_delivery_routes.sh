#!/usr/bin/env bash
# Per-domain routes ([[delivery.routes]]) over MX delivery: a route sends dest.test to a relay
# that requires STARTTLS + AUTH (PLAIN), authenticated; other domains still go to their MX by
# DNS; a wildcard route (.sub.test) reaches a relay that offers only AUTH LOGIN; a wrong
# password defers (the mail is kept) with the relay's 535 in last_response, and is delivered
# once the password file is fixed; a connection authenticated for one route is not reused for
# another route to the same relay; tls = "required" on an MX route whose MX offers no STARTTLS
# defers with a clear reason; credentials are never sent without TLS; no password appears in
# the server log, the delivery log or `herald config show`.
DTEST_NET=20
source "$(dirname "${BASH_SOURCE[0]}")/delivery_lib.sh"

RELAY_USER="relayuser"
RELAY_PW="Relay-Pw-7q2x"
WRONG_PW="Wrong-Pw-9k4z"

configure
setup_sender
dns_mx dest.test mx1.dest.test 10
dns_a mx1.dest.test "$NET.1"
dns_mx other.test mx.other.test 10
dns_a mx.other.test "$NET.2"
dns_mx secure.test mx.secure.test 10
dns_a mx.secure.test "$NET.3"
dns_mx a.sub.test mx.sub.test 10
dns_a mx.sub.test "$NET.4"
dns_a relay.test "$NET.5"
dns_mx example.com mx.example.com 10
dns_a mx.example.com "$NET.9"
start_dns test example.com

AUTH="{\"user\": \"$RELAY_USER\", \"password\": \"$RELAY_PW\"}"
start_mx "[{\"name\": \"mx1\", \"addr\": \"$NET.1\", \"mode\": \"smtp\", \"starttls\": true},
           {\"name\": \"othermx\", \"addr\": \"$NET.2\", \"mode\": \"smtp\"},
           {\"name\": \"securemx\", \"addr\": \"$NET.3\", \"mode\": \"smtp\"},
           {\"name\": \"submx\", \"addr\": \"$NET.4\", \"mode\": \"smtp\"},
           {\"name\": \"sendermx\", \"addr\": \"$NET.9\", \"mode\": \"smtp\"},
           {\"name\": \"relay\", \"addr\": \"$NET.5\", \"port\": 2525, \"mode\": \"smtp\",
            \"starttls\": true, \"auth\": $AUTH},
           {\"name\": \"loginrelay\", \"addr\": \"$NET.6\", \"port\": 2525, \"mode\": \"smtp\",
            \"starttls\": true, \"auth\": {\"user\": \"$RELAY_USER\", \"password\": \"$RELAY_PW\",
                                          \"exclude\": [\"PLAIN\"]}},
           {\"name\": \"plainrelay\", \"addr\": \"$NET.7\", \"port\": 2525, \"mode\": \"smtp\"}]"

umask 077
printf '%s\n' "$RELAY_PW" >"$WORK/relay.pw"
printf '%s\n' "$WRONG_PW" >"$WORK/wrong.pw"
CONFIG_EXTRA="[[delivery.routes]]
domain = \"dest.test\"
relay = \"relay.test:2525\"
tls = \"required\"
auth_user = \"$RELAY_USER\"
auth_password_file = \"$WORK/relay.pw\"

[[delivery.routes]]
domain = \"wrongpw.test\"
relay = \"$NET.5:2525\"
tls = \"required\"
auth_user = \"$RELAY_USER\"
auth_password_file = \"$WORK/wrong.pw\"

[[delivery.routes]]
domain = \".sub.test\"
relay = \"$NET.6:2525\"
auth_user = \"$RELAY_USER\"
auth_password_file = \"$WORK/relay.pw\"

[[delivery.routes]]
domain = \"secure.test\"
tls = \"required\"

[[delivery.routes]]
domain = \"plain-relay.test\"
relay = \"$NET.7:2525\"
auth_user = \"$RELAY_USER\"
auth_password_file = \"$WORK/relay.pw\""
write_config
start_server

step "route with AUTH PLAIN + required TLS to the relay; another domain by its MX"
QID1="$(send "routed" user@dest.test)"
QID2="$(send "by mx" user@other.test)"
wait_status 15 "$QID1" user@dest.test delivered
wait_status 15 "$QID2" user@other.test delivered
expect_eq "the relay got the routed message" '[["user@dest.test"]]' "$(mx_rcpts relay "routed")"
expect_eq "the relay saw the authenticated user" "$RELAY_USER" "$(mx_meta relay "routed" 'd["auth_user"]')"
[ "$(mx_meta relay "routed" 'd["tls"]')" != "null" ] || fail "routed mail went without TLS"
expect_contains "AUTH PLAIN was used" "$(cat "$MX_DIR/relay/commands.log")" \
  "AUTH PLAIN user=$RELAY_USER -> ok"
expect_eq "connections to dest.test's MX" 0 "$(mx_connections mx1)"
expect_eq "other.test's MX got its message" '[["user@other.test"]]' "$(mx_rcpts othermx "by mx")"
expect_eq "the relay did not get other.test's mail" '[]' "$(mx_rcpts relay "by mx")"
expect_contains "queue show names the relay" "$(attempt_lines "$QID1" user@dest.test)" \
  "user@dest.test  delivered  relay.test [$NET.5]  tls=TLS"

step "wrong password (same relay, another route): deferred with the relay's 535, not bounced"
# Sent at once, while the connection authenticated for dest.test is parked for reuse: a route
# with other credentials must open its own connection and fail its own AUTH.
QID3="$(send "wrong pw" user@wrongpw.test)"
wait_status 15 "$QID3" user@wrongpw.test deferred
resp="$(log_field "$QID3" user@wrongpw.test last_response)"
expect_contains "last_response quotes the relay" "$resp" "535 5.7.8 Authentication credentials invalid"
expect_contains "last_response says the mail is kept" "$resp" "relay rejected AUTH"
expect_contains "the relay refused the wrong password" "$(cat "$MX_DIR/relay/commands.log")" \
  "AUTH PLAIN user=$RELAY_USER -> failed"
expect_eq "the relay accepted no message for wrongpw.test" '[]' "$(mx_rcpts relay "wrong pw")"

step "wildcard route (.sub.test) to a relay that offers only AUTH LOGIN"
QID4="$(send "login" user@a.sub.test)"
wait_status 15 "$QID4" user@a.sub.test delivered
expect_eq "the LOGIN relay saw the user" "$RELAY_USER" "$(mx_meta loginrelay "login" 'd["auth_user"]')"
expect_contains "AUTH LOGIN was used" "$(cat "$MX_DIR/loginrelay/commands.log")" \
  "AUTH LOGIN user=$RELAY_USER -> ok"
expect_eq "a.sub.test's own MX was not used" 0 "$(mx_connections submx)"

step "tls = required on an MX route whose MX offers no STARTTLS: deferred, no MAIL"
QID5="$(send "needs tls" user@secure.test)"
wait_status 15 "$QID5" user@secure.test deferred
expect_contains "last_response says why" "$(log_field "$QID5" user@secure.test last_response)" \
  "TLS is required for this destination, but the server does not offer STARTTLS"
expect_not_contains "no MAIL sent to securemx" "$(cat "$MX_DIR/securemx/commands.log")" "MAIL FROM"

step "credentials are not sent to a relay without STARTTLS"
QID6="$(send "plain relay" user@plain-relay.test)"
wait_status 15 "$QID6" user@plain-relay.test deferred
expect_contains "last_response says why" "$(log_field "$QID6" user@plain-relay.test last_response)" \
  "relay requires AUTH but the connection is not encrypted"
expect_not_contains "no MAIL sent to plainrelay" "$(cat "$MX_DIR/plainrelay/commands.log")" "MAIL FROM"

step "no password anywhere Herald writes"
run herald config show
expect_rc "herald config show" 0
expect_contains "config show names the password file" "$OUT" "auth_password_file = \"$WORK/relay.pw\""
run herald log --json --limit 1000
expect_rc "herald log --json" 0
for pw in "$RELAY_PW" "$WRONG_PW"; do
  b64="$(printf '%s' "$pw" | base64)"
  for what in "config show:$(herald config show)" "delivery log:$OUT" "server log:$(cat "$SERVER_LOG")"; do
    expect_not_contains "${what%%:*} leaks no password" "$what" "$pw"
    expect_not_contains "${what%%:*} leaks no base64 password" "$what" "$b64"
  done
done

step "password file fixed, server restarted: queue retry --all delivers the kept mail"
stop_server
printf '%s\n' "$RELAY_PW" >"$WORK/wrong.pw"
start_server
run herald queue retry --all
expect_rc "queue retry --all" 0
wait_status 15 "$QID3" user@wrongpw.test delivered
expect_eq "the relay got it" '[["user@wrongpw.test"]]' "$(mx_rcpts relay "wrong pw")"
expect_eq "with the user" "$RELAY_USER" "$(mx_meta relay "wrong pw" 'd["auth_user"]')"

step "an unreadable password file stops the start with the key named"
stop_server
rm -f "$WORK/relay.pw"
run timeout 20 "$HERALD_BIN" --config "$CFG" serve
expect_rc "herald serve with a missing password file" 1
expect_contains "the error names the route key" "$OUT$ERR" \
  "delivery.routes[0].auth_password_file: cannot read $WORK/relay.pw"
