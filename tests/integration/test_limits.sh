#!/usr/bin/env bash
# The server's limits, each with the reply code a client sees: message size (552), recipients
# per message (452), sessions per client IP (421, and a session_limit event), idle timeout (421 and close), AUTH failure
# throttling (454 even for the right password until the lockout has passed).
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SMTP_EXTRA='max_message_size = 4096
max_recipients = 3
max_sessions_per_ip = 2
idle_timeout = 2
auth_max_failures = 3
auth_lockout = 4'
pick_ports_and_configure
setup_sender
start_server

# A session on the implicit-TLS listener, authenticated, ready for MAIL.
AUTHED=(expect:220 "send:EHLO client.test" expect:250 "authplain:$SENDER:$PASSWORD" expect:235)

step "message size: SIZE advertised; SIZE= too big -> 552 at MAIL; too big data -> 552"
smtpchat "$PORT_IMPLICIT" implicit expect:220 "send:EHLO client.test" expect:250 \
  "contains:SIZE 4096" "authplain:$SENDER:$PASSWORD" expect:235 \
  "send:MAIL FROM:<$SENDER> SIZE=5000" "expect:552 5.3.4" \
  "send:MAIL FROM:<$SENDER> SIZE=2000" "expect:250" "send:RCPT TO:<bob@example.org>" expect:250 \
  send:DATA expect:354 "message:$SENDER:too big:8000" "expect:552 5.3.4" \
  "send:MAIL FROM:<$SENDER>" expect:250 "send:RCPT TO:<bob@example.org>" expect:250 \
  send:DATA expect:354 "message:$SENDER:small enough:3000" "expect:250 2.0.0" send:QUIT expect:221
expect_eq "log rows for the oversized message" 0 "$(log_count_subject "too big")"
expect_eq "log rows for the message under the limit" 1 "$(log_count_subject "small enough")"
message_file "$WORK/big.eml" "swaks too big"
head -c 6000 /dev/zero | tr '\0' 'y' | fold -w 70 | sed 's/$/\r/' >>"$WORK/big.eml"
run swaks --server 127.0.0.1 --port "$PORT_STARTTLS" -tls --auth PLAIN --auth-user "$SENDER" \
  --auth-password "$PASSWORD" --from "$SENDER" --to bob@example.org --data "@$WORK/big.eml" --timeout 10
expect_failed "swaks with a 6 kB message (limit 4096)"
expect_contains "swaks with a 6 kB message" "$OUT$ERR" "552 5.3.4"

step "recipients: the 4th RCPT -> 452 4.5.3; the message goes to the first 3"
smtpchat "$PORT_IMPLICIT" implicit "${AUTHED[@]}" "send:MAIL FROM:<$SENDER>" expect:250 \
  "send:RCPT TO:<r1@example.org>" "expect:250" "send:RCPT TO:<r2@example.org>" "expect:250" \
  "send:RCPT TO:<r3@example.org>" "expect:250" "send:RCPT TO:<r4@example.org>" "expect:452 4.5.3" \
  send:DATA expect:354 "message:$SENDER:three rcpts" "expect:250 2.0.0" send:QUIT expect:221
expect_eq "recipients logged for 'three rcpts'" '["r1@example.org", "r2@example.org", "r3@example.org"]' \
  "$(herald log --json | pyjson 'sorted(r["recipient"] for r in d if r["subject"] == "three rcpts")')"

# hold_two_sessions: two sessions on the STARTTLS listener stay open until release_held.
hold_two_sessions() {
  rm -f "$WORK/held1" "$WORK/held2" "$WORK/third-done"
  local i
  for i in 1 2; do
    "$PYTHON" "$ITEST_DIR/smtpchat.py" "$PORT_STARTTLS" plain expect:220 "touch:$WORK/held$i" \
      timeout:20 noopwait:"$WORK/third-done" send:QUIT expect:221 >"$WORK/held$i.log" 2>&1 &
    track_pid $!
    HELD_PIDS[i]=$!
  done
  for i in $(seq 100); do
    [ -e "$WORK/held1" ] && [ -e "$WORK/held2" ] && return 0
    sleep 0.05
  done
  fail "the two held sessions did not start: $(cat "$WORK"/held*.log)"
}
release_held() {
  touch "$WORK/third-done"
  wait "${HELD_PIDS[1]}" || fail "first held session failed: $(cat "$WORK/held1.log")"
  wait "${HELD_PIDS[2]}" || fail "second held session failed: $(cat "$WORK/held2.log")"
}
HELD_PIDS=()

step "sessions per IP: the third concurrent connection gets 421"
hold_two_sessions
smtpchat "$PORT_STARTTLS" plain "expect:421 4.7.0" closed:2
# The refusal is an event (written by the spool's writer thread, so poll briefly).
for i in $(seq 50); do
  events="$(herald events --json --kind session_limit)"
  [ "$(pyjson 'len(d)' <<<"$events")" -ge 1 ] && break
  sleep 0.1
done
expect_eq "session_limit events after one 421" 1 "$(pyjson 'len(d)' <<<"$events")"
expect_eq "session_limit event client" 127.0.0.1 "$(pyjson 'd[0]["client_ip"]' <<<"$events")"
expect_contains "session_limit event detail" "$(pyjson 'd[0]["detail"]' <<<"$events")" \
  "per-IP session limit reached (smtp.max_sessions_per_ip = 2)"
release_held
# With the two sessions gone, a new one is accepted again (the slots are released on close).
ok=""
for i in $(seq 20); do
  if "$PYTHON" "$ITEST_DIR/smtpchat.py" "$PORT_STARTTLS" plain expect:220 send:QUIT expect:221 \
    >"$WORK/after.log" 2>&1; then
    ok=1
    break
  fi
  sleep 0.1
done
[ -n "$ok" ] || fail "a session after the held ones closed was refused: $(cat "$WORK/after.log")"

step "idle timeout: 421 after ~2 s without a command, then the connection is closed"
smtpchat "$PORT_STARTTLS" plain mark expect:220 "send:EHLO client.test" expect:250 mark \
  timeout:6 "expect:421 4.4.2" within:1.5:4 closed:1.5
smtpchat "$PORT_IMPLICIT" implicit "${AUTHED[@]}" "send:MAIL FROM:<$SENDER>" expect:250 \
  "send:RCPT TO:<bob@example.org>" expect:250 send:DATA expect:354 mark timeout:6 \
  "expect:421" within:1.5:4 closed:1.5
expect_eq "log rows after the idle DATA" 0 "$(herald log --json | pyjson 'len([r for r in d if r["subject"] == ""])')"

step "AUTH throttling: after 3 wrong passwords even the right one gets 454, until the lockout ends"
smtpchat "$PORT_IMPLICIT" implicit expect:220 "send:EHLO client.test" expect:250 \
  "authplain:$SENDER:Wrong11AAaa" "expect:535 5.7.8" "authplain:$SENDER:Wrong22BBbb" "expect:535 5.7.8" \
  "authplain:$SENDER:Wrong33CCcc" "expect:535 5.7.8" \
  "authplain:$SENDER:$PASSWORD" "expect:454 4.7.0" send:QUIT expect:221
locked_at=$(date +%s.%N)
smtpchat "$PORT_STARTTLS" plain expect:220 "send:EHLO client.test" expect:250 send:STARTTLS \
  expect:220 starttls "send:EHLO client.test" expect:250 "authplain:$SENDER:$PASSWORD" \
  "expect:454 4.7.0" "send:MAIL FROM:<$SENDER>" "expect:530 5.7.0" send:QUIT expect:221
run swaks --server 127.0.0.1 --port "$PORT_IMPLICIT" --tls-on-connect --auth LOGIN \
  --auth-user "$SENDER" --auth-password "$PASSWORD" --from "$SENDER" --to bob@example.org \
  --header "Subject: while locked" --timeout 10
expect_failed "swaks with the right password while locked out"
expect_contains "swaks while locked out" "$OUT$ERR" "454 4.7.0"
expect_eq "log rows sent while locked out" 0 "$(log_count_subject "while locked")"
events="$(herald events --json --kind auth_unavailable)"
expect_contains "throttled attempts are events" "$(pyjson '[e["detail"] for e in d]' <<<"$events")" "throttled"
# auth_lockout = 4: after 4 s since the last failure the right password works again.
sleep "$(awk -v a="$locked_at" -v b="$(date +%s.%N)" 'BEGIN { s = 4.5 - (b - a); print (s > 0 ? s : 0) }')"
smtpchat "$PORT_IMPLICIT" implicit "${AUTHED[@]}" "send:MAIL FROM:<$SENDER>" expect:250 \
  "send:RCPT TO:<bob@example.org>" expect:250 send:DATA expect:354 "message:$SENDER:after lockout" \
  "expect:250 2.0.0" send:QUIT expect:221
expect_eq "log rows after the lockout" 1 "$(log_count_subject "after lockout")"

step "sessions per IP on the implicit-TLS listener: the refusal does not break TLS"
hold_two_sessions
# On the implicit-TLS listener the client speaks TLS first (RFC 8314 §3.3): the refusal must be a
# 421 inside TLS, or at worst a plain close; SMTP text in clear breaks the client's handshake.
run "$PYTHON" - "$PORT_IMPLICIT" <<'EOF'
import socket, ssl, sys
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.check_hostname = False
ctx.verify_mode = ssl.CERT_NONE
raw = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=5)
try:
    tls = ctx.wrap_socket(raw, server_hostname="mail.herald.test")
except ssl.SSLError as e:
    if "WRONG_VERSION_NUMBER" in str(e) or "record layer" in str(e):
        print(f"cleartext bytes instead of a TLS handshake: {e}")
        sys.exit(1)
    print(f"closed during the handshake: {e}")  # acceptable: no SMTP text in clear
    sys.exit(0)
except (ConnectionError, EOFError) as e:
    print(f"closed: {e}")
    sys.exit(0)
reply = tls.recv(1000).decode(errors="replace")
print(f"in TLS: {reply!r}")
sys.exit(0 if reply.startswith("421 4.7.0") or reply == "" else 1)
EOF
expect_rc "implicit-TLS client over the per-IP limit: a 421 in TLS or a close (got: $OUT)" 0
release_held
