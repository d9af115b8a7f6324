#!/usr/bin/env bash
# Load and faults, measured (issue 11 part 5): authgo serve pinned to CPU 0
# with taskset, wrk pinned to CPU 1.
#
#   bench/load.sh                                  # 60 s per path, 256 connections
#   DURATION=20s CONNS=128 bench/load.sh
#   PHASES="load flood" bench/load.sh              # some phases only
#
# Phases (PHASES, default all four):
#   load      wrk -t1 -c$CONNS -d$DURATION on GET /auth/session with a
#             signed-in cookie, a guarded page (serve --protect
#             '/mypage/:path*', GET /mypage/x) and the BFF proxy (serve --api
#             /api=http://127.0.0.1:<port> in front of bench/hello, with
#             X-CSRF: 1 and a session that holds an access token): req/s,
#             p99, socket errors, non-2xx, RSS (VmRSS at the end, VmHWM).
#             Fails on any socket error or non-2xx answer.
#   flood     $FLOOD distinct forged cookies, then as many distinct valid
#             ones (bench/mint), each set against /auth/session and
#             /mypage/x for $FLOOD_DURATION: RSS before and after, which
#             stays flat when every cache keyed by request data is bounded.
#   fault     serve with AUTH_REDIS_URL on a redis-server of its own (append-
#             only file, fsync always; never the shared one), under wrk load
#             on /mypage/x for $FAULT_DURATION; Redis is killed a third of
#             the way in and restarted on the same port at two thirds. A
#             probe (curl, every 50 ms) reads /auth/session and /mypage/x with
#             a signed-in cookie and with a signed-out one. Fails on a 5xx
#             other than the documented 503 JSON/text with Retry-After, on a
#             signed-in answer for the signed-out cookie, or when the session
#             does not work again after the restart (serve is not restarted).
#   rotate    two instances on one database, the secret rotated in two
#             phases, each instance restarted in turn (first the new secret
#             as AUTH_SECRET_1, then as AUTH_SECRET with the old one as _1),
#             wrk (--timeout 10s: the restart shares CPU 0) on the instance
#             that stays up: the session cookie and the CSRF token from
#             before the rotation keep working throughout.
#
# Needs wrk, curl, taskset, redis-server. Raw output goes to bench/out/load-*;
# the summary to bench/out/load-summary.md.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${DURATION:-60s}"
CONNS="${CONNS:-256}"
FLOOD="${FLOOD:-20000}"
FLOOD_DURATION="${FLOOD_DURATION:-20s}"
FAULT_DURATION="${FAULT_DURATION:-30}" # seconds
PHASES="${PHASES:-load flood fault rotate}"
PORT="${BASE_PORT:-3400}" # uses PORT .. PORT+5
OUT=bench/out
mkdir -p "$OUT"
SECRET="bench-secret-0123456789abcdef0123456789abcdef"
NEW_SECRET="bench-newer-secret-0123456789abcdef01234567"
SERVER_CPU=0
LOAD_CPU=1
for cmd in wrk curl taskset redis-server; do
  command -v "$cmd" >/dev/null || { echo "load: $cmd is missing" >&2; exit 1; }
done

go build -o "$OUT/authgo" ./cmd/authgo
go build -o "$OUT/hello" ./bench/hello
go build -o "$OUT/mint" ./bench/mint
TMP=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$TMP"; }
trap cleanup EXIT
SUMMARY="$OUT/load-summary.md"
: >"$SUMMARY"
say() { echo "$*" | tee -a "$SUMMARY"; }
fail() { echo "load: $*" >&2; exit 1; }

wait_port() { for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$1/" && return 0; sleep 0.1; done; fail "port $1 never opened"; }
kib() { awk -v k="$2" '$1 == k":" {print $2}' "/proc/$1/status"; }
mib() { awk -v kb="$1" 'BEGIN {printf "%.1f", kb/1024}'; }

# serve PORT SECRETS... [-- ARGS...]: starts authgo serve on CPU 0 with the
# secrets as AUTH_SECRET, AUTH_SECRET_1, …; sets SERVE_PID.
serve() {
  local port=$1; shift
  local envs=() n=0
  while [ $# -gt 0 ] && [ "$1" != -- ]; do
    if [ $n = 0 ]; then envs+=("AUTH_SECRET=$1"); else envs+=("AUTH_SECRET_$n=$1"); fi
    n=$((n + 1)); shift
  done
  [ $# -gt 0 ] && shift
  env "${envs[@]}" ${REDIS_URL:+AUTH_REDIS_URL=$REDIS_URL} taskset -c "$SERVER_CPU" \
    "$OUT/authgo" serve --data "$DATA" --addr "127.0.0.1:$port" "$@" >>"$OUT/load-serve-$port.log" 2>&1 &
  SERVE_PID=$!
  pids+=("$SERVE_PID")
  wait_port "$port"
}
stop() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# sign_in PORT JAR: signs alice in, keeping the cookies in JAR.
sign_in() {
  local port=$1 jar=$2 tok
  tok=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$port/auth/csrf" | sed -E 's/.*"csrfToken":"([0-9a-f]+)".*/\1/')
  curl -s -o /dev/null -b "$jar" -c "$jar" -H 'Content-Type: application/x-www-form-urlencoded' \
    --data-urlencode "csrfToken=$tok" --data-urlencode username=alice --data-urlencode password=wonderland \
    "http://127.0.0.1:$port/auth/callback/credentials"
}
# cookies JAR → the jar's cookies as one Cookie header value.
cookies() { awk '{ sub(/^#HttpOnly_/, "") } /^#/ { next } NF >= 7 { printf "%s%s=%s", sep, $6, $7; sep="; " }' "$1"; }
session_cookie() { awk '{ sub(/^#HttpOnly_/, "") } /^#/ { next } NF >= 7 && $6 ~ /session-token/ { printf "%s%s=%s", sep, $6, $7; sep="; " }' "$1"; }

DATA="$TMP/data"
printf 'wonderland\n' | "$OUT/authgo" user add --data "$DATA" --name Alice --email alice@example.com alice 2>/dev/null

# wrk_run NAME PID URL [wrk args...] → "name rps p99 sockerr non2xx rss_mib hwm_mib"
wrk_run() {
  local name=$1 pid=$2 url=$3; shift 3
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" --latency "$@" "$url" >"$OUT/load-$name.wrk"
  local rps p99 sock non2xx
  rps=$(awk '/^Requests\/sec:/ {print $2}' "$OUT/load-$name.wrk")
  p99=$(awk '$1 == "99%" {print $2}' "$OUT/load-$name.wrk")
  sock=$(awk '/Socket errors/ { gsub(",", ""); print $4 + $6 + $8 + $10 }' "$OUT/load-$name.wrk")
  non2xx=$(awk '/Non-2xx/ {print $NF}' "$OUT/load-$name.wrk")
  echo "$name $rps $p99 ${sock:-0} ${non2xx:-0} $(mib "$(kib "$pid" VmRSS)") $(mib "$(kib "$pid" VmHWM)")"
}

if [[ " $PHASES " == *" load "* ]]; then
  taskset -c "$SERVER_CPU" "$OUT/hello" -addr "127.0.0.1:$((PORT + 1))" >"$OUT/load-hello.log" 2>&1 &
  pids+=($!)
  wait_port $((PORT + 1))
  serve "$PORT" "$SECRET" -- --protect '/mypage/:path*' --api "/api=http://127.0.0.1:$((PORT + 1))"
  AG=$SERVE_PID
  sign_in "$PORT" "$TMP/jar"
  COOKIE=$(session_cookie "$TMP/jar")
  # The proxy needs a session that holds an access token (a credentials
  # sign-in has none): one minted with authgo token encode.
  PXTOK=$(echo "{\"sub\":\"user-1\",\"name\":\"Alice\",\"access_token\":\"bench-access-token\",\"expires_at\":$(($(date +%s) + 86400))}" |
    "$OUT/authgo" token encode --secret "$SECRET")
  PXCOOKIE="authjs.session-token=$PXTOK"
  B="http://127.0.0.1:$PORT"
  for check in "$B/auth/session|$COOKIE|Alice" "$B/mypage/x|$COOKIE|Signed in as" "$B/api/orders|$PXCOOKIE|Alice"; do
    IFS='|' read -r url ck want <<<"$check"
    body=$(curl -s -H "Cookie: $ck" -H 'X-CSRF: 1' "$url")
    grep -q "$want" <<<"$body" || fail "$url did not answer signed in: $(head -c 200 <<<"$body")"
  done
  results=()
  results+=("$(wrk_run session "$AG" "$B/auth/session" -H "Cookie: $COOKIE")")
  results+=("$(wrk_run guarded "$AG" "$B/mypage/x" -H "Cookie: $COOKIE")")
  results+=("$(wrk_run proxy "$AG" "$B/api/orders" -H "Cookie: $PXCOOKIE" -H 'X-CSRF: 1')")
  stop "$AG"
  say "## load: wrk -t1 -c$CONNS -d$DURATION; server on CPU 0, wrk on CPU 1"
  say ""
  say "| path | req/s | p99 | socket errors | non-2xx | RSS at end (MiB) | VmHWM (MiB) |"
  say "|---|---:|---:|---:|---:|---:|---:|"
  bad=0
  for r in "${results[@]}"; do
    read -r name rps p99 sock non2xx rss hwm <<<"$r"
    case $name in session) label="GET /auth/session" ;; guarded) label="GET /mypage/x (--protect)" ;; proxy) label="GET /api/orders (--api, X-CSRF: 1)" ;; esac
    say "| $label | $(printf '%.0f' "$rps") | $p99 | $sock | $non2xx | $rss | $hwm |"
    [ "$sock" = 0 ] && [ "$non2xx" = 0 ] || bad=1
  done
  say ""
  [ $bad = 0 ] || fail "socket errors or non-2xx answers under load (see bench/out/load-*.wrk)"
fi

if [[ " $PHASES " == *" flood "* ]]; then
  AUTH_SECRET=$SECRET "$OUT/mint" -n "$FLOOD" -forged >"$TMP/forged.txt"
  AUTH_SECRET=$SECRET "$OUT/mint" -n "$FLOOD" >"$TMP/valid.txt"
  serve "$PORT" "$SECRET" -- --protect '/mypage/:path*'
  AG=$SERVE_PID
  sign_in "$PORT" "$TMP/jar-flood"
  curl -s -o /dev/null -H "Cookie: $(session_cookie "$TMP/jar-flood")" "http://127.0.0.1:$PORT/mypage/x"
  rss0=$(kib "$AG" VmRSS)
  say "## flood: $FLOOD distinct forged, then $FLOOD distinct valid cookies; wrk -t1 -c64 -d$FLOOD_DURATION per set and path"
  say ""
  say "| cookies | path | requests | req/s | answers by status | RSS after (MiB) |"
  say "|---|---|---:|---:|---|---:|"
  for set in forged valid; do
    for path in /auth/session /mypage/x; do
      COOKIES="$TMP/$set.txt" taskset -c "$LOAD_CPU" wrk -t1 -c64 -d"$FLOOD_DURATION" -s bench/lua/cookies.lua \
        "http://127.0.0.1:$PORT$path" >"$OUT/load-flood-$set-${path//\//_}.wrk"
      f="$OUT/load-flood-$set-${path//\//_}.wrk"
      n=$(awk '/requests in/ {print $1}' "$f")
      [ "$n" -ge "$FLOOD" ] || fail "flood $set $path: only $n requests for $FLOOD cookies; raise FLOOD_DURATION"
      say "| $set | $path | $n | $(awk '/^Requests\/sec:/ {printf "%.0f", $2}' "$f") | $(awk '/^status / {printf "%s×%s ", $2, $3}' "$f")| $(mib "$(kib "$AG" VmRSS)") |"
    done
  done
  rss1=$(kib "$AG" VmRSS)
  say ""
  say "RSS before the flood $(mib "$rss0") MiB, after $(mib "$rss1") MiB, VmHWM $(mib "$(kib "$AG" VmHWM)") MiB"
  say ""
  stop "$AG"
fi

if [[ " $PHASES " == *" fault "* ]]; then
  RPORT=$((PORT + 2))
  RDIR="$TMP/redis"
  mkdir -p "$RDIR"
  redis_start() {
    redis-server --bind 127.0.0.1 --port "$RPORT" --dir "$RDIR" --save "" --appendonly yes --appendfsync always >"$OUT/load-redis.log" 2>&1 &
    RPID=$!
    pids+=("$RPID")
    for _ in $(seq 100); do [ "$(redis-cli -p "$RPORT" ping 2>/dev/null)" = PONG ] && return 0; sleep 0.1; done
    fail "redis-server on $RPORT did not start"
  }
  redis_start
  REDIS_URL="redis://127.0.0.1:$RPORT/0" serve "$PORT" "$SECRET" -- --protect '/mypage/:path*'
  AG=$SERVE_PID
  sign_in "$PORT" "$TMP/jar-in"
  sign_in "$PORT" "$TMP/jar-out"
  IN=$(session_cookie "$TMP/jar-in")
  OUTCK=$(session_cookie "$TMP/jar-out")
  tok=$(curl -s -b "$TMP/jar-out" -c "$TMP/jar-out" "http://127.0.0.1:$PORT/auth/csrf" | sed -E 's/.*"csrfToken":"([0-9a-f]+)".*/\1/')
  curl -s -o /dev/null -b "$TMP/jar-out" -c "$TMP/jar-out" --data-urlencode "csrfToken=$tok" "http://127.0.0.1:$PORT/auth/signout"
  [ "$(curl -s -H "Cookie: $OUTCK" "http://127.0.0.1:$PORT/auth/session")" = null ] || fail "the signed-out cookie still opens the session"
  # the probe: status, cookie, path and body of each answer, one a line.
  probe() {
    while [ ! -e "$TMP/probe-stop" ]; do
      for who in in out; do
        ck=$IN; [ $who = out ] && ck=$OUTCK
        for path in /auth/session /mypage/x; do
          curl -s -m 5 -o "$TMP/probe-body" -D "$TMP/probe-head" -w '%{http_code}' -H "Cookie: $ck" "http://127.0.0.1:$PORT$path" >"$TMP/probe-code" || echo 000 >"$TMP/probe-code"
          printf '%s %s %s %s %s\n' "$(date +%s.%N | cut -c1-14)" "$(cat "$TMP/probe-code")" "$who" "$path" \
            "$(grep -i '^retry-after:' "$TMP/probe-head" | tr -d '\r' | awk '{print "retry-after=" $2}')|$(head -c 300 "$TMP/probe-body" | tr '\n' ' ')"
        done
      done
      sleep 0.05
    done >"$OUT/load-fault-probe.txt"
  }
  probe &
  PROBE=$!
  COOKIE_GUARDED=$IN
  FD=$FAULT_DURATION
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${FD}s" -s bench/lua/statuses.lua -H "Cookie: $COOKIE_GUARDED" \
    "http://127.0.0.1:$PORT/mypage/x" >"$OUT/load-fault.wrk" &
  WRK=$!
  sleep $((FD / 3))
  kill -9 "$RPID"; wait "$RPID" 2>/dev/null || true
  t_kill=$(date +%s.%N | cut -c1-14)
  sleep $((FD / 3))
  redis_start
  t_back=$(date +%s.%N | cut -c1-14)
  wait "$WRK"
  # recovery: the signed-in cookie opens the session again, same serve.
  recovered=""
  for _ in $(seq 100); do
    if curl -s -H "Cookie: $IN" "http://127.0.0.1:$PORT/mypage/x" | grep -q 'Signed in as'; then
      recovered=$(date +%s.%N | cut -c1-14); break
    fi
    sleep 0.1
  done
  touch "$TMP/probe-stop"; wait "$PROBE" 2>/dev/null || true
  kill -0 "$AG" 2>/dev/null || fail "serve died during the fault"
  stop "$AG"
  say "## fault: Redis (own redis-server on :$RPORT) killed at $((FD / 3)) s and restarted at $((2 * FD / 3)) s of a ${FD} s wrk -c$CONNS run on GET /mypage/x"
  say ""
  say "wrk: $(awk '/requests in/ {print $1, "requests"}' "$OUT/load-fault.wrk"), $(awk '/Socket errors/' "$OUT/load-fault.wrk" | grep . || echo 'no socket errors'); by status: $(awk '/^status / {printf "%s×%s ", $2, $3}' "$OUT/load-fault.wrk")"
  say ""
  say "5xx bodies seen by wrk:"
  awk '/^body5xx / {$1=""; print "   " $0}' "$OUT/load-fault.wrk" | tee -a "$SUMMARY"
  probes=$(wc -l <"$OUT/load-fault-probe.txt")
  p5xx=$(awk '$2 ~ /^5/' "$OUT/load-fault-probe.txt" | wc -l)
  say "probe: $probes answers, $p5xx 5xx; by status, cookie and path:"
  awk '{print $2, $3, $4}' "$OUT/load-fault-probe.txt" | sort | uniq -c | sed 's/^/   /' | tee -a "$SUMMARY"
  bad=0
  # 5xx only the documented 503s, each with Retry-After.
  if awk '/^body5xx / {$1=""; $2=""; print}' "$OUT/load-fault.wrk" |
    grep -vE '^ *"(\{\\"error\\":\\"session_unavailable\\"\}|The session store is not answering; try again in a moment\.\\n)" retry-after=2$' | grep -q .; then
    echo "load: a 5xx answer with another body (above)" >&2; bad=1
  fi
  if awk '$2 ~ /^5/' "$OUT/load-fault-probe.txt" | grep -vE ' 503 (in|out) [^ ]+ retry-after=2\|' | grep -q .; then
    echo "load: the probe saw a 5xx without Retry-After or other than 503:" >&2
    awk '$2 ~ /^5/' "$OUT/load-fault-probe.txt" | grep -vE ' 503 (in|out) [^ ]+ retry-after=2\|' | head -5 >&2; bad=1
  fi
  if grep -iE 'redis|dial tcp|connection refused|127\.0\.0\.1:'"$RPORT" "$OUT/load-fault-probe.txt" | grep -q .; then
    echo "load: an answer names the store" >&2; bad=1
  fi
  # the signed-out cookie never reads as signed in.
  leaks=$(awk '$3 == "out" && (($4 == "/auth/session" && $2 == 200 && $5 !~ /\|null/) || ($4 == "/mypage/x" && $2 == 200))' "$OUT/load-fault-probe.txt" | wc -l)
  say "signed-in answers for the signed-out cookie: $leaks"
  [ "$leaks" = 0 ] || bad=1
  # recovery as the probe saw it: its first signed-in guarded page after
  # the restart (else the check after the run).
  first=$(awk -v t="$t_back" '$1 > t && $2 == 200 && $3 == "in" && $4 == "/mypage/x" {print $1; exit}' "$OUT/load-fault-probe.txt")
  [ -z "$first" ] || recovered=$first
  say "first 503 seen by the probe $(awk -v t="$t_kill" '$2 == 503 {printf "%.1f s", $1 - t; exit}' "$OUT/load-fault-probe.txt") after the kill"
  if [ -n "$recovered" ]; then
    say "recovered without restarting serve: signed in again $(awk -v a="$t_back" -v b="$recovered" 'BEGIN {printf "%.1f", b - a}') s after Redis came back"
  else
    say "NOT recovered within 10 s after the wrk run"; bad=1
  fi
  say ""
  [ $bad = 0 ] || fail "the fault phase found problems (bench/out/load-fault*)"
  unset REDIS_URL
fi

if [[ " $PHASES " == *" rotate "* ]]; then
  P1=$((PORT + 3)) P2=$((PORT + 4))
  serve "$P1" "$SECRET"; A=$SERVE_PID
  serve "$P2" "$SECRET"; Bp=$SERVE_PID
  JAR="$TMP/jar-rot"
  sign_in "$P1" "$JAR"
  CSRF=$(curl -s -b "$JAR" -c "$JAR" "http://127.0.0.1:$P1/auth/csrf" | sed -E 's/.*"csrfToken":"([0-9a-f]+)".*/\1/')
  say "## rotate: two instances, the secret rotated in two phases, restarted one at a time under wrk -c$CONNS -d5s on the other"
  say ""
  say "| step | instance | GET /session | POST /session with the old CSRF token | GET /csrf same token | wrk non-2xx / socket errors on the other |"
  say "|---|---|---|---|---|---|"
  rbad=0
  # check PORT: the browser's session and CSRF token work on PORT.
  check() {
    local port=$1 s p c
    s=$(curl -s -b "$JAR" -c "$JAR" "http://127.0.0.1:$port/auth/session" | grep -q '"name":"Alice"' && echo ok || echo FAIL)
    p=$(curl -s -b "$JAR" -c "$JAR" -H 'Content-Type: application/json' -d "{\"csrfToken\":\"$CSRF\"}" "http://127.0.0.1:$port/auth/session" | grep -q '"name":"Alice"' && echo ok || echo FAIL)
    c=$(curl -s -b "$JAR" -c "$JAR" "http://127.0.0.1:$port/auth/csrf" | grep -q "$CSRF" && echo ok || echo FAIL)
    echo "$s $p $c"
  }
  # restart_one PID_VAR PORT OTHER_PORT STEP SECRETS...
  restart_one() {
    local var=$1 port=$2 other=$3 step=$4 opid; shift 4
    if [ "$var" = A ]; then opid=$Bp; else opid=$A; fi
    DURATION=5s wrk_run "rot-${step%%:*}-$port" "$opid" "http://127.0.0.1:$other/auth/session" --timeout 10s -H "Cookie: $(cookies "$JAR")" >"$TMP/rot-wrk" &
    local w=$!
    sleep 1
    stop "${!var}"
    serve "$port" "$@"
    printf -v "$var" '%s' "$SERVE_PID"
    wait $w
    read -r _ _ _ sock non2xx _ _ <"$TMP/rot-wrk"
    local r1 r2
    r1=$(check "$port"); r2=$(check "$other")
    say "| $step | restarted :$port / other :$other | $(cut -d' ' -f1 <<<"$r1") / $(cut -d' ' -f1 <<<"$r2") | $(cut -d' ' -f2 <<<"$r1") / $(cut -d' ' -f2 <<<"$r2") | $(cut -d' ' -f3 <<<"$r1") / $(cut -d' ' -f3 <<<"$r2") | $non2xx / $sock |"
    if grep -q FAIL <<<"$r1 $r2" || [ "$non2xx" != 0 ] || [ "$sock" != 0 ]; then rbad=1; fi
  }
  restart_one A "$P1" "$P2" "1: new as AUTH_SECRET_1" "$SECRET" "$NEW_SECRET"
  restart_one Bp "$P2" "$P1" "1: new as AUTH_SECRET_1" "$SECRET" "$NEW_SECRET"
  restart_one A "$P1" "$P2" "2: new as AUTH_SECRET, old as _1" "$NEW_SECRET" "$SECRET"
  restart_one Bp "$P2" "$P1" "2: new as AUTH_SECRET, old as _1" "$NEW_SECRET" "$SECRET"
  stop "$A"; stop "$Bp"
  say ""
  [ $rbad = 0 ] || fail "the rotation broke a session or a CSRF token"
fi
echo "summary in $SUMMARY"
