#!/usr/bin/env bash
# SMTP submission with real clients (issue "SMTP submission", the Nextcloud path): Symfony
# Mailer configured as Nextcloud >= 26 does, swaks, curl, Python smtplib and msmtp, on a
# STARTTLS and an implicit-TLS listener. The right password delivers into the log (status
# queued, sender, recipient, subject); a wrong one fails clearly; the SMTP rules (no AUTH in
# clear text, AUTH before MAIL, sender binding, From header) hold and rejections are events.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Many deliberate wrong passwords below: keep the throttle from locking the test's IP out, and
# make it forget failures after a second so that its growing delay stays short.
SMTP_EXTRA=$'auth_max_failures = 1000\nauth_lockout = 1'
pick_ports_and_configure
setup_sender
start_server
WRONG="Wrong34CDef"
ACCEPTED=()  # subjects that must be in the log

# accepted SUBJECT: the last run succeeded; the log is checked for SUBJECT at the end.
accepted() {
  expect_rc "$1" 0
  ACCEPTED+=("$1")
}

# refused WHAT SUBJECT NEEDLE: the last run failed and its output has NEEDLE; at the end, the
# log must hold no message with SUBJECT (it holds exactly the ACCEPTED subjects).
refused() {
  expect_failed "$1"
  expect_contains "$1: client output" "$OUT$ERR" "$3"
}

# ---- PHP Symfony Mailer, as Nextcloud builds its transport ------------------------------------

symfony() { php "$ITEST_DIR/symfony_send.php" 127.0.0.1 "$@"; }

step "Symfony Mailer: implicit TLS (tls=true), STARTTLS (tls=false, auto STARTTLS)"
run symfony "$PORT_IMPLICIT" implicit "$SENDER" "$PASSWORD" "$SENDER" bob@example.org "symfony implicit"
accepted "symfony implicit"
run symfony "$PORT_STARTTLS" starttls "$SENDER" "$PASSWORD" "$SENDER" bob@example.org "symfony starttls"
accepted "symfony starttls"

step "Symfony Mailer: wrong password"
run symfony "$PORT_IMPLICIT" implicit "$SENDER" "$WRONG" "$SENDER" bob@example.org "symfony wrong implicit"
refused "Symfony wrong password (implicit)" "symfony wrong implicit" "535 5.7.8"
run symfony "$PORT_STARTTLS" starttls "$SENDER" "$WRONG" "$SENDER" bob@example.org "symfony wrong starttls"
refused "Symfony wrong password (STARTTLS)" "symfony wrong starttls" "535 5.7.8"

step "Symfony Mailer: From another address than the authenticated one"
run symfony "$PORT_IMPLICIT" implicit "$SENDER" "$PASSWORD" other@example.com bob@example.org "symfony other from"
refused "Symfony with from = other@example.com" "symfony other from" "550 5.7.1"
expect_contains "Symfony with from = other@example.com names the expected address" "$OUT" \
  "MAIL FROM must be <$SENDER>"

# ---- swaks --------------------------------------------------------------------------------

swaks_send() {  # PORT TLSFLAG MECH PASSWORD SUBJECT [extra swaks args]
  local port=$1 tlsflag=$2 mech=$3 pw=$4 subject=$5
  shift 5
  swaks --server 127.0.0.1 --port "$port" "$tlsflag" --auth "$mech" --auth-user "$SENDER" \
    --auth-password "$pw" --from "$SENDER" --to bob@example.org --header "Subject: $subject" \
    --timeout 20 "$@"
}

step "swaks: STARTTLS and --tls-on-connect, AUTH PLAIN and LOGIN"
for mech in PLAIN LOGIN; do
  run swaks_send "$PORT_STARTTLS" -tls "$mech" "$PASSWORD" "swaks starttls $mech"
  accepted "swaks starttls $mech"
  run swaks_send "$PORT_IMPLICIT" --tls-on-connect "$mech" "$PASSWORD" "swaks implicit $mech"
  accepted "swaks implicit $mech"
done

step "swaks: wrong password"
for mech in PLAIN LOGIN; do
  run swaks_send "$PORT_STARTTLS" -tls "$mech" "$WRONG" "swaks wrong $mech"
  refused "swaks wrong password ($mech, STARTTLS)" "swaks wrong $mech" "535 5.7.8 Authentication credentials invalid"
  run swaks_send "$PORT_IMPLICIT" --tls-on-connect "$mech" "$WRONG" "swaks wrong implicit $mech"
  refused "swaks wrong password ($mech, implicit)" "swaks wrong implicit $mech" "535 5.7.8"
done

step "swaks: AUTH without STARTTLS is not offered"
run swaks --server 127.0.0.1 --port "$PORT_STARTTLS" --auth PLAIN --auth-user "$SENDER" \
  --auth-password "$PASSWORD" --from "$SENDER" --to bob@example.org --header "Subject: swaks cleartext" --timeout 20
refused "swaks AUTH on the plain connection" "swaks cleartext" "Host did not advertise authentication"

step "swaks: From header other than the authenticated address"
run swaks_send "$PORT_STARTTLS" -tls PLAIN "$PASSWORD" "swaks from mismatch" --header "From: <boss@example.com>"
refused "swaks From header mismatch" "swaks from mismatch" \
  "550 5.7.1 Message rejected: From header <boss@example.com> is not the authenticated address; expected From: <$SENDER>"

# ---- curl ---------------------------------------------------------------------------------

curl_send() {  # URL PASSWORD SUBJECT [extra curl args]
  local url=$1 pw=$2 subject=$3
  shift 3
  message_file "$WORK/curl.eml" "$subject"
  curl -q -sS --max-time 20 "$url" -k --user "$SENDER:$pw" --mail-from "$SENDER" \
    --mail-rcpt bob@example.org --upload-file "$WORK/curl.eml" "$@"
}

step "curl: smtps:// and smtp:// --ssl-reqd"
run curl_send "smtps://127.0.0.1:$PORT_IMPLICIT" "$PASSWORD" "curl smtps"
accepted "curl smtps"
run curl_send "smtp://127.0.0.1:$PORT_STARTTLS" "$PASSWORD" "curl starttls" --ssl-reqd
accepted "curl starttls"
run curl_send "smtp://127.0.0.1:$PORT_STARTTLS" "$PASSWORD" "curl starttls login" --ssl-reqd --login-options AUTH=LOGIN
accepted "curl starttls login"

step "curl: wrong password; no TLS at all"
run curl_send "smtps://127.0.0.1:$PORT_IMPLICIT" "$WRONG" "curl wrong smtps"
refused "curl wrong password (smtps)" "curl wrong smtps" "Login denied"
run curl_send "smtp://127.0.0.1:$PORT_STARTTLS" "$WRONG" "curl wrong starttls" --ssl-reqd
refused "curl wrong password (STARTTLS)" "curl wrong starttls" "Login denied"
# Without --ssl-reqd curl stays in clear text: Herald offers no AUTH, so nothing is sent.
run curl_send "smtp://127.0.0.1:$PORT_STARTTLS" "$PASSWORD" "curl cleartext"
expect_failed "curl without TLS"
expect_eq "curl without TLS: log rows" 0 "$(log_count_subject "curl cleartext")"

# ---- Python smtplib -------------------------------------------------------------------------

py_send() {  # starttls|ssl PASSWORD SUBJECT [FROM-HEADER]
  "$PYTHON" - "$@" "$PORT_STARTTLS" "$PORT_IMPLICIT" "$SENDER" <<'EOF'
import smtplib, ssl, sys
from email.message import EmailMessage
mode, password, subject, from_header, p_starttls, p_implicit, sender = (
    sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 7 else None,
    *sys.argv[-3:])
ctx = ssl.create_default_context()
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
msg = EmailMessage()
msg["From"] = from_header or sender
msg["To"] = "bob@example.org"
msg["Subject"] = subject
msg.set_content("Hello from Python smtplib.\n")
try:
    if mode == "starttls":
        s = smtplib.SMTP("127.0.0.1", int(p_starttls), timeout=20)
        s.starttls(context=ctx)
    else:
        s = smtplib.SMTP_SSL("127.0.0.1", int(p_implicit), timeout=20, context=ctx)
    s.login(sender, password)
    s.send_message(msg, from_addr=sender, to_addrs=["bob@example.org"])
    s.quit()
    print("sent")
except smtplib.SMTPException as e:
    print(f"failed: {type(e).__name__}: {e}")
    sys.exit(1)
EOF
}

step "Python smtplib: SMTP + starttls + login, SMTP_SSL + login"
run py_send starttls "$PASSWORD" "python starttls"
accepted "python starttls"
run py_send ssl "$PASSWORD" "python ssl"
accepted "python ssl"
run py_send starttls "$WRONG" "python wrong starttls"
refused "Python wrong password (STARTTLS)" "python wrong starttls" "535"
run py_send ssl "$WRONG" "python wrong ssl"
refused "Python wrong password (SSL)" "python wrong ssl" "SMTPAuthenticationError"
run py_send ssl "$PASSWORD" "python from mismatch" "Alerts <alerts@example.net>"
refused "Python From header mismatch" "python from mismatch" "5.7.1"

# ---- msmtp --------------------------------------------------------------------------------

msmtp_send() {  # PORT on|off PASSWORD SUBJECT
  message_file "$WORK/msmtp.eml" "$4"
  msmtp -C /dev/null --host=127.0.0.1 --port="$1" --tls=on --tls-starttls="$2" --tls-certcheck=off \
    --auth=on --user="$SENDER" --passwordeval="echo $3" --from="$SENDER" --timeout=20 \
    bob@example.org <"$WORK/msmtp.eml"
}

step "msmtp: STARTTLS and implicit TLS"
run msmtp_send "$PORT_STARTTLS" on "$PASSWORD" "msmtp starttls"
accepted "msmtp starttls"
run msmtp_send "$PORT_IMPLICIT" off "$PASSWORD" "msmtp implicit"
accepted "msmtp implicit"
run msmtp_send "$PORT_STARTTLS" on "$WRONG" "msmtp wrong starttls"
refused "msmtp wrong password (STARTTLS)" "msmtp wrong starttls" "535 5.7.8"
run msmtp_send "$PORT_IMPLICIT" off "$WRONG" "msmtp wrong implicit"
refused "msmtp wrong password (implicit)" "msmtp wrong implicit" "authentication failed"

# ---- the records --------------------------------------------------------------------------

step "every accepted message is in herald log --json (queued, sender, recipient, subject)"
herald log --json --limit 100000 >"$WORK/log.json"
problems="$(printf '%s\n' "${ACCEPTED[@]}" | "$PYTHON" -c '
import json, sys
rows = json.load(open(sys.argv[1]))
want = [line.rstrip("\n") for line in sys.stdin if line.strip()]
for subject in want:
    # queued, or deferred once delivery tried the closed relay of lib.sh: accepted either way.
    got = [("queued" if r["status"] == "deferred" else r["status"], r["sender"], r["recipient"])
           for r in rows if r["subject"] == subject]
    if got != [("queued", sys.argv[2], "bob@example.org")]:
        print(f"  {subject!r}: expected one row (queued, {sys.argv[2]}, bob@example.org), got {got}")
for r in rows:
    subject = r["subject"]
    if subject not in want:
        print(f"  {subject!r}: logged, but that attempt should have been refused")
    if not r["queue_id"]:
        print(f"  {subject!r}: no queue_id")
' "$WORK/log.json" "$SENDER")"
[ -z "$problems" ] || fail "the log does not match the accepted messages:"$'\n'"$problems"
expect_eq "queue ids are unique" "${#ACCEPTED[@]}" "$(pyjson 'len(set(r["queue_id"] for r in d))' <"$WORK/log.json")"

step "refused attempts are in herald events; no password anywhere"
events="$(herald events --json --limit 100000)"
expect_eq "event kinds" '["auth_failed", "auth_required", "from_header_mismatch", "sender_mismatch"]' \
  "$(pyjson 'sorted(set(e["kind"] for e in d))' <<<"$events")"
expect_contains "auth_required (curl without TLS tried MAIL in clear)" \
  "$(pyjson '"\n".join(e["detail"] for e in d if e["kind"] == "auth_required")' <<<"$events")" \
  "MAIL before STARTTLS"
expect_contains "sender_mismatch (Symfony with another from)" \
  "$(pyjson '"\n".join(e["detail"] for e in d if e["kind"] == "sender_mismatch")' <<<"$events")" \
  "MAIL FROM <other@example.com>"
expect_contains "from_header_mismatch (swaks)" \
  "$(pyjson '"\n".join(e["detail"] for e in d if e["kind"] == "from_header_mismatch")' <<<"$events")" \
  "From header <boss@example.com>"
expect_not_contains "no password in events" "$events" "$PASSWORD"
expect_not_contains "no password in events" "$events" "$WRONG"
expect_not_contains "no password in the server log" "$(cat "$SERVER_LOG")" "$PASSWORD"
expect_not_contains "no password in the server log" "$(cat "$SERVER_LOG")" "$WRONG"
