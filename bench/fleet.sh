#!/usr/bin/env bash
# One cold object (256 MiB) read at once through three proxies, one client per proxy: fleet mode (--fleet-peers)
# against three independent proxies, in one run on this machine. Reports bytes read from S3 (the sum of the nodes'
# layerproxy_origin_bytes_total), the time until all three clients had the whole object, and the proxies' CPU.
#
#   bench/fleet.sh                 # ROUNDS=2 SIZE_MB=256
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
ROUNDS=${ROUNDS:-2}
SIZE_MB=${SIZE_MB:-256}
WORK=target/bench-fleet
S3_PORT=18110

[ -f target/layerproxy.jar ] || mvn -B -q -DskipTests package
mkdir -p "$WORK"
fetch_s3proxy "$WORK"
rm -rf "$WORK/s3data" "$WORK"/disk*
trap cleanup EXIT
start_s3proxy "$WORK" $S3_PORT
PIDS+=($S3PROXY_PID)
ORIGIN=http://127.0.0.1:$S3_PORT
curl -fsS -X PUT "$ORIGIN/bench" >/dev/null
head -c $((SIZE_MB << 20)) /dev/urandom > "$WORK/object"

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# run MODE ROUND: three proxies, fresh disks, one fresh key; prints "mode seconds origin_bytes cpu_seconds"
run() {
  local mode=$1 round=$2 key="obj-$1-$2" nodes=() fleet=()
  curl -fsS -X PUT --upload-file "$WORK/object" "$ORIGIN/bench/$key" -o /dev/null
  curl -fsS "$ORIGIN/bench/$key" -o /dev/null   # the origin's page cache holds it for both modes
  [ "$mode" = fleet ] && fleet=(--fleet-peers 127.0.0.1:17811,127.0.0.1:17812,127.0.0.1:17813 \
    --fleet-secret bench-fleet-secret-0123456789)
  for i in 1 2 3; do
    java -Xms512m -Xmx512m -jar target/layerproxy.jar run --listen 127.0.0.1:1811$i --s3-endpoint "$ORIGIN" \
      --path-style --cache-size 64m --disk-dir "$WORK/disk-$mode-$round-$i" --disk-size 1g \
      ${fleet[@]+"${fleet[@]}"} ${fleet[@]+--fleet-bind 127.0.0.1:1781$i} > "$WORK/node-$mode-$i.log" 2>&1 &
    nodes+=($!)
  done
  for i in 1 2 3; do await_port 1811$i; done
  if [ "$mode" = fleet ]; then
    for i in 1 2 3; do
      for _ in $(seq 1 300); do grep -q "fleet: 3 members" "$WORK/node-$mode-$i.log" && break; sleep 0.1; done
    done
  fi
  local cpu0=0 cpu1=0 start end
  for p in "${nodes[@]}"; do cpu0=$((cpu0 + $(cpu_ticks "$p"))); done
  start=$(date +%s.%N)
  local clients=()
  for i in 1 2 3; do curl -fsS "http://127.0.0.1:1811$i/bench/$key" -o /dev/null & clients+=($!); done
  wait "${clients[@]}"
  end=$(date +%s.%N)
  for p in "${nodes[@]}"; do cpu1=$((cpu1 + $(cpu_ticks "$p"))); done
  local bytes=0
  for i in 1 2 3; do
    b=$(curl -fsS "http://127.0.0.1:1811$i/_layerproxy/metrics" | awk '/^layerproxy_origin_bytes_total/ {print $2}')
    bytes=$(awk -v a="$bytes" -v b="${b:-0}" 'BEGIN {printf "%.0f", a + b}')
  done
  kill "${nodes[@]}"; wait "${nodes[@]}" 2>/dev/null || true
  echo "$mode $(awk -v s="$start" -v e="$end" 'BEGIN {printf "%.2f", e - s}') $bytes $(awk -v t=$((cpu1 - cpu0)) 'BEGIN {printf "%.1f", t / 100}')"
}

results=()
for r in $(seq 1 "$ROUNDS"); do
  for mode in independent fleet; do
    log "round $r: $mode"
    results+=("$(run "$mode" "$r")")
  done
done
echo
echo "| mode | round | seconds until 3 clients had ${SIZE_MB} MiB | MB/s (3 x object / time) | bytes from S3 | x object | proxies' CPU s |"
echo "| --- | --- | --- | --- | --- | --- | --- |"
r=0
for line in "${results[@]}"; do
  set -- $line
  r=$((r + 1))
  awk -v m="$1" -v r="$(( (r + 1) / 2 ))" -v s="$2" -v b="$3" -v c="$4" -v size="$SIZE_MB" 'BEGIN {
    printf "| %s | %d | %s | %.0f | %s | %.2f | %s |\n", m, r, s, 3 * size * 1.048576 / s, b, b / (size * 1048576), c }'
done
