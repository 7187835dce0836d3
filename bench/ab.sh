#!/usr/bin/env bash
# Two builds of layerproxy against each other, alternated: each round starts a fresh proxy per jar in front of one
# seeded S3Proxy. Hot hits (4k, 1m): warms every key, runs wrk once unrecorded, then 10 s measured, and prints
# req/s and the proxy's CPU microseconds per request (user + system from /proc). Cold streams (stream): three
# unrecorded cold 128 MiB streams, then three measured ones, each a fresh object started alike (the origin's file
# in the page cache, then sync), and prints MB/s and CPU seconds per GB. How issue 20's changes were judged.
#
#   bench/ab.sh ROUNDS 4k|1m|stream BEFORE.jar AFTER.jar   # e.g. bench/ab.sh 4 4k /tmp/before.jar target/layerproxy.jar
set -euo pipefail
ROUNDS=$1 CASE=$2
shift 2
JARS=()
for jar in "$@"; do JARS+=("$(cd "$(dirname "$jar")" && pwd)/$(basename "$jar")"); done
cd "$(dirname "$0")/.."
source bench/lib.sh
WORK=$PWD/target/bench-ab
S3_PORT=18110 LP_PORT=18109
need_tools wrk curl
mkdir -p "$WORK"
fetch_s3proxy "$WORK"
trap cleanup EXIT
rm -rf "$WORK/s3data"
start_s3proxy "$WORK" $S3_PORT
PIDS+=($S3PROXY_PID)
ORIGIN=http://127.0.0.1:$S3_PORT
case $CASE in
  4k) KEYS=2000 PREFIX=small/ CONNS=64 SIZE=4096 ;;
  1m) KEYS=64 PREFIX=large/ CONNS=16 SIZE=1048576 ;;
  stream) SIZE=$((128 << 20)) ;;
  *) echo "case: 4k, 1m or stream" >&2; exit 2 ;;
esac
start_proxy() { # JAR: a fresh proxy as bench/run.sh runs it; sets pid
  rm -rf "$WORK/lp-cache"
  java -Xms1g -Xmx1g -XX:MaxDirectMemorySize=1g -XX:G1HeapRegionSize=4m \
    -Dorg.slf4j.simpleLogger.log.io.layerproxy.access=warn -jar "$1" run \
    --listen 127.0.0.1:$LP_PORT --s3-endpoint "$ORIGIN" --path-style --buckets bench --max-age 604800 \
    --cache-size 512m --disk-dir "$WORK/lp-cache" --disk-size 4g > "$WORK/layerproxy.log" 2>&1 &
  pid=$!
  PIDS+=($pid)
  await_port $LP_PORT
}
head -c $SIZE /dev/urandom > "$WORK/payload"
curl -fsS -X PUT "$ORIGIN/bench" > /dev/null
if [ "$CASE" = stream ]; then
  keys=()
  for r in $(seq 1 "$ROUNDS"); do for j in "${!JARS[@]}"; do for i in 1 2 3 4 5 6; do keys+=("stream/$r-$j-$i"); done; done; done
  printf '%s\n' "${keys[@]}" | xargs -P 4 -I{} curl -fsS -X PUT --upload-file "$WORK/payload" "$ORIGIN/bench/{}" -o /dev/null
  for r in $(seq 1 "$ROUNDS"); do
    for j in "${!JARS[@]}"; do
      start_proxy "${JARS[$j]}"
      for i in 1 2 3 4 5 6; do
        start_alike "$WORK/s3data/bench/stream/$r-$j-$i"
        cpu0=$(cpu_seconds $pid)
        speed=$(curl -fsS -o /dev/null -w '%{speed_download}' "http://127.0.0.1:$LP_PORT/bench/stream/$r-$j-$i")
        cpu1=$(cpu_seconds $pid)
        [ $i -le 3 ] && continue # the first three warm the JVM, as bench/run.sh's STREAM_WARMUP
        echo "$(basename "${JARS[$j]}") round $r stream $((i - 3)): $(awk -v s="$speed" 'BEGIN { printf "%.0f", s / 1e6 }') MB/s, $(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.2f", (b - a) / (134217728 / 1e9) }') CPU s per GB"
      done
      kill $pid; wait $pid 2>/dev/null || true
    done
  done
  exit 0
fi
seq -f "$PREFIX%g" 0 $((KEYS - 1)) | xargs -P 8 -I{} curl -fsS -X PUT --upload-file "$WORK/payload" "$ORIGIN/bench/{}" -o /dev/null
for r in $(seq 1 "$ROUNDS"); do
  for jar in "${JARS[@]}"; do
    start_proxy "$jar"
    seq -f "$PREFIX%g" 0 $((KEYS - 1)) | xargs -P 8 -I{} curl -fsS "http://127.0.0.1:$LP_PORT/bench/{}" -o /dev/null
    KEYS=$KEYS PREFIX=/bench/$PREFIX wrk -t2 -c$CONNS -d6s -s bench/zipf.lua "http://127.0.0.1:$LP_PORT" > /dev/null
    cpu0=$(cpu_seconds $pid)
    line=$(KEYS=$KEYS PREFIX=/bench/$PREFIX wrk -t2 -c$CONNS -d10s -s bench/zipf.lua "http://127.0.0.1:$LP_PORT" | grep RESULT)
    cpu1=$(cpu_seconds $pid)
    rps=$(sed -E 's/.*rps=([0-9.]+).*/\1/' <<<"$line")
    echo "$(basename "$jar") round $r: $rps req/s, $(awk -v a="$cpu0" -v b="$cpu1" -v r="$rps" 'BEGIN { printf "%.1f", (b - a) * 1e6 / (r * 10) }') CPU us per request"
    kill $pid; wait $pid 2>/dev/null || true
  done
done
