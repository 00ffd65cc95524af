#!/bin/sh
# Runs `scoreflow bench` and the machine's floor (../shared/bench/floor.sh: a
# bare JetStream fetch ∥ SQLite dedupe + upsert + history pipeline) in turn,
# floor first and last, at the same sizes, and prints each bench run's
# events/s beside the mean of the floors around it: the ratio the README's
# table reports, measured while the machine's speed drifts.
#
#   docs/bench-floor.sh [runs] [events] [contacts]   (defaults: 3, 200000, 10000)
set -eu
runs=${1:-3}
events=${2:-200000}
contacts=${3:-10000}
floor=${FLOOR:-$(dirname "$0")/../../shared/bench/floor.sh}
[ -x "$floor" ] || { echo "no floor script at $floor (set FLOOR=...)" >&2; exit 1; }
bin=$(mktemp -d)/scoreflow
go build -o "$bin" ./cmd/scoreflow
rate() { awk '/events\/s end to end/ {for (i = 1; i <= NF; i++) if ($(i+1) == "events/s") {print $i; exit}}'; }
before=$("$floor" -n "$events" -contacts "$contacts" | rate)
i=1
while [ "$i" -le "$runs" ]; do
  out=$("$bin" bench -events "$events" -contacts "$contacts")
  b=$(echo "$out" | rate)
  cpu=$(echo "$out" | awk '/^cpu/ {print $2}')
  rss=$(echo "$out" | awk '/^peak RSS/ {print $3}')
  after=$("$floor" -n "$events" -contacts "$contacts" | rate)
  awk -v i="$i" -v b="$b" -v f1="$before" -v f2="$after" -v cpu="$cpu" -v rss="$rss" 'BEGIN {
    f = (f1 + f2) / 2
    printf "run %d: bench %d events/s (%s µs CPU per event, peak RSS %s MiB), floor %d events/s, ratio %.2f\n", i, b, cpu, rss, f, b / f }'
  before=$after
  i=$((i + 1))
done
