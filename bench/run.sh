#!/usr/bin/env bash
# Load benchmark: GET <base>/session with a valid session cookie, authgo serve
# against the real @auth/core 0.41.3 on Node, plus Go's bare net/http hello
# as the ceiling. Same machine, same run, same load tool: each server in
# turn is pinned to CPU 0 with taskset, wrk (-t1 -c32) to CPU 1.
#
#   bench/run.sh              # 10 s per server
#   DURATION=30s bench/run.sh
#   BASELINE=/path/to/other/checkout bench/run.sh
#
# With BASELINE set, run.sh hands over to bench/compare.sh: a before/after
# run of the committed HEAD (built from a temporary git worktree snapshot,
# so edits in progress do not count) against the BASELINE checkout, no
# Node. It loads, alternating over ROUNDS rounds (default 3), GET
# /auth/session and a guarded page (serve --protect '/mypage/:path*', GET
# /mypage/x) on each tree and Go's hello, prints median req/s, p99 and the
# head/base and head/hello ratios, then the medians of the package's
# session and middleware go test benchmarks (BENCH_COUNT, default 5; 0
# skips them). See bench/compare.sh for its knobs.
#
# Needs wrk (apt-get install wrk), node with interop/node_modules (npm ci in
# interop/), curl and taskset. Prints a Markdown table; raw output goes to
# bench/out/.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
[ -z "${BASELINE:-}" ] || exec bench/compare.sh
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-32}"
OUT=bench/out
mkdir -p "$OUT"
SECRET="bench-secret-0123456789abcdef0123456789abcdef"
SERVER_CPU=0
LOAD_CPU=1
for cmd in wrk curl taskset node; do
  command -v "$cmd" >/dev/null || { echo "bench: $cmd is missing" >&2; exit 1; }
done
[ -d interop/node_modules/@auth/core ] || (cd interop && npm ci --no-audit --no-fund --loglevel=error)

go build -o "$OUT/authgo" ./cmd/authgo
go build -o "$OUT/hello" ./bench/hello
DATA=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$DATA"; }
trap cleanup EXIT
printf 'wonderland\n' | "$OUT/authgo" user add --data "$DATA" --name Alice --email alice@example.com alice 2>/dev/null

wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }

# sign_in PORT → prints the Cookie header of a signed-in session.
sign_in() {
  local port=$1 jar
  jar=$(mktemp)
  local tok
  tok=$(curl -s -c "$jar" "http://127.0.0.1:$port/auth/csrf" | sed -E 's/.*"csrfToken":"([0-9a-f]+)".*/\1/')
  curl -s -o /dev/null -b "$jar" -c "$jar" -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-urlencode "csrfToken=$tok" --data-urlencode username=alice --data-urlencode password=wonderland \
    "http://127.0.0.1:$port/auth/callback/credentials"
  awk '{ sub(/^#HttpOnly_/, "") } /^#/ { next } NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep="; " }' "$jar"
  rm -f "$jar"
}

# load NAME PORT PID PATH COOKIE → one result line "name req/s p99 rss_mib"
load() {
  local name=$1 port=$2 pid=$3 path=$4 cookie=$5
  local status
  status=$(curl -s -o "$OUT/$name.body" -w '%{http_code}' -H "Cookie: $cookie" "http://127.0.0.1:$port$path")
  if [ "$status" != 200 ] || { [ "$name" != hello ] && ! grep -q alice "$OUT/$name.body"; }; then
    echo "bench: $name did not return a session ($status): $(head -c 200 "$OUT/$name.body")" >&2; exit 1
  fi
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" --latency -H "Cookie: $cookie" \
    "http://127.0.0.1:$port$path" > "$OUT/$name.wrk" &
  # RSS under load: the largest VmRSS seen while wrk runs (VmHWM would also
  # count the argon2id hash of the sign-in before the load).
  peak_rss "$pid" $!
  local rps p99 rss
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$OUT/$name.wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$OUT/$name.wrk")
  rss=$(awk -v kb="$RSS_MAX" 'BEGIN {printf "%.1f", kb/1024}')
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$OUT/$name.wrk")
  [ -z "$non2xx" ] || { echo "bench: $name answered $non2xx non-2xx responses" >&2; exit 1; }
  echo "$name $rps $p99 $rss"
}

results=()

# authgo serve
AUTH_SECRET=$SECRET taskset -c "$SERVER_CPU" "$OUT/authgo" serve --data "$DATA" --addr 127.0.0.1:3100 >"$OUT/authgo.log" 2>&1 &
pids+=($!); AG=$!
wait_port 3100
results+=("$(load authgo 3100 "$AG" /auth/session "$(sign_in 3100)")")
kill "$AG"; wait "$AG" 2>/dev/null || true

# the real Auth.js
(cd interop && AUTH_SECRET=$SECRET AUTH_QUIET=1 PORT=3101 NODE_ENV=production exec taskset -c "$SERVER_CPU" node server.mjs) >"$OUT/authjs.log" 2>&1 &
pids+=($!); AJ=$!
wait_port 3101
results+=("$(load authjs 3101 "$AJ" /auth/session "$(sign_in 3101)")")
kill "$AJ"; wait "$AJ" 2>/dev/null || true

# Go hello
taskset -c "$SERVER_CPU" "$OUT/hello" -addr 127.0.0.1:3102 >"$OUT/hello.log" 2>&1 &
pids+=($!); HE=$!
wait_port 3102
results+=("$(load hello 3102 "$HE" / "x=1")")
kill "$HE"; wait "$HE" 2>/dev/null || true

printf '%s\n' "${results[@]}" > "$OUT/results.txt"
awk -v dur="$DURATION" -v conns="$CONNS" '
  { name[NR]=$1; rps[NR]=$2; p99[NR]=$3; rss[NR]=$4 }
  $1 == "authgo" { ag = $2 } $1 == "authjs" { aj = $2 } $1 == "hello" { he = $2 }
  END {
    printf "GET <base>/session with a valid cookie; wrk -t1 -c%s -d%s; server on CPU 0, wrk on CPU 1\n\n", conns, dur
    print "| server | req/s | p99 latency | RSS under load (MiB) |"
    print "|---|---:|---:|---:|"
    label["authgo"]="authgo serve"; label["authjs"]="@auth/core 0.41.3 (Node 20)"; label["hello"]="Go net/http hello (ceiling)"
    for (i = 1; i <= NR; i++) printf "| %s | %.0f | %s | %s |\n", label[name[i]], rps[i], p99[i], rss[i]
    printf "\nauthgo / Auth.js = %.1fx; authgo / Go hello = %.2f\n", ag / aj, ag / he
  }' "$OUT/results.txt" | tee "$OUT/summary.md"
