#!/usr/bin/env bash
# `herald domain verify` against a real DNS server: dnsmasq on 127.0.0.1:<free port> serves the
# TXT records `herald domain show --json` says to publish (and some wrong ones); Herald is
# pointed at it with [dns] servers. Correct records pass and mark the domain verified; a wrong
# DKIM key, a wrong SPF record or missing records fail, showing what was seen.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

DNSMASQ=/usr/sbin/dnsmasq
[ -x "$DNSMASQ" ] || fail "$DNSMASQ is missing (Debian package dnsmasq-base)"

read -r PORT_STARTTLS PORT_IMPLICIT PORT_HTTP PORT_DNS < <(free_ports 4)
write_dns_config() {
  CONFIG_EXTRA=$'[dns]\n'"servers = [\"127.0.0.1:$PORT_DNS\"]"$'\ntimeout_ms = 1000'
  write_config
}
write_dns_config

step "add the domains"
for d in example.com broken.example.net badspf.example.org twospf.example.org \
  nodmarc.example.org missing.example.org; do
  run herald domain add "$d"
  expect_rc "domain add $d" 0
done

# record DOMAIN PURPOSE: the value `domain show --json` asks to publish for PURPOSE.
record() { herald domain show "$1" --json | pyjson "[r for r in d['dns_records'] if r['purpose'] == '$2'][0]['value']"; }
record_name() { herald domain show "$1" --json | pyjson "[r for r in d['dns_records'] if r['purpose'] == '$2'][0]['name']"; }

TXT_ARGS=()
# publish NAME VALUE: one TXT record, split in 255-octet character-strings (RFC 1035 §3.3.14).
# dnsmasq takes the strings comma-separated; none of Herald's values contains a comma.
publish() {
  local name=$1 value=$2 chunks=() i
  [[ "$value" != *,* ]] || fail "cannot publish a value with a comma through dnsmasq: $value"
  for ((i = 0; i < ${#value}; i += 255)); do chunks+=("${value:i:255}"); done
  TXT_ARGS+=("--txt-record=$name,$(IFS=,; echo "${chunks[*]}")")
}
# publish_all DOMAIN [PURPOSE...]: publishes the domain's records, except those named.
publish_all() {
  local domain=$1 purpose
  shift
  herald domain show "$domain" --json >"$WORK/show.json"
  while IFS=$'\t' read -r purpose name value; do
    [[ " $* " == *" $purpose "* ]] && continue
    publish "$name" "$value"
  done < <(pyjson '"\n".join(r["purpose"] + "\t" + r["name"] + "\t" + r["value"] for r in d["dns_records"])' <"$WORK/show.json")
}

step "build the zone: correct records for example.com, wrong ones for the others"
publish_all example.com
# broken.example.net: everything right except the DKIM key, which is another key's.
publish_all broken.example.net dkim
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/other.key" 2>/dev/null
wrong_p="$(openssl pkey -in "$WORK/other.key" -pubout | grep -v '^-----' | tr -d '\n')"
publish "$(record_name broken.example.net dkim)" "v=DKIM1; k=rsa; p=$wrong_p"
# badspf.example.org: an SPF record that does not authorise Herald's host name.
publish_all badspf.example.org spf
publish badspf.example.org "v=spf1 mx include:_spf.example.net -all"
# twospf.example.org: Herald's SPF record plus a second one (a permanent error, RFC 7208).
publish_all twospf.example.org
publish twospf.example.org "v=spf1 mx -all"
# nodmarc.example.org: every required record, no DMARC (only recommended).
publish_all nodmarc.example.org dmarc
# missing.example.org: nothing published at all.

DNS_PID=""
start_dns() {
  local attempt i
  for attempt in 1 2 3; do
    "$DNSMASQ" --no-daemon --no-resolv --no-hosts --conf-file=/dev/null --pid-file= --user=root \
      --port="$PORT_DNS" --listen-address=127.0.0.1 --bind-interfaces --log-facility=- \
      --local=/example.com/ --local=/example.net/ --local=/example.org/ \
      "${TXT_ARGS[@]}" >"$WORK/dnsmasq.log" 2>&1 &
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
    write_dns_config
  done
  fail "dnsmasq could not bind a port"
}
start_dns

step "correct records: PASS, exit 0, verified"
run herald domain verify example.com
expect_rc "domain verify example.com" 0
for p in "ownership  _herald.example.com" "spf  example.com" "dkim  herald1._domainkey.example.com" \
  "dmarc (recommended)  _dmarc.example.com"; do
  expect_contains "domain verify example.com" "$OUT" "PASS $p"
done
expect_not_contains "domain verify example.com" "$OUT" "FAIL"
expect_contains "domain verify example.com" "$OUT" "seen:     $(record example.com dkim)"
expect_contains "domain verify example.com" "$OUT" "example.com is verified."
run herald domain list
expect_contains "domain list after verify" "$OUT" $'example.com\tverified\tselector=herald1'
json="$(herald domain show example.com --json)"
expect_eq "show --json verified" true "$(pyjson 'd["verified"]' <<<"$json")"
[ "$(pyjson 'd["verified_at"]' <<<"$json")" != "null" ] || fail "verified_at not set after verify"

step "wrong DKIM key: FAIL with what was seen, exit non-zero"
run herald domain verify broken.example.net
expect_rc "domain verify broken.example.net" 1
expect_contains "broken.example.net" "$OUT" "PASS ownership  _herald.broken.example.net"
expect_contains "broken.example.net" "$OUT" "PASS spf  broken.example.net"
expect_contains "broken.example.net" "$OUT" "FAIL dkim  herald1._domainkey.broken.example.net"
expect_contains "broken.example.net: seen" "$OUT" "seen:     v=DKIM1; k=rsa; p=$wrong_p"
expect_contains "broken.example.net: expected" "$OUT" "expected: $(record broken.example.net dkim)"
expect_contains "broken.example.net: problem" "$OUT" \
  "problem:  DKIM record does not carry this domain's public key"
expect_contains "broken.example.net" "$OUT" "broken.example.net is NOT verified."
run herald domain list
expect_contains "domain list after failed verify" "$OUT" $'broken.example.net\tunverified'

step "SPF that does not authorise Herald; two SPF records"
run herald domain verify badspf.example.org
expect_rc "domain verify badspf.example.org" 1
expect_contains "badspf" "$OUT" "FAIL spf  badspf.example.org"
expect_contains "badspf: seen" "$OUT" "seen:     v=spf1 mx include:_spf.example.net -all"
expect_contains "badspf: problem" "$OUT" "SPF record does not contain a:$HOSTNAME_FQDN"
expect_contains "badspf" "$OUT" "PASS dkim"
run herald domain verify twospf.example.org
expect_rc "domain verify twospf.example.org" 1
expect_contains "twospf" "$OUT" "FAIL spf  twospf.example.org"
expect_contains "twospf: problem" "$OUT" "several SPF records"

step "missing DMARC alone does not block verification"
run herald domain verify nodmarc.example.org
expect_rc "domain verify nodmarc.example.org" 0
expect_contains "nodmarc" "$OUT" "FAIL dmarc (recommended)  _dmarc.nodmarc.example.org"
expect_contains "nodmarc" "$OUT" "nodmarc.example.org is verified."

step "nothing published: every record FAILs with (nothing) seen"
run herald domain verify missing.example.org
expect_rc "domain verify missing.example.org" 1
expect_eq "FAIL lines for missing.example.org" 4 "$(grep -c '^FAIL ' <<<"$OUT")"
expect_eq "'seen: (nothing)' lines for missing.example.org" 4 "$(grep -c 'seen:     (nothing)' <<<"$OUT")"
expect_not_contains "missing.example.org: NXDOMAIN is not a lookup failure" "$OUT" "lookup failed"

step "unknown domain"
run herald domain verify nosuch.example.org
expect_rc "domain verify nosuch.example.org" 1
expect_eq "domain verify nosuch.example.org" "herald: error: no such domain: nosuch.example.org" "$ERR"

step "DNS server down: FAIL naming the lookup failure, within the timeout budget"
kill "$DNS_PID"
wait "$DNS_PID" 2>/dev/null || true
t0=$(date +%s)
run timeout 30 "$HERALD_BIN" --config "$CFG" domain verify nodmarc.example.org
took=$(($(date +%s) - t0))
expect_rc "domain verify with DNS down" 1
expect_contains "domain verify with DNS down" "$OUT" "lookup failed"
expect_contains "domain verify with DNS down names the server" "$OUT" "127.0.0.1:$PORT_DNS"
[ "$took" -le 15 ] || fail "domain verify with DNS down took ${took}s (timeout_ms = 1000)"
