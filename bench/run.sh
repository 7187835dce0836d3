#!/usr/bin/env bash
# layerproxy against nginx proxy_cache, side by side on this machine, in one run. Installs what it needs (apt:
# nginx, wrk, curl), starts one S3Proxy (filesystem backend, anonymous reads) as the origin, layerproxy standalone
# and nginx with proxy_cache + proxy_cache_lock in front of it, warms both, then runs each case in alternation
# (A B A B ...) and prints medians and the ratio layerproxy/nginx; writes the table to BENCHMARKS.md.
#
#   bench/run.sh                      # 3 rounds of 10 s per case (about 15 minutes)
#   ROUNDS=5 RUN_SECONDS=20 bench/run.sh
#   WARMUP_RUNS=1 STREAM_WARMUP=0 bench/run.sh   # the warm-up of runs 1-10
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
ROOT=$PWD
ROUNDS=${ROUNDS:-3}
RUN_SECONDS=${RUN_SECONDS:-10}
WORK=$ROOT/target/bench
S3_PORT=18010 LP_PORT=18009 NG_PORT=18011
JAVA_OPTS=${JAVA_OPTS:--Xms1g -Xmx1g -XX:MaxDirectMemorySize=1g -XX:G1HeapRegionSize=4m}
SMALL_KEYS=2000 LARGE_KEYS=64 DISK_KEYS=128 COLD_PER_RUN=200 COLD_WARMUP=2000
# unrecorded runs before each case is measured: wrk runs per target, cold 128 MiB streams per cache (the JVM is
# still compiling a path after one run: runs 9 and 10 rose round by round with one)
WARMUP_RUNS=${WARMUP_RUNS:-2} STREAM_WARMUP=${STREAM_WARMUP:-3}
COMMAND="bench/run.sh (ROUNDS=$ROUNDS RUN_SECONDS=$RUN_SECONDS)"

# --- what the run needs ---------------------------------------------------------------------------------------
need_tools nginx wrk curl
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

log "building target/layerproxy.jar"
mvn -B -q -DskipTests package
fetch_s3proxy "$WORK"

trap cleanup EXIT

rm -rf "$WORK/s3data" "$WORK/lp-cache" "$WORK/nginx-cache" "$WORK/nginx-tmp" "$WORK"/*.log
mkdir -p "$WORK/s3data" "$WORK/lp-cache" "$WORK/nginx-cache" "$WORK/nginx-tmp" "$WORK/seed"

# --- the origin -------------------------------------------------------------------------------------------------
start_s3proxy "$WORK" $S3_PORT
PIDS+=($S3PROXY_PID)
ORIGIN=http://127.0.0.1:$S3_PORT

log "seeding s3://bench (S3Proxy, filesystem backend)"
head -c 4096 /dev/urandom > "$WORK/seed/4k"
head -c 1048576 /dev/urandom > "$WORK/seed/1m"
head -c $((128 << 20)) /dev/urandom > "$WORK/seed/128m"
head -c $((64 << 20)) /dev/urandom > "$WORK/seed/64m"
curl -fsS -X PUT "$ORIGIN/bench" >/dev/null
put_many() { # FILE KEY... (8 at a time)
  local file=$1; shift
  printf '%s\n' "$@" | xargs -P 8 -I{} curl -fsS -X PUT --upload-file "$file" "$ORIGIN/bench/{}" -o /dev/null
}
# distinct bytes per small key would not change a cache's work; one payload keeps seeding fast
put_many "$WORK/seed/4k" $(seq -f 'small/%g' 0 $((SMALL_KEYS - 1)))
put_many "$WORK/seed/1m" $(seq -f 'large/%g' 0 $((LARGE_KEYS - 1))) $(seq -f 'disk/%g' 0 $((DISK_KEYS - 1)))
cold_keys=()
for t in direct lp ng; do for r in $(seq 1 "$ROUNDS"); do
  cold_keys+=($(seq -f "cold/$t-$r-%g" 1 $COLD_PER_RUN))
done; done
put_many "$WORK/seed/4k" "${cold_keys[@]}" $(seq -f 'warmup/%g' 1 $COLD_WARMUP)
put_many "$WORK/seed/128m" $(for t in direct lp ng; do seq -f "stream/$t-%g" 1 "$ROUNDS"; done) \
  $(for t in lp ng; do seq -f "stream/warm-$t-%g" 1 "$STREAM_WARMUP"; done)
put_many "$WORK/seed/64m" herd/lp herd/ng

# --- the two caches ---------------------------------------------------------------------------------------------
start_layerproxy() { # CACHE_SIZE
  java $JAVA_OPTS -Dorg.slf4j.simpleLogger.log.io.layerproxy.access=warn -jar target/layerproxy.jar run \
    --listen 127.0.0.1:$LP_PORT --s3-endpoint "$ORIGIN" --path-style --buckets bench --max-age 604800 \
    --cache-size "$1" --disk-dir "$WORK/lp-cache" --disk-size 4g > "$WORK/layerproxy.log" 2>&1 &
  LP_PID=$!
  PIDS+=($LP_PID)
  await_port $LP_PORT
}
stop_layerproxy() { kill "$LP_PID"; wait "$LP_PID" 2>/dev/null || true; }
sed -e "s#@WORK@#$WORK#g" -e "s#@S3_PORT@#$S3_PORT#g" -e "s#@NGINX_PORT@#$NG_PORT#g" bench/nginx.conf.template \
  > "$WORK/nginx.conf"
start_nginx() {
  "$NGINX" -c "$WORK/nginx.conf" -p "$WORK" 2>>"$WORK/nginx-error.log"; await_port $NG_PORT
  NG_PID=$(cat "$WORK/nginx.pid")
}
stop_nginx() { "$NGINX" -c "$WORK/nginx.conf" -p "$WORK" -s quit; for _ in $(seq 1 100); do [ -f "$WORK/nginx.pid" ] || break; sleep 0.1; done; }

log "starting layerproxy ($JAVA_OPTS, --cache-size 512m) and nginx on 127.0.0.1:$LP_PORT and :$NG_PORT"
start_layerproxy 512m
start_nginx
LP=http://127.0.0.1:$LP_PORT NG=http://127.0.0.1:$NG_PORT

warm() { # BASE PREFIX COUNT: every key once, 8 at a time
  seq -f "$2%g" 0 $(($3 - 1)) | xargs -P 8 -I{} curl -fsS "$1/bench/{}" -o /dev/null
}
log "warming both"
for base in $LP $NG; do
  warm "$base" small/ $SMALL_KEYS; warm "$base" large/ $LARGE_KEYS; warm "$base" disk/ $DISK_KEYS
done

# --- measuring --------------------------------------------------------------------------------------------------
RESULTS="$WORK/results.txt"
: > "$RESULTS"
record() { echo "$1 $2 $3" >> "$RESULTS"; } # CASE TARGET VALUE
pid_of() { case $1 in lp) echo "$LP_PID" ;; ng) echo "$NG_PID" ;; direct) echo "$S3PROXY_PID" ;; esac; }
cpu_per_gb() { awk -v a="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.2f", (b - a) / (n / 1e9); else print 0 }'; }

wrk_case() { # CASE CONNECTIONS PREFIX KEYS METRIC(rps|bytes_per_s)
  local name=$1 conns=$2 prefix=$3 keys=$4 metric=$5
  # unrecorded runs each first: the JVM compiles its hot path, both caches hold every key
  for _ in $(seq 1 "$WARMUP_RUNS"); do for base in $LP $NG; do
    KEYS=$keys PREFIX="/bench/$prefix" wrk -t2 -c"$conns" -d"${RUN_SECONDS}s" -s bench/zipf.lua "$base" >/dev/null
  done; done
  for r in $(seq 1 "$ROUNDS"); do
    for t in lp ng; do
      local base=$LP; [ $t = ng ] && base=$NG
      local line cpu0 cpu1 bytes
      cpu0=$(cpu_seconds "$(pid_of $t)")
      line=$(KEYS=$keys PREFIX="/bench/$prefix" wrk -t2 -c"$conns" -d"${RUN_SECONDS}s" -s bench/zipf.lua "$base" \
        | grep '^RESULT')
      cpu1=$(cpu_seconds "$(pid_of $t)")
      record "$name" $t "$(sed -E "s/.*$metric=([0-9.]+).*/\1/" <<<"$line")"
      bytes=$(sed -E "s/.*bytes_per_s=([0-9.]+).*/\1/" <<<"$line" | awk -v s="$RUN_SECONDS" '{ printf "%.0f", $1 * s }')
      record "${name}_cpu" $t "$(cpu_per_gb "$cpu0" "$cpu1" "$bytes")"
      log "$name round $r $t: $line, $(cpu_per_gb "$cpu0" "$cpu1" "$bytes") CPU s/GB"
    done
  done
}

ttfb_case() { # median time to first byte over fresh keys, per target and round
  # unrecorded first, as for the wrk cases: misses on other fresh keys, so the JVM has compiled its miss path
  # (a proxy that has run for a minute has); nginx and direct get the same, as they do before wrk cases
  for base in $ORIGIN $LP $NG; do
    seq -f 'warmup/%g' 1 $COLD_WARMUP | xargs -P 2 -I{} curl -fsS -o /dev/null "$base/bench/{}"
  done
  for r in $(seq 1 "$ROUNDS"); do
    for t in direct lp ng; do
      local base=$ORIGIN; [ $t = lp ] && base=$LP; [ $t = ng ] && base=$NG
      local median
      median=$(for i in $(seq 1 $COLD_PER_RUN); do
          curl -fsS -o /dev/null -w '%{time_starttransfer}\n' "$base/bench/cold/$t-$r-$i"
        done | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] * 1000 }')
      record cold_ttfb_ms $t "$median"
      log "cold TTFB round $r $t: ${median} ms"
    done
  done
}

stream_case() { # one fresh 128 MiB object per target and round, bytes/s
  # unrecorded cold streams first, as for the other cases: the proxy's stream path compiled, both caches' disks
  # in the state a cache that has run for a while is in
  for t in lp ng; do
    local base=$LP; [ $t = ng ] && base=$NG
    for i in $(seq 1 "$STREAM_WARMUP"); do
      start_alike "$WORK/s3data/bench/stream/warm-$t-$i"
      curl -fsS -o /dev/null "$base/bench/stream/warm-$t-$i"
    done
  done
  for r in $(seq 1 "$ROUNDS"); do
    for t in direct lp ng; do
      local base=$ORIGIN; [ $t = lp ] && base=$LP; [ $t = ng ] && base=$NG
      local speed cpu0 cpu1
      start_alike "$WORK/s3data/bench/stream/$t-$r"
      cpu0=$(cpu_seconds "$(pid_of $t)")
      speed=$(curl -fsS -o /dev/null -w '%{speed_download}' "$base/bench/stream/$t-$r")
      cpu1=$(cpu_seconds "$(pid_of $t)")
      record cold_stream_bytes_per_s $t "$speed"
      record cold_stream_bytes_per_s_cpu $t "$(cpu_per_gb "$cpu0" "$cpu1" $((128 << 20)))"
      log "cold 128 MiB stream round $r $t: $speed B/s, $(cpu_per_gb "$cpu0" "$cpu1" $((128 << 20))) CPU s/GB"
    done
  done
}

lp_metric() { curl -fsS "$LP/_layerproxy/metrics" | awk -v m="$1" 'index($0, m) == 1 { s += $NF } END { print s + 0 }'; }

herd_case() { # 64 clients at once on one cold 64 MiB object
  local gets0 bytes0 sizes
  gets0=$(lp_metric 'layerproxy_origin_requests_seconds_count{operation="get"')
  bytes0=$(lp_metric 'layerproxy_origin_bytes_total')
  sizes=$(seq 1 64 | xargs -P 64 -I{} curl -fsS -o /dev/null -w '%{size_download}\n' "$LP/bench/herd/lp" | sort -u)
  HERD_LP_GETS=$(( $(lp_metric 'layerproxy_origin_requests_seconds_count{operation="get"') - gets0 ))
  HERD_LP_BYTES=$(( $(lp_metric 'layerproxy_origin_bytes_total') - bytes0 ))
  HERD_LP_SIZES=$sizes
  sizes=$(seq 1 64 | xargs -P 64 -I{} curl -fsS -o /dev/null -w '%{size_download}\n' "$NG/bench/herd/ng" | sort -u)
  sleep 1 # nginx writes its log lines as requests end
  HERD_NG_GETS=$(awk '$3 > 0' "$WORK/nginx-access.log" | wc -l)
  HERD_NG_BYTES=$(awk '{ s += $3 } END { print s + 0 }' "$WORK/nginx-access.log")
  HERD_NG_SIZES=$sizes
  log "herd: layerproxy $HERD_LP_GETS origin GETs, $HERD_LP_BYTES bytes; nginx $HERD_NG_GETS, $HERD_NG_BYTES bytes"
}

log "hot 4 KiB objects ($SMALL_KEYS keys, Zipf), wrk -c64"
wrk_case hot_4k_rps 64 small/ $SMALL_KEYS rps
log "hot 1 MiB objects ($LARGE_KEYS keys, Zipf), wrk -c16"
wrk_case hot_1m_bytes_per_s 16 large/ $LARGE_KEYS bytes_per_s
log "cold misses: time to first byte, $COLD_PER_RUN fresh 4 KiB keys per run"
ttfb_case
log "cold misses: a fresh 128 MiB object per run"
stream_case
log "64 clients on one cold 64 MiB object"
herd_case

log "restarting both: layerproxy with a 16 MiB memory layer, so most hits come from its disk layer"
stop_layerproxy; stop_nginx
start_layerproxy 16m
start_nginx
disk_layer=$(curl -fsS -o /dev/null -D - "$LP/bench/disk/0" | tr -d '\r' | awk -F': ' 'tolower($1) == "x-cache-layer" { print $2 }')
log "disk-tier hits ($DISK_KEYS x 1 MiB keys, Zipf), wrk -c16; the first read after the restart came from: $disk_layer"
wrk_case disk_1m_bytes_per_s 16 disk/ $DISK_KEYS bytes_per_s
from_disk=$(lp_metric 'layerproxy_served_bytes_total{layer="disk"}')
from_memory=$(lp_metric 'layerproxy_served_bytes_total{layer="memory"}')
disk_share=$(awk -v d="$from_disk" -v m="$from_memory" 'BEGIN { if (d + m > 0) printf "%.0f%%", 100 * d / (d + m); else print "n/a" }')

# --- the report -------------------------------------------------------------------------------------------------
median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print (NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2) }'; }
value() { awk -v c="$1" -v t="$2" '$1 == c && $2 == t { print $3 }' "$RESULTS" | median; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }'; }
# each round's layerproxy / nginx, in round order: how much the median hides
round_ratios() { # CASE
  awk -v c="$1" '$1 == c && $2 == "lp" { lp[++n] = $3 } $1 == c && $2 == "ng" { ng[++m] = $3 }
    END { for (i = 1; i <= n && i <= m; i++) printf "%s%.2f", (i > 1 ? ", " : ""), (ng[i] > 0 ? lp[i] / ng[i] : 0) }' "$RESULTS"
}
fmt() { # VALUE UNIT
  case $2 in
    rps) awk -v v="$1" 'BEGIN { printf "%.0f req/s", v }' ;;
    bps) awk -v v="$1" 'BEGIN { printf "%.0f MB/s", v / 1e6 }' ;;
    ms) awk -v v="$1" 'BEGIN { printf "%.2f ms", v }' ;;
  esac
}
row() { # LABEL CASE UNIT TARGET
  local lp ng direct cpu
  lp=$(value "$2" lp); ng=$(value "$2" ng); direct=$(value "$2" direct)
  cpu=$( [ -n "$(value "$2_cpu" lp)" ] && echo "$(value "$2_cpu" lp) / $(value "$2_cpu" ng)" || echo -)
  printf '| %s | %s | %s | %s | %s | %s | %s |\n' "$1" "$(fmt "$lp" "$3")" "$(fmt "$ng" "$3")" \
    "$( [ -n "$direct" ] && fmt "$direct" "$3" || echo -)" "$(ratio "$lp" "$ng") ($(round_ratios "$2"))" "$cpu" "$4"
}
java_version=$(java -version 2>&1 | head -n 1)
nginx_version=$("$NGINX" -v 2>&1)
wrk_version=$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2 || true)
cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
{
  echo "# Benchmarks: layerproxy vs nginx proxy_cache"
  echo
  echo "Measured $(date -u +%Y-%m-%d) on this machine ($(nproc) cores, $cpu, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM),"
  echo "with \`$COMMAND\`: one S3Proxy $S3PROXY_VERSION (filesystem backend) as the origin; layerproxy"
  echo "(\`java $JAVA_OPTS -jar target/layerproxy.jar\`, $java_version) and $nginx_version (proxy_cache on disk,"
  echo "sendfile, proxy_cache_lock, upstream keepalive) in front of it; $wrk_version on the same 2 cores."
  echo "Each case ran $ROUNDS times per target, alternating (layerproxy, nginx, layerproxy, ...); the table shows"
  echo "medians, after $WARMUP_RUNS unrecorded warm-up runs per target (JIT, caches full; for cold TTFB, $COLD_WARMUP misses"
  echo "on other fresh keys; for cold streams, $STREAM_WARMUP streams of other fresh keys). Access logs off for both; both"
  echo "trust cached metadata for 7 days (nginx \`proxy_cache_valid 200 7d\`, layerproxy \`--max-age 604800\`)."
  echo "Ratio = layerproxy / nginx (for TTFB, lower is better). CPU: the serving process's user + system time"
  echo "(nginx: master and workers) from /proc over each recorded run, per GB of bodies served."
  echo "Each cold stream starts alike: the origin's file read into the page cache, then \`sync\`."
  echo
  echo "| case | layerproxy | nginx | direct from origin | ratio (per round) | CPU s per GB served (layerproxy / nginx) | target |"
  echo "| --- | --- | --- | --- | --- | --- | --- |"
  row "hot 4 KiB hits ($SMALL_KEYS keys, Zipf, 64 connections)" hot_4k_rps rps "≥ 0.8 (goal 1.0)"
  row "hot 1 MiB hits ($LARGE_KEYS keys, Zipf, 16 connections)" hot_1m_bytes_per_s bps "≥ 1.0"
  row "disk-tier hits after restart ($DISK_KEYS x 1 MiB, 16 MiB memory layer: $disk_share of layerproxy's bytes from disk)" disk_1m_bytes_per_s bps "≥ 0.8"
  row "cold miss, median time to first byte (4 KiB)" cold_ttfb_ms ms "within 1 ms of direct"
  row "cold miss, 128 MiB stream" cold_stream_bytes_per_s bps "≥ 1.0"
  echo
  echo "64 clients at once on one cold 64 MiB object:"
  echo
  echo "| | origin GETs | bytes from origin | body sizes the 64 clients got |"
  echo "| --- | --- | --- | --- |"
  echo "| layerproxy (8 MiB parts) | $HERD_LP_GETS | $HERD_LP_BYTES | $(echo $HERD_LP_SIZES) |"
  echo "| nginx (proxy_cache_lock) | $HERD_NG_GETS | $HERD_NG_BYTES | $(echo $HERD_NG_SIZES) |"
  echo
  echo "Raw samples (case target value) are in \`target/bench/results.txt\` after a run; every run's medians are"
  echo "appended to \`bench/history.tsv\`, plotted below (\`bench/plot.sh\`)."
  echo
  echo "![layerproxy / nginx per case, run by run](bench/ratios.png)"
  echo
} > "$WORK/report.md"

# the history: one line per case, this run's medians; the report replaces BENCHMARKS.md's top, the sections kept
commit=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)
for c in hot_4k_rps hot_1m_bytes_per_s disk_1m_bytes_per_s cold_ttfb_ms cold_stream_bytes_per_s; do
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M)" "$commit" "$(nproc)" "$c" \
    "$(value $c lp)" "$(value $c ng)" "$(value $c direct)" "$(ratio "$(value $c lp)" "$(value $c ng)")" >> bench/history.tsv
done
{ cat "$WORK/report.md"; awk 'found || /^## / { found = 1; print }' BENCHMARKS.md; } > "$WORK/BENCHMARKS.md"
mv "$WORK/BENCHMARKS.md" BENCHMARKS.md
bench/plot.sh || log "no plot: $?"
cat "$WORK/report.md"
