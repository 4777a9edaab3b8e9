# Shared helpers of the delivery integration tests (tests/integration/test_delivery_*.sh),
# sourced first thing. The general part (work directory, reporting, run/expect, server start
# and stop) is lib.sh's, sourced from here; this file adds a DNS server (dnsmasq), scripted
# receiving MTAs (delivery_mx.py), its own herald.toml and polling on the delivery log.
#
# Network layout: each test file owns one loopback /24, 127.0.$DTEST_NET.0 (set DTEST_NET
# before sourcing; distinct per file so that ctest -j runs them side by side). Its receiving
# MTAs listen on addresses of that net, on port 25 like real MX hosts (we run as root); when
# port 25 cannot be bound there (not root, or taken), delivery_mx.py moves every listener to
# one free port and the test sets [delivery] mx_port to it. Herald resolves through dnsmasq
# on 127.0.0.1:<free port> ([dns] servers), which serves the test's MX, A and TXT records and
# answers NXDOMAIN for any other name under the test's zones.
#
# Environment (set by ctest, see tests/CMakeLists.txt): HERALD_BIN, HERALD_SOURCE_DIR,
# HERALD_TEST_TMP. Run by hand: HERALD_BIN=build/herald bash tests/integration/test_delivery_x.sh
# shellcheck shell=bash
set -euo pipefail

# Debian's interpreter: python3-aiosmtpd and python3-dkim are installed for it (a python3
# earlier in PATH, e.g. pyenv's, does not have them). lib.sh keeps a PYTHON set before it.
PYTHON=/usr/bin/python3
DNSMASQ=/usr/sbin/dnsmasq
: "${DTEST_NET:?set DTEST_NET (the loopback /24 of the test file) before sourcing delivery_lib.sh}"
NET="127.0.$DTEST_NET"
# Checked before lib.sh makes the work directory: a machine without them is not a test failure
# worth a kept directory.
[ -x "$DNSMASQ" ] || { echo "FAIL: $DNSMASQ is missing (Debian package dnsmasq-base)" >&2; exit 1; }
"$PYTHON" -c 'import aiosmtpd, dkim' 2>/dev/null ||
  { echo "FAIL: $PYTHON lacks aiosmtpd or dkim (python3-aiosmtpd, python3-dkim)" >&2; exit 1; }

# shellcheck source=tests/integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DTEST_DIR="$ITEST_DIR"
MX_DIR="$WORK/mx"
DNS_PID=""
MX_PID=""
MX_PORT=25
DNS_ARGS=()

# ---- DNS ------------------------------------------------------------------------------------

# dns_mx DOMAIN HOST PREF: an MX record. dnsmasq answers MX records in the reverse order of its
# arguments, so tests that check preference ordering add the preferred record first.
dns_mx() { DNS_ARGS+=("--mx-host=$1,$2,$3"); }
# dns_null_mx DOMAIN: the RFC 7505 null MX ("0 .").
dns_null_mx() { DNS_ARGS+=("--mx-host=$1,.,0"); }
# dns_a NAME IP: an A record.
dns_a() { DNS_ARGS+=("--host-record=$1,$2"); }
# dns_aaaa NAME IPV6: an AAAA record (the same dnsmasq option; the address family decides).
dns_aaaa() { DNS_ARGS+=("--host-record=$1,$2"); }
# dns_txt NAME VALUE: a TXT record, split into 255-octet strings (RFC 1035 §3.3.14).
dns_txt() {
  local name=$1 value=$2 chunks=() i
  [[ "$value" != *,* ]] || fail "cannot publish a value with a comma through dnsmasq: $value"
  for ((i = 0; i < ${#value}; i += 255)); do chunks+=("${value:i:255}"); done
  DNS_ARGS+=("--txt-record=$name,$(IFS=,; echo "${chunks[*]}")")
}
# dns_publish_domain DOMAIN: every TXT record `herald domain show DOMAIN` asks to publish
# (ownership token, SPF, DKIM, DMARC), as an administrator would; the JSON is kept in
# $WORK/show.json for the test's own checks.
dns_publish_domain() {
  local name value
  herald domain show "$1" --json >"$WORK/show.json"
  while IFS=$'\t' read -r name value; do
    dns_txt "$name" "$value"
  done < <(pyjson '"\n".join(r["name"] + "\t" + r["value"] for r in d["dns_records"])' \
    <"$WORK/show.json")
}

# dns_dest_and_sender: the usual world of these tests: dest.test's MX is mx1.dest.test at
# $NET.1, and example.com (the sender's domain) publishes the records Herald prints for it.
dns_dest_and_sender() {
  dns_mx dest.test mx1.dest.test 10
  dns_a mx1.dest.test "$NET.1"
  dns_publish_domain example.com
}

# start_dns ZONE...: dnsmasq on 127.0.0.1:$PORT_DNS with the records added so far,
# authoritative-like (NXDOMAIN for unknown names) for each ZONE.
start_dns() {
  local zones=() z attempt i
  for z in "$@"; do zones+=("--local=/$z/"); done
  for attempt in 1 2 3; do
    "$DNSMASQ" --no-daemon --no-resolv --no-hosts --conf-file=/dev/null --pid-file= --user=root \
      --port="$PORT_DNS" --listen-address=127.0.0.1 --bind-interfaces --log-facility=- \
      --log-queries "${zones[@]}" "${DNS_ARGS[@]}" >"$WORK/dnsmasq.log" 2>&1 &
    DNS_PID=$!
    track_pid "$DNS_PID"
    for i in $(seq 50); do
      grep -qs "started, version" "$WORK/dnsmasq.log" && return 0
      kill -0 "$DNS_PID" 2>/dev/null || break
      sleep 0.1
    done
    kill -0 "$DNS_PID" 2>/dev/null && fail "dnsmasq did not start within 5 s: $(cat "$WORK/dnsmasq.log")"
    grep -q "in use" "$WORK/dnsmasq.log" || fail "dnsmasq failed: $(cat "$WORK/dnsmasq.log")"
    read -r PORT_DNS < <(free_ports 1)  # the UDP port was taken: try another one
    write_config
  done
  fail "dnsmasq could not bind a port"
}

# ---- receiving MTAs -------------------------------------------------------------------------

# make_mx_cert: a self-signed certificate for the MTAs' STARTTLS ($MX_CERT, $MX_KEY).
make_mx_cert() {
  MX_CERT="$WORK/mx-cert.pem"
  MX_KEY="$WORK/mx-key.pem"
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
    -subj "/CN=mx.test" -keyout "$MX_KEY" -out "$MX_CERT" 2>/dev/null ||
    fail "openssl could not make the MX test certificate"
}

# start_mx LISTENERS_JSON: starts delivery_mx.py with these listeners (a JSON array, see
# delivery_mx.py) and waits until all are bound; sets MX_PORT to the port they share (25
# unless it could not be bound) and rewrites the configuration with it.
start_mx() {
  [ -n "${MX_CERT:-}" ] || make_mx_cert
  "$PYTHON" -c '
import json, sys
print(json.dumps({"dir": sys.argv[1], "port": 25, "cert": sys.argv[2], "key": sys.argv[3],
                  "listeners": json.loads(sys.argv[4])}, indent=1))' \
    "$MX_DIR" "$MX_CERT" "$MX_KEY" "$1" >"$WORK/mx.json" || fail "bad MX listeners JSON: $1"
  "$PYTHON" "$DTEST_DIR/delivery_mx.py" "$WORK/mx.json" >"$WORK/mx.log" 2>&1 &
  MX_PID=$!
  track_pid "$MX_PID"
  local i
  for i in $(seq 100); do
    [ -f "$MX_DIR/ready" ] && break
    kill -0 "$MX_PID" 2>/dev/null || fail "delivery_mx.py exited at start: $(cat "$WORK/mx.log")"
    sleep 0.1
  done
  [ -f "$MX_DIR/ready" ] || fail "delivery_mx.py did not get ready within 10 s: $(cat "$WORK/mx.log")"
  MX_PORT="$(pyjson 'd["port"]' <"$MX_DIR/ready")"
  [ "$MX_PORT" == 25 ] || echo "(port 25 unavailable on $NET.x: receiving MTAs on port $MX_PORT)"
  write_config
}

# mx_count NAME: number of messages listener NAME accepted.
mx_count() { find "$MX_DIR/$1/new" -name '*.eml' 2>/dev/null | wc -l; }
# mx_connections NAME: number of connections listener NAME accepted.
mx_connections() { { grep "^connect" "$MX_DIR/$1/connections.log" 2>/dev/null || true; } | wc -l; }
# mx_file NAME SUBJECT: path of the message with that Subject at listener NAME (or nothing).
mx_file() {
  local f
  for f in "$MX_DIR/$1"/new/*.eml; do
    [ -f "$f" ] || continue
    if grep -qF -- "Subject: $2"$'\r' "$f"; then echo "$f"; return 0; fi
  done
  return 1
}
# mx_meta NAME SUBJECT EXPR: EXPR on the JSON envelope record of that message.
mx_meta() {
  local f
  f="$(mx_file "$1" "$2")" || fail "no message '$2' at $1"
  pyjson "$3" <"${f%.eml}.json"
}
# wait_mx_message TIMEOUT NAME SUBJECT: waits until listener NAME got the message.
wait_mx_message() { wait_until "$1" "message '$3' at the MTA $2" mx_file "$2" "$3"; }

# ---- herald ---------------------------------------------------------------------------------

# write_config (replaces lib.sh's): herald.toml with a STARTTLS listener on $PORT_SUBMIT, the
# HTTP API on $PORT_HTTP, dnsmasq as DNS server, MX hosts on $MX_PORT. $DELIVERY_EXTRA is added
# to [delivery], $CONFIG_EXTRA (whole tables) at the end.
write_config() {
  cat >"$CFG" <<EOF
data_dir = "$DATA_DIR"
hostname = "$HOSTNAME_FQDN"
log_level = "${LOG_LEVEL:-info}"
threads = 2

[[smtp.listeners]]
address = "127.0.0.1:$PORT_SUBMIT"
tls = "starttls"

[http]
address = "127.0.0.1:$PORT_HTTP"

[dns]
servers = ["127.0.0.1:$PORT_DNS"]
timeout_ms = 2000

[delivery]
mx_port = $MX_PORT
connect_timeout = 5
${DELIVERY_EXTRA:-}

${CONFIG_EXTRA:-}
EOF
}

# pick_server_ports (replaces lib.sh's): the SMTP and HTTP ports, for start_server's retry.
# $PORT_DNS stays: dnsmasq already listens on it.
pick_server_ports() { read -r PORT_SUBMIT PORT_HTTP < <(free_ports 2); }

# configure: new free ports (SMTP, HTTP, DNS), then write_config.
configure() {
  read -r PORT_SUBMIT PORT_HTTP PORT_DNS < <(free_ports 3)
  write_config
}

# send SUBJECT RCPT...: submits a message from $SENDER through Herald; prints its queue id.
send() {
  local subject=$1
  shift
  "$PYTHON" "$DTEST_DIR/delivery_send.py" "$PORT_SUBMIT" "$SENDER" "$PASSWORD" "$SENDER" \
    "$subject" "$@" || fail "submitting '$subject' to Herald failed"
}

# send_file FILE RCPT...: submits FILE (a whole message, CRLF line ends) from $SENDER through
# Herald; prints its queue id.
send_file() {
  local file=$1
  shift
  "$PYTHON" "$DTEST_DIR/delivery_send.py" --file "$file" "$PORT_SUBMIT" "$SENDER" "$PASSWORD" \
    "$SENDER" - "$@" || fail "submitting $file to Herald failed"
}

# symfony_submit SUBJECT RCPT: submits as Nextcloud does (PHP Symfony Mailer, STARTTLS, user =
# the sender address) and checks that Symfony reports it sent.
symfony_submit() {
  run php "$DTEST_DIR/symfony_send.php" 127.0.0.1 "$PORT_SUBMIT" starttls "$SENDER" \
    "$PASSWORD" "$SENDER" "$2" "$1"
  expect_rc "Symfony Mailer send" 0
  expect_contains "Symfony Mailer output" "$OUT" "sent "
}

# log_row QUEUE_ID RECIPIENT: the recipient's row of `herald log --json` (JSON, or null).
log_row() {
  herald log --json --recipient "$2" --limit 100000 |
    pyjson "([r for r in d if r['queue_id'] == '$1'] or [None])[0]"
}
# log_field QUEUE_ID RECIPIENT FIELD
log_field() { log_row "$1" "$2" | pyjson "d['$3'] if d else 'NO ROW'"; }
# status_is QUEUE_ID RECIPIENT STATUS
status_is() { [ "$(log_field "$1" "$2" status)" == "$3" ]; }
# wait_status TIMEOUT QUEUE_ID RECIPIENT STATUS: polls the log until the row has STATUS; on
# timeout fails showing the row as it was.
wait_status() {
  local timeout=$1 qid=$2 rcpt=$3 want=$4 deadline
  deadline=$(awk -v t="$timeout" -v n="$(date +%s.%N)" 'BEGIN { printf "%.3f", n + t }')
  until status_is "$qid" "$rcpt" "$want"; do
    if awk -v d="$deadline" -v n="$(date +%s.%N)" 'BEGIN { exit !(n > d) }'; then
      fail "timed out after ${timeout}s waiting for $qid <$rcpt> to be $want; the row: $(log_row "$qid" "$rcpt")"
    fi
    sleep 0.2
  done
}

# queue_show QUEUE_ID: `herald queue show` output (fails the test when it fails).
queue_show() {
  run herald queue show "$1"
  expect_rc "herald queue show $1" 0
  echo "$OUT"
}

# attempt_lines QUEUE_ID RECIPIENT: the attempt lines of `queue show` for that recipient.
attempt_lines() {
  queue_show "$1" | sed -n '/^attempts:/,$p' | grep -F "  $2  " || true
}

# dsn_for QUEUE_ID: path of the DSN about QUEUE_ID received by listener $DSN_MX (the sender
# domain's MX), found by the original queue id it quotes.
dsn_for() {
  local f
  for f in "$MX_DIR/$DSN_MX"/new/*.eml; do
    [ -f "$f" ] || continue
    if grep -q "multipart/report" "$f" && grep -qF -- "$1" "$f"; then echo "$f"; return 0; fi
  done
  return 1
}

# mx_rcpts NAME SUBJECT: JSON list of the envelope recipient lists of every copy of the message
# with that Subject that listener NAME accepted, in arrival order.
mx_rcpts() {
  "$PYTHON" - "$MX_DIR/$1/new" "$2" <<'PY'
import json, pathlib, sys
out = []
for eml in sorted(pathlib.Path(sys.argv[1]).glob("*.eml")):
    headers = eml.read_bytes().split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    if f"\r\nSubject: {sys.argv[2]}\r\n" in "\r\n" + headers + "\r\n":
        out.append(json.load(open(eml.with_suffix(".json")))["rcpt_tos"])
print(json.dumps(out))
PY
}
# mx_rcpt_commands NAME ADDRESS: how many RCPT TO:<ADDRESS> listener NAME received.
mx_rcpt_commands() {
  local n
  n="$(grep -icF "RCPT TO:<$2> ->" "$MX_DIR/$1/commands.log" 2>/dev/null || true)"
  echo "${n:-0}"
}

# dsn_fields FILE: the DSN's MIME part types ("parts: [...]") and then every field of its
# message/delivery-status part, one "Name: value" a line (per-message block first, then one
# block per recipient). Fails the test when FILE is not a multipart/report.
dsn_fields() {
  "$PYTHON" - "$1" <<'PY' || fail "$1 is not a parseable multipart/report"
import email, sys
from email import policy
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=policy.compat32)
assert m.get_content_type() == "multipart/report", m.get_content_type()
parts = m.get_payload()
print("parts:", [p.get_content_type() for p in parts])
for block in parts[1].get_payload():  # message/delivery-status: a list of field blocks
    for k, v in block.items():
        print(f"{k}: {v}")
PY
}
