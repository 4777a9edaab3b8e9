#!/usr/bin/env bash
# DKIM key rotation without downtime (issue "Delivery engine": two selectors per domain,
# `herald domain rotate-dkim DOMAIN`), against a running server: mail is signed with herald1;
# rotate-dkim makes a pending herald2 key and prints its record; --activate is refused while
# DNS (dnsmasq) does not publish it; once it does, activation succeeds and the next message
# to the MX is signed with s=herald2 (verified with python3-dkim) without a server restart;
# the herald1 record stays listed as the previous one.
DTEST_NET=19
source "$(dirname "${BASH_SOURCE[0]}")/delivery_lib.sh"

configure
setup_sender

step "DNS: dest.test MX -> mx1.dest.test ($NET.1); example.com's records as Herald prints them"
dns_dest_and_sender
start_dns test example.com
start_mx "[{\"name\": \"mx1\", \"addr\": \"$NET.1\", \"mode\": \"smtp\"}]"
start_server

# deliver_and_verify SUBJECT SELECTOR: sends SUBJECT to carol@dest.test and checks that it
# arrives at mx1 with a signature by SELECTOR that verifies against the DNS records.
deliver_and_verify() {
  local subject=$1 selector=$2 qid
  qid="$(send "$subject" carol@dest.test)"
  wait_status 20 "$qid" carol@dest.test delivered
  run "$PYTHON" "$DTEST_DIR/delivery_dkim_verify.py" "$(mx_file mx1 "$subject")" "$PORT_DNS"
  expect_rc "DKIM verification of '$subject'" 0
  expect_eq "DKIM result of '$subject'" "pass d=example.com s=$selector" "$OUT"
}

step "before the rotation: signed with herald1"
deliver_and_verify "before rotation" herald1

step "rotate-dkim: a pending herald2 key; its record is printed; signing stays on herald1"
run herald domain rotate-dkim example.com
expect_rc "rotate-dkim" 0
expect_contains "rotate-dkim output" "$OUT" "under selector herald2 (pending)"
expect_contains "rotate-dkim output" "$OUT" "name:  herald2._domainkey.example.com"
expect_contains "rotate-dkim output" "$OUT" "Signing continues with the current key (selector herald1)"
herald domain show example.com --json >"$WORK/show2.json"
NEXT_VALUE="$(pyjson '[r for r in d["dns_records"] if r["purpose"] == "dkim-next"][0]["value"]' <"$WORK/show2.json")"
expect_contains "the printed record is the pending key's" "$OUT" "value: $NEXT_VALUE"
expect_eq "pending selector" herald2 "$(pyjson 'd["dkim_keys"]["pending"]["selector"]' <"$WORK/show2.json")"
run herald domain rotate-dkim example.com
expect_rc "rotate-dkim again" 0
expect_contains "rotate-dkim again shows the pending key" "$OUT" "already pending"
expect_contains "rotate-dkim again: same record" "$OUT" "value: $NEXT_VALUE"

step "--activate is refused while DNS does not show the herald2 record"
run herald domain rotate-dkim example.com --activate
expect_rc "rotate-dkim --activate before publishing" 1
expect_contains "refusal" "$ERR" "not activated: DNS does not show the new key's record herald2._domainkey.example.com"
expect_contains "what DNS returned" "$OUT" "FAIL dkim-next (pending rotation)  herald2._domainkey.example.com"
expect_contains "what DNS returned" "$OUT" "seen:     (nothing)"
run herald domain verify example.com
expect_rc "domain verify (pending record missing is not a failure)" 0
expect_contains "verify checks the pending record" "$OUT" "FAIL dkim-next (pending rotation)  herald2._domainkey.example.com"
deliver_and_verify "during rotation" herald1

step "publish the herald2 record (dnsmasq restarted with it); --activate succeeds"
dns_txt herald2._domainkey.example.com "$NEXT_VALUE"
OLD_DNS_PORT=$PORT_DNS
_stop_pid "$DNS_PID"
start_dns test example.com
[ "$PORT_DNS" == "$OLD_DNS_PORT" ] || { stop_server; start_server; }  # the port moved
run herald domain rotate-dkim example.com --activate
expect_rc "rotate-dkim --activate" 0
expect_contains "activation check" "$OUT" "PASS dkim-next (pending rotation)  herald2._domainkey.example.com"
expect_contains "activation" "$OUT" "now signs with selector herald2"
expect_contains "activation" "$OUT" "Keep the herald1._domainkey.example.com record published"

step "the running server signs the next message with herald2"
deliver_and_verify "after rotation" herald2
expect_server_alive "after the rotation"

step "show, the API and verify list herald1 as the previous key"
run herald domain show example.com
expect_rc "domain show" 0
expect_contains "show: previous key" "$OUT" "dkim-previous (retired key)"
expect_contains "show: previous record" "$OUT" "name:  herald1._domainkey.example.com"
expect_contains "show: hint" "$OUT" "keep this record published for a few days"
herald domain show example.com --json >"$WORK/show3.json"
expect_eq "keys after activation" '["herald2", null, "herald1"]' \
  "$(pyjson '[d["dkim_keys"]["active"]["selector"], d["dkim_keys"]["pending"], d["dkim_keys"]["previous"]["selector"]]' <"$WORK/show3.json")"
api="$(curl -sf "http://127.0.0.1:$PORT_HTTP/api/v1/domains")" || fail "GET /api/v1/domains failed"
expect_eq "API DKIM records" '[["dkim", "herald2"], ["dkim-previous", "herald1"]]' \
  "$(pyjson '[[r["purpose"], r["selector"]] for r in d[0]["dkim_records"]]' <<<"$api")"
run herald domain verify example.com
expect_rc "domain verify after the rotation" 0
expect_contains "verify: the active key is herald2" "$OUT" "PASS dkim  herald2._domainkey.example.com"
expect_contains "verify: the previous record" "$OUT" "PASS dkim-previous (retired key)  herald1._domainkey.example.com"
