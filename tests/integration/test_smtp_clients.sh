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
run herald sender add nopass@example.com --type triggered
expect_rc "sender add nopass@example.com" 0
start_server
WRONG="Wrong34CDef"
ACCEPTED=()  # subjects that must be in the log

# accepted SUBJECT: the last run succeeded and the message is recorded in the log.
accepted() {
  expect_rc "$1" 0
  ACCEPTED+=("$1")
  local rows
  rows="$(herald log --json --limit 100000 | pyjson "[r for r in d if r['subject'] == '''$1''']")"
  expect_eq "$1: log rows (status, sender, recipient, subject)" \
    "[[\"queued\", \"$SENDER\", \"bob@example.org\", \"$1\"]]" \
    "$(pyjson '[[r["status"], r["sender"], r["recipient"], r["subject"]] for r in d]' <<<"$rows")"
  [ -n "$(pyjson 'd[0]["queue_id"]' <<<"$rows")" ] || fail "$1: log row has no queue_id"
}

# refused WHAT SUBJECT NEEDLE: the last run failed, its output has NEEDLE, nothing was logged.
refused() {
  expect_failed "$1"
  expect_contains "$1: client output" "$OUT$ERR" "$3"
  expect_eq "$1: log rows with subject '$2'" 0 "$(log_count_subject "$2")"
}

# ---- PHP Symfony Mailer, as Nextcloud builds its transport ------------------------------------

symfony() { php "$ITEST_DIR/symfony_send.php" 127.0.0.1 "$@"; }

step "Symfony Mailer: implicit TLS (tls=true), STARTTLS (tls=false, auto STARTTLS)"
run symfony "$PORT_IMPLICIT" implicit "$SENDER" "$PASSWORD" "$SENDER" bob@example.org "symfony implicit"
accepted "symfony implicit"
run symfony "$PORT_STARTTLS" starttls "$SENDER" "$PASSWORD" "$SENDER" bob@example.org "symfony starttls"
accepted "symfony starttls"

step "Symfony Mailer: wrong password, unknown user, sender without password"
run symfony "$PORT_IMPLICIT" implicit "$SENDER" "$WRONG" "$SENDER" bob@example.org "symfony wrong implicit"
refused "Symfony wrong password (implicit)" "symfony wrong implicit" "535 5.7.8"
run symfony "$PORT_STARTTLS" starttls "$SENDER" "$WRONG" "$SENDER" bob@example.org "symfony wrong starttls"
refused "Symfony wrong password (STARTTLS)" "symfony wrong starttls" "535 5.7.8"
run symfony "$PORT_STARTTLS" starttls nobody@example.com "$PASSWORD" nobody@example.com bob@example.org "symfony nobody"
refused "Symfony unknown user" "symfony nobody" "535 5.7.8"
run symfony "$PORT_STARTTLS" starttls nopass@example.com "$PASSWORD" nopass@example.com bob@example.org "symfony nopass"
refused "Symfony sender without a password" "symfony nopass" "535 5.7.8"

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
  curl -sS --max-time 20 "$url" -k --user "$SENDER:$pw" --mail-from "$SENDER" \
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
  msmtp --host=127.0.0.1 --port="$1" --tls=on --tls-starttls="$2" --tls-certcheck=off \
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

# ---- the protocol rules, exactly ------------------------------------------------------------

step "AUTH before STARTTLS: not advertised, refused; MAIL before STARTTLS refused"
smtpchat "$PORT_STARTTLS" plain expect:220 "send:EHLO client.test" expect:250 contains:STARTTLS \
  lacks:AUTH "authplain:$SENDER:$PASSWORD" "expect:538 5.7.11" "send:AUTH LOGIN" "expect:538 5.7.11" \
  "send:MAIL FROM:<$SENDER>" "expect:530 5.7.0" send:STARTTLS "expect:220" starttls \
  "send:EHLO client.test" expect:250 "contains:AUTH PLAIN LOGIN" lacks:STARTTLS \
  "authplain:$SENDER:$PASSWORD" "expect:235 2.7.0" send:QUIT expect:221

step "MAIL without AUTH -> 530 5.7.0 (both listeners)"
smtpchat "$PORT_IMPLICIT" implicit expect:220 "send:EHLO client.test" expect:250 "contains:AUTH PLAIN" \
  "send:MAIL FROM:<$SENDER>" "expect:530 5.7.0" "send:RCPT TO:<bob@example.org>" "expect:530 5.7.0" \
  send:QUIT expect:221
smtpchat "$PORT_STARTTLS" plain expect:220 "send:EHLO client.test" expect:250 send:STARTTLS \
  expect:220 starttls "send:EHLO client.test" expect:250 "send:MAIL FROM:<$SENDER>" \
  "expect:530 5.7.0 Authentication required" send:QUIT expect:221

step "MAIL FROM other than the authenticated sender -> 550 5.7.1 naming it"
for other in boss@example.com ALERTS@example.net "<>"; do
  addr="$other"
  [ "$other" == "<>" ] && addr=""
  smtpchat "$PORT_IMPLICIT" implicit expect:220 "send:EHLO client.test" expect:250 \
    "authplain:$SENDER:$PASSWORD" expect:235 "send:MAIL FROM:<$addr>" "expect:550 5.7.1" \
    "contains:<$SENDER>" "send:MAIL FROM:<$SENDER>" "expect:250" send:QUIT expect:221
done

step "From header mismatch -> 550 5.7.1, nothing logged"
smtpchat "$PORT_IMPLICIT" implicit expect:220 "send:EHLO client.test" expect:250 \
  "authplain:$SENDER:$PASSWORD" expect:235 "send:MAIL FROM:<$SENDER>" expect:250 \
  "send:RCPT TO:<bob@example.org>" expect:250 send:DATA expect:354 \
  "message:ceo@example.com:chat from mismatch" "expect:550 5.7.1" "contains:expected From: <$SENDER>" \
  "send:MAIL FROM:<$SENDER>" expect:250 "send:RCPT TO:<bob@example.org>" expect:250 send:DATA \
  expect:354 "message:$SENDER:chat accepted" "expect:250 2.0.0 Ok: queued as" send:QUIT expect:221
expect_eq "log rows for the mismatched From" 0 "$(log_count_subject "chat from mismatch")"
ACCEPTED+=("chat accepted")

# ---- the records --------------------------------------------------------------------------

step "every accepted message is in herald log --json, nothing else"
log="$(herald log --json --limit 100000)"
expected_subjects="$(printf '%s\n' "${ACCEPTED[@]}" | sort)"
expect_eq "subjects in the log" "$expected_subjects" \
  "$(pyjson '"\n".join(sorted(r["subject"] for r in d))' <<<"$log")"
expect_eq "statuses in the log" '["queued"]' "$(pyjson 'sorted(set(r["status"] for r in d))' <<<"$log")"
expect_eq "queue ids are unique" "${#ACCEPTED[@]}" "$(pyjson 'len(set(r["queue_id"] for r in d))' <<<"$log")"

step "rejected attempts are in herald events"
events="$(herald events --json --limit 100000)"
kinds="$(pyjson 'sorted(set(e["kind"] for e in d))' <<<"$events")"
for kind in auth_failed auth_without_tls auth_required sender_mismatch from_header_mismatch; do
  expect_contains "event kinds recorded" "$kinds" "\"$kind\""
done
expect_eq "events are from 127.0.0.1" '["127.0.0.1"]' "$(pyjson 'sorted(set(e["client_ip"] for e in d))' <<<"$events")"
expect_contains "auth_failed names the user" \
  "$(pyjson '"\n".join(e["detail"] for e in d if e["kind"] == "auth_failed")' <<<"$events")" \
  "user $SENDER"
expect_contains "auth_failed for the unknown user" \
  "$(pyjson '"\n".join(e["detail"] for e in d if e["kind"] == "auth_failed")' <<<"$events")" \
  "nobody@example.com"
expect_contains "sender_mismatch detail" \
  "$(pyjson '"\n".join(e["detail"] for e in d if e["kind"] == "sender_mismatch")' <<<"$events")" \
  "MAIL FROM <boss@example.com>"
expect_contains "from_header_mismatch detail" \
  "$(pyjson '"\n".join(e["detail"] for e in d if e["kind"] == "from_header_mismatch")' <<<"$events")" \
  "From header <ceo@example.com>"
run herald events --kind sender_mismatch
expect_rc "herald events --kind sender_mismatch" 0
expect_contains "herald events (text)" "$OUT" "sender_mismatch  127.0.0.1"
expect_not_contains "no password in events" "$events" "$PASSWORD"
expect_not_contains "no password in events" "$events" "$WRONG"
expect_not_contains "no password in the server log" "$(cat "$SERVER_LOG")" "$PASSWORD"
expect_not_contains "no password in the server log" "$(cat "$SERVER_LOG")" "$WRONG"
