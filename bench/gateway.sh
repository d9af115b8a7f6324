#!/usr/bin/env bash
# Gateway benchmark: authgo serve next to oauth2-proxy v7.15.6 in one run on
# this machine, with sessions made by a real OIDC sign-in at the same
# in-process OpenID Provider (bench/gwop, internal/testidp on zitadel's op):
#
#   forward-auth  GET <base>/forward-auth (authgo) and GET /oauth2/auth
#                 (oauth2-proxy) with a valid session cookie and the
#                 original URI in X-Original-URI / X-Forwarded-Uri, as nginx
#                 auth_request and Traefik send them;
#   page          GET /page proxied by each to the same upstream, a bare Go
#                 hello (bench/hello), next to a bare httputil.ReverseProxy
#                 with pooled buffers (bench/rproxy) and the hello itself.
#
# Every contender gets the same request bytes: the page runs send the bare
# proxy and the hello authgo's session cookie too (about 1.4 KB, which a
# proxy must parse and pass on), and every run the same X-Original-URI,
# X-Forwarded-Uri, -Proto and -Host headers.
#
# Each server under load is pinned to CPU 0, and so is the upstream hello:
# a proxy then pays for its upstream as much as for itself, the same for
# every proxy, and wrk (-t1 -c$CONNS) has CPU 1 to itself. Every server
# answers with its defaults, access log included (ACCESS_LOG=on: serve
# writes one access line per request, oauth2-proxy its request log, each to
# a file in bench/out), except: oauth2-proxy runs with --reverse-proxy and
# --trusted-proxy-ip 127.0.0.1/32, as authgo serve runs with
# --trusted-proxy 127.0.0.1/32. ACCESS_LOG=off turns both logs off
# (--access-log=false, --request-logging=false).
#
# req/s on this shared 2-core machine moves with whatever else runs, so
# the table also gives the CPU time each server process spent per answer
# (utime+stime from /proc/PID/stat over the run, divided by the answers
# wrk counted), which other load disturbs much less; for the page runs
# the upstream's CPU per answer is given apart (the same hello for all).
# Each round ends with a side-by-side run: serve and the bare proxy loaded
# at the same time, each by its own wrk, so that both are measured in the
# same seconds. This machine's speed drifts by a fifth from one minute to
# the next (the upstream's own CPU per answer moves with it), which moves
# the sequential comparison by as much; side by side, the two share every
# drift, and their ratio varies by a point or two from round to round.
# The table gives req/s, p99 latency (medians over ROUNDS alternating
# rounds), CPU per answer (medians), for the page runs how many
# connections the proxy opened to the upstream (the most in one run; the
# upstream hello counts them: a proxy that keeps too few idle
# connections for 256 concurrent requests opens one per request and
# fills the port range with TIME_WAIT), the largest RSS seen under load and
# the errors wrk saw: socket errors (connect, read, write, timeouts) plus
# non-2xx answers. wrk counts an answer slower than its --timeout
# (TIMEOUT, 10s here; wrk's own default is 2 s) as a timeout error; the
# p99 column shows how far below that the answers stayed. The script
# exits non-zero if any run had errors.
#
#   bench/gateway.sh                  # 10 s per run, 256 connections
#   DURATION=60s ROUNDS=2 bench/gateway.sh   # the figures in README.md
#   CONNS=64 bench/gateway.sh
#   ROUNDS=3 bench/gateway.sh         # the runs 3 times (even rounds in reverse order), medians
#   ONLY=side-by-side ROUNDS=4 DURATION=8s bench/gateway.sh   # the side-by-side rounds only
#   AUTHGO_FLAGS="--public /:path*" ONLY=side-by-side bench/gateway.sh
#                                     # an experiment: serve with more flags (no 401 check then)
#   ACCESS_LOG=off bench/gateway.sh   # neither server logs each request
#   ONLY="authgo-page rproxy" bench/gateway.sh   # only these runs
#   AUTHGO_TAGS=benchprof AUTHGO_CPUPROFILE=/tmp/page.prof ONLY=authgo-page bench/gateway.sh
#                                     # a CPU profile of serve under load
#
# Needs wrk, curl, taskset, and Go to build the helpers; oauth2-proxy is
# built once into bench/.bin with go install (module version pinned below).
# If this authgo has no gateway yet (serve --upstream), its rows are left
# out. Raw output goes to bench/out/gw-*.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
DURATION="${DURATION:-10s}"
CONNS="${CONNS:-256}"
ROUNDS="${ROUNDS:-1}"
ACCESS_LOG="${ACCESS_LOG:-on}"
TIMEOUT="${TIMEOUT:-10s}"
ONLY="${ONLY:-}"
case "$ACCESS_LOG" in on) O2P_LOG=true AG_LOG=true ;; off) O2P_LOG=false AG_LOG=false ;; *) echo "bench: ACCESS_LOG is on or off" >&2; exit 1 ;; esac
O2P_VERSION=v7.15.6
OUT=bench/out
BIN=bench/.bin
mkdir -p "$OUT" "$BIN"
SERVER_CPU=0
LOAD_CPU=1
SECRET="bench-secret-0123456789abcdef0123456789abcdef"
P_UP=3400 P_AG=3401 P_O2P=3402 P_RP=3403 P_HELLO=3404 P_CTL=3490
for cmd in wrk curl taskset go; do
  command -v "$cmd" >/dev/null || { echo "bench: $cmd is missing" >&2; exit 1; }
done

if ! go version -m "$BIN/oauth2-proxy" 2>/dev/null | grep -q "oauth2-proxy/v7[[:space:]]*$O2P_VERSION"; then
  echo "building oauth2-proxy $O2P_VERSION into $BIN" >&2
  GOBIN="$(pwd)/$BIN" GOFLAGS=-buildvcs=false go install "github.com/oauth2-proxy/oauth2-proxy/v7@$O2P_VERSION"
fi
go build ${AUTHGO_TAGS:+-tags "$AUTHGO_TAGS"} -o "$OUT/authgo" ./cmd/authgo
go build -o "$OUT/hello" ./bench/hello
go build -o "$OUT/gwop" ./bench/gwop
go build -o "$OUT/rproxy" ./bench/rproxy
GATEWAY=0
SERVE_HELP=$("$OUT/authgo" serve --help 2>&1 || true)
case "$SERVE_HELP" in *--upstream*) GATEWAY=1 ;; esac

DATA=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$DATA"; }
trap cleanup EXIT
wait_url() { for _ in $(seq 150); do curl -s -o /dev/null "$1" && return 0; sleep 0.1; done; echo "bench: $1 never answered" >&2; return 1; }

# The upstream app (on the servers' CPU), the OpenID Provider, the reverse proxy floor, the hello
# ceiling.
taskset -c "$SERVER_CPU" "$OUT/hello" -addr 127.0.0.1:$P_UP -count-conns >"$OUT/gw-upstream.log" 2>&1 &
pids+=($!); UP=$!
"$OUT/gwop" -ctl 127.0.0.1:$P_CTL -authgo http://127.0.0.1:$P_AG -oauth2-proxy http://127.0.0.1:$P_O2P >"$OUT/gw-op.out" 2>"$OUT/gw-op.log" &
pids+=($!)
taskset -c "$SERVER_CPU" "$OUT/rproxy" -addr 127.0.0.1:$P_RP -upstream http://127.0.0.1:$P_UP >"$OUT/gw-rproxy.log" 2>&1 &
pids+=($!); RP=$!
taskset -c "$SERVER_CPU" "$OUT/hello" -addr 127.0.0.1:$P_HELLO >"$OUT/gw-hello.log" 2>&1 &
pids+=($!); HE=$!
wait_url http://127.0.0.1:$P_UP/
wait_url http://127.0.0.1:$P_CTL/
ISSUER=$(head -1 "$OUT/gw-op.out")

# oauth2-proxy against the OP, proxying to the upstream.
taskset -c "$SERVER_CPU" "$BIN/oauth2-proxy" --http-address=127.0.0.1:$P_O2P \
  --provider=oidc --oidc-issuer-url="$ISSUER" --client-id=oauth2-proxy --client-secret=bench-client-secret \
  --code-challenge-method=S256 --redirect-url=http://127.0.0.1:$P_O2P/oauth2/callback \
  --cookie-secret=0123456789abcdef0123456789abcdef --cookie-secure=false \
  --email-domain=example.com --set-xauthrequest --skip-provider-button \
  --reverse-proxy --trusted-proxy-ip=127.0.0.1/32 --request-logging=$O2P_LOG \
  --upstream=http://127.0.0.1:$P_UP/ >"$OUT/gw-oauth2-proxy.log" 2>&1 &
pids+=($!); O2P=$!
wait_url http://127.0.0.1:$P_O2P/ping

if [ "$GATEWAY" = 1 ]; then
  AUTH_SECRET=$SECRET AUTH_OIDC_ISSUER="$ISSUER" AUTH_OIDC_ID=authgo AUTH_OIDC_SECRET=bench-client-secret \
    taskset -c "$SERVER_CPU" "$OUT/authgo" serve --data "$DATA" --addr 127.0.0.1:$P_AG \
    --upstream http://127.0.0.1:$P_UP --allow-email-domain example.com --trusted-proxy 127.0.0.1/32 \
    --pass-identity --access-log=$AG_LOG ${AUTHGO_FLAGS:-} >"$OUT/gw-authgo.log" 2>&1 &
  pids+=($!); AG=$!
  wait_url http://127.0.0.1:$P_AG/auth/csrf
fi

signin() {
  local c
  c=$(curl -s -f "http://127.0.0.1:$P_CTL/signin?kind=$1&rp=http://127.0.0.1:$2") || { echo "bench: sign-in at $1 failed: $(tail -3 "$OUT/gw-op.log")" >&2; exit 1; }
  printf '%s' "$c"
}
O2P_COOKIE=$(signin oauth2-proxy $P_O2P)
[ "$GATEWAY" = 1 ] && AG_COOKIE=$(signin authgo $P_AG)

# check NAME URL COOKIE WANT → the status must be 2xx and the answer must
# contain WANT (in its headers or body).
check() {
  local out
  out=$(curl -s -D - -H "Cookie: $3" -H 'X-Original-URI: /page' -H 'X-Forwarded-Uri: /page' \
    -H 'X-Forwarded-Proto: http' -H 'X-Forwarded-Host: 127.0.0.1' "$2")
  if ! head -1 <<<"$out" | grep -q ' 2[0-9][0-9]' || ! grep -qi -- "$4" <<<"$out"; then
    echo "bench: $1 did not answer as expected:" >&2; head -c 600 <<<"$out" >&2; echo >&2; exit 1
  fi
}
# Signed out, forward-auth must refuse: a benchmark of a gate that opens for
# anyone would measure nothing.
refused() {
  local code
  code=$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Original-URI: /page' -H 'X-Forwarded-Uri: /page' "$2")
  [ "$code" = 401 ] || { echo "bench: $1 answered $code without a session, not 401" >&2; exit 1; }
}

# cpu_ticks PID → utime+stime of PID so far, in clock ticks.
cpu_ticks() { awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"; }
TICK_HZ=$(getconf CLK_TCK)

# upstream_conns → how many connections the upstream has accepted so far
# (this question's own included).
upstream_conns() { curl -s "http://127.0.0.1:$P_UP/_conns"; }

# wrk_run URL COOKIE OUTFILE: the load, in the background ($! its PID).
wrk_run() {
  taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"$DURATION" --timeout "$TIMEOUT" --latency -H "Cookie: $2" \
    -H 'X-Original-URI: /page' -H 'X-Forwarded-Uri: /page' -H 'X-Forwarded-Proto: http' -H 'X-Forwarded-Host: 127.0.0.1' \
    "$1" > "$3" &
}

# summarize NAME WRKFILE CPU_TICKS UP_TICKS RSS_KIB OPENED SELF → the load
# line below from wrk's output (SELF=1: the server is the upstream).
summarize() {
  awk -v name="$1" -v cpu="$3" -v up="$4" -v kb="$5" -v opened="$6" -v self="$7" -v hz="$TICK_HZ" '
    function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v + 0 }
    /^Requests\/sec:/ { rps = $2 }
    / requests in / { n = $1 }
    $1 == "99%" { p99 = ms($2) }
    /Socket errors:/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) { v = $i; sub(",", "", v); errs += v }; timeouts = $NF }
    /Non-2xx or 3xx responses:/ { errs += $NF }
    END { per = n > 0 ? 1e6 / hz / n : 0
      printf "%s %s %.2f %.1f %d %d %.1f %.1f %d\n", name, rps, p99, kb / 1024, errs, timeouts, cpu * per, self ? 0 : up * per, opened }' "$2"
}

# load NAME PID URL COOKIE → "name req/s p99_ms rss_mib errors timeouts
# cpu_us_per_answer upstream_cpu_us_per_answer upstream_conns_opened"
# (errors: socket errors and non-2xx answers; timeouts, among them, are
# answers slower than TIMEOUT). wrk's output: $OUT/gw-NAME-rROUND.wrk.
load() {
  local name=$1 pid=$2 url=$3 cookie=$4 wrkout="$OUT/gw-$1-r$round.wrk" c0 u0 c1 u1 n0 n1
  if [ -n "$ONLY" ] && [[ " $ONLY " != *" $name "* ]]; then return 0; fi
  n0=$(upstream_conns)
  c0=$(cpu_ticks "$pid"); u0=$(cpu_ticks "$UP")
  wrk_run "$url" "$cookie" "$wrkout"
  peak_rss "$pid" $!
  c1=$(cpu_ticks "$pid"); u1=$(cpu_ticks "$UP")
  n1=$(upstream_conns)
  summarize "$name" "$wrkout" $((c1 - c0)) $((u1 - u0)) "$RSS_MAX" $((n1 - n0 - 1)) "$([ "$pid" = "$UP" ] && echo 1 || echo 0)"
}

check hello http://127.0.0.1:$P_HELLO/page "" Alice
check rproxy http://127.0.0.1:$P_RP/page "" Alice
check o2p-page http://127.0.0.1:$P_O2P/page "$O2P_COOKIE" Alice
check o2p-fa http://127.0.0.1:$P_O2P/oauth2/auth "$O2P_COOKIE" 'X-Auth-Request-Email: alice@example.com'
refused o2p-fa http://127.0.0.1:$P_O2P/oauth2/auth
if [ "$GATEWAY" = 1 ]; then
  check authgo-page http://127.0.0.1:$P_AG/page "$AG_COOKIE" Alice
  check authgo-fa http://127.0.0.1:$P_AG/auth/forward-auth "$AG_COOKIE" 'X-Auth-Request-Email: alice@example.com'
  [ -n "${AUTHGO_FLAGS:-}" ] || refused authgo-fa http://127.0.0.1:$P_AG/auth/forward-auth # AUTHGO_FLAGS: an experiment, which may open /page
fi

# The bare proxy and the hello get the same Cookie header as authgo (the
# 1.4 KB session cookie of its sign-in), or oauth2-proxy's without a gateway.
SAME_COOKIE=${AG_COOKIE:-$O2P_COOKIE}

LOAD_BEFORE=$(uptime | sed 's/.*load average: //')
: > "$OUT/gw-results.txt"
# run_one NAME → its load line.
run_one() {
  case $1 in
    authgo-fa) [ "$GATEWAY" = 1 ] && load authgo-fa "$AG" http://127.0.0.1:$P_AG/auth/forward-auth "$AG_COOKIE" ;;
    o2p-fa) load o2p-fa "$O2P" http://127.0.0.1:$P_O2P/oauth2/auth "$O2P_COOKIE" ;;
    authgo-page) [ "$GATEWAY" = 1 ] && load authgo-page "$AG" http://127.0.0.1:$P_AG/page "$AG_COOKIE" ;;
    o2p-page) load o2p-page "$O2P" http://127.0.0.1:$P_O2P/page "$O2P_COOKIE" ;;
    rproxy) load rproxy "$RP" http://127.0.0.1:$P_RP/page "$SAME_COOKIE" ;;
    hello) load hello "$HE" http://127.0.0.1:$P_HELLO/page "$SAME_COOKIE" ;;
  esac
  return 0
}
# side_by_side → "sbs-authgo req/s p99_ms cpu_us_per_answer" and the same
# for sbs-rproxy: serve and the bare proxy loaded at the same time, each by
# its own wrk (both on CPU 1; the two servers share CPU 0 with the
# upstream), so that both are measured in the same seconds of this shared
# machine, whose speed drifts by a fifth from one minute to the next.
side_by_side() {
  if [ "$GATEWAY" != 1 ] || { [ -n "$ONLY" ] && [[ " $ONLY " != *" side-by-side "* ]]; }; then return 0; fi
  local a0 r0 a1 r1 wa="$OUT/gw-sbs-authgo-r$round.wrk" wr="$OUT/gw-sbs-rproxy-r$round.wrk" pa pr
  a0=$(cpu_ticks "$AG"); r0=$(cpu_ticks "$RP")
  wrk_run "http://127.0.0.1:$P_AG/page" "$AG_COOKIE" "$wa"
  pa=$!
  wrk_run "http://127.0.0.1:$P_RP/page" "$SAME_COOKIE" "$wr"
  pr=$!
  wait "$pa" "$pr"
  a1=$(cpu_ticks "$AG"); r1=$(cpu_ticks "$RP")
  summarize sbs-authgo "$wa" $((a1 - a0)) 0 0 0 1
  summarize sbs-rproxy "$wr" $((r1 - r0)) 0 0 0 1
}
# Odd rounds run the six in this order, even rounds in the reverse one, so
# that a drift of the machine's speed over a round weighs on both sides
# of each comparison alike.
RUNS="authgo-fa o2p-fa authgo-page o2p-page rproxy hello"
for round in $(seq "$ROUNDS"); do
  order=$RUNS
  [ $((round % 2)) = 0 ] && order=$(tr ' ' '\n' <<<"$RUNS" | tac | tr '\n' ' ')
  { for name in $order; do run_one "$name"; done; side_by_side; } >> "$OUT/gw-results.txt"
  echo "round $round of $ROUNDS done" >&2
done
LOAD_AFTER=$(uptime | sed 's/.*load average: //')

# One row per server: the median req/s, p99 and CPU per answer over the
# rounds, the largest RSS, the errors of all rounds.
awk -v dur="$DURATION" -v conns="$CONNS" -v rounds="$ROUNDS" -v before="$LOAD_BEFORE" -v after="$LOAD_AFTER" -v logs="$ACCESS_LOG" -v tmo_s="$TIMEOUT" -v gateway="$GATEWAY" '
  function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] + 0 > a[j] + 0; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
  }
  !($1 in seen) { seen[$1] = 1; order[++k] = $1 }
  { r = ++cnt[$1]; each[$1, r] = $2; eachcpu[$1, r] = $7; if (r > nr) nr = r
    rpsl[$1] = rpsl[$1] " " $2; p99l[$1] = p99l[$1] " " $3; cpul[$1] = cpul[$1] " " $7; upl[$1] = upl[$1] " " $8
    if ($4 > rss[$1]) rss[$1] = $4; errs[$1] += $5; tmo[$1] += $6; total += $5; if ($9 > opened[$1]) opened[$1] = $9 }
  function ratio(a, b) { return b > 0 ? a / b : 0 }
  END {
    for (i = 1; i <= k; i++) { n = order[i]; rps[n] = median(rpsl[n]); p99[n] = median(p99l[n]); cpu[n] = median(cpul[n]); up[n] = median(upl[n]); if (rps[n] == 0) total++ }
    label["authgo-fa"] = "authgo serve: GET /auth/forward-auth"
    label["o2p-fa"] = "oauth2-proxy v7.15.6: GET /oauth2/auth"
    label["authgo-page"] = "authgo serve --upstream: GET /page"
    label["o2p-page"] = "oauth2-proxy --upstream: GET /page"
    label["rproxy"] = "bare httputil.ReverseProxy, pooled buffers: GET /page"
    label["hello"] = "Go net/http hello (the upstream itself)"
    label["sbs-authgo"] = "side by side: authgo serve --upstream: GET /page"
    label["sbs-rproxy"] = "side by side: bare httputil.ReverseProxy: GET /page"
    printf "Valid session cookie, wrk -t1 -c%s -d%s --timeout %s, %s alternating round(s) (medians); server and upstream on CPU 0, wrk on CPU 1; access logs %s\n", conns, dur, tmo_s, rounds, logs
    printf "load average before: %s; after: %s\n\n", before, after
    print "| server and request | req/s | p99 latency | CPU per answer | upstream CPU per answer | upstream connections opened | RSS under load (MiB) | errors |"
    print "|---|---:|---:|---:|---:|---:|---:|---:|"
    for (i = 1; i <= k; i++) { n = order[i]; sbs = (n ~ /^sbs-/); pg = (n ~ /page|rproxy/) && !sbs
      printf "| %s | %.0f | %.0f ms | %.1f µs | %s | %s | %s | %d%s |\n", label[n], rps[n], p99[n], cpu[n], pg ? sprintf("%.1f µs", up[n]) : "", pg ? opened[n] + 0 : "", sbs ? "" : rss[n], errs[n], tmo[n] ? sprintf(" (%d timeouts)", tmo[n]) : "" }
    print ""
    if ("authgo-fa" in rps) printf "forward-auth: authgo / oauth2-proxy = %.2fx req/s, %.2fx less CPU per answer (target >= 2)\n", ratio(rps["authgo-fa"], rps["o2p-fa"]), ratio(cpu["o2p-fa"], cpu["authgo-fa"])
    if ("authgo-page" in rps) {
      printf "proxied page: authgo / oauth2-proxy = %.2fx req/s, %.2fx less CPU per answer (target > 1)\n", ratio(rps["authgo-page"], rps["o2p-page"]), ratio(cpu["o2p-page"], cpu["authgo-page"])
      printf "proxied page: authgo costs %.1f %% over the bare reverse proxy in req/s, %.1f %% in CPU per answer (target <= 20 %%)\n", (ratio(rps["rproxy"], rps["authgo-page"]) - 1) * 100, (ratio(cpu["authgo-page"], cpu["rproxy"]) - 1) * 100
    } else if (gateway != 1) print "authgo has no gateway in this build (serve --upstream): its rows are missing"
    if (nr > 1 && ("authgo-fa" in rps) && ("o2p-fa" in rps)) {
      fa = ""; pg = ""
      for (r = 1; r <= nr; r++) {
        fa = fa sprintf(" %.2fx", ratio(each["authgo-fa", r], each["o2p-fa", r]))
        pg = pg sprintf(" %.2fx", ratio(each["authgo-page", r], each["o2p-page", r]))
      }
      printf "round by round: forward-auth vs oauth2-proxy%s; page vs oauth2-proxy%s\n", fa, pg
    }
    if (nr > 1 && ("authgo-page" in rps) && ("rproxy" in rps)) {
      # The two runs of a round follow each other: the ratio within a round
      # is the least disturbed by the drift of the machine, and its median
      # over the rounds the steadiest figure.
      rp = ""; rc = ""; rpl = ""; rcl = ""
      for (r = 1; r <= nr; r++) {
        x = (ratio(each["rproxy", r], each["authgo-page", r]) - 1) * 100; rp = rp sprintf(" %.1f%%", x); rpl = rpl " " x
        y = (ratio(eachcpu["authgo-page", r], eachcpu["rproxy", r]) - 1) * 100; rc = rc sprintf(" %.1f%%", y); rcl = rcl " " y
      }
      printf "page over the bare proxy, round by round:%s in req/s,%s in CPU per answer\n", rp, rc
      printf "page over the bare proxy, median of the rounds: %.1f %% in req/s, %.1f %% in CPU per answer (target <= 20 %%)\n", median(rpl), median(rcl)
    }
    if ("sbs-authgo" in rps) {
      sc = ""; scl = ""
      for (r = 1; r <= nr; r++) { y = (ratio(eachcpu["sbs-authgo", r], eachcpu["sbs-rproxy", r]) - 1) * 100; sc = sc sprintf(" %.1f%%", y); scl = scl " " y }
      printf "page over the bare proxy, side by side (both loaded in the same seconds): CPU per answer%s round by round, median %.1f %% (target <= 20 %%)\n", sc, median(scl)
    }
    printf "oauth2-proxy forward-auth / Go hello = %.2f\n", ratio(rps["o2p-fa"], rps["hello"])
    printf "errors in all runs: %d\n", total
  }' "$OUT/gw-results.txt" | tee "$OUT/gw-summary.md"
! grep -q '^errors in all runs: [1-9]' "$OUT/gw-summary.md"
