#!/usr/bin/env bash
# Process lifecycle: the first start generates a self-signed certificate (key mode 0600) and
# later starts reuse it; SIGTERM/SIGINT stop the server promptly with exit status 0 and a log
# line, also with a client connected; SIGHUP reloads a replaced certificate for new connections
# on both listeners, keeps sessions and keeps the old certificate when the new files are bad.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# fingerprint PORT implicit|starttls: SHA-256 fingerprint of the certificate the listener shows.
fingerprint() {
  local args=()
  [ "$2" == starttls ] && args=(-starttls smtp)
  timeout 10 openssl s_client -connect "127.0.0.1:$1" "${args[@]}" </dev/null 2>/dev/null |
    openssl x509 -noout -fingerprint -sha256 2>/dev/null | sed 's/.*=//'
}
file_fingerprint() { openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//'; }

# make_cert NAME: a self-signed certificate and key in $WORK/NAME.crt / NAME.key.
make_cert() {
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=$1.herald.test" \
    -keyout "$WORK/$1.key" -out "$WORK/$1.crt" 2>/dev/null || fail "openssl req for $1 failed"
}

send_one() {  # SUBJECT: one message over implicit TLS with smtplib
  "$PYTHON" - "$PORT_IMPLICIT" "$SENDER" "$PASSWORD" "$1" <<'EOF'
import smtplib, ssl, sys
port, sender, password, subject = sys.argv[1:]
ctx = ssl._create_unverified_context()
with smtplib.SMTP_SSL("127.0.0.1", int(port), context=ctx, timeout=20) as s:
    s.login(sender, password)
    s.sendmail(sender, ["bob@example.org"],
               f"From: {sender}\r\nTo: bob@example.org\r\nSubject: {subject}\r\n\r\nhi\r\n")
EOF
}

pick_ports_and_configure
setup_sender

step "first start without [tls]: a self-signed certificate is generated, key mode 0600"
[ ! -e "$DATA_DIR/tls" ] || fail "$DATA_DIR/tls exists before the first start"
start_server
expect_contains "first start log" "$(cat "$SERVER_LOG")" "generated a self-signed certificate for $HOSTNAME_FQDN"
[ -f "$DATA_DIR/tls/cert.pem" ] || fail "no $DATA_DIR/tls/cert.pem after the first start"
[ -f "$DATA_DIR/tls/key.pem" ] || fail "no $DATA_DIR/tls/key.pem after the first start"
expect_eq "mode of the generated key" 600 "$(stat -c %a "$DATA_DIR/tls/key.pem")"
expect_contains "generated certificate names the host" \
  "$(openssl x509 -in "$DATA_DIR/tls/cert.pem" -noout -subject -ext subjectAltName 2>/dev/null)" "$HOSTNAME_FQDN"
openssl x509 -in "$DATA_DIR/tls/cert.pem" -noout -checkend 86400 >/dev/null ||
  fail "the generated certificate expires within a day"
generated="$(file_fingerprint "$DATA_DIR/tls/cert.pem")"
expect_eq "implicit listener serves the generated certificate" "$generated" "$(fingerprint "$PORT_IMPLICIT" implicit)"
expect_eq "STARTTLS listener serves the generated certificate" "$generated" "$(fingerprint "$PORT_STARTTLS" starttls)"

step "SIGTERM: exit 0 within a few seconds, shutdown logged"
stop_server TERM
expect_eq "exit status after SIGTERM" 0 "$SERVER_RC"
awk -v t="$SERVER_STOP_SECONDS" 'BEGIN { exit !(t <= 5) }' || fail "SIGTERM took ${SERVER_STOP_SECONDS}s (> 5 s)"
expect_contains "log after SIGTERM" "$(cat "$SERVER_LOG")" "signal 15: shutting down"
expect_contains "log after SIGTERM" "$(tail -1 "$SERVER_LOG")" "stopped"

step "second start reuses the generated certificate"
start_server
expect_not_contains "second start log" "$(cat "$SERVER_LOG")" "generated a self-signed certificate"
expect_eq "certificate after restart" "$generated" "$(fingerprint "$PORT_IMPLICIT" implicit)"

step "SIGINT with a client connected mid-transaction: exit 0 promptly"
"$PYTHON" "$ITEST_DIR/smtpchat.py" "$PORT_IMPLICIT" implicit expect:220 "send:EHLO c.test" expect:250 \
  "authplain:$SENDER:$PASSWORD" expect:235 "send:MAIL FROM:<$SENDER>" expect:250 \
  "touch:$WORK/connected" timeout:20 expect:421 closed:20 >"$WORK/connected.log" 2>&1 &
client=$!
track_pid "$client"
for i in $(seq 100); do [ -e "$WORK/connected" ] && break; sleep 0.05; done
[ -e "$WORK/connected" ] || fail "client did not connect: $(cat "$WORK/connected.log")"
stop_server INT
expect_eq "exit status after SIGINT" 0 "$SERVER_RC"
awk -v t="$SERVER_STOP_SECONDS" 'BEGIN { exit !(t <= 5) }' || fail "SIGINT with a client took ${SERVER_STOP_SECONDS}s (> 5 s)"
expect_contains "log after SIGINT" "$(cat "$SERVER_LOG")" "signal 2: shutting down"
wait "$client" || fail "the connected client did not see its connection closed: $(cat "$WORK/connected.log")"

step "configured certificate; SIGHUP after replacing it: new connections see the new one"
make_cert one
make_cert two
cp "$WORK/one.crt" "$WORK/live.crt"
cp "$WORK/one.key" "$WORK/live.key"
CONFIG_EXTRA=$'[tls]\n'"cert = \"$WORK/live.crt\""$'\n'"key = \"$WORK/live.key\""
write_config
start_server
one="$(file_fingerprint "$WORK/one.crt")"
two="$(file_fingerprint "$WORK/two.crt")"
expect_eq "implicit listener serves cert one" "$one" "$(fingerprint "$PORT_IMPLICIT" implicit)"
expect_eq "STARTTLS listener serves cert one" "$one" "$(fingerprint "$PORT_STARTTLS" starttls)"
# A session established before the reload must go on working after it.
"$PYTHON" "$ITEST_DIR/smtpchat.py" "$PORT_IMPLICIT" implicit expect:220 "send:EHLO c.test" expect:250 \
  "authplain:$SENDER:$PASSWORD" expect:235 "touch:$WORK/before-reload" timeout:20 \
  "waitfile:$WORK/reloaded" "send:MAIL FROM:<$SENDER>" expect:250 "send:RCPT TO:<bob@example.org>" \
  expect:250 send:DATA expect:354 "message:$SENDER:across reload" "expect:250 2.0.0" send:QUIT \
  expect:221 >"$WORK/across.log" 2>&1 &
across=$!
track_pid "$across"
for i in $(seq 100); do [ -e "$WORK/before-reload" ] && break; sleep 0.05; done
[ -e "$WORK/before-reload" ] || fail "session before the reload did not start: $(cat "$WORK/across.log")"
cp "$WORK/two.crt" "$WORK/live.crt"
cp "$WORK/two.key" "$WORK/live.key"
kill -HUP "$SERVER_PID"
for i in $(seq 50); do grep -q "TLS certificate reloaded" "$SERVER_LOG" && break; sleep 0.1; done
expect_contains "log after SIGHUP" "$(cat "$SERVER_LOG")" "TLS certificate reloaded"
kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited after SIGHUP"
expect_eq "implicit listener serves cert two after SIGHUP" "$two" "$(fingerprint "$PORT_IMPLICIT" implicit)"
expect_eq "STARTTLS listener serves cert two after SIGHUP" "$two" "$(fingerprint "$PORT_STARTTLS" starttls)"
touch "$WORK/reloaded"
wait "$across" || fail "the session opened before SIGHUP broke: $(cat "$WORK/across.log")"
run send_one "after reload"
expect_rc "send after the reload" 0
expect_eq "log rows after the reload" 1 "$(log_count_subject "after reload")"
expect_eq "log rows across the reload" 1 "$(log_count_subject "across reload")"

step "SIGHUP with a broken certificate: error logged, the old one stays, server runs"
echo "not a certificate" >"$WORK/live.crt"
kill -HUP "$SERVER_PID"
for i in $(seq 50); do grep -q "TLS reload failed" "$SERVER_LOG" && break; sleep 0.1; done
expect_contains "log after a bad SIGHUP" "$(cat "$SERVER_LOG")" "TLS reload failed, keeping the old certificate"
kill -0 "$SERVER_PID" 2>/dev/null || fail "server exited after a SIGHUP with a broken certificate"
expect_eq "still cert two after the failed reload" "$two" "$(fingerprint "$PORT_IMPLICIT" implicit)"

step "SIGHUP with a key that does not match the certificate: the old one stays"
cp "$WORK/one.crt" "$WORK/live.crt"  # live.key is still two's key
kill -HUP "$SERVER_PID"
for i in $(seq 50); do [ "$(grep -c "TLS reload failed" "$SERVER_LOG")" -ge 2 ] && break; sleep 0.1; done
expect_eq "reload failures logged" 2 "$(grep -c "TLS reload failed" "$SERVER_LOG")"
expect_eq "still cert two after the mismatched reload" "$two" "$(fingerprint "$PORT_STARTTLS" starttls)"
run send_one "after bad reloads"
expect_rc "send after the failed reloads" 0

step "SIGTERM after reloads: exit 0"
stop_server TERM
expect_eq "exit status" 0 "$SERVER_RC"

step "configured certificate that does not load: the server refuses to start"
echo "garbage" >"$WORK/live.crt"
run timeout 20 "$HERALD_BIN" --config "$CFG" serve
expect_eq "serve with a broken tls.cert: exit status" 1 "$RC"
expect_contains "serve with a broken tls.cert names the file" "$ERR" "$WORK/live.crt"

step "shutdown tells connected clients: 421 before the close (RFC 5321 §3.8)"
# "An SMTP server MUST NOT intentionally close the connection ... except ... after detecting
# the need to shut down the SMTP service and returning a 421 response code".
cp "$WORK/two.crt" "$WORK/live.crt"
start_server
for port_mode in "$PORT_STARTTLS plain" "$PORT_IMPLICIT implicit"; do
  read -r port mode <<<"$port_mode"
  rm -f "$WORK/idle-client"
  "$PYTHON" "$ITEST_DIR/smtpchat.py" "$port" "$mode" expect:220 "send:EHLO c.test" expect:250 \
    "touch:$WORK/idle-client" timeout:20 expect:421 closed:5 >"$WORK/idle-client-$mode.log" 2>&1 &
  eval "client_$mode=$!"
  track_pid $!
  for i in $(seq 100); do [ -e "$WORK/idle-client" ] && break; sleep 0.05; done
  [ -e "$WORK/idle-client" ] || fail "client did not connect: $(cat "$WORK/idle-client-$mode.log")"
done
stop_server TERM
expect_eq "exit status" 0 "$SERVER_RC"
for mode in plain implicit; do
  pid_var="client_$mode"
  wait "${!pid_var}" ||
    fail "client on the $mode listener got no 421 at shutdown:"$'\n'"$(cat "$WORK/idle-client-$mode.log")"
done
