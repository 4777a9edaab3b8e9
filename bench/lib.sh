# shellcheck shell=bash disable=SC2034  # the variables set here are the sourcing scripts'
# bench/lib.sh - the parts the Herald benchmarks share, sourced by submission-bench.sh,
# delivery-bench.sh and queue-memory.sh: building herald, Debian's Postfix as the reference
# (configured as ../shared/bench/README.md shows, plus Cyrus SASL so that it does STARTTLS + AUTH
# like Herald), starting Herald on free loopback ports, CPU and counting helpers.
#
# Invariants: loopback only; Postfix relays nowhere but the sink on 127.0.0.1:$SINK_PORT (checked
# by bench_configure_postfix before any load); bench_cleanup stops what was started (Herald,
# Postfix, the sink) and deletes $work, and runs on EXIT once bench_init has been called.
#
# Globals read or set here: repo shared work herald herald_pid sink_pid PF_PORT SINK_PORT
# H_PORT H_HTTP USER_ADDR PASSWORD RCPT t_start; the caller's own cleanup goes in bench_on_exit.

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
shared=${shared:-$repo/../shared/bench}
[ -d "$shared" ] || shared=/work/shared/bench
USER_ADDR=load@src.test PASSWORD=Load12ABcdXY RCPT=rcpt@dest.test
PF_PORT=2525 SINK_PORT=2626 # as in the shared README
herald='' herald_pid='' sink_pid='' postfix_started=0 work=''
t_start=$(date +%s)
hz=$(getconf CLK_TCK)

log() { printf '[%4ss] %s\n' "$(($(date +%s) - t_start))" "$*" >&2; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { for _ in $(seq 1 100); do port_free "$1" || return 0; sleep 0.1; done; return 1; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
field() { printf '%s\n' "$2" | tr ' ' '\n' | sed -n "s/^$1=//p"; }
# median: of the numbers on stdin (other lines, e.g. NA, are ignored); NA when there are none.
median() { { grep -E '^-?[0-9.]+$' || true; } | sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "NA"; else if (NR % 2) print v[(NR + 1) / 2];
  else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
col() { awk -v c="$1" '{ print $c }'; }

bench_on_exit() { :; } # the caller may redefine it (runs first in the cleanup)
bench_cleanup() {
  set +e
  bench_on_exit
  [ -n "$herald_pid" ] && kill "$herald_pid" 2>/dev/null && wait "$herald_pid" 2>/dev/null
  if [ "$postfix_started" = 1 ]; then
    postfix stop >/dev/null 2>&1
    postsuper -d ALL >/dev/null 2>&1
  fi
  [ -n "$sink_pid" ] && kill "$sink_pid" 2>/dev/null && wait "$sink_pid" 2>/dev/null
  [ -n "$work" ] && rm -rf "$work"
}

# bench_init [no-harness]: checks root and (unless told not to) the shared harness, makes
# $work on the disk that also holds Postfix's queue (/var/spool/postfix), installs the cleanup.
bench_init() {
  [ "$(id -u)" = 0 ] || { echo "run as root (installs and runs postfix)" >&2; exit 2; }
  if [ "${1:-}" != no-harness ]; then
    [ -x "$shared/smtp-bench.sh" ] && [ -f "$shared/smtp_load.py" ] || {
      echo "shared bench harness not found in $shared" >&2; exit 2; }
    shared=$(cd "$shared" && pwd)
  fi
  work=$(mktemp -d /var/tmp/herald-bench.XXXXXX)
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
}

# bench_build_herald [BINARY]: sets $herald to BINARY, or builds herald (Release, build-bench/).
bench_build_herald() {
  if [ -n "${1:-}" ]; then
    herald=$(realpath "$1")
    [ -x "$herald" ] || { echo "not an executable: $1" >&2; exit 2; }
    log "using $herald (not rebuilt)"
    return
  fi
  log "building herald (Release) in $repo/build-bench"
  # HERALD_WERROR=OFF: GCC 12 at -O3 emits a false -Wrestrict inside std::string (accounts.cc).
  cmake -S "$repo" -B "$repo/build-bench" -G Ninja -DCMAKE_BUILD_TYPE=Release -DHERALD_WERROR=OFF \
    >"$work/cmake.log" 2>&1 || { cat "$work/cmake.log" >&2; exit 1; }
  ninja -C "$repo/build-bench" -j2 herald >"$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; exit 1; }
  herald=$repo/build-bench/herald
}

# bench_install_postfix: postfix (smtp-sink, smtp-source) and sasl2-bin, if missing.
bench_install_postfix() {
  command -v postfix >/dev/null && command -v smtp-sink >/dev/null && command -v saslpasswd2 >/dev/null && return
  log "installing postfix and sasl2-bin"
  DEBIAN_FRONTEND=noninteractive apt-get install -y postfix sasl2-bin >"$work/apt.log" 2>&1 ||
    { apt-get update >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y postfix sasl2-bin >"$work/apt.log" 2>&1; } ||
    { tail -20 "$work/apt.log" >&2; exit 1; }
}

# bench_pick_ports: the README's ports unless something else (e.g. another herald on its
# defaults) holds them; then free ports for Herald's SMTP and HTTP listeners.
bench_pick_ports() {
  port_free $PF_PORT || PF_PORT=$(free_port)
  port_free $SINK_PORT || SINK_PORT=$(free_port)
  H_PORT=$(free_port) H_HTTP=$(free_port)
  [ "$H_PORT" != "$H_HTTP" ] || H_HTTP=$(free_port)
}

# bench_configure_postfix: the shared README's anchor configuration (loopback only, relaying
# everything to 127.0.0.1:$SINK_PORT, listening on 127.0.0.1:$PF_PORT), plus STARTTLS, Cyrus
# SASL (sasldb) and the sender bound to the login; aborts unless Postfix is confined to the sink.
bench_configure_postfix() {
  postfix stop >/dev/null 2>&1 || true
  log "configuring postfix (loopback only, relay to the sink on 127.0.0.1:$SINK_PORT)"
  postconf -e 'inet_interfaces = 127.0.0.1' 'inet_protocols = ipv4' 'mynetworks = 127.0.0.0/8' \
    'mydestination =' "relayhost = [127.0.0.1]:$SINK_PORT" "transport_maps = static:smtp:[127.0.0.1]:$SINK_PORT" \
    "default_transport = smtp:[127.0.0.1]:$SINK_PORT" "relay_transport = smtp:[127.0.0.1]:$SINK_PORT" \
    "local_transport = smtp:[127.0.0.1]:$SINK_PORT" 'smtpd_relay_restrictions = permit_mynetworks reject' \
    'smtp_tls_security_level = none' 'maillog_file = /var/log/postfix.log'
  postconf -M# smtp/inet
  local svc
  for svc in $(postconf -M | awk '$1 ~ /^127\.0\.0\.1:[0-9]+$/ && $2 == "inet" { print $1 }'); do
    postconf -MX "$svc/inet" # a listener left by an earlier run on another port
  done
  postconf -Me "127.0.0.1:$PF_PORT/inet = 127.0.0.1:$PF_PORT inet n - y - - smtpd"
  mkdir -p /etc/postfix/tls
  if [ ! -s /etc/postfix/tls/cert.pem ] || ! openssl x509 -checkend 86400 -noout -in /etc/postfix/tls/cert.pem >/dev/null; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=mta.test \
      -keyout /etc/postfix/tls/key.pem -out /etc/postfix/tls/cert.pem 2>/dev/null
  fi
  postconf -e 'smtpd_tls_cert_file = /etc/postfix/tls/cert.pem' \
    'smtpd_tls_key_file = /etc/postfix/tls/key.pem' 'smtpd_tls_security_level = may'
  # Additions (see docs/performance.md, "Fairness"):
  # - AUTH PLAIN through Cyrus SASL with a sasldb password database (Debian's Postfix is built
  #   with Cyrus SASL; sasldb needs only sasl2-bin), only after STARTTLS like Herald;
  # - the sender bound to the login (reject_sender_login_mismatch), as Herald binds MAIL FROM;
  # - no reverse-DNS lookup of the client: Herald does none, and this machine must send no DNS
  #   traffic off loopback; a hostname that is a domain name (the certificate's CN).
  printf '%s' "$PASSWORD" | saslpasswd2 -p -c -f /etc/sasldb2 -u "${USER_ADDR#*@}" "${USER_ADDR%@*}"
  mkdir -p /etc/postfix/sasl /var/spool/postfix/etc
  printf 'pwcheck_method: auxprop\nauxprop_plugin: sasldb\nmech_list: PLAIN LOGIN\nsasldb_path: /etc/sasldb2\n' \
    >/etc/postfix/sasl/smtpd.conf
  install -m 640 -o root -g postfix /etc/sasldb2 /var/spool/postfix/etc/sasldb2 # smtpd is chrooted
  postconf -e 'smtpd_sasl_auth_enable = yes' 'smtpd_tls_auth_only = yes' \
    'smtpd_sasl_security_options = noanonymous' \
    "smtpd_sender_login_maps = inline:{ $USER_ADDR=$USER_ADDR }" \
    'smtpd_sender_restrictions = reject_sender_login_mismatch' \
    'smtpd_peername_lookup = no' 'myhostname = mta.test'
  postfix check
  # Nothing may relay anywhere but the sink on 127.0.0.1.
  local check expect
  check=$(postconf relayhost transport_maps inet_interfaces default_transport)
  expect="relayhost = [127.0.0.1]:$SINK_PORT
transport_maps = static:smtp:[127.0.0.1]:$SINK_PORT
inet_interfaces = 127.0.0.1
default_transport = smtp:[127.0.0.1]:$SINK_PORT"
  [ "$check" = "$expect" ] || { printf 'postfix is not confined to the sink:\n%s\n' "$check" >&2; exit 1; }
  pf_version=$(postconf -h mail_version)
}

# bench_start_postfix: an empty queue, then `postfix start`; waits for its listener.
bench_start_postfix() {
  postsuper -d ALL >/dev/null 2>&1 || true
  postfix start >/dev/null 2>&1
  postfix_started=1
  wait_port "$PF_PORT" || { echo "postfix did not start" >&2; exit 1; }
}
pf_master() { tr -d ' \n' </var/spool/postfix/pid/master.pid; }

# bench_write_herald_config [SMTP_LINES] [MORE_TOML]: $work/herald.toml - a STARTTLS listener
# on 127.0.0.1:$H_PORT, the HTTP API on $H_HTTP, a copy of Postfix's RSA-2048 certificate (or
# a new one when Postfix has none), SMTP_LINES inside [smtp], MORE_TOML (whole tables) at the end.
bench_write_herald_config() {
  mkdir -p "$work/herald" "$work/tls"
  if [ ! -s "$work/tls/cert.pem" ]; then
    if [ -s /etc/postfix/tls/cert.pem ]; then
      install -m 600 /etc/postfix/tls/cert.pem /etc/postfix/tls/key.pem "$work/tls/"
    else
      openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=mta.test \
        -keyout "$work/tls/key.pem" -out "$work/tls/cert.pem" 2>/dev/null
    fi
  fi
  cat >"$work/herald.toml" <<EOF
data_dir = "$work/herald"
hostname = "mta.test"
log_level = "info"

[smtp]
${1:-}

[[smtp.listeners]]
address = "127.0.0.1:$H_PORT"
tls = "starttls"

[tls]
cert = "$work/tls/cert.pem"
key = "$work/tls/key.pem"

[http]
address = "127.0.0.1:$H_HTTP"

${2:-}
EOF
}

H() { "$herald" --config "$work/herald.toml" "$@"; }

# bench_herald_sender: domain src.test (with its DKIM key) and the sender $USER_ADDR.
bench_herald_sender() {
  H domain add "${USER_ADDR#*@}" >"$work/herald-setup.log" 2>&1
  H sender add "$USER_ADDR" --type triggered >>"$work/herald-setup.log" 2>&1
  printf '%s\n' "$PASSWORD" | H sender password "$USER_ADDR" >>"$work/herald-setup.log" 2>&1 ||
    { cat "$work/herald-setup.log" >&2; exit 1; }
}

# bench_start_herald [LOG]: `herald serve` in the background ($herald_pid), waits for its SMTP
# listener. The log goes to LOG (default $work/herald.log), appended.
bench_start_herald() {
  local logfile=${1:-$work/herald.log}
  "$herald" --config "$work/herald.toml" serve >>"$logfile" 2>&1 & # not via H(): $! must be herald
  herald_pid=$!
  wait_port "$H_PORT" || { cat "$logfile" >&2; exit 1; }
}
bench_stop_herald() {
  [ -n "$herald_pid" ] || return 0
  kill "$herald_pid" 2>/dev/null || true
  wait "$herald_pid" 2>/dev/null || true
  herald_pid=''
}

# CPU: herald's own; Postfix's = the master, its live children and (via cutime/cstime) the
# children it reaped; the whole machine's busy and total ticks.
herald_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$herald_pid/stat"; }
postfix_ticks() {
  local m o; m=$(pf_master); o=$(cat "${OPENDKIM_PID:-/nonexistent}" 2>/dev/null || echo -1)
  cat /proc/[0-9]*/stat 2>/dev/null | awk -v m="$m" -v o="$o" '{ pid = $1; sub(/^.*\) /, "")
    if (pid == m || $2 == m || pid == o) t += $12 + $13 + $14 + $15 } END { print t + 0 }'
}
busy_ticks() { awk '/^cpu /{ print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9; exit }' /proc/stat; }
herald_sql() { sqlite3 "$work/herald/herald.db" "$1" 2>/dev/null || echo 0; }
herald_count() { herald_sql 'SELECT count(*) FROM messages'; }
postfix_count() { grep -c "postfix/cleanup.*message-id=" /var/log/postfix.log 2>/dev/null || true; }
postfix_queue() { find /var/spool/postfix/incoming /var/spool/postfix/active /var/spool/postfix/deferred \
  /var/spool/postfix/maildrop -type f 2>/dev/null | wc -l; }
procs_for() { [ "$1" -ge 20 ] && echo 2 || echo 1; }

# bench_write_doc NAME GENERATED_FILE TITLE: replaces the section between
# "<!-- BEGIN GENERATED: bench/NAME -->" and the next "<!-- END GENERATED -->" in
# docs/performance.md with GENERATED_FILE (which carries both markers); appends it, under
# TITLE, when the file has no such section yet.
bench_write_doc() {
  local name=$1 gen=$2 title=$3 doc=$repo/docs/performance.md
  if [ -f "$doc" ] && grep -qF "<!-- BEGIN GENERATED: bench/$name -->" "$doc"; then
    awk -v gen="$gen" -v begin="<!-- BEGIN GENERATED: bench/$name -->" '
      $0 == begin { while ((getline l < gen) > 0) print l; skip = 1; next }
      /^<!-- END GENERATED -->/ && skip { skip = 0; next } !skip' "$doc" >"$work/doc.new" && mv "$work/doc.new" "$doc"
  else
    { [ -f "$doc" ] && { cat "$doc"; echo; }; echo "$title"; echo; cat "$gen"; } >"$work/doc.new" && mv "$work/doc.new" "$doc"
  fi
  log "wrote $doc"
}
