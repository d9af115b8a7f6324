# Functions the bench scripts share; they source it from the repository
# root (". bench/lib.sh").

# peak_rss PID WRK_PID: until the load run WRK_PID ends, samples the
# VmRSS of PID every 0.25 s; then waits for WRK_PID and returns its status.
# Sets RSS_MAX to the largest VmRSS seen, in KiB. WRK_PID must be a child
# of the calling shell, so call it directly, not in $(...).
peak_rss() {
  local pid=$1 wrk_pid=$2 kb
  RSS_MAX=0
  while kill -0 "$wrk_pid" 2>/dev/null; do
    kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status")
    [ "$kb" -gt "$RSS_MAX" ] && RSS_MAX=$kb
    sleep 0.25
  done
  wait "$wrk_pid"
}
