#!/usr/bin/env bash
# The embedded default: builds layerproxy, starts a local S3-compatible server (S3Proxy from Maven Central,
# filesystem backend, loopback only) with a few sample objects, and runs layerproxy in front of it.
# Needs only a JDK 17+ and Maven. Ctrl-C stops both.
set -euo pipefail
cd "$(dirname "$0")/../.."

S3PROXY_VERSION=4.1.0
S3_PORT=${DEMO_S3_PORT:-8010}
PROXY_PORT=${DEMO_PROXY_PORT:-8009}
DEMO=target/demo
BUCKET=demo-bucket

echo "==> building target/layerproxy.jar"
mvn -B -q -DskipTests package

echo "==> fetching S3Proxy ${S3PROXY_VERSION} from Maven Central"
mvn -B -q org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy \
  -Dartifact=org.gaul:s3proxy:${S3PROXY_VERSION}:jar:jar-with-dependencies -DoutputDirectory=${DEMO}
rm -rf ${DEMO}/s3data && mkdir -p ${DEMO}/s3data ${DEMO}/cache
cat > ${DEMO}/s3proxy.conf <<CONF
s3proxy.endpoint=http://127.0.0.1:${S3_PORT}
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=demo-access-key
s3proxy.credential=demo-secret-key
jclouds.provider=filesystem-nio2
jclouds.identity=demo
jclouds.credential=demo
jclouds.filesystem.basedir=${PWD}/${DEMO}/s3data
CONF

java -jar ${DEMO}/s3proxy-${S3PROXY_VERSION}-jar-with-dependencies.jar --properties ${DEMO}/s3proxy.conf \
  > ${DEMO}/s3proxy.log 2>&1 &
S3PROXY_PID=$!
trap 'kill ${S3PROXY_PID} 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  (exec 3<>/dev/tcp/127.0.0.1/${S3_PORT}) 2>/dev/null && break
  sleep 0.2
done

# the demo's credentials, for S3Proxy and for layerproxy (the SDK's default chain never probes the network)
export AWS_ACCESS_KEY_ID=demo-access-key AWS_SECRET_ACCESS_KEY=demo-secret-key AWS_EC2_METADATA_DISABLED=true

echo "==> seeding s3://${BUCKET}"
printf '<!doctype html><h1>Hello from layerproxy</h1>\n' > ${DEMO}/index.html
printf 'hello, world\n' > ${DEMO}/hello.txt
[ -f ${DEMO}/big.bin ] || head -c 5000000 /dev/urandom > ${DEMO}/big.bin  # kept: same ETag on every run
s3put() { # PATH [FILE [CONTENT-TYPE]]: a SigV4-signed PUT, as any S3 client sends it
  curl -fsS --aws-sigv4 "aws:amz:us-east-1:s3" --user "${AWS_ACCESS_KEY_ID}:${AWS_SECRET_ACCESS_KEY}" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" \
    -X PUT ${3:+-H "Content-Type: $3"} ${2:+--upload-file "$2"} "http://127.0.0.1:${S3_PORT}/$1" > /dev/null
}
s3put ${BUCKET}
s3put ${BUCKET}/index.html ${DEMO}/index.html text/html
s3put ${BUCKET}/docs/hello.txt ${DEMO}/hello.txt text/plain
s3put ${BUCKET}/data/big.bin ${DEMO}/big.bin application/octet-stream

cat <<TXT

==> layerproxy on http://localhost:${PROXY_PORT}/ in front of S3Proxy on 127.0.0.1:${S3_PORT}. Try, in another shell:

  curl -i http://localhost:${PROXY_PORT}/${BUCKET}/index.html        # X-Cache: MISS, X-Cache-Layer: origin
  curl -i http://localhost:${PROXY_PORT}/${BUCKET}/index.html        # X-Cache: HIT,  X-Cache-Layer: memory
  curl -I http://localhost:${PROXY_PORT}/${BUCKET}/docs/hello.txt    # HEAD: headers only
  curl -s http://localhost:${PROXY_PORT}/${BUCKET}/data/big.bin | sha256sum; sha256sum ${DEMO}/big.bin
  curl -i http://localhost:${PROXY_PORT}/${BUCKET}/no-such-key       # 404

Restart this script and the objects come from disk (X-Cache-Layer: disk). Ctrl-C stops both servers.

TXT
java -jar target/layerproxy.jar run --listen 127.0.0.1:${PROXY_PORT} \
  --s3-endpoint http://127.0.0.1:${S3_PORT} --path-style --buckets ${BUCKET} \
  --disk-dir ${DEMO}/cache --cache-size 64m --disk-size 1g
