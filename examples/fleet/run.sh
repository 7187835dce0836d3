#!/usr/bin/env bash
# Three layerproxy nodes as one fleet on this machine, behind nginx (round-robin), in front of the demo's local
# S3-compatible server. Each block is read from S3 by one node (its span's owner); the others ask that node.
#
#   examples/fleet/run.sh            # builds the jar if needed; Ctrl-C stops everything
#   curl -s localhost:8080/_layerproxy/status?format=json   # (any node: nginx spreads requests over the three)
#
# Needs: a JDK 17+, Maven, nginx (apt-get install nginx). S3: S3_ENDPOINT and AWS_* from the environment, or by
# default the demo's S3Proxy with its sample objects: run src/demo/run-demo.sh in another terminal first (S3 on
# :8010), then  curl localhost:8080/demo-bucket/data/big.bin -o /dev/null

set -euo pipefail
cd "$(dirname "$0")/../.."
[ -f target/layerproxy.jar ] || mvn -B -q -DskipTests package
WORK=target/fleet-example
mkdir -p "$WORK"
if [ -z "${S3_ENDPOINT:-}" ]; then
  S3_ENDPOINT=http://127.0.0.1:8010
  export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-demo-access-key} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-demo-secret-key}
fi
SECRET=${LAYERPROXY_FLEET_SECRET:-change-me-to-a-long-random-secret}
PIDS=()
trap 'kill "${PIDS[@]}" 2>/dev/null || true; [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true' EXIT

for i in 1 2 3; do
  java -Xmx512m -jar target/layerproxy.jar run \
    --listen 127.0.0.1:801$i --s3-endpoint "$S3_ENDPOINT" --path-style \
    --cache-size 64m --disk-dir "$WORK/disk$i" --disk-size 1g \
    --fleet-peers 127.0.0.1:7801,127.0.0.1:7802,127.0.0.1:7803 --fleet-bind 127.0.0.1:780$i \
    --fleet-secret "$SECRET" > "$WORK/node$i.log" 2>&1 &
  PIDS+=($!)
done

cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $PWD/$WORK/nginx.pid;
error_log $PWD/$WORK/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  upstream layerproxy { server 127.0.0.1:8011; server 127.0.0.1:8012; server 127.0.0.1:8013; keepalive 32; }
  server {
    listen 127.0.0.1:8080;
    location / {
      proxy_pass http://layerproxy;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_buffering off;
      proxy_next_upstream error timeout;
    }
  }
}
CONF
nginx -c "$PWD/$WORK/nginx.conf"
echo "fleet of 3 behind http://127.0.0.1:8080/ (nodes on 8011-8013; logs in $WORK)"
wait
