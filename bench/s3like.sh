#!/usr/bin/env bash
# Cold reads against an S3-like origin: S3Proxy behind bench/SlowLink.java, which holds each request LATENCY_MS
# (S3's first-byte latency) and lets each connection's answers flow at RATE bytes/s (S3 gives one connection about
# 50-100 MB/s and scales with connections). Compares, alternated per round: a client's own single GET through the
# link (curl, as most clients do), nginx proxy_cache in front of the link, and layerproxy (parallel ranged parts,
# the default --origin-parallel 4) and layerproxy with --origin-parallel 1 (one GET). Reports the time and speed of
# a cold 256 MiB read, the median time to first byte of cold 4 KiB objects, and each proxy's CPU per GB served.
#
#   bench/s3like.sh                    # ROUNDS=3 LP_PARALLEL=4 LATENCY_MS=20 RATE=50000000 SIZE_MB=256
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
ROUNDS=${ROUNDS:-3} LP_PARALLEL=${LP_PARALLEL:-4} LATENCY_MS=${LATENCY_MS:-20} RATE=${RATE:-50000000} SIZE_MB=${SIZE_MB:-256} SMALL=${SMALL:-40}
WORK=$PWD/target/bench-s3like
S3_PORT=18210 LINK_PORT=18212 LP_PORT=18209 LP1_PORT=18208 NG_PORT=18211
JAVA_OPTS=${JAVA_OPTS:--Xms1g -Xmx1g -XX:MaxDirectMemorySize=1g}
TARGETS=(direct lp lp1 ng)

need_tools nginx curl
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -f target/layerproxy.jar ] || mvn -B -q -DskipTests package
rm -rf "$WORK" && mkdir -p "$WORK/nginx-cache" "$WORK/nginx-tmp"
fetch_s3proxy "$WORK"
trap cleanup EXIT

start_s3proxy "$WORK" $S3_PORT
PIDS+=($S3PROXY_PID)
ORIGIN=http://127.0.0.1:$S3_PORT
java bench/SlowLink.java $LINK_PORT $S3_PORT "$LATENCY_MS" "$RATE" 2> "$WORK/link.log" &
PIDS+=($!)
await_port $LINK_PORT
LINK=http://127.0.0.1:$LINK_PORT

log "seeding: a ${SIZE_MB} MiB and $SMALL 4 KiB fresh keys per target and round"
curl -fsS -X PUT "$ORIGIN/bench" >/dev/null
head -c $((SIZE_MB << 20)) /dev/urandom > "$WORK/big"
head -c 4096 /dev/urandom > "$WORK/small"
for t in "${TARGETS[@]}"; do for r in warm $(seq 1 "$ROUNDS"); do
  curl -fsS -X PUT --upload-file "$WORK/big" "$ORIGIN/bench/big/$t-$r" -o /dev/null
  [ "$r" = warm ] || seq -f "small/$t-$r-%g" 1 "$SMALL" | xargs -P 8 -I{} curl -fsS -X PUT --upload-file "$WORK/small" "$ORIGIN/bench/{}" -o /dev/null
done; done
seq -f 'warmup/%g' 1 200 | xargs -P 8 -I{} curl -fsS -X PUT --upload-file "$WORK/small" "$ORIGIN/bench/{}" -o /dev/null
cat "$WORK/big" > /dev/null # the origin's page cache holds the bytes for everyone

start_layerproxy() { # PORT PARALLEL NAME
  java $JAVA_OPTS -Dorg.slf4j.simpleLogger.log.io.layerproxy.access=warn -jar target/layerproxy.jar run \
    --listen 127.0.0.1:$1 --s3-endpoint "$LINK" --path-style --buckets bench --max-age 604800 \
    --origin-parallel "$2" --cache-size 256m --disk-dir "$WORK/$3-cache" --disk-size 4g > "$WORK/$3.log" 2>&1 &
  PIDS+=($!)
  eval "${3^^}_PID=$!"
  await_port "$1"
}
log "starting layerproxy (--origin-parallel $LP_PARALLEL and 1) and nginx in front of the link"
start_layerproxy $LP_PORT "$LP_PARALLEL" lp
start_layerproxy $LP1_PORT 1 lp1
sed -e "s#@WORK@#$WORK#g" -e "s#@S3_PORT@#$LINK_PORT#g" -e "s#@NGINX_PORT@#$NG_PORT#g" bench/nginx.conf.template \
  > "$WORK/nginx.conf"
"$NGINX" -c "$WORK/nginx.conf" -p "$WORK" 2>>"$WORK/nginx-error.log"
await_port $NG_PORT
NG_PID=$(cat "$WORK/nginx.pid")
DIRECT_PID=$S3PROXY_PID

base_of() { case $1 in direct) echo "$LINK" ;; lp) echo "http://127.0.0.1:$LP_PORT" ;;
  lp1) echo "http://127.0.0.1:$LP1_PORT" ;; ng) echo "http://127.0.0.1:$NG_PORT" ;; esac; }
pid_of() { case $1 in direct) echo "$DIRECT_PID" ;; lp) echo "$LP_PID" ;; lp1) echo "$LP1_PID" ;; ng) echo "$NG_PID" ;; esac; }

log "warming each path's code on other keys (200 cold 4 KiB misses and one cold ${SIZE_MB} MiB read each)"
for t in "${TARGETS[@]}"; do
  seq -f 'warmup/%g' 1 200 | xargs -P 2 -I{} curl -fsS -o /dev/null "$(base_of "$t")/bench/{}"
  curl -fsS -o /dev/null "$(base_of "$t")/bench/big/$t-warm"
done

RESULTS="$WORK/results.txt"
: > "$RESULTS"
for r in $(seq 1 "$ROUNDS"); do
  for t in "${TARGETS[@]}"; do
    base=$(base_of "$t") pid=$(pid_of "$t")
    cpu0=$(cpu_seconds "$pid")
    read -r seconds bytes < <(curl -fsS -o /dev/null -w '%{time_total} %{size_download}\n' "$base/bench/big/$t-$r")
    cpu1=$(cpu_seconds "$pid")
    ttfb=$(for i in $(seq 1 "$SMALL"); do
        curl -fsS -o /dev/null -w '%{time_starttransfer}\n' "$base/bench/small/$t-$r-$i"
      done | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] * 1000 }')
    cpu_per_gb=$(awk -v a="$cpu0" -v b="$cpu1" -v n="$bytes" 'BEGIN { printf "%.2f", (b - a) / (n / 1e9) }')
    echo "$t $r $seconds $bytes $ttfb $cpu_per_gb" >> "$RESULTS"
    log "round $r $t: ${SIZE_MB} MiB in $seconds s, cold 4 KiB TTFB $ttfb ms, $cpu_per_gb CPU s/GB"
  done
done

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
col() { awk -v t="$1" -v c="$2" '$1 == t { print $c }' "$RESULTS" | median; }
direct_s=$(col direct 3)
{
  echo "| read through | cold ${SIZE_MB} MiB | speed | vs the client's own single GET | cold 4 KiB TTFB (median) | CPU per GB served |"
  echo "| --- | --- | --- | --- | --- | --- |"
  for t in "${TARGETS[@]}"; do
    s=$(col "$t" 3)
    label=$(case $t in direct) echo "direct: one GET (curl)" ;; lp) echo "layerproxy (--origin-parallel $LP_PARALLEL, 8 MiB parts)" ;;
      lp1) echo "layerproxy --origin-parallel 1" ;; ng) echo "nginx proxy_cache" ;; esac)
    cpu=$( [ "$t" = direct ] && echo "(the origin's: $(col "$t" 6) s)" || echo "$(col "$t" 6) s" )
    awk -v l="$label" -v s="$s" -v d="$direct_s" -v n=$((SIZE_MB << 20)) -v tt="$(col "$t" 5)" -v cpu="$cpu" \
      'BEGIN { printf "| %s | %.2f s | %.0f MB/s | %.2fx | %.1f ms | %s |\n", l, s, n / s / 1e6, d / s, tt, cpu }'
  done
  echo
  echo "S3-like origin: S3Proxy $S3PROXY_VERSION behind \`bench/SlowLink.java\` ($LATENCY_MS ms a request, $((RATE / 1000000)) MB/s a"
  echo "connection); \`bench/s3like.sh\` (ROUNDS=$ROUNDS), medians, $(date -u +%Y-%m-%d), $(nproc) cores."
} | tee "$WORK/table.md"
