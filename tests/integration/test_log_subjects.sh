#!/usr/bin/env bash
# What the delivery log shows as a message's subject, for subjects as real applications send
# them: Nextcloud (Symfony Mailer) and Python's email package encode non-ASCII subjects as
# RFC 2047 encoded-words (Q and B encodings), long ones are folded (RFC 5322 §2.2.3), and with
# SMTPUTF8 (RFC 6532) they are raw UTF-8. `herald log` is read by operators: it must show the
# subject as text, not its transfer encoding.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

pick_ports_and_configure
setup_sender
start_server

GERMAN="Passwort zurücksetzen für Jürgen"
step "Symfony Mailer (as Nextcloud): a German subject"
run php "$ITEST_DIR/symfony_send.php" 127.0.0.1 "$PORT_IMPLICIT" implicit "$SENDER" "$PASSWORD" \
  "$SENDER" bob@example.org "$GERMAN"
expect_rc "Symfony send with subject '$GERMAN'" 0

step "Python email: B-encoded, folded, SMTPUTF8 raw UTF-8 and plain ASCII subjects"
run "$PYTHON" - "$PORT_IMPLICIT" "$SENDER" "$PASSWORD" <<'EOF'
import smtplib, ssl, sys
from email import policy
from email.message import EmailMessage
port, sender, password = int(sys.argv[1]), sys.argv[2], sys.argv[3]
cases = [
    ("Ünïcödé ✓ check", policy.default, []),                                   # =?utf-8?b?...?=
    ("A rather long subject line that the email package folds because it is longer "
     "than seventy-eight characters", policy.default, []),
    ("Zürich – raw UTF-8 via SMTPUTF8", policy.SMTPUTF8, ["SMTPUTF8", "BODY=8BITMIME"]),
    ("plain ascii subject", policy.default, []),
]
ctx = ssl._create_unverified_context()
with smtplib.SMTP_SSL("127.0.0.1", port, context=ctx, timeout=20) as s:
    s.login(sender, password)
    for subject, pol, opts in cases:
        m = EmailMessage(policy=pol)
        m["From"], m["To"], m["Subject"] = sender, "bob@example.org", subject
        m.set_content("subject test\n")
        header = m.as_bytes().split(b"\n\n")[0].decode("utf-8", "replace")
        print(header.splitlines()[2:4])
        s.send_message(m, mail_options=opts)
EOF
echo "$OUT"
expect_rc "python sends" 0

step "the log shows each subject as text"
subjects="$(herald log --json --limit 100 | pyjson '"\n".join(sorted(r["subject"] for r in d))')"
missing=""
while IFS= read -r want; do
  grep -qxF -- "$want" <<<"$subjects" || missing+="    $want"$'\n'
done <<EOF
$GERMAN
Ünïcödé ✓ check
A rather long subject line that the email package folds because it is longer than seventy-eight characters
Zürich – raw UTF-8 via SMTPUTF8
plain ascii subject
EOF
[ -z "$missing" ] || fail "subjects not in the log as text:"$'\n'"$missing  log subjects:"$'\n'"$(sed 's/^/    /' <<<"$subjects")"
run herald log --limit 100
expect_contains "herald log (text) shows the decoded subject" "$OUT" "\"$GERMAN\""
