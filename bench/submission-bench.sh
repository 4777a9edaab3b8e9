#!/usr/bin/env bash
# submission-bench.sh - Herald vs Debian's Postfix as a submission server, in one run.
#
# Usage (as root, from anywhere):
#   bench/submission-bench.sh [--repeat 3] [--secs 10] [--sessions "1 20 100"]
#                             [--modes "reuse perconn"] [--no-profile] [--no-doc]
#                             [--shared DIR] [--max-commands N] [--herald BINARY]
#
# Load: STARTTLS + AUTH PLAIN, 4 KiB messages, one recipient, --sessions concurrent sessions,
# each session either reused for many messages (reuse) or reconnecting - TCP, STARTTLS, AUTH -
# for every message (perconn). The client is the shared harness (../shared/bench/smtp-bench.sh
# with its python engine, smtp_load.py); both servers get exactly the same client and options.
#
# What it does:
#   1. builds herald (Release, in build-bench/; --herald BINARY uses that one instead) and
#      compiles the shared fsync-test;
#   2. installs postfix (+ sasl2-bin for the SASL password db) if missing and configures it as
#      ../shared/bench/README.md shows (loopback only, relaying everything to a sink on
#      127.0.0.1:2626), plus Cyrus SASL (sasldb) so that Postfix too runs STARTTLS + AUTH PLAIN;
#      aborts unless `postconf relayhost transport_maps` point at the local sink;
#   3. starts smtp-sink on 127.0.0.1:2626, Postfix on 127.0.0.1:2525 (free ports instead when
#      these are taken) and Herald (temp data_dir on the same disk as Postfix's queue, a copy of
#      Postfix's certificate) on a free port;
#   4. per cell (sessions x mode): one warm-up run per server sizes the message count for runs of
#      about --secs seconds, then --repeat rounds alternating the servers (P,H then H,P ...),
#      clearing Postfix's queue before each of its runs; records msgs/s, p99, errors, CPU per
#      accepted message (Herald: /proc/PID/stat; Postfix: master and all its children);
#   5. a latency pass with bench/dot_latency.py (time from the final "." to the 250);
#   6. a profile of Herald (perf), fsync counts of both servers under 20-session load, and
#      Herald's per-connection CPU with an RSA-2048 vs an ECDSA P-256 certificate (A/B);
#   7. prints the tables and writes them into docs/performance.md between the GENERATED
#      markers (the hand-written analysis around them is kept);
#   8. stops Herald, Postfix and the sink, and deletes Postfix's queue and the temp files.
# Herald runs on its defaults except listeners, data_dir and certificate; --max-commands N sets
# smtp.max_commands (default 1000 per session: a reused session fails its 333rd message).
# Only loopback addresses are used; every run is bounded by a message count and by time.
set -euo pipefail

repeat=3 secs=10 sessions_list="1 20 100" modes="reuse perconn" profile=1 write_doc=1 max_commands=
herald_bin=
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cmdline="bench/submission-bench.sh $*"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --repeat) repeat=$2; shift ;;        --secs) secs=$2; shift ;;
    --sessions) sessions_list=$2; shift ;; --modes) modes=$2; shift ;;
    --no-profile) profile=0 ;;           --no-doc) write_doc=0 ;;
    --shared) shared=$2; shift ;;        --max-commands) max_commands=$2; shift ;;
    --herald) herald_bin=$2; shift ;;
    -h|--help) usage ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
  shift
done
bench_init   # root, the shared harness, $work (on the disk of Postfix's queue), the cleanup

# --- 1. build --------------------------------------------------------------------------------
bench_build_herald "$herald_bin"
cc -O2 -pthread -o "$work/fsync-test" "$shared/fsync-test.c"

# --- 2. postfix (bench/lib.sh: the shared README's configuration plus SASL) -------------------
bench_install_postfix
postfix stop >/dev/null 2>&1 || true
bench_pick_ports
bench_configure_postfix

# --- 3. sink, postfix, herald --------------------------------------------------------------------
smtp-sink -u nobody -4 "127.0.0.1:$SINK_PORT" 1024 >/dev/null 2>"$work/sink.err" &
sink_pid=$!
bench_start_postfix
wait_port $SINK_PORT || { echo "the sink did not start" >&2; exit 1; }
# [tls]: a copy of Postfix's RSA-2048 certificate (swapped for ECDSA in step 7, via SIGHUP)
bench_write_herald_config "${max_commands:+max_commands = $max_commands}"
bench_herald_sender
bench_start_herald
log "postfix $pf_version on 127.0.0.1:$PF_PORT, herald (pid $herald_pid) on 127.0.0.1:$H_PORT, sink on :$SINK_PORT"

# --- measurement helpers -------------------------------------------------------------------------
perconn_for() { [ "$1" = perconn ] && echo 1 || echo 0; }
port_of() { [ "$1" = postfix ] && echo $PF_PORT || echo "$H_PORT"; }

# run_load SERVER SESSIONS MODE MESSAGES -> one line: msgs_per_s p50 p99 errors accepted cpu_ms busy%
run_load() {
  local srv=$1 s=$2 mode=$3 n=$4 out t0 t1 c0 c1 b0 b1 line
  [ "$srv" = postfix ] && postsuper -d ALL >/dev/null 2>&1
  if [ "$srv" = postfix ]; then t0=$(postfix_ticks); c0=$(postfix_count); else t0=$(herald_ticks); c0=$(herald_count); fi
  b0=$(busy_ticks)
  out=$("$shared/smtp-bench.sh" --port "$(port_of "$srv")" --starttls --auth "$USER_ADDR:$PASSWORD" \
    --from "$USER_ADDR" --to "$RCPT" --sessions "$s" --messages "$n" --size 4096 --engine python \
    --procs "$(procs_for "$s")" --msgs-per-conn "$(perconn_for "$mode")" --max-seconds $((secs * 6 + 30)) \
    2>"$work/last.err") || true
  b1=$(busy_ticks)
  if [ "$srv" = postfix ]; then
    t1=$(postfix_ticks)
    # Let Postfix finish relaying what it accepted (its CPU counts), then drop any rest.
    for _ in $(seq 1 100); do [ "$(postfix_queue)" -eq 0 ] && break; sleep 0.1; done
    t1=$(postfix_ticks); c1=$(postfix_count); postsuper -d ALL >/dev/null 2>&1
  else
    t1=$(herald_ticks); c1=$(herald_count)
  fi
  line=$(printf '%s\n' "$out" | grep '^RESULT' | tail -1)
  local acc=$((c1 - c0))
  awk -v mps="$(field msgs_per_s "$line")" -v p50="$(field p50_ms "$line")" -v p99="$(field p99_ms "$line")" \
      -v err="$(field errors "$line")" -v acc="$acc" -v dt=$((t1 - t0)) -v hz="$hz" \
      -v b0="$b0" -v b1="$b1" 'BEGIN { split(b0, x, " "); split(b1, y, " ")
      busy = 0; if (y[2] > x[2]) busy = 100 * (y[1] - x[1]) / (y[2] - x[2])
      if (mps == "") mps = "NA"; if (p50 == "") p50 = "NA"; if (p99 == "") p99 = "NA"; if (err == "") err = 1
      cpu = 0; if (acc > 0) cpu = dt * 1000 / hz / acc
      printf "%s %s %s %s %d %.3f %.0f\n", mps, p50, p99, err, acc, cpu, busy }'
  if [ "$(field errors "$line")" != 0 ]; then
    head -3 "$work/last.err" | sed "s/^/  $srv: /" >&2
    # The shared README: after errors, clear the queue and restart Postfix's queue manager.
    if [ "$srv" = postfix ]; then postsuper -d ALL >/dev/null 2>&1; postfix reload >/dev/null 2>&1; fi
  fi
}

# --- 4. fsync figures of this disk -----------------------------------------------------------
log "fsync-test on $(df --output=source "$work" | tail -1)"
fsync_out=
for args in "file 2000 1 1" "file 4000 20 1" "group 40000 1 64" "group 10000 1 8"; do
  mkdir -p "$work/fsync"; rm -rf "$work/fsync"/*
  # shellcheck disable=SC2086
  fsync_out+="$("$work/fsync-test" $args "$work/fsync")"$'\n'
done
rm -rf "$work/fsync"
printf '%s' "$fsync_out" >&2
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 5. the matrix ------------------------------------------------------------------------------
results=$work/results   # lines: server sessions mode round mps p50 p99 errors accepted cpu_ms busy
: >"$results"
for mode in $modes; do
  for s in $sessions_list; do
    # Warm-up (Postfix spawns its smtpd processes, Herald fills its AUTH cache) and sizing.
    declare -A count=()
    for srv in postfix herald; do
      if [ "$mode" = reuse ]; then n=$((s * 40 < 300 ? 300 : s * 40)); else n=$((s * 6 < 60 ? 60 : s * 6)); fi
      r=$(run_load "$srv" "$s" "$mode" "$n")
      mps=$(echo "$r" | col 1)
      count[$srv]=$(awk -v m="$mps" -v t="$secs" 'BEGIN { n = int(m * t); if (n < 100) n = 100; if (n > 200000) n = 200000; print n }')
      log "warm-up $mode s=$s $srv: $r -> ${count[$srv]} msgs/run"
    done
    for round in $(seq 1 "$repeat"); do
      order="postfix herald"; [ $((round % 2)) = 0 ] && order="herald postfix"
      for srv in $order; do
        r=$(run_load "$srv" "$s" "$mode" "${count[$srv]}")
        echo "$srv $s $mode $round $r" >>"$results"
        log "$mode s=$s round $round $srv: $r"
      done
    done
  done
done

# --- 6. latency from the final "." to the 250 (bench/dot_latency.py), session reuse -----------
# S-1 load sessions (2 client processes) plus a probe: 1 session in a third process whose own
# event loop is idle, so its "." -> 250 times are the server's (plus CPU scheduling), without
# the queueing inside a loaded client. Both servers see S sessions in all.
lat=$work/latency   # lines: server sessions round msgs_per_s p50 p99 errors probe_p50 probe_p99 probe_n
: >"$lat"
for s in 20 100; do
  for round in 1 2; do
    order="postfix herald"; [ "$round" = 2 ] && order="herald postfix"
    for srv in $order; do
      n=$(awk -v s="$s" -v srv="$srv" '$1 == srv && $2 == s && $3 == "reuse" { print $9 }' "$results" | median)
      [ "$n" = NA ] && n=2000
      n=$(awk -v n="$n" 'BEGIN { n = int(n / 2); print n < 100 ? 100 : n }')
      [ "$srv" = postfix ] && postsuper -d ALL >/dev/null 2>&1
      fl_pid=
      if [ "$srv" = herald ] && [ "$s" = 100 ] && [ "$round" = 1 ] && command -v perf >/dev/null; then
        # Server-side floor of "." -> 250: how long herald's durable commits (fdatasync) take.
        perf record -e syscalls:sys_enter_fdatasync,syscalls:sys_exit_fdatasync -p "$herald_pid" \
          -o "$work/fdatasync.data" -- sleep $((secs / 2)) >/dev/null 2>&1 &
        fl_pid=$!
      fi
      rm -f "$work/stop"
      # The probe reconnects every 300 messages: herald's default smtp.max_commands (1000) would
      # end its session with a 421 at the 333rd.
      python3 "$repo/bench/dot_latency.py" --shared "$shared" --stop-file "$work/stop" \
        --port "$(port_of "$srv")" --starttls --auth "$USER_ADDR:$PASSWORD" --from "$USER_ADDR" \
        --to "$RCPT" --sessions 1 --messages 1000000 --msgs-per-conn 300 \
        --max-seconds $((secs * 6 + 30)) >"$work/probe.out" 2>/dev/null &
      probe_pid=$!
      out=$(python3 "$repo/bench/dot_latency.py" --shared "$shared" --port "$(port_of "$srv")" --starttls \
        --auth "$USER_ADDR:$PASSWORD" --from "$USER_ADDR" --to "$RCPT" --sessions $((s - 1)) --messages "$n" \
        --procs 2 --max-seconds $((secs * 6 + 30)) 2>/dev/null | grep '^RESULT') || true
      touch "$work/stop"
      wait "$probe_pid" || true   # exits 1: the stop file, not its budget, ends it
      probe=$(grep '^RESULT' "$work/probe.out" || true)
      [ -n "$fl_pid" ] && { wait "$fl_pid" || true; }
      echo "$srv $s $round $(field msgs_per_s "$out") $(field p50_ms "$out") $(field p99_ms "$out") $(field errors "$out")" \
        "$(field p50_ms "$probe") $(field p99_ms "$probe") $(field sent "$probe")" >>"$lat"
      log "dot->250 s=$s round $round $srv: load $out; probe $probe"
    done
  done
done
postsuper -d ALL >/dev/null 2>&1 || true

# --- 7. profile of herald, fsync counts ---------------------------------------------------------
prof=$work/profile.txt
perf_top() {  # DATA (report options...) N: the first N entries, cut to 150 columns
  local data=$1 n=${*: -1}; shift
  perf report -i "$data" "${@:1:$#-1}" -g none --stdio 2>/dev/null | grep -E '^ +[0-9]' | head -"$n" | cut -c1-150 || true
}
: >"$prof"
if [ "$profile" = 1 ] && command -v perf >/dev/null; then
  for mode in reuse perconn; do
    n=$(awk -v m="$mode" '$1 == "herald" && $2 == 20 && $3 == m { print $9 }' "$results" | median)
    [ "$n" = NA ] && n=2000
    n=$(awk -v n="$n" 'BEGIN { n = int(n / 2); print n < 100 ? 100 : n }')
    # per-thread CPU of herald over the run
    for t in /proc/"$herald_pid"/task/*; do echo "${t##*/} $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$t/stat")"; done | sort >"$work/threads0"
    perf record -F 1999 --call-graph dwarf -p "$herald_pid" -o "$work/perf-$mode.data" -- sleep $((secs / 2 + 2)) >/dev/null 2>&1 &
    perf_pid=$!
    perf stat -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync -p "$herald_pid" \
      -o "$work/fsyncs-herald-$mode.txt" -- sleep $((secs / 2 + 2)) >/dev/null 2>&1 &
    stat_pid=$!
    c0=$(herald_count)
    r=$(run_load herald 20 "$mode" "$n")
    c1=$(herald_count)
    for t in /proc/"$herald_pid"/task/*; do echo "${t##*/} $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$t/stat")"; done | sort >"$work/threads1"
    wait "$perf_pid" "$stat_pid" || true
    {
      echo "### Herald, 20 sessions, $mode: $r (msgs/s p50 p99 errors accepted cpu_ms busy%)"
      echo
      echo "Per-thread CPU over the run (ms). tid $herald_pid is the main thread (an io_context thread);" \
        "the writer is the thread in libsqlite3, the other io thread runs ssl/asio, the two" \
        "AUTH workers are nearly idle:"
      echo '```'
      join "$work/threads0" "$work/threads1" | awk -v hz="$hz" '{ printf "tid %s %8.0f ms\n", $1, ($3 - $2) * 1000 / hz }'
      echo '```'
      echo "fdatasync/fsync calls by herald during the profiled window (messages accepted: $((c1 - c0)))":
      echo '```'
      grep -E 'syscalls|elapsed' "$work/fsyncs-herald-$mode.txt" | sed 's/^ *//'
      echo '```'
      echo "perf: herald's samples by thread; top symbols by thread (self time); top inclusive (children):"
      echo '```'
      perf_top "$work/perf-$mode.data" --no-children --sort pid 8
      echo
      perf_top "$work/perf-$mode.data" --no-children --sort pid,dso 20
      echo
      perf_top "$work/perf-$mode.data" --no-children --sort pid,dso,sym 25
      echo
      perf_top "$work/perf-$mode.data" --children --sort sym 30
      echo '```'
      echo
    } >>"$prof"
    log "profiled herald ($mode)"
  done
  # Herald's CPU per message with a new connection per message: RSA-2048 vs ECDSA P-256
  # certificate (A/B twice; herald reloads the certificate on SIGHUP).
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 -subj /CN=mta.test \
    -keyout "$work/ec-key.pem" -out "$work/ec-cert.pem" 2>/dev/null
  cp "$work/tls/cert.pem" "$work/rsa-cert.pem"; cp "$work/tls/key.pem" "$work/rsa-key.pem"
  n=$(awk '$1 == "herald" && $2 == 20 && $3 == "perconn" { print $9 }' "$results" | median)
  [ "$n" = NA ] && n=1000
  n=$(awk -v n="$n" 'BEGIN { n = int(n / 2); print n < 100 ? 100 : n }')
  : >"$work/certs"
  for round in 1 2; do
    for kind in rsa ec; do
      cp "$work/$kind-cert.pem" "$work/tls/cert.pem"; cp "$work/$kind-key.pem" "$work/tls/key.pem"
      kill -HUP "$herald_pid"; sleep 0.5
      served=$(openssl s_client -starttls smtp -connect "127.0.0.1:$H_PORT" </dev/null 2>/dev/null |
        openssl x509 -noout -text 2>/dev/null | sed -n 's/^ *Public Key Algorithm: //p' | head -1) || true
      r=$(run_load herald 20 perconn "$n")
      echo "$kind $r" >>"$work/certs"
      log "certificate $kind (served: ${served:-?}) round $round: $r"
    done
  done
  cp "$work/rsa-cert.pem" "$work/tls/cert.pem"; cp "$work/rsa-key.pem" "$work/tls/key.pem"; kill -HUP "$herald_pid"
  {
    echo "### Herald, 20 sessions, perconn: RSA-2048 vs ECDSA P-256 certificate (A/B twice, medians)"
    echo
    echo "| certificate | msgs/s | connect->250 p99 ms | Herald CPU ms/msg |"
    echo "|---|---:|---:|---:|"
    for kind in rsa ec; do
      c() { awk -v k="$kind" -v c="$1" '$1 == k { print $c }' "$work/certs" | median; }
      echo "| $kind | $(c 2) | $(c 4) | $(c 7) |"
    done
    echo
  } >>"$prof"
  # Postfix's fsyncs for the same load (system-wide: its cleanup processes come and go).
  n=$(awk '$1 == "postfix" && $2 == 20 && $3 == "reuse" { print $9 }' "$results" | median)
  [ "$n" = NA ] && n=1000
  n=$(awk -v n="$n" 'BEGIN { n = int(n / 2); print n < 100 ? 100 : n }')
  perf stat -a -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync -o "$work/fsyncs-postfix.txt" \
    -- sleep $((secs / 2 + 2)) >/dev/null 2>&1 &
  stat_pid=$!
  r=$(run_load postfix 20 reuse "$n")
  wait "$stat_pid" || true
  {
    echo "### Postfix, 20 sessions, reuse: $r; fsync calls system-wide in the window:"
    echo '```'
    grep -E 'syscalls|elapsed' "$work/fsyncs-postfix.txt" | sed 's/^ *//'
    echo '```'
  } >>"$prof"
fi
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 8. tables -----------------------------------------------------------------------------------
stat_of() {  # SERVER SESSIONS MODE COLUMN -> median
  awk -v srv="$1" -v s="$2" -v m="$3" -v c="$4" '$1 == srv && $2 == s && $3 == m { print $c }' "$results" | median
}
sum_of() { awk -v srv="$1" -v s="$2" -v m="$3" '$1 == srv && $2 == s && $3 == m { t += $8 } END { print t + 0 }' "$results"; }
table=$work/table.md
{
  echo "| mode | sessions | Postfix msgs/s | Herald msgs/s | ratio H/P | Postfix p99 ms | Herald p99 ms | errors P / H | Postfix CPU ms/msg | Herald CPU ms/msg | machine busy % P / H |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for mode in $modes; do
    for s in $sessions_list; do
      pm=$(stat_of postfix "$s" "$mode" 5) hm=$(stat_of herald "$s" "$mode" 5)
      ratio=$(awk -v a="$hm" -v b="$pm" 'BEGIN { if (b + 0 > 0) printf "%.2f", a / b; else print "NA" }')
      echo "| $mode | $s | $pm | $hm | **$ratio** | $(stat_of postfix "$s" "$mode" 7) | $(stat_of herald "$s" "$mode" 7) |" \
        "$(sum_of postfix "$s" "$mode") / $(sum_of herald "$s" "$mode") | $(stat_of postfix "$s" "$mode" 10) |" \
        "$(stat_of herald "$s" "$mode" 10) | $(stat_of postfix "$s" "$mode" 11) / $(stat_of herald "$s" "$mode" 11) |"
    done
  done
} >"$table"
lattable=$work/lattable.md
{
  echo "| sessions | Postfix msgs/s | Herald msgs/s | Postfix \".\"->250 p50 / p99 ms | Herald \".\"->250 p50 / p99 ms | errors P / H | probe: Postfix p50 / p99 ms | probe: Herald p50 / p99 ms | probe msgs P / H |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for s in 20 100; do
    l() { awk -v srv="$1" -v s="$s" -v c="$2" '$1 == srv && $2 == s { print $c }' "$lat" | median; }
    e() { awk -v srv="$1" -v s="$s" '$1 == srv && $2 == s { t += $7 } END { print t + 0 }' "$lat"; }
    echo "| $s | $(l postfix 4) | $(l herald 4) | $(l postfix 5) / $(l postfix 6) | $(l herald 5) / $(l herald 6) | $(e postfix) / $(e herald) |" \
      "$(l postfix 8) / $(l postfix 9) | $(l herald 8) / $(l herald 9) | $(l postfix 10) / $(l herald 10) |"
  done
} >"$lattable"
if [ -s "$work/fdatasync.data" ]; then
  perf script -i "$work/fdatasync.data" -F time,event 2>/dev/null | awk '
    /sys_enter_fdatasync/ { t = $1 + 0; next }
    /sys_exit_fdatasync/ && t > 0 { d[n++] = ($1 - t) * 1000; t = 0 }
    END { if (n == 0) exit
      for (i = 1; i < n; i++) { v = d[i]; j = i - 1; while (j >= 0 && d[j] > v) { d[j + 1] = d[j]; j-- } d[j + 1] = v }
      printf "Herald fdatasync during the 100-session latency run: %d calls, p50 %.2f ms, p99 %.2f ms, max %.2f ms\n",
        n, d[int(n * 0.5)], d[int(n * 0.99)], d[n - 1] }' >"$work/fdatasync.txt" || true
fi
echo; cat "$table"; echo; cat "$lattable"; echo; cat "$work/fdatasync.txt" 2>/dev/null || true; echo; cat "$prof"

# --- 9. docs/performance.md ----------------------------------------------------------------------
if [ "$write_doc" = 1 ]; then
  gen=$work/generated.md
  {
    echo "<!-- BEGIN GENERATED: bench/submission-bench.sh -->"
    echo "Run: \`$cmdline\` (defaults: --repeat 3 --secs 10) on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$repo" rev-parse --short HEAD)," \
      "$(( $(date +%s) - t_start )) s in all."
    echo
    echo "Machine: $(nproc) cores ($(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -1))," \
      "$(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM, data on" \
      "$(df --output=source,fstype "$work" | tail -1 | tr -s ' ') ($(lsblk -dno SIZE,ROTA "$(df --output=source "$work" | tail -1)" 2>/dev/null |
        awk '{ print $1 ", rotational=" $2 }')), kernel $(uname -r)." \
      "Load average (1/5/15 min) before the matrix: $load_before; after: $load_after (other jobs share the machine)."
    echo "Postfix $pf_version (Debian), $(openssl version | cut -d' ' -f1-2), Python $(python3 -c 'import platform; print(platform.python_version())')," \
      "herald Release build. Rounds per cell: $repeat, ~${secs} s per run; medians over the rounds."
    echo
    echo "fsync-test on this disk (\`fsync-test MODE N THREADS BATCH DIR\`):"
    echo '```'
    printf '%s' "$fsync_out"
    echo '```'
    echo
    echo "Throughput (STARTTLS + AUTH PLAIN, 4 KiB, one recipient; reuse = many messages per session," \
      "perconn = TCP + STARTTLS + AUTH for every message; p99 = smtp_load.py's: MAIL FROM -> 250, or" \
      "connect -> 250 in perconn; CPU = server CPU time / messages the server accepted; machine busy =" \
      "all CPUs, client included):"
    echo
    cat "$table"
    echo
    echo "Latency from the final \".\" to the 250 (bench/dot_latency.py, session reuse, 2 rounds, medians):" \
      "S-1 load sessions in 2 client processes, plus a 1-session probe in its own process (its" \
      "times exclude the queueing inside the loaded client); msgs/s is the load's rate:"
    echo
    cat "$lattable"
    echo
    [ -s "$work/fdatasync.txt" ] && { cat "$work/fdatasync.txt"; echo; }
    echo "Every run (server sessions mode round msgs/s p50 p99 errors accepted cpu_ms/msg busy%):"
    echo '```'
    cat "$results"
    echo '```'
    echo
    if [ -s "$prof" ]; then echo "Profiles (perf record --call-graph dwarf on the herald process during a 20-session run):"; echo; cat "$prof"; fi
    echo "<!-- END GENERATED -->"
  } >"$gen"
  bench_write_doc submission-bench.sh "$gen" "## Submission (STARTTLS + AUTH), Herald vs Postfix"
fi
log "done"
