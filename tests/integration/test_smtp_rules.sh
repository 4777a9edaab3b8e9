#!/usr/bin/env bash
# The submission rules, reply by reply (scripted dialogs, see smtpchat.py): no AUTH in clear
# text (not advertised, 538), no MAIL before STARTTLS or AUTH (530 5.7.0), wrong/unknown users
# and senders without a password (535 5.7.8), sender binding (550 5.7.1 naming the expected
# address), From header binding (550 5.7.1); each refusal is an event and nothing is logged.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

SMTP_EXTRA=$'auth_max_failures = 1000\nauth_lockout = 1'
pick_ports_and_configure
setup_sender
run herald sender add nopass@example.com --type triggered
expect_rc "sender add nopass@example.com" 0
start_server

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

step "wrong password, unknown user, sender without a password, user not an address -> 535 5.7.8"
smtpchat "$PORT_IMPLICIT" implicit expect:220 "send:EHLO client.test" expect:250 \
  "authplain:$SENDER:Wrong34CDef" "expect:535 5.7.8" \
  "authplain:nobody@example.com:$PASSWORD" "expect:535 5.7.8" \
  "authplain:nopass@example.com:$PASSWORD" "expect:535 5.7.8" \
  "authplain:alerts:$PASSWORD" "expect:535 5.7.8" \
  "send:MAIL FROM:<$SENDER>" "expect:530 5.7.0" \
  "authplain:$SENDER:$PASSWORD" "expect:235" "authplain:$SENDER:$PASSWORD" "expect:503 5.5.1" \
  send:QUIT expect:221

step "nothing refused was logged"
expect_eq "log subjects" '["chat accepted"]' "$(herald log --json | pyjson 'sorted(r["subject"] for r in d)')"

step "every refusal is an event"
events="$(herald events --json --limit 100000)"
expect_eq "event kinds" \
  '["auth_failed", "auth_required", "auth_without_tls", "from_header_mismatch", "sender_mismatch"]' \
  "$(pyjson 'sorted(set(e["kind"] for e in d))' <<<"$events")"
expect_eq "events are from 127.0.0.1" '["127.0.0.1"]' "$(pyjson 'sorted(set(e["client_ip"] for e in d))' <<<"$events")"
auth_failed="$(pyjson '"\n".join(e["detail"] for e in d if e["kind"] == "auth_failed")' <<<"$events")"
for who in "user $SENDER (PLAIN)" "user nobody@example.com" "user nopass@example.com" "user alerts "; do
  expect_contains "auth_failed events" "$auth_failed" "$who"
done
# The attempted user is the event's user field too (the user column of herald events).
expect_eq "auth_failed users" "alerts $SENDER nobody@example.com nopass@example.com" \
  "$(pyjson '" ".join(sorted(set(e["user"] for e in d if e["kind"] == "auth_failed")))' <<<"$events")"
run herald events --kind auth_failed
expect_contains "herald events: the user column" "$OUT" "auth_failed  127.0.0.1  nobody@example.com  user nobody@example.com"
expect_eq "sender_mismatch events (3 refused MAIL FROM)" 3 \
  "$(pyjson 'len([e for e in d if e["kind"] == "sender_mismatch"])' <<<"$events")"
expect_contains "sender_mismatch detail" \
  "$(pyjson '"\n".join(e["detail"] for e in d if e["kind"] == "sender_mismatch")' <<<"$events")" \
  "authenticated as $SENDER, MAIL FROM <boss@example.com>"
expect_contains "from_header_mismatch detail" \
  "$(pyjson '"\n".join(e["detail"] for e in d if e["kind"] == "from_header_mismatch")' <<<"$events")" \
  "From header <ceo@example.com>"
run herald events --kind sender_mismatch
expect_rc "herald events --kind sender_mismatch" 0
expect_eq "herald events --kind sender_mismatch: lines" 3 "$(grep -c 'sender_mismatch  127.0.0.1' <<<"$OUT")"
expect_not_contains "no password in events" "$events" "$PASSWORD"

step "a password changed by the CLI (another process) applies at the next AUTH, cached or not"
for i in 1 2; do  # the second AUTH is answered from the verification cache
  smtpchat "$PORT_IMPLICIT" implicit expect:220 "send:EHLO client.test" expect:250 \
    "authplain:$SENDER:$PASSWORD" "expect:235 2.7.0" send:QUIT expect:221
done
NEW_PASSWORD="Changed34CDxy"
run set_password "$SENDER" "$NEW_PASSWORD"
expect_rc "herald sender password (server running)" 0
smtpchat "$PORT_IMPLICIT" implicit expect:220 "send:EHLO client.test" expect:250 \
  "authplain:$SENDER:$PASSWORD" "expect:535 5.7.8" "authplain:$SENDER:$NEW_PASSWORD" \
  "expect:235 2.7.0" send:QUIT expect:221
run herald sender remove "$SENDER"
expect_rc "herald sender remove (server running)" 0
smtpchat "$PORT_IMPLICIT" implicit expect:220 "send:EHLO client.test" expect:250 \
  "authplain:$SENDER:$NEW_PASSWORD" "expect:535 5.7.8" send:QUIT expect:221
