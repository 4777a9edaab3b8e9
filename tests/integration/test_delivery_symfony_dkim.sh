#!/usr/bin/env bash
# The whole path of issue "Delivery engine": a message submitted with PHP Symfony Mailer
# (EsmtpTransport with STARTTLS, user = the sender address, as Nextcloud builds it) goes through
# Herald to the recipient domain's MX (found through DNS, port 25, STARTTLS offered) and lands
# in its mailbox DKIM-signed; python3-dkim verifies the signature with the key Herald asked to
# publish (`herald domain show --json`, served by dnsmasq). The log says delivered, and
# `queue show` records the attempt (MX host, address, TLS).
DTEST_NET=11
source "$(dirname "${BASH_SOURCE[0]}")/delivery_lib.sh"

configure
setup_sender

step "DNS: dest.test MX -> mx1.dest.test ($NET.1); example.com's records as Herald prints them"
dns_dest_and_sender
dns_mx example.com mx.example.com 10
dns_a mx.example.com "$NET.9"
DKIM_NAME="$(pyjson '[r for r in d["dns_records"] if r["purpose"] == "dkim"][0]["name"]' <"$WORK/show.json")"
expect_eq "DKIM record name" "herald1._domainkey.example.com" "$DKIM_NAME"
start_dns test example.com

start_mx "[{\"name\": \"mx1\", \"addr\": \"$NET.1\", \"mode\": \"smtp\", \"starttls\": true},
           {\"name\": \"sendermx\", \"addr\": \"$NET.9\", \"mode\": \"smtp\"}]"
start_server

step "Symfony Mailer (STARTTLS, AUTH as the sender) submits to carol@dest.test"
symfony_submit "symfony to the MX" carol@dest.test

step "the message lands in mx1's mailbox"
wait_mx_message 20 mx1 "symfony to the MX"
MSG="$(mx_file mx1 "symfony to the MX")"
expect_eq "envelope sender at the MX" "$SENDER" "$(mx_meta mx1 "symfony to the MX" 'd["mail_from"]')"
expect_eq "envelope recipients at the MX" '["carol@dest.test"]' "$(mx_meta mx1 "symfony to the MX" 'd["rcpt_tos"]')"
expect_eq "Herald's EHLO name" "$HOSTNAME_FQDN" "$(mx_meta mx1 "symfony to the MX" 'd["helo"]')"
tls="$(mx_meta mx1 "symfony to the MX" 'd["tls"]')"
[ "$tls" != "null" ] || fail "Herald did not use the STARTTLS the MX offered"
expect_contains "the body survived" "$(cat "$MSG")" "Hello from Symfony Mailer via Herald."
expect_contains "the HTML part survived" "$(cat "$MSG")" "<b>Symfony Mailer</b>"
expect_eq "nothing went to the sender domain's MX" 0 "$(mx_count sendermx)"

step "the DKIM signature verifies (python3-dkim, key from DNS as published)"
run "$PYTHON" "$DTEST_DIR/delivery_dkim_verify.py" "$MSG" "$PORT_DNS"
expect_rc "DKIM verification of the delivered message" 0
expect_eq "DKIM verification result" "pass d=example.com s=herald1" "$OUT"
# The check can fail: a changed body does not verify.
sed 's/Hello from Symfony Mailer via Herald\./Hello from somebody else./' "$MSG" >"$WORK/tampered.eml"
run "$PYTHON" "$DTEST_DIR/delivery_dkim_verify.py" "$WORK/tampered.eml" "$PORT_DNS"
expect_rc "DKIM verification of a tampered copy" 1

step "herald log: delivered with the MX's reply; queue show: the attempt"
QID="$(herald log --json --recipient carol@dest.test | pyjson 'd[0]["queue_id"]')"
wait_status 10 "$QID" carol@dest.test delivered
expect_contains "last_response" "$(log_field "$QID" carol@dest.test last_response)" "250"
expect_eq "attempts" 1 "$(log_field "$QID" carol@dest.test attempts)"
lines="$(attempt_lines "$QID" carol@dest.test)"
expect_eq "one attempt in queue show" 1 "$(grep -c . <<<"$lines")"
expect_contains "attempt outcome and MX" "$lines" "carol@dest.test  delivered  mx1.dest.test [$NET.1]  tls=TLS"
run herald queue list --json
expect_rc "queue list" 0
expect_eq "nothing left in the queue" "[]" "$(pyjson 'd' <<<"$OUT")"

step "dot lines, 8-bit UTF-8, folded headers, trailing blanks: delivered intact, DKIM verifies"
printf '%s\r\n' "From: Alerts <$SENDER>" "To: carol@dest.test" "Subject: tricky" \
  "X-Folded: first part," $'\tsecond part' "Date: $(date -R)" "Message-ID: <tricky.$$@dtest>" \
  "MIME-Version: 1.0" "Content-Type: text/plain; charset=utf-8" "Content-Transfer-Encoding: 8bit" \
  "" ".a line starting with a dot" "." ".." "Grüße aus Köln — ünïcödé" "trailing blanks   " \
  $'a tab\there' "" "" >"$WORK/tricky.eml"
QID_T="$(send_file "$WORK/tricky.eml" carol@dest.test)"
wait_status 15 "$QID_T" carol@dest.test delivered
MSG="$(mx_file mx1 tricky)"
"$PYTHON" - "$WORK/tricky.eml" "$MSG" <<'PY' || fail "the body changed on the way"
import sys
sent, got = (open(p, "rb").read().split(b"\r\n\r\n", 1)[1] for p in sys.argv[1:3])
if sent != got:
    sys.exit(f"sent body {sent!r}\nreceived body {got!r}")
PY
expect_contains "8-bit body announced (RFC 6152)" "$(mx_meta mx1 tricky 'd["mail_options"]')" "BODY=8BITMIME"
run "$PYTHON" "$DTEST_DIR/delivery_dkim_verify.py" "$MSG" "$PORT_DNS"
expect_rc "DKIM verification of the tricky message" 0
expect_server_alive "after delivery"
