#!/usr/bin/env bash
# What the matcher middleware costs under load: the same small html/template
# page served bare and behind a.Middleware with a valid session cookie that
# needs no re-issue. Server pinned to CPU 0, wrk (-t1 -c32) to CPU 1, one
# after the other in the same run.
#
#   bench/middleware.sh              # 10 s each
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-10s}"
OUT=bench/out
mkdir -p "$OUT"
go build -o "$OUT/protected" ./bench/protected
taskset -c 0 "$OUT/protected" -addr 127.0.0.1:3200 > "$OUT/protected.cookie" 2>"$OUT/protected.log" &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -s -o /dev/null http://127.0.0.1:3200/bare/ && break; sleep 0.1; done
COOKIE=$(sed -n 's/^Cookie: //p' "$OUT/protected.cookie")
curl -s -H "Cookie: $COOKIE" http://127.0.0.1:3200/protected/x | grep -q Alice || { echo "protected page did not see the session" >&2; exit 1; }
run() {
  taskset -c 1 wrk -t1 -c32 -d"$DURATION" --latency -H "Cookie: $COOKIE" "http://127.0.0.1:3200$1" > "$OUT/mw-$2.wrk"
  grep -q 'Non-2xx' "$OUT/mw-$2.wrk" && { echo "$2: non-2xx answers" >&2; exit 1; }
  echo "$2 $(awk '/^Requests\/sec:/ {print $2}' "$OUT/mw-$2.wrk") $(awk '$1 == "99%" {print $2}' "$OUT/mw-$2.wrk")"
}
{ run /bare/x bare; run /protected/x protected; } > "$OUT/mw-results.txt"
awk -v dur="$DURATION" '
  { rps[$1]=$2; p99[$1]=$3 }
  END {
    printf "small html/template page; wrk -t1 -c32 -d%s; server on CPU 0, wrk on CPU 1\n\n", dur
    print "| handler | req/s | p99 latency |"
    print "|---|---:|---:|"
    printf "| bare | %.0f | %s |\n", rps["bare"], p99["bare"]
    printf "| behind a.Middleware (valid cookie, no re-issue) | %.0f | %s |\n", rps["protected"], p99["protected"]
    printf "\nprotected / bare = %.2f\n", rps["protected"] / rps["bare"]
  }' "$OUT/mw-results.txt" | tee "$OUT/mw-summary.md"
