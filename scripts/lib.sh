# Shared by the bench scripts (sourced, not run).

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

# wait_for PATH: returns once PATH exists, checking every 2 ms. The pause
# is bash's own read timeout on a FIFO nobody writes: a `sleep` process
# every few milliseconds would take a fifth of a core from the daemon
# being timed.
wait_for() {
  if [ -z "${tick_fd:-}" ]; then
    local fifo
    fifo=$(mktemp -u)
    mkfifo "$fifo"
    exec {tick_fd}<>"$fifo"
    rm -f "$fifo"
  fi
  until [ -e "$1" ]; do read -r -t 0.002 -u "$tick_fd" || true; done
}
