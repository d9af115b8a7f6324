#!/usr/bin/env bash
# BFF proxy overhead: the same upstream behind authgo's proxy (session
# cookie in, bearer token out, anti-forgery header checked) and behind a
# bare httputil.ReverseProxy. Server on CPU 0, wrk (-t1 -c32) on CPU 1, one
# after the other in the same run.
#
#   bench/proxy.sh            # 10 s each
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10s}"
OUT=bench/out
mkdir -p "$OUT"
go build -o "$OUT/proxyserver" ./bench/proxyserver
taskset -c 0 "$OUT/proxyserver" -addr 127.0.0.1:3300 > "$OUT/proxyserver.cookie" 2>"$OUT/proxyserver.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:3300/bare/orders && break; sleep 0.1; done
COOKIE=$(sed -n 's/^Cookie: //p' "$OUT/proxyserver.cookie")
code=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $COOKIE" -H 'X-CSRF: 1' http://127.0.0.1:3300/api/orders)
[ "$code" = 200 ] || { echo "the proxy answered $code" >&2; exit 1; }
run() {
  taskset -c 1 wrk -t1 -c32 -d"$DURATION" --latency -H "Cookie: $COOKIE" -H 'X-CSRF: 1' "http://127.0.0.1:3300$1" > "$OUT/px-$2.wrk"
  grep -q 'Non-2xx' "$OUT/px-$2.wrk" && { echo "$2: non-2xx answers" >&2; exit 1; }
  echo "$2 $(awk '/^Requests\/sec:/ {print $2}' "$OUT/px-$2.wrk") $(awk '$1 == "99%" {print $2}' "$OUT/px-$2.wrk")"
}
{ run /bare/orders bare; run /pooled/orders pooled; run /api/orders authgo; } > "$OUT/px-results.txt"
awk -v dur="$DURATION" '
  { rps[$1]=$2; p99[$1]=$3 }
  END {
    printf "GET through a reverse proxy to an in-process upstream; wrk -t1 -c32 -d%s; server on CPU 0, wrk on CPU 1\n\n", dur
    print "| proxy | req/s | p99 latency |"
    print "|---|---:|---:|"
    printf "| bare httputil.ReverseProxy | %.0f | %s |\n", rps["bare"], p99["bare"]
    printf "| bare httputil.ReverseProxy with a buffer pool | %.0f | %s |\n", rps["pooled"], p99["pooled"]
    printf "| authgo proxy (session, bearer, X-CSRF) | %.0f | %s |\n", rps["authgo"], p99["authgo"]
    printf "\noverhead vs bare = %.1f %%; vs bare with a buffer pool = %.1f %%\n", (1 - rps["authgo"] / rps["bare"]) * 100, (1 - rps["authgo"] / rps["pooled"]) * 100
  }' "$OUT/px-results.txt" | tee "$OUT/px-summary.md"
