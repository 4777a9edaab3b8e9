#!/usr/bin/env bash
# Issue "Delivery engine" with a real receiving MTA: a message sent with PHP Symfony Mailer
# through Herald lands in the mailbox of a private Postfix instance (the recipient domain's MX,
# found through DNS, STARTTLS offered), DKIM-signed; python3-dkim verifies the signature with
# the key Herald asked to publish. Herald's log says delivered with Postfix's own reply
# ("250 2.0.0 Ok: queued as <Postfix queue id>", and Postfix's log shows that id delivered to
# the mailbox), and the attempt records TLS.
#
# The Postfix instance is the test's own: config_directory, queue_directory, data_directory,
# mailbox and log under the work directory, started with `postfix -c DIR start` and stopped in
# the exit trap (also on failure). It listens only on $NET.1:25 (master.cf names the address;
# inet_interfaces stays loopback-only because Postfix insists that those addresses be
# configured on an interface, and 127.0.22.1 is routed but not configured), delivers dest.test
# to a Maildir through virtual(8) as a non-system uid, and relays nowhere (no relayhost,
# default and relay transports are error:, reject_unauth_destination). The system's own
# Postfix, if any, is neither used nor touched.
DTEST_NET=22
source "$(dirname "${BASH_SOURCE[0]}")/delivery_lib.sh"

POSTFIX=/usr/sbin/postfix
[ -x "$POSTFIX" ] || fail "$POSTFIX is missing (Debian package postfix, see scripts/setup.sh)"
[ "$(id -u)" = 0 ] || fail "this test runs a Postfix instance on $NET.1:25 and needs root"
PF="$WORK/postfix"
PF_ETC="$PF/etc"
PF_MAIL="$PF/mail"
PF_LOG="$PF/maillog"
PF_MASTER=""
MAIL_UID=5022 # owner of the virtual mailboxes: no account, no system uid

# pf_stop: `postfix -c DIR stop`, then waits for the master's process group (master and every
# child it started) to be gone; SIGKILL to that group after 5 s.
pf_stop() {
  [ -n "$PF_MASTER" ] || return 0
  "$POSTFIX" -c "$PF_ETC" stop >/dev/null 2>&1 || true
  local _
  for _ in $(seq 50); do
    pgrep -g "$PF_MASTER" >/dev/null || { PF_MASTER=""; return 0; }
    sleep 0.1
  done
  pkill -KILL -g "$PF_MASTER" || true
  PF_MASTER=""
  return 1
}
# The private Postfix goes first, then delivery_lib.sh's cleanup (with the test's exit status).
_exit_trap() {
  local rc=$?
  set +e
  pf_stop
  (exit "$rc")
  _cleanup
}
trap _exit_trap EXIT

# pf_conf: main.cf and master.cf of the private instance.
pf_conf() {
  mkdir -p "$PF_ETC" "$PF/spool" "$PF/data" "$PF_MAIL"
  # The postfix user reaches the queue and the uid $MAIL_UID the mailbox through the work dir.
  chmod 755 "$WORK" "$PF"
  chown postfix "$PF/data"
  chown "$MAIL_UID:$MAIL_UID" "$PF_MAIL"
  runuser -u postfix -- test -x "$PF/spool" ||
    fail "the postfix user cannot reach $PF: a parent directory of HERALD_TEST_TMP is not searchable by others"
  cat >"$PF_ETC/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/spool
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
syslog_name = postfix-dtest$DTEST_NET
maillog_file = $PF_LOG
maillog_file_prefixes = $WORK
myhostname = mx1.dest.test
mydomain = dest.test
myorigin = dest.test
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = $NET.0/24
mydestination =
relay_domains =
relayhost =
default_transport = error:this test MTA relays nowhere
relay_transport = error:this test MTA relays nowhere
smtpd_relay_restrictions = reject_unauth_destination
smtpd_peername_lookup = no
alias_maps =
alias_database =
biff = no
virtual_mailbox_domains = dest.test
virtual_mailbox_base = $PF_MAIL
virtual_mailbox_maps = inline:{ carol@dest.test=carol/ }
virtual_uid_maps = static:$MAIL_UID
virtual_gid_maps = static:$MAIL_UID
smtpd_tls_cert_file = $MX_CERT
smtpd_tls_key_file = $MX_KEY
smtpd_tls_security_level = may
smtpd_tls_received_header = yes
EOF
  # Only smtpd on $NET.1:25 and the internal services it needs; nothing chrooted.
  cat >"$PF_ETC/master.cf" <<EOF
$NET.1:25 inet n - n - - smtpd
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
tlsmgr    unix  - - n 1000? 1 tlsmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
virtual   unix  - n n - - virtual
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
EOF
}

# pf_start: starts the instance and waits until smtpd's port accepts connections.
pf_start() {
  "$POSTFIX" -c "$PF_ETC" start >"$WORK/postfix-start.log" 2>&1 ||
    fail "postfix -c $PF_ETC start failed: $(cat "$WORK/postfix-start.log" "$PF_LOG" 2>/dev/null)"
  PF_MASTER="$(tr -d ' \n' <"$PF/spool/pid/master.pid")"
  local _
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/$NET.1/25") 2>/dev/null && return 0
    sleep 0.1
  done
  fail "Postfix did not listen on $NET.1:25 within 10 s: $(cat "$PF_LOG" 2>/dev/null)"
}

# mailbox_file SUBJECT: the Maildir file of carol@dest.test with that Subject.
mailbox_file() {
  local f
  for f in "$PF_MAIL"/carol/new/*; do
    [ -f "$f" ] || continue
    if grep -qE "^Subject: $1"$'\r''?$' "$f"; then echo "$f"; return 0; fi
  done
  return 1
}

configure
setup_sender

step "DNS: dest.test MX -> mx1.dest.test ($NET.1); example.com's records as Herald prints them"
dns_dest_and_sender
start_dns test example.com

step "a private Postfix: smtpd on $NET.1:25 with STARTTLS, dest.test into a Maildir, no relay"
make_mx_cert
pf_conf
run "$POSTFIX" -c "$PF_ETC" check
expect_rc "postfix check of the test's configuration" 0
pfconf() { /usr/sbin/postconf -c "$PF_ETC" -h "$1"; }
expect_eq "relayhost (none)" "" "$(pfconf relayhost)"
expect_eq "relay_domains (none)" "" "$(pfconf relay_domains)"
expect_eq "default_transport" "error:this test MTA relays nowhere" "$(pfconf default_transport)"
expect_eq "relay_transport" "error:this test MTA relays nowhere" "$(pfconf relay_transport)"
expect_eq "smtpd_relay_restrictions" "reject_unauth_destination" "$(pfconf smtpd_relay_restrictions)"
pf_start
# shellcheck disable=SC2034 # read by delivery_lib.sh's write_config: MX hosts on port 25
MX_PORT=25
write_config
start_server

step "Symfony Mailer (STARTTLS, AUTH as the sender) submits to carol@dest.test"
symfony_submit "symfony to postfix" carol@dest.test

step "the message lands in Postfix's mailbox for carol@dest.test"
wait_until 30 "the message in $PF_MAIL/carol/new" mailbox_file "symfony to postfix"
MSG="$(mailbox_file "symfony to postfix")"
MSG_TEXT="$(cat "$MSG")"
expect_contains "virtual(8) delivered it" "$MSG_TEXT" "Delivered-To: carol@dest.test"
expect_contains "envelope sender" "$MSG_TEXT" "Return-Path: <$SENDER>"
expect_contains "Postfix received it from Herald's EHLO name" "$MSG_TEXT" "from $HOSTNAME_FQDN"
expect_contains "over TLS (Postfix's Received header)" "$MSG_TEXT" "with ESMTPS id"
expect_contains "the body survived" "$MSG_TEXT" "Hello from Symfony Mailer via Herald."
expect_contains "the HTML part survived" "$MSG_TEXT" "<b>Symfony Mailer</b>"

step "the DKIM signature verifies (python3-dkim, key from DNS as published)"
# Postfix writes the Maildir file with LF line ends; DKIM canonicalises CRLF.
sed 's/\r\?$/\r/' "$MSG" >"$WORK/received.eml"
run "$PYTHON" "$DTEST_DIR/delivery_dkim_verify.py" "$WORK/received.eml" "$PORT_DNS"
expect_rc "DKIM verification of the message in Postfix's mailbox" 0
expect_eq "DKIM verification result" "pass d=example.com s=herald1" "$OUT"
sed 's/Hello from Symfony Mailer via Herald\./Hello from somebody else./' "$WORK/received.eml" >"$WORK/tampered.eml"
run "$PYTHON" "$DTEST_DIR/delivery_dkim_verify.py" "$WORK/tampered.eml" "$PORT_DNS"
expect_rc "DKIM verification of a tampered copy" 1

step "herald log: delivered with Postfix's own 250; the attempt records TLS"
QID="$(herald log --json --recipient carol@dest.test | pyjson 'd[0]["queue_id"]')"
wait_status 10 "$QID" carol@dest.test delivered
resp="$(log_field "$QID" carol@dest.test last_response)"
PF_QID="$(sed -n 's/^250 2\.0\.0 Ok: queued as \([0-9A-F]\{6,\}\)$/\1/p' <<<"$resp")"
[ -n "$PF_QID" ] || fail "last_response is not Postfix's 250 reply: $resp"
wait_until 10 "Postfix's log: $PF_QID delivered to maildir" \
  grep -q "$PF_QID: to=<carol@dest.test>, relay=virtual.*status=sent (delivered to maildir)" "$PF_LOG"
expect_eq "attempts" 1 "$(log_field "$QID" carol@dest.test attempts)"
lines="$(attempt_lines "$QID" carol@dest.test)"
expect_eq "one attempt in queue show" 1 "$(grep -c . <<<"$lines")"
expect_contains "attempt outcome, MX and TLS" "$lines" "carol@dest.test  delivered  mx1.dest.test [$NET.1]  tls=TLS"
expect_server_alive "after delivery"

step "Postfix stops cleanly: no process of the instance is left"
master="$PF_MASTER"
pf_stop || fail "Postfix processes of group $master still ran 5 s after postfix stop"
run pgrep -g "$master"
expect_rc "processes left in the instance's process group $master" 1
