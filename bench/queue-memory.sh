#!/usr/bin/env bash
# queue-memory.sh - Herald's memory with a large queue of deferred recipients, and the time to
# rebuild its in-memory queue index at start.
#
# Usage (as root, from anywhere):
#   bench/queue-memory.sh [--recipients 100000] [--per-message N] [--domains 10]
#                         [--sessions 4] [--no-doc] [--herald BINARY]
#
# What it does:
#   1. builds herald (Release, build-bench/; --herald BINARY uses that one instead);
#   2. starts Postfix's smtp-sink on a free loopback port answering every RCPT with
#      "451 4.3.0 Try again later" (smtp-sink -r RCPT -b ...), and points Herald's
#      `[delivery] relay` at it, so every delivery attempt defers every recipient;
#   3. baseline: Herald with an empty queue - the time from exec to its log line
#      "delivery queue: 0 recipients waiting", then VmRSS and VmHWM (/proc/PID/status) after
#      3 s idle;
#   4. fills the queue: --recipients / --per-message messages with --per-message distinct
#      recipients each (default: Herald's smtp.max_recipients, 100; at most that), spread over
#      --domains recipient domains, submitted with STARTTLS + AUTH by bench/queue_fill.py; waits
#      until every recipient is `deferred` (one attempt each);
#   5. stops Herald and moves every deferred recipient's next attempt to an hour from now (in the
#      database, Herald stopped) so that none falls due during the measurement - the first retry
#      (1 minute) would otherwise start while the queue is still being measured;
#   6. restarts Herald: the time from exec to "delivery queue: N recipients waiting" (the index
#      rebuilt from the store), then VmRSS and VmHWM after 3 s idle, and checks that no
#      delivery attempt happened meanwhile;
#   7. prints the table and, unless --no-doc, writes it into docs/performance.md between the
#      markers of this script; stops Herald and the sink and deletes the temp files.
# Only loopback addresses are used; every wait is bounded.
set -euo pipefail

total=100000 per_message='' domains=10 sessions=4 write_doc=1 herald_bin=
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "$0")/lib.sh"
cmdline="bench/queue-memory.sh $*"

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    --recipients) total=$2; shift ;;     --per-message) per_message=$2; shift ;;
    --domains) domains=$2; shift ;;      --sessions) sessions=$2; shift ;;
    --no-doc) write_doc=0 ;;             --herald) herald_bin=$2; shift ;;
    -h|--help) usage ;;
    *) echo "unknown option: $1" >&2; usage ;;
  esac
  shift
done
bench_init no-harness

# --- 1, 2. herald, the deferring sink ------------------------------------------------------------
bench_build_herald "$herald_bin"
bench_install_postfix # for smtp-sink
bench_pick_ports
smtp-sink -u nobody -4 -r RCPT -b "451 4.3.0 Try again later" "127.0.0.1:$SINK_PORT" 1024 \
  >/dev/null 2>"$work/sink.err" &
sink_pid=$!
wait_port "$SINK_PORT" || { echo "smtp-sink did not start: $(cat "$work/sink.err")" >&2; exit 1; }
bench_write_herald_config "" "[delivery]
relay = \"127.0.0.1:$SINK_PORT\""
max_rcpts=$(H config show | sed -n 's/^max_recipients = //p')
[ -n "$per_message" ] || per_message=$max_rcpts
if [ "$per_message" -gt "$max_rcpts" ]; then
  log "--per-message $per_message is above smtp.max_recipients ($max_rcpts): using $max_rcpts"
  per_message=$max_rcpts
fi
messages=$(((total + per_message - 1) / per_message))
total=$((messages * per_message))
bench_herald_sender

# --- helpers ---------------------------------------------------------------------------------------
# status_kb FIELD: a field of herald's /proc/PID/status, in kB.
status_kb() { awk -v f="$1:" '$1 == f { print $2 }' "/proc/$herald_pid/status"; }
ms_of_iso() { date -d "$1" +%s%3N; } # 2026-12-04T20:00:00.123Z -> epoch ms
# start_and_index LOG: starts herald; sets idx_ms (ms from exec to its "delivery queue:" line)
# and idx_n (the recipient count it reports).
start_and_index() {
  local logfile=$1 t0 line
  t0=$(date +%s%3N)
  bench_start_herald "$logfile"
  for _ in $(seq 1 1200); do
    line=$(grep -m1 'delivery queue: [0-9]* recipients waiting' "$logfile" || true)
    [ -n "$line" ] && break
    sleep 0.05
  done
  [ -n "$line" ] || { echo "herald did not report its queue within 60 s" >&2; tail -20 "$logfile" >&2; exit 1; }
  idx_ms=$(($(ms_of_iso "${line%% *}") - t0))
  idx_n=$(sed 's/.*delivery queue: \([0-9]*\) recipients.*/\1/' <<<"$line")
}
attempts() { herald_sql 'SELECT count(*) FROM attempts'; }

# --- 3. empty queue -------------------------------------------------------------------------------
start_and_index "$work/herald-empty.log"
empty_ms=$idx_ms empty_n=$idx_n
sleep 3
empty_rss=$(status_kb VmRSS) empty_hwm=$(status_kb VmHWM)
log "empty queue: index after $empty_ms ms ($empty_n recipients), VmRSS $empty_rss kB, VmHWM $empty_hwm kB"
bench_stop_herald

# --- 4. fill -------------------------------------------------------------------------------------
bench_start_herald "$work/herald-fill.log"
log "filling: $messages messages x $per_message recipients over $domains domains ($total recipients)"
t_fill=$(date +%s)
fill=$(python3 "$repo/bench/queue_fill.py" --port "$H_PORT" --auth "$USER_ADDR:$PASSWORD" \
  --from "$USER_ADDR" --messages "$messages" --rcpts "$per_message" --sessions "$sessions" \
  --domains "$domains" 2>"$work/fill.err" | grep '^RESULT') ||
  { echo "queue_fill.py failed: $fill" >&2; head -5 "$work/fill.err" >&2; exit 1; }
log "submitted: $fill"
deferred=0
for _ in $(seq 1 1200); do # every recipient deferred once, at most 10 minutes
  deferred=$(herald_sql "SELECT count(*) FROM recipients WHERE status = 'deferred'")
  [ "$deferred" -ge "$total" ] && break
  sleep 0.5
done
fill_secs=$(($(date +%s) - t_fill))
fill_rss=$(status_kb VmRSS) fill_hwm=$(status_kb VmHWM)
log "after $fill_secs s: $deferred of $total deferred; VmRSS $fill_rss kB, VmHWM $fill_hwm kB"
[ "$deferred" -ge "$total" ] || { echo "not every recipient was deferred within 10 minutes" >&2; exit 1; }
bench_stop_herald

# --- 5. nothing due during the measurement ------------------------------------------------------------
sqlite3 "$work/herald/herald.db" \
  "UPDATE recipients SET next_attempt_at = $(($(date +%s%3N) + 3600000)) WHERE status = 'deferred'"
a0=$(attempts)
db_mb=$(du -sm "$work/herald" | col 1)

# --- 6. restart with the full queue ------------------------------------------------------------
start_and_index "$work/herald-full.log"
full_ms=$idx_ms full_n=$idx_n
sleep 3
full_rss=$(status_kb VmRSS) full_hwm=$(status_kb VmHWM)
a1=$(attempts)
log "full queue: index after $full_ms ms ($full_n recipients), VmRSS $full_rss kB, VmHWM $full_hwm kB," \
  "attempts during the measurement: $((a1 - a0))"
[ "$full_n" = "$total" ] || log "WARNING: herald reports $full_n recipients waiting, expected $total"

# --- 7. table ------------------------------------------------------------------------------------
table=$work/table.md
{
  echo "| queue | recipients in the index | exec -> index built, ms | VmRSS MiB (3 s idle) | VmHWM MiB |"
  echo "|---|---:|---:|---:|---:|"
  awk -v n="$empty_n" -v ms="$empty_ms" -v r="$empty_rss" -v h="$empty_hwm" \
    'BEGIN { printf "| empty | %d | %d | %.1f | %.1f |\n", n, ms, r / 1024, h / 1024 }'
  awk -v n="$full_n" -v ms="$full_ms" -v r="$full_rss" -v h="$full_hwm" \
    'BEGIN { printf "| deferred | %d | %d | %.1f | %.1f |\n", n, ms, r / 1024, h / 1024 }'
  awk -v n="$full_n" -v r0="$empty_rss" -v r1="$full_rss" -v h0="$empty_hwm" -v h1="$full_hwm" \
    'BEGIN { if (n > 0) printf "| difference per recipient | | | %.0f bytes | %.0f bytes |\n", (r1 - r0) * 1024 / n, (h1 - h0) * 1024 / n }'
} >"$table"
notes="Fill: $messages messages x $per_message recipients over $domains domains (smtp.max_recipients = $max_rcpts),"
notes+=" $fill; all $total deferred after $fill_secs s (RSS then $((fill_rss / 1024)) MiB, HWM $((fill_hwm / 1024)) MiB);"
notes+=" data_dir $db_mb MiB; delivery attempts during the restart measurement: $((a1 - a0))."
echo; cat "$table"; echo; echo "$notes"

if [ "$write_doc" = 1 ]; then
  gen=$work/generated.md
  {
    echo "<!-- BEGIN GENERATED: bench/queue-memory.sh -->"
    echo "Run: \`$cmdline\` on $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git -C "$repo" rev-parse --short HEAD)," \
      "herald $([ -n "$herald_bin" ] && echo "binary $herald_bin" || echo "Release build"), $(nproc) cores."
    echo
    cat "$table"
    echo
    echo "$notes"
    echo "<!-- END GENERATED -->"
  } >"$gen"
  bench_write_doc queue-memory.sh "$gen" "## Memory with a queue of deferred recipients (bench/queue-memory.sh)"
fi
log "done"
