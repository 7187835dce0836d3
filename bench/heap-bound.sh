#!/usr/bin/env bash
# Heap-bound measurement of layerproxy: a 768 MiB object at -Xmx128m (A) and 100 clients on 20 cold 32 MiB objects
# at -Xmx64m (B), each beside two CPU hogs and with the disk layer on a loop filesystem throttled to 20 MiB/s.
# Needs root (losetup, mount, cgroup v1 blkio) and awscli (multipart uploads). From the repository root:
#   bash bench/heap-bound.sh setup   # build, S3Proxy, objects, throttled loop filesystem
#   bash bench/heap-bound.sh A       # 768 MiB multipart object, cold then warm, -Xmx128m, CPU hog + slow disk
#   bash bench/heap-bound.sh B       # 100 clients x 20 cold 32 MiB objects, -Xmx64m, CPU hog + slow disk
#   EXTRA_JVM=-XX:MaxDirectMemorySize=192m bash bench/heap-bound.sh B   # diagnostic variant of B
#   bash bench/heap-bound.sh cleanup
# Disk slowing used: cgroup v2 io.max is not available here (the v2 hierarchy has no io controller, blkio is
# bound to cgroup v1, systemd is not PID 1) and device-mapper is not in the kernel, so the loop device is
# throttled with cgroup v1 blkio.throttle.{read,write}_bps_device in the root blkio cgroup (all I/O to the
# loop device, writeback included) plus a per-device strict dirty limit, so buffered writes feel it.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
R=${WORK:-$ROOT/target/heap-bound}; mkdir -p "$R"
S3_PORT=8020
PROXY_PORT=8019
BPS=${BPS:-20971520}          # 20 MiB/s read and write on the loop device
export AWS_ACCESS_KEY_ID=demo-access-key AWS_SECRET_ACCESS_KEY=demo-secret-key AWS_EC2_METADATA_DISABLED=true
export AWS_DEFAULT_REGION=us-east-1
S3="aws --no-progress --endpoint-url http://127.0.0.1:${S3_PORT} s3"

loopdev() { losetup -j $R/disk.img | cut -d: -f1; }

hog_start() { for _ in 1 2; do sh -c 'while :; do :; done' & echo $! >> $R/hog.pids; done; }
hog_stop() { [ -f $R/hog.pids ] && while read -r p; do kill "$p" 2>/dev/null; done < $R/hog.pids; rm -f $R/hog.pids; }

proxy_start() { # XMX DISKDIR GCLOG LOG
  java -Xmx$1 ${EXTRA_JVM:-} -Xlog:gc*:file=$3 -jar $ROOT/target/layerproxy.jar run \
    --s3-endpoint http://127.0.0.1:${S3_PORT} --path-style --disk-dir "$2" \
    --cache-size 33554432 --disk-size 2000000000 --listen 127.0.0.1:${PROXY_PORT} > "$4" 2>&1 &
  echo $! > $R/proxy.pid
  for _ in $(seq 1 150); do curl -s -o /dev/null http://127.0.0.1:${PROXY_PORT}/_layerproxy/metrics && return 0; sleep 0.2; done
  echo "proxy did not start"; tail -50 "$4"; return 1
}
proxy_stop() {
  [ -f $R/proxy.pid ] || return 0; p=$(cat $R/proxy.pid); kill "$p" 2>/dev/null
  for _ in $(seq 1 40); do kill -0 "$p" 2>/dev/null || break; sleep 1; done
  kill -9 "$p" 2>/dev/null; rm -f $R/proxy.pid
}

gc_peaks() { # GCLOG: max before-GC and after-GC heap (the "A->B(C)" of each "Pause" line), all pauses and
  # only the collecting ones (Young/Full: Remark and Cleanup do not evacuate, their "after" is not after a GC)
  for sel in 'Pause' 'Pause (Young|Full)'; do
    grep -E "$sel" "$1" | grep -oE '[0-9]+M->[0-9]+M\([0-9]+M\)' | awk -F'[M>(-]+' -v sel="$sel" \
      '{ if ($1>b) b=$1; if ($2>a) a=$2; n++ } END { printf "%s: %d pauses, max before-GC %dM, max after-GC %dM\n", sel, n, b, a }'
  done
  echo "Full GCs (System.gc() = direct-memory reservation retries): $(grep -cE 'Pause Full.*M->' "$1")"
}

watchdog() { # LOG: thread dump + log tail if the proxy is still busy after 300 s (called in background)
  for _ in $(seq 1 300); do sleep 1; done; p=$(cat $R/proxy.pid 2>/dev/null) || return
  echo "WATCHDOG: still running after 300 s, thread dump in $R/jstack-*.txt" >&2
  jstack "$p" > $R/jstack-$(date +%s).txt 2>&1; tail -50 "$1" > $R/log-tail-$(date +%s).txt
}

case "${1:-}" in
setup)
  command -v aws >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq awscli >/dev/null; }
  mvn -B -q -DskipTests package
  [ -f $R/s3proxy-4.1.0-jar-with-dependencies.jar ] || mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
    -Dartifact=org.gaul:s3proxy:4.1.0:jar:jar-with-dependencies -DoutputDirectory=$R
  mkdir -p $R/s3data $R/mnt
  cat > $R/s3proxy.conf <<CONF
s3proxy.endpoint=http://127.0.0.1:${S3_PORT}
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=${AWS_ACCESS_KEY_ID}
s3proxy.credential=${AWS_SECRET_ACCESS_KEY}
jclouds.provider=filesystem-nio2
jclouds.identity=demo
jclouds.credential=demo
jclouds.filesystem.basedir=$R/s3data
CONF
  java -jar $R/s3proxy-4.1.0-jar-with-dependencies.jar --properties $R/s3proxy.conf > $R/s3proxy.log 2>&1 &
  echo $! > $R/s3proxy.pid
  for _ in $(seq 1 100); do (exec 3<>/dev/tcp/127.0.0.1/${S3_PORT}) 2>/dev/null && break; sleep 0.2; done
  $S3 mb s3://bucket
  [ -f $R/big.bin ] || head -c $((768*1024*1024)) /dev/urandom > $R/big.bin
  $S3 cp $R/big.bin s3://bucket/big.bin            # multipart (8 MiB parts): ETag "...-96"
  for i in $(seq -w 1 20); do
    [ -f $R/obj$i.bin ] || head -c $((32*1024*1024)) /dev/urandom > $R/obj$i.bin
    $S3 cp $R/obj$i.bin s3://bucket/obj$i.bin
  done
  sha256sum $R/big.bin $R/obj*.bin > $R/sha256.txt
  # slow filesystem for --disk-dir: 3 GiB ext4 on a loop device, throttled
  [ -f $R/disk.img ] || { truncate -s 3G $R/disk.img && mkfs.ext4 -q -F $R/disk.img; }
  L=$(loopdev); [ -n "$L" ] || L=$(losetup -f --show $R/disk.img)
  mountpoint -q $R/mnt || mount "$L" $R/mnt
  MM=$(cat /sys/block/${L#/dev/}/dev)
  echo "$MM $BPS" > /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device
  echo "$MM $BPS" > /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device
  echo 1 > /sys/class/bdi/$MM/strict_limit
  echo 67108864 > /sys/class/bdi/$MM/max_bytes
  dd if=/dev/zero of=$R/mnt/ddtest bs=1M count=128 2>&1 | tail -1; rm -f $R/mnt/ddtest   # expect ~20 MB/s
  ;;
A)
  D=$R/mnt/diskA; rm -rf $D; mkdir -p $D; rm -f gcA.log; sync; echo 3 > /proc/sys/vm/drop_caches
  hog_start
  proxy_start 128m $D $R/gcA.log $R/proxyA.log || { hog_stop; exit 1; }
  want=$(grep big.bin $R/sha256.txt | cut -d' ' -f1)
  for pass in cold warm warm-nopagecache; do
    # the last pass drops the page cache first, so the disk layer's reads really go to the throttled device
    [ $pass = warm-nopagecache ] && { sync; echo 3 > /proc/sys/vm/drop_caches; }
    watchdog $R/proxyA.log & W=$!
    t0=$(date +%s.%N)
    got=$(curl -s -D $R/A-$pass.headers http://127.0.0.1:${PROXY_PORT}/bucket/big.bin | sha256sum | cut -d' ' -f1)
    t1=$(date +%s.%N); kill $W 2>/dev/null
    echo "A $pass: $(awk "BEGIN{printf \"%.1f\", $t1-$t0}") s, sha $([ "$got" = "$want" ] && echo ok || echo "WRONG $got")," \
      "$(grep -iE '^(HTTP|x-cache|etag)' $R/A-$pass.headers | tr -d '\r' | tr '\n' ' ')"
  done
  curl -s http://127.0.0.1:${PROXY_PORT}/_layerproxy/metrics | grep -E '^layerproxy_(buffer|store)_' > $R/metricsA.txt
  cat $R/metricsA.txt
  hog_stop; proxy_stop
  grep -cE 'OutOfMemoryError' $R/proxyA.log | sed 's/^/OOM lines: /'
  grep -E 'WARN|ERROR|Exception' $R/proxyA.log | head -20
  gc_peaks $R/gcA.log
  ;;
B)
  D=$R/mnt/diskB; rm -rf $D $R/mnt/diskA; mkdir -p $D; rm -f gcB.log $R/B-* $R/jstack-* $R/log-tail-*
  sync; echo 3 > /proc/sys/vm/drop_caches
  hog_start
  proxy_start 64m $D $R/gcB.log $R/proxyB.log || { hog_stop; exit 1; }
  watchdog $R/proxyB.log & W=$!
  # on the first OutOfMemoryError in the log: a thread dump and the log's last 50 lines, while clients still run
  ( for _ in $(seq 1 600); do
      grep -q OutOfMemoryError $R/proxyB.log && { sleep 1; jstack "$(cat $R/proxy.pid)" > $R/B-jstack-at-oom.txt 2>&1
        tail -50 $R/proxyB.log > $R/B-log-tail-at-oom.txt; break; }
      sleep 0.5; done ) & M=$!
  t0=$(date +%s.%N)
  for c in 1 2 3 4 5; do for i in $(seq -w 1 20); do echo "$i $c"; done; done |
    xargs -P 100 -L 1 sh -c 'curl -s -D '$R'/B-$0-$1.hdr -w "%{stderr}%{http_code} %{size_download} %{exitcode}" \
      http://127.0.0.1:'${PROXY_PORT}'/bucket/obj$0.bin 2>'$R'/B-$0-$1.w | sha256sum | cut -d" " -f1 > '$R'/B-$0-$1.out'
  t1=$(date +%s.%N); kill $W $M 2>/dev/null
  echo "B wall: $(awk "BEGIN{printf \"%.1f\", $t1-$t0}") s"
  ok=0; bad=0; non200=0
  for f in $R/B-*.out; do
    n=$(basename $f .out); i=$(echo $n | cut -d- -f2); want=$(grep "obj$i.bin" $R/sha256.txt | cut -d' ' -f1)
    read -r code size rc < $R/$n.w
    [ "$(cat $f)" = "$want" ] && ok=$((ok+1)) || { bad=$((bad+1)); echo "wrong: $n status $code, $size of 33554432 bytes, curl exit $rc"; }
    [ "$code" = 200 ] || non200=$((non200+1))
  done > $R/B-wrong.txt
  echo "B: responses $(ls $R/B-*.out | wc -l), sha ok $(grep -c . $R/B-wrong.txt | awk -v t=$(ls $R/B-*.out | wc -l) '{print t-$1}'), sha wrong $(grep -c . $R/B-wrong.txt)"
  echo "status codes: $(for f in $R/B-*.w; do cat $f; echo; done | cut -d' ' -f1 | sort | uniq -c | tr '\n' ' ')"
  echo "curl exit codes: $(for f in $R/B-*.w; do cat $f; echo; done | cut -d' ' -f3 | sort | uniq -c | tr '\n' ' ')"
  head -5 $R/B-wrong.txt
  jstack "$(cat $R/proxy.pid)" > $R/B-jstack-end.txt 2>&1
  curl -s http://127.0.0.1:${PROXY_PORT}/_layerproxy/metrics | grep -E '^layerproxy_(buffer|store)_' > $R/metricsB.txt
  cat $R/metricsB.txt
  hog_stop; proxy_stop
  tail -50 $R/proxyB.log > $R/B-log-tail-end.txt
  echo "OOM lines: $(grep -c OutOfMemoryError $R/proxyB.log)"; grep OutOfMemoryError $R/proxyB.log | head -2
  echo "WARN/ERROR lines: $(grep -cE ' (WARN|ERROR) ' $R/proxyB.log)"
  grep -E ' (WARN|ERROR) ' $R/proxyB.log | sed -E 's/^[^ ]+ //' | cut -c1-110 | sed -E 's#/bucket/obj[0-9]+#/bucket/objNN#' | sort | uniq -c
  echo "access-logged (completed) requests: $(grep -c ' access ' $R/proxyB.log)"
  gc_peaks $R/gcB.log
  ;;
cleanup)
  hog_stop; proxy_stop
  [ -f $R/s3proxy.pid ] && kill "$(cat $R/s3proxy.pid)" 2>/dev/null; rm -f $R/s3proxy.pid
  L=$(loopdev)
  if [ -n "$L" ]; then
    MM=$(cat /sys/block/${L#/dev/}/dev)
    echo "$MM 0" > /sys/fs/cgroup/blkio/blkio.throttle.write_bps_device
    echo "$MM 0" > /sys/fs/cgroup/blkio/blkio.throttle.read_bps_device
    echo 0 > /sys/class/bdi/$MM/strict_limit; echo 100 > /sys/class/bdi/$MM/max_ratio
  fi
  mountpoint -q $R/mnt && umount $R/mnt
  [ -n "$L" ] && losetup -d "$L"
  rm -f $R/disk.img
  ;;
*) echo "usage: $0 setup|A|B|cleanup"; exit 2 ;;
esac
