#!/bin/bash
# Side by side: several `faultline live` sessions at once on one fleet of paused QEMU
# processes, each a variant (a tree and node flags), and the CPU of each node process
# (all threads, and its main thread) from /proc/PID/stat over a window, in rounds.
# Running together, the variants see the same machine at the same moment: on this
# shared 2-core VM, rounds differ by more than variants do. Each session sees the others
# as busy host processes, the same for all. Used for docs/benchmarks.md, "The
# optimizing compiler". Root (bpftrace, QEMU).
#
#   sudo bench/node-variants.sh [-n VMS] [-m GUEST_MIB] [-w WARM_S] [-s SECONDS] [-r ROUNDS] \
#     'LABEL|TREE|NODE FLAGS' ...
#   e.g. sudo bench/node-variants.sh -r 3 'main|.|' 'no-opt|.|--max-opt=1'
# TREE is a built checkout (bin/faultline.js, dist/); prints one line per variant and
# round, then a table of medians.
set -euo pipefail
vms=100 mib=32 warm=60 secs=120 rounds=3
while getopts n:m:w:s:r: opt; do
  case $opt in
    n) vms=$OPTARG ;; m) mib=$OPTARG ;; w) warm=$OPTARG ;; s) secs=$OPTARG ;; r) rounds=$OPTARG ;;
    *) sed -n '2,14p' "$0"; exit 2 ;;
  esac
done
shift $((OPTIND - 1))
if [ $# -eq 0 ]; then sed -n '2,14p' "$0"; exit 2; fi
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mktemp -d)
fleet_pid=
live_pids=()
cleanup() {
  for p in "${live_pids[@]}"; do kill -INT "$p" 2>/dev/null || true; done
  [ -n "$fleet_pid" ] && kill -TERM "$fleet_pid" 2>/dev/null && wait "$fleet_pid" 2>/dev/null
  rm -rf "$out"
}
trap cleanup EXIT

# the fleet, in the background until READY
mkfifo "$out/fleet"
(cd "$here" && exec node --import tsx bench/fleet.ts "$vms" "$mib") > "$out/fleet" &
fleet_pid=$!
read -r ready count < "$out/fleet"
[ "$ready" = READY ] || { echo "node-variants: the fleet did not start" >&2; exit 1; }
echo "node-variants: $count QEMU processes up (-m $mib, paused); $# variants, $rounds rounds, CPU over $secs s after $warm s" >&2

ticks() { awk '{print $14 + $15}' "/proc/$1/stat" "/proc/$1/task/$1/stat" | xargs; }
for round in $(seq "$rounds"); do
  live_pids=() labels=() port=7500
  for v in "$@"; do
    IFS='|' read -r label tree flags <<< "$v"
    # shellcheck disable=SC2086
    (cd "$tree" && exec node $flags bin/faultline.js live --interval 1s --listen "127.0.0.1:$port") > /dev/null 2> "$out/$label.err" &
    live_pids+=($!) labels+=("$label") port=$((port + 1))
  done
  sleep "$warm"
  declare -A before=()
  for p in "${live_pids[@]}"; do before[$p]=$(ticks "$p"); done
  sleep "$secs"
  for i in "${!live_pids[@]}"; do
    p=${live_pids[$i]}
    read -r all0 main0 <<< "${before[$p]}"
    read -r all1 main1 <<< "$(ticks "$p")"
    rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$p/status")
    # ticks of 1/100 s over secs seconds: % of one core
    awk -v l="${labels[$i]}" -v r="$round" -v s="$secs" -v a="$((all1 - all0))" -v m="$((main1 - main0))" -v rss="$rss" \
      'BEGIN { printf "%s %d %.2f %.2f %d\n", l, r, a / s, m / s, rss }' | tee -a "$out/rows" >&2
  done
  for p in "${live_pids[@]}"; do kill -INT "$p"; done
  wait "${live_pids[@]}" 2>/dev/null || true
  live_pids=()
done

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
column() { awk -v l="$1" -v c="$2" '$1 == l { print $c }' "$out/rows"; }
printf '%-24s  %10s  %11s  %12s  %s\n' variant 'node %core' 'main thread' 'node RSS MiB' 'rounds (node %core)'
for v in "$@"; do
  label=${v%%|*}
  printf '%-24s  %10s  %11s  %12s  %s\n' "$label" "$(column "$label" 3 | median)" "$(column "$label" 4 | median)" \
    "$(column "$label" 5 | median)" "$(column "$label" 3 | paste -sd/ | sed 's|/| / |g')"
done
