#!/usr/bin/env bash
# run.sh: a whole Scoreflow cluster on one machine, for trying it out —
# 3 clustered NATS nodes (examples/cluster/nats-node), a private PostgreSQL
# (initdb + pg_ctl), and REPLICAS `scoreflow serve` replicas on
# 127.0.0.1:8081… sharing both. Ctrl-C (or SIGTERM) stops everything;
# the state stays in $DIR for the next run (rm -rf it to start over).
#
#   examples/cluster/run.sh                    # 3 replicas
#   REPLICAS=5 DIR=/tmp/sf examples/cluster/run.sh
#
# Then: curl -H 'Authorization: Bearer admin-secret' localhost:8081/api/v1/cluster
# kill -9 one replica's pid (printed below) and watch its partitions move.
set -euo pipefail

REPLICAS=${REPLICAS:-3}
DIR=${DIR:-$PWD/cluster-data}
PG_PORT=${PG_PORT:-5433}
NATS_PORTS=(4222 4223 4224)
ADMIN_KEY=${ADMIN_KEY:-admin-secret}
WRITE_KEY=${WRITE_KEY:-write-secret}
PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}
[ -x "$PG_BIN/initdb" ] || PG_BIN=$(dirname "$(command -v initdb || echo /nonexistent/initdb)")
[ -x "$PG_BIN/initdb" ] || { echo "run.sh: no initdb found: install PostgreSQL 13+ or set PG_BIN" >&2; exit 1; }

cd "$(dirname "$0")/../.."
mkdir -p "$DIR/bin" "$DIR/logs"
echo "building scoreflow and nats-node into $DIR/bin"
go build -o "$DIR/bin/scoreflow" ./cmd/scoreflow
go build -o "$DIR/bin/nats-node" ./examples/cluster/nats-node

pids=()
# PostgreSQL refuses to run as root: run it as the postgres user then.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
stop_all() {
  trap - EXIT INT TERM
  echo; echo "stopping"
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg" -m fast -w stop >/dev/null 2>&1 || true
}
trap stop_all EXIT INT TERM

wait_http() { # url what
  for _ in $(seq 1 150); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.2
  done
  echo "run.sh: $2 did not come up ($1); see $DIR/logs" >&2
  exit 1
}

# 1. PostgreSQL, private to this directory.
if [ ! -d "$DIR/pg" ]; then
  mkdir -p "$DIR/pg"
  if [ "$(id -u)" = 0 ]; then chown postgres: "$DIR/pg"; fi
  as_pg "$PG_BIN/initdb" -D "$DIR/pg" -U scoreflow --auth=trust --encoding=UTF8 --no-locale >"$DIR/logs/initdb.log"
fi
if [ "$(id -u)" = 0 ]; then chown postgres: "$DIR/logs"; fi
as_pg "$PG_BIN/pg_ctl" -D "$DIR/pg" -l "$DIR/logs/postgres.log" -w \
  -o "-p $PG_PORT -k $DIR/pg -c listen_addresses=127.0.0.1" start >/dev/null
as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U scoreflow scoreflow 2>/dev/null || true
STORE="postgres://scoreflow@127.0.0.1:$PG_PORT/scoreflow?sslmode=disable"
echo "postgres   $STORE"

# 2. Three NATS nodes, each routed to all three.
routes=$(printf 'nats-route://127.0.0.1:%s,' $((NATS_PORTS[0]+2000)) $((NATS_PORTS[1]+2000)) $((NATS_PORTS[2]+2000)))
NATS=$(printf 'nats://127.0.0.1:%s,' "${NATS_PORTS[@]}")
for i in 0 1 2; do
  "$DIR/bin/nats-node" --name "n$((i+1))" --port "${NATS_PORTS[$i]}" --routes "${routes%,}" \
    --store-dir "$DIR/nats/n$((i+1))" >"$DIR/logs/nats-n$((i+1)).log" 2>&1 &
  pids+=($!)
  echo "nats n$((i+1))    nats://127.0.0.1:${NATS_PORTS[$i]} (pid $!)"
done
# JetStream must have its meta leader and have recovered its streams before
# a replica can make or use the stream: each node's /healthz says so.
for i in 0 1 2; do wait_http "http://127.0.0.1:$((NATS_PORTS[$i]+4000))/healthz" "nats n$((i+1))"; done

# 3. The replicas: one Scoreflow, any of them answers any call.
for n in $(seq 1 "$REPLICAS"); do
  "$DIR/bin/scoreflow" serve --store "$STORE" --nats "${NATS%,}" --nats-replicas 3 \
    --http "127.0.0.1:$((8080+n))" --data "$DIR/replica-$n" \
    --admin-key "$ADMIN_KEY" --write-key "$WRITE_KEY" >"$DIR/logs/replica-$n.log" 2>&1 &
  pids+=($!)
  echo "replica $n  http://127.0.0.1:$((8080+n)) (pid $!)"
  # The first one creates the stream and migrates the store; the others join it.
  [ "$n" != 1 ] || wait_http "http://127.0.0.1:8081/readyz" "replica 1"
done
for n in $(seq 1 "$REPLICAS"); do wait_http "http://127.0.0.1:$((8080+n))/readyz" "replica $n"; done

echo; echo "GET /api/v1/cluster:"
sleep 3 # a balancing round, so the partitions are spread
curl -fsS -H "Authorization: Bearer $ADMIN_KEY" http://127.0.0.1:8081/api/v1/cluster; echo
echo; echo "running; logs in $DIR/logs; Ctrl-C stops everything"
# Waits for all: a replica or node killed to try failover leaves the rest running.
wait
