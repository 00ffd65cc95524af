#!/bin/sh
# Runs `scoreflow bench` on SQLite and on PostgreSQL in alternating pairs and
# prints each pair's events/s and their ratio, so the comparison holds while
# the machine's speed drifts. Each PostgreSQL run gets a new empty database.
#
#   docs/bench-stores.sh postgres://postgres@127.0.0.1:5432/postgres [pairs] [bench flags...]
#
# The URL is of a server where databases may be created (its database part
# is only used to connect); psql must be on PATH.
set -eu
admin=${1:?usage: docs/bench-stores.sh ADMIN_URL [pairs] [bench flags...]}
pairs=${2:-5}
shift; [ $# -gt 0 ] && shift
bin=$(mktemp -d)/scoreflow
go build -o "$bin" ./cmd/scoreflow
base=${admin%/*}
query=""
case "$admin" in *\?*) query="?${admin#*\?}" ;; esac
i=1
while [ "$i" -le "$pairs" ]; do
  db="sf_bench_$(date +%s)_$i"
  psql "$admin" -qc "CREATE DATABASE $db" >/dev/null
  s=$("$bin" bench "$@" | awk '/throughput/ {print $2}')
  p=$("$bin" bench "$@" -store "$base/$db$query" | awk '/throughput/ {print $2}')
  psql "$admin" -qc "DROP DATABASE $db" >/dev/null
  echo "pair $i: sqlite $s events/s, postgres $p events/s, ratio $(awk "BEGIN {printf \"%.2f\", $p/$s}")"
  i=$((i + 1))
done
