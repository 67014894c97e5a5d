# Shared by the bench scripts (sourced, not run).

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }

# tick pauses 2 ms with bash's own read timeout on a FIFO nobody writes:
# a `sleep` process every few milliseconds would take a fifth of a core
# from the daemon being timed.
tick() {
  if [ -z "${tick_fd:-}" ]; then
    local fifo
    fifo=$(mktemp -u)
    mkfifo "$fifo"
    exec {tick_fd}<>"$fifo"
    rm -f "$fifo"
  fi
  read -r -t 0.002 -u "$tick_fd" || true
}

# wait_for PATH: returns once PATH exists.
wait_for() { until [ -e "$1" ]; do tick; done; }

# wait_mounted MNT: returns once the mount is listable (its info/ folder is
# there; a stat of info/summary.txt would also look at every payload).
wait_mounted() { wait_for "$1/info"; }

# wait_for_line FILE TEXT: returns once FILE has a line with TEXT.
wait_for_line() { until grep -q "$2" "$1" 2>/dev/null; do tick; done; }
