#!/usr/bin/env bash
# What the container costs for a 4 KiB answer with nothing behind it, per shape (bench/JettyShapes.java): a servlet
# Filter as layerproxy is mounted, a Jetty core Handler, and a core Handler that runs on the selector thread.
# Alternated rounds; requests/s and CPU microseconds per request of the server process (wrk shares the 2 cores).
#
#   bench/shapes.sh                 # 5 rounds of 10 s per shape
#   ROUNDS=3 RUN_SECONDS=5 bench/shapes.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
ROUNDS=${ROUNDS:-5}
RUN_SECONDS=${RUN_SECONDS:-10}
PORT=18207
need_tools wrk
[ -f target/layerproxy.jar ] || mvn -B -q -DskipTests package
trap cleanup EXIT
RESULTS=$(mktemp)
for r in $(seq 1 "$ROUNDS"); do
  for shape in servlet core core-nonblock; do
    java -Xmx512m -cp target/layerproxy.jar bench/JettyShapes.java "$shape" $PORT > /dev/null 2>&1 &
    pid=$!
    PIDS+=($pid)
    await_port $PORT
    wrk -t2 -c64 -d5s "http://127.0.0.1:$PORT/b/k" > /dev/null # compiled and warm
    cpu0=$(cpu_seconds $pid)
    rps=$(wrk -t2 -c64 -d"${RUN_SECONDS}s" "http://127.0.0.1:$PORT/b/k" | awk '/^Requests\/sec/ { print $2 }')
    cpu1=$(cpu_seconds $pid)
    us=$(awk -v a="$cpu0" -v b="$cpu1" -v r="$rps" -v s="$RUN_SECONDS" 'BEGIN { printf "%.1f", (b - a) * 1e6 / (r * s) }')
    echo "$shape $rps $us" >> "$RESULTS"
    log "round $r $shape: $rps req/s, $us CPU us per request"
    kill $pid; wait $pid 2>/dev/null || true
  done
done
median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
printf '| shape | req/s (median of %s) | CPU us per request |\n| --- | --- | --- |\n' "$ROUNDS"
for shape in servlet core core-nonblock; do
  printf '| %s | %s | %s |\n' "$shape" "$(awk -v s=$shape '$1 == s { print $2 }' "$RESULTS" | median)" \
    "$(awk -v s=$shape '$1 == s { print $3 }' "$RESULTS" | median)"
done
rm -f "$RESULTS"
