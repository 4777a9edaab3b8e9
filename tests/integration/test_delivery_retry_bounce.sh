#!/usr/bin/env bash
# Outcomes of the delivery engine against a scripted MX (issue "Delivery engine"):
#  - 4xx, then success: deferred with the reply and a next attempt about 1 minute later;
#    `herald queue retry` makes it due now; delivered; both attempts in `queue show`;
#  - 5xx 5.1.1: bounced at once, an RFC 3464 DSN (multipart/report, null envelope sender)
#    delivered to the sender's domain MX, the address on the suppression list; the next mail
#    to it is `suppressed` without any connection to the MX;
#  - a 5.7.1 policy rejection bounces but does not suppress;
#  - one message to several recipients: one transaction, each recipient its own outcome, and
#    the retry sends only to the deferred one;
#  - 451 and 554 at the end of DATA (all recipients of the transaction share the outcome);
#  - `sender bounces off`: no DSN;
#  - an operator's domain suppression (`suppression add D`) and its removal.
DTEST_NET=12
source "$(dirname "${BASH_SOURCE[0]}")/delivery_lib.sh"

configure
setup_sender
dns_mx dest.test mx1.dest.test 10
dns_a mx1.dest.test "$NET.1"
dns_mx blocked.test mx1.dest.test 10
dns_mx data.test mx2.data.test 10
dns_a mx2.data.test "$NET.2"
dns_mx example.com mx.example.com 10
dns_a mx.example.com "$NET.9"
start_dns test example.com
DSN_MX=sendermx
start_mx "[{\"name\": \"mx1\", \"addr\": \"$NET.1\", \"mode\": \"smtp\", \"starttls\": true,
            \"rcpt\": {\"later@dest.test\": [\"451 4.3.0 try later\", \"250 2.1.5 Ok\"],
                       \"later2@dest.test\": [\"452 4.2.2 mailbox full, try later\", \"250 2.1.5 Ok\"],
                       \"nouser@dest.test\": [\"550 5.1.1 no such user\"],
                       \"nouser2@dest.test\": [\"550 5.1.1 no such user here either\"],
                       \"nouser3@dest.test\": [\"550 5.1.1 gone\"],
                       \"policy@dest.test\": [\"550 5.7.1 message refused by policy\"]}},
           {\"name\": \"mx2\", \"addr\": \"$NET.2\", \"mode\": \"smtp\",
            \"data\": [\"451 4.3.0 queue full at end of data\", \"250 2.0.0 Ok\",
                     \"554 5.6.0 content rejected\"]},
           {\"name\": \"sendermx\", \"addr\": \"$NET.9\", \"mode\": \"smtp\"}]"
start_server

# ---- 4xx, then success ----------------------------------------------------------------------

step "451 at RCPT: deferred, with the reply and a next attempt about a minute away"
t0=$(date +%s)
QID="$(send "retry me" later@dest.test)"
wait_status 15 "$QID" later@dest.test deferred
expect_eq "last_response" "451 4.3.0 try later" "$(log_field "$QID" later@dest.test last_response)"
expect_eq "attempts after the deferral" 1 "$(log_field "$QID" later@dest.test attempts)"
expect_eq "the MX has no copy yet" '[]' "$(mx_rcpts mx1 "retry me")"
run herald queue list --status deferred --json
expect_rc "queue list --status deferred" 0
expect_eq "queue list --status deferred" "[[\"$QID\", \"later@dest.test\", \"deferred\", 1, \"451 4.3.0 try later\"]]" \
  "$(pyjson '[[r["queue_id"], r["recipient"], r["status"], r["attempts"], r["last_response"]] for r in d]' <<<"$OUT")"
next="$(pyjson 'd[0]["next_attempt_at"]' <<<"$OUT")"
delay=$(($(date -d "$next" +%s) - t0))
# The first retry comes 1 minute +-10% after the failure (queue/backoff.h).
[ "$delay" -ge 50 ] && [ "$delay" -le 75 ] ||
  fail "next attempt $next is ${delay}s after submission; expected about 60 s"
run herald queue list --status queued --json
expect_eq "queue list --status queued: nothing" "[]" "$(pyjson 'd' <<<"$OUT")"

step "herald queue retry: attempted now, delivered"
run herald queue retry "$QID"
expect_rc "queue retry $QID" 0
expect_eq "queue retry output" "retry: 1 recipient(s)" "$OUT"
wait_status 15 "$QID" later@dest.test delivered
expect_eq "the MX has one copy" '[["later@dest.test"]]' "$(mx_rcpts mx1 "retry me")"
expect_eq "attempts after delivery" 2 "$(log_field "$QID" later@dest.test attempts)"
expect_contains "last_response after delivery" "$(log_field "$QID" later@dest.test last_response)" "250"
lines="$(attempt_lines "$QID" later@dest.test)"
expect_eq "two attempts in queue show" 2 "$(grep -c . <<<"$lines")"
expect_contains "first attempt" "$(sed -n 1p <<<"$lines")" \
  "later@dest.test  deferred  mx1.dest.test [$NET.1]"
expect_contains "first attempt's reply" "$(sed -n 1p <<<"$lines")" "451 4.3.0 try later"
expect_contains "second attempt" "$(sed -n 2p <<<"$lines")" \
  "later@dest.test  delivered  mx1.dest.test [$NET.1]"
run herald queue retry "$QID"
expect_rc "queue retry of a delivered message (nothing to retry)" 1

# ---- 5xx: bounce, DSN, suppression ----------------------------------------------------------

step "550 5.1.1: bounced at once"
QID_B="$(send "bounce me" nouser@dest.test)"
wait_status 15 "$QID_B" nouser@dest.test bounced
expect_eq "last_response" "550 5.1.1 no such user" "$(log_field "$QID_B" nouser@dest.test last_response)"
expect_eq "RCPT attempts at the MX" 1 "$(mx_rcpt_commands mx1 nouser@dest.test)"

step "the DSN reaches the sender domain's MX: multipart/report for $SENDER"
wait_until 20 "a DSN about $QID_B at $DSN_MX" dsn_for "$QID_B"
DSN="$(dsn_for "$QID_B")"
dsn_meta="$(cat "${DSN%.eml}.json")"
expect_eq "DSN envelope sender (null, RFC 5321 §4.5.5)" "" "$(pyjson 'd["mail_from"]' <<<"$dsn_meta")"
expect_eq "DSN envelope recipient" "[\"$SENDER\"]" "$(pyjson 'd["rcpt_tos"]' <<<"$dsn_meta")"
dsn="$(cat "$DSN")"
expect_contains "DSN To" "$dsn" "To: <$SENDER>"
expect_contains "DSN content type" "$dsn" "multipart/report"
expect_contains "DSN report type" "$dsn" "report-type=delivery-status"
fields="$(dsn_fields "$DSN")"
expect_contains "DSN parts" "$fields" "parts: ['text/plain', 'message/delivery-status', 'text/rfc822-headers']"
expect_contains "DSN Final-Recipient" "$fields" "Final-Recipient: rfc822; nouser@dest.test"
expect_contains "DSN Action" "$fields" "Action: failed"
expect_contains "DSN Status" "$fields" "Status: 5.1.1"
expect_contains "DSN Diagnostic-Code" "$fields" "Diagnostic-Code: smtp; 550 5.1.1 no such user"
expect_contains "DSN Remote-MTA" "$fields" "Remote-MTA: dns; mx1.dest.test"
expect_contains "DSN returns the original headers" "$dsn" "Subject: bounce me"
expect_not_contains "DSN returns headers only, not the body" "$dsn" "Body of bounce me."
dsn_row="$(herald log --json --recipient "$SENDER" | pyjson '[r for r in d if r["sender"] == ""]')"
expect_eq "the DSN is in the log, delivered" '["delivered"]' "$(pyjson '[r["status"] for r in d]' <<<"$dsn_row")"

step "the hard bounce put the address on the suppression list"
run herald suppression list --json
expect_rc "suppression list" 0
entry="$(pyjson '[e for e in d if e["entry"] == "nouser@dest.test"]' <<<"$OUT")"
expect_eq "suppression entry" '[["address", "bounce"]]' "$(pyjson '[[e["type"], e["source"]] for e in d]' <<<"$entry")"
expect_contains "suppression reason" "$(pyjson 'd[0]["reason"]' <<<"$entry")" "550 5.1.1 no such user"
[ "$(pyjson 'd[0]["expires_at"]' <<<"$entry")" != "None" ] || fail "a bounce suppression should expire"

step "the next mail to it: suppressed, no connection to the MX"
conns_before="$(mx_connections mx1)"
QID_S="$(send "suppressed one" nouser@dest.test)"
wait_status 15 "$QID_S" nouser@dest.test suppressed
expect_contains "last_response names the suppression" \
  "$(log_field "$QID_S" nouser@dest.test last_response)" "suppression list"
sleep 1  # a connection, had one been started, would be logged by now
expect_eq "connections to mx1" "$conns_before" "$(mx_connections mx1)"
expect_eq "RCPT attempts for nouser@dest.test at the MX" 1 "$(mx_rcpt_commands mx1 nouser@dest.test)"
expect_eq "no copy at the MX" '[]' "$(mx_rcpts mx1 "suppressed one")"
lines="$(attempt_lines "$QID_S" nouser@dest.test)"
expect_contains "queue show: suppressed, no MX" "$lines" "nouser@dest.test  suppressed  - []"

step "5.7.1 policy rejection: bounced, not suppressed"
QID_P="$(send "policy" policy@dest.test)"
wait_status 15 "$QID_P" policy@dest.test bounced
run herald suppression list --json
expect_eq "policy@dest.test is not suppressed" '[]' \
  "$(pyjson '[e for e in d if e["entry"] == "policy@dest.test"]' <<<"$OUT")"
wait_until 20 "a DSN about $QID_P" dsn_for "$QID_P"

# ---- several recipients, one transaction ----------------------------------------------------

step "one message to ok, nouser2 (550) and later2 (452): one transaction, three outcomes"
mails_before="$(grep -c "^MAIL FROM:<$SENDER>" "$MX_DIR/mx1/commands.log")"
QID_M="$(send "mixed" ok@dest.test nouser2@dest.test later2@dest.test)"
wait_status 15 "$QID_M" ok@dest.test delivered
wait_status 15 "$QID_M" nouser2@dest.test bounced
wait_status 15 "$QID_M" later2@dest.test deferred
expect_eq "the MX got one copy, for ok@ only" '[["ok@dest.test"]]' "$(mx_rcpts mx1 mixed)"
expect_eq "one MAIL transaction for the three recipients" $((mails_before + 1)) \
  "$(grep -c "^MAIL FROM:<$SENDER>" "$MX_DIR/mx1/commands.log")"
expect_eq "later2's reply" "452 4.2.2 mailbox full, try later" \
  "$(log_field "$QID_M" later2@dest.test last_response)"
wait_until 20 "a DSN about $QID_M" dsn_for "$QID_M"
fields="$(dsn_fields "$(dsn_for "$QID_M")")"
expect_eq "the DSN reports only the failed recipient" "Final-Recipient: rfc822; nouser2@dest.test" \
  "$(grep "^Final-Recipient:" <<<"$fields")"
expect_contains "its status" "$fields" "Diagnostic-Code: smtp; 550 5.1.1 no such user here either"

step "queue retry: only the deferred recipient is sent again"
run herald queue retry "$QID_M"
expect_rc "queue retry $QID_M" 0
expect_eq "queue retry output" "retry: 1 recipient(s)" "$OUT"
wait_status 15 "$QID_M" later2@dest.test delivered
expect_eq "copies at the MX" '[["ok@dest.test"], ["later2@dest.test"]]' "$(mx_rcpts mx1 mixed)"
expect_eq "ok@ still delivered once" 1 "$(log_field "$QID_M" ok@dest.test attempts)"

# ---- replies at the end of DATA -------------------------------------------------------------

step "451 at the end of DATA: both recipients deferred; retried together and delivered"
QID_D="$(send "data later" a@data.test b@data.test)"
wait_status 15 "$QID_D" a@data.test deferred
wait_status 15 "$QID_D" b@data.test deferred
expect_eq "b's last_response" "451 4.3.0 queue full at end of data" "$(log_field "$QID_D" b@data.test last_response)"
run herald queue retry "$QID_D"
expect_eq "queue retry output" "retry: 2 recipient(s)" "$OUT"
wait_status 15 "$QID_D" a@data.test delivered
wait_status 15 "$QID_D" b@data.test delivered
expect_eq "one copy for both" '[["a@data.test", "b@data.test"]]' "$(mx_rcpts mx2 "data later")"

step "554 5.6.0 at the end of DATA: bounced with a DSN, not suppressed"
QID_C="$(send "data refused" c@data.test)"
wait_status 15 "$QID_C" c@data.test bounced
expect_eq "last_response" "554 5.6.0 content rejected" "$(log_field "$QID_C" c@data.test last_response)"
wait_until 20 "a DSN about $QID_C" dsn_for "$QID_C"
expect_contains "DSN status" "$(dsn_fields "$(dsn_for "$QID_C")")" "Status: 5.6.0"
run herald suppression list --json
expect_eq "c@data.test is not suppressed" '[]' \
  "$(pyjson '[e for e in d if e["entry"] == "c@data.test"]' <<<"$OUT")"

# ---- sender bounces off ---------------------------------------------------------------------

step "sender bounces off: a bounce sends no DSN"
run herald sender bounces "$SENDER" off
expect_rc "sender bounces off" 0
QID_N="$(send "no dsn please" nouser3@dest.test)"
wait_status 15 "$QID_N" nouser3@dest.test bounced
sleep 2  # a DSN would be queued and delivered within this
! dsn_for "$QID_N" >/dev/null || fail "a DSN was sent although bounces are off for $SENDER"
expect_eq "DSNs in the log (bounce me, policy, mixed, data refused)" 4 \
  "$(herald log --json --recipient "$SENDER" | pyjson 'len([r for r in d if r["sender"] == ""])')"

# ---- operator suppression of a whole domain -------------------------------------------------

step "suppression add blocked.test: its mail is suppressed; after remove it is delivered"
run herald suppression add blocked.test --reason "customer asked"
expect_rc "suppression add blocked.test" 0
QID_X="$(send "blocked" someone@blocked.test)"
wait_status 15 "$QID_X" someone@blocked.test suppressed
expect_contains "last_response" "$(log_field "$QID_X" someone@blocked.test last_response)" "customer asked"
expect_eq "RCPTs for someone@blocked.test" 0 "$(mx_rcpt_commands mx1 someone@blocked.test)"
run herald suppression remove blocked.test
expect_rc "suppression remove blocked.test" 0
QID_Y="$(send "unblocked" someone@blocked.test)"
wait_status 15 "$QID_Y" someone@blocked.test delivered
expect_eq "copies at the MX" '[["someone@blocked.test"]]' "$(mx_rcpts mx1 unblocked)"
expect_server_alive "end"
