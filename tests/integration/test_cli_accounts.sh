#!/usr/bin/env bash
# The operator's CLI without a server (issue "foundation"): domains, sender addresses, SMTP
# password policy, configuration loading and errors. Every refused command must say why on one
# `herald: error:` line per problem, exit non-zero and leave the store as it was.
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

PORT_STARTTLS=1 PORT_IMPLICIT=2 PORT_HTTP=3  # never bound: no server in this test
write_config
cd "$WORK" || exit 1  # a default-config command must not litter the source tree with ./var

# expect_error_lines WHAT: the last run failed with only `herald: error:` lines on stderr.
expect_error_lines() {
  expect_failed "$1"
  [ -n "$ERR" ] || fail "$1: no error message on stderr"
  local bad
  bad="$(grep -v '^herald: error: ' <<<"$ERR" || true)"
  [ -z "$bad" ] || fail "$1: stderr has lines that are not 'herald: error: ...':"$'\n'"$ERR"
}

snapshot() { herald domain list --json; herald sender list --json; find "$DATA_DIR/dkim" | sort; }

# ---- domains --------------------------------------------------------------------------------

step "domain add prints the DNS records to publish"
run herald domain add Example.COM
expect_rc "herald domain add Example.COM" 0
expect_contains "domain add output" "$OUT" "Added domain example.com (DKIM selector herald1)"
expect_contains "ownership record name" "$OUT" "name:  _herald.example.com"
expect_contains "ownership record value" "$OUT" "value: herald-verification="
expect_contains "SPF record" "$OUT" "value: v=spf1 a:$HOSTNAME_FQDN -all"
expect_contains "DKIM record name" "$OUT" "name:  herald1._domainkey.example.com"
expect_contains "DKIM record value" "$OUT" "value: v=DKIM1; k=rsa; p=MII"
expect_contains "DMARC record" "$OUT" "name:  _dmarc.example.com"
expect_contains "DMARC value" "$OUT" "value: v=DMARC1;"
expect_contains "next step" "$OUT" "herald domain verify example.com"

step "DKIM private key file is mode 0600"
key="$DATA_DIR/dkim/example.com/herald1.key"
[ -f "$key" ] || fail "DKIM key $key does not exist"
expect_eq "mode of $key" "600" "$(stat -c %a "$key")"
expect_contains "DKIM key is a PEM private key" "$(head -1 "$key")" "PRIVATE KEY-----"

step "domain list / list --json / show / show --json"
run herald domain list
expect_rc "domain list" 0
expect_eq "domain list" $'example.com\tunverified\tselector=herald1' "$OUT"
json="$(herald domain list --json)"
expect_eq "list --json: names" '["example.com"]' "$(pyjson '[x["name"] for x in d]' <<<"$json")"
expect_eq "list --json: verified" 'false' "$(pyjson 'd[0]["verified"]' <<<"$json")"
expect_eq "list --json: record purposes" '["ownership", "spf", "dkim", "dmarc"]' \
  "$(pyjson '[r["purpose"] for r in d[0]["dns_records"]]' <<<"$json")"
expect_eq "list --json: record names" \
  '["_herald.example.com", "example.com", "herald1._domainkey.example.com", "_dmarc.example.com"]' \
  "$(pyjson '[r["name"] for r in d[0]["dns_records"]]' <<<"$json")"
expect_eq "list --json: required" '[true, true, true, false]' \
  "$(pyjson '[r["required"] for r in d[0]["dns_records"]]' <<<"$json")"
# The public key in the DKIM record is the one of the private key on disk.
pub="$(openssl pkey -in "$key" -pubout 2>/dev/null | grep -v '^-----' | tr -d '\n')"
expect_eq "DKIM p= is the public half of $key" "v=DKIM1; k=rsa; p=$pub" \
  "$(pyjson '[r["value"] for r in d[0]["dns_records"] if r["purpose"] == "dkim"][0]' <<<"$json")"
run herald domain show example.com
expect_rc "domain show" 0
expect_contains "domain show" "$OUT" "status:   unverified"
expect_contains "domain show: key path" "$OUT" "dkim key: $key"
expect_contains "domain show: records" "$OUT" "name:  herald1._domainkey.example.com"
expect_eq "show --json = list --json entry" "$(pyjson 'd[0]' <<<"$json")" \
  "$(herald domain show example.com --json | pyjson 'd')"

step "invalid or duplicate domains: one clear error line, store unchanged"
before="$(snapshot)"
for bad in 'bad..name' 'exa mple.com' '-bad.com' 'bad_name.com' 'nodot' '1.2.3.4' '.' \
  "$(printf 'a%.0s' $(seq 64)).com"; do
  run herald domain add -- "$bad"
  expect_error_lines "domain add '$bad'"
  expect_eq "domain add '$bad': stderr" "herald: error: '$bad' is not a valid domain name" "$ERR"
done
run herald domain add example.com
expect_error_lines "domain add (duplicate)"
expect_eq "duplicate domain error" "herald: error: domain example.com already exists" "$ERR"
run herald domain show nosuch.example
expect_error_lines "domain show (unknown)"
expect_eq "unknown domain error" "herald: error: no such domain: nosuch.example" "$ERR"
expect_eq "store after refused domain commands" "$before" "$(snapshot)"
expect_eq "DKIM key still mode 0600 and unchanged" "600" "$(stat -c %a "$key")"

# ---- senders --------------------------------------------------------------------------------

step "sender add"
run herald sender add "$SENDER" --type triggered
expect_rc "sender add $SENDER" 0
expect_contains "sender add output" "$OUT" "Added triggered sender address $SENDER"
run herald sender add News@Example.com --type batch
expect_rc "sender add News@Example.com (domain case)" 0
json="$(herald sender list --json)"
expect_eq "sender list --json: address -> type" \
  '{"News@example.com": "batch", "alerts@example.com": "triggered"}' \
  "$(pyjson 'dict(sorted((x["address"], x["type"]) for x in d))' <<<"$json")"
expect_eq "sender list --json: domain" '["example.com", "example.com"]' \
  "$(pyjson '[x["domain"] for x in d]' <<<"$json")"
expect_eq "sender list --json: no password yet" '[false, false]' \
  "$(pyjson '[x["password_set"] for x in d]' <<<"$json")"
expect_eq "sender list --json: password_changed_at" '[null, null]' \
  "$(pyjson '[x["password_changed_at"] for x in d]' <<<"$json")"

step "sender add refusals: bad syntax, unknown domain, duplicate, bad type"
before="$(snapshot)"
for bad in 'not-an-address' 'two@@example.com' 'spaces in@example.com' '@example.com' \
  'alerts@' 'alerts@bad..example.com'; do
  run herald sender add --type triggered -- "$bad"
  expect_error_lines "sender add '$bad'"
  expect_eq "sender add '$bad': stderr" "herald: error: '$bad' is not a valid email address" "$ERR"
done
run herald sender add someone@unknown.example --type triggered
expect_error_lines "sender add on an unknown domain"
expect_contains "unknown domain error" "$ERR" "domain unknown.example does not exist"
expect_contains "unknown domain error says what to do" "$ERR" "herald domain add unknown.example"
run herald sender add "$SENDER" --type triggered
expect_error_lines "sender add (duplicate)"
expect_eq "duplicate sender error" "herald: error: sender address $SENDER already exists" "$ERR"
run herald sender add other@example.com --type bulk
expect_error_lines "sender add --type bulk"
expect_contains "bad type error" "$ERR" "--type must be 'triggered' or 'batch'"
expect_eq "store after refused sender commands" "$before" "$(snapshot)"

step "sender password: policy via the CLI"
run set_password "$SENDER" "$PASSWORD"
expect_rc "set a good password" 0
expect_contains "password output" "$OUT" "SMTP password set for $SENDER"
json="$(herald sender list --json)"
expect_eq "password_set after setting it" 'true' \
  "$(pyjson '[x["password_set"] for x in d if x["address"] == "alerts@example.com"][0]' <<<"$json")"
changed_at="$(pyjson '[x["password_changed_at"] for x in d if x["address"] == "alerts@example.com"][0]' <<<"$json")"
[ "$changed_at" != "null" ] || fail "password_changed_at not set"

before="$(snapshot)"
# Each weak password with every rule it breaks (the texts of policy::describe).
check_weak() {
  local pw="$1"
  shift
  run set_password "$SENDER" "$pw"
  expect_error_lines "weak password '$pw'"
  expect_contains "weak password '$pw'" "$ERR" "herald: error: password rejected:"
  local rule n=1
  for rule in "$@"; do
    expect_contains "weak password '$pw' names the rule" "$ERR" "password $rule"
    n=$((n + 1))
  done
  expect_eq "weak password '$pw': number of error lines (header + one per rule)" "$n" \
    "$(grep -c '^herald: error: ' <<<"$ERR")"
}
check_weak 'abc' "must be at least 10 characters long (it has 3)" \
  "must contain at least two different digits" "must contain at least two different upper-case letters"
check_weak 'Ab1' "must be at least 10 characters long (it has 3)" \
  "must contain at least two different digits" \
  "must contain at least two different upper-case letters" \
  "must contain at least two different lower-case letters"
check_weak 'ABCDEFGHIJ12abcdefghij' "must be at most 20 characters long (it has 22)"
check_weak 'Secret 12AB' "may contain only printable ASCII characters without spaces"
check_weak 'Secret11AB' "must contain at least two different digits"
check_weak 'SECRET12Ab' "must contain at least two different lower-case letters"
check_weak 'secret12ab' "must contain at least two different upper-case letters"
check_weak "$PASSWORD" "must differ from the previous password"
run herald sender password "$SENDER" </dev/null
expect_error_lines "password from empty stdin"
expect_contains "password from empty stdin" "$ERR" "no password on standard input"
run set_password nobody@example.com Other34CDef
expect_error_lines "password for an unknown sender"
expect_contains "password for an unknown sender" "$ERR" "no such sender address: nobody@example.com"
expect_eq "store after refused passwords" "$before" "$(snapshot)"
# The stored password is still the first one: setting it again is "same as previous".
run set_password "$SENDER" "$PASSWORD"
expect_error_lines "previous password still stored"
expect_contains "previous password still stored" "$ERR" "must differ from the previous password"
run set_password "$SENDER" "Other34CDef"
expect_rc "change to a new good password" 0

step "sender remove"
run herald sender remove News@example.com
expect_rc "sender remove News@example.com" 0
run herald sender remove News@example.com
expect_error_lines "sender remove (again)"
expect_contains "sender remove (again)" "$ERR" "no such sender address"
expect_eq "senders after remove" '["alerts@example.com"]' \
  "$(herald sender list --json | pyjson '[x["address"] for x in d]')"

step "domain remove refuses while senders exist, unless --with-senders"
before="$(snapshot)"
run herald domain remove example.com
expect_error_lines "domain remove with a sender left"
expect_contains "domain remove with a sender left" "$ERR" "domain example.com still has 1"
expect_eq "store after refused domain remove" "$before" "$(snapshot)"
[ -f "$key" ] || fail "refused domain remove deleted the DKIM key"
run herald domain remove example.com --with-senders
expect_rc "domain remove --with-senders" 0
expect_eq "domains after remove" '[]' "$(herald domain list --json | pyjson 'd')"
expect_eq "senders after remove" '[]' "$(herald sender list --json | pyjson 'd')"
[ ! -e "$DATA_DIR/dkim/example.com" ] || fail "domain remove left $DATA_DIR/dkim/example.com"
run herald domain remove example.com
expect_error_lines "domain remove (again)"
expect_contains "domain remove (again)" "$ERR" "no such domain: example.com"

step "domain add after remove gets a new key"
run herald domain add example.com
expect_rc "domain add example.com again" 0
expect_eq "new key mode" "600" "$(stat -c %a "$key")"
[ "$(openssl pkey -in "$key" -pubout 2>/dev/null | grep -v '^-----' | tr -d '\n')" != "$pub" ] ||
  fail "re-added domain reuses the removed domain's DKIM key"
run herald domain remove example.com
expect_rc "domain remove without senders" 0

# ---- configuration --------------------------------------------------------------------------

step "config show prints TOML that loads back to the same configuration"
herald config show >"$WORK/shown.toml"
expect_contains "config show" "$(cat "$WORK/shown.toml")" "data_dir = \"$DATA_DIR\""
expect_contains "config show" "$(cat "$WORK/shown.toml")" "address = \"127.0.0.1:$PORT_STARTTLS\""
run "$HERALD_BIN" --config "$WORK/shown.toml" config show
expect_rc "config show of the printed config" 0
expect_eq "config show round trip" "$(cat "$WORK/shown.toml")" "$OUT"
run env -u HERALD_CONFIG "$HERALD_BIN" config show
expect_rc "config show with defaults" 0
printf '%s\n' "$OUT" >"$WORK/defaults.toml"
expect_contains "defaults" "$OUT" 'data_dir = "./var"'
run "$HERALD_BIN" --config "$WORK/defaults.toml" config show
expect_eq "defaults round trip" "$(cat "$WORK/defaults.toml")" "$OUT"
run "$HERALD_BIN" --config /dev/null config show
expect_eq "an empty file means the defaults" "$(cat "$WORK/defaults.toml")" "$OUT"

step "unknown key: an error naming it, non-zero exit"
printf 'data_dir = "%s"\n[smtp]\nmax_recipent = 5\n' "$DATA_DIR" >"$WORK/unknown.toml"
for cmd in "config show" "domain list" "serve"; do
  run "$HERALD_BIN" --config "$WORK/unknown.toml" $cmd
  expect_failed "herald $cmd with an unknown key"
  expect_contains "herald $cmd with an unknown key" "$ERR" \
    "smtp.max_recipent: unknown key (did you mean smtp.max_recipients?) (line 3)"
done

step "several problems: all listed, one line each"
cat >"$WORK/many.toml" <<EOF
data_dir = "$DATA_DIR"
colour = "blue"
[smtp]
max_recipients = 0
idle_timeout = "5"
[[smtp.listeners]]
address = "127.0.0.1:2525"
tls = "ssl"
[tls]
cert = "/some/cert.pem"
EOF
run "$HERALD_BIN" --config "$WORK/many.toml" config show
expect_error_lines "config with several problems"
for want in "colour: unknown key" "smtp.max_recipients:" "(line 4)" "smtp.idle_timeout:" \
  "(line 5)" 'smtp.listeners[0].tls: expected one of "none", "starttls", "implicit", got string "ssl" (line 8)' \
  "tls.key"; do
  expect_contains "config with several problems lists" "$ERR" "$want"
done
expect_eq "no output on stdout for a bad config" "" "$OUT"
run "$HERALD_BIN" --config "$WORK/many.toml" serve
expect_failed "serve with several problems"
expect_contains "serve with several problems" "$ERR" "smtp.max_recipients:"
expect_contains "serve with several problems" "$ERR" "smtp.listeners[0].tls"

step "TOML syntax error and missing file"
printf 'data_dir = \n' >"$WORK/syntax.toml"
run "$HERALD_BIN" --config "$WORK/syntax.toml" config show
expect_error_lines "TOML syntax error"
expect_contains "TOML syntax error" "$ERR" "line 1, column"
run "$HERALD_BIN" --config "$WORK/nonexistent.toml" config show
expect_error_lines "missing config file"
expect_contains "missing config file" "$ERR" "$WORK/nonexistent.toml"

step "HERALD_CONFIG selects the file; --config wins over it"
mkdir -p "$WORK/envdir"
printf 'data_dir = "%s"\nhostname = "env.herald.test"\n' "$WORK/envdata" >"$WORK/env.toml"
run env HERALD_CONFIG="$WORK/env.toml" "$HERALD_BIN" config show
expect_rc "config show via HERALD_CONFIG" 0
expect_contains "config show via HERALD_CONFIG" "$OUT" "hostname = \"env.herald.test\""
run env HERALD_CONFIG="$WORK/env.toml" "$HERALD_BIN" domain add env.example
expect_rc "domain add via HERALD_CONFIG" 0
expect_contains "records use the env config's hostname" "$OUT" "v=spf1 a:env.herald.test -all"
[ -f "$WORK/envdata/herald.db" ] || fail "HERALD_CONFIG's data_dir $WORK/envdata has no herald.db"
[ -f "$WORK/envdata/dkim/env.example/herald1.key" ] || fail "no DKIM key under HERALD_CONFIG's data_dir"
run env HERALD_CONFIG="$WORK/env.toml" "$HERALD_BIN" --config "$CFG" config show
expect_contains "--config wins over HERALD_CONFIG" "$OUT" "hostname = \"$HOSTNAME_FQDN\""
run env HERALD_CONFIG="$WORK/nonexistent.toml" "$HERALD_BIN" domain list
expect_error_lines "HERALD_CONFIG naming a missing file"
expect_contains "HERALD_CONFIG naming a missing file" "$ERR" "$WORK/nonexistent.toml"

step "unusable data_dir: a clear error, non-zero exit"
: >"$WORK/plainfile"
for dir in /proc/herald-nope "$WORK/plainfile/sub" "$WORK/plainfile"; do
  printf 'data_dir = "%s"\n' "$dir" >"$WORK/baddir.toml"
  for cmd in "domain list" "sender list" "log" "domain add x.example"; do
    run "$HERALD_BIN" --config "$WORK/baddir.toml" $cmd
    expect_error_lines "herald $cmd with data_dir $dir"
    expect_contains "herald $cmd with data_dir $dir" "$ERR" "$dir"
  done
  run timeout 20 "$HERALD_BIN" --config "$WORK/baddir.toml" serve
  expect_eq "serve with data_dir $dir: exit status" 1 "$RC"
  expect_contains "serve with data_dir $dir" "$ERR" "data_dir $dir is not usable"
done

step "usage errors exit 2"
run herald domain
expect_rc "herald domain (no subcommand)" 2
run herald sender add x@example.com
expect_rc "herald sender add without --type" 2
