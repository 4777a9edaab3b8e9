#!/usr/bin/env bash
# delivery-bench.sh - end-to-end throughput, Herald vs Debian's Postfix in one run: messages
# accepted (STARTTLS + AUTH PLAIN submission) and delivered to a local sink.
#
# Usage (as root, from anywhere):
#   bench/delivery-bench.sh [--repeat 3] [--secs 10] [--sessions "20 100"] [--no-profile]
#                           [--no-doc] [--shared DIR] [--herald BINARY] [--postfix-dkim]
# --postfix-dkim: Postfix DKIM-signs too (OpenDKIM milter, the same key), like for like.
#
# Load: the shared harness (../shared/bench/smtp-bench.sh --engine python --starttls --auth ...
# --sink-port PORT), 4 KiB messages, one recipient, --sessions concurrent submission sessions
# reused for many messages. With --sink-port the harness starts Postfix's smtp-sink on
# 127.0.0.1:PORT for each run, exiting after --messages messages; end-to-end rate = messages /
# (start of the load -> the sink's exit). Both servers relay everything to that port: Herald
# with `[delivery] relay = "127.0.0.1:PORT"` (its defaults otherwise: DKIM signing, durable
# commit before the 250, delivery.max_concurrency 20), Postfix as ../shared/bench/README.md
# configures it (relayhost and transports to the sink, default_destination_concurrency_limit
# 20) plus Cyrus SASL as in submission-bench.sh, so that both do STARTTLS + AUTH.
#
# What it does:
#   1. builds herald (Release, build-bench/; --herald BINARY uses that one instead);
#   2. installs and configures Postfix (bench/lib.sh), starts it on 127.0.0.1:2525 and Herald on
#      free loopback ports, both relaying to 127.0.0.1:2626 (free ports instead when taken);
#   3. per session count: one warm-up run per server sizes the message count for runs of about
#      --secs seconds end to end, then --repeat rounds alternating the servers (P,H then H,P ...);
#      before each run the server's queue is emptied (smtp-sink quits without answering the
#      last message of a run, so one message stays deferred) and Postfix's queue manager is
#      restarted (`postfix reload`: it marks a sink that went away as down);
#      per run: accepted msgs/s and p99 (the client's), end-to-end msgs/s (the harness), the
#      delivery rate at the sink (delivered count sampled every 0.25 s: Herald's `delivered`
#      rows, Postfix's `status=sent` log lines; rate between the first delivery and the last),
#      server CPU per message (Herald: /proc/PID/stat; Postfix: master and its children);
#   4. a profile of Herald (perf record with call graphs) during one more 20-session run;
#   5. prints the table and, unless --no-doc, writes it into docs/performance.md between the
#      markers of this script (the rest of the file is kept);
#   6. stops Herald and Postfix, deletes Postfix's queue and the temp files.
# Only loopback addresses are used; every run is bounded by a message count and by time.
set -euo pipefail

repeat=3 secs=10 sessions_list="20 100" profile=1 write_doc=1 postfix_dkim=0 herald_bin=
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cmdline="bench/delivery-bench.sh $*"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --repeat) repeat=$2; shift ;;          --secs) secs=$2; shift ;;
    --sessions) sessions_list=$2; shift ;; --no-profile) profile=0 ;;
    --no-doc) write_doc=0 ;;               --shared) shared=$2; shift ;;
    --herald) herald_bin=$2; shift ;;  --postfix-dkim) postfix_dkim=1 ;;
    -h|--help) usage ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
  shift
done
bench_init

# postfix_sign_with_opendkim: like for like - Postfix DKIM-signs too, through Debian's OpenDKIM
# milter with the same RSA-2048 key Herald signs with (relaxed/relaxed). Its CPU counts as
# Postfix's (postfix_ticks adds the opendkim process). Undone at exit.
postfix_sign_with_opendkim() {
  command -v opendkim >/dev/null ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q opendkim >/dev/null
  local domain=${USER_ADDR#*@} key port
  key=$(find "$work" -path "*dkim*" -name 'herald1*.key' | head -1)
  [ -n "$key" ] || { echo "no DKIM key of $domain under $work" >&2; exit 1; }
  # opendkim refuses files under a directory others may write (such as /var/tmp).
  dkim_dir=$(mktemp -d /run/herald-bench-opendkim.XXXXXX)
  chmod 755 "$dkim_dir"
  install -o opendkim -m 600 "$key" "$dkim_dir/key"
  OPENDKIM_PID=$dkim_dir/opendkim.pid
  port=$(free_port)
  printf '%s\n' "Syslog no" "Mode s" "Domain $domain" "Selector herald1" \
    "KeyFile $dkim_dir/key" "Canonicalization relaxed/relaxed" \
    "Socket inet:$port@127.0.0.1" "PidFile $OPENDKIM_PID" "UserID opendkim" \
    >"$dkim_dir/opendkim.conf"
  opendkim -x "$dkim_dir/opendkim.conf"
  wait_port "$port" || { echo "opendkim did not listen on $port" >&2; exit 1; }
  postconf -e "smtpd_milters = inet:127.0.0.1:$port" 'milter_default_action = tempfail'
  postfix reload >/dev/null
  log "postfix signs with opendkim (pid $(cat "$OPENDKIM_PID"), 127.0.0.1:$port)"
}
bench_on_exit() {
  [ "$postfix_dkim" = 1 ] || return 0
  postconf -X smtpd_milters milter_default_action 2>/dev/null || true
  if [ -f "${OPENDKIM_PID:-}" ]; then kill "$(cat "$OPENDKIM_PID")" 2>/dev/null || true; fi
  [ -z "${dkim_dir:-}" ] || rm -rf "$dkim_dir"
}

# --- 1, 2. herald, postfix -----------------------------------------------------------------------
bench_build_herald "$herald_bin"
bench_install_postfix
bench_pick_ports
bench_configure_postfix
bench_start_postfix
bench_write_herald_config "" "[delivery]
relay = \"127.0.0.1:$SINK_PORT\""
bench_herald_sender
if [ "$postfix_dkim" = 1 ]; then postfix_sign_with_opendkim; fi
bench_start_herald
log "postfix $pf_version on 127.0.0.1:$PF_PORT, herald (pid $herald_pid) on 127.0.0.1:$H_PORT;" \
  "both relay to the sink on 127.0.0.1:$SINK_PORT"

# --- measurement helpers -------------------------------------------------------------------------
port_of() { [ "$1" = postfix ] && echo $PF_PORT || echo "$H_PORT"; }
pf_log=/var/log/postfix.log
# delivered SERVER FROM: messages delivered since FROM (Herald: a recipients row id; Postfix: a
# byte offset of its log).
delivered() {
  if [ "$1" = postfix ]; then tail -c +$(($2 + 1)) "$pf_log" 2>/dev/null | grep -c 'status=sent' || true
  else herald_sql "SELECT count(*) FROM recipients WHERE id > $2 AND status = 'delivered'"; fi
}
mark_of() {
  if [ "$1" = postfix ]; then stat -c %s "$pf_log" 2>/dev/null || echo 0
  else herald_sql 'SELECT coalesce(max(id), 0) FROM recipients'; fi
}
# empty_queue SERVER: nothing left from an earlier run.
empty_queue() {
  if [ "$1" = postfix ]; then
    postsuper -d ALL >/dev/null 2>&1 || true
    postfix reload >/dev/null 2>&1 || true
    sleep 1
  else
    H queue delete --all >/dev/null 2>&1 || true
  fi
}

# run_e2e SERVER SESSIONS MESSAGES -> one line:
#   msgs_per_s p99 errors e2e_per_s sink_per_s accepted cpu_ms busy%
run_e2e() {
  local srv=$1 s=$2 n=$3 out line t0 t1 c0 c1 b0 b1 mark samp_pid
  empty_queue "$srv"
  mark=$(mark_of "$srv")
  if [ "$srv" = postfix ]; then t0=$(postfix_ticks); c0=$(postfix_count); else t0=$(herald_ticks); c0=$(herald_count); fi
  b0=$(busy_ticks)
  (while :; do echo "$(date +%s.%N) $(delivered "$srv" "$mark")"; sleep 0.25; done) >"$work/samples" 2>/dev/null &
  samp_pid=$!
  out=$("$shared/smtp-bench.sh" --port "$(port_of "$srv")" --starttls --auth "$USER_ADDR:$PASSWORD" \
    --from "$USER_ADDR" --to "$RCPT" --sessions "$s" --messages "$n" --size 4096 --engine python \
    --procs "$(procs_for "$s")" --sink-port "$SINK_PORT" --max-seconds $((secs * 6 + 30)) \
    2>"$work/last.err") || true
  kill "$samp_pid" 2>/dev/null; wait "$samp_pid" 2>/dev/null || true
  b1=$(busy_ticks)
  if [ "$srv" = postfix ]; then t1=$(postfix_ticks); c1=$(postfix_count); else t1=$(herald_ticks); c1=$(herald_count); fi
  # The message the sink left unanswered must not reach the next run's sink (the other server's).
  if [ "$srv" = postfix ]; then postsuper -d ALL >/dev/null 2>&1 || true; else H queue delete --all >/dev/null 2>&1 || true; fi
  line=$(printf '%s\n' "$out" | grep '^RESULT' | tail -1)
  # The sink's rate: from the first sample with a delivery to the first with n - 1 of them
  # (smtp-sink leaves the last message unanswered), or the last sample.
  local sink
  sink=$(awk -v n="$n" '$2 > 0 && !f { tf = $1; cf = $2; f = 1 } f && !l { tl = $1; cl = $2; if ($2 >= n - 1) l = 1 }
    END { if (f && tl > tf) printf "%.1f", (cl - cf) / (tl - tf); else print "NA" }' "$work/samples")
  awk -v mps="$(field msgs_per_s "$line")" -v p99="$(field p99_ms "$line")" -v err="$(field errors "$line")" \
      -v e2e="$(field e2e_msgs_per_s "$line")" -v sink="$sink" -v acc=$((c1 - c0)) -v dt=$((t1 - t0)) \
      -v hz="$hz" -v b0="$b0" -v b1="$b1" 'BEGIN { split(b0, x, " "); split(b1, y, " ")
      busy = 0; if (y[2] > x[2]) busy = 100 * (y[1] - x[1]) / (y[2] - x[2])
      if (mps == "") mps = "NA"; if (p99 == "") p99 = "NA"; if (err == "") err = 1; if (e2e == "") e2e = "NA"
      cpu = 0; if (acc > 0) cpu = dt * 1000 / hz / acc
      printf "%s %s %s %s %s %d %.3f %.0f\n", mps, p99, err, e2e, sink, acc, cpu, busy }'
  if [ "$(field errors "$line")" != 0 ]; then
    { grep -v '^RESULT' <<<"$out" | head -3; head -3 "$work/last.err"; } | sed "s/^/  $srv: /" >&2
  fi
}

# --- 3. the matrix -------------------------------------------------------------------------------
load_before=$(cut -d' ' -f1-3 /proc/loadavg)
results=$work/results # lines: server sessions round mps p99 errors e2e sink accepted cpu_ms busy
: >"$results"
declare -A count=()
for s in $sessions_list; do
  for srv in postfix herald; do
    n=$((s * 20 < 1000 ? 1000 : s * 20))
    r=$(run_e2e "$srv" "$s" "$n")
    e2e=$(echo "$r" | col 4)
    count[$srv.$s]=$(awk -v m="$e2e" -v t="$secs" -v n="$n" 'BEGIN { if (m == "NA") m = n / 10
      n = int(m * t); if (n < 500) n = 500; if (n > 200000) n = 200000; print n }')
    log "warm-up s=$s $srv: $r -> ${count[$srv.$s]} msgs/run"
  done
  for round in $(seq 1 "$repeat"); do
    order="postfix herald"; [ $((round % 2)) = 0 ] && order="herald postfix"
    for srv in $order; do
      r=$(run_e2e "$srv" "$s" "${count[$srv.$s]}")
      echo "$srv $s $round $r" >>"$results"
      log "s=$s round $round $srv: $r"
    done
  done
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

# --- 4. profile of herald during a 20-session run ------------------------------------------------
prof=$work/profile.txt
: >"$prof"
if [ "$profile" = 1 ] && command -v perf >/dev/null; then
  n=$(awk '$1 == "herald" && $2 == 20 { print $9 }' "$results" | median)
  [ "$n" = NA ] && n=2000
  n=${n%.*}
  for t in /proc/"$herald_pid"/task/*; do echo "${t##*/} $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$t/stat")"; done | sort >"$work/threads0"
  perf record -F 499 --call-graph dwarf -p "$herald_pid" -o "$work/perf.data" -- sleep $((secs / 2 + 2)) >/dev/null 2>&1 &
  perf_pid=$!
  perf stat -e syscalls:sys_enter_fdatasync,syscalls:sys_enter_fsync -p "$herald_pid" \
    -o "$work/fsyncs.txt" -- sleep $((secs / 2 + 2)) >/dev/null 2>&1 &
  stat_pid=$!
  r=$(run_e2e herald 20 "$n")
  wait "$perf_pid" "$stat_pid" || true
  for t in /proc/"$herald_pid"/task/*; do echo "${t##*/} $(awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "$t/stat")"; done | sort >"$work/threads1"
  perf_top() { perf report -i "$work/perf.data" "$@" -g none --stdio 2>/dev/null | grep -E '^ +[0-9]' | cut -c1-150 || true; }
  {
    echo "Herald, 20 sessions: $r (msgs/s p99 errors e2e/s sink/s accepted cpu_ms busy%)"
    echo
    echo "Per-thread CPU over the run (thread name, tid, ms):"
    echo '```'
    join "$work/threads0" "$work/threads1" | while read -r tid a b; do
      printf '%-16s %7s %8.0f\n' "$(cat "/proc/$herald_pid/task/$tid/comm" 2>/dev/null)" "$tid" \
        "$(awk -v a="$a" -v b="$b" -v hz="$hz" 'BEGIN { print (b - a) * 1000 / hz }')"
    done
    echo '```'
    echo "fdatasync/fsync calls by herald in the profiled window (the first $((secs / 2 + 2)) s of a run of $n messages):"
    echo '```'
    grep -E 'syscalls|elapsed' "$work/fsyncs.txt" | sed 's/^ *//'
    echo '```'
    echo "perf record -F 499 --call-graph dwarf: samples by thread; self time by library and by symbol;" \
      "inclusive time (children) by symbol:"
    echo '```'
    perf_top --no-children --sort pid | head -8
    echo
    perf_top --no-children --sort dso | head -12
    echo
    perf_top --no-children --sort dso,sym | head -25
    echo
    perf_top --children --sort sym | head -40
    echo '```'
  } >"$prof"
  log "profiled herald"
fi

# --- 5. table ------------------------------------------------------------------------------------
stat_of() { awk -v srv="$1" -v s="$2" -v c="$3" '$1 == srv && $2 == s { print $c }' "$results" | median; }
sum_of() { awk -v srv="$1" -v s="$2" '$1 == srv && $2 == s { t += $6 } END { print t + 0 }' "$results"; }
table=$work/table.md
{
  echo "| sessions | Postfix e2e msgs/s | Herald e2e msgs/s | ratio H/P | Postfix at the sink /s | Herald at the sink /s |" \
    "Postfix accepted msgs/s | Herald accepted msgs/s | Postfix p99 ms | Herald p99 ms | errors P / H |" \
    "Postfix CPU ms/msg | Herald CPU ms/msg | machine busy % P / H |"
  echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
  for s in $sessions_list; do
    pe=$(stat_of postfix "$s" 7) he=$(stat_of herald "$s" 7)
    ratio=$(awk -v a="$he" -v b="$pe" 'BEGIN { if (b + 0 > 0 && a + 0 > 0) printf "%.2f", a / b; else print "NA" }')
    echo "| $s | $pe | $he | **$ratio** | $(stat_of postfix "$s" 8) | $(stat_of herald "$s" 8) |" \
      "$(stat_of postfix "$s" 4) | $(stat_of herald "$s" 4) | $(stat_of postfix "$s" 5) | $(stat_of herald "$s" 5) |" \
      "$(sum_of postfix "$s") / $(sum_of herald "$s") | $(stat_of postfix "$s" 10) | $(stat_of herald "$s" 10) |" \
      "$(stat_of postfix "$s" 11) / $(stat_of herald "$s" 11) |"
  done
} >"$table"
echo; cat "$table"; echo; cat "$results"; echo; cat "$prof"

# --- 6. docs/performance.md ----------------------------------------------------------------------
if [ "$write_doc" = 1 ]; then
  gen=$work/generated.md
  {
    echo "<!-- BEGIN GENERATED: bench/delivery-bench.sh -->"
    echo "Run: \`$cmdline\` (defaults: --repeat 3 --secs 10 --sessions \"20 100\") on" \
      "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$repo" rev-parse --short HEAD), $(($(date +%s) - t_start)) s in all."
    echo "Machine: $(nproc) cores, load average before / after: $load_before / $load_after (shared with other jobs)." \
      "Postfix $pf_version (Debian), herald $([ -n "$herald_bin" ] && echo "binary $herald_bin" || echo "Release build")." \
      "Rounds per cell: $repeat, ~${secs} s per run end to end; medians over the rounds."
    echo
    echo "End to end = messages / (start of the load -> smtp-sink has received all of them); at the" \
      "sink = delivered messages per second between the first and the last delivery (sampled every" \
      "0.25 s); accepted and p99 = the submission client's (MAIL FROM -> 250); CPU = server CPU" \
      "time (accepting and delivering) / messages accepted; machine busy = all CPUs, client included."
    echo
    cat "$table"
    echo
    echo "Every run (server sessions round msgs/s p99 errors e2e/s sink/s accepted cpu_ms/msg busy%):"
    echo '```'
    cat "$results"
    echo '```'
    echo
    if [ -s "$prof" ]; then echo "Profile:"; echo; cat "$prof"; echo; fi
    echo "<!-- END GENERATED -->"
  } >"$gen"
  bench_write_doc delivery-bench.sh "$gen" "## Delivery end to end, Herald vs Postfix (bench/delivery-bench.sh)"
fi
log "done"
