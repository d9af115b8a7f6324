#!/usr/bin/env bash
# Database sessions under load: GET /auth/session and a guarded page
# (GET /mypage/x behind a.Middleware) with a valid session cookie, for
# authgo's JWT strategy and its database strategy on SQLite, PostgreSQL and
# Redis (bench/dbserver), next to the real Auth.js (@auth/core 0.41.3) with
# @auth/pg-adapter 1.11.3 and the database strategy on the same PostgreSQL
# database, reading the same sessions row (bench/authjs-db.mjs). One run,
# one after the other: each server pinned to CPU 0 with taskset, wrk
# (-t1 -c32) to CPU 1; PostgreSQL and Redis are not pinned. The database
# strategy runs with its session cache (SessionConfig.StoreCache, 2 s), and
# once more on PostgreSQL without it (postgres-nocache). Besides req/s
# and latency, each row has the CPU time per answer of the server and of
# the database's processes (its PostgreSQL backends, redis-server), which
# does not depend on what else the machine runs.
#
#   bench/db.sh                 # 10 s per server and path, after 3 s of warm-up
#   DURATION=30s bench/db.sh
#   PGSERVER=postgres://user@host:5432/postgres bench/db.sh
#
# Needs wrk, curl, taskset, psql, node and a PostgreSQL server (PGSERVER,
# default postgres://postgres@127.0.0.1:5432/postgres, trust auth) whose
# user may create databases: the run creates a fresh database and drops it
# at the end. Auth.js's pg-adapter and pg are installed into
# interop/node_modules for the run if missing (npm install --no-save: the
# lock file is not touched). The Redis case runs once adapters/redis has
# NewSessions (dbserver is then built with -tags benchredis) against a
# redis-server the run starts on port 3309. The session rows are made
# directly in each store (dbserver); Auth.js gets the cookie of the one
# dbserver made in PostgreSQL. Prints a Markdown table; raw output goes to
# bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10s}"
WARMUP="${WARMUP:-3s}" # per server, not measured
CONNS="${CONNS:-32}"
PGSERVER="${PGSERVER:-postgres://postgres@127.0.0.1:5432/postgres}"
OUT=bench/out
mkdir -p "$OUT"
SECRET="bench-secret-0123456789abcdef0123456789abcdef"
SERVER_CPU=0
LOAD_CPU=1
for cmd in wrk curl taskset node psql; do
  command -v "$cmd" >/dev/null || { echo "bench: $cmd is missing" >&2; exit 1; }
done
psql -X -q "$PGSERVER" -c 'SELECT 1' >/dev/null || { echo "bench: no PostgreSQL at $PGSERVER" >&2; exit 1; }

# Auth.js with pg-adapter: interop's pinned @auth/core, plus pg-adapter and
# pg when interop does not pin them itself.
[ -d interop/node_modules/@auth/core ] || (cd interop && npm ci --no-audit --no-fund --loglevel=error)
if [ ! -d interop/node_modules/@auth/pg-adapter ] || [ ! -d interop/node_modules/pg ]; then
  (cd interop && npm install --no-save --no-audit --no-fund --loglevel=error @auth/pg-adapter@1.11.3 pg@8)
fi
# Node resolves packages from the script's directory: run a copy in
# bench/out (ignored by git) beside a link to interop's node_modules.
cp bench/authjs-db.mjs "$OUT/authjs-db.mjs"
ln -sfn ../../interop/node_modules "$OUT/node_modules"
AUTHJS_VERSIONS="@auth/core $(node -p 'require("./interop/node_modules/@auth/core/package.json").version'), @auth/pg-adapter $(node -p 'require("./interop/node_modules/@auth/pg-adapter/package.json").version'), pg $(node -p 'require("./interop/node_modules/pg/package.json").version'), Node $(node --version)"

# dbserver, with the Redis store once adapters/redis has NewSessions.
REDIS=""
if grep -qs '^func NewSessions' adapters/redis/*.go && go build -tags benchredis -o "$OUT/dbserver" ./bench/dbserver; then
  REDIS=1
else
  go build -o "$OUT/dbserver" ./bench/dbserver
fi

DB="authgo_bench_$(date +%s)_$$"
PGURL="${PGSERVER%/*}/$DB?sslmode=disable"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -X -q "$PGSERVER" -c "DROP DATABASE IF EXISTS $DB WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT
psql -X -q "$PGSERVER" -c "CREATE DATABASE $DB" >/dev/null

if [ -n "$REDIS" ]; then
  redis-server --bind 127.0.0.1 --port 3309 --save "" --appendonly no >"$OUT/db-redis-server.log" 2>&1 &
  REDIS_PID=$!; pids+=("$REDIS_PID")
  for _ in $(seq 50); do redis-cli -p 3309 ping >/dev/null 2>&1 && break; sleep 0.1; done
fi

wait_port() { for _ in $(seq 150); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }

# CPU time, in clock ticks, of the processes given (all their threads);
# one that has gone counts 0.
ticks() { local t=0 p v; for p in "$@"; do v=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0); t=$((t + v)); done; echo "$t"; }
HZ=$(getconf CLK_TCK)

# db_pids NAME → the processes doing the case's database work outside the
# server: the PostgreSQL backends of the bench database, or redis-server.
db_pids() {
  case $1 in
    postgres|postgres-nocache|authjs) psql -X -A -t "$PGSERVER" -c "SELECT pid FROM pg_stat_activity WHERE datname = '$DB'" ;;
    redis) echo "$REDIS_PID" ;;
  esac
}

# load NAME PORT PATH COOKIE → "name path req/s p50 p99 server-µs/req db-µs/req"
# The CPU time per request (server, and database processes) does not
# depend on what else the machine runs, unlike req/s.
load() {
  local name=$1 port=$2 path=$3 cookie=$4 status out
  out="$OUT/db-$name-$(tr / _ <<<"${path#/}")"
  status=$(curl -s -o "$out.body" -w '%{http_code}' -H "Cookie: $cookie" "http://127.0.0.1:$port$path")
  if [ "$status" != 200 ] || ! grep -q Alice "$out.body"; then
    echo "bench: $name $path did not see the session ($status): $(head -c 200 "$out.body")" >&2; exit 1
  fi
  # The database processes' CPU time: backends the load opened count
  # from 0, those it found from their time before it.
  local -A t0=()
  local p srv0 srv1 dbt=0
  for p in $(db_pids "$name"); do t0[$p]=$(ticks "$p"); done
  srv0=$(ticks "$PID")
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" --latency -H "Cookie: $cookie" "http://127.0.0.1:$port$path" >"$out.wrk"
  srv1=$(ticks "$PID")
  for p in $(db_pids "$name"); do dbt=$((dbt + $(ticks "$p") - ${t0[$p]:-0})); done
  if grep -q 'Non-2xx' "$out.wrk"; then echo "bench: $name $path: non-2xx answers: $(grep Non-2xx "$out.wrk")" >&2; exit 1; fi
  local n
  n=$(awk '/ requests in / {print $1}' "$out.wrk")
  echo "$name $path $(awk '/^Requests\/sec:/ {print $2}' "$out.wrk") $(awk '$1 == "50%" {print $2}' "$out.wrk") $(awk '$1 == "99%" {print $2}' "$out.wrk")" \
    "$(awk -v t=$((srv1 - srv0)) -v hz="$HZ" -v n="$n" 'BEGIN {printf "%.0f", t / hz * 1e6 / n}')" \
    "$(awk -v t="$dbt" -v hz="$HZ" -v n="$n" 'BEGIN {printf "%.0f", t / hz * 1e6 / n}')"
}

# serve NAME PORT CMD… → starts an authgo dbserver; its cookie in $COOKIE
serve() {
  local name=$1 port=$2; shift 2
  taskset -c "$SERVER_CPU" "$OUT/dbserver" -addr "127.0.0.1:$port" "$@" >"$OUT/db-$name.cookie" 2>"$OUT/db-$name.log" &
  PID=$!; pids+=("$PID")
  wait_port "$port"
  COOKIE=$(sed -n 's/^Cookie: //p' "$OUT/db-$name.cookie")
}

results=()
run_case() { # NAME PORT COOKIE: a warm-up (Node's JIT, the pools), both paths, then stop $PID
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$WARMUP" -H "Cookie: $3" "http://127.0.0.1:$2/auth/session" >/dev/null
  results+=("$(load "$1" "$2" /auth/session "$3")")
  results+=("$(load "$1" "$2" /mypage/x "$3")")
  kill "$PID"; wait "$PID" 2>/dev/null || true
}

serve jwt 3301 -store jwt
run_case jwt 3301 "$COOKIE"

serve sqlite 3302 -store sqlite -db "$(mktemp -d)/authgo.db"
run_case sqlite 3302 "$COOKIE"

# A UUID, as Auth.js mints them: the same sessions row serves Auth.js below.
TOKEN=$(cat /proc/sys/kernel/random/uuid)
serve postgres 3303 -store postgres -db "$PGURL&pool_max_conns=10" -token "$TOKEN"
run_case postgres 3303 "$COOKIE"

# The same without the session cache: one round trip per request.
serve postgres-nocache 3307 -store postgres -db "$PGURL&pool_max_conns=10" -store-cache=-1ns
run_case postgres-nocache 3307 "$COOKIE"

if [ -n "$REDIS" ]; then
  serve redis 3304 -store redis -db "$(mktemp -d)/users.db" -redis redis://127.0.0.1:3309/0
  run_case redis 3304 "$COOKIE"
fi

(AUTHJS_DATABASE_URL="$PGURL" AUTH_SECRET=$SECRET PORT=3305 POOL_MAX=10 NODE_ENV=production \
  exec taskset -c "$SERVER_CPU" node "$OUT/authjs-db.mjs") >"$OUT/db-authjs.log" 2>&1 &
PID=$!; pids+=("$PID")
wait_port 3305
run_case authjs 3305 "authjs.session-token=$TOKEN"

printf '%s\n' "${results[@]}" >"$OUT/db-results.txt"
awk -v dur="$DURATION" -v conns="$CONNS" -v redis="$REDIS" -v authjs="$AUTHJS_VERSIONS" '
  { k = $1 SUBSEP $2; rps[k] = $3; p99[k] = $5; srv[k] = $6; db[k] = $7; if (!seen[$1]++) order[++n] = $1 }
  function cpu(k) { return db[k] > 0 ? sprintf("%d + %d", srv[k], db[k]) : sprintf("%d", srv[k]) }
  function total(k) { return srv[k] + db[k] }
  END {
    S = "/auth/session"; G = "/mypage/x"
    printf "GET /auth/session and a guarded page (GET /mypage/x) with a valid session cookie; wrk -t1 -c%s -d%s; server on CPU 0, wrk on CPU 1, databases unpinned.\n", conns, dur
    print "CPU µs/req: CPU time of the server (+ of the PostgreSQL backends or redis-server) per answer; unlike req/s, it does not depend on what else the machine runs.\n"
    label["jwt"] = "authgo, JWT strategy"
    label["sqlite"] = "authgo, database strategy, SQLite"
    label["postgres"] = "authgo, database strategy, PostgreSQL"
    label["postgres-nocache"] = "authgo, database strategy, PostgreSQL, StoreCache off"
    label["redis"] = "authgo, database strategy, Redis sessions (users in SQLite)"
    label["authjs"] = "Auth.js + @auth/pg-adapter, database strategy, same PostgreSQL"
    print "| server | /session req/s | p99 | CPU µs/req | guarded page req/s | p99 | CPU µs/req |"
    print "|---|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= n; i++) {
      k = order[i]
      printf "| %s | %.0f | %s | %s | %.0f | %s | %s |\n", label[k], rps[k, S], p99[k, S], cpu(k SUBSEP S), rps[k, G], p99[k, G], cpu(k SUBSEP G)
    }
    if (redis == "") print "| authgo, database strategy, Redis sessions | — (adapters/redis has no NewSessions yet) | | | | | |"
    printf "\nauthgo on PostgreSQL / Auth.js + pg-adapter: req/s %.1fx (/session), %.1fx (guarded page); CPU per request, server + database, %.1fx less (/session), %.1fx less (guarded page); server alone %.1fx, %.1fx\n", \
      rps["postgres", S] / rps["authjs", S], rps["postgres", G] / rps["authjs", G], \
      total("authjs" SUBSEP S) / total("postgres" SUBSEP S), total("authjs" SUBSEP G) / total("postgres" SUBSEP G), \
      srv["authjs", S] / srv["postgres", S], srv["authjs", G] / srv["postgres", G]
    printf "CPU per answer, server + database, Auth.js + pg-adapter / authgo: "
    for (i = 1; i <= n; i++) { k = order[i]; if (k != "authjs") printf "%s%s %.1fx (/session), %.1fx (guarded page)", (i > 1 ? "; " : ""), k, total("authjs" SUBSEP S) / total(k SUBSEP S), total("authjs" SUBSEP G) / total(k SUBSEP G) }
    printf "\n"
    printf "authgo database strategy / JWT strategy, /session req/s: SQLite %.2f, PostgreSQL %.2f", rps["sqlite", S] / rps["jwt", S], rps["postgres", S] / rps["jwt", S]
    if (redis != "") printf ", Redis %.2f", rps["redis", S] / rps["jwt", S]
    printf "\nAuth.js: %s\n", authjs
  }' "$OUT/db-results.txt" | tee "$OUT/db-summary.md"
