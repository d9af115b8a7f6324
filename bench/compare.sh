#!/usr/bin/env bash
# Before/after load comparison of the session read path, in one run: the
# committed HEAD of this repository against another checkout (BASELINE), on
# a machine whose cores are shared and noisy, so only ratios taken in the
# same run, with the runs alternating, are compared.
#
#   BASELINE=/path/to/other/checkout bench/compare.sh
#   BASELINE=/path/to/other/checkout bench/run.sh     # the same (run.sh hands over)
#   BASELINE=... ROUNDS=5 DURATION=20s BENCH_COUNT=0 bench/compare.sh
#
# What it does:
#   1. Snapshots HEAD into a temporary worktree (git worktree add --detach,
#      removed on exit), so uncommitted or concurrent edits in the work tree
#      are neither measured nor able to break the build, and builds
#      ./cmd/authgo there and in BASELINE, plus bench/hello from the snapshot.
#   2. Starts five servers, each pinned to CPU 0 (taskset): authgo serve of
#      each tree (GET /auth/session), authgo serve --protect '/mypage/:path*'
#      of each tree (GET /mypage/x, a guarded page under the middleware that
#      serve answers with its home page view), and Go's bare hello. Each authgo
#      server has its own data directory and its own signed-in cookie.
#   3. ROUNDS times (default 3) loads them in turn with wrk -t1 -c$CONNS
#      -d$DURATION pinned to CPU 1, in this order: base session, head session,
#      base guarded, head guarded, hello. Prints per path the median req/s and
#      median p99 over the rounds, head/base and head/hello ratios (of the
#      medians; the per-round ratios are in bench/out/cmp-rounds.txt).
#   4. Unless BENCH_COUNT=0, runs the package benchmarks
#      BenchmarkSessionEndpoint$|BenchmarkSession$|BenchmarkMiddleware of both
#      trees with -benchmem, BENCH_COUNT times (default 5), alternating base
#      then head per count (test binaries built once per tree), and prints
#      the medians of ns/op and allocs/op.
#
# Needs wrk (apt-get install wrk), curl, taskset and git; not node. Raw
# output goes to bench/out/cmp-*.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
: "${BASELINE:?set BASELINE=/path/to/the/baseline/checkout}"
BASELINE=$(cd "$BASELINE" && pwd)
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-32}"
ROUNDS="${ROUNDS:-3}"
BENCH_COUNT="${BENCH_COUNT:-5}"
BENCH_RE="${BENCH_RE:-BenchmarkSessionEndpoint\$|BenchmarkSession\$|BenchmarkMiddleware}"
OUT="$ROOT/bench/out"
mkdir -p "$OUT"
SECRET="bench-secret-0123456789abcdef0123456789abcdef"
SERVER_CPU=0
LOAD_CPU=1
for cmd in wrk curl taskset git; do
  command -v "$cmd" >/dev/null || { echo "bench: $cmd is missing" >&2; exit 1; }
done

TMP=$(mktemp -d)
HEADDIR="$TMP/head"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  git -C "$ROOT" worktree remove --force "$HEADDIR" 2>/dev/null || true
  rm -rf "$TMP"
}
trap cleanup EXIT

git -C "$ROOT" worktree add --detach "$HEADDIR" HEAD >/dev/null 2>&1
HEADREV=$(git -C "$HEADDIR" rev-parse --short HEAD)
BASEREV=$(git -C "$BASELINE" rev-parse --short HEAD 2>/dev/null || echo "?")
echo "head $HEADREV (snapshot of $ROOT), base $BASEREV ($BASELINE)" | tee "$OUT/cmp-revs.txt"

(cd "$BASELINE" && go build -o "$TMP/authgo-base" ./cmd/authgo)
(cd "$HEADDIR" && go build -o "$TMP/authgo-head" ./cmd/authgo)
(cd "$HEADDIR" && go build -o "$TMP/hello" ./bench/hello)

wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }

# sign_in PORT → prints the Cookie header of a signed-in session.
sign_in() {
  local port=$1 jar tok
  jar=$(mktemp)
  tok=$(curl -s -c "$jar" "http://127.0.0.1:$port/auth/csrf" | sed -E 's/.*"csrfToken":"([0-9a-f]+)".*/\1/')
  curl -s -o /dev/null -b "$jar" -c "$jar" -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-urlencode "csrfToken=$tok" --data-urlencode username=alice --data-urlencode password=wonderland \
    "http://127.0.0.1:$port/auth/callback/credentials"
  awk '{ sub(/^#HttpOnly_/, "") } /^#/ { next } NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep="; " }' "$jar"
  rm -f "$jar"
}

# start_authgo NAME BIN PORT [serve flags...] → starts the server, signs in.
declare -A PORT COOKIE REQPATH
start_authgo() {
  local name=$1 bin=$2 port=$3; shift 3
  local data="$TMP/data-$name"
  mkdir -p "$data"
  printf 'wonderland\n' | "$bin" user add --data "$data" --name Alice --email alice@example.com alice >/dev/null 2>&1
  # The access log off through its variable, which a baseline from before
  # it ignores: both trees then serve without a line per request.
  AUTH_SECRET=$SECRET AUTH_ACCESS_LOG=false taskset -c "$SERVER_CPU" "$bin" serve --data "$data" --addr "127.0.0.1:$port" "$@" \
    >"$OUT/cmp-$name.log" 2>&1 &
  pids+=($!)
  wait_port "$port"
  PORT[$name]=$port
  COOKIE[$name]=$(sign_in "$port")
}

start_authgo base-session "$TMP/authgo-base" 3110
start_authgo head-session "$TMP/authgo-head" 3111
start_authgo base-guarded "$TMP/authgo-base" 3112 --protect '/mypage/:path*'
start_authgo head-guarded "$TMP/authgo-head" 3113 --protect '/mypage/:path*'
REQPATH[base-session]=/auth/session; REQPATH[head-session]=/auth/session
REQPATH[base-guarded]=/mypage/x;     REQPATH[head-guarded]=/mypage/x
taskset -c "$SERVER_CPU" "$TMP/hello" -addr 127.0.0.1:3114 >"$OUT/cmp-hello.log" 2>&1 &
pids+=($!)
wait_port 3114
PORT[hello]=3114; COOKIE[hello]="x=1"; REQPATH[hello]=/

ORDER=(base-session head-session base-guarded head-guarded hello)

# Each path must answer 200 with the signed-in user before it is loaded.
for name in "${ORDER[@]}"; do
  status=$(curl -s -o "$OUT/cmp-$name.body" -w '%{http_code}' -H "Cookie: ${COOKIE[$name]}" \
    "http://127.0.0.1:${PORT[$name]}${REQPATH[$name]}")
  if [ "$status" != 200 ] || { [ "$name" != hello ] && ! grep -qi alice "$OUT/cmp-$name.body"; }; then
    echo "bench: $name did not answer with the session ($status): $(head -c 200 "$OUT/cmp-$name.body")" >&2; exit 1
  fi
done

# load NAME ROUND → one line "round name req/s p99"
load() {
  local name=$1 round=$2 f="$OUT/cmp-$1-r$2.wrk"
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" --latency -H "Cookie: ${COOKIE[$name]}" \
    "http://127.0.0.1:${PORT[$name]}${REQPATH[$name]}" >"$f"
  if grep -q 'Non-2xx\|Socket errors' "$f"; then
    echo "bench: $name: $(grep 'Non-2xx\|Socket errors' "$f")" >&2; exit 1
  fi
  echo "$round $name $(awk '/^Requests\/sec:/ {print $2}' "$f") $(awk '$1 == "99%" {print $2}' "$f")"
}

: >"$OUT/cmp-rounds.txt"
for r in $(seq "$ROUNDS"); do
  for name in "${ORDER[@]}"; do
    line=$(load "$name" "$r")
    echo "$line" | tee -a "$OUT/cmp-rounds.txt" >&2
  done
done
for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
pids=()

# p99 as wrk prints it (123.45us, 1.20ms, 1.00s) → microseconds.
awk -v dur="$DURATION" -v conns="$CONNS" -v rounds="$ROUNDS" -v hr="$HEADREV" -v br="$BASEREV" '
  function us(s) {
    if (s ~ /us$/) return s + 0
    if (s ~ /ms$/) return (s + 0) * 1000
    if (s ~ /s$/) return (s + 0) * 1000000
    return s + 0
  }
  function median(arr, n,   i, j, t, a) {
    for (i = 1; i <= n; i++) a[i] = arr[i]
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
  }
  {
    n[$2]++; rps[$2, n[$2]] = $3; p99[$2, n[$2]] = us($4)
    round[$1, $2] = $3
  }
  END {
    split("base-session head-session base-guarded head-guarded hello", names, " ")
    for (k = 1; k <= 5; k++) {
      nm = names[k]; delete x; delete y
      for (i = 1; i <= n[nm]; i++) { x[i] = rps[nm, i]; y[i] = p99[nm, i] }
      mr[nm] = median(x, n[nm]); mp[nm] = median(y, n[nm])
    }
    printf "head %s vs base %s; wrk -t1 -c%s -d%s x %s rounds, alternating; server on CPU 0, wrk on CPU 1\n\n", hr, br, conns, dur, rounds
    print "| path | tree | req/s (median) | p99 (median) | head/base req/s | / hello req/s |"
    print "|---|---|---:|---:|---:|---:|"
    split("session guarded", paths, " ")
    label["session"] = "GET /auth/session"; label["guarded"] = "GET /mypage/x (--protect)"
    for (k = 1; k <= 2; k++) {
      p = paths[k]; b = "base-" p; h = "head-" p
      printf "| %s | base | %.0f | %.2f ms | | %.2f |\n", label[p], mr[b], mp[b] / 1000, mr[b] / mr["hello"]
      printf "| %s | head | %.0f | %.2f ms | **%.3f** | %.2f |\n", label[p], mr[h], mp[h] / 1000, mr[h] / mr[b], mr[h] / mr["hello"]
    }
    printf "| GET / (Go hello) | - | %.0f | %.2f ms | | 1.00 |\n", mr["hello"], mp["hello"] / 1000
    print ""
    for (k = 1; k <= 2; k++) {
      p = paths[k]; s = ""
      for (r = 1; r <= rounds; r++) s = s sprintf(" %.3f", round[r, "head-" p] / round[r, "base-" p])
      printf "head/base per round, %s:%s\n", p, s
    }
  }' "$OUT/cmp-rounds.txt" | tee "$OUT/cmp-summary.md"

[ "$BENCH_COUNT" = 0 ] && exit 0

# go test benchmarks: one test binary per tree, run alternately.
(cd "$BASELINE" && go test -c -o "$TMP/pkg-base.test" .)
(cd "$HEADDIR" && go test -c -o "$TMP/pkg-head.test" .)
: >"$OUT/cmp-gobench.txt"
for c in $(seq "$BENCH_COUNT"); do
  for tree in base head; do
    dir=$BASELINE; [ "$tree" = head ] && dir=$HEADDIR
    echo "go bench: count $c, $tree" >&2
    (cd "$dir" && "$TMP/pkg-$tree.test" -test.run '^$' -test.bench "$BENCH_RE" -test.benchmem -test.count 1) \
      | awk -v t="$tree" '/^Benchmark/ { print t, $0 }' >>"$OUT/cmp-gobench.txt"
  done
done
awk -v count="$BENCH_COUNT" '
  function median(arr, n,   i, j, t, a) {
    for (i = 1; i <= n; i++) a[i] = arr[i]
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
  }
  {
    tree = $1; name = $2; sub(/-[0-9]+$/, "", name)
    if (!(name in seen)) { seen[name] = 1; order[++nn] = name }
    k = tree SUBSEP name; c = ++n[k]
    for (i = 4; i < NF; i++) {
      if ($(i+1) == "ns/op") ns[k, c] = $i
      if ($(i+1) == "allocs/op") al[k, c] = $i
      if ($(i+1) == "B/op") by[k, c] = $i
    }
  }
  END {
    printf "\ngo test -bench, %s counts alternating base/head; medians\n\n", count
    print "| benchmark | ns/op base | ns/op head | head/base | B/op base | B/op head | allocs/op base | allocs/op head |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|"
    for (j = 1; j <= nn; j++) {
      name = order[j]
      for (t = 0; t < 2; t++) {
        tree = t ? "head" : "base"; k = tree SUBSEP name; delete a; delete b; delete d
        for (i = 1; i <= n[k]; i++) { a[i] = ns[k, i]; b[i] = al[k, i]; d[i] = by[k, i] }
        mns[tree] = n[k] ? median(a, n[k]) : 0; mal[tree] = n[k] ? median(b, n[k]) : 0; mby[tree] = n[k] ? median(d, n[k]) : 0
      }
      printf "| %s | %.0f | %.0f | %.3f | %.0f | %.0f | %.0f | %.0f |\n", name, mns["base"], mns["head"], \
        (mns["base"] ? mns["head"] / mns["base"] : 0), mby["base"], mby["head"], mal["base"], mal["head"]
    }
  }' "$OUT/cmp-gobench.txt" | tee -a "$OUT/cmp-summary.md"
