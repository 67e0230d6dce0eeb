#!/usr/bin/env bash
# Runs the same workloads on this library (the compare bench) and on the Python original
# (../shared/peer/run.sh), and prints them side by side with the speed-up.
set -euo pipefail
cd "$(dirname "$0")/.."
peer=../shared/peer/run.sh

# Idle, as the peer runs, whatever BENCH_LOAD the caller's environment holds.
ours=$(BENCH_LOAD=idle cargo bench -q -p traits-futures --bench compare 2>/dev/null | grep '^workload=')
field() { # field WORKLOAD KEY: a value from our bench's line for WORKLOAD
  printf '%s\n' "$ours" | grep "^workload=$1 " | tr ' ' '\n' | grep "^$2=" | cut -d= -f2
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { print a / b }'; }
peer_rate() { bash "$peer" "$1" "$2" | grep -o 'rate=[0-9.]*' | cut -d= -f2; }

printf '%-10s %18s %18s %10s\n' workload library python speed-up
for w in calls:20000 iteration:100000 progress:100000; do
  name=${w%%:*}; n=${w##*:}
  mine=$(field "$name" rate); theirs=$(peer_rate "$name" "$n")
  printf '%-10s %16.0f/s %16.0f/s %9.0fx\n' "$name" "$mine" "$theirs" "$(ratio "$mine" "$theirs")"
done
mine=$(field latency median_us)
theirs=$(bash "$peer" latency 1000 | grep -o 'median_us=[0-9.]*' | cut -d= -f2)
printf '%-10s %15.1f us %15.1f us %9.1fx\n' latency "$mine" "$theirs" "$(ratio "$theirs" "$mine")"
mine=$(field memory bytes_per_future)
theirs=$(bash "$peer" memory 20000 | grep -o '[0-9]* bytes' | cut -d' ' -f1)
printf '%-10s %16.0f B %16.0f B %9.1fx\n' memory "$mine" "$theirs" "$(ratio "$theirs" "$mine")"
